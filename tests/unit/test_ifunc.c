/* STT_GNU_IFUNC: a lookup of an exported IFUNC gives the resolver's choice, and the library's own
 * R_*_IRELATIVE relocations are resolved at load by calling their resolvers. */
#include "elf_file.h"
#include "harness.h"

#include <stdlib.h>

typedef int (*int_fn)(void);

TEST_EVERY_WAY(ifunc, exported_ifunc_gives_the_resolved_function)
{
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_IFUNC, NULL);

    uintptr_t address = 0;
    const struct elfldr_sym *sym = NULL;
    cr_assert_eq(elfldr_lookup(obj, "ifunc_answer", NULL, &address, &sym), 0);
    cr_assert_not_null(sym);
    cr_assert_eq(sym->st_info & 0xf, STT_GNU_IFUNC, "the fixture's ifunc_answer is not an IFUNC");

    int_fn answer = SYM_FN(obj, int_fn, "ifunc_answer");
    cr_assert_eq(answer(), 42, "elfldr_sym returned something other than the resolver's answer");
    cr_assert_eq((uintptr_t)answer, address);

    harness_unload_ok(h, obj);
}

TEST_EVERY_WAY(ifunc, irelative_relocations_are_resolved_at_load)
{
    struct elf_file file;
    elf_file_read(FIXTURE_IFUNC, &file);
    struct file_reloc *relocs;
    size_t nrelocs = elf_file_relocs(&file, &relocs);
    size_t irelative = 0;
    for (size_t i = 0; i < nrelocs; i++)
        irelative += relocs[i].type == HOST_R_IRELATIVE;
    free(relocs);
    elf_file_free(&file);
    cr_assert_geq(irelative, 1, "the fixture has no IRELATIVE relocation");

    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_IFUNC, NULL);
    /* Before anything is looked up or called, the IRELATIVE resolvers already ran. */
    cr_assert_geq(SYM_FN(obj, int_fn, "ifunc_resolver_calls")(), 1, "no resolver ran during the load");
    cr_assert_eq(SYM_FN(obj, int_fn, "ifunc_call_local")(), 77);
    cr_assert_eq(SYM_FN(obj, int_fn, "ifunc_call_local_via_pointer")(), 77);
    harness_unload_ok(h, obj);
}
