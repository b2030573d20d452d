/* 100,000 load/unload cycles of a fixture through the Linux table leave the process's mappings and
 * resident memory where they were. */
#include "harness.h"

#include <criterion/criterion.h>
#include <stdio.h>

#include <elfldr.h>

typedef int (*int_fn)(void);

Test(stress, a_hundred_thousand_cycles_of_a_fixture, .timeout = 240)
{
    struct elfldr_obj *obj;
    struct elfldr_error err;
    for (int i = 0; i < 100; i++) { /* warm up */
        cr_assert_eq(elfldr_load_path(FIXTURE_CALLEE, NULL, &obj, &err), 0, "%s", err.message);
        cr_assert_eq(elfldr_unload(obj, &err), 0);
    }
    long maps_before = maps_count(), rss_before = rss_kib();
    for (int i = 0; i < 100000; i++) {
        if (elfldr_load_path(FIXTURE_CALLEE, NULL, &obj, &err) != 0)
            cr_assert_fail("cycle %d: %s", i, err.message);
        int_fn bump = (int_fn)(uintptr_t)elfldr_sym(obj, "callee_bump");
        if (!bump || bump() != 4243)
            cr_assert_fail("cycle %d: the fresh copy's callee_bump() did not give 4243", i);
        if (elfldr_unload(obj, &err) != 0)
            cr_assert_fail("cycle %d: unload: %s", i, err.message);
    }
    long maps_after = maps_count(), rss_after = rss_kib();
    cr_assert_eq(maps_after, maps_before, "mappings: %ld before, %ld after", maps_before, maps_after);
    cr_assert_lt(rss_after - rss_before, 1024, "resident memory grew by %ld KiB", rss_after - rss_before);
}
