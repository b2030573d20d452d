/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * elfldr-load: load one shared library with the elfldr core and say what happened.
 *
 * A hosted program (libc, libdl) used by scripts/run and the tool tests. It loads through the Linux
 * platform table; the symbols the library needs and does not define (its libc calls, mostly) are
 * bound by a resolve hook that asks this process with dlsym/dlvsym. Then it prints the object's
 * layout, looks up the symbols named on the command line, calls the ones given with --call-string,
 * and unloads.
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <elfldr.h>

#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_TLS 7
#define PT_GNU_RELRO 0x6474e552
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define ET_EXEC 2
#define ET_DYN 3

#define MAX_CALLS 16

extern char **environ;

static const char usage_text[] =
    "usage: elfldr-load [OPTION...] [--] LIBRARY [SYMBOL...]\n"
    "       (options may also follow LIBRARY and the SYMBOLs)\n"
    "\n"
    "Load LIBRARY (a shared object; with --map-only, any ELF file elfldr accepts) with the elfldr\n"
    "core and the Linux platform table (raw system calls), then print its path, soname, load bias,\n"
    "span, entry, each PT_LOAD segment with its protections, the PT_GNU_RELRO range, its DT_NEEDED\n"
    "names and how long the load took. For each SYMBOL (NAME or NAME@VERSION), print the address\n"
    "elfldr finds for it in LIBRARY. Finally, unload LIBRARY.\n"
    "\n"
    "elfldr loads no dependencies: a symbol LIBRARY needs and does not define is looked up in this\n"
    "process (its libc) with dlsym, or dlvsym for a versioned reference. Constructors run at load and\n"
    "destructors at unload.\n"
    "\n"
    "Options:\n"
    "  --call-string SYMBOL  after loading, call SYMBOL as `const char *SYMBOL(void)` and print the\n"
    "                        string it returns (may be given up to 16 times)\n"
    "  --no-file-map         read the file into anonymous pages instead of mapping it\n"
    "                        (ELFLDR_LOAD_NO_FILE_MAP)\n"
    "  --map-only            map and decode only: no relocation, RELRO or constructors\n"
    "                        (ELFLDR_LOAD_MAP_ONLY); cannot be combined with --call-string\n"
    "  -v, --verbose         also print each symbol bound from this process and each constructor\n"
    "                        and destructor as it runs\n"
    "  -h, --help            print this help and exit\n"
    "\n"
    "Exit status: 0 when LIBRARY loaded, every SYMBOL was found and it unloaded; 1 when loading,\n"
    "a lookup or unloading failed (a message `elfldr-load: LIBRARY: ...` says why); 2 for a usage\n"
    "error.\n";

struct tool_options {
    const char *path;
    char **symbols;
    int symbol_count;
    const char *calls[MAX_CALLS];
    int call_count;
    unsigned load_flags;
    bool verbose;
};

struct tool_state {
    const struct tool_options *options;
    unsigned bound_from_process;
    unsigned not_in_process;
};

static int usage_error(const char *message, const char *what)
{
    fprintf(stderr, "elfldr-load: %s%s%s\n", message, what ? ": " : "", what ? what : "");
    fprintf(stderr, "Try 'elfldr-load --help'.\n");
    return 2;
}

/* Options may come before or after LIBRARY and the SYMBOLs (a symbol name never starts with '-'); after
 * "--" everything is positional. `positional` has room for argc entries.
 * Returns 0, or the exit status for a usage error, or -1 after --help. */
static int parse_options(int argc, char **argv, struct tool_options *options, char **positional)
{
    int count = 0;
    bool options_ended = false;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options_ended || arg[0] != '-' || arg[1] == '\0') {
            positional[count++] = argv[i];
        } else if (strcmp(arg, "--") == 0) {
            options_ended = true;
        } else if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(usage_text, stdout);
            return -1;
        } else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--verbose") == 0) {
            options->verbose = true;
        } else if (strcmp(arg, "--no-file-map") == 0) {
            options->load_flags |= ELFLDR_LOAD_NO_FILE_MAP;
        } else if (strcmp(arg, "--map-only") == 0) {
            options->load_flags |= ELFLDR_LOAD_MAP_ONLY;
        } else if (strcmp(arg, "--call-string") == 0) {
            if (i + 1 >= argc)
                return usage_error("--call-string needs a SYMBOL", NULL);
            if (options->call_count == MAX_CALLS)
                return usage_error("too many --call-string options", NULL);
            options->calls[options->call_count++] = argv[++i];
        } else {
            return usage_error("unknown option", arg);
        }
    }
    if (count == 0)
        return usage_error("no LIBRARY given", NULL);
    if ((options->load_flags & ELFLDR_LOAD_MAP_ONLY) && options->call_count > 0)
        return usage_error("--call-string needs a relocated object, not --map-only", NULL);
    options->path = positional[0];
    options->symbols = positional + 1;
    options->symbol_count = count - 1;
    return 0;
}

/* The resolve hook: whatever the library does not define comes from this process. */
static int resolve_from_process(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                                uintptr_t *addr)
{
    struct tool_state *state = ctx;
    void *found;

    (void)obj;
    found = version ? dlvsym(RTLD_DEFAULT, name, version) : dlsym(RTLD_DEFAULT, name);
    if (!found) {
        /* Let the loader decide: a weak reference becomes 0, a strong one fails the load. */
        state->not_in_process++;
        if (state->options->verbose)
            printf("  not in this process: %s%s%s\n", name, version ? "@" : "", version ? version : "");
        return ELFLDR_HOOK_SKIP;
    }
    state->bound_from_process++;
    if (state->options->verbose)
        printf("  bound from this process: %s%s%s = %p\n", name, version ? "@" : "", version ? version : "",
               found);
    *addr = (uintptr_t)found;
    return ELFLDR_HOOK_CONTINUE;
}

static const char *init_kind_name(enum elfldr_init_kind kind)
{
    switch (kind) {
    case ELFLDR_INIT_DT_INIT: return "DT_INIT";
    case ELFLDR_INIT_PREINIT_ARRAY: return "DT_PREINIT_ARRAY";
    case ELFLDR_INIT_INIT_ARRAY: return "DT_INIT_ARRAY";
    case ELFLDR_FINI_FINI_ARRAY: return "DT_FINI_ARRAY";
    case ELFLDR_FINI_DT_FINI: return "DT_FINI";
    }
    return "?";
}

static int show_init(void *ctx, const struct elfldr_obj *obj, enum elfldr_init_kind kind, unsigned index,
                     elfldr_init_fn fn)
{
    struct tool_state *state = ctx;

    (void)obj;
    if (state->options->verbose)
        printf("  running %s[%u] at %#" PRIxPTR "\n", init_kind_name(kind), index, (uintptr_t)fn);
    return ELFLDR_HOOK_CONTINUE;
}

static void print_error(const char *path, const char *what, int rc, const struct elfldr_error *err)
{
    int code = err->code ? (int)err->code : rc < 0 ? -rc : rc;
    const char *message = err->message[0] ? err->message : elfldr_strerror(code);
    fprintf(stderr, "elfldr-load: %s: %s%s%s\n", path, what ? what : "", what ? ": " : "", message);
}

static const char *type_name(uint16_t type)
{
    return type == ET_DYN ? "ET_DYN" : type == ET_EXEC ? "ET_EXEC" : "?";
}

static void prot_string(uint32_t p_flags, char out[4])
{
    out[0] = (p_flags & PF_R) ? 'r' : '-';
    out[1] = (p_flags & PF_W) ? 'w' : '-';
    out[2] = (p_flags & PF_X) ? 'x' : '-';
    out[3] = '\0';
}

static void print_segments(const struct elfldr_info *info, bool relocated)
{
    unsigned load_index = 0;
    size_t i;

    for (i = 0; i < info->phnum; i++) {
        const struct elfldr_phdr *ph = &info->phdrs[i];
        uintptr_t start = info->load_bias + (uintptr_t)ph->p_vaddr;
        uintptr_t end = start + (uintptr_t)ph->p_memsz;
        char prot[4];

        prot_string(ph->p_flags, prot);
        if (ph->p_type == PT_LOAD) {
            printf("segment %u   %#" PRIxPTR "-%#" PRIxPTR " %s  file offset %#" PRIx64 " filesz %#" PRIx64
                   " memsz %#" PRIx64 "\n",
                   load_index++, start, end, prot, ph->p_offset, ph->p_filesz, ph->p_memsz);
        } else if (ph->p_type == PT_GNU_RELRO) {
            printf("relro       %#" PRIxPTR "-%#" PRIxPTR " r--  %s\n", start, end,
                   relocated ? "read-only once relocated" : "not applied (map only)");
        } else if (ph->p_type == PT_TLS) {
            printf("tls         %#" PRIxPTR "-%#" PRIxPTR "      filesz %#" PRIx64 " memsz %#" PRIx64
                   " align %#" PRIx64 "\n",
                   start, end, ph->p_filesz, ph->p_memsz, ph->p_align);
        }
    }
}

static void print_info(const struct elfldr_obj *obj, bool relocated, double load_ms)
{
    struct elfldr_info info;
    size_t i;

    memset(&info, 0, sizeof info);
    if (elfldr_get_info(obj, &info) != 0) {
        printf("(no information: elfldr_get_info failed)\n");
        return;
    }
    printf("path        %s\n", info.name ? info.name : "?");
    printf("soname      %s\n", info.soname ? info.soname : "(none)");
    printf("type        %s\n", type_name(info.type));
    if (info.interp)
        printf("interpreter %s\n", info.interp);
    printf("load bias   %#" PRIxPTR "\n", info.load_bias);
    printf("span        %#" PRIxPTR "-%#" PRIxPTR " (%zu bytes)\n", info.base, info.base + info.span, info.span);
    printf("entry       %#" PRIxPTR "\n", info.entry);
    print_segments(&info, relocated);
    if (info.needed_count == 0)
        printf("needed      (none)\n");
    for (i = 0; i < info.needed_count; i++) {
        const char *needed = elfldr_needed(obj, i);
        printf("needed      %s\n", needed ? needed : "?");
    }
    printf("load time   %.3f ms\n", load_ms);
}

static const char *sym_type_name(unsigned char st_info)
{
    switch (st_info & 0xf) {
    case 0: return "NOTYPE";
    case 1: return "OBJECT";
    case 2: return "FUNC";
    case 6: return "TLS";
    case 10: return "IFUNC";
    default: return "OTHER";
    }
}

/* NAME or NAME@VERSION (NAME@@VERSION too); `buf` holds the copy that is split. */
static const char *split_version(const char *spec, char *buf, size_t buf_size, const char **version)
{
    char *at;

    *version = NULL;
    if (strlen(spec) >= buf_size)
        return spec;
    strcpy(buf, spec);
    at = strchr(buf, '@');
    if (!at)
        return buf;
    *at++ = '\0';
    if (*at == '@')
        at++;
    *version = at;
    return buf;
}

/* Returns true when every symbol was found. */
static bool print_symbols(const struct elfldr_obj *obj, const struct tool_options *options)
{
    bool all_found = true;
    int i;

    for (i = 0; i < options->symbol_count; i++) {
        char buf[512];
        const char *version;
        const char *name = split_version(options->symbols[i], buf, sizeof buf, &version);
        const struct elfldr_sym *sym = NULL;
        uintptr_t addr = 0;
        int rc = elfldr_lookup(obj, name, version, &addr, &sym);

        if (rc == 0) {
            printf("symbol      %s = %#" PRIxPTR, options->symbols[i], addr);
            if (sym)
                printf(" (%s, %" PRIu64 " bytes)", sym_type_name(sym->st_info), sym->st_size);
            printf("\n");
        } else if (rc == ELFLDR_E_NOT_FOUND || rc == -ELFLDR_E_NOT_FOUND) {
            fprintf(stderr, "elfldr-load: %s: %s: not found\n", options->path, options->symbols[i]);
            all_found = false;
        } else {
            fprintf(stderr, "elfldr-load: %s: %s: %s\n", options->path, options->symbols[i],
                    elfldr_strerror(rc < 0 ? -rc : rc));
            all_found = false;
        }
    }
    return all_found;
}

/* Returns true when every call could be made. */
static bool call_strings(const struct elfldr_obj *obj, const struct tool_options *options)
{
    bool all_called = true;
    int i;

    for (i = 0; i < options->call_count; i++) {
        uintptr_t addr = 0;
        const char *(*fn)(void);
        const char *result;

        if (elfldr_lookup(obj, options->calls[i], NULL, &addr, NULL) != 0 || addr == 0) {
            fprintf(stderr, "elfldr-load: %s: %s: not found, not called\n", options->path, options->calls[i]);
            all_called = false;
            continue;
        }
        fn = (const char *(*)(void))addr;
        result = fn();
        if (result)
            printf("call        %s() = \"%s\"\n", options->calls[i], result);
        else
            printf("call        %s() = NULL\n", options->calls[i]);
    }
    return all_called;
}

static double elapsed_ms(const struct timespec *start, const struct timespec *end)
{
    return (double)(end->tv_sec - start->tv_sec) * 1e3 + (double)(end->tv_nsec - start->tv_nsec) / 1e6;
}

int main(int argc, char **argv)
{
    struct tool_options options;
    struct tool_state state;
    struct elfldr_ops ops;
    struct elfldr_hooks hooks;
    struct elfldr_load_opts load_opts;
    struct elfldr_error err;
    struct elfldr_obj *obj = NULL;
    struct timespec start, end;
    char **positional;
    bool ok;
    int rc;

    memset(&options, 0, sizeof options);
    positional = calloc((size_t)argc, sizeof *positional);
    if (!positional) {
        fprintf(stderr, "elfldr-load: out of memory\n");
        return 1;
    }
    rc = parse_options(argc, argv, &options, positional);
    if (rc != 0) {
        free(positional);
        return rc < 0 ? 0 : rc;
    }

    memset(&state, 0, sizeof state);
    state.options = &options;
    elfldr_linux_ops(&ops);

    memset(&hooks, 0, sizeof hooks);
    hooks.ctx = &state;
    hooks.resolve = resolve_from_process;
    hooks.on_init = show_init;

    memset(&load_opts, 0, sizeof load_opts);
    load_opts.ops = &ops;
    load_opts.hooks = &hooks;
    load_opts.flags = options.load_flags;
    load_opts.argc = argc;
    load_opts.argv = argv;
    load_opts.envp = environ;

    memset(&err, 0, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &start);
    rc = elfldr_load_path(options.path, &load_opts, &obj, &err);
    clock_gettime(CLOCK_MONOTONIC, &end);
    if (rc != 0 || !obj) {
        print_error(options.path, NULL, rc, &err);
        free(positional);
        return 1;
    }

    print_info(obj, !(options.load_flags & ELFLDR_LOAD_MAP_ONLY), elapsed_ms(&start, &end));
    printf("bound       %u symbols from this process (dlsym/dlvsym); %u not there, left to the loader\n",
           state.bound_from_process, state.not_in_process);
    ok = print_symbols(obj, &options);
    ok = call_strings(obj, &options) && ok;
    fflush(stdout);

    memset(&err, 0, sizeof err);
    rc = elfldr_unload(obj, &err);
    if (rc != 0) {
        print_error(options.path, "unload", rc, &err);
        free(positional);
        return 1;
    }
    printf("unloaded\n");
    free(positional);
    return ok ? 0 : 1;
}
