/* R_*_COPY in an executable: the value comes from the defining object in the scope, into the
 * executable's own storage; without that object in scope the load fails naming the symbol. */
#include "harness.h"

#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*int_fn)(void);
typedef int *(*address_fn)(void);

static bool has_copy_relocs(const char *path)
{
    char command[512];
    snprintf(command, sizeof(command), "readelf -rW '%s' | grep -q _COPY", path);
    return system(command) == 0;
}

TEST_EVERY_WAY(copy, executable_gets_a_copy_of_the_library_data)
{
    cr_assert(has_copy_relocs(FIXTURE_COPYEXE), "the fixture has no COPY relocation");
    struct elfldr_obj *callee = harness_load_ok(h, FIXTURE_CALLEE, NULL);
    struct elfldr_load_opts opts = {.scope = &callee, .scope_len = 1};
    struct elfldr_obj *exe = harness_load_ok(h, FIXTURE_COPYEXE, &opts);

    cr_assert_eq(SYM_FN(exe, int_fn, "copy_read")(), 4242);
    cr_assert_eq(SYM_FN(exe, int_fn, "copy_table_sum")(), 100);
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(exe, &info), 0);
    uintptr_t copy = (uintptr_t)SYM_FN(exe, address_fn, "copy_address")();
    cr_assert(copy >= info.base && copy < info.base + info.span, "the copy is not in the executable's image");
    cr_assert_neq(copy, (uintptr_t)sym_ok(callee, "callee_value"), "no copy was made");

    harness_unload_ok(h, exe);
    harness_unload_ok(h, callee);
}

TEST_EVERY_WAY(copy, without_the_defining_object_the_load_fails)
{
    struct elfldr_obj *exe = NULL;
    struct elfldr_error err;
    int rc = harness_load(h, FIXTURE_COPYEXE, NULL, &exe, &err);
    cr_assert_eq(rc, ELFLDR_E_UNDEFINED, "got %d: %s", rc, err.message);
    cr_assert(strstr(err.message, "callee_"), "the message does not name the symbol: %s", err.message);
    harness_assert_clean(h);
}
