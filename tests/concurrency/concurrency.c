/*
 * Several threads loading, looking up, calling and unloading at once:
 *   (a) four threads open, look up, call, inspect (dladdr, dl_iterate_phdr) and close libraries in one
 *       namespace they share, while a fifth keeps one of them open throughout;
 *   (b) four threads each make and free a namespace of their own every round, and use the shared one
 *       between;
 *   (c) four threads use a library's thread-locals at once, each on its own copy, while a fifth loads
 *       and unloads that library round after round.
 * Built with ThreadSanitizer in the -Db_sanitize=thread build (scripts/test's build-tsan), where any
 * report ends the run with a failure; elsewhere a plain threaded test.
 *
 * Each thread is one job; a job passes when every check it made held, and its first failed check is
 * printed. The run closes with "N passed, N failed" (the jobs, then what the process looks like at the
 * end) and exits non-zero when any failed.
 *
 * Usage: concurrency [--shared-dlerror] [--lazy] [--raw-own] [ROUNDS]
 *   ROUNDS            iterations of each loop (300)
 *   --shared-dlerror  two more threads fail calls in the shared namespace and read its dlerror
 *   --lazy            the shared namespace's threads open libcaller with RTLD_LAZY every other round
 *   --raw-own         the private namespaces use the core's Linux table (see "the platform tables")
 * --shared-dlerror reaches what ThreadSanitizer reports as a race: dlerror's message is the
 * namespace's by design (see dlerror_worker); it is left out of the Meson tests.
 */
#include "counting_ops.h"

#include <elfldr.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef int (*int_fn)(void);
typedef int (*int_int_fn)(int);
typedef int (*apply_fn)(int, int, int);
typedef int *(*address_fn)(void);
typedef void (*set_fn)(int);

#define AS_FN(type, address) ((type)(uintptr_t)(address))

enum { SHARED_THREADS = 4, OWN_NS_THREADS = 4, TLS_THREADS = 4, MAX_JOBS = 16 };

static const char *const fixture_dir[] = {FIXTURE_DIR};
/* The system directories replaced by one that does not exist: only the fixtures can be found. */
static const char *const nowhere[] = {"/nonexistent-elfldr-system-dir"};

/* The options (see the top). */
static bool shared_dlerror, lazy, raw_own;

static uintptr_t thread_id(void) { return (uintptr_t)syscall(SYS_gettid); }

/* ---- the platform tables ----------------------------------------------------------------------- */

#if defined(__SANITIZE_THREAD__) /* GCC */
#define UNDER_TSAN 1
#elif defined(__has_feature) /* Clang */
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif

/*
 * The shared namespace uses the core's default table, as most callers do: raw system calls, and a lock
 * that yields while it waits. The namespaces each thread makes for itself, and the TLS scenario's, use
 * the arena table over a buffer mapped once per thread, with files read through the core's Linux table
 * (as a kernel with a file system would have it).
 *
 * Why not the default table everywhere: ThreadSanitizer does not see raw mmap and munmap, so the shadow
 * of unmapped memory outlives the munmap. When the kernel hands the same pages to a namespace another
 * thread uses, that thread's first accesses look like races with those made before the munmap, though
 * the munmap returned before the mmap that reused the pages. With the arenas, pages come and go through
 * raw calls in the shared namespace only, where its lock orders each reuse. `--raw-own` gives the other
 * namespaces the Linux table too, to see those reports.
 */
static struct elfldr_ops linux_table;

enum { ARENA_SIZE = 8 << 20 };

struct arena_table {
    struct elfldr_arena arena;
    struct elfldr_ops ops;
    void *buffer;
};

/* The Linux table's files, for the arenas (the Linux table is stateless: its own ctx, not the arena). */
static int files_open(void *ctx, const char *path, intptr_t *handle)
{
    (void)ctx;
    return linux_table.open(linux_table.ctx, path, handle);
}

static int files_close(void *ctx, intptr_t handle)
{
    (void)ctx;
    return linux_table.close(linux_table.ctx, handle);
}

static int files_read(void *ctx, intptr_t handle, uint64_t offset, void *buf, size_t size)
{
    (void)ctx;
    return linux_table.read(linux_table.ctx, handle, offset, buf, size);
}

static int files_size(void *ctx, intptr_t handle, uint64_t *size)
{
    (void)ctx;
    return linux_table.file_size(linux_table.ctx, handle, size);
}

static int files_id(void *ctx, intptr_t handle, uint64_t id[2])
{
    (void)ctx;
    return linux_table.file_id(linux_table.ctx, handle, id);
}

/* Maps the buffer (executable: the arena enforces no protection, so code placed there must already
 * be) and sets the table up over it. Made by the main thread before the workers start. */
static void arena_table_init(struct arena_table *t)
{
    t->buffer = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (t->buffer == MAP_FAILED || elfldr_arena_ops(&t->arena, t->buffer, ARENA_SIZE, &t->ops) != 0) {
        fprintf(stderr, "concurrency: no arena buffer\n");
        exit(2);
    }
    t->ops.open = files_open;
    t->ops.close = files_close;
    t->ops.read = files_read;
    t->ops.file_size = files_size;
    t->ops.file_id = files_id;
}

static void arena_table_fini(struct arena_table *t) { munmap(t->buffer, ARENA_SIZE); }

/* The table a private namespace is made over: its thread's arena, or with --raw-own the Linux table. */
static const struct elfldr_ops *private_table(const struct arena_table *t) { return raw_own ? &linux_table : &t->ops; }

/* ---- jobs: one per thread, each counting its own checks ------------------------------------------ */

struct job {
    char name[48];
    long checks, failures;
    char first_failure[320];
};

static void check(struct job *job, bool ok, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void check(struct job *job, bool ok, const char *fmt, ...)
{
    job->checks++;
    if (ok)
        return;
    /* Only the first failure is kept: one broken step usually fails every round after it. */
    if (job->failures++ == 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(job->first_failure, sizeof(job->first_failure), fmt, ap);
        va_end(ap);
    }
}

static int passed, failed;

static void report(const struct job *job)
{
    if (job->failures == 0) {
        printf("PASS %s (%ld checks)\n", job->name, job->checks);
        passed++;
    } else {
        printf("FAIL %s: %ld of %ld checks failed; first: %s\n", job->name, job->failures, job->checks,
               job->first_failure);
        failed++;
    }
}

/* ---- what every thread does with a library --------------------------------------------------------- */

struct seen {
    const char *want[2]; /* names that must be in the namespace's list */
    bool found[2];
    int count;
    bool sane; /* every entry had program headers */
};

static int note_library(const struct elfldr_phdr_info *info, void *data)
{
    struct seen *seen = data;
    seen->count++;
    if (!info->dlpi_name || !info->dlpi_phdr || info->dlpi_phnum == 0)
        seen->sane = false;
    for (int i = 0; i < 2; i++)
        if (seen->want[i] && info->dlpi_name && strstr(info->dlpi_name, seen->want[i]))
            seen->found[i] = true;
    return 0;
}

/* dl_iterate_phdr lists `a` and `b` (b may be NULL), among at least `min_count` libraries. */
static void check_listed(struct job *job, struct elfldr_ns *ns, const char *a, const char *b, int min_count)
{
    struct seen seen = {{a, b}, {false, b == NULL}, 0, true};
    int rc = elfldr_dl_iterate_phdr(ns, note_library, &seen);
    check(job, rc == 0 && seen.sane && seen.count >= min_count && seen.found[0] && seen.found[1],
          "dl_iterate_phdr: rc %d, %d libraries (want >= %d), %s %s, %s %s, headers %s", rc, seen.count,
          min_count, a, seen.found[0] ? "listed" : "missing", b ? b : "-", seen.found[1] ? "listed" : "missing",
          seen.sane ? "ok" : "missing");
}

/* dladdr names the library and the exported function at `fn`. */
static void check_dladdr(struct job *job, struct elfldr_ns *ns, void *fn, const char *library, const char *symbol)
{
    struct elfldr_dl_info info;
    int rc = elfldr_dladdr(ns, fn, &info);
    check(job,
          rc == 0 && info.dli_fname && strstr(info.dli_fname, library) && info.dli_sname &&
              strcmp(info.dli_sname, symbol) == 0 && info.dli_saddr == fn,
          "dladdr(%s): rc %d, file %s, symbol %s at %p (want %s in %s at %p)", symbol, rc,
          rc == 0 && info.dli_fname ? info.dli_fname : "-", rc == 0 && info.dli_sname ? info.dli_sname : "-",
          rc == 0 ? info.dli_saddr : NULL, symbol, library, fn);
}

/* The reason a call failed, for the message. Only a namespace one thread uses may be asked: dlerror
 * reads and clears the namespace's one error without its lock (see dlerror_worker). */
static const char *why(struct elfldr_ns *ns, bool private_ns)
{
    const char *message = private_ns ? elfldr_dlerror(ns) : NULL;
    return message ? message : "(dlerror not read: shared namespace)";
}

/* libcaller.so by name (its DT_NEEDED libcallee.so comes along): calls through the PLT, the GOT and
 * absolute pointers into libcallee, with results known in advance; then dladdr, the library list,
 * and dlclose. */
static void use_caller(struct job *job, struct elfldr_ns *ns, bool private_ns, int round, int flags)
{
    void *h = elfldr_dlopen(ns, "libcaller.so", flags);
    check(job, h != NULL, "round %d: dlopen libcaller.so: %s", round, h ? "" : why(ns, private_ns));
    if (!h)
        return;
    int_int_fn twice = AS_FN(int_int_fn, elfldr_dlsym(h, "caller_call_twice"));
    int_int_fn twice_ptr = AS_FN(int_int_fn, elfldr_dlsym(h, "caller_call_twice_via_pointer"));
    int_fn third = AS_FN(int_fn, elfldr_dlsym(h, "caller_read_third_via_pointer"));
    /* Found through the handle's dependencies: libcallee's own definition. */
    int_int_fn callee_twice = AS_FN(int_int_fn, elfldr_dlsym(h, "callee_twice"));
    check(job, twice && twice_ptr && third && callee_twice, "round %d: dlsym in libcaller.so: %p %p %p %p",
          round, (void *)(uintptr_t)twice, (void *)(uintptr_t)twice_ptr, (void *)(uintptr_t)third,
          (void *)(uintptr_t)callee_twice);
    if (twice && twice_ptr && third && callee_twice) {
        int x = round * 7 + 3;
        int got[4] = {twice(x), twice_ptr(x), third(), callee_twice(-x)};
        check(job, got[0] == 2 * x && got[1] == 2 * x && got[2] == 30 && got[3] == -2 * x,
              "round %d: caller_call_twice(%d) = %d, via pointer %d (want %d); caller_read_third_via_pointer() "
              "= %d (want 30); callee_twice(%d) = %d",
              round, x, got[0], got[1], 2 * x, got[2], -x, got[3]);
        check_dladdr(job, ns, (void *)(uintptr_t)twice, "libcaller.so", "caller_call_twice");
        check_dladdr(job, ns, (void *)(uintptr_t)callee_twice, "libcallee.so", "callee_twice");
    }
    check_listed(job, ns, "libcaller.so", "libcallee.so", 2);
    int rc = elfldr_dlclose(h);
    check(job, rc == 0, "round %d: dlclose libcaller.so: %s", round, rc == 0 ? "" : why(ns, private_ns));
}

/* libdata by its full path: no dependency, pointers only RELATIVE relocations make right. Nobody keeps
 * it open in the shared namespace for long, so it is mapped and unmapped there over and over. */
static void use_data(struct job *job, struct elfldr_ns *ns, bool private_ns, int round)
{
    void *h = elfldr_dlopen(ns, FIXTURE_DATA, ELFLDR_RTLD_NOW);
    check(job, h != NULL, "round %d: dlopen %s: %s", round, FIXTURE_DATA, h ? "" : why(ns, private_ns));
    if (!h)
        return;
    int_fn chain_sum = AS_FN(int_fn, elfldr_dlsym(h, "data_chain_sum"));
    apply_fn apply = AS_FN(apply_fn, elfldr_dlsym(h, "data_apply"));
    check(job, chain_sum && apply, "round %d: dlsym in libdata.so", round);
    if (chain_sum && apply) {
        int sum = chain_sum(), product = apply(2, round, 3);
        check(job, sum == 337 && product == 3 * round,
              "round %d: data_chain_sum() = %d (want 337), data_apply(mul, %d, 3) = %d", round, sum, round,
              product);
        check_dladdr(job, ns, (void *)(uintptr_t)chain_sum, "libdata.so", "data_chain_sum");
    }
    check_listed(job, ns, "libdata.so", NULL, 1);
    int rc = elfldr_dlclose(h);
    check(job, rc == 0, "round %d: dlclose libdata.so: %s", round, rc == 0 ? "" : why(ns, private_ns));
}

/* ---- the scenarios ------------------------------------------------------------------------------------ */

/*
 * The threads are made once and run two phases alike: a warm-up, then the measured one, with
 * /proc/self/maps read before and after it. A new thread would leave mappings that are not the
 * loader's (a stack glibc caches, ThreadSanitizer's per-thread state, which it keeps), so no thread is
 * made or ends between the two readings.
 */
struct phase {
    int rounds;
    struct elfldr_ns *shared; /* the namespace every scenario uses */
    int workers_left;         /* the keeper holds its library until this reaches 0 */
    /* The TLS scenario's round: the coordinator fills `tls` and lets the helpers go; NULL ends it. */
    const struct tls_fns *tls;
    struct job jobs[MAX_JOBS];
    int njobs;
};

struct pool {
    struct phase *phase;
    pthread_barrier_t phase_start, phase_end; /* the pool's threads and the main thread */
    pthread_barrier_t ready;                  /* the pool's threads: the keeper has its library */
    pthread_barrier_t tls_go, tls_done;       /* the TLS coordinator and its helpers */
};

struct worker {
    struct pool *pool;
    void (*body)(struct worker *w, struct phase *phase);
    const char *name_format;       /* its job's name, with `index`; NULL: no job (a TLS helper) */
    int index;
    struct job *job;               /* this phase's */
    struct tls_result *tls_result; /* a TLS helper's; the coordinator's: all of them */
    struct arena_table *arena;     /* for the namespaces this thread makes */
};

static void worker_done(struct phase *phase) { __atomic_sub_fetch(&phase->workers_left, 1, __ATOMIC_RELEASE); }

/*
 * (a) Open, look up, call, inspect and close in the shared namespace, libraries with and without
 * dependencies, while the keeper holds libcallee open.
 *
 * With --lazy, libcaller is opened with RTLD_LAZY every other round. Then several threads may make the
 * first call through the same PLT slot of the same copy at once, and each binds it: lazy_fixup takes
 * no lock; each writes the slot, the same value, with an atomic store.
 */
static void shared_worker(struct worker *w, struct phase *phase)
{
    pthread_barrier_wait(&w->pool->ready);
    for (int round = 0; round < phase->rounds; round++) {
        use_caller(w->job, phase->shared, false, round, (lazy && round % 2) ? ELFLDR_RTLD_LAZY : ELFLDR_RTLD_NOW);
        use_data(w->job, phase->shared, false, round);
    }
    worker_done(phase);
}

/* One thread holds libcallee.so open in the shared namespace from before the others start until they
 * are all done, and keeps using it: its copy must stay where it is, whatever the others open and close
 * (libcaller binds to this same copy). */
static void keeper(struct worker *w, struct phase *phase)
{
    struct job *job = w->job;
    struct elfldr_ns *ns = phase->shared;
    void *h = elfldr_dlopen(ns, "libcallee.so", ELFLDR_RTLD_NOW);
    check(job, h != NULL, "dlopen libcallee.so");
    pthread_barrier_wait(&w->pool->ready);
    if (!h)
        return;
    int_int_fn first = AS_FN(int_int_fn, elfldr_dlsym(h, "callee_twice"));
    check(job, first != NULL, "dlsym callee_twice");
    for (int round = 0; __atomic_load_n(&phase->workers_left, __ATOMIC_ACQUIRE) > 0; round++) {
        int_int_fn twice = AS_FN(int_int_fn, elfldr_dlsym(h, "callee_twice"));
        check(job, twice == first, "round %d: callee_twice moved from %p to %p while held open", round,
              (void *)(uintptr_t)first, (void *)(uintptr_t)twice);
        if (twice)
            check(job, twice(round) == 2 * round, "round %d: callee_twice(%d) = %d", round, round, twice(round));
        void *again = elfldr_dlopen(ns, "libcallee.so", ELFLDR_RTLD_NOLOAD);
        check(job, again == h, "round %d: RTLD_NOLOAD of the held library gave %p, not %p", round, again, h);
        if (again)
            check(job, elfldr_dlclose(again) == 0, "round %d: dlclose of the NOLOAD reference", round);
        check_dladdr(job, ns, (void *)(uintptr_t)first, "libcallee.so", "callee_twice");
        check_listed(job, ns, "libcallee.so", NULL, 1);
        usleep(100); /* the workers are the point: this thread only watches, and leaves them the CPUs */
    }
    check(job, elfldr_dlclose(h) == 0, "dlclose libcallee.so");
}

/* A namespace over `counting`, which wraps this thread's private table. */
static struct elfldr_ns *private_ns(struct worker *w, struct counting_ops *counting)
{
    counting_ops_init(counting, private_table(w->arena));
    struct elfldr_ns_config cfg = {
        .ops = &counting->ops,
        .search_path = fixture_dir,
        .search_path_len = 1,
        .system_path = nowhere,
        .system_path_len = 1,
        .thread_id = thread_id, /* with a table of its own, the namespace cannot tell threads apart */
    };
    return elfldr_ns_new(&cfg);
}

/* Frees a private namespace and checks it gave everything back, to the counting table and the arena. */
static void free_private_ns(struct job *job, struct worker *w, struct elfldr_ns *ns,
                            const struct counting_ops *counting, int round)
{
    elfldr_ns_free(ns);
    check(job, counting_ops_clean(counting),
          "round %d: after elfldr_ns_free: %ld reservations, %ld allocations, %ld handles left", round,
          counting->reserved, counting->allocated, counting->opened);
    check(job, raw_own || w->arena->arena.nblocks == 0, "round %d: after elfldr_ns_free: %zu arena blocks in use",
          round, w->arena->arena.nblocks);
}

/* (b) A namespace of its own, made and freed every round over a counting table (only this thread uses
 * it, so the plain counters are safe), used alongside the shared one. Failures in the private
 * namespace are provoked too: dlerror is this thread's to read there. */
static void own_ns_worker(struct worker *w, struct phase *phase)
{
    struct job *job = w->job;
    struct counting_ops counting;
    pthread_barrier_wait(&w->pool->ready);
    for (int round = 0; round < phase->rounds; round++) {
        struct elfldr_ns *own = private_ns(w, &counting);
        check(job, own != NULL, "round %d: elfldr_ns_new", round);
        if (!own)
            continue;
        use_caller(job, own, true, round, ELFLDR_RTLD_NOW);
        /* Held across the shared namespace's work below, then released with the namespace. */
        void *held = elfldr_dlopen(own, FIXTURE_DATA, ELFLDR_RTLD_NOW);
        check(job, held != NULL, "round %d: dlopen %s: %s", round, FIXTURE_DATA, held ? "" : why(own, true));

        if (round % 2)
            use_caller(job, phase->shared, false, round, ELFLDR_RTLD_NOW);
        else
            use_data(job, phase->shared, false, round);

        check(job, elfldr_dlopen(own, "libnot-a-fixture.so", ELFLDR_RTLD_NOW) == NULL,
              "round %d: dlopen of a missing library succeeded", round);
        const char *message = elfldr_dlerror(own);
        check(job, message && strstr(message, "libnot-a-fixture.so"), "round %d: dlerror after a failed dlopen: %s",
              round, message ? message : "(null)");
        if (held) {
            check(job, elfldr_dlsym(held, "no_such_symbol") == NULL, "round %d: dlsym of a missing symbol", round);
            message = elfldr_dlerror(own);
            check(job, message && strstr(message, "no_such_symbol"), "round %d: dlerror after a failed dlsym: %s",
                  round, message ? message : "(null)");
        }
        check(job, elfldr_dlerror(own) == NULL, "round %d: reading dlerror did not clear it", round);
        /* ns_free unloads what is left (libdata, held above). */
        free_private_ns(job, w, own, &counting, round);
    }
    worker_done(phase);
}

/*
 * --shared-dlerror: the message elfldr_dlerror returns lies in the namespace, where the next failure,
 * on any thread, rewrites it while the caller may be reading it (elfldr.h says so: the error is the
 * namespace's, not the thread's). Two such threads fail calls in the shared namespace and read
 * dlerror there, as code written for glibc's per-thread dlerror would.
 */
static void dlerror_worker(struct worker *w, struct phase *phase)
{
    struct job *job = w->job;
    pthread_barrier_wait(&w->pool->ready);
    for (int round = 0; round < phase->rounds; round++) {
        check(job, elfldr_dlopen(phase->shared, "libnot-a-fixture.so", ELFLDR_RTLD_NOW) == NULL,
              "round %d: dlopen of a missing library succeeded", round);
        const char *message = elfldr_dlerror(phase->shared);
        /* Another thread's failure may have replaced it, or a reader taken it: only its shape is checked. */
        check(job, !message || strstr(message, "libnot-a-fixture.so") || strstr(message, "undefined symbol"),
              "round %d: dlerror: %s", round, message);
    }
    worker_done(phase);
}

/* ---- (c) dynamic TLS from several threads at once ---------------------------------------------------- */

struct tls_fns {
    int_fn bump, table_sum;
    address_fn counter_address;
    set_fn table_set;
};

struct tls_result {
    int first_bump, bumps_after, sum_before, sum_after;
    int *address;
};

enum { TLS_BUMPS = 50 };

/* What helper `i` stores in its copy of the table, to tell the copies apart. */
static int tls_value_of(int helper) { return 11 + helper; }

/* A helper: each round, the fixture the coordinator just loaded, used by all helpers at once. They are
 * the same threads every round (none ends), so each has a thread pointer of its own throughout. */
static void tls_helper(struct worker *w, struct phase *phase)
{
    struct pool *pool = w->pool;
    pthread_barrier_wait(&pool->ready);
    for (;;) {
        pthread_barrier_wait(&pool->tls_go);
        const struct tls_fns *fns = phase->tls;
        if (!fns)
            return;
        struct tls_result *r = w->tls_result;
        r->first_bump = fns->bump();
        r->sum_before = fns->table_sum();
        fns->table_set(tls_value_of(w->index));
        for (int i = 0; i < TLS_BUMPS; i++) {
            r->bumps_after = fns->bump();
            sched_yield(); /* let the others' blocks be made and used in between */
        }
        r->sum_after = fns->table_sum();
        r->address = fns->counter_address();
        pthread_barrier_wait(&pool->tls_done);
    }
}

/* The coordinator: each round loads a TLS fixture afresh, has the helpers use its variables together,
 * checks that each saw a copy of its own starting from the TLS image, and closes it (which frees every
 * thread's block). The helpers run while it waits: the arena its namespace uses is not made for two
 * threads, and the namespace's pool takes new chunks from it outside the namespace's lock. */
static void tls_worker(struct worker *w, struct phase *phase)
{
    struct job *job = w->job;
    struct pool *pool = w->pool;
    const char *paths[] = {
        FIXTURE_TLS,
#ifdef FIXTURE_TLS_GNU2
        FIXTURE_TLS_GNU2, /* the same through TLS descriptors */
#endif
    };
    const int npaths = (int)(sizeof(paths) / sizeof(paths[0]));
    struct tls_result *results = w->tls_result; /* TLS_THREADS of them, one per helper */
    /* A namespace of the scenario's own, over an arena: TLS blocks are allocated by the helpers,
     * outside the namespace's lock, so they must not come from the raw table (see the platform
     * tables). */
    struct counting_ops counting;
    struct elfldr_ns *ns = private_ns(w, &counting);
    check(job, ns != NULL, "elfldr_ns_new");
    pthread_barrier_wait(&pool->ready);
    int rounds = phase->rounds / 10 > 2 ? phase->rounds / 10 : 2;
    for (int round = 0; ns && round < rounds; round++) {
        const char *path = paths[round % npaths];
        void *h = elfldr_dlopen(ns, path, ELFLDR_RTLD_NOW);
        check(job, h != NULL, "round %d: dlopen %s", round, path);
        if (!h)
            continue;
        struct tls_fns fns = {
            AS_FN(int_fn, elfldr_dlsym(h, "tls_bump")), AS_FN(int_fn, elfldr_dlsym(h, "tls_table_sum")),
            AS_FN(address_fn, elfldr_dlsym(h, "tls_counter_address")), AS_FN(set_fn, elfldr_dlsym(h, "tls_table_set")),
        };
        bool found = fns.bump && fns.table_sum && fns.counter_address && fns.table_set;
        check(job, found, "round %d: dlsym in %s", round, path);
        if (found) {
            memset(results, 0, TLS_THREADS * sizeof(*results));
            phase->tls = &fns;
            pthread_barrier_wait(&pool->tls_go);
            pthread_barrier_wait(&pool->tls_done);
            for (int i = 0; i < TLS_THREADS; i++) {
                const struct tls_result *r = &results[i];
                int value = tls_value_of(i);
                check(job,
                      r->first_bump == 6 && r->bumps_after == 6 + TLS_BUMPS && r->sum_before == 10 &&
                          r->sum_after == 4 * value,
                      "round %d (%s), thread %d: tls_bump() first %d (want 6: a fresh copy of 5), last %d (want %d); "
                      "tls_table_sum() %d (want 10), after tls_table_set(%d) %d (want %d)",
                      round, path, i, r->first_bump, r->bumps_after, 6 + TLS_BUMPS, r->sum_before, value,
                      r->sum_after, 4 * value);
                for (int j = 0; j < i; j++)
                    check(job, r->address != results[j].address, "round %d: threads %d and %d share tls_counter at %p",
                          round, j, i, (void *)r->address);
            }
        }
        check(job, elfldr_dlclose(h) == 0, "round %d: dlclose %s", round, path);
    }
    phase->tls = NULL; /* the helpers' phase ends */
    pthread_barrier_wait(&pool->tls_go);
    if (ns)
        free_private_ns(job, w, ns, &counting, rounds);
    worker_done(phase);
}

/* ---- the pool and the phases --------------------------------------------------------------------------- */

enum { MAX_THREADS = SHARED_THREADS + OWN_NS_THREADS + TLS_THREADS + 4 };

struct pool_threads {
    struct pool pool;
    struct worker workers[MAX_THREADS];
    pthread_t threads[MAX_THREADS];
    int nthreads, nworkers; /* all of them; those the keeper waits for */
    struct tls_result tls_results[TLS_THREADS];
    struct arena_table arenas[OWN_NS_THREADS + 1]; /* the own-namespace threads', the TLS scenario's */
};

static void *pool_thread(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        pthread_barrier_wait(&w->pool->phase_start);
        struct phase *phase = w->pool->phase;
        if (!phase)
            return NULL;
        w->body(w, phase);
        pthread_barrier_wait(&w->pool->phase_end);
    }
}

static struct worker *add_worker(struct pool_threads *p, void (*body)(struct worker *, struct phase *),
                                 const char *name_format, int index)
{
    struct worker *w = &p->workers[p->nthreads++];
    *w = (struct worker){&p->pool, body, name_format, index, NULL, NULL, NULL};
    if (body != tls_helper && body != keeper)
        p->nworkers++;
    return w;
}

static void pool_start(struct pool_threads *p)
{
    for (int i = 0; i < SHARED_THREADS; i++)
        add_worker(p, shared_worker, "shared namespace, thread %d", i);
    for (int i = 0; i < OWN_NS_THREADS; i++)
        add_worker(p, own_ns_worker, "own namespace + shared, thread %d", i)->arena = &p->arenas[i];
    struct worker *tls = add_worker(p, tls_worker, "dynamic TLS, %d helper threads", TLS_THREADS);
    tls->tls_result = p->tls_results;
    tls->arena = &p->arenas[OWN_NS_THREADS];
    for (int i = 0; i < TLS_THREADS; i++)
        add_worker(p, tls_helper, NULL, i)->tls_result = &p->tls_results[i];
    for (int i = 0; i < OWN_NS_THREADS + 1; i++)
        arena_table_init(&p->arenas[i]);
    for (int i = 0; shared_dlerror && i < 2; i++)
        add_worker(p, dlerror_worker, "dlerror of the shared namespace, thread %d", i);
    add_worker(p, keeper, "keeper of libcallee.so", 0);

    pthread_barrier_init(&p->pool.phase_start, NULL, (unsigned)p->nthreads + 1);
    pthread_barrier_init(&p->pool.phase_end, NULL, (unsigned)p->nthreads + 1);
    pthread_barrier_init(&p->pool.ready, NULL, (unsigned)p->nthreads);
    pthread_barrier_init(&p->pool.tls_go, NULL, TLS_THREADS + 1);
    pthread_barrier_init(&p->pool.tls_done, NULL, TLS_THREADS + 1);
    for (int i = 0; i < p->nthreads; i++)
        if (pthread_create(&p->threads[i], NULL, pool_thread, &p->workers[i]) != 0) {
            fprintf(stderr, "concurrency: pthread_create failed\n");
            exit(2); /* the others wait at a barrier for it */
        }
}

static void pool_stop(struct pool_threads *p)
{
    p->pool.phase = NULL;
    pthread_barrier_wait(&p->pool.phase_start);
    for (int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_barrier_destroy(&p->pool.phase_start);
    pthread_barrier_destroy(&p->pool.phase_end);
    pthread_barrier_destroy(&p->pool.ready);
    pthread_barrier_destroy(&p->pool.tls_go);
    pthread_barrier_destroy(&p->pool.tls_done);
    for (int i = 0; i < OWN_NS_THREADS + 1; i++)
        arena_table_fini(&p->arenas[i]);
}

static int count_listed(const struct elfldr_phdr_info *info, void *data)
{
    (void)info;
    ++*(int *)data;
    return 0;
}

static struct job *new_job(struct phase *phase, const char *fmt, int index)
{
    struct job *job = &phase->jobs[phase->njobs++];
    memset(job, 0, sizeof(*job));
    snprintf(job->name, sizeof(job->name), fmt, index); /* a format with %d or with no conversion */
    return job;
}

/* One phase: every scenario at once, `rounds` rounds each, in a shared namespace made for it and freed
 * after; the jobs are reported when `report_jobs` (not in the warm-up). */
static void run_phase(struct pool_threads *p, int rounds, bool report_jobs)
{
    static struct phase phase;
    memset(&phase, 0, sizeof(phase));
    phase.rounds = rounds;
    /* The default table (NULL): the core as most callers use it. */
    struct elfldr_ns_config cfg = {
        .search_path = fixture_dir,
        .search_path_len = 1,
        .system_path = nowhere,
        .system_path_len = 1,
    };
    phase.shared = elfldr_ns_new(&cfg);
    if (!phase.shared) {
        fprintf(stderr, "concurrency: elfldr_ns_new failed\n");
        exit(2);
    }
    for (int i = 0; i < p->nthreads; i++)
        if (p->workers[i].name_format)
            p->workers[i].job = new_job(&phase, p->workers[i].name_format, p->workers[i].index);
    phase.workers_left = p->nworkers;

    p->pool.phase = &phase;
    pthread_barrier_wait(&p->pool.phase_start);
    pthread_barrier_wait(&p->pool.phase_end);

    struct job *end = new_job(&phase, "shared namespace empty at the end", 0);
    int left = 0;
    elfldr_dl_iterate_phdr(phase.shared, count_listed, &left);
    check(end, left == 0, "%d libraries still listed after every dlclose", left);
    elfldr_ns_free(phase.shared);

    if (report_jobs)
        for (int i = 0; i < phase.njobs; i++)
            report(&phase.jobs[i]);
}

/* ---- what the process looks like ------------------------------------------------------------------- */

/* What /proc/self/maps says: its lines, the bytes they span, how many lines name a file or a region
 * ([heap], [stack], ...), and how many name a fixture. A mapping left behind may merge with its
 * neighbour and add no line, but it adds its bytes. */
struct maps {
    long lines, named_lines, fixture_lines;
    unsigned long long bytes;
};

static bool read_maps(struct maps *m)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    memset(m, 0, sizeof(*m));
    if (!f)
        return false;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long start, end;
        int name_at = 0;
        m->lines++;
        if (sscanf(line, "%llx-%llx %*s %*s %*s %*s %n", &start, &end, &name_at) >= 2)
            m->bytes += end - start;
        if (name_at > 0 && line[name_at] != '\0' && line[name_at] != '\n')
            m->named_lines++;
        if (strstr(line, FIXTURE_DIR "/"))
            m->fixture_lines++;
    }
    fclose(f);
    return true;
}

static int parse_args(int argc, char **argv)
{
    int rounds = 300;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--shared-dlerror") == 0)
            shared_dlerror = true;
        else if (strcmp(argv[i], "--lazy") == 0)
            lazy = true;
        else if (strcmp(argv[i], "--raw-own") == 0)
            raw_own = true;
        else if ((rounds = atoi(argv[i])) <= 0) {
            fprintf(stderr, "usage: %s [--shared-dlerror] [--lazy] [--raw-own] [ROUNDS]\n", argv[0]);
            exit(2);
        }
    }
    return rounds;
}

int main(int argc, char **argv)
{
    int rounds = parse_args(argc, argv);
    setvbuf(stdout, NULL, _IOLBF, 0);
    elfldr_linux_ops(&linux_table);

    static struct pool_threads pool;
    pool_start(&pool);
    /* Before the warm-up, so that stdout's buffer is not counted as the loader's. */
    printf("concurrency: %d threads, %d rounds; under ThreadSanitizer: %s\n", pool.nthreads, rounds,
#ifdef UNDER_TSAN
           "yes"
#else
           "no"
#endif
    );
    /* The warm-up, as long as the real run: malloc arenas, stdio buffers and a sanitizer's tables grow
     * to what such a run needs and are kept by their owners; what changes after it is the loader's. */
    run_phase(&pool, rounds, false);
    struct maps before, after;
    bool read_before = read_maps(&before);

    run_phase(&pool, rounds, true);

    bool read_after = read_maps(&after);
    pool_stop(&pool);

    struct job process;
    memset(&process, 0, sizeof(process));
    snprintf(process.name, sizeof(process.name), "the process's mappings as before");
    check(&process, read_before && read_after, "/proc/self/maps could not be read");
#ifdef UNDER_TSAN
    /* ThreadSanitizer's own tables may still grow after the warm-up, by 512 KiB steps, in place or as
     * an anonymous mapping of their own (one run in six of the Linux-table mode): only the mappings
     * that name a file or a region are compared. The same test without it (every build but this one)
     * compares every line and byte, anonymous ones included. */
    bool kept = after.named_lines == before.named_lines;
#else
    bool kept = after.lines == before.lines && after.bytes == before.bytes;
#endif
    check(&process, kept,
          "/proc/self/maps: %ld lines (%ld naming a file or region) spanning %llu bytes before, %ld lines (%ld) "
          "spanning %llu bytes after",
          before.lines, before.named_lines, before.bytes, after.lines, after.named_lines, after.bytes);
    check(&process, before.fixture_lines == 0 && after.fixture_lines == 0,
          "/proc/self/maps: %ld lines name a fixture before, %ld after", before.fixture_lines, after.fixture_lines);
    report(&process);

    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
