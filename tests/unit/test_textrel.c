/* DT_TEXTREL: relocations in a read-only, executable segment are applied (the segment is made writable
 * for them), and afterwards the segment has its own protections again. */
#include "harness.h"

#include <elf.h>

#ifdef FIXTURE_TEXTREL

typedef int (*int_fn)(void);
typedef int *(*address_fn)(void);

TEST_EVERY_WAY(textrel, text_relocations_are_applied_and_text_protected_again)
{
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_TEXTREL, NULL);
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);
    cr_assert(info.textrel, "the fixture was not marked DT_TEXTREL");

    int *value = sym_ok(obj, "textrel_value");
    cr_assert_eq(SYM_FN(obj, address_fn, "textrel_address")(), value, "the text's absolute address is wrong");
    cr_assert_eq(SYM_FN(obj, int_fn, "textrel_read")(), 6);
    *value = 41;
    cr_assert_eq(SYM_FN(obj, int_fn, "textrel_read")(), 42);

    if (harness_is_linux(h)) {
        for (size_t i = 0; i < info.phnum; i++) {
            const struct elfldr_phdr *ph = &info.phdrs[i];
            if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
                continue;
            char perms[5];
            cr_assert(maps_permissions(info.load_bias + ph->p_vaddr, perms));
            cr_assert_eq(perms[1], '-', "the text segment stayed writable after relocation (%s)", perms);
            cr_assert_eq(perms[2], 'x');
        }
    }
    harness_unload_ok(h, obj);
}

#endif
