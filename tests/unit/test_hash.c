/* The same library linked three ways: only DT_HASH (and -z now), only DT_GNU_HASH, and with its RELATIVE
 * relocations packed into DT_RELR. Each must resolve every symbol it exports and run correctly. The test
 * first checks the file really is what its name says, so a toolchain change cannot make it vacuous. */
#include "elf_file.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>

typedef int (*int_fn)(void);
typedef int (*apply_fn)(int, int, int);

/* Every defined, exported symbol of the file's .dynsym is found, at its file address plus the bias. */
static void check_every_export_resolves(const struct elfldr_obj *obj, const struct elf_file *file)
{
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);
    struct file_sym *syms;
    size_t nsyms = elf_file_dynsyms(file, &syms);
    size_t checked = 0;
    for (size_t i = 0; i < nsyms; i++) {
        if (syms[i].shndx == SHN_UNDEF || syms[i].bind == STB_LOCAL)
            continue;
        void *address = elfldr_sym(obj, syms[i].name);
        cr_assert_not_null(address, "exported symbol %s not found", syms[i].name);
        cr_assert_eq((uintptr_t)address, info.load_bias + syms[i].value, "%s at %p, expected %#lx",
                     syms[i].name, address, (unsigned long)(info.load_bias + syms[i].value));
        checked++;
    }
    cr_assert_geq(checked, 9, "only %zu exported symbols", checked);
    free(syms);
}

static void check_library(const struct elfldr_obj *obj)
{
    cr_assert_eq(SYM_FN(obj, int_fn, "data_name_length_sum")(), 19);
    cr_assert_eq(SYM_FN(obj, apply_fn, "data_apply")(2, 6, 7), 42);
    cr_assert_eq(SYM_FN(obj, int_fn, "data_chain_sum")(), 337);
    cr_assert_eq(SYM_FN(obj, int_fn, "data_weak_is_bound")(), 0);
    cr_assert_null(elfldr_sym(obj, "data_no_such_symbol"));
    cr_assert_null(elfldr_sym(obj, "data_hidden"));
}

TEST_EVERY_WAY(hash, sysv_only)
{
    struct elf_file file;
    elf_file_read(FIXTURE_DATA_SYSV, &file);
    cr_assert(elf_file_dyn(&file, DT_HASH, NULL), "the fixture has no DT_HASH");
    cr_assert_not(elf_file_dyn(&file, DT_GNU_HASH, NULL), "the fixture has DT_GNU_HASH");

    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_DATA_SYSV, NULL);
    check_every_export_resolves(obj, &file);
    check_library(obj);
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);
    cr_assert(info.bind_now, "linked with -z now but bind_now is not set");
    harness_unload_ok(h, obj);
    elf_file_free(&file);
}

TEST_EVERY_WAY(hash, gnu_only)
{
    struct elf_file file;
    elf_file_read(FIXTURE_DATA_GNU, &file);
    cr_assert(elf_file_dyn(&file, DT_GNU_HASH, NULL), "the fixture has no DT_GNU_HASH");
    cr_assert_not(elf_file_dyn(&file, DT_HASH, NULL), "the fixture has DT_HASH");

    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_DATA_GNU, NULL);
    check_every_export_resolves(obj, &file);
    check_library(obj);
    harness_unload_ok(h, obj);
    elf_file_free(&file);
}

TEST_EVERY_WAY(hash, both)
{
    struct elf_file file;
    elf_file_read(FIXTURE_DATA, &file);
    cr_assert(elf_file_dyn(&file, DT_GNU_HASH, NULL));
    cr_assert(elf_file_dyn(&file, DT_HASH, NULL));

    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_DATA, NULL);
    check_every_export_resolves(obj, &file);
    check_library(obj);
    harness_unload_ok(h, obj);
    elf_file_free(&file);
}

#ifdef FIXTURE_DATA_RELR
TEST_EVERY_WAY(relr, packed_relative_relocations)
{
    struct elf_file file;
    elf_file_read(FIXTURE_DATA_RELR, &file);
    uint64_t relr_size = 0;
    cr_assert(elf_file_dyn(&file, DT_RELR, NULL), "the fixture has no DT_RELR");
    cr_assert(elf_file_dyn(&file, DT_RELRSZ, &relr_size));
    cr_assert_gt(relr_size, 0);

    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_DATA_RELR, NULL);
    check_every_export_resolves(obj, &file);
    check_library(obj);
    harness_unload_ok(h, obj);
    elf_file_free(&file);
}
#endif

static void record_import(void *ctx, const struct elfldr_reloc *r)
{
    if (r->sym_name && strcmp(r->sym_name, "noexport_import") == 0)
        *(int *)ctx += r->value == 0 ? 1 : 1000;
}

/* A GNU hash table that hashes no symbol does not count the undefined ones after its symoffset: the
 * import must still be found by index and bound (weak, to 0), not refused as out of range. */
TEST_EVERY_WAY(hash, gnu_table_that_hashes_no_symbol)
{
    struct elf_file file;
    elf_file_read(FIXTURE_NOEXPORT, &file);
    cr_assert(elf_file_dyn(&file, DT_GNU_HASH, NULL), "the fixture has no DT_GNU_HASH");
    cr_assert_not(elf_file_dyn(&file, DT_HASH, NULL), "the fixture has DT_HASH");
    struct file_sym *syms;
    size_t nsyms = elf_file_dynsyms(&file, &syms);
    bool imports = false;
    for (size_t i = 0; i < nsyms; i++) {
        cr_assert(syms[i].shndx == SHN_UNDEF || syms[i].bind == STB_LOCAL, "the fixture exports %s", syms[i].name);
        imports |= strcmp(syms[i].name, "noexport_import") == 0;
    }
    cr_assert(imports, "the fixture does not import noexport_import");
    free(syms);

    int bound = 0;
    struct elfldr_hooks hooks = {.ctx = &bound, .reloc_after = record_import};
    struct elfldr_load_opts opts = {.hooks = &hooks};
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_NOEXPORT, &opts);
    cr_assert_eq(bound, 1, "noexport_import bound %d times (1000 per non-zero value)", bound);
    harness_unload_ok(h, obj);
    elf_file_free(&file);
}
