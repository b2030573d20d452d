/* libcaller binds to libcallee (its DT_NEEDED) through GLOB_DAT, JUMP_SLOT and 64-bit absolute
 * relocations, with libcallee given as the scope. */
#include "harness.h"

#include <string.h>

typedef int (*int_fn)(void);
typedef int (*int_int_fn)(int);
typedef int *(*int_ptr_fn)(void);

static struct elfldr_obj *load_caller(struct harness *h, struct elfldr_obj *callee)
{
    struct elfldr_obj *const scope[] = {callee};
    struct elfldr_load_opts opts = {.scope = scope, .scope_len = 1};
    return harness_load_ok(h, FIXTURE_CALLER, &opts);
}

TEST_EVERY_WAY(cross, caller_binds_to_callee)
{
    struct elfldr_obj *callee = harness_load_ok(h, FIXTURE_CALLEE, NULL);
    struct elfldr_obj *caller = load_caller(h, callee);

    cr_assert_eq(SYM_FN(caller, int_int_fn, "caller_call_twice")(21), 42);
    cr_assert_eq(SYM_FN(caller, int_int_fn, "caller_call_twice_via_pointer")(50), 100);
    cr_assert_eq(SYM_FN(caller, int_fn, "caller_read_value")(), 4242);
    cr_assert_eq(SYM_FN(caller, int_fn, "caller_read_value_via_pointer")(), 4242);
    cr_assert_eq(SYM_FN(caller, int_fn, "caller_read_third_via_pointer")(), 30);

    harness_unload_ok(h, caller);
    harness_unload_ok(h, callee);
}

TEST_EVERY_WAY(cross, caller_sees_the_callee_objects_themselves)
{
    struct elfldr_obj *callee = harness_load_ok(h, FIXTURE_CALLEE, NULL);
    struct elfldr_obj *caller = load_caller(h, callee);

    int *callee_value = sym_ok(callee, "callee_value");
    cr_assert_eq(SYM_FN(caller, int_ptr_fn, "caller_value_address")(), callee_value,
                 "the caller's GOT points somewhere other than the callee's definition");

    /* A change made through one object is seen through the other. */
    cr_assert_eq(SYM_FN(caller, int_fn, "caller_bump")(), 4243);
    cr_assert_eq(*callee_value, 4243);
    *callee_value = 7;
    cr_assert_eq(SYM_FN(caller, int_fn, "caller_read_value")(), 7);
    cr_assert_eq(SYM_FN(caller, int_fn, "caller_read_value_via_pointer")(), 7);
    cr_assert_eq(SYM_FN(callee, int_fn, "callee_bump")(), 8);
    cr_assert_eq(SYM_FN(caller, int_fn, "caller_read_value")(), 8);

    harness_unload_ok(h, caller);
    harness_unload_ok(h, callee);
}

TEST_EVERY_WAY(cross, needed_entries_are_reported)
{
    struct elfldr_obj *callee = harness_load_ok(h, FIXTURE_CALLEE, NULL);
    struct elfldr_obj *caller = load_caller(h, callee);

    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(caller, &info), 0);
    cr_assert_eq(info.needed_count, 1);
    cr_assert_not_null(elfldr_needed(caller, 0));
    cr_assert_str_eq(elfldr_needed(caller, 0), "libcallee.so");
    cr_assert_null(elfldr_needed(caller, 1));
    cr_assert_str_eq(info.soname, "libcaller.so");

    cr_assert_eq(elfldr_get_info(callee, &info), 0);
    cr_assert_eq(info.needed_count, 0);
    cr_assert_str_eq(info.soname, "libcallee.so");

    harness_unload_ok(h, caller);
    harness_unload_ok(h, callee);
}

/* The scope is searched in order: a first object without the symbols does not hide the second. */
TEST_EVERY_WAY(cross, scope_is_searched_past_unrelated_objects)
{
    struct elfldr_obj *data = harness_load_ok(h, FIXTURE_DATA, NULL);
    struct elfldr_obj *callee = harness_load_ok(h, FIXTURE_CALLEE, NULL);
    struct elfldr_obj *const scope[] = {data, callee};
    struct elfldr_load_opts opts = {.scope = scope, .scope_len = 2};
    struct elfldr_obj *caller = harness_load_ok(h, FIXTURE_CALLER, &opts);

    cr_assert_eq(SYM_FN(caller, int_int_fn, "caller_call_twice")(5), 10);
    cr_assert_eq(SYM_FN(caller, int_fn, "caller_read_value")(), 4242);

    harness_unload_ok(h, caller);
    harness_unload_ok(h, callee);
    harness_unload_ok(h, data);
}

/* The first object of the scope that defines a symbol wins. */
TEST_EVERY_WAY(cross, first_definition_in_scope_wins)
{
    struct elfldr_obj *first = harness_load_ok(h, FIXTURE_CALLEE, NULL);
    struct elfldr_obj *second = harness_load_ok(h, FIXTURE_CALLEE, NULL);
    int *first_value = sym_ok(first, "callee_value");
    int *second_value = sym_ok(second, "callee_value");
    cr_assert_neq(first_value, second_value);
    *second_value = 2;

    struct elfldr_obj *const scope[] = {first, second};
    struct elfldr_load_opts opts = {.scope = scope, .scope_len = 2};
    struct elfldr_obj *caller = harness_load_ok(h, FIXTURE_CALLER, &opts);
    cr_assert_eq(SYM_FN(caller, int_ptr_fn, "caller_value_address")(), first_value);
    cr_assert_eq(SYM_FN(caller, int_fn, "caller_read_value")(), 4242);

    harness_unload_ok(h, caller);
    harness_unload_ok(h, second);
    harness_unload_ok(h, first);
}

TEST_EVERY_WAY(cross, caller_without_scope_fails_cleanly)
{
    struct elfldr_obj *caller = NULL;
    struct elfldr_error err;
    int rc = harness_load(h, FIXTURE_CALLER, NULL, &caller, &err);
    harness_assert_load_failed(h, rc, &err, ELFLDR_E_UNDEFINED, "callee_");
    cr_assert_null(caller);
}
