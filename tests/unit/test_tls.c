/* Dynamic TLS in a loaded library: every thread sees its own copy of each variable, initialised from
 * the module's TLS image (its .tdata, then zeros for .tbss). */
#include "harness.h"

#include <pthread.h>
#include <string.h>

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

static void check_per_thread_copies(struct harness *h, const char *path);

TEST_EVERY_WAY(tls, each_thread_sees_its_own_initialised_copy)
{
    check_per_thread_copies(h, FIXTURE_TLS);
}

#ifdef FIXTURE_TLS_GNU2
/* The same through TLS descriptors (R_X86_64_TLSDESC, GCC's gnu2 dialect). */
TEST_EVERY_WAY(tls, tls_descriptors_give_each_thread_its_own_copy)
{
    check_per_thread_copies(h, FIXTURE_TLS_GNU2);
}
#endif

static void check_per_thread_copies(struct harness *h, const char *path)
{
    struct elfldr_obj *obj = harness_load_ok(h, path, NULL);
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

/* ---- static TLS (initial-exec) through the static_tls hook --------------------------------------- */

/* The space the hook hands out: part of this program's own static TLS, so it lies at the same offset
 * from every thread's thread pointer. */
static __thread unsigned char static_reserve[256] __attribute__((aligned(64)));

static uintptr_t thread_pointer(void) { return (uintptr_t)__builtin_thread_pointer(); }

static int give_static_tls(void *ctx, const struct elfldr_obj *obj, size_t size, size_t align, intptr_t *tp_offset)
{
    (void)ctx;
    (void)obj;
    if (size > sizeof(static_reserve) || align > 64)
        return ELFLDR_HOOK_REFUSE;
    *tp_offset = (intptr_t)((uintptr_t)static_reserve - thread_pointer());
    return ELFLDR_HOOK_CONTINUE;
}

struct ie_thread {
    const struct elfldr_info *info;
    int_fn bump;
    long (*zero_sum)(void);
    int first;
    long zero;
};

/* A new thread's block is the hook owner's to fill, from the object's TLS image. */
static void *use_static_tls(void *arg)
{
    struct ie_thread *t = arg;
    memcpy(static_reserve, (const void *)t->info->tls_image, t->info->tls_filesz);
    memset(static_reserve + t->info->tls_filesz, 0, t->info->tls_memsz - t->info->tls_filesz);
    t->first = t->bump();
    t->zero = t->zero_sum();
    return NULL;
}

TEST_EVERY_WAY(tls, static_tls_comes_from_the_hook)
{
    struct elfldr_hooks hooks = {.static_tls = give_static_tls};
    struct elfldr_load_opts opts = {.hooks = &hooks};
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_TLS_IE, &opts);
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);
    int_fn bump = SYM_FN(obj, int_fn, "tls_ie_bump");
    address_fn address = SYM_FN(obj, address_fn, "tls_ie_address");
    long (*zero_sum)(void) = (long (*)(void))(uintptr_t)sym_ok(obj, "tls_ie_zero_sum");
    cr_assert_eq(bump(), 41, "the loading thread's block was not initialised from the image");
    cr_assert_eq(zero_sum(), 0);
    cr_assert_eq(zero_sum(), 8, "the .tbss part is not this thread's own");
    cr_assert(address() >= (int *)static_reserve && address() < (int *)(static_reserve + sizeof(static_reserve)),
              "the variable is not in the space the hook gave");

    pthread_t thread;
    struct ie_thread t = {&info, bump, zero_sum, 0, -1};
    cr_assert_eq(pthread_create(&thread, NULL, use_static_tls, &t), 0);
    pthread_join(thread, NULL);
    cr_assert_eq(t.first, 41, "another thread saw this thread's copy");
    cr_assert_eq(t.zero, 0);
    cr_assert_eq(bump(), 42);
    harness_unload_ok(h, obj);
}

/* ELFLDR_LOAD_NO_RUN: the hook is asked and the relocations use its offset, but the loading thread's
 * block is left as it was: nothing of the object runs, and its image is not this thread's business. */
TEST_EVERY_WAY(tls, no_run_leaves_the_loading_threads_static_block_alone)
{
    memset(static_reserve, 0xa5, sizeof(static_reserve));
    struct elfldr_hooks hooks = {.static_tls = give_static_tls};
    struct elfldr_load_opts opts = {.hooks = &hooks, .flags = ELFLDR_LOAD_NO_RUN};
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_TLS_IE, &opts);
    for (size_t i = 0; i < sizeof(static_reserve); i++)
        cr_assert_eq(static_reserve[i], 0xa5, "byte %zu of the hook's space was written", i);
    harness_unload_ok(h, obj);
    /* Without the flag the same load fills it from the image. */
    obj = harness_load_ok(h, FIXTURE_TLS_IE, &(struct elfldr_load_opts){.hooks = &hooks});
    size_t changed = 0;
    for (size_t i = 0; i < sizeof(static_reserve); i++)
        changed += static_reserve[i] != 0xa5;
    cr_assert_gt(changed, 0, "a load without ELFLDR_LOAD_NO_RUN did not fill the block either");
    harness_unload_ok(h, obj);
}

TEST_EVERY_WAY(tls, static_tls_without_a_hook_is_a_clear_error)
{
    struct elfldr_obj *obj = NULL;
    struct elfldr_error err;
    int rc = harness_load(h, FIXTURE_TLS_IE, NULL, &obj, &err);
    cr_assert_eq(rc, ELFLDR_E_UNSUPPORTED, "got %d: %s", rc, err.message);
    cr_assert(strstr(err.message, "static TLS"), "message: %s", err.message);
    harness_assert_clean(h);
}
