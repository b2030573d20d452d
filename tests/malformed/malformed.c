/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Every corruption of the table, loaded three ways: from memory through the arena table, from memory
 * through the Linux table, and from a file through the Linux table (the file-mapped path). Each way
 * must answer with the entry's exact error code and a message, and leave nothing reserved, allocated
 * or open. The control entries must load, work and unload clean.
 *
 * Environment, for whoever chases a failure:
 *   MALFORMED_ONLY=text      run only the entries whose name contains `text`
 *   MALFORMED_DUMP_DIR=dir   write each corrupted image to dir/<name>.so (for readelf -a)
 *   MALFORMED_VERBOSE=1      print each load's code and message, passing or not
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <elfldr.h>

#include "corruptions.h"
#include "counting_ops.h"

#define ARENA_SIZE (16u << 20)

static const char *const victim_paths[VICTIM_COUNT] = {
    [VICTIM_BOTH] = MALFORMED_VICTIM_BOTH,
    [VICTIM_SYSV] = MALFORMED_VICTIM_SYSV,
    [VICTIM_GNU] = MALFORMED_VICTIM_GNU,
};

static const char *const code_names[ELFLDR_E_COUNT] = {
    [ELFLDR_OK] = "OK", [ELFLDR_E_INVAL] = "INVAL", [ELFLDR_E_NOMEM] = "NOMEM", [ELFLDR_E_OPEN] = "OPEN",
    [ELFLDR_E_IO] = "IO", [ELFLDR_E_TRUNCATED] = "TRUNCATED", [ELFLDR_E_NOT_ELF] = "NOT_ELF",
    [ELFLDR_E_CLASS] = "CLASS", [ELFLDR_E_DATA] = "DATA", [ELFLDR_E_VERSION] = "VERSION",
    [ELFLDR_E_OSABI] = "OSABI", [ELFLDR_E_TYPE] = "TYPE", [ELFLDR_E_MACHINE] = "MACHINE",
    [ELFLDR_E_EHSIZE] = "EHSIZE", [ELFLDR_E_PHENTSIZE] = "PHENTSIZE", [ELFLDR_E_PHNUM] = "PHNUM",
    [ELFLDR_E_PHOFF] = "PHOFF", [ELFLDR_E_NO_LOAD] = "NO_LOAD", [ELFLDR_E_SEG_ORDER] = "SEG_ORDER",
    [ELFLDR_E_SEG_OVERLAP] = "SEG_OVERLAP", [ELFLDR_E_SEG_FILESZ] = "SEG_FILESZ",
    [ELFLDR_E_SEG_OFFSET] = "SEG_OFFSET", [ELFLDR_E_SEG_ALIGN] = "SEG_ALIGN",
    [ELFLDR_E_SEG_CONGRUENT] = "SEG_CONGRUENT", [ELFLDR_E_SEG_RANGE] = "SEG_RANGE",
    [ELFLDR_E_INTERP] = "INTERP", [ELFLDR_E_SEG_MISC] = "SEG_MISC", [ELFLDR_E_MAP] = "MAP",
    [ELFLDR_E_PROTECT] = "PROTECT", [ELFLDR_E_DYNAMIC] = "DYNAMIC", [ELFLDR_E_DYN_PTR] = "DYN_PTR",
    [ELFLDR_E_STRTAB] = "STRTAB", [ELFLDR_E_SYMTAB] = "SYMTAB", [ELFLDR_E_HASH] = "HASH",
    [ELFLDR_E_SYM_INDEX] = "SYM_INDEX", [ELFLDR_E_VERSYM] = "VERSYM", [ELFLDR_E_RELOC_TABLE] = "RELOC_TABLE",
    [ELFLDR_E_RELOC_TYPE] = "RELOC_TYPE", [ELFLDR_E_RELOC_TARGET] = "RELOC_TARGET",
    [ELFLDR_E_RELOC_OVERFLOW] = "RELOC_OVERFLOW", [ELFLDR_E_UNDEFINED] = "UNDEFINED",
    [ELFLDR_E_REFUSED] = "REFUSED", [ELFLDR_E_UNSUPPORTED] = "UNSUPPORTED", [ELFLDR_E_INIT] = "INIT",
    [ELFLDR_E_NOT_FOUND] = "NOT_FOUND",
};

static const char *code_name(int code)
{
    if (code >= 0 && code < ELFLDR_E_COUNT && code_names[code])
        return code_names[code];
    return "(not a code)";
}

/* One way of loading, and what it must leave behind. */
struct attempt {
    const struct corruption *entry;
    const char *via;
    struct counting_ops counting;
    struct elfldr_arena *arena; /* NULL for the Linux table */
};

/* ---- what a loaded victim must do ---------------------------------------------------------- */

static void *need_symbol(const struct attempt *a, struct elfldr_obj *obj, const char *name)
{
    void *addr = elfldr_sym(obj, name);
    cr_assert_not_null(addr, "%s via %s: %s not found", a->entry->name, a->via, name);
    return addr;
}

static const char *victim_interp(const struct image *victim)
{
    struct image copy = *victim;
    Elf64_Phdr *interp = image_need_phdr(&copy, PT_INTERP);
    return (const char *)victim->bytes + interp->p_offset;
}

static void expect_victim_works(const struct attempt *a, struct elfldr_obj *obj, const struct image *victim)
{
    const char *name = a->entry->name, *via = a->via;
    void *answer_addr = need_symbol(a, obj, "victim_answer");
    int (*answer)(void);
    memcpy(&answer, &answer_addr, sizeof(answer));
    cr_expect_eq(answer(), 42, "%s via %s: victim_answer() gave %d", name, via, answer());

    cr_expect_eq(*(int *)need_symbol(a, obj, "victim_constructed"), 1, "%s via %s: the constructor did not run", name, via);
    cr_expect_eq(*(int *)need_symbol(a, obj, "victim_dt_init_ran"), 1, "%s via %s: DT_INIT did not run", name, via);
    cr_expect_eq(*(int **)need_symbol(a, obj, "victim_counter_ptr"), need_symbol(a, obj, "victim_counter"),
                 "%s via %s: the ABS64 relocation against victim_counter is wrong", name, via);
    cr_expect_eq(*(void **)need_symbol(a, obj, "victim_add_ptr"), need_symbol(a, obj, "victim_add"),
                 "%s via %s: the ABS64 relocation against victim_add is wrong", name, via);

    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0, "%s via %s: elfldr_get_info failed", name, via);
    cr_expect(info.interp && strcmp(info.interp, victim_interp(victim)) == 0, "%s via %s: PT_INTERP reads %s", name,
              via, info.interp ? info.interp : "(null)");
}

/* ---- the checks common to every way ------------------------------------------------------- */

static void expect_outcome(const struct attempt *a, int rc, struct elfldr_obj *obj, const struct elfldr_error *err,
                           const struct image *victim)
{
    const struct corruption *c = a->entry;
    if (getenv("MALFORMED_VERBOSE"))
        fprintf(stderr, "%-32s %-10s %-14s %s\n", c->name, a->via, code_name(rc), rc ? err->message : "");
    if (c->expected == ELFLDR_OK) {
        cr_assert_eq(rc, 0, "%s via %s: expected to load, got %s: %s", c->name, a->via, code_name(rc), err->message);
        expect_victim_works(a, obj, victim);
        struct elfldr_error unload_err = {0};
        cr_expect_eq(elfldr_unload(obj, &unload_err), 0, "%s via %s: unload failed: %s", c->name, a->via,
                     unload_err.message);
        return;
    }
    if (rc == 0) {
        cr_expect_fail("%s via %s: expected %s, but the image loaded", c->name, a->via, code_name(c->expected));
        elfldr_unload(obj, NULL);
        return;
    }
    cr_expect_eq(err->code, c->expected, "%s via %s: expected %s, got %s: %s", c->name, a->via,
                 code_name(c->expected), code_name(err->code), err->message);
    cr_expect_eq(rc, (int)err->code, "%s via %s: returned %d but err.code is %d", c->name, a->via, rc, err->code);
    cr_expect_neq(err->message[0], '\0', "%s via %s: %s with an empty message", c->name, a->via, code_name(err->code));
    cr_expect_null(obj, "%s via %s: a failed load gave an object", c->name, a->via);
    if (c->message_has)
        cr_expect_not_null(strstr(err->message, c->message_has), "%s via %s: the message \"%s\" does not say \"%s\"",
                           c->name, a->via, err->message, c->message_has);
}

static void expect_nothing_left(const struct attempt *a)
{
    const struct counting_ops *n = &a->counting;
    cr_expect(counting_ops_clean(n), "%s via %s: left %ld reservations, %ld allocations, %ld handles",
              a->entry->name, a->via, n->reserved, n->allocated, n->opened);
    if (a->arena)
        cr_expect(a->arena->nblocks == 0 && a->arena->bytes_in_use == 0,
                  "%s via %s: the arena still holds %zu blocks (%zu bytes)", a->entry->name, a->via,
                  a->arena->nblocks, a->arena->bytes_in_use);
}

static struct elfldr_load_opts load_opts(const struct attempt *a)
{
    return (struct elfldr_load_opts){ .ops = &a->counting.ops };
}

/* Sentinels, so that a failure that forgets to fill `err` shows. */
static struct elfldr_error fresh_error(void)
{
    struct elfldr_error err = { .code = ELFLDR_E_COUNT };
    return err;
}

/* ---- the three ways ----------------------------------------------------------------------- */

static void try_arena(const struct corruption *c, const struct image *img, const struct image *victim)
{
    void *buffer = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(buffer, MAP_FAILED, "cannot map the arena: %s", strerror(errno));
    struct elfldr_arena arena;
    struct elfldr_ops arena_ops;
    cr_assert_eq(elfldr_arena_ops(&arena, buffer, ARENA_SIZE, &arena_ops), 0);

    struct attempt a = { .entry = c, .via = "arena/mem", .arena = &arena };
    counting_ops_init(&a.counting, &arena_ops);
    struct elfldr_load_opts opts = load_opts(&a);
    struct elfldr_obj *obj = NULL;
    struct elfldr_error err = fresh_error();
    int rc = elfldr_load_mem(img->bytes, img->size, c->name, &opts, &obj, &err);
    expect_outcome(&a, rc, obj, &err, victim);
    expect_nothing_left(&a);
    munmap(buffer, ARENA_SIZE);
}

static void try_linux_mem(const struct corruption *c, const struct image *img, const struct image *victim)
{
    struct elfldr_ops linux_ops;
    elfldr_linux_ops(&linux_ops);
    struct attempt a = { .entry = c, .via = "linux/mem" };
    counting_ops_init(&a.counting, &linux_ops);
    struct elfldr_load_opts opts = load_opts(&a);
    struct elfldr_obj *obj = NULL;
    struct elfldr_error err = fresh_error();
    int rc = elfldr_load_mem(img->bytes, img->size, c->name, &opts, &obj, &err);
    expect_outcome(&a, rc, obj, &err, victim);
    expect_nothing_left(&a);
}

static void write_file(const char *path, const struct image *img)
{
    FILE *file = fopen(path, "wb");
    cr_assert_not_null(file, "cannot create %s: %s", path, strerror(errno));
    cr_assert_eq(fwrite(img->bytes, 1, img->size, file), img->size, "cannot write %s", path);
    cr_assert_eq(fclose(file), 0, "cannot write %s", path);
}

/* The same bytes from a file, so that the loader maps them rather than copies them. */
static void try_linux_path(const struct corruption *c, const struct image *img, const struct image *victim)
{
    char path[] = "/tmp/elfldr-malformed-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0, "cannot create a temporary file: %s", strerror(errno));
    close(fd);
    write_file(path, img);

    struct elfldr_ops linux_ops;
    elfldr_linux_ops(&linux_ops);
    struct attempt a = { .entry = c, .via = "linux/path" };
    counting_ops_init(&a.counting, &linux_ops);
    struct elfldr_load_opts opts = load_opts(&a);
    struct elfldr_obj *obj = NULL;
    struct elfldr_error err = fresh_error();
    int rc = elfldr_load_path(path, &opts, &obj, &err);
    unlink(path);
    expect_outcome(&a, rc, obj, &err, victim);
    expect_nothing_left(&a);
}

/* ---- the table, one test per entry -------------------------------------------------------- */

static void dump_if_asked(const struct corruption *c, const struct image *img)
{
    const char *dir = getenv("MALFORMED_DUMP_DIR");
    if (!dir || !*dir)
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s.so", dir, c->name);
    write_file(path, img);
}

static bool selected(const struct corruption *c)
{
    const char *only = getenv("MALFORMED_ONLY");
    return !only || !*only || strstr(c->name, only);
}

static void free_params(struct criterion_test_params *params)
{
    cr_free(params->params);
}

ParameterizedTestParameters(malformed, corruption)
{
    size_t *indexes = cr_malloc(corruption_count * sizeof(*indexes));
    for (size_t i = 0; i < corruption_count; i++)
        indexes[i] = i;
    return cr_make_param_array(size_t, indexes, corruption_count, free_params);
}

ParameterizedTest(size_t *index, malformed, corruption, .timeout = 30)
{
    const struct corruption *c = &corruptions[*index];
    if (!selected(c))
        cr_skip_test("not selected by MALFORMED_ONLY");
    struct image victim = image_read(victim_paths[c->victim]);
    struct image img = image_copy(&victim);
    if (c->mutate)
        c->mutate(&img);
    dump_if_asked(c, &img);

    try_arena(c, &img, &victim);
    try_linux_mem(c, &img, &victim);
    try_linux_path(c, &img, &victim);

    image_free(&img);
    image_free(&victim);
}

/* The table itself: big enough, every name once, every code a real one. */
Test(malformed, table)
{
    cr_expect_geq(corruption_count, 40);
    for (size_t i = 0; i < corruption_count; i++) {
        const struct corruption *c = &corruptions[i];
        cr_expect(c->expected >= ELFLDR_OK && c->expected < ELFLDR_E_COUNT, "%s: no such code", c->name);
        for (size_t j = 0; j < i; j++)
            cr_expect_neq(strcmp(c->name, corruptions[j].name), 0, "%s: twice in the table", c->name);
    }
}

/* ---- the reloc_unknown hook --------------------------------------------------------------------- */

struct unknown_seen {
    int calls;
    uint32_t type, sym_index;
    char sym_name[64];
    int answer;
};

static int see_unknown(void *ctx, struct elfldr_reloc *r)
{
    struct unknown_seen *seen = ctx;
    seen->calls++;
    seen->type = r->type;
    seen->sym_index = r->sym_index;
    snprintf(seen->sym_name, sizeof(seen->sym_name), "%s", r->sym_name ? r->sym_name : "(null)");
    return seen->answer;
}

/* An entry of a type the loader does not know goes to the reloc_unknown hook, which sees its symbol by
 * index and by name: SKIP (the hook did it) lets the load go on; any other answer fails it as an
 * unknown type. Nothing of the object runs (NO_RUN): the entry stays undone. */
Test(malformed, an_unknown_relocation_goes_to_the_reloc_unknown_hook_with_its_symbol)
{
    struct image victim = image_read(victim_paths[VICTIM_BOTH]);
    struct image img = image_copy(&victim);
    Elf64_Rela *rela = image_need_rela(&img, HOST_R_ABS64, true);
    size_t sym = ELF64_R_SYM(rela->r_info);
    char want[64];
    snprintf(want, sizeof(want), "%s", image_sym_name(&img, sym));
    rela->r_info = ELF64_R_INFO(sym, UNKNOWN_RELOC_TYPE);

    for (int answer = ELFLDR_HOOK_SKIP; answer >= ELFLDR_HOOK_CONTINUE; answer--) {
        struct elfldr_ops linux_ops;
        elfldr_linux_ops(&linux_ops);
        struct counting_ops counting;
        counting_ops_init(&counting, &linux_ops);
        struct unknown_seen seen = {.answer = answer};
        struct elfldr_hooks hooks = {.ctx = &seen, .reloc_unknown = see_unknown};
        struct elfldr_load_opts opts = {.ops = &counting.ops, .hooks = &hooks, .flags = ELFLDR_LOAD_NO_RUN};
        struct elfldr_obj *obj = NULL;
        struct elfldr_error err = fresh_error();
        int rc = elfldr_load_mem(img.bytes, img.size, "unknown-type", &opts, &obj, &err);
        cr_assert_eq(seen.calls, 1, "the hook was called %d times", seen.calls);
        cr_assert_eq(seen.type, UNKNOWN_RELOC_TYPE);
        cr_assert_eq(seen.sym_index, sym);
        cr_assert_str_eq(seen.sym_name, want, "the hook saw the symbol as %s", seen.sym_name);
        if (answer == ELFLDR_HOOK_SKIP) {
            cr_assert_eq(rc, 0, "%s", err.message);
            cr_assert_eq(elfldr_unload(obj, NULL), 0);
        } else {
            cr_assert_eq(rc, ELFLDR_E_RELOC_TYPE, "rc %d: %s", rc, err.message);
        }
        cr_assert(counting_ops_clean(&counting), "something was left");
    }
    image_free(&img);
    image_free(&victim);
}
