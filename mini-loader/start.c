/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Starting the program: the stack block the kernel's fs/binfmt_elf.c would build (argc, argv, envp,
 * the auxiliary vector with the entries that describe the program replaced), the process made to
 * look like the program's (comm, cmdline, /proc/self/exe where permitted), then the hand-over from an
 * anonymous copy of the transfer code, which unmaps mini-loader itself before it jumps.
 */
#include "mini.h"
#include "print.h"
#include "sys.h"
#include "transfer.h"

#define PAGE 4096
#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_BASE 7
#define AT_ENTRY 9
#define AT_EXECFN 31
#define PR_SET_NAME 15
#define PR_SET_MM 35
#define PR_SET_MM_MAP 14

extern const char __ehdr_start[] __attribute__((visibility("hidden")));
extern const char _end[] __attribute__((visibility("hidden")));
extern const char elfldr_transfer_start[] __attribute__((visibility("hidden")));
extern const char elfldr_transfer_end[] __attribute__((visibility("hidden")));

static uintptr_t round_up(uintptr_t v, uintptr_t a) { return (v + a - 1) & ~(a - 1); }

struct block {
    unsigned char *region; /* code page, then the transfer struct, its mm map and buf */
    size_t region_size;
    unsigned char *buf; /* built here, copied to dest */
    uintptr_t dest;     /* its final address: the program's stack pointer */
    size_t size;
    uintptr_t arg_start, arg_end, execfn;
    uint64_t *auxv;     /* inside buf */
    size_t auxv_bytes;
};

static void show_object(const char *what, const struct elfldr_obj *obj)
{
    struct elfldr_info info;
    elfldr_get_info(obj, &info);
    struct line l = {.len = 0};
    line_str(&l, "mini-loader: ");
    line_str(&l, what);
    line_str(&l, " ");
    line_str(&l, info.name);
    line_str(&l, ": load bias ");
    line_hex(&l, info.load_bias);
    line_str(&l, ", entry ");
    line_hex(&l, info.entry);
    line_str(&l, "\n");
    line_flush(&l, 2);
    for (size_t i = 0; i < info.phnum; i++) {
        const struct elfldr_phdr *ph = &info.phdrs[i];
        if (ph->p_type != 1)
            continue;
        line_str(&l, "mini-loader:   segment ");
        line_hex(&l, info.load_bias + ph->p_vaddr);
        line_str(&l, "-");
        line_hex(&l, info.load_bias + ph->p_vaddr + ph->p_memsz);
        line_str(&l, (ph->p_flags & 4) ? " r" : " -");
        line_str(&l, (ph->p_flags & 2) ? "w" : "-");
        line_str(&l, (ph->p_flags & 1) ? "x" : "-");
        line_str(&l, "\n");
        line_flush(&l, 2);
    }
}

static void show_note(const char *text, long value)
{
    struct line l = {.len = 0};
    line_str(&l, "mini-loader: ");
    line_str(&l, text);
    if (value) {
        line_str(&l, " (errno ");
        line_dec(&l, (uint64_t)-value);
        line_str(&l, ")");
    }
    line_str(&l, "\n");
    line_flush(&l, 2);
}

static size_t count_auxv(const uint64_t *auxv)
{
    size_t n = 0;
    while (auxv[2 * n] != AT_NULL)
        n++;
    return n;
}

/* The kernel's entries, those that describe the program replaced; any of the six missing is added. */
static size_t fill_auxv(uint64_t *out, const uint64_t *in, const uint64_t replace[6][2])
{
    size_t n = 0;
    int seen[6] = {0};
    for (; in[0] != AT_NULL; in += 2) {
        int k = 0;
        while (k < 6 && replace[k][0] != in[0])
            k++;
        out[2 * n] = in[0];
        out[2 * n + 1] = k < 6 ? replace[k][1] : in[1];
        if (k < 6)
            seen[k] = 1;
        n++;
    }
    for (int k = 0; k < 6; k++) {
        if (seen[k])
            continue;
        out[2 * n] = replace[k][0];
        out[2 * n + 1] = replace[k][1];
        n++;
    }
    out[2 * n] = AT_NULL;
    out[2 * n + 1] = 0;
    return n + 1;
}

static int build_block(struct mini *m, struct block *b)
{
    size_t nenv = 0, strings = 0;
    while (m->envp[nenv])
        nenv++;
    for (int i = 0; i < m->nargs; i++)
        strings += cstr_len(m->args[i]) + 1;
    size_t path_len = cstr_len(m->exec_path) + 1;
    strings += path_len;
    size_t nauxv = count_auxv(m->auxv) + 6 + 1;
    size_t words = 1 + (size_t)m->nargs + 1 + nenv + 1 + 2 * nauxv;
    b->size = round_up(words * 8 + strings, 16);
    b->dest = ((uintptr_t)m->orig_sp - b->size) & ~(uintptr_t)15;
    /* One mapping for the whole hand-over: the transfer code's page, then its argument, the mm map
     * and the block (one page for most programs). None of it may lie in mini-loader's image, which
     * goes first. Populated at once: a fault per page costs more here than the kernel filling them. */
    size_t header = round_up(sizeof(struct transfer) + sizeof(struct prctl_mm_map), 16);
    b->region_size = PAGE + round_up(header + b->size, PAGE);
    b->region = mini_alloc_populated(b->region_size);
    if (!b->region)
        return fail(m->path, "cannot execute", "out of memory for the stack", 126);
    b->buf = b->region + PAGE + header;

    uint64_t *w = (uint64_t *)b->buf;
    char *s = (char *)b->buf + words * 8;
    uintptr_t s_dest = b->dest + words * 8;
    *w++ = (uint64_t)m->nargs;
    b->arg_start = s_dest;
    for (int i = 0; i < m->nargs; i++) {
        size_t len = cstr_len(m->args[i]) + 1;
        __builtin_memcpy(s, m->args[i], len);
        *w++ = s_dest;
        s += len;
        s_dest += len;
    }
    b->arg_end = s_dest;
    *w++ = 0;
    for (size_t i = 0; i < nenv; i++)
        *w++ = (uint64_t)(uintptr_t)m->envp[i];
    *w++ = 0;
    __builtin_memcpy(s, m->exec_path, path_len);
    b->execfn = s_dest;

    struct elfldr_info prog, interp;
    elfldr_get_info(m->program, &prog);
    if (m->interp)
        elfldr_get_info(m->interp, &interp);
    const uint64_t replace[6][2] = {
        {AT_PHDR, prog.phdr},
        {AT_PHENT, sizeof(struct elfldr_phdr)},
        {AT_PHNUM, prog.phnum},
        {AT_ENTRY, prog.entry},
        {AT_BASE, m->interp ? interp.load_bias : 0},
        {AT_EXECFN, b->execfn},
    };
    b->auxv = w;
    b->auxv_bytes = fill_auxv(w, m->auxv, replace) * 16;
    return -1;
}

static void fill_mm_map(const struct mini *m, const struct block *b, struct prctl_mm_map *map)
{
    struct elfldr_info info;
    elfldr_get_info(m->program, &info);
    __builtin_memset(map, 0, sizeof(*map));
    uint64_t code_lo = UINT64_MAX, code_hi = 0, data_lo = UINT64_MAX, data_hi = 0;
    for (size_t i = 0; i < info.phnum; i++) {
        const struct elfldr_phdr *ph = &info.phdrs[i];
        if (ph->p_type != 1)
            continue;
        uint64_t lo = info.load_bias + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (ph->p_flags & 1) {
            code_lo = lo < code_lo ? lo : code_lo;
            code_hi = hi > code_hi ? hi : code_hi;
        } else if (ph->p_flags & 2) {
            data_lo = lo < data_lo ? lo : data_lo;
            data_hi = hi > data_hi ? hi : data_hi;
        }
    }
    if (code_hi == 0)
        code_lo = info.base, code_hi = info.base + info.span;
    if (data_hi == 0)
        data_lo = data_hi = code_hi;
    map->start_code = code_lo;
    map->end_code = code_hi;
    map->start_data = data_lo;
    map->end_data = data_hi;
    map->start_brk = map->brk = (uint64_t)sys_brk(0);
    map->start_stack = b->dest;
    map->arg_start = b->arg_start;
    map->arg_end = b->arg_end;
    size_t nenv = 0;
    while (m->envp[nenv])
        nenv++;
    if (nenv) {
        map->env_start = (uint64_t)(uintptr_t)m->envp[0];
        map->env_end = (uint64_t)(uintptr_t)m->envp[nenv - 1] + cstr_len(m->envp[nenv - 1]) + 1;
    } else {
        map->env_start = map->env_end = b->arg_end;
    }
    map->auxv = (uint64_t)(uintptr_t)b->auxv;
    map->auxv_size = (uint32_t)b->auxv_bytes;
    map->exe_fd = (uint32_t)-1;
}

/* comm, cmdline and auxv now; /proc/self/exe only after the image is gone (the kernel refuses the
 * change while the old executable is still mapped), so the transfer code makes that call. */
static uint64_t prepare_process(struct mini *m, struct block *b, struct prctl_mm_map *map)
{
    const char *base = m->exec_path;
    for (const char *p = m->exec_path; *p; p++)
        if (*p == '/')
            base = p + 1;
    sys_prctl(PR_SET_NAME, (long)base, 0, 0);
    fill_mm_map(m, b, map);
    long r = sys_prctl(PR_SET_MM, PR_SET_MM_MAP, (long)map, sizeof(*map));
    if (r == -22 /* EINVAL: the kernel's saved auxv is smaller than ours */) {
        map->auxv = 0;
        map->auxv_size = 0;
        r = sys_prctl(PR_SET_MM, PR_SET_MM_MAP, (long)map, sizeof(*map));
    }
    if (r != 0) {
        if (m->verbose)
            show_note("cannot set cmdline and /proc/self/exe (PR_SET_MM_MAP); going on without", r);
        return 0;
    }
    map->exe_fd = (uint32_t)m->program_fd;
    if (m->verbose)
        show_note("cmdline set; /proc/self/exe is replaced after mini-loader unmaps itself", 0);
    return (uint64_t)(uintptr_t)map;
}

int start_program(struct mini *m)
{
    struct block b;
    __builtin_memset(&b, 0, sizeof(b));
    int rc = build_block(m, &b);
    if (rc >= 0)
        return rc;
    struct elfldr_info prog;
    elfldr_get_info(m->program, &prog);
    if (!prog.phdr)
        return fail(m->path, "cannot execute", "its program headers are not in a loaded segment", 126);
    if (m->verbose) {
        show_object("program", m->program);
        if (m->interp)
            show_object("interpreter", m->interp);
        struct line l = {.len = 0};
        line_str(&l, "mini-loader: loading took ");
        line_dec(&l, m->load_ns / 1000);
        line_str(&l, " us\n");
        line_flush(&l, 2);
    }
    unsigned char *code = b.region;
    struct transfer *t = (struct transfer *)(b.region + PAGE);
    struct prctl_mm_map *map = (struct prctl_mm_map *)(t + 1);
    size_t code_size = (size_t)(elfldr_transfer_end - elfldr_transfer_start);
    if (code_size > PAGE)
        return fail(m->path, "cannot execute", "the hand-over code is larger than a page", 126);
    __builtin_memcpy(code, elfldr_transfer_start, code_size);
    if (sys_mprotect((uintptr_t)code, PAGE, 5 /* r-x */) != 0)
        return fail(m->path, "cannot execute", "cannot make the hand-over code executable", 126);
    uintptr_t image = (uintptr_t)__ehdr_start & ~(uintptr_t)(PAGE - 1);
    t->unmap_addr = image;
    t->unmap_size = round_up((uintptr_t)_end, PAGE) - image;
    t->mm_map = prepare_process(m, &b, map);
    t->mm_map_size = sizeof(*map);
    t->block = (uint64_t)(uintptr_t)b.buf;
    t->block_size = b.size;
    t->dest_sp = b.dest;
    struct elfldr_info interp;
    if (m->interp)
        elfldr_get_info(m->interp, &interp);
    t->entry = m->interp ? interp.entry : prog.entry;
    t->exe_fd = t->mm_map ? m->program_fd : -1;
    t->release_addr = (uint64_t)(uintptr_t)(b.region + PAGE);
    t->release_size = b.region_size - PAGE;
    if (!t->mm_map)
        sys_close(m->program_fd);
    ((void (*)(struct transfer *))(uintptr_t)code)(t);
    return 126; /* not reached */
}
