/* Constructors and destructors: their order, their arguments, deferring them, and the on_init hook.
 * libctor reports each one through fixture_record(), which it leaves undefined: the resolve hook below
 * supplies it from this test. */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#define MAX_EVENTS 32

/* Copies: the strings live in the library, which is gone once it is unloaded. */
static char events[MAX_EVENTS][32];
static size_t nevents;

static int seen_argc = -1;
static char **seen_argv;
static char **seen_envp;

static void fixture_record(const char *event)
{
    cr_assert_lt(nevents, MAX_EVENTS);
    snprintf(events[nevents++], sizeof(events[0]), "%s", event);
}

static void fixture_record_args(int argc, char **argv, char **envp)
{
    seen_argc = argc;
    seen_argv = argv;
    seen_envp = envp;
}

static int supply_recorders(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                            uintptr_t *addr)
{
    (void)ctx, (void)obj, (void)version;
    if (strcmp(name, "fixture_record") == 0)
        *addr = (uintptr_t)fixture_record;
    else if (strcmp(name, "fixture_record_args") == 0)
        *addr = (uintptr_t)fixture_record_args;
    else
        return ELFLDR_HOOK_SKIP;
    return ELFLDR_HOOK_CONTINUE;
}

/* The events since `from` are exactly `expected` (NULL-terminated). */
static void expect_events(size_t from, const char *const *expected)
{
    size_t count = 0;
    while (expected[count] != NULL)
        count++;
    char got[512] = "";
    for (size_t i = from; i < nevents; i++) {
        strncat(got, events[i], sizeof(got) - strlen(got) - 2);
        strncat(got, " ", sizeof(got) - strlen(got) - 1);
    }
    cr_assert_eq(nevents - from, count, "%zu events, expected %zu: %s", nevents - from, count, got);
    for (size_t i = 0; i < count; i++)
        cr_assert_str_eq(events[from + i], expected[i], "event %zu: %s, expected %s (all: %s)", i,
                         events[from + i], expected[i], got);
}

static const char *const load_order[] = {"dt_init", "init_101", "init_200", "init_default", NULL};
static const char *const unload_order[] = {"fini_default", "fini_200", "fini_101", "dt_fini", NULL};
static const char *const no_events[] = {NULL};

static char *test_argv[] = {"program", "--flag", NULL};
static char *test_envp[] = {"HOME=/nowhere", NULL};

static struct elfldr_hooks recorder_hooks = {.resolve = supply_recorders};

TEST_EVERY_WAY(ctor, run_in_order_with_the_given_arguments)
{
    struct elfldr_load_opts opts = {
        .hooks = &recorder_hooks, .argc = 2, .argv = test_argv, .envp = test_envp,
    };
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_CTOR, &opts);
    expect_events(0, load_order);
    cr_assert_eq(seen_argc, 2, "the constructor saw argc %d", seen_argc);
    cr_assert_eq(seen_argv, test_argv);
    cr_assert_eq(seen_envp, test_envp);

    harness_unload_ok(h, obj);
    expect_events(4, unload_order);
}

TEST_EVERY_WAY(ctor, deferred_until_run_init)
{
    struct elfldr_load_opts opts = {.hooks = &recorder_hooks, .flags = ELFLDR_LOAD_DEFER_INIT};
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_CTOR, &opts);
    expect_events(0, no_events);

    struct elfldr_error err = {0};
    cr_assert_eq(elfldr_run_init(obj, &err), ELFLDR_OK, "elfldr_run_init: %s", err.message);
    expect_events(0, load_order);
    /* A second call does nothing. */
    cr_assert_eq(elfldr_run_init(obj, &err), ELFLDR_OK, "elfldr_run_init again: %s", err.message);
    expect_events(0, load_order);

    harness_unload_ok(h, obj);
    expect_events(4, unload_order);
}

TEST_EVERY_WAY(ctor, deferred_and_never_run_means_no_destructors)
{
    struct elfldr_load_opts opts = {.hooks = &recorder_hooks, .flags = ELFLDR_LOAD_DEFER_INIT};
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_CTOR, &opts);
    harness_unload_ok(h, obj);
    expect_events(0, no_events);
}

struct init_call {
    enum elfldr_init_kind kind;
    unsigned index;
    elfldr_init_fn fn;
};

struct init_log {
    struct init_call calls[16];
    size_t ncalls;
    elfldr_init_fn skipped_init;
};

/* Records every call; skips the second INIT_ARRAY entry (init_200) and DT_FINI. */
static int skip_some(void *ctx, const struct elfldr_obj *obj, enum elfldr_init_kind kind, unsigned index,
                     elfldr_init_fn fn)
{
    (void)obj;
    struct init_log *log = ctx;
    cr_assert_lt(log->ncalls, 16);
    log->calls[log->ncalls++] = (struct init_call){kind, index, fn};
    if (kind == ELFLDR_INIT_INIT_ARRAY && index == 1) {
        log->skipped_init = fn;
        return ELFLDR_HOOK_SKIP;
    }
    if (kind == ELFLDR_FINI_DT_FINI)
        return ELFLDR_HOOK_SKIP;
    return ELFLDR_HOOK_CONTINUE;
}

TEST_EVERY_WAY(ctor, on_init_sees_each_one_and_can_skip_it)
{
    struct init_log log = {0};
    struct elfldr_hooks hooks = {.ctx = &log, .resolve = supply_recorders, .on_init = skip_some};
    struct elfldr_load_opts opts = {.hooks = &hooks};
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_CTOR, &opts);

    static const char *const without_init_200[] = {"dt_init", "init_101", "init_default", NULL};
    expect_events(0, without_init_200);
    cr_assert_eq(log.ncalls, 4, "on_init was called %zu times on load", log.ncalls);
    cr_assert_eq(log.calls[0].kind, ELFLDR_INIT_DT_INIT);
    for (unsigned i = 0; i < 3; i++) {
        cr_assert_eq(log.calls[1 + i].kind, ELFLDR_INIT_INIT_ARRAY, "call %u", 1 + i);
        cr_assert_eq(log.calls[1 + i].index, i);
        cr_assert_not_null(log.calls[1 + i].fn);
    }

    /* The hook may run what it skipped itself, later. */
    cr_assert_not_null(log.skipped_init);
    log.skipped_init(0, NULL, NULL);
    static const char *const ran_by_hand[] = {"init_200", NULL};
    expect_events(3, ran_by_hand);

    harness_unload_ok(h, obj);
    static const char *const without_dt_fini[] = {"fini_default", "fini_200", "fini_101", NULL};
    expect_events(4, without_dt_fini);
    cr_assert_eq(log.ncalls, 8, "on_init was called %zu times in all", log.ncalls);
    unsigned fini_indexes = 0;
    for (size_t i = 4; i < 7; i++) {
        cr_assert_eq(log.calls[i].kind, ELFLDR_FINI_FINI_ARRAY, "call %zu", i);
        cr_assert_lt(log.calls[i].index, 3);
        fini_indexes |= 1u << log.calls[i].index;
    }
    cr_assert_eq(fini_indexes, 7, "not every FINI_ARRAY entry was shown");
    cr_assert_eq(log.calls[7].kind, ELFLDR_FINI_DT_FINI);
}
