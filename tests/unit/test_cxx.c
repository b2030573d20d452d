/* A C++ library through a namespace: its exceptions unwind through code the host's loader never saw,
 * because the on_ready hook registers each object's .eh_frame with the host's libgcc_s (and on_unload
 * takes it back); a non-trivial thread_local gives each thread its own object. libstdc++ is loaded into
 * the namespace; libc, libm and libgcc_s are the host's. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <elfldr.h>

#ifdef FIXTURE_CXX

static void *host_libm, *host_libgcc;
static void (*register_frames)(const void *, void *);
static void *(*deregister_frames)(const void *);
static int registered, deregistered;

static int from_process(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                        uintptr_t *addr)
{
    (void)ctx;
    (void)obj;
    void *p = version ? dlvsym(RTLD_DEFAULT, name, version) : dlsym(RTLD_DEFAULT, name);
    if (!p)
        p = dlsym(RTLD_DEFAULT, name);
    if (!p)
        return ELFLDR_HOOK_SKIP;
    *addr = (uintptr_t)p;
    return ELFLDR_HOOK_CONTINUE;
}

/* libgcc keeps a `struct object` per registration; 128 bytes is more than it has ever needed. */
static void register_object(void *ctx, const struct elfldr_obj *obj)
{
    (void)ctx;
    const void *frames = elfldr_eh_frame(obj);
    if (!frames)
        return;
    register_frames(frames, calloc(1, 128));
    registered++;
}

static void deregister_object(void *ctx, const struct elfldr_obj *obj)
{
    (void)ctx;
    const void *frames = elfldr_eh_frame(obj);
    if (!frames)
        return;
    free(deregister_frames(frames));
    deregistered++;
}

static const char *const host_libraries[] = {"libc.so.6", "libm.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2",
                                             "ld-linux-aarch64.so.1", "ld-linux-riscv64-lp64d.so.1"};

static struct elfldr_ns *cxx_ns(void)
{
    host_libm = dlopen("libm.so.6", RTLD_NOW | RTLD_GLOBAL);
    host_libgcc = dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_GLOBAL);
    cr_assert(host_libm && host_libgcc, "%s", dlerror());
    register_frames = (void (*)(const void *, void *))(uintptr_t)dlsym(host_libgcc, "__register_frame_info");
    deregister_frames = (void *(*)(const void *))(uintptr_t)dlsym(host_libgcc, "__deregister_frame_info");
    cr_assert(register_frames && deregister_frames);
    static const struct elfldr_hooks hooks = {
        .resolve = from_process, .on_ready = register_object, .on_unload = deregister_object};
    struct elfldr_ns_config cfg = {
        .hooks = &hooks,
        .host_sonames = host_libraries,
        .host_sonames_len = sizeof(host_libraries) / sizeof(host_libraries[0]),
    };
    struct elfldr_ns *ns = elfldr_ns_new(&cfg);
    cr_assert_not_null(ns);
    return ns;
}

typedef int (*throw_fn)(int);
typedef const char *(*name_fn)(const char *);

struct named {
    name_fn name;
    const char *want;
    char initial[32], after[32];
};

static void *name_thread(void *arg)
{
    struct named *n = arg;
    strncpy(n->initial, n->name(NULL), sizeof(n->initial) - 1);
    strncpy(n->after, n->name(n->want), sizeof(n->after) - 1);
    return NULL;
}

Test(cxx, exceptions_unwind_and_thread_local_objects_are_per_thread)
{
    registered = deregistered = 0;
    struct elfldr_ns *ns = cxx_ns();
    void *h = elfldr_dlopen(ns, FIXTURE_CXX, ELFLDR_RTLD_NOW);
    cr_assert_not_null(h, "%s", elfldr_dlerror(ns));
    cr_assert_geq(registered, 2, "the unwind tables of libcxx and libstdc++ were not registered");

    throw_fn throw_and_catch = (throw_fn)(uintptr_t)elfldr_dlsym(h, "cxx_throw_and_catch");
    cr_assert_not_null(throw_and_catch);
    cr_assert_eq(throw_and_catch(0), 8, "\"thrown 0\" has 8 characters");
    cr_assert_eq(throw_and_catch(20), 8, "through 20 frames");

    /* Threads that end before the dlclose touch the thread_local: each destructor runs at its thread's
     * exit, counted against the library, which is still mapped. */
    name_fn name = (name_fn)(uintptr_t)elfldr_dlsym(h, "cxx_name");
    pthread_t threads[3];
    struct named named[3] = {{name, "one", "", ""}, {name, "two", "", ""}, {name, "three", "", ""}};
    for (int i = 0; i < 3; i++)
        cr_assert_eq(pthread_create(&threads[i], NULL, name_thread, &named[i]), 0);
    for (int i = 0; i < 3; i++) {
        pthread_join(threads[i], NULL);
        cr_assert_str_eq(named[i].initial, "initial", "thread %d did not start from the initial value", i);
        cr_assert_str_eq(named[i].after, named[i].want);
    }

    cr_assert_eq(elfldr_dlclose(h), 0);
    cr_assert_geq(deregistered, 1, "libcxx's unwind tables stayed registered after its unload");
    /* libstdc++ defines unique symbols: as with glibc it stays loaded until the namespace goes. */
    elfldr_ns_free(ns);
    cr_assert_eq(deregistered, registered, "unwind tables left registered after the namespace went");
}

/* The main thread uses the thread_local, then the library is closed and the namespace freed: the
 * destructor runs at exit, and the library must still be there for it (elfldr keeps it until then, as
 * glibc does). In a child, whose exit status says whether that went well. */
Test(cxx, a_main_thread_destructor_after_dlclose_runs_at_exit_cleanly)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct elfldr_ns *ns = cxx_ns();
        void *h = elfldr_dlopen(ns, FIXTURE_CXX, ELFLDR_RTLD_NOW);
        if (!h)
            _exit(3);
        name_fn name = (name_fn)(uintptr_t)elfldr_dlsym(h, "cxx_name");
        if (strcmp(name("the main thread"), "the main thread") != 0)
            _exit(4);
        if (elfldr_dlclose(h) != 0)
            _exit(5);
        elfldr_ns_free(ns);
        exit(0); /* runs the thread_local destructor, then what waited for it */
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child did not exit cleanly (status %#x)", status);
}

#endif
