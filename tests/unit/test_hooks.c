/* The hooks: resolve (supply, skip, refuse), reloc_before/reloc_after (they see every relocation the file
 * holds, and a before-hook can change or refuse one), and on_phdr (every program header). */
#include "elf_file.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*int_fn)(void);

/* ---- resolve ------------------------------------------------------------------------------------ */

TEST_EVERY_WAY(hooks, undefined_symbol_fails_naming_it)
{
    struct elfldr_obj *obj = NULL;
    struct elfldr_error err;
    int rc = harness_load(h, FIXTURE_UNDEF, NULL, &obj, &err);
    harness_assert_load_failed(h, rc, &err, ELFLDR_E_UNDEFINED, "fixture_undefined_data");
    cr_assert_null(obj);
}

static int resolve_skip(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                        uintptr_t *addr)
{
    (void)obj, (void)name, (void)version, (void)addr;
    ++*(int *)ctx;
    return ELFLDR_HOOK_SKIP;
}

TEST_EVERY_WAY(hooks, skipping_a_strong_symbol_still_fails)
{
    int calls = 0;
    struct elfldr_hooks hooks = {.ctx = &calls, .resolve = resolve_skip};
    struct elfldr_load_opts opts = {.hooks = &hooks};
    struct elfldr_obj *obj = NULL;
    struct elfldr_error err;
    int rc = harness_load(h, FIXTURE_UNDEF, &opts, &obj, &err);
    harness_assert_load_failed(h, rc, &err, ELFLDR_E_UNDEFINED, "fixture_undefined_data");
    cr_assert_geq(calls, 1, "the resolve hook was never asked");
}

static int supplied_data = 31337;

static int resolve_supply(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                          uintptr_t *addr)
{
    (void)ctx, (void)obj;
    cr_assert_null(version, "an unversioned reference came with version %s", version);
    if (strcmp(name, "fixture_undefined_data") != 0)
        return ELFLDR_HOOK_SKIP;
    *addr = (uintptr_t)&supplied_data;
    return ELFLDR_HOOK_CONTINUE;
}

TEST_EVERY_WAY(hooks, resolve_supplies_a_symbol)
{
    struct elfldr_hooks hooks = {.resolve = resolve_supply};
    struct elfldr_load_opts opts = {.hooks = &hooks};
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_UNDEF, &opts);
    cr_assert_eq(SYM_FN(obj, int_fn, "undef_read")(), 31337);
    supplied_data = 5;
    cr_assert_eq(SYM_FN(obj, int_fn, "undef_read")(), 5);
    harness_unload_ok(h, obj);
}

static int resolve_refuse(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                          uintptr_t *addr)
{
    (void)ctx, (void)obj, (void)name, (void)version, (void)addr;
    return ELFLDR_HOOK_REFUSE;
}

TEST_EVERY_WAY(hooks, resolve_refusal_fails_naming_the_symbol)
{
    struct elfldr_hooks hooks = {.resolve = resolve_refuse};
    struct elfldr_load_opts opts = {.hooks = &hooks};
    struct elfldr_obj *obj = NULL;
    struct elfldr_error err;
    int rc = harness_load(h, FIXTURE_UNDEF, &opts, &obj, &err);
    harness_assert_load_failed(h, rc, &err, ELFLDR_E_REFUSED, "fixture_undefined_data");
    cr_assert_null(obj);
}

/* A weak reference the hook refuses is refused too: refusing is the caller's veto, not a lookup miss. */
TEST_EVERY_WAY(hooks, resolve_refusal_of_a_weak_symbol_fails)
{
    struct elfldr_hooks hooks = {.resolve = resolve_refuse};
    struct elfldr_load_opts opts = {.hooks = &hooks};
    struct elfldr_obj *obj = NULL;
    struct elfldr_error err;
    int rc = harness_load(h, FIXTURE_DATA, &opts, &obj, &err);
    harness_assert_load_failed(h, rc, &err, ELFLDR_E_REFUSED, "data_weak_missing");
}

/* ---- relocations -------------------------------------------------------------------------------- */

struct seen_reloc {
    struct elfldr_reloc before, after;
    bool has_after;
    bool memory_matched; /* after: the target held `value` (for 64-bit classes) */
    char sym_name[64];
};

struct reloc_log {
    struct seen_reloc *relocs;
    size_t nbefore, nafter, capacity;
    /* Optional steering by the before-hook. */
    const char *override_name;
    enum elfldr_reloc_class override_class;
    uintptr_t override_value;
    const char *refuse_name;
};

static bool writes_a_word(enum elfldr_reloc_class rclass)
{
    return rclass == ELFLDR_RC_RELATIVE || rclass == ELFLDR_RC_ABS64 || rclass == ELFLDR_RC_GLOB_DAT
        || rclass == ELFLDR_RC_JUMP_SLOT || rclass == ELFLDR_RC_IRELATIVE;
}

static int log_before(void *ctx, struct elfldr_reloc *r)
{
    struct reloc_log *log = ctx;
    if (log->nbefore == log->capacity) {
        log->capacity = log->capacity ? 2 * log->capacity : 64;
        log->relocs = realloc(log->relocs, log->capacity * sizeof(*log->relocs));
        cr_assert_not_null(log->relocs);
    }
    struct seen_reloc *seen = &log->relocs[log->nbefore++];
    memset(seen, 0, sizeof(*seen));
    seen->before = *r;
    if (r->sym_name != NULL)
        snprintf(seen->sym_name, sizeof(seen->sym_name), "%s", r->sym_name);

    if (log->refuse_name != NULL && r->sym_name != NULL && strcmp(r->sym_name, log->refuse_name) == 0)
        return ELFLDR_HOOK_REFUSE;
    if (log->override_name != NULL && r->sym_name != NULL && r->rclass == log->override_class
        && strcmp(r->sym_name, log->override_name) == 0)
        r->value = log->override_value;
    return ELFLDR_HOOK_CONTINUE;
}

/* Matches the after-call to its before-call: the one at the same place with no after yet. */
static void log_after(void *ctx, const struct elfldr_reloc *r)
{
    struct reloc_log *log = ctx;
    log->nafter++;
    for (size_t i = log->nbefore; i-- > 0;) {
        struct seen_reloc *seen = &log->relocs[i];
        if (seen->has_after || seen->before.where != r->where || seen->before.type != r->type)
            continue;
        seen->has_after = true;
        seen->after = *r;
        seen->memory_matched = !writes_a_word(r->rclass) || *(const uint64_t *)r->where == r->value;
        return;
    }
    cr_assert_fail("reloc_after at %#lx without a reloc_before", (unsigned long)r->where);
}

#if defined(__x86_64__)
/* What the host's relocation types are expected to be reported as. */
static enum elfldr_reloc_class expected_class(uint32_t type)
{
    switch (type) {
    case R_X86_64_RELATIVE: return ELFLDR_RC_RELATIVE;
    case R_X86_64_64: return ELFLDR_RC_ABS64;
    case R_X86_64_GLOB_DAT: return ELFLDR_RC_GLOB_DAT;
    case R_X86_64_JUMP_SLOT: return ELFLDR_RC_JUMP_SLOT;
    case R_X86_64_IRELATIVE: return ELFLDR_RC_IRELATIVE;
    default: return ELFLDR_RC_UNKNOWN;
    }
}
#endif

/* Every relocation of the file was shown to both hooks once, at the right place and with the right type
 * and symbol, and the after-hook saw the value that was really written. */
static void check_log_against_file(const struct reloc_log *log, const struct elfldr_obj *obj, const char *path)
{
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);
    struct elf_file file;
    elf_file_read(path, &file);
    struct file_reloc *relocs;
    size_t nrelocs = elf_file_relocs(&file, &relocs);
    cr_assert_gt(nrelocs, 0, "%s has no relocations", path);
    cr_assert_eq(log->nbefore, nrelocs, "reloc_before saw %zu relocations, the file has %zu", log->nbefore,
                 nrelocs);
    cr_assert_eq(log->nafter, nrelocs, "reloc_after saw %zu relocations, the file has %zu", log->nafter,
                 nrelocs);

    bool *matched = calloc(log->nbefore, sizeof(*matched));
    for (size_t i = 0; i < nrelocs; i++) {
        uintptr_t where = info.load_bias + relocs[i].offset;
        size_t j = 0;
        for (; j < log->nbefore; j++) {
            const struct elfldr_reloc *r = &log->relocs[j].before;
            if (matched[j] || r->where != where)
                continue;
            if (relocs[i].from_relr ? r->rclass == ELFLDR_RC_RELATIVE
                                    : r->type == relocs[i].type && r->sym_index == relocs[i].sym_index)
                break;
        }
        cr_assert_lt(j, log->nbefore, "file relocation %zu (type %u, offset %#lx%s) was not shown to the hooks",
                     i, relocs[i].type, (unsigned long)relocs[i].offset, relocs[i].from_relr ? ", RELR" : "");
        matched[j] = true;

        const struct seen_reloc *seen = &log->relocs[j];
        cr_assert(seen->has_after, "relocation at %#lx had no reloc_after", (unsigned long)where);
        cr_assert_eq(seen->before.obj, obj);
        cr_assert_eq(seen->after.obj, obj);
        cr_assert_eq(seen->before.sym_name != NULL, seen->before.sym_index != 0,
                     "relocation at %#lx: sym_index %u but sym_name %s", (unsigned long)where,
                     seen->before.sym_index, seen->before.sym_name ? "set" : "NULL");
        cr_assert(seen->memory_matched, "relocation at %#lx: memory does not hold the value reloc_after saw",
                  (unsigned long)where);
        cr_assert(where >= info.base && where < info.base + info.span);
#if defined(__x86_64__)
        if (!relocs[i].from_relr)
            cr_assert_eq(seen->before.rclass, expected_class(relocs[i].type),
                         "relocation type %u reported as class %d", relocs[i].type, seen->before.rclass);
#endif
    }
    free(matched);
    free(relocs);
    elf_file_free(&file);
}

static void check_reloc_hooks(struct harness *h, const char *path, struct elfldr_obj *const *scope,
                              size_t scope_len)
{
    struct reloc_log log = {0};
    struct elfldr_hooks hooks = {.ctx = &log, .reloc_before = log_before, .reloc_after = log_after};
    struct elfldr_load_opts opts = {.hooks = &hooks, .scope = scope, .scope_len = scope_len};
    struct elfldr_obj *obj = harness_load_ok(h, path, &opts);
    check_log_against_file(&log, obj, path);
    free(log.relocs);
    harness_unload_ok(h, obj);
}

TEST_EVERY_WAY(hooks, reloc_hooks_see_every_relocation_of_libdata)
{
    check_reloc_hooks(h, FIXTURE_DATA, NULL, 0);
}

TEST_EVERY_WAY(hooks, reloc_hooks_see_every_relocation_of_libcaller)
{
    struct elfldr_obj *callee = harness_load_ok(h, FIXTURE_CALLEE, NULL);
    struct elfldr_obj *const scope[] = {callee};
    check_reloc_hooks(h, FIXTURE_CALLER, scope, 1);
    harness_unload_ok(h, callee);
}

TEST_EVERY_WAY(hooks, reloc_hooks_see_every_relocation_of_libifunc)
{
    check_reloc_hooks(h, FIXTURE_IFUNC, NULL, 0);
}

#ifdef FIXTURE_DATA_RELR
TEST_EVERY_WAY(hooks, reloc_hooks_see_every_relr_relocation)
{
    check_reloc_hooks(h, FIXTURE_DATA_RELR, NULL, 0);
}
#endif

TEST_EVERY_WAY(hooks, reloc_before_can_change_the_value)
{
    static int replacement = 999;
    struct elfldr_obj *callee = harness_load_ok(h, FIXTURE_CALLEE, NULL);
    struct elfldr_obj *const scope[] = {callee};
    struct reloc_log log = {
        .override_name = "callee_value",
        .override_class = ELFLDR_RC_GLOB_DAT,
        .override_value = (uintptr_t)&replacement,
    };
    struct elfldr_hooks hooks = {.ctx = &log, .reloc_before = log_before, .reloc_after = log_after};
    struct elfldr_load_opts opts = {.hooks = &hooks, .scope = scope, .scope_len = 1};
    struct elfldr_obj *caller = harness_load_ok(h, FIXTURE_CALLER, &opts);

    /* The GOT entry now points at the replacement; the absolute pointer to the same symbol does not. */
    cr_assert_eq(SYM_FN(caller, int_fn, "caller_read_value")(), 999);
    cr_assert_eq(SYM_FN(caller, int_fn, "caller_read_value_via_pointer")(), 4242);
    bool after_saw_it = false;
    for (size_t i = 0; i < log.nbefore; i++)
        after_saw_it |= log.relocs[i].has_after && log.relocs[i].after.value == (uintptr_t)&replacement;
    cr_assert(after_saw_it, "reloc_after was not shown the changed value");
    free(log.relocs);

    harness_unload_ok(h, caller);
    harness_unload_ok(h, callee);
}

TEST_EVERY_WAY(hooks, reloc_before_refusal_fails_cleanly)
{
    struct elfldr_obj *callee = harness_load_ok(h, FIXTURE_CALLEE, NULL);
    struct elfldr_obj *const scope[] = {callee};
    struct reloc_log log = {.refuse_name = "callee_twice"};
    struct elfldr_hooks hooks = {.ctx = &log, .reloc_before = log_before, .reloc_after = log_after};
    struct elfldr_load_opts opts = {.hooks = &hooks, .scope = scope, .scope_len = 1};
    struct elfldr_obj *caller = NULL;
    struct elfldr_error err;
    int rc = harness_load(h, FIXTURE_CALLER, &opts, &caller, &err);
    free(log.relocs);
    cr_assert_neq(rc, ELFLDR_OK);
    cr_assert_eq(err.code, ELFLDR_E_REFUSED, "failed with %s: %s", elfldr_strerror(err.code), err.message);
    cr_assert_null(caller);

    harness_unload_ok(h, callee);
    harness_assert_clean(h);
}

/* ---- program headers ------------------------------------------------------------------------------ */

struct phdr_log {
    struct elfldr_phdr phdrs[32];
    unsigned seen_count[32];
    uintptr_t load_bias[32];
    size_t calls;
    int refuse_index; /* -1: none */
};

static int log_phdr(void *ctx, const struct elfldr_obj *obj, unsigned index, const struct elfldr_phdr *ph,
                    uintptr_t load_bias)
{
    (void)obj;
    struct phdr_log *log = ctx;
    log->calls++;
    cr_assert_lt(index, 32);
    log->phdrs[index] = *ph;
    log->seen_count[index]++;
    log->load_bias[index] = load_bias;
    return (int)index == log->refuse_index ? ELFLDR_HOOK_REFUSE : ELFLDR_HOOK_CONTINUE;
}

TEST_EVERY_WAY(hooks, on_phdr_sees_every_program_header)
{
    struct phdr_log log = {.refuse_index = -1};
    struct elfldr_hooks hooks = {.ctx = &log, .on_phdr = log_phdr};
    struct elfldr_load_opts opts = {.hooks = &hooks};
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_DATA, &opts);
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);

    struct elf_file file;
    elf_file_read(FIXTURE_DATA, &file);
    cr_assert_eq(log.calls, file.ehdr->e_phnum, "on_phdr called %zu times for %u headers", log.calls,
                 file.ehdr->e_phnum);
    for (size_t i = 0; i < file.ehdr->e_phnum; i++) {
        const Elf64_Phdr *ph = elf_file_phdr(&file, i);
        cr_assert_eq(log.seen_count[i], 1, "header %zu shown %u times", i, log.seen_count[i]);
        cr_assert_eq(log.phdrs[i].p_type, ph->p_type, "header %zu", i);
        cr_assert_eq(log.phdrs[i].p_flags, ph->p_flags, "header %zu", i);
        cr_assert_eq(log.phdrs[i].p_offset, ph->p_offset, "header %zu", i);
        cr_assert_eq(log.phdrs[i].p_vaddr, ph->p_vaddr, "header %zu", i);
        cr_assert_eq(log.phdrs[i].p_filesz, ph->p_filesz, "header %zu", i);
        cr_assert_eq(log.phdrs[i].p_memsz, ph->p_memsz, "header %zu", i);
        cr_assert_eq(log.phdrs[i].p_align, ph->p_align, "header %zu", i);
        cr_assert_eq(log.load_bias[i], info.load_bias, "header %zu was shown bias %#lx, the object has %#lx",
                     i, (unsigned long)log.load_bias[i], (unsigned long)info.load_bias);
    }
    elf_file_free(&file);
    harness_unload_ok(h, obj);
}

TEST_EVERY_WAY(hooks, on_phdr_refusal_fails_cleanly)
{
    struct elf_file file;
    elf_file_read(FIXTURE_DATA, &file);
    int second_load = -1;
    for (size_t i = 0, loads = 0; i < file.ehdr->e_phnum && second_load < 0; i++)
        if (elf_file_phdr(&file, i)->p_type == PT_LOAD && ++loads == 2)
            second_load = (int)i;
    elf_file_free(&file);
    cr_assert_geq(second_load, 0);

    /* Refusing the second PT_LOAD: the first may already be mapped, and must be undone. */
    struct phdr_log log = {.refuse_index = second_load};
    struct elfldr_hooks hooks = {.ctx = &log, .on_phdr = log_phdr};
    struct elfldr_load_opts opts = {.hooks = &hooks};
    struct elfldr_obj *obj = NULL;
    struct elfldr_error err;
    int rc = harness_load(h, FIXTURE_DATA, &opts, &obj, &err);
    harness_assert_load_failed(h, rc, &err, ELFLDR_E_REFUSED, NULL);
    cr_assert_null(obj);
}
