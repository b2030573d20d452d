/* Exhaustion with real libraries: every call a real load makes to the platform table (reserve, map,
 * protect, alloc, open, read) is made to fail in turn, for every N until the load meets no failure.
 * Each failed load must say so with the platform error that matches the call and a message, and give
 * back every reservation, allocation, handle and mapping; the load that finally goes through must work
 * as the system's copy does.
 *
 * First the system's libz through elfldr_load_path (and the harness's other ways); then a namespace's
 * dlopen of libxml2, whose DT_NEEDED tree (ICU, liblzma, libz, libstdc++, libgcc_s) the namespace loads
 * through the same counting table. */
#include "harness.h"

#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Under AddressSanitizer the host's allocator maps regions of its own as it goes (libxml2 and ICU call
 * it): allow it a few, as test_real does; a mapping left behind by every step would still show. */
#if defined(__SANITIZE_ADDRESS__)
#define MAPS_SLACK 8
#else
#define MAPS_SLACK 0
#endif

/* The process has as many mappings as it had before (give or take the sanitizer's). */
static bool maps_as_before(long before, long *now)
{
    *now = maps_count();
    return *now >= before && *now <= before + MAPS_SLACK;
}

static double seconds_since(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* ---- which call a step fails -------------------------------------------------------------------- */

/* A load makes the same calls in the same order up to the one that fails, so the kinds of the calls of
 * one whole load, logged under the counting table, say which kind of call step N failed. */
enum call_kind {
    CALL_NONE, CALL_RESERVE, CALL_MAP_ZERO, CALL_MAP_FILE, CALL_PROTECT, CALL_ALLOC, CALL_OPEN, CALL_READ
};

static const char *const call_names[] = {"(none)", "reserve", "map_zero", "map_file",
                                         "protect", "alloc", "open", "read"};

#define MAX_CALLS 4096 /* more than any load here makes: the steps stop there */

struct call_log {
    struct elfldr_ops ops; /* what the counting table wraps */
    const struct elfldr_ops *inner;
    const struct counting_ops *counting;
    bool recording;
    unsigned char kind[MAX_CALLS + 1]; /* enum call_kind of call 1, 2, ... */
};

static void note(void *ctx, enum call_kind kind)
{
    struct call_log *log = ctx;
    long at = log->counting->calls; /* the counting table counted this call before passing it on */
    if (log->recording && at >= 1 && at <= MAX_CALLS)
        log->kind[at] = (unsigned char)kind;
}

#define INNER(log) (((struct call_log *)(log))->inner)

static int log_reserve(void *ctx, uintptr_t hint, size_t size, size_t align, bool fixed, uintptr_t *out)
{
    note(ctx, CALL_RESERVE);
    return INNER(ctx)->reserve(INNER(ctx)->ctx, hint, size, align, fixed, out);
}

static int log_reserve_file(void *ctx, uintptr_t hint, size_t size, bool fixed, int prot, intptr_t handle,
                            uint64_t offset, uintptr_t *out)
{
    note(ctx, CALL_RESERVE);
    return INNER(ctx)->reserve_file(INNER(ctx)->ctx, hint, size, fixed, prot, handle, offset, out);
}

static int log_release(void *ctx, uintptr_t addr, size_t size)
{
    return INNER(ctx)->release(INNER(ctx)->ctx, addr, size);
}

static int log_map_zero(void *ctx, uintptr_t addr, size_t size, int prot)
{
    note(ctx, CALL_MAP_ZERO);
    return INNER(ctx)->map_zero(INNER(ctx)->ctx, addr, size, prot);
}

static int log_map_file(void *ctx, uintptr_t addr, size_t size, int prot, intptr_t handle, uint64_t offset)
{
    note(ctx, CALL_MAP_FILE);
    return INNER(ctx)->map_file(INNER(ctx)->ctx, addr, size, prot, handle, offset);
}

static int log_protect(void *ctx, uintptr_t addr, size_t size, int prot)
{
    note(ctx, CALL_PROTECT);
    return INNER(ctx)->protect(INNER(ctx)->ctx, addr, size, prot);
}

static void *log_alloc(void *ctx, size_t size)
{
    note(ctx, CALL_ALLOC);
    return INNER(ctx)->alloc(INNER(ctx)->ctx, size);
}

static void log_free(void *ctx, void *ptr, size_t size)
{
    INNER(ctx)->free(INNER(ctx)->ctx, ptr, size);
}

static int log_open(void *ctx, const char *path, intptr_t *handle)
{
    note(ctx, CALL_OPEN);
    return INNER(ctx)->open(INNER(ctx)->ctx, path, handle);
}

static int log_close(void *ctx, intptr_t handle)
{
    return INNER(ctx)->close(INNER(ctx)->ctx, handle);
}

static int log_read(void *ctx, intptr_t handle, uint64_t offset, void *buf, size_t size)
{
    note(ctx, CALL_READ);
    return INNER(ctx)->read(INNER(ctx)->ctx, handle, offset, buf, size);
}

static int log_file_size(void *ctx, intptr_t handle, uint64_t *size)
{
    return INNER(ctx)->file_size(INNER(ctx)->ctx, handle, size);
}

static int log_file_id(void *ctx, intptr_t handle, uint64_t id[2])
{
    return INNER(ctx)->file_id(INNER(ctx)->ctx, handle, id);
}

/* Puts the log between `counting` and `inner`, and (re)initialises `counting` over it. */
static void call_log_init(struct call_log *log, const struct elfldr_ops *inner, struct counting_ops *counting)
{
    memset(log, 0, sizeof(*log));
    log->inner = inner;
    log->counting = counting;
    log->ops = (struct elfldr_ops){
        .ctx = log,
        .page_size = inner->page_size,
        .reserve = log_reserve,
        .release = log_release,
        .map_zero = log_map_zero,
        .map_file = inner->map_file ? log_map_file : NULL,
        .protect = log_protect,
        .alloc = log_alloc,
        .free = log_free,
        .open = inner->open ? log_open : NULL,
        .close = inner->close ? log_close : NULL,
        .read = inner->read ? log_read : NULL,
        .file_size = inner->file_size ? log_file_size : NULL,
        .file_id = inner->file_id ? log_file_id : NULL,
        .reserve_file = inner->reserve_file ? log_reserve_file : NULL,
    };
    counting_ops_init(counting, &log->ops);
}

static enum call_kind failed_call(const struct call_log *log, long step)
{
    return step >= 1 && step <= MAX_CALLS ? (enum call_kind)log->kind[step] : CALL_NONE;
}

/* The error a failure of each kind of call must be reported as. */
static enum elfldr_err code_for(enum call_kind kind)
{
    switch (kind) {
    case CALL_ALLOC: return ELFLDR_E_NOMEM;
    case CALL_RESERVE:
    case CALL_MAP_ZERO:
    case CALL_MAP_FILE: return ELFLDR_E_MAP;
    case CALL_PROTECT: return ELFLDR_E_PROTECT;
    case CALL_OPEN: return ELFLDR_E_OPEN;
    case CALL_READ: return ELFLDR_E_IO;
    case CALL_NONE: break;
    }
    return ELFLDR_OK;
}

/* ---- a crash names its step --------------------------------------------------------------------- */

/* A step that crashes the loader kills the test before any assertion can say which step it was: the
 * handler says it (with write alone), then the signal takes its course. */
static volatile sig_atomic_t crash_step, crash_kind;

static void say_crash_step(int sig)
{
    char line[96] = "exhaustion: crashed at step ";
    size_t n = strlen(line);
    char digits[24];
    size_t d = 0;
    for (long v = crash_step; d == 0 || v > 0; v /= 10)
        digits[d++] = (char)('0' + v % 10);
    while (d > 0)
        line[n++] = digits[--d];
    const char *tail = ", the call failed was: ";
    const char *kind = call_names[crash_kind];
    for (; *tail; tail++)
        line[n++] = *tail;
    for (; *kind && n < sizeof(line) - 2; kind++)
        line[n++] = *kind;
    line[n++] = '\n';
    ssize_t ignored = write(2, line, n);
    (void)ignored;
    signal(sig, SIG_DFL);
    raise(sig);
}

static void name_crashes(void)
{
    signal(SIGSEGV, say_crash_step);
    signal(SIGBUS, say_crash_step);
    signal(SIGILL, say_crash_step);
    signal(SIGABRT, say_crash_step);
}

static void entering_step(long step, enum call_kind kind)
{
    crash_step = (sig_atomic_t)step;
    crash_kind = (sig_atomic_t)kind;
}

/* ---- what the libraries need from glibc ---------------------------------------------------------- */

static void *host_libm;

/* libc's and libm's symbols from this process, at the version asked for where one is given. */
static int from_process(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                        uintptr_t *addr)
{
    (void)ctx;
    (void)obj;
    void *found = version ? dlvsym(RTLD_DEFAULT, name, version) : NULL;
    if (!found)
        found = dlsym(RTLD_DEFAULT, name);
    if (!found && host_libm)
        found = dlsym(host_libm, name);
    if (!found)
        return ELFLDR_HOOK_SKIP; /* weak references such as __gmon_start__ */
    *addr = (uintptr_t)found;
    return ELFLDR_HOOK_CONTINUE;
}

static const struct elfldr_hooks process_hooks = {.resolve = from_process};

/* ---- libz through elfldr_load_path (and the harness's other ways) -------------------------------- */

typedef const char *(*zlib_version_fn)(void);
typedef int (*compress2_fn)(unsigned char *, unsigned long *, const unsigned char *, unsigned long, int);
typedef int (*uncompress_fn)(unsigned char *, unsigned long *, const unsigned char *, unsigned long);
typedef unsigned long (*crc32_fn)(unsigned long, const unsigned char *, unsigned);

/* The process's own libz (glibc's dlopen), and the file it came from: the one elfldr loads. */
struct system_zlib {
    void *handle;
    char path[4096];
    zlib_version_fn version;
    compress2_fn compress2;
    crc32_fn crc32;
};

static void open_system_zlib(struct system_zlib *z)
{
    z->handle = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(z->handle, "glibc could not load libz.so.1: %s", dlerror());
    z->version = (zlib_version_fn)(uintptr_t)dlsym(z->handle, "zlibVersion");
    z->compress2 = (compress2_fn)(uintptr_t)dlsym(z->handle, "compress2");
    z->crc32 = (crc32_fn)(uintptr_t)dlsym(z->handle, "crc32");
    cr_assert(z->version && z->compress2 && z->crc32, "the system's libz lacks zlibVersion/compress2/crc32");
    Dl_info where;
    cr_assert(dladdr((void *)(uintptr_t)z->crc32, &where) && where.dli_fname && where.dli_fname[0] == '/',
              "no path for the system's libz");
    snprintf(z->path, sizeof(z->path), "%s", where.dli_fname);
}

static void make_input(unsigned char *buf, size_t size)
{
    static const char words[] = "every mapping and allocation can fail, and each failure undoes itself ";
    uint32_t state = 0x9e3779b9u;
    for (size_t i = 0; i < size; i++) {
        state = state * 1664525u + 1013904223u;
        buf[i] = (i / 2048) % 2 ? (unsigned char)(state >> 24) : (unsigned char)words[i % (sizeof(words) - 1)];
    }
}

static void check_libz(const struct elfldr_obj *obj, const struct system_zlib *sys)
{
    enum { SIZE = 64 * 1024, BOUND = SIZE + SIZE / 8 + 64 };
    static unsigned char input[SIZE], mine[BOUND], theirs[BOUND], back[SIZE];
    crc32_fn crc = SYM_FN(obj, crc32_fn, "crc32");
    compress2_fn compress = SYM_FN(obj, compress2_fn, "compress2");
    uncompress_fn uncompress = SYM_FN(obj, uncompress_fn, "uncompress");
    cr_assert_neq((uintptr_t)crc, (uintptr_t)sys->crc32, "elfldr gave back the system's own copy");
    cr_assert_str_eq(SYM_FN(obj, zlib_version_fn, "zlibVersion")(), sys->version());

    make_input(input, SIZE);
    cr_assert_eq(crc(0, (const unsigned char *)"123456789", 9), 0xcbf43926ul, "crc32 of the check string");
    cr_assert_eq(crc(0, input, SIZE), sys->crc32(0, input, SIZE), "crc32 differs from the system's");
    unsigned long mine_len = BOUND, theirs_len = BOUND, back_len = SIZE;
    cr_assert_eq(compress(mine, &mine_len, input, SIZE, 6), 0);
    cr_assert_eq(sys->compress2(theirs, &theirs_len, input, SIZE, 6), 0);
    cr_assert_eq(mine_len, theirs_len, "%lu compressed bytes, the system's libz gives %lu", mine_len, theirs_len);
    cr_assert_eq(memcmp(mine, theirs, mine_len), 0, "the compressed bytes differ from the system's");
    cr_assert_eq(uncompress(back, &back_len, mine, mine_len), 0);
    cr_assert_eq(back_len, SIZE);
    cr_assert_eq(memcmp(back, input, SIZE), 0, "the round trip changed the data");
}

static void assert_step_failed_cleanly(const struct harness *h, long step, enum call_kind kind, int rc,
                                       const struct elfldr_obj *obj, const struct elfldr_error *err,
                                       long maps_before)
{
    const char *way = way_name(h->way);
    cr_assert_null(obj, "%s: step %ld: a failed load returned an object", way, step);
    cr_assert_geq(h->counting.calls, step, "%s: step %ld: the load failed before call %ld: %s", way, step, step,
                  err->message);
    cr_assert_eq(err->code, code_for(kind), "%s: step %ld: the %s call failed, reported as %s (%s)", way, step,
                 call_names[kind], elfldr_strerror(err->code), err->message);
    cr_assert_eq(rc, (int)err->code, "%s: step %ld: returned %d but reported %d", way, step, rc, err->code);
    cr_assert_neq(err->message[0], '\0', "%s: step %ld: no message", way, step);
    cr_assert_eq(h->counting.reserved, 0, "%s: step %ld (%s): %ld reservations left", way, step, err->message,
                 h->counting.reserved);
    cr_assert_eq(h->counting.allocated, 0, "%s: step %ld (%s): %ld allocations left", way, step, err->message,
                 h->counting.allocated);
    cr_assert_eq(h->counting.opened, 0, "%s: step %ld (%s): %ld handles left", way, step, err->message,
                 h->counting.opened);
    long maps;
    if (h->way == WAY_ARENA_MEM)
        cr_assert_eq(h->arena.nblocks, 0, "%s: step %ld (%s): %zu arena blocks left", way, step, err->message,
                     h->arena.nblocks);
    else
        cr_assert(maps_as_before(maps_before, &maps), "%s: step %ld (%s): %ld mappings, %ld before", way, step,
                  err->message, maps, maps_before);
}

/* Fails call N of a load of the system's libz for N = 1, 2, ... until the load meets no failure.
 * Returns how many calls failed a load. */
static long exhaust_libz(struct harness *h)
{
    struct system_zlib sys;
    open_system_zlib(&sys);
    struct call_log *log = calloc(1, sizeof(*log));
    cr_assert_not_null(log);
    call_log_init(log, &h->inner, &h->counting);
    static char *argv[] = {"unit", NULL};
    struct elfldr_load_opts opts = {.hooks = &process_hooks, .argc = 1, .argv = argv, .envp = environ};
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);

    /* One whole load first: the kind of each call it makes, and the host's malloc and dlsym settled
     * before the mappings are counted. */
    log->recording = true;
    struct elfldr_obj *obj = harness_load_ok(h, sys.path, &opts);
    log->recording = false;
    long calls = h->counting.calls;
    cr_assert_lt(calls, MAX_CALLS, "a whole load of libz makes %ld calls", calls);
    check_libz(obj, &sys);
    harness_unload_ok(h, obj);
    harness_assert_clean(h);
    long maps_before = maps_count();

    name_crashes();
    for (long step = 1; step <= MAX_CALLS; step++) {
        entering_step(step, failed_call(log, step));
        struct elfldr_error err;
        h->counting.calls = 0;
        h->counting.fail_at = step;
        int rc = harness_load(h, sys.path, &opts, &obj, &err);
        h->counting.fail_at = 0;
        if (rc != ELFLDR_OK) {
            assert_step_failed_cleanly(h, step, failed_call(log, step), rc, obj, &err, maps_before);
            continue;
        }
        /* Only past the last call: a failure the loader swallowed would show here. */
        cr_assert_lt(h->counting.calls, step, "%s: the %s call %ld failed, yet the load succeeded",
                     way_name(h->way), call_names[failed_call(log, step)], step);
        cr_assert_eq(step - 1, calls, "%s: %ld calls failed a load, a whole load makes %ld", way_name(h->way),
                     step - 1, calls);
        check_libz(obj, &sys);
        harness_unload_ok(h, obj);
        harness_assert_clean(h);
        long maps;
        if (harness_is_linux(h))
            cr_assert(maps_as_before(maps_before, &maps), "%s: %ld mappings after the last load, %ld before",
                      way_name(h->way), maps, maps_before);
        dlclose(sys.handle);
        free(log);
        cr_log_info("exhaustion: libz %s: %ld steps in %.2f s", way_name(h->way), step - 1, seconds_since(&start));
        return step - 1;
    }
    cr_assert_fail("%s: the load still failed after %d injected failures", way_name(h->way), MAX_CALLS);
    return -1;
}

TEST_EVERY_WAY(exhaustion, libz_every_failing_call_undoes_cleanly)
{
    long steps = exhaust_libz(h);
    /* Four PT_LOAD segments: at least a reservation, a mapping each, an allocation and a read. */
    cr_assert_geq(steps, 7, "%s: only %ld platform calls in a whole load of libz", way_name(h->way), steps);
}

/* ---- libxml2 and its dependency tree through a namespace ----------------------------------------- */

typedef void *(*xml_read_fn)(const char *, int, const char *, const char *, int);
typedef void *(*xpath_ctx_fn)(void *);
typedef void *(*xpath_eval_fn)(const unsigned char *, void *);
typedef double (*xpath_number_fn)(void *);
typedef void (*free_fn)(void *);
typedef void (*void_fn)(void);

#define XML_FN(type, handle, name) ((type)(uintptr_t)xml_sym((handle), (name)))

static void *xml_sym(void *handle, const char *name)
{
    void *found = elfldr_dlsym(handle, name);
    cr_assert_not_null(found, "libxml2: no %s", name);
    return found;
}

/* Parse a document and evaluate an XPath expression whose answer is known: (3 + 4 + 5) * 3. */
static void check_libxml2(void *h, long step)
{
    static const char text[] = "<?xml version='1.0'?><shop><item price='3'>a</item><item price='4'>b</item>"
                               "<box><item price='5'>c</item></box></shop>";
    void *doc = XML_FN(xml_read_fn, h, "xmlReadMemory")(text, (int)strlen(text), "shop.xml", NULL, 0);
    cr_assert_not_null(doc, "step %ld: libxml2 did not parse the document", step);
    void *ctx = XML_FN(xpath_ctx_fn, h, "xmlXPathNewContext")(doc);
    cr_assert_not_null(ctx);
    void *result = XML_FN(xpath_eval_fn, h, "xmlXPathEvalExpression")(
        (const unsigned char *)"sum(//item/@price) * count(//item)", ctx);
    cr_assert_not_null(result);
    double value = XML_FN(xpath_number_fn, h, "xmlXPathCastToNumber")(result);
    XML_FN(free_fn, h, "xmlXPathFreeObject")(result);
    XML_FN(free_fn, h, "xmlXPathFreeContext")(ctx);
    XML_FN(free_fn, h, "xmlFreeDoc")(doc);
    XML_FN(void_fn, h, "xmlCleanupParser")();
    cr_assert_eq(value, 36.0, "step %ld: sum 12 times count 3 should be 36, got %f", step, value);
}

/* glibc's libraries are the process's (the resolve hook supplies them) and never loaded: `isolated`
 * would load a second libc. A namespace over a table of the caller's adopts none of the host's mapped
 * libraries, and the list keeps it that way should it ever: libz, which this process has, must be
 * loaded through the counting table like the rest of the tree. */
static const char *const glibc_sonames[] = {"libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
                                            "ld-linux-riscv64-lp64d.so.1"};

struct xml_run {
    struct elfldr_ops linux_table;
    struct call_log log;
    struct counting_ops counting;
    struct elfldr_ns_config cfg;
    bool libz_first;            /* the namespace holds libz.so.1 before libxml2 is opened */
    void *libz;                 /* that handle */
    long reserved_before, allocated_before; /* the namespace's before the libxml2 dlopen */
    long maps_before;           /* the process's, with no namespace */
};

/* A fresh namespace over the counting table, whose call `fail_at` fails. Without libz_first the calls
 * are counted from elfldr_ns_new on; with it, from the libxml2 dlopen on, libz.so.1 being opened first
 * with no failure. */
static struct elfldr_ns *setup_ns(struct xml_run *run, long fail_at)
{
    counting_ops_init(&run->counting, &run->log.ops);
    run->counting.fail_at = run->libz_first ? 0 : fail_at;
    struct elfldr_ns *ns = elfldr_ns_new(&run->cfg);
    if (ns && run->libz_first) {
        run->libz = elfldr_dlopen(ns, "libz.so.1", ELFLDR_RTLD_NOW);
        cr_assert_not_null(run->libz, "libz.so.1: %s", elfldr_dlerror(ns));
        run->counting.calls = 0;
        run->counting.fail_at = fail_at;
        if (run->log.recording) /* libz's calls are not the steps */
            memset(run->log.kind, 0, sizeof(run->log.kind));
    }
    run->reserved_before = run->counting.reserved;
    run->allocated_before = run->counting.allocated;
    return ns;
}

static void assert_run_clean(const struct xml_run *run, long step, const char *when)
{
    const struct counting_ops *c = &run->counting;
    cr_assert_eq(c->reserved, 0, "step %ld (%s): %ld reservations left", step, when, c->reserved);
    cr_assert_eq(c->allocated, 0, "step %ld (%s): %ld allocations left", step, when, c->allocated);
    cr_assert_eq(c->opened, 0, "step %ld (%s): %ld handles left", step, when, c->opened);
    long maps;
    cr_assert(maps_as_before(run->maps_before, &maps), "step %ld (%s): %ld mappings, %ld before", step, when, maps,
              run->maps_before);
}

/* What the namespace has loaded of its own: how many libraries, and whether one of them is `soname`. */
struct listing {
    const char *soname;
    int count;
    bool found;
};

static int list_one(const struct elfldr_phdr_info *info, void *data)
{
    struct listing *l = data;
    const char *slash = strrchr(info->dlpi_name, '/');
    l->count++;
    l->found |= strcmp(slash ? slash + 1 : info->dlpi_name, l->soname) == 0;
    return 0;
}

static struct listing listed(struct elfldr_ns *ns, const char *soname)
{
    struct listing l = {.soname = soname};
    elfldr_dl_iterate_phdr(ns, list_one, &l);
    return l;
}

static bool libz_listed(struct elfldr_ns *ns)
{
    return listed(ns, "libz.so.1").found;
}

/* The namespace's own libz answers, and is the namespace's. */
static void check_ns_libz(struct xml_run *run, struct elfldr_ns *ns, long step, const char *when)
{
    crc32_fn crc = (crc32_fn)(uintptr_t)elfldr_dlsym(run->libz, "crc32");
    cr_assert_not_null(crc, "step %ld (%s): libz lost its crc32: %s", step, when, elfldr_dlerror(ns));
    cr_assert_eq(crc(0, (const unsigned char *)"123456789", 9), 0xcbf43926ul, "step %ld (%s): libz's crc32", step,
                 when);
    cr_assert(libz_listed(ns), "step %ld (%s): libz.so.1 is no longer in the namespace", step, when);
}

/* The namespace held libz with one reference: closing it must unload it. */
static void close_ns_libz(struct xml_run *run, struct elfldr_ns *ns, long step, const char *when)
{
    check_ns_libz(run, ns, step, when);
    cr_assert_eq(elfldr_dlclose(run->libz), 0, "step %ld (%s): %s", step, when, elfldr_dlerror(ns));
    cr_assert_not(libz_listed(ns), "step %ld (%s): libz.so.1 stayed after its last dlclose (a reference leaked)",
                  step, when);
}

/* One failed dlopen: a message, nothing of the tree left in the namespace but what it held before, and
 * the namespace still able to load it. */
static void after_failed_dlopen(struct xml_run *run, struct elfldr_ns *ns, long step)
{
    enum call_kind kind = failed_call(&run->log, step);
    const char *said = elfldr_dlerror(ns);
    cr_assert(said && said[0], "step %ld: dlopen failed (the %s call) without a message", step, call_names[kind]);
    char message[256];
    snprintf(message, sizeof(message), "%s call failed: %s", call_names[kind], said);
    cr_assert_geq(run->counting.calls, step, "step %ld: dlopen failed before call %ld: %s", step, step, said);
    cr_assert_null(elfldr_dlerror(ns), "step %ld: reading the error did not clear it", step);
    /* Rolled back: every library it loaded unmapped and closed (those holding unique symbols too), and
     * nothing more allocated than before but the namespace's table of unique symbols. */
    cr_assert_eq(run->counting.reserved, run->reserved_before, "step %ld (%s): %ld reservations, %ld before",
                 step, message, run->counting.reserved, run->reserved_before);
    cr_assert_eq(run->counting.opened, 0, "step %ld (%s): %ld handles left", step, message, run->counting.opened);
    cr_assert_leq(run->counting.allocated, run->allocated_before + 1, "step %ld (%s): %ld allocations, %ld before",
                  step, message, run->counting.allocated, run->allocated_before);
    int left = listed(ns, "libz.so.1").count;
    cr_assert_eq(left, run->libz_first, "step %ld (%s): %d libraries listed in the namespace", step, message, left);

    if (run->libz_first) {
        close_ns_libz(run, ns, step, message);
    } else {
        void *h = elfldr_dlopen(ns, "libxml2.so.2", ELFLDR_RTLD_NOW);
        cr_assert_not_null(h, "step %ld (%s): the namespace could not load libxml2 afterwards: %s", step, message,
                           elfldr_dlerror(ns));
        check_libxml2(h, step);
        cr_assert_eq(elfldr_dlclose(h), 0);
    }
    elfldr_ns_free(ns);
    assert_run_clean(run, step, message);
}

/* A dlopen that went through: it works, dlclose unmaps it (but for libstdc++, whose unique symbols keep
 * it and what it needs until the namespace goes), and elfldr_ns_free gives back the rest. */
static void after_dlopen(struct xml_run *run, struct elfldr_ns *ns, void *h, long step, const char *when)
{
    check_libxml2(h, step);
    long reserved_open = run->counting.reserved;
    cr_assert_eq(elfldr_dlclose(h), 0);
    cr_assert_lt(run->counting.reserved, reserved_open, "step %ld (%s): dlclose unmapped nothing", step, when);
    if (run->libz_first)
        close_ns_libz(run, ns, step, when);
    elfldr_ns_free(ns);
    assert_run_clean(run, step, when);
}

/* Fails call N of a dlopen of libxml2 for every N until the dlopen meets no failure. */
static void exhaust_libxml2(bool libz_first)
{
    struct xml_run *run = calloc(1, sizeof(*run));
    cr_assert_not_null(run);
    run->libz_first = libz_first;
    run->cfg = (struct elfldr_ns_config){.ops = &run->counting.ops,
                                         .hooks = &process_hooks,
                                         .host_sonames = glibc_sonames,
                                         .host_sonames_len = sizeof(glibc_sonames) / sizeof(glibc_sonames[0])};
    elfldr_linux_ops(&run->linux_table);
    call_log_init(&run->log, &run->linux_table, &run->counting);
    host_libm = dlopen("libm.so.6", RTLD_NOW | RTLD_GLOBAL);
    cr_assert_not_null(host_libm, "%s", dlerror());
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);

    /* A whole dlopen with no failure first: the kind of each call it makes, and what it loads; the
     * process's mappings are counted after it, once the host's malloc has settled. */
    run->log.recording = true;
    struct elfldr_ns *ns = setup_ns(run, 0);
    cr_assert_not_null(ns);
    void *h = elfldr_dlopen(ns, "libxml2.so.2", ELFLDR_RTLD_NOW);
    run->log.recording = false;
    cr_assert_not_null(h, "libxml2.so.2: %s", elfldr_dlerror(ns));
    long calls = run->counting.calls;
    cr_assert_lt(calls, MAX_CALLS, "a whole dlopen of libxml2 makes %ld calls", calls);
    /* Its tree (on Debian 12: ICU, liblzma, libz, libstdc++, libgcc_s) loaded through the counting table:
     * libz too, although this process has it; glibc's libraries not. */
    cr_assert(libz_listed(ns), "libz.so.1 is not the namespace's own");
    cr_assert(listed(ns, "libxml2.so.2").found);
    cr_assert_not(listed(ns, "libc.so.6").found, "the namespace loaded a libc of its own");
    cr_assert_not(listed(ns, "libm.so.6").found, "the namespace loaded a libm of its own");
    int loaded = listed(ns, "libxml2.so.2").count;
    cr_assert_geq(loaded, 3, "libxml2 and only %d libraries: not much of a tree", loaded - 1);
    check_libxml2(h, 0);
    cr_assert_eq(elfldr_dlclose(h), 0);
    if (libz_first)
        close_ns_libz(run, ns, 0, "the whole dlopen");
    elfldr_ns_free(ns);
    cr_assert(counting_ops_clean(&run->counting), "the whole dlopen left %ld reservations, %ld allocations",
              run->counting.reserved, run->counting.allocated);
    run->maps_before = maps_count();

    long failed = 0;
    name_crashes();
    for (long step = 1; step <= MAX_CALLS; step++) {
        enum call_kind kind = failed_call(&run->log, step);
        entering_step(step, kind);
        ns = setup_ns(run, step);
        if (!ns) {
            cr_assert_eq(run->counting.calls, step, "step %ld: elfldr_ns_new failed with no failure", step);
            assert_run_clean(run, step, "elfldr_ns_new failed");
            failed++;
            continue;
        }
        h = elfldr_dlopen(ns, "libxml2.so.2", ELFLDR_RTLD_NOW);
        run->counting.fail_at = 0;
        if (!h) {
            after_failed_dlopen(run, ns, step);
            failed++;
            continue;
        }
        /* Every call of a dlopen matters: a failed one must fail it (a file that cannot be opened for
         * want of descriptors or memory ends the search; a unique symbol that cannot be remembered
         * fails the binding), never be passed over. */
        cr_assert_lt(run->counting.calls, step, "step %ld: the %s call failed, yet dlopen succeeded", step,
                     call_names[kind]);
        after_dlopen(run, ns, h, step, "the last dlopen");
        cr_log_info("exhaustion: libxml2%s: %ld steps (%ld failed) in %.2f s", libz_first ? " after libz" : "",
                    step - 1, failed, seconds_since(&start));
        cr_assert_eq(step - 1, calls, "%ld steps, a whole dlopen makes %ld calls", step - 1, calls);
        cr_assert_gt(failed, 20, "only %ld of %ld dlopens failed", failed, step - 1);
        dlclose(host_libm);
        free(run);
        return;
    }
    cr_assert_fail("dlopen still failed after %d injected failures", MAX_CALLS);
}

Test(exhaustion, libxml2_tree_in_a_fresh_namespace_every_failing_call_undoes_cleanly, .timeout = 120)
{
    exhaust_libxml2(false);
}

/* libz is already the namespace's: each failed dlopen must give back the reference it took on it. */
Test(exhaustion, libxml2_tree_beside_a_loaded_libz_every_failing_call_undoes_cleanly, .timeout = 120)
{
    exhaust_libxml2(true);
}
