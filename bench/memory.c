/* Metadata: the bytes each loader keeps for the objects one dlopen of LIB mapped (the library and the
 * dependencies it brought in), per object.
 *
 *   ours:  the Linux table wrapped in one that counts what `alloc` hands out and `free` takes back;
 *          the namespace shares glibc's own libraries (libc, libm, ld.so: the resolve hook takes their
 *          symbols from this process) and loads the rest, as the default namespace does;
 *   peer:  glibc's dlopen: mallinfo2().uordblks before and after (ld.so allocates its link maps,
 *          scopes and search lists with libc's malloc once the program runs).
 *
 * Both loaders open and close a small library first (--warm PATH), so that one-time allocations (a
 * namespace's first table, glibc's first scope) are not counted against LIB. elfldr's figure is
 * what its namespace's pool has handed out (elfldr_ns_memory); also said: what the namespace took
 * from the table for it (pool chunks of 64 KiB, whole pages), and how many allocations it asked for.
 *
 *   memory [--warm PATH] LIB
 */
#define _GNU_SOURCE
#include "bench.h"

#include <dlfcn.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct counter {
    struct elfldr_ops ops;
    struct elfldr_ops inner;
    long bytes, pages_bytes, peak_bytes, allocs, frees;
};

static struct counter counter;

static size_t page_round(size_t n) { return (n + 4095) & ~(size_t)4095; }

static void *count_alloc(void *ctx, size_t size)
{
    struct counter *c = ctx;
    void *p = c->inner.alloc(c->inner.ctx, size);
    if (p) {
        c->bytes += (long)size;
        c->pages_bytes += (long)page_round(size);
        c->allocs++;
        if (c->bytes > c->peak_bytes)
            c->peak_bytes = c->bytes;
    }
    return p;
}

static void count_free(void *ctx, void *ptr, size_t size)
{
    struct counter *c = ctx;
    if (ptr) {
        c->bytes -= (long)size;
        c->pages_bytes -= (long)page_round(size);
        c->frees++;
    }
    c->inner.free(c->inner.ctx, ptr, size);
}

static int from_process(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                        uintptr_t *addr)
{
    (void)ctx;
    (void)obj;
    void *p = version ? dlvsym(RTLD_DEFAULT, name, version) : NULL;
    if (!p)
        p = dlsym(RTLD_DEFAULT, name);
    if (!p)
        return ELFLDR_HOOK_SKIP;
    *addr = (uintptr_t)p;
    return ELFLDR_HOOK_CONTINUE;
}

static int count_cb(const struct elfldr_phdr_info *info, void *data)
{
    (void)info;
    ++*(size_t *)data;
    return 0;
}

static size_t ns_objects(struct elfldr_ns *ns)
{
    size_t n = 0;
    elfldr_dl_iterate_phdr(ns, count_cb, &n);
    return n;
}

int main(int argc, char **argv)
{
    const char *warm = NULL;
    int i = 1;
    if (argc > 2 && strcmp(argv[1], "--warm") == 0) {
        warm = argv[2];
        i = 3;
    }
    if (argc - i != 1)
        bench_die("usage: memory [--warm PATH] LIB");
    const char *lib = argv[i];
    if (bench_keep_libm(0) != 0)
        return 1;

    /* ours */
    elfldr_linux_ops(&counter.inner);
    counter.ops = counter.inner;
    counter.ops.ctx = &counter;
    counter.ops.alloc = count_alloc;
    counter.ops.free = count_free;
    static const struct elfldr_hooks hooks = {.resolve = from_process};
    struct elfldr_ns_config cfg = {.ops = &counter.ops, .hooks = &hooks};
    struct elfldr_ns *ns = elfldr_ns_new(&cfg);
    if (!ns)
        bench_die("elfldr_ns_new failed");
    if (warm) {
        void *w = elfldr_dlopen(ns, warm, ELFLDR_RTLD_NOW | ELFLDR_RTLD_LOCAL);
        if (!w || elfldr_dlclose(w) != 0)
            bench_die("elfldr_dlopen %s: %s", warm, elfldr_dlerror(ns));
    }
    long b0 = counter.bytes, p0 = counter.pages_bytes, a0 = counter.allocs, f0 = counter.frees;
    counter.peak_bytes = b0;
    size_t in_use0, held0;
    elfldr_ns_memory(ns, &in_use0, &held0);
    void *h = elfldr_dlopen(ns, lib, ELFLDR_RTLD_NOW | ELFLDR_RTLD_LOCAL);
    if (!h)
        bench_die("elfldr_dlopen %s: %s", lib, elfldr_dlerror(ns));
    size_t ours_objects = ns_objects(ns);
    size_t in_use1, held1;
    elfldr_ns_memory(ns, &in_use1, &held1);
    /* The namespace pools its metadata: what its libraries hold is what the pool has handed out; what
     * it took from the table (64 KiB chunks, whole pages) is the mapped figure. */
    long ours_bytes = (long)(in_use1 - in_use0), ours_pages = counter.pages_bytes - p0;
    long ours_peak = counter.peak_bytes - b0, ours_allocs = counter.allocs - a0, ours_frees = counter.frees - f0;

    /* glibc's */
    if (warm) {
        void *w = dlopen(warm, RTLD_NOW | RTLD_LOCAL);
        if (!w || dlclose(w) != 0)
            bench_die("dlopen %s: %s", warm, dlerror());
    }
    size_t before_count;
    free(bench_glibc_objects(&before_count));
    struct mallinfo2 m0 = mallinfo2();
    void *g = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    struct mallinfo2 m1 = mallinfo2();
    if (!g)
        bench_die("dlopen %s: %s", lib, dlerror());
    size_t after_count;
    free(bench_glibc_objects(&after_count));
    size_t peer_objects = after_count - before_count;
    long peer_bytes = (long)m1.uordblks - (long)m0.uordblks;

    const char *name = bench_base_name(lib);
    bench_info("%s: elfldr: %zu objects, %ld bytes of metadata in use (the pool's), the table asked for %ld bytes in "
               "%ld allocations (%ld made, %ld freed during the dlopen; peak %ld bytes), %ld bytes as it maps them",
               name, ours_objects, ours_bytes, counter.bytes - b0, ours_allocs - ours_frees, ours_allocs, ours_frees,
               ours_peak, ours_pages);
    bench_info("%s: glibc: %zu objects, %ld bytes of malloc", name, peer_objects, peer_bytes);
    if (ours_objects != peer_objects)
        bench_info("%s: the loaders mapped different numbers of objects (%zu, %zu)", name, ours_objects, peer_objects);
    char workload[256], note[256];
    snprintf(workload, sizeof(workload), "metadata/%s", name);
    snprintf(note, sizeof(note), "per object mapped (%zu): bytes in use in the namespace's pool", ours_objects);
    bench_result(workload, (double)ours_bytes / (double)(ours_objects ? ours_objects : 1),
                 (double)peer_bytes / (double)(peer_objects ? peer_objects : 1), "glibc dlopen (malloc)", "B/object", 1,
                 note);
    snprintf(workload, sizeof(workload), "metadata-mapped/%s", name);
    bench_result(workload, (double)ours_pages / (double)(ours_objects ? ours_objects : 1),
                 (double)peer_bytes / (double)(peer_objects ? peer_objects : 1), "glibc dlopen (malloc)", "B/object", 1,
                 "what the namespace took from the Linux table for them: pool chunks of 64 KiB");
    elfldr_dlclose(h);
    dlclose(g);
    elfldr_ns_free(ns);
    return 0;
}
