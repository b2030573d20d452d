/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * startcheck: checks that it was started the way the kernel's execve starts a program: the initial
 * stack (argc, argv, envp, auxv) as binfmt_elf lays it out, every auxiliary vector entry that
 * describes the program, and the process's /proc/self/{exe,comm,cmdline,environ,auxv,stat}.
 *
 * What depends on how it was run comes from the environment, set by the test driver:
 *   SC_EXECFN  the path execve was given (AT_EXECFN)
 *   SC_EXE     what /proc/self/exe must resolve to
 *   SC_COMM    what /proc/self/comm must hold
 * One line a check: "ok NAME", or "FAIL NAME: detail" (then the exit status is 1). "info" lines show
 * values that must be the same in a direct run and a run through mini-loader; they carry no address,
 * so the driver can compare whole outputs.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

extern const ElfW(Ehdr) __ehdr_start;

/* The program's entry: records the stack pointer the loader handed over, then goes on to the C
 * library's _start as if nothing happened (every register but the flags is left as it was). */
#if defined(__x86_64__)
uintptr_t entry_sp;
__asm__(".text\n"
        ".globl startcheck_entry\n"
        ".type startcheck_entry, @function\n"
        "startcheck_entry:\n"
        "    mov %rsp, entry_sp(%rip)\n"
        "    jmp _start\n"
        ".size startcheck_entry, . - startcheck_entry\n");
extern char startcheck_entry[];
#define HAVE_ENTRY_SP 1
#else
extern char _start[];
#define startcheck_entry _start
#define HAVE_ENTRY_SP 0
#endif

static int failures;

static void ok(const char *name) { printf("ok %s\n", name); }

static void check(int good, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void check(int good, const char *name, const char *fmt, ...)
{
    if (good) {
        ok(name);
        return;
    }
    failures++;
    printf("FAIL %s: ", name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static const char *expected(const char *var)
{
    const char *v = getenv(var);
    if (!v) {
        failures++;
        printf("FAIL %s is not set in the environment\n", var);
    }
    return v;
}

/* The whole of a (small) /proc file; *len gets its size. NULL if it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The interpreter named by our own PT_INTERP, or NULL for a static program. */
static const char *own_interp(uintptr_t load_bias)
{
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
    for (int i = 0; i < __ehdr_start.e_phnum; i++)
        if (ph[i].p_type == PT_INTERP)
            return (const char *)(load_bias + ph[i].p_vaddr);
    return NULL;
}

/* The load bias, from where the linker put the ELF header and where it was loaded. */
static uintptr_t own_load_bias(void)
{
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
    for (int i = 0; i < __ehdr_start.e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0)
            return (uintptr_t)&__ehdr_start - ph[i].p_vaddr;
    return 0;
}

struct phdr_search {
    const char *interp;
    uintptr_t main_addr, interp_addr;
    const ElfW(Phdr) *main_phdr;
    int main_phnum, found_main, found_interp;
};

static int each_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct phdr_search *s = data;
    if (!s->found_main) { /* the first one is the program */
        s->found_main = 1;
        s->main_addr = info->dlpi_addr;
        s->main_phdr = info->dlpi_phdr;
        s->main_phnum = info->dlpi_phnum;
    } else if (s->interp && info->dlpi_name && strcmp(info->dlpi_name, s->interp) == 0) {
        s->found_interp = 1;
        s->interp_addr = info->dlpi_addr;
    }
    return 0;
}

/* The lowest address /proc/self/maps shows for the file `path` (after realpath), or 0. */
static uintptr_t maps_lowest(const char *path)
{
    char real[PATH_MAX];
    if (!realpath(path, real))
        return 0;
    size_t len;
    char *maps = slurp("/proc/self/maps", &len);
    if (!maps)
        return 0;
    uintptr_t lowest = 0;
    for (char *line = strtok(maps, "\n"); line; line = strtok(NULL, "\n")) {
        char *name = strchr(line, '/');
        unsigned long lo;
        if (name && strcmp(name, real) == 0 && sscanf(line, "%lx-", &lo) == 1 && (!lowest || lo < lowest))
            lowest = lo;
    }
    free(maps);
    return lowest;
}

/* Whether `addr` lies in the mapping /proc/self/maps names `what` (e.g. "[stack]"). */
static int in_mapping(uintptr_t addr, const char *what)
{
    size_t len;
    char *maps = slurp("/proc/self/maps", &len);
    if (!maps)
        return 0;
    int in = 0;
    for (char *line = strtok(maps, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long lo, hi;
        const char *name = strrchr(line, ' ');
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && name && strcmp(name + 1, what) == 0 && addr >= lo &&
            addr < hi)
            in = 1;
    }
    free(maps);
    return in;
}

/* Field `n` (1-based, as proc(5) counts) of /proc/self/stat. */
static unsigned long long stat_field(int n)
{
    size_t len;
    char *stat = slurp("/proc/self/stat", &len);
    if (!stat)
        return 0;
    char *p = strrchr(stat, ')'); /* comm may hold spaces */
    unsigned long long value = 0;
    int field = 2;
    for (char *tok = strtok(p + 1, " "); tok; tok = strtok(NULL, " "))
        if (++field == n) {
            value = strtoull(tok, NULL, 10);
            break;
        }
    free(stat);
    return value;
}

/* argv or envp, NUL-separated, as /proc/self/cmdline and /proc/self/environ show them. */
static int same_strings(const char *file, char **strings, size_t *differ_at)
{
    size_t len;
    char *got = slurp(file, &len);
    if (!got)
        return 0;
    size_t off = 0;
    int same = 1;
    for (; *strings && same; strings++) {
        size_t n = strlen(*strings) + 1;
        if (off + n > len || memcmp(got + off, *strings, n) != 0)
            same = 0;
        else
            off += n;
    }
    if (off != len)
        same = 0;
    *differ_at = off;
    free(got);
    return same;
}

static void check_auxv(const ElfW(auxv_t) *auxv, uintptr_t load_bias)
{
    const char *execfn = expected("SC_EXECFN");
    const ElfW(Phdr) *phdrs = (const ElfW(Phdr) *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
    uintptr_t at_phdr = getauxval(AT_PHDR);
    check(at_phdr == (uintptr_t)phdrs, "AT_PHDR", "%#lx, but the program headers are at %p", at_phdr,
          (const void *)phdrs);
    check(getauxval(AT_PHENT) == sizeof(ElfW(Phdr)), "AT_PHENT", "%lu", getauxval(AT_PHENT));
    check(getauxval(AT_PHNUM) == __ehdr_start.e_phnum, "AT_PHNUM", "%lu, e_phnum %u", getauxval(AT_PHNUM),
          __ehdr_start.e_phnum);
    check(getauxval(AT_ENTRY) == (uintptr_t)startcheck_entry, "AT_ENTRY", "%#lx, entry %p",
          getauxval(AT_ENTRY), (void *)startcheck_entry);
    check(getauxval(AT_ENTRY) == load_bias + __ehdr_start.e_entry, "AT_ENTRY is e_entry",
          "%#lx, e_entry %#lx + bias %#lx", getauxval(AT_ENTRY), (unsigned long)__ehdr_start.e_entry,
          load_bias);

    struct phdr_search s = {.interp = own_interp(load_bias)};
    dl_iterate_phdr(each_object, &s);
    check(s.found_main && s.main_phdr == phdrs && s.main_phnum == __ehdr_start.e_phnum,
          "dl_iterate_phdr sees the program's headers", "%p (%d), expected %p", (const void *)s.main_phdr,
          s.main_phnum, (const void *)phdrs);
    check(s.main_addr == load_bias, "load bias", "dl_iterate_phdr says %#lx, __ehdr_start says %#lx",
          s.main_addr, load_bias);
    uintptr_t at_base = getauxval(AT_BASE);
    if (s.interp) {
        check(s.found_interp && at_base == s.interp_addr, "AT_BASE is the interpreter's (dl_iterate_phdr)",
              "AT_BASE %#lx, %s at %#lx", at_base, s.interp, s.interp_addr);
        uintptr_t lowest = maps_lowest(s.interp);
        check(at_base == lowest, "AT_BASE is the interpreter's (/proc/self/maps)",
              "AT_BASE %#lx, lowest mapping of %s %#lx", at_base, s.interp, lowest);
    } else {
        check(at_base == 0, "AT_BASE is 0 with no interpreter", "%#lx", at_base);
    }

    const char *at_execfn = (const char *)getauxval(AT_EXECFN);
    check(at_execfn && execfn && strcmp(at_execfn, execfn) == 0, "AT_EXECFN", "\"%s\", expected \"%s\"",
          at_execfn ? at_execfn : "(none)", execfn ? execfn : "?");

    const unsigned char *random = (const unsigned char *)getauxval(AT_RANDOM);
    unsigned sum = 0;
    if (random)
        for (int i = 0; i < 16; i++)
            sum |= random[i]; /* reads all 16 bytes: a bad pointer faults here */
    check(random && sum, "AT_RANDOM", "%p, bytes or-ed %#x", (const void *)random, sum);

    const unsigned char *vdso = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
    if (vdso)
        check(memcmp(vdso, ELFMAG, SELFMAG) == 0, "AT_SYSINFO_EHDR", "%p holds no ELF header",
              (const void *)vdso);
    check(getauxval(AT_PAGESZ) == (unsigned long)sysconf(_SC_PAGESIZE) && getauxval(AT_PAGESZ) >= 4096,
          "AT_PAGESZ", "%lu", getauxval(AT_PAGESZ));
    check(getauxval(AT_SECURE) == 0, "AT_SECURE", "%lu", getauxval(AT_SECURE));
    check(getauxval(AT_UID) == getuid() && getauxval(AT_EUID) == geteuid() && getauxval(AT_GID) == getgid() &&
              getauxval(AT_EGID) == getegid(),
          "AT_UID, AT_EUID, AT_GID, AT_EGID", "%lu %lu %lu %lu", getauxval(AT_UID), getauxval(AT_EUID),
          getauxval(AT_GID), getauxval(AT_EGID));

    /* Entries whose values do not move from run to run: the driver compares them with a direct run. */
    printf("info auxv types:");
    for (const ElfW(auxv_t) *a = auxv; a->a_type != AT_NULL; a++)
        printf(" %lu", (unsigned long)a->a_type);
    printf("\n");
    const char *platform = (const char *)getauxval(AT_PLATFORM);
    printf("info AT_HWCAP=%#lx AT_HWCAP2=%#lx AT_CLKTCK=%lu AT_FLAGS=%#lx AT_MINSIGSTKSZ=%lu AT_PLATFORM=%s\n",
           getauxval(AT_HWCAP), getauxval(AT_HWCAP2), getauxval(AT_CLKTCK), getauxval(AT_FLAGS),
           getauxval(AT_MINSIGSTKSZ), platform ? platform : "(none)");
}

static void check_stack(int argc, char **argv, char **envp, const ElfW(auxv_t) *auxv)
{
#if HAVE_ENTRY_SP
    const uintptr_t *sp = (const uintptr_t *)entry_sp;
    check(entry_sp % 16 == 0, "stack pointer 16-byte aligned at entry", "%#lx", entry_sp);
    check(sp[0] == (uintptr_t)argc, "argc at the stack pointer", "%lu, argc %d", sp[0], argc);
    check((char **)(sp + 1) == argv, "argv right above argc", "argv %p, sp %p", (void *)argv, (void *)sp);
    check(in_mapping(entry_sp, "[stack]"), "initial stack in [stack]", "sp %#lx", entry_sp);
    unsigned long long start_stack = stat_field(28);
    check(start_stack == entry_sp, "/proc/self/stat startstack", "%#llx, sp at entry %#lx", start_stack,
          entry_sp);
#else
    printf("info no entry stack pointer check on this architecture\n");
#endif
    char **e = envp;
    while (*e)
        e++;
    check((const void *)(e + 1) == (const void *)auxv, "auxv right after envp", "auxv %p, envp ends at %p",
          (const void *)auxv, (void *)(e + 1));
    check(argv[argc] == NULL && envp == argv + argc + 1, "envp right after argv", "envp %p, argv %p",
          (void *)envp, (void *)argv);
}

static void check_proc(char **argv, char **envp, const ElfW(auxv_t) *auxv)
{
    const char *exe = expected("SC_EXE"), *comm = expected("SC_COMM");
    char link[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", link, sizeof(link) - 1);
    link[n < 0 ? 0 : n] = '\0';
    check(exe && strcmp(link, exe) == 0, "/proc/self/exe", "\"%s\", expected \"%s\"", link, exe ? exe : "?");

    size_t len;
    char *got = slurp("/proc/self/comm", &len);
    if (got && len && got[len - 1] == '\n')
        got[len - 1] = '\0';
    check(got && comm && strcmp(got, comm) == 0, "/proc/self/comm", "\"%s\", expected \"%s\"",
          got ? got : "(unreadable)", comm ? comm : "?");
    free(got);

    size_t at = 0;
    int same = same_strings("/proc/self/cmdline", argv, &at);
    check(same, "/proc/self/cmdline", "differs from argv at byte %zu", at);
    same = same_strings("/proc/self/environ", envp, &at);
    check(same, "/proc/self/environ", "differs from envp at byte %zu", at);

    size_t count = 0;
    while (auxv[count].a_type != AT_NULL)
        count++;
    char *saved = slurp("/proc/self/auxv", &len);
    check(saved && len == (count + 1) * sizeof(*auxv) && memcmp(saved, auxv, len) == 0, "/proc/self/auxv",
          "%zu bytes, the stack's auxv has %zu", saved ? len : 0, (count + 1) * sizeof(*auxv));
    free(saved);
}

static void check_brk(void)
{
    char *before = sbrk(0);
    char *grown = sbrk(1 << 20);
    int good = grown != (void *)-1 && grown == before;
    if (good) {
        memset(grown, 0x5a, 1 << 20);
        good = grown[(1 << 20) - 1] == 0x5a;
    }
    check(good, "brk grows", "sbrk(0) %p, sbrk(1M) %p", (void *)before, (void *)grown);
}

int main(int argc, char **argv, char **envp)
{
    /* Before anything may change the environment. */
    char **e = envp;
    while (*e)
        e++;
    const ElfW(auxv_t) *auxv = (const ElfW(auxv_t) *)(e + 1);

    for (int i = 0; i < argc; i++)
        printf("info argv[%d]=%s\n", i, argv[i]);
    for (char **v = envp; *v; v++)
        printf("info env %s\n", *v);

    uintptr_t load_bias = own_load_bias();
    check_stack(argc, argv, envp, auxv);
    check_auxv(auxv, load_bias);
    check_proc(argv, envp, auxv);
    check_brk();
    printf("%s\n", failures ? "startcheck: FAILED" : "startcheck: all good");
    return failures ? 1 : 0;
}
