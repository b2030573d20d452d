/* Real libraries from Debian through a namespace, each used through its own API and checked against
 * the system's own copy (loaded by glibc's dlopen) or the system's own program. libc and libm are the
 * host's: the resolve hook takes them from this process. */
#include "harness.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <elf.h>
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

/* ---- the short way of binding an object's own symbols ------------------------------------------- */

/* Every binding of one library as the full lookup made it: a bind hook turns relocate.c's short way
 * for a library's own symbols (binds_to_itself) off, so this is the lookup of each name through the
 * whole scope. A binding to an object the namespace loaded is kept as its path and an offset from its
 * load bias (the other namespace has its own copy); one to the host's, or from the resolve hook, as
 * the address. */
struct binding {
    char name[128];
    bool own;
    char definer[256]; /* "" for an address */
    uintptr_t value;
    bool ambiguous; /* one name bound two ways (two versions): not compared */
};

struct bindings {
    const char *soname;
    struct binding *b;
    size_t n, cap;
};

static int record_binding(void *ctx, const struct elfldr_obj *requester, const char *name, const char *version,
                          const struct elfldr_obj *definer, uintptr_t *addr)
{
    (void)version;
    struct bindings *rec = ctx;
    struct elfldr_info info;
    if (elfldr_get_info(requester, &info) != 0 || !strstr(info.name, rec->soname) || strlen(name) >= 128)
        return ELFLDR_HOOK_CONTINUE;
    bool own = definer == requester;
    struct elfldr_info def_info = {0};
    bool loaded = definer && elfldr_get_info(definer, &def_info) == 0 && def_info.name && def_info.name[0] == '/' &&
                  !strstr(def_info.name, "/libc.so") && !strstr(def_info.name, "/libm.so") &&
                  !strstr(def_info.name, "/ld-linux");
    uintptr_t value = loaded ? *addr - def_info.load_bias : *addr;
    for (size_t i = 0; i < rec->n; i++)
        if (strcmp(rec->b[i].name, name) == 0) {
            rec->b[i].ambiguous |= rec->b[i].own != own || rec->b[i].value != value;
            return ELFLDR_HOOK_CONTINUE;
        }
    if (rec->n == rec->cap) {
        rec->cap = rec->cap ? rec->cap * 2 : 1024;
        rec->b = realloc(rec->b, rec->cap * sizeof(*rec->b));
        cr_assert_not_null(rec->b);
    }
    struct binding *b = &rec->b[rec->n++];
    snprintf(b->name, sizeof(b->name), "%s", name);
    b->own = own;
    snprintf(b->definer, sizeof(b->definer), "%s", loaded ? def_info.name : "");
    b->value = value;
    b->ambiguous = false;
    return ELFLDR_HOOK_CONTINUE;
}

struct loaded {
    const char *soname;
    uintptr_t bias;
    const struct elfldr_phdr *phdrs;
    size_t phnum;
};

static int find_loaded(const struct elfldr_phdr_info *info, void *data)
{
    struct loaded *l = data;
    if (!info->dlpi_name || !strstr(info->dlpi_name, l->soname))
        return 0;
    l->bias = info->dlpi_addr;
    l->phdrs = info->dlpi_phdr;
    l->phnum = info->dlpi_phnum;
    return 1;
}

/* The library loaded the usual way (no bind hook: its own symbols take the short way) holds, in each
 * slot a symbol was bound to, what the full lookup bound: the same address outside it, the same offset
 * inside it. Returns how many slots were compared, and how many of those hold the library's own. */
static void bindings_agree(const char *soname, size_t *compared, size_t *own)
{
    struct bindings rec = {.soname = soname};
    struct elfldr_hooks full_hooks = hooks;
    full_hooks.bind = record_binding;
    full_hooks.ctx = &rec;
    static const char *const glibc[] = {"libc.so.6", "libm.so.6", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1",
                                        "ld-linux-riscv64-lp64d.so.1"};
    struct elfldr_ns_config cfg = {.hooks = &full_hooks, .host_sonames = glibc, .host_sonames_len = 5};
    struct elfldr_ns *full = elfldr_ns_new(&cfg);
    cr_assert_not_null(full);
    void *h_full = ours(full, soname);
    cr_assert_gt(rec.n, 100, "%s: only %zu bindings seen", soname, rec.n);

    struct elfldr_ns *usual = host_ns();
    void *h_usual = ours(usual, soname);
    struct loaded l = {.soname = soname};
    cr_assert_eq(elfldr_dl_iterate_phdr(usual, find_loaded, &l), 1);
    const Elf64_Dyn *dyn = NULL;
    for (size_t i = 0; i < l.phnum; i++)
        if (l.phdrs[i].p_type == PT_DYNAMIC)
            dyn = (const Elf64_Dyn *)(l.bias + l.phdrs[i].p_vaddr);
    cr_assert_not_null(dyn);
    uintptr_t rela = 0, jmprel = 0, symtab = 0, strtab = 0;
    size_t relasz = 0, pltrelsz = 0;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        switch (dyn->d_tag) {
        case DT_RELA: rela = l.bias + dyn->d_un.d_ptr; break;
        case DT_RELASZ: relasz = dyn->d_un.d_val; break;
        case DT_JMPREL: jmprel = l.bias + dyn->d_un.d_ptr; break;
        case DT_PLTRELSZ: pltrelsz = dyn->d_un.d_val; break;
        case DT_SYMTAB: symtab = l.bias + dyn->d_un.d_ptr; break;
        case DT_STRTAB: strtab = l.bias + dyn->d_un.d_ptr; break;
        }
    }
    cr_assert(symtab && strtab && (rela || jmprel));
    *compared = *own = 0;
    const struct {
        uintptr_t table;
        size_t size;
    } tables[] = {{rela, relasz}, {jmprel, pltrelsz}};
    for (size_t t = 0; t < 2; t++) {
        const Elf64_Rela *r = (const Elf64_Rela *)tables[t].table;
        for (size_t i = 0; i < tables[t].size / sizeof(*r); i++) {
            uint32_t type = ELF64_R_TYPE(r[i].r_info), sym = ELF64_R_SYM(r[i].r_info);
            if (sym == 0 || (type != R_X86_64_64 && type != R_X86_64_GLOB_DAT && type != R_X86_64_JUMP_SLOT))
                continue;
            const char *name = (const char *)strtab + ((const Elf64_Sym *)symtab)[sym].st_name;
            const struct binding *b = NULL;
            for (size_t k = 0; k < rec.n && !b; k++)
                if (strcmp(rec.b[k].name, name) == 0)
                    b = &rec.b[k];
            cr_assert_not_null(b, "%s: `%s' was bound without the full lookup seeing it", soname, name);
            if (b->ambiguous)
                continue;
            uint64_t slot;
            memcpy(&slot, (const void *)(l.bias + r[i].r_offset), 8);
            struct loaded definer = {.soname = b->definer};
            if (b->definer[0])
                cr_assert_eq(elfldr_dl_iterate_phdr(usual, find_loaded, &definer), 1, "%s: no %s", soname, b->definer);
            uintptr_t expected = definer.bias + b->value + (type == R_X86_64_64 ? r[i].r_addend : 0);
            cr_assert_eq(slot, expected, "%s: `%s' (%s entry %zu) holds %#lx, the full lookup bound %#lx", soname,
                         name, t ? "DT_JMPREL" : "DT_RELA", i, (unsigned long)slot, (unsigned long)expected);
            ++*compared;
            *own += b->own;
        }
    }
    cr_assert_eq(elfldr_dlclose(h_usual), 0);
    cr_assert_eq(elfldr_dlclose(h_full), 0);
    elfldr_ns_free(usual);
    elfldr_ns_free(full);
    free(rec.b);
}

#if defined(__x86_64__)
Test(real, a_library_binds_its_own_symbols_the_short_way_as_the_full_lookup_does)
{
    /* libcrypto binds 3,062 of its 3,205 symbols to itself; libpython and libsqlite3 many of theirs. */
    static const char *const libs[] = {"libcrypto.so.3", "libpython3.11.so.1.0", "libsqlite3.so.0"};
    for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
        size_t compared, own;
        bindings_agree(libs[i], &compared, &own);
        cr_assert_gt(own, 100, "%s: only %zu of %zu slots bound to the library itself", libs[i], own, compared);
        cr_log_info("%s: %zu slots compared, %zu bound to the library itself", libs[i], compared, own);
    }
}
#endif
