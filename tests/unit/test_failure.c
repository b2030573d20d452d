/* A failure at any step undoes every step before it. The counting table makes its Nth call fail, for
 * every N until the load succeeds: each failed load must report an error with a message and leave no
 * reservation, allocation, handle or arena block behind. */
#include "harness.h"

typedef int (*int_fn)(void);

#define MAX_STEPS 10000

static bool is_platform_failure(enum elfldr_err code)
{
    return code == ELFLDR_E_NOMEM || code == ELFLDR_E_MAP || code == ELFLDR_E_PROTECT
        || code == ELFLDR_E_OPEN || code == ELFLDR_E_IO;
}

/* Returns how many calls could be made to fail before the load went through. */
static long fail_each_step(struct harness *h, const char *path, const struct elfldr_load_opts *opts,
                           void (*check_loaded)(const struct elfldr_obj *obj))
{
    for (long step = 1; step <= MAX_STEPS; step++) {
        h->counting.calls = 0;
        h->counting.fail_at = step;
        struct elfldr_obj *obj = NULL;
        struct elfldr_error err;
        int rc = harness_load(h, path, opts, &obj, &err);
        h->counting.fail_at = 0;
        if (rc == ELFLDR_OK) {
            /* Past the last call: the load no longer meets a failure. */
            cr_assert_lt(h->counting.calls, step, "call %ld failed, yet the load succeeded", step);
            check_loaded(obj);
            harness_unload_ok(h, obj);
            harness_assert_clean(h);
            return step - 1;
        }
        cr_assert_null(obj, "step %ld: a failed load returned an object", step);
        cr_assert(is_platform_failure(err.code), "step %ld: failed with %s (%s)", step,
                  elfldr_strerror(err.code), err.message);
        cr_assert_neq(err.message[0], '\0', "step %ld: no message", step);
        cr_assert_eq(h->counting.reserved, 0, "step %ld (%s): %ld reservations left", step, err.message,
                     h->counting.reserved);
        cr_assert_eq(h->counting.allocated, 0, "step %ld (%s): %ld allocations left", step, err.message,
                     h->counting.allocated);
        cr_assert_eq(h->counting.opened, 0, "step %ld (%s): %ld handles left", step, err.message,
                     h->counting.opened);
        if (h->way == WAY_ARENA_MEM)
            cr_assert_eq(h->arena.nblocks, 0, "step %ld (%s): %zu arena blocks left", step, err.message,
                         h->arena.nblocks);
    }
    cr_assert_fail("the load still failed after %d injected failures", MAX_STEPS);
    return -1;
}

static void check_data(const struct elfldr_obj *obj)
{
    cr_assert_eq(SYM_FN(obj, int_fn, "data_chain_sum")(), 337);
}

static void check_caller(const struct elfldr_obj *obj)
{
    cr_assert_eq(SYM_FN(obj, int_fn, "caller_read_value")(), 4242);
}

TEST_EVERY_WAY(failure, every_step_of_libdata_undoes_cleanly)
{
    long steps = fail_each_step(h, FIXTURE_DATA, NULL, check_data);
    cr_assert_geq(steps, 3, "only %ld platform calls in a whole load", steps);
}

TEST_EVERY_WAY(failure, every_step_of_libcaller_undoes_cleanly)
{
    struct elfldr_obj *callee = harness_load_ok(h, FIXTURE_CALLEE, NULL);
    long reserved_by_callee = h->counting.reserved, allocated_by_callee = h->counting.allocated;
    struct elfldr_obj *const scope[] = {callee};
    struct elfldr_load_opts opts = {.scope = scope, .scope_len = 1};

    /* libcallee stays loaded throughout: count only what the caller's loads leave. */
    for (long step = 1; step <= MAX_STEPS; step++) {
        h->counting.calls = 0;
        h->counting.fail_at = step;
        struct elfldr_obj *caller = NULL;
        struct elfldr_error err;
        int rc = harness_load(h, FIXTURE_CALLER, &opts, &caller, &err);
        h->counting.fail_at = 0;
        if (rc == ELFLDR_OK) {
            check_caller(caller);
            harness_unload_ok(h, caller);
            break;
        }
        cr_assert(is_platform_failure(err.code), "step %ld: failed with %s (%s)", step,
                  elfldr_strerror(err.code), err.message);
        cr_assert_eq(h->counting.reserved, reserved_by_callee, "step %ld (%s): reservations left", step,
                     err.message);
        cr_assert_eq(h->counting.allocated, allocated_by_callee, "step %ld (%s): allocations left", step,
                     err.message);
        cr_assert_eq(h->counting.opened, 0, "step %ld (%s): handles left", step, err.message);
        cr_assert_lt(step, MAX_STEPS, "the load never succeeded");
    }
    /* The callee was not disturbed by all those failures. */
    cr_assert_eq(SYM_FN(callee, int_fn, "callee_bump")(), 4243);
    harness_unload_ok(h, callee);
}
