/* Dynamic TLS in a loaded library: every thread sees its own copy of each variable, initialised from
 * the module's TLS image (its .tdata, then zeros for .tbss). */
#include "harness.h"

#include <pthread.h>

typedef int (*int_fn)(void);
typedef int *(*address_fn)(void);
typedef void (*set_fn)(int);

struct tls_fns {
    int_fn bump, table_sum;
    address_fn counter_address;
    set_fn table_set;
};

struct thread_result {
    struct tls_fns *fns;
    int first_bump, second_bump, sum_before, sum_after;
    int *address;
};

static void *use_tls(void *arg)
{
    struct thread_result *r = arg;
    r->first_bump = r->fns->bump();
    r->second_bump = r->fns->bump();
    r->sum_before = r->fns->table_sum();
    r->fns->table_set(100);
    r->sum_after = r->fns->table_sum();
    r->address = r->fns->counter_address();
    return NULL;
}

TEST_EVERY_WAY(tls, each_thread_sees_its_own_initialised_copy)
{
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_TLS, NULL);
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);
    cr_assert_gt(info.tls_memsz, info.tls_filesz, "the fixture has no .tbss part");
    struct tls_fns fns = {
        SYM_FN(obj, int_fn, "tls_bump"), SYM_FN(obj, int_fn, "tls_table_sum"),
        SYM_FN(obj, address_fn, "tls_counter_address"), SYM_FN(obj, set_fn, "tls_table_set"),
    };

    struct thread_result mine = {&fns, 0, 0, 0, 0, NULL};
    use_tls(&mine);
    cr_assert_eq(mine.first_bump, 6, "tls_counter did not start at its initial value 5");
    cr_assert_eq(mine.second_bump, 7);
    cr_assert_eq(mine.sum_before, 10, "the TLS image's table, then zeros, should sum to 10");
    cr_assert_eq(mine.sum_after, 400);

    pthread_t threads[4];
    struct thread_result results[4];
    for (int i = 0; i < 4; i++) {
        results[i] = (struct thread_result){&fns, 0, 0, 0, 0, NULL};
        cr_assert_eq(pthread_create(&threads[i], NULL, use_tls, &results[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        cr_assert_eq(results[i].first_bump, 6, "thread %d did not get a fresh copy", i);
        cr_assert_eq(results[i].second_bump, 7);
        cr_assert_eq(results[i].sum_before, 10, "thread %d saw another thread's table", i);
        cr_assert_eq(results[i].sum_after, 400);
        cr_assert_neq(results[i].address, mine.address, "thread %d shares the main thread's copy", i);
        for (int j = 0; j < i; j++)
            cr_assert_neq(results[i].address, results[j].address, "threads %d and %d share a copy", i, j);
    }
    /* The main thread's copy is untouched by the others. */
    cr_assert_eq(fns.bump(), 8);
    cr_assert_eq(*fns.counter_address(), 8);
    harness_unload_ok(h, obj);
}
