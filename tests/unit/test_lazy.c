/* Lazy binding (x86-64): PLT slots are bound at their first call, through the same scope and hooks as
 * at load, and the call arrives with every argument intact: integers, floats, doubles on the stack,
 * and a variadic call. */
#include "harness.h"

typedef double (*double_fn)(void);

static const double mix_expected = 1 + 2.0 * 2.5 + 3.0 * 3 + 4.0 * 4.25 + 5.0 * 5 + 6.0 * 6.5 + 7.0 * 7 + 8.0 * 8.75 +
                                   9.0 * 9 + 10.0 * 10 + 11.0 * 0.5 + 12.0 * 1.5 + 13.0 * 2.5 + 14.0 * 3.5 + 15.0 * 4.5;
static const double variadic_expected = 1.5 * 1 + 2.5 * 2 + 3.5 * 3 + 4.5 * 4 + 5.5 * 5;

static int slots_bound;

static void count_jump_slots(void *ctx, const struct elfldr_reloc *r)
{
    (void)ctx;
    slots_bound += r->rclass == ELFLDR_RC_JUMP_SLOT;
}

TEST_EVERY_WAY(lazy, slots_are_bound_at_the_first_call_with_arguments_intact)
{
    struct elfldr_obj *target = harness_load_ok(h, FIXTURE_LAZY_TARGET, NULL);
    struct elfldr_hooks hooks = {.reloc_after = count_jump_slots};
    struct elfldr_load_opts opts = {.hooks = &hooks, .scope = &target, .scope_len = 1, .flags = ELFLDR_LOAD_LAZY};
    slots_bound = 0;
    struct elfldr_obj *user = harness_load_ok(h, FIXTURE_LAZY_USER, &opts);
#if defined(__x86_64__)
    cr_assert_eq(slots_bound, 0, "a slot was bound at load");
#endif
    double_fn mix = SYM_FN(user, double_fn, "lazy_user_mix");
    double_fn variadic = SYM_FN(user, double_fn, "lazy_user_variadic");
    cr_assert_eq(mix(), mix_expected, "arguments arrived changed: %f", mix());
    int after_first = slots_bound;
    cr_assert_eq(mix(), mix_expected);
    cr_assert_eq(variadic(), variadic_expected, "variadic arguments arrived changed: %f", variadic());
#if defined(__x86_64__)
    cr_assert_eq(after_first, 1, "the first call should bind exactly its own slot");
    cr_assert_eq(slots_bound, 2, "each slot is bound once");
#else
    (void)after_first;
#endif
    harness_unload_ok(h, user);
    harness_unload_ok(h, target);
}

TEST_EVERY_WAY(lazy, without_the_flag_every_slot_is_bound_at_load)
{
    struct elfldr_obj *target = harness_load_ok(h, FIXTURE_LAZY_TARGET, NULL);
    struct elfldr_hooks hooks = {.reloc_after = count_jump_slots};
    struct elfldr_load_opts opts = {.hooks = &hooks, .scope = &target, .scope_len = 1};
    slots_bound = 0;
    struct elfldr_obj *user = harness_load_ok(h, FIXTURE_LAZY_USER, &opts);
    cr_assert_eq(slots_bound, 2);
    cr_assert_eq(SYM_FN(user, double_fn, "lazy_user_mix")(), mix_expected);
    harness_unload_ok(h, user);
    harness_unload_ok(h, target);
}
