/* Namespaces: dlopen finds and loads a library's DT_NEEDED tree, counts references, and unloads it all
 * at the last dlclose; failures leave nothing behind and say why through dlerror. */
#include "counting_ops.h"

#include <criterion/criterion.h>
#include <dlfcn.h>
#include <elf.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

typedef int (*int_fn)(void);

static struct elfldr_ops linux_table;
static struct counting_ops counting;
static const char *const fixture_dir[] = {FIXTURE_DIR};
static const char *const nowhere[] = {"/nonexistent-elfldr-system-dir"};

static uintptr_t thread_id(void) { return (uintptr_t)syscall(SYS_gettid); }

static int from_process(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                        uintptr_t *addr)
{
    (void)ctx;
    (void)obj;
    void *p = version ? dlvsym(RTLD_DEFAULT, name, version) : dlsym(RTLD_DEFAULT, name);
    if (!p)
        return ELFLDR_HOOK_SKIP;
    *addr = (uintptr_t)p;
    return ELFLDR_HOOK_CONTINUE;
}

static const struct elfldr_hooks process_hooks = {.resolve = from_process};

/* A namespace over the counting Linux table; `search` is its own path (NULL: none), and the system
 * directories are replaced by one that does not exist unless `system` is set. */
static struct elfldr_ns *new_ns(const char *const *search, bool system, bool isolated)
{
    elfldr_linux_ops(&linux_table);
    counting_ops_init(&counting, &linux_table);
    struct elfldr_ns_config cfg = {
        .ops = &counting.ops,
        .hooks = &process_hooks,
        .search_path = search,
        .search_path_len = search ? 1 : 0,
        .system_path = system ? NULL : nowhere,
        .system_path_len = system ? 0 : 1,
        .isolated = isolated,
        .thread_id = thread_id,
    };
    struct elfldr_ns *ns = elfldr_ns_new(&cfg);
    cr_assert_not_null(ns);
    return ns;
}

static void free_ns_clean(struct elfldr_ns *ns)
{
    elfldr_ns_free(ns);
    cr_assert(counting_ops_clean(&counting), "left behind: %ld reservations, %ld allocations, %ld handles",
              counting.reserved, counting.allocated, counting.opened);
}

static int count_cb(const struct elfldr_phdr_info *info, void *data)
{
    (void)info;
    ++*(int *)data;
    return 0;
}

static int loaded_count(struct elfldr_ns *ns)
{
    int n = 0;
    elfldr_dl_iterate_phdr(ns, count_cb, &n);
    return n;
}

Test(ns, dlopen_loads_the_dependency_tree_and_dlclose_unloads_it)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *caller = elfldr_dlopen(ns, "libcaller.so", ELFLDR_RTLD_NOW);
    cr_assert_not_null(caller, "dlopen: %s", elfldr_dlerror(ns));
    cr_assert_eq(loaded_count(ns), 2, "libcaller and libcallee should be loaded");
    /* dlsym searches the library, then its dependencies. */
    int_fn bump = (int_fn)(uintptr_t)elfldr_dlsym(caller, "callee_bump");
    cr_assert_not_null(bump);
    int before = bump();
    cr_assert_eq(bump(), before + 1);
    struct elfldr_dl_info info;
    cr_assert_eq(elfldr_dladdr(ns, (void *)(uintptr_t)bump, &info), 0);
    cr_assert(strstr(info.dli_fname, "libcallee.so"), "dladdr named %s", info.dli_fname);
    cr_assert_str_eq(info.dli_sname, "callee_bump");

    cr_assert_eq(elfldr_dlclose(caller), 0);
    cr_assert_eq(loaded_count(ns), 0, "the tree was not unloaded");
    cr_assert(counting.reserved == 0, "a mapping was left");
    free_ns_clean(ns);
}

Test(ns, references_are_counted_and_noload_loads_nothing)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    cr_assert_null(elfldr_dlopen(ns, "libcallee.so", ELFLDR_RTLD_NOLOAD));
    void *a = elfldr_dlopen(ns, "libcallee.so", 0);
    cr_assert_not_null(a, "%s", elfldr_dlerror(ns));
    void *b = elfldr_dlopen(ns, "libcallee.so", ELFLDR_RTLD_NOLOAD);
    cr_assert_eq(a, b, "NOLOAD of a loaded library gives its handle");
    void *c = elfldr_dlopen(ns, "libcaller.so", 0);
    cr_assert_not_null(c, "%s", elfldr_dlerror(ns));
    cr_assert_eq(loaded_count(ns), 2, "libcallee was loaded a second time");

    cr_assert_eq(elfldr_dlclose(a), 0);
    cr_assert_eq(elfldr_dlclose(b), 0);
    cr_assert_eq(loaded_count(ns), 2, "libcaller still needs libcallee");
    cr_assert_eq(elfldr_dlclose(c), 0);
    cr_assert_eq(loaded_count(ns), 0);
    free_ns_clean(ns);
}

Test(ns, nodelete_survives_dlclose_until_the_namespace_goes)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *h = elfldr_dlopen(ns, "libcallee.so", ELFLDR_RTLD_NODELETE);
    cr_assert_not_null(h, "%s", elfldr_dlerror(ns));
    cr_assert_eq(elfldr_dlclose(h), 0);
    cr_assert_eq(loaded_count(ns), 1, "a NODELETE library was unloaded");
    free_ns_clean(ns);
}

Test(ns, origin_in_runpath_finds_the_dependency_beside_the_library)
{
    struct elfldr_ns *ns = new_ns(NULL, false, false);
    cr_assert_null(elfldr_dlopen(ns, "libcaller.so", 0), "found with no search path at all");
    cr_assert(strstr(elfldr_dlerror(ns), "libcaller.so"));
    void *h = elfldr_dlopen(ns, FIXTURE_CALLER_ORIGIN, 0);
    cr_assert_not_null(h, "%s", elfldr_dlerror(ns));
    cr_assert_not_null(elfldr_dlsym(h, "callee_bump"), "%s", elfldr_dlerror(ns));
    cr_assert_eq(loaded_count(ns), 2);
    cr_assert_eq(elfldr_dlclose(h), 0);
    free_ns_clean(ns);
}

Test(ns, a_missing_dependency_fails_naming_it_and_leaves_nothing)
{
    /* A copy of libcaller alone in a directory: its $ORIGIN runpath finds no libcallee there, and
     * libcallee is nowhere else the namespace looks. */
    char dir[] = "/tmp/elfldr-ns-XXXXXX", copy[64], command[256];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(copy, sizeof(copy), "%s/libcaller.so", dir);
    snprintf(command, sizeof(command), "cp '%s' '%s'", FIXTURE_CALLER, copy);
    cr_assert_eq(system(command), 0);
    struct elfldr_ns *ns = new_ns(NULL, false, false);
    void *h = elfldr_dlopen(ns, copy, 0);
    unlink(copy);
    rmdir(dir);
    cr_assert_null(h);
    const char *message = elfldr_dlerror(ns);
    cr_assert_not_null(message);
    cr_assert(strstr(message, "libcallee.so") && strstr(message, "needed by"), "message: %s", message);
    cr_assert_null(elfldr_dlerror(ns), "reading dlerror clears it");
    cr_assert_eq(loaded_count(ns), 0);
    cr_assert(counting.reserved == 0 && counting.opened == 0, "the failed dlopen left a mapping or a file open");
    free_ns_clean(ns);
}

Test(ns, dlopen_mem_searches_the_dependencies)
{
    FILE *f = fopen(FIXTURE_CALLER, "rb");
    cr_assert_not_null(f);
    static unsigned char image[1 << 20];
    size_t size = fread(image, 1, sizeof(image), f);
    fclose(f);
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *h = elfldr_dlopen_mem(ns, "caller-in-memory", image, size, 0);
    cr_assert_not_null(h, "%s", elfldr_dlerror(ns));
    cr_assert_eq(loaded_count(ns), 2);
    cr_assert_eq(elfldr_dlclose(h), 0);
    free_ns_clean(ns);
}

Test(ns, unknown_symbol_is_an_error_through_dlerror)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *h = elfldr_dlopen(ns, "libcallee.so", 0);
    cr_assert_not_null(h);
    cr_assert_null(elfldr_dlsym(h, "no_such_symbol"));
    const char *message = elfldr_dlerror(ns);
    cr_assert(message && strstr(message, "no_such_symbol"), "message: %s", message);
    cr_assert_eq(elfldr_dlclose(h), 0);
    cr_assert_eq(elfldr_dlclose((void *)&counting), -1, "dlclose of something not a handle");
    free_ns_clean(ns);
}

Test(ns, host_libc_is_shared_by_default_and_loaded_when_isolated)
{
    /* libz needs libc.so.6: by default the host's copy serves (through the resolve hook). */
    struct elfldr_ns *ns = new_ns(NULL, true, false);
    void *z = elfldr_dlopen(ns, "libz.so.1", 0);
    cr_assert_not_null(z, "%s", elfldr_dlerror(ns));
    cr_assert_eq(loaded_count(ns), 1, "libc was loaded although the host has it");
    const char *(*version)(void) = (const char *(*)(void))(uintptr_t)elfldr_dlsym(z, "zlibVersion");
    cr_assert_not_null(version);
    cr_assert_eq(strncmp(version(), "1.", 2), 0, "zlibVersion says %s", version());
    cr_assert_eq(elfldr_dlclose(z), 0);
    free_ns_clean(ns);

    /* Isolated, libc.so.6 itself must be loaded: it carries TLS, which is refused for now, cleanly. */
    ns = new_ns(NULL, true, true);
    cr_assert_null(elfldr_dlopen(ns, "libz.so.1", 0));
    const char *message = elfldr_dlerror(ns);
    cr_assert(message && strstr(message, "not supported"), "message: %s", message);
    cr_assert_eq(loaded_count(ns), 0);
    free_ns_clean(ns);
}

struct worker {
    struct elfldr_ns *ns;
    int failures;
};

static void *churn(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 100; i++) {
        void *h = elfldr_dlopen(w->ns, (i & 1) ? "libcaller.so" : "libcallee.so", 0);
        int_fn bump = h ? (int_fn)(uintptr_t)elfldr_dlsym(h, "callee_bump") : NULL;
        if (!h || !bump || bump() <= 0 || elfldr_dlclose(h) != 0)
            w->failures++;
    }
    return NULL;
}

Test(ns, threads_open_use_and_close_in_one_namespace)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    pthread_t threads[4];
    struct worker workers[4];
    for (int i = 0; i < 4; i++) {
        workers[i] = (struct worker){ns, 0};
        cr_assert_eq(pthread_create(&threads[i], NULL, churn, &workers[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
        cr_assert_eq(workers[i].failures, 0, "thread %d: %d failures", i, workers[i].failures);
    }
    cr_assert_eq(loaded_count(ns), 0);
    free_ns_clean(ns);
}

/* The bind hook sees every binding: it can replace one, or refuse one and fail the whole dlopen. */
struct bind_log {
    int seen_callee_twice, seen_from_callee;
    const char *refuse;
};

static struct bind_log bind_log;

static int replacement_twice(int x) { return 1000 + x; }

static int watch_bindings(void *ctx, const struct elfldr_obj *requester, const char *name, const char *version,
                          const struct elfldr_obj *definer, uintptr_t *addr)
{
    (void)ctx;
    (void)version;
    struct elfldr_info who;
    /* Refused for libcaller only: libcallee binds its own callee_value too. */
    if (bind_log.refuse && strcmp(name, bind_log.refuse) == 0 && elfldr_get_info(requester, &who) == 0 &&
        strstr(who.name, "libcaller.so"))
        return ELFLDR_HOOK_REFUSE;
    if (strcmp(name, "callee_twice") == 0) {
        bind_log.seen_callee_twice++;
        struct elfldr_info info;
        if (definer && elfldr_get_info(definer, &info) == 0 && strstr(info.name, "libcallee.so"))
            bind_log.seen_from_callee++;
        *addr = (uintptr_t)replacement_twice;
    }
    return ELFLDR_HOOK_CONTINUE;
}

static struct elfldr_ns *new_watched_ns(void)
{
    static const struct elfldr_hooks watch = {.resolve = from_process, .bind = watch_bindings};
    elfldr_linux_ops(&linux_table);
    counting_ops_init(&counting, &linux_table);
    struct elfldr_ns_config cfg = {
        .ops = &counting.ops, .hooks = &watch, .search_path = fixture_dir, .search_path_len = 1,
        .system_path = nowhere, .system_path_len = 1, .thread_id = thread_id,
    };
    struct elfldr_ns *ns = elfldr_ns_new(&cfg);
    cr_assert_not_null(ns);
    return ns;
}

Test(ns, the_bind_hook_can_replace_a_binding)
{
    bind_log = (struct bind_log){0, 0, NULL};
    struct elfldr_ns *ns = new_watched_ns();
    void *h = elfldr_dlopen(ns, "libcaller.so", 0);
    cr_assert_not_null(h, "%s", elfldr_dlerror(ns));
    cr_assert_geq(bind_log.seen_callee_twice, 1, "the hook never saw callee_twice");
    cr_assert_eq(bind_log.seen_from_callee, bind_log.seen_callee_twice, "the definer was not libcallee");
    int (*call_twice)(int) = (int (*)(int))(uintptr_t)elfldr_dlsym(h, "caller_call_twice");
    int (*via_pointer)(int) = (int (*)(int))(uintptr_t)elfldr_dlsym(h, "caller_call_twice_via_pointer");
    cr_assert_eq(call_twice(5), 1005, "the PLT call did not go to the replacement");
    cr_assert_eq(via_pointer(5), 1005, "the absolute pointer did not get the replacement");
    cr_assert_eq(elfldr_dlclose(h), 0);
    free_ns_clean(ns);
}

Test(ns, a_refused_binding_fails_the_dlopen_naming_symbol_and_library)
{
    bind_log = (struct bind_log){0, 0, "callee_value"};
    struct elfldr_ns *ns = new_watched_ns();
    cr_assert_null(elfldr_dlopen(ns, "libcaller.so", 0));
    const char *message = elfldr_dlerror(ns);
    cr_assert(message && strstr(message, "callee_value") && strstr(message, "libcaller.so"), "message: %s", message);
    cr_assert_eq(loaded_count(ns), 0, "the refused dlopen left libraries loaded");
    free_ns_clean(ns);
}

/* Scope order, as glibc's: the global scope first, then the library's own tree breadth-first; with
 * RTLD_DEEPBIND the tree first. scope_which returns 'a', 'b' or 's' after the library defining it. */
static int which_of(void *h, const char *fn)
{
    int_fn f = (int_fn)(uintptr_t)elfldr_dlsym(h, fn);
    cr_assert_not_null(f, "no %s", fn);
    return f();
}

Test(ns, dependencies_bind_in_breadth_first_order)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *user = elfldr_dlopen(ns, "libscope_user.so", 0);
    cr_assert_not_null(user, "%s", elfldr_dlerror(ns));
    cr_assert_eq(which_of(user, "scope_user_which"), 'a', "the first DT_NEEDED should win");
    cr_assert_eq(which_of(user, "scope_which"), 'a', "dlsym on the handle searches its tree in the same order");
    cr_assert_eq(which_of(user, "scope_user_b_only"), 'B');
    cr_assert_eq(loaded_count(ns), 3);
    cr_assert_eq(elfldr_dlclose(user), 0);
    free_ns_clean(ns);
}

Test(ns, the_global_scope_interposes_unless_deepbind)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *b = elfldr_dlopen(ns, "libscope_b.so", ELFLDR_RTLD_GLOBAL);
    cr_assert_not_null(b, "%s", elfldr_dlerror(ns));
    void *self = elfldr_dlopen(ns, "libscope_self.so", 0);
    cr_assert_not_null(self, "%s", elfldr_dlerror(ns));
    cr_assert_eq(which_of(self, "scope_self_which"), 'b', "a global definition should interpose");
    cr_assert_eq(elfldr_dlclose(self), 0);
    void *deep = elfldr_dlopen(ns, "libscope_self.so", ELFLDR_RTLD_DEEPBIND);
    cr_assert_not_null(deep, "%s", elfldr_dlerror(ns));
    cr_assert_eq(which_of(deep, "scope_self_which"), 's', "DEEPBIND should bind the library's own first");
    cr_assert_eq(elfldr_dlclose(deep), 0);
    cr_assert_eq(elfldr_dlclose(b), 0);
    free_ns_clean(ns);
}

/* Opens libscope_many.so and checks each of its 4,096 references to its own exports: every 64th is
 * libscope_many_b.so's where `interposed`, all others its own. */
static void check_many(struct elfldr_ns *ns, bool interposed, const char *when)
{
    void *many = elfldr_dlopen(ns, "libscope_many.so", 0);
    cr_assert_not_null(many, "%s: %s", when, elfldr_dlerror(ns));
    int (*const *table)(void) = elfldr_dlsym(many, "scope_many_table");
    cr_assert_not_null(table);
    int bound_to_b = 0;
    for (int i = 0; i < 4096; i++) {
        int want = interposed && i % 64 == 0;
        cr_assert_eq(table[i](), want, "%s: entry %d (many_%04o) should bind to %s", when, i, i,
                     want ? "libscope_many_b.so" : "its own");
        bound_to_b += table[i]();
    }
    cr_assert_eq(bound_to_b, interposed ? 64 : 0, "%s", when);
    cr_assert_eq(elfldr_dlclose(many), 0);
}

/* libscope_many.so refers to 4,096 of its own exports, which makes relocation ask one filter for the
 * global scope's symbols (relocate.c, prior_filter), kept by the namespace for the next load while the
 * global scope stays as it was. A global library defining every 64th name must win for each of them,
 * wherever they fall in the table: the filter made before it joined must not be used after. */
Test(ns, the_global_scope_interposes_on_a_library_of_thousands_of_own_references)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *a = elfldr_dlopen(ns, "libscope_a.so", ELFLDR_RTLD_GLOBAL);
    cr_assert_not_null(a, "%s", elfldr_dlerror(ns));
    check_many(ns, false, "libscope_a global");
    check_many(ns, false, "libscope_a global, again (the kept filter)");
    void *b = elfldr_dlopen(ns, "libscope_many_b.so", ELFLDR_RTLD_GLOBAL);
    cr_assert_not_null(b, "%s", elfldr_dlerror(ns));
    check_many(ns, true, "libscope_many_b made global after");
    check_many(ns, true, "libscope_many_b global, again");
    cr_assert_eq(elfldr_dlclose(b), 0);
    check_many(ns, false, "libscope_many_b closed");
    void *b_local = elfldr_dlopen(ns, "libscope_many_b.so", ELFLDR_RTLD_LOCAL);
    cr_assert_not_null(b_local, "%s", elfldr_dlerror(ns));
    check_many(ns, false, "libscope_many_b local");
    cr_assert_eq(elfldr_dlopen(ns, "libscope_many_b.so", ELFLDR_RTLD_NOLOAD | ELFLDR_RTLD_GLOBAL), b_local);
    check_many(ns, true, "libscope_many_b made global by RTLD_NOLOAD");
    cr_assert_eq(elfldr_dlclose(b_local), 0);
    cr_assert_eq(elfldr_dlclose(b_local), 0);
    cr_assert_eq(elfldr_dlclose(a), 0);
    free_ns_clean(ns);
}

Test(ns, a_local_library_does_not_interpose)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *a = elfldr_dlopen(ns, "libscope_a.so", ELFLDR_RTLD_LOCAL);
    cr_assert_not_null(a, "%s", elfldr_dlerror(ns));
    void *self = elfldr_dlopen(ns, "libscope_self.so", 0);
    cr_assert_not_null(self, "%s", elfldr_dlerror(ns));
    cr_assert_eq(which_of(self, "scope_self_which"), 's');
    /* Made global later (dlopen again with RTLD_GLOBAL), it interposes for what is loaded after. */
    void *again = elfldr_dlopen(ns, "libscope_a.so", ELFLDR_RTLD_NOLOAD | ELFLDR_RTLD_GLOBAL);
    cr_assert_eq(again, a);
    cr_assert_eq(elfldr_dlclose(self), 0);
    self = elfldr_dlopen(ns, "libscope_self.so", 0);
    cr_assert_eq(which_of(self, "scope_self_which"), 'a');
    cr_assert_eq(elfldr_dlclose(self), 0);
    cr_assert_eq(elfldr_dlclose(again), 0);
    cr_assert_eq(elfldr_dlclose(a), 0);
    free_ns_clean(ns);
}

/* With the Linux table, a namespace finds the host's own libraries through the auxiliary vector and
 * ld.so's link map: one the host has is not loaded again, and symbols bind to the host's with no hook.
 * (This test program has libz and libc loaded.) */
Test(ns, the_hosts_libraries_serve_without_a_hook)
{
    struct elfldr_ns *ns = elfldr_ns_new(NULL);
    cr_assert_not_null(ns);
    void *z = elfldr_dlopen(ns, "libz.so.1", ELFLDR_RTLD_NOW);
    cr_assert_not_null(z, "%s", elfldr_dlerror(ns));
    cr_assert_eq(loaded_count(ns), 0, "the host's libz was loaded again");
    cr_assert_eq(elfldr_dlsym(z, "zlibVersion"), dlsym(RTLD_DEFAULT, "zlibVersion"), "not the host's zlibVersion");
    void *libc = elfldr_dlopen(ns, "libc.so.6", 0);
    cr_assert_not_null(libc, "%s", elfldr_dlerror(ns));
    void *host_libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    cr_assert_eq(elfldr_dlsym(libc, "strlen"), dlsym(host_libc, "strlen"), "not the host's libc's strlen");
    dlclose(host_libc);
    cr_assert_eq(elfldr_dlclose(libc), 0);
    cr_assert_eq(elfldr_dlclose(z), 0);
    elfldr_ns_free(ns);

    /* Sharing only libc: libz gets a copy of its own, bound to the host's libc without a hook. */
    static const char *const only_libc[] = {"libc.so.6"};
    struct elfldr_ns_config cfg = {.host_sonames = only_libc, .host_sonames_len = 1};
    ns = elfldr_ns_new(&cfg);
    z = elfldr_dlopen(ns, "libz.so.1", ELFLDR_RTLD_NOW);
    cr_assert_not_null(z, "%s", elfldr_dlerror(ns));
    cr_assert_eq(loaded_count(ns), 1);
    const char *(*version)(void) = (const char *(*)(void))(uintptr_t)elfldr_dlsym(z, "zlibVersion");
    cr_assert_neq((void *)(uintptr_t)version, dlsym(RTLD_DEFAULT, "zlibVersion"), "this should be a copy");
    cr_assert_str_eq(version(), ((const char *(*)(void))(uintptr_t)dlsym(RTLD_DEFAULT, "zlibVersion"))());
    cr_assert_eq(elfldr_dlclose(z), 0);
    cr_assert_eq(loaded_count(ns), 0);
    elfldr_ns_free(ns);
}

Test(ns, rtld_lazy_binds_at_the_first_call)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *h = elfldr_dlopen(ns, "liblazy_user.so", ELFLDR_RTLD_LAZY);
    cr_assert_not_null(h, "%s", elfldr_dlerror(ns));
    double (*variadic)(void) = (double (*)(void))(uintptr_t)elfldr_dlsym(h, "lazy_user_variadic");
    cr_assert_not_null(variadic);
    cr_assert_eq(variadic(), 1.5 * 1 + 2.5 * 2 + 3.5 * 3 + 4.5 * 4 + 5.5 * 5);
    cr_assert_eq(elfldr_dlclose(h), 0);
    cr_assert_eq(loaded_count(ns), 0);
    free_ns_clean(ns);
}

Test(ns, unique_symbols_have_one_definition_in_a_namespace)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *a = elfldr_dlopen(ns, "libunique_a.so", 0);
    void *b = elfldr_dlopen(ns, "libunique_b.so", 0);
    cr_assert(a && b, "%s", elfldr_dlerror(ns));
    cr_assert_eq(elfldr_dlsym(a, "unique_counter"), elfldr_dlsym(b, "unique_counter"), "two copies of a unique object");
    cr_assert_eq(((int_fn)(uintptr_t)elfldr_dlsym(a, "unique_bump_a"))(), 8);
    cr_assert_eq(((int_fn)(uintptr_t)elfldr_dlsym(b, "unique_bump_b"))(), 9, "libunique_b did not share a's copy");
    cr_assert_eq(elfldr_dlclose(b), 0);
    cr_assert_eq(elfldr_dlclose(a), 0);
    free_ns_clean(ns);

    /* Namespaces share nothing: another one has its own. */
    ns = new_ns(fixture_dir, false, false);
    b = elfldr_dlopen(ns, "libunique_b.so", 0);
    cr_assert_not_null(b, "%s", elfldr_dlerror(ns));
    cr_assert_eq(((int_fn)(uintptr_t)elfldr_dlsym(b, "unique_bump_b"))(), 101);
    cr_assert_eq(elfldr_dlclose(b), 0);
    free_ns_clean(ns);
}

/* A library is one file, whatever path reaches it: a symbolic link to a loaded library gives its
 * handle, not a second copy. */
Test(ns, another_path_to_a_loaded_file_is_the_same_library)
{
    char dir[] = "/tmp/elfldr-ns-XXXXXX", link[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(link, sizeof(link), "%s/other-name.so", dir);
    cr_assert_eq(symlink(FIXTURE_DIR "/libcallee.so", link), 0);
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *a = elfldr_dlopen(ns, "libcallee.so", 0);
    void *b = elfldr_dlopen(ns, link, 0);
    unlink(link);
    rmdir(dir);
    cr_assert(a && b, "%s", elfldr_dlerror(ns));
    cr_assert_eq(a, b, "the same file was loaded twice");
    cr_assert_eq(loaded_count(ns), 1);
    cr_assert_eq(elfldr_dlclose(b), 0);
    cr_assert_eq(loaded_count(ns), 1, "one reference is left");
    cr_assert_eq(elfldr_dlclose(a), 0);
    free_ns_clean(ns);
}

/* DT_SYMBOLIC puts the library itself first: the same libscope_self, its DT_SONAME entry turned into
 * DT_SYMBOLIC in a copy of the image, is not interposed by a global definition. */
static size_t read_patched_symbolic(const char *path, unsigned char *image, size_t cap)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    size_t size = fread(image, 1, cap, f);
    fclose(f);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)image;
    Elf64_Phdr *ph = (Elf64_Phdr *)(image + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_DYNAMIC)
            continue;
        for (Elf64_Dyn *d = (Elf64_Dyn *)(image + ph[i].p_offset); d->d_tag != DT_NULL; d++) {
            if (d->d_tag == DT_SONAME) {
                d->d_tag = DT_SYMBOLIC;
                d->d_un.d_val = 0;
                return size;
            }
        }
    }
    cr_assert_fail("no DT_SONAME to turn into DT_SYMBOLIC");
    return 0;
}

Test(ns, dt_symbolic_binds_the_library_first)
{
    static unsigned char image[1 << 20];
    size_t size = read_patched_symbolic(FIXTURE_DIR "/libscope_self.so", image, sizeof(image));
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *b = elfldr_dlopen(ns, "libscope_b.so", ELFLDR_RTLD_GLOBAL);
    cr_assert_not_null(b, "%s", elfldr_dlerror(ns));
    void *self = elfldr_dlopen_mem(ns, "symbolic-self", image, size, 0);
    cr_assert_not_null(self, "%s", elfldr_dlerror(ns));
    cr_assert_eq(which_of(self, "scope_self_which"), 's', "DT_SYMBOLIC should bind the library's own first");
    cr_assert_eq(elfldr_dlclose(self), 0);
    cr_assert_eq(elfldr_dlclose(b), 0);
    free_ns_clean(ns);
}

/* Misses on two handles in turn each name their own library (the namespace keeps the last one's name
 * until another handle misses), also after the first handle was closed and another took its place; a
 * name longer than the message keeps is cut, not overrun. */
Test(ns, each_dlsym_miss_names_its_own_library)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *callee = elfldr_dlopen(ns, "libcallee.so", ELFLDR_RTLD_NOW);
    void *b = elfldr_dlopen(ns, "libscope_b.so", ELFLDR_RTLD_NOW);
    cr_assert(callee && b, "dlopen: %s", elfldr_dlerror(ns));
    static const struct {
        int which;
        const char *symbol, *want;
    } misses[] = {
        {0, "first_miss", "libcallee.so: undefined symbol: first_miss"},
        {0, "second_miss", "libcallee.so: undefined symbol: second_miss"},
        {1, "third_miss", "libscope_b.so: undefined symbol: third_miss"},
        {0, "fourth_miss", "libcallee.so: undefined symbol: fourth_miss"},
    };
    for (size_t i = 0; i < sizeof(misses) / sizeof(misses[0]); i++) {
        cr_assert_null(elfldr_dlsym(misses[i].which ? b : callee, misses[i].symbol));
        const char *message = elfldr_dlerror(ns);
        cr_assert(message && strstr(message, misses[i].want), "miss %zu: %s", i, message ? message : "(none)");
    }
    cr_assert_eq(elfldr_dlclose(callee), 0);
    void *again = elfldr_dlopen(ns, "libscope_a.so", ELFLDR_RTLD_NOW);
    cr_assert_not_null(again, "dlopen: %s", elfldr_dlerror(ns));
    cr_assert_null(elfldr_dlsym(again, "fifth_miss"));
    const char *message = elfldr_dlerror(ns);
    cr_assert(message && strstr(message, "libscope_a.so: undefined symbol: fifth_miss"), "%s", message ? message : "(none)");
    char name[300];
    memset(name, 'x', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    cr_assert_null(elfldr_dlsym(again, name));
    message = elfldr_dlerror(ns);
    cr_assert_not_null(message);
    const char *run = strstr(message, "undefined symbol: x");
    cr_assert_not_null(run, "%s", message);
    size_t xs = strspn(run + strlen("undefined symbol: "), "x");
    cr_assert(xs > 64 && xs < sizeof(name) - 1, "the long name kept %zu of %zu characters", xs, sizeof(name) - 1);
    cr_assert_eq(elfldr_dlclose(again), 0);
    cr_assert_eq(elfldr_dlclose(b), 0);
    free_ns_clean(ns);
}

/* A dlsym that finds nothing says so through dlerror, once, naming the library, the symbol and the
 * version asked for; an error recorded after it replaces it. */
Test(ns, a_dlsym_miss_is_told_by_dlerror_once)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    void *callee = elfldr_dlopen(ns, "libcallee.so", ELFLDR_RTLD_NOW);
    cr_assert_not_null(callee, "dlopen: %s", elfldr_dlerror(ns));
    cr_assert_null(elfldr_dlsym(callee, "callee_no_such_symbol"));
    const char *message = elfldr_dlerror(ns);
    cr_assert_not_null(message);
    cr_assert(strstr(message, "libcallee.so: undefined symbol: callee_no_such_symbol"), "dlerror: %s", message);
    cr_assert_null(elfldr_dlerror(ns), "dlerror told the miss twice");

    cr_assert_null(elfldr_dlvsym(callee, "callee_none", "NO_SUCH_VERSION"));
    message = elfldr_dlerror(ns);
    cr_assert(message && strstr(message, "undefined symbol: callee_none, version NO_SUCH_VERSION"), "dlerror: %s",
              message ? message : "(none)");

    cr_assert_null(elfldr_dlsym(callee, "callee_no_such_symbol"));
    cr_assert_null(elfldr_dlopen(ns, "libno-such-library.so", ELFLDR_RTLD_NOW));
    message = elfldr_dlerror(ns);
    cr_assert(message && strstr(message, "libno-such-library.so") && !strstr(message, "callee_no_such_symbol"),
              "the later failure is not the one told: %s", message ? message : "(none)");
    cr_assert_eq(elfldr_dlclose(callee), 0);
    free_ns_clean(ns);
}

/* A namespace's metadata comes from its pool: a dlopen of a library and its dependency asks the table
 * for one chunk, not for each handle, object, search list and path; and once everything is closed the
 * chunk goes back, load after load. */
Test(ns, metadata_comes_from_the_namespace_pool_and_goes_back)
{
    struct elfldr_ns *ns = new_ns(fixture_dir, false, false);
    long allocated_empty = counting.allocated;
    size_t in_use_empty, held_empty;
    elfldr_ns_memory(ns, &in_use_empty, &held_empty);
    for (int round = 0; round < 50; round++) {
        long allocs_before = counting.allocs;
        void *caller = elfldr_dlopen(ns, "libcaller.so", ELFLDR_RTLD_NOW);
        cr_assert_not_null(caller, "dlopen: %s", elfldr_dlerror(ns));
        cr_assert_eq(loaded_count(ns), 2);
        long asked = counting.allocs - allocs_before;
        cr_assert_leq(asked, 2, "round %d: a dlopen of two libraries asked the table for %ld allocations", round, asked);
        size_t in_use, held;
        elfldr_ns_memory(ns, &in_use, &held);
        cr_assert_gt(in_use, in_use_empty + 1000, "round %d: two libraries' metadata is %zu bytes", round,
                     in_use - in_use_empty);
        cr_assert_geq(held, in_use, "round %d: %zu bytes in use but %zu held", round, in_use, held);
        cr_assert_eq(elfldr_dlclose(caller), 0);
        cr_assert_eq(counting.allocated, allocated_empty, "round %d: %ld allocations kept after dlclose", round,
                     counting.allocated - allocated_empty);
        elfldr_ns_memory(ns, &in_use, &held);
        cr_assert_eq(in_use, in_use_empty, "round %d: %zu bytes still in use after dlclose", round, in_use - in_use_empty);
        cr_assert_eq(held, held_empty, "round %d: %zu bytes still held after dlclose", round, held - held_empty);
    }
    free_ns_clean(ns);
}

#if defined(__x86_64__)
/* As with glibc, the vDSO is one of the namespace's objects (a handle by its name, its symbols through
 * that handle) but not in the global scope: a library's weak reference to a vDSO function is bound
 * to 0, as glibc binds it. */
Test(ns, the_vdso_is_the_namespaces_but_not_in_its_global_scope)
{
    void *theirs = dlopen("linux-vdso.so.1", RTLD_NOW | RTLD_NOLOAD);
    cr_assert_not_null(theirs, "glibc has no vDSO here: %s", dlerror());
    struct elfldr_ns *ns = elfldr_ns_new(NULL); /* the Linux table: the host's objects join */
    cr_assert_not_null(ns);
    void *vdso = elfldr_dlopen(ns, "linux-vdso.so.1", ELFLDR_RTLD_NOLOAD);
    cr_assert_not_null(vdso, "%s", elfldr_dlerror(ns));
    void *fn = elfldr_dlsym(vdso, "__vdso_clock_gettime");
    cr_assert_not_null(fn, "%s", elfldr_dlerror(ns));
    cr_assert_eq(fn, dlsym(theirs, "__vdso_clock_gettime"));

    void *lib = elfldr_dlopen(ns, FIXTURE_VDSOREF, ELFLDR_RTLD_NOW);
    cr_assert_not_null(lib, "%s", elfldr_dlerror(ns));
    int (*bound)(void) = (int (*)(void))(uintptr_t)elfldr_dlsym(lib, "vdsoref_bound");
    cr_assert_not_null(bound);
    void *glibc_lib = dlopen(FIXTURE_VDSOREF, RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(glibc_lib, "%s", dlerror());
    int (*glibc_bound)(void) = (int (*)(void))(uintptr_t)dlsym(glibc_lib, "vdsoref_bound");
    cr_assert_eq(glibc_bound(), 0, "glibc bound the weak reference to the vDSO");
    cr_assert_eq(bound(), 0, "the weak reference was bound to the vDSO, which is not in the global scope");
    dlclose(glibc_lib);
    cr_assert_eq(elfldr_dlclose(lib), 0);
    cr_assert_eq(elfldr_dlclose(vdso), 0);
    elfldr_ns_free(ns);
    dlclose(theirs);
}
#endif
