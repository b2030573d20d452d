/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mini-loader: run a program the way execve would, without execve. A static-pie with no libc: it
 * relocates itself, finds the program (PATH, #! scripts), maps it and its interpreter through the
 * elfldr core, builds the stack the kernel would build, and jumps.
 */
#include <elfldr.h>

#include "arch_start.h"
#include "mini.h"
#include "print.h"
#include "sys.h"

__asm__(ARCH_START_ASM);

/* Addresses the linker defines: taken PC-relative (hidden), so they are right before relocation. */
extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _DYNAMIC[] __attribute__((visibility("hidden")));

static const char usage_text[] =
    "usage: mini-loader [OPTIONS] PROGRAM [ARGS...]\n"
    "Run PROGRAM with ARGS in this process, as execve would: its interpreter, stack and auxiliary\n"
    "vector as the kernel lays them out. PROGRAM without a slash is looked up in PATH; a script that\n"
    "starts with #! runs through its interpreter.\n"
    "\n"
    "  --argv0 NAME  give the program NAME as argv[0] (a #! script drops it, as the kernel does)\n"
    "  --verbose     tell on stderr what was mapped, where, and how long loading took\n"
    "  --help        show this and exit\n"
    "  --version     show the version and exit\n"
    "  --            end of options\n"
    "\n"
    "Exit status: the program's own; 127 when PROGRAM is not found, 126 when it cannot be run,\n"
    "2 for a usage error.\n";

static int usage_error(const char *what, const char *arg)
{
    struct line l = {.len = 0};
    line_str(&l, "mini-loader: ");
    line_str(&l, what);
    if (arg) {
        line_str(&l, ": ");
        line_str(&l, arg);
    }
    line_str(&l, "\nusage: mini-loader [--argv0 NAME] [--verbose] [--] PROGRAM [ARGS...]\n"
                 "Try 'mini-loader --help' for more.\n");
    line_flush(&l, 2);
    return 2;
}

/* Options end at the first argument that is not one; returns -1 to go on, or an exit status. */
static int parse_options(int argc, char **argv, struct mini *m)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (cstr_eq(a, "--")) {
            i++;
            break;
        } else if (cstr_eq(a, "--help")) {
            sys_write(1, usage_text, sizeof(usage_text) - 1);
            return 0;
        } else if (cstr_eq(a, "--version")) {
            struct line l = {.len = 0};
            line_str(&l, "mini-loader (elfldr) " ELFLDR_VERSION_STRING "\n");
            line_flush(&l, 1);
            return 0;
        } else if (cstr_eq(a, "--verbose")) {
            m->verbose = 1;
        } else if (cstr_eq(a, "--argv0")) {
            if (i + 1 >= argc)
                return usage_error("--argv0 needs a NAME", NULL);
            m->argv0 = argv[++i];
        } else {
            return usage_error("unknown option", a);
        }
    }
    if (i >= argc)
        return usage_error("no PROGRAM given", NULL);
    m->args = argv + i;
    m->nargs = argc - i;
    return -1;
}

static int mini_main(uintptr_t *sp)
{
    struct mini m;
    __builtin_memset(&m, 0, sizeof(m));
    m.orig_sp = sp;
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    m.envp = argv + argc + 1;
    char **e = m.envp;
    while (*e)
        e++;
    m.auxv = (uint64_t *)(e + 1);
    int rc = parse_options(argc, argv, &m);
    if (rc >= 0)
        return rc;
    return run_program(&m);
}

__attribute__((noreturn, used)) void mini_start(uintptr_t *sp);
__attribute__((noreturn, used)) void mini_start(uintptr_t *sp)
{
    /* Constraint: nothing before this call may use a pointer that needs relocating. The ELF header
     * of a static-pie sits at p_vaddr 0, so its address is the load bias. */
    elfldr_relocate_self((uintptr_t)__ehdr_start, _DYNAMIC);
    sys_exit_group(mini_main(sp));
}
