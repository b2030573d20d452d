/* Real libraries from Debian through a namespace, each used through its own API and checked against
 * the system's own copy (loaded by glibc's dlopen) or the system's own program. libc and libm are the
 * host's: the resolve hook takes them from this process. */
#include "harness.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <elfldr.h>

static void *host_libm;

static int from_process(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                        uintptr_t *addr)
{
    (void)ctx;
    (void)obj;
    void *p = version ? dlvsym(RTLD_DEFAULT, name, version) : dlsym(RTLD_DEFAULT, name);
    if (!p)
        p = dlsym(RTLD_DEFAULT, name);
    if (!p && host_libm)
        p = dlsym(host_libm, name);
    if (!p)
        return ELFLDR_HOOK_SKIP;
    *addr = (uintptr_t)p;
    return ELFLDR_HOOK_CONTINUE;
}

static const struct elfldr_hooks hooks = {.resolve = from_process};

static int find_stdcxx(const struct elfldr_phdr_info *info, void *found)
{
    if (info->dlpi_name && strstr(info->dlpi_name, "libstdc++"))
        *(bool *)found = true;
    return 0;
}

static struct elfldr_ns *host_ns(void)
{
    /* libm is one of the host's libraries, but this test program does not use it: have glibc load it. */
    host_libm = dlopen("libm.so.6", RTLD_NOW | RTLD_GLOBAL);
    cr_assert_not_null(host_libm, "%s", dlerror());
    /* Only glibc's own libraries are the host's: this test program has libcrypto and libz loaded too,
     * and the point is to load copies of those here. */
    static const char *const glibc[] = {"libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
                                        "ld-linux-riscv64-lp64d.so.1"};
    struct elfldr_ns_config cfg = {.hooks = &hooks, .host_sonames = glibc, .host_sonames_len = 5};
    struct elfldr_ns *ns = elfldr_ns_new(&cfg);
    cr_assert_not_null(ns);
    return ns;
}

static void *ours(struct elfldr_ns *ns, const char *soname)
{
    void *h = elfldr_dlopen(ns, soname, ELFLDR_RTLD_NOW);
    if (!h)
        cr_skip_test("%s: %s", soname, elfldr_dlerror(ns));
    return h;
}

static void *theirs(const char *soname)
{
    void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(h, "glibc could not load %s: %s", soname, dlerror());
    return h;
}

#define FN(type, handle, name, lookup) ((type)(uintptr_t)lookup(handle, name))

/* ---- sqlite3: a query ---------------------------------------------------------------------------- */

typedef int (*sqlite_open_fn)(const char *, void **);
typedef int (*sqlite_exec_fn)(void *, const char *, int (*)(void *, int, char **, char **), void *, char **);
typedef int (*sqlite_close_fn)(void *);

static int collect_row(void *out, int n, char **values, char **names)
{
    (void)names;
    for (int i = 0; i < n; i++) {
        strcat(out, values[i] ? values[i] : "NULL");
        strcat(out, "|");
    }
    return 0;
}

static void sqlite_query(sqlite_open_fn open_db, sqlite_exec_fn exec, sqlite_close_fn close_db, char *out)
{
    void *db = NULL;
    cr_assert_eq(open_db(":memory:", &db), 0);
    const char *sql = "create table t(a integer, b text);"
                      "insert into t values (1, 'one'), (2, 'two'), (3, 'three');"
                      "select sum(a), group_concat(upper(b), ','), printf('%.4f', 2.0/3), sqlite_version() from t;";
    cr_assert_eq(exec(db, sql, collect_row, out, NULL), 0);
    cr_assert_eq(close_db(db), 0);
}

static void sqlite_via(void *h, void *(*lookup)(void *, const char *), char *out)
{
    sqlite_query(FN(sqlite_open_fn, h, "sqlite3_open", lookup), FN(sqlite_exec_fn, h, "sqlite3_exec", lookup),
                 FN(sqlite_close_fn, h, "sqlite3_close", lookup), out);
}

Test(real, sqlite3_answers_a_query_as_the_system_copy_does)
{
    struct elfldr_ns *ns = host_ns();
    char mine[512] = "", system_answer[512] = "";
    void *h = ours(ns, "libsqlite3.so.0");
    sqlite_via(h, elfldr_dlsym, mine);
    void *sys = theirs("libsqlite3.so.0");
    sqlite_via(sys, dlsym, system_answer);
    dlclose(sys);
    cr_assert_str_eq(mine, system_answer);
    cr_assert(strncmp(mine, "6|ONE,TWO,THREE|0.6667|", 23) == 0, "answer: %s", mine);
    cr_assert_eq(elfldr_dlclose(h), 0);
    elfldr_ns_free(ns);
}

/* ---- libxml2: parse, then XPath ----------------------------------------------------------------- */

typedef void *(*xml_read_fn)(const char *, int, const char *, const char *, int);
typedef void *(*xpath_ctx_fn)(void *);
typedef void *(*xpath_eval_fn)(const unsigned char *, void *);
typedef double (*xpath_number_fn)(void *);
typedef void (*free_fn)(void *);
typedef void (*void_fn)(void);

static double xpath_count(void *h, void *(*lookup)(void *, const char *))
{
    static const char doc_text[] =
        "<?xml version='1.0'?><shop><item price='3'>a</item><item price='4'>b</item>"
        "<box><item price='5'>c</item></box></shop>";
    void *doc = FN(xml_read_fn, h, "xmlReadMemory", lookup)(doc_text, (int)strlen(doc_text), "shop.xml", NULL, 0);
    cr_assert_not_null(doc, "libxml2 did not parse the document");
    void *ctx = FN(xpath_ctx_fn, h, "xmlXPathNewContext", lookup)(doc);
    void *result = FN(xpath_eval_fn, h, "xmlXPathEvalExpression", lookup)(
        (const unsigned char *)"sum(//item/@price) * count(//item)", ctx);
    cr_assert_not_null(result);
    double value = FN(xpath_number_fn, h, "xmlXPathCastToNumber", lookup)(result);
    FN(free_fn, h, "xmlXPathFreeObject", lookup)(result);
    FN(free_fn, h, "xmlXPathFreeContext", lookup)(ctx);
    FN(free_fn, h, "xmlFreeDoc", lookup)(doc);
    return value;
}

Test(real, libxml2_parses_and_evaluates_xpath_as_the_system_copy_does)
{
    struct elfldr_ns *ns = host_ns();
    void *h = ours(ns, "libxml2.so.2");
    double mine = xpath_count(h, elfldr_dlsym);
    FN(void_fn, h, "xmlCleanupParser", elfldr_dlsym)();
    void *sys = theirs("libxml2.so.2");
    double system_answer = xpath_count(sys, dlsym);
    dlclose(sys);
    cr_assert_eq(mine, 36.0, "sum 12 times count 3 should be 36, got %f", mine);
    cr_assert_eq(mine, system_answer);
    cr_assert_eq(elfldr_dlclose(h), 0);
    elfldr_ns_free(ns);
}

/* Bound lazily, libxml2's tree leaves libstdc++ behind at its dlclose (its unique symbols keep it);
 * libstdc++'s destructors then bind lazily at ns_free, through a scope that named the libraries
 * already gone: those must have been taken out of it. */
Test(real, a_lazily_bound_libxml2_tree_closes_and_its_namespace_frees_cleanly)
{
    struct elfldr_ns *ns = host_ns();
    void *h = elfldr_dlopen(ns, "libxml2.so.2", ELFLDR_RTLD_LAZY);
    if (!h)
        cr_skip_test("libxml2.so.2: %s", elfldr_dlerror(ns));
    double mine = xpath_count(h, elfldr_dlsym);
    FN(void_fn, h, "xmlCleanupParser", elfldr_dlsym)();
    cr_assert_eq(mine, 36.0, "sum 12 times count 3 should be 36, got %f", mine);
    cr_assert_eq(elfldr_dlclose(h), 0);
    bool stdcxx_stayed = false;
    elfldr_dl_iterate_phdr(ns, find_stdcxx, &stdcxx_stayed);
    cr_assert(stdcxx_stayed, "libstdc++ did not outlive libxml2: the case this test is about did not arise");
    elfldr_ns_free(ns);
}

/* ---- libcrypto: a digest, then unload, then exit cleanly ---------------------------------------- */

typedef unsigned char *(*sha256_fn)(const unsigned char *, size_t, unsigned char *);

static void digest(void *h, void *(*lookup)(void *, const char *), unsigned char out[32])
{
    static unsigned char data[100000];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 31 + (i >> 7));
    cr_assert_not_null(FN(sha256_fn, h, "SHA256", lookup)(data, sizeof(data), out));
}

Test(real, libcrypto_digests_as_the_system_copy_does_and_the_process_exits_cleanly)
{
    unsigned char system_md[32];
    void *sys = theirs("libcrypto.so.3");
    digest(sys, dlsym, system_md);
    /* In a child of its own: OpenSSL registers its cleanup with atexit, which must run (through the
     * library's destructors) before the library is unmapped, not at exit after it is gone. */
    int pipefd[2];
    cr_assert_eq(pipe(pipefd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        struct elfldr_ns *ns = host_ns();
        void *h = elfldr_dlopen(ns, "libcrypto.so.3", ELFLDR_RTLD_NOW);
        unsigned char md[32] = {0};
        if (h)
            digest(h, elfldr_dlsym, md);
        if (write(pipefd[1], md, sizeof(md)) != (ssize_t)sizeof(md) || !h || elfldr_dlclose(h) != 0)
            _exit(3);
        elfldr_ns_free(ns);
        exit(0);
    }
    close(pipefd[1]);
    unsigned char md[32];
    cr_assert_eq(read(pipefd[0], md, sizeof(md)), (ssize_t)sizeof(md));
    close(pipefd[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child did not exit cleanly (status %#x)", status);
    cr_assert_eq(memcmp(md, system_md, 32), 0, "the digests differ");
}

/* ---- libpython3: initialise and run code -------------------------------------------------------- */

static const char python_code[] =
    "import json, zlib, hashlib, threading\n"
    "results = []\n"
    "def work(i):\n"
    "    results.append(hashlib.sha256(zlib.compress(str(i).encode() * 1000)).hexdigest()[:16])\n"
    "threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]\n"
    "[t.start() for t in threads]\n"
    "[t.join() for t in threads]\n"
    "print(json.dumps(sorted(results)))\n";

typedef int (*run_fn)(const char *);

Test(real, libpython_runs_code_as_the_system_python_does)
{
    char expected[1024] = "", got[1024] = "";
    char command[2048];
    snprintf(command, sizeof(command), "python3 -c '%s'", python_code);
    FILE *p = popen(command, "r");
    cr_assert_not_null(p);
    size_t n = fread(expected, 1, sizeof(expected) - 1, p);
    expected[n] = '\0';
    if (pclose(p) != 0 || n < 20)
        cr_skip_test("no working python3 program to compare with");

    int pipefd[2];
    cr_assert_eq(pipe(pipefd), 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipefd[1], 1);
        struct elfldr_ns *ns = host_ns();
        void *h = elfldr_dlopen(ns, "libpython3.11.so.1.0", ELFLDR_RTLD_NOW);
        if (!h)
            _exit(4);
        FN(void_fn, h, "Py_Initialize", elfldr_dlsym)();
        int rc = FN(run_fn, h, "PyRun_SimpleString", elfldr_dlsym)(python_code);
        int fin = ((int (*)(void))(uintptr_t)elfldr_dlsym(h, "Py_FinalizeEx"))();
        fflush(stdout);
        _exit(rc == 0 && fin == 0 ? 0 : 5);
    }
    close(pipefd[1]);
    n = fread(got, 1, sizeof(got) - 1, fdopen(pipefd[0], "r"));
    got[n] = '\0';
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed (status %#x)", status);
    cr_assert_str_eq(got, expected);
    cr_assert(strncmp(got, "[\"", 2) == 0, "python printed: %s", got);
}

/* ---- a thousand load/unload cycles --------------------------------------------------------------- */

/* Under AddressSanitizer the host's allocator maps regions of its own as it goes and keeps freed
 * memory in quarantine: allow it a few mappings, and do not hold it to resident memory. */
#if defined(__SANITIZE_ADDRESS__)
#define MAPS_SLACK 8
#define RSS_SLACK_KIB (256L << 10)
#else
#define MAPS_SLACK 0
#define RSS_SLACK_KIB 1024L
#endif

Test(real, a_thousand_sqlite_cycles_leave_mappings_and_memory_where_they_were, .timeout = 120)
{
    struct elfldr_ns *ns = host_ns();
    char answer[512];
    for (int i = 0; i < 20; i++) { /* warm up: the host's malloc settles */
        void *h = ours(ns, "libsqlite3.so.0");
        answer[0] = '\0';
        sqlite_via(h, elfldr_dlsym, answer);
        elfldr_dlclose(h);
    }
    long maps_before = maps_count(), rss_before = rss_kib();
    for (int i = 0; i < 1000; i++) {
        void *h = ours(ns, "libsqlite3.so.0");
        answer[0] = '\0';
        sqlite_via(h, elfldr_dlsym, answer);
        cr_assert_eq(elfldr_dlclose(h), 0);
    }
    long maps_after = maps_count(), rss_after = rss_kib();
    cr_assert_leq(maps_after, maps_before + MAPS_SLACK, "mappings: %ld before, %ld after", maps_before, maps_after);
    cr_assert_lt(rss_after - rss_before, RSS_SLACK_KIB, "resident memory grew by %ld KiB", rss_after - rss_before);
    elfldr_ns_free(ns);
}

/* Each real library, loaded and unloaded a thousand times: mappings and memory stay where they were. */
static void cycle(const char *soname, int times)
{
    struct elfldr_ns *ns = host_ns();
    for (int i = 0; i < 5; i++)
        elfldr_dlclose(ours(ns, soname));
    long maps_before = maps_count(), rss_before = rss_kib();
    for (int i = 0; i < times; i++)
        cr_assert_eq(elfldr_dlclose(ours(ns, soname)), 0);
    long maps_after = maps_count(), rss_after = rss_kib();
    cr_assert_leq(maps_after, maps_before + MAPS_SLACK, "%s: mappings %ld before, %ld after", soname, maps_before,
                  maps_after);
    cr_assert_lt(rss_after - rss_before, RSS_SLACK_KIB, "%s: resident memory grew by %ld KiB", soname,
                 rss_after - rss_before);
    elfldr_ns_free(ns);
}

Test(real, a_thousand_cycles_of_libz_libxml2_libcrypto_libpython, .timeout = 240)
{
    cycle("libz.so.1", 1000);
    cycle("libxml2.so.2", 1000);
    cycle("libcrypto.so.3", 1000);
    cycle("libpython3.11.so.1.0", 1000);
}

/* ---- zlib: compress and uncompress -------------------------------------------------------------- */

typedef int (*compress2_fn)(unsigned char *, unsigned long *, const unsigned char *, unsigned long, int);
typedef int (*uncompress_fn)(unsigned char *, unsigned long *, const unsigned char *, unsigned long);

Test(real, zlib_compresses_and_uncompresses_as_the_system_copy_does)
{
    static unsigned char input[200000], mine[220000], system_out[220000], back[200000];
    for (size_t i = 0; i < sizeof(input); i++)
        input[i] = (unsigned char)((i * 7) ^ (i >> 6) ^ (i % 251));
    struct elfldr_ns *ns = host_ns();
    void *h = ours(ns, "libz.so.1");
    void *sys = theirs("libz.so.1");
    unsigned long mine_len = sizeof(mine), system_len = sizeof(system_out), back_len = sizeof(back);
    cr_assert_eq(FN(compress2_fn, h, "compress2", elfldr_dlsym)(mine, &mine_len, input, sizeof(input), 9), 0);
    cr_assert_eq(FN(compress2_fn, sys, "compress2", dlsym)(system_out, &system_len, input, sizeof(input), 9), 0);
    cr_assert_eq(mine_len, system_len);
    cr_assert_eq(memcmp(mine, system_out, mine_len), 0, "the compressed bytes differ from the system's");
    cr_assert_eq(FN(uncompress_fn, h, "uncompress", elfldr_dlsym)(back, &back_len, mine, mine_len), 0);
    cr_assert_eq(back_len, sizeof(input));
    cr_assert_eq(memcmp(back, input, sizeof(input)), 0);
    dlclose(sys);
    cr_assert_eq(elfldr_dlclose(h), 0);
    elfldr_ns_free(ns);
}

/* As glibc's dlsym on a handle: the search goes through the library's dependencies, the host's libc
 * among them (shared, not loaded again). */
Test(real, dlsym_on_a_handle_finds_what_its_host_dependencies_define)
{
    struct elfldr_ns *ns = host_ns();
    void *h = ours(ns, "libsqlite3.so.0");
    void *mine = elfldr_dlsym(h, "malloc");
    cr_assert_not_null(mine, "elfldr_dlsym(libsqlite3, malloc): %s", elfldr_dlerror(ns));
    /* libc's own (a sanitizer's interceptor is the process's first malloc, not libc's). */
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    cr_assert_not_null(libc);
    cr_assert_eq(mine, dlsym(libc, "malloc"), "malloc is not the host libc's");
    dlclose(libc);
    cr_assert_null(elfldr_dlsym(h, "elfldr_no_such_symbol_anywhere"));
    cr_assert_eq(elfldr_dlclose(h), 0);
    elfldr_ns_free(ns);
}
