/* The load cycle in one process: open a library with its dependencies, relocate it now, run its
 * constructors, look one symbol up, close it (destructors, unmapping), again and again.
 *
 *   ours:  elfldr_dlopen(ns, LIB, RTLD_NOW | RTLD_LOCAL) + elfldr_dlsym + elfldr_dlclose, one namespace
 *          made at the start that shares the host's libc, libm and ld.so;
 *   peer:  glibc's dlopen(LIB, RTLD_NOW | RTLD_LOCAL) + dlsym + dlclose.
 *
 * Before timing it checks that each loader really unmaps in its cycle (the objects mapped and the
 * lines of /proc/self/maps before and after), and says which objects one keeps: glibc keeps a library
 * whose STB_GNU_UNIQUE symbols were bound (libstdc++ under libxml2's ICU), and then its cycle is not
 * the same work as ours.
 *
 * Timing: rounds of one batch of cycles each side (one cycle by default), the side that goes first
 * alternating, so that a drift of the machine falls on both; a batch during which the thread was
 * preempted is run again; the median over rounds of each side's time per cycle.
 *
 *   cycle [--rounds N] [--batch K] [--warmup W] LIB SYMBOL
 *   cycle --only ours|peer --iters N LIB SYMBOL     (for callgrind: N cycles in measured_cycles)
 */
#define _GNU_SOURCE
#include "bench.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


enum side { OURS, PEER };

static struct elfldr_ns *ns;
static const char *lib, *symbol;

static void cycle_ours(void)
{
    void *h = elfldr_dlopen(ns, lib, ELFLDR_RTLD_NOW | ELFLDR_RTLD_LOCAL);
    if (!h)
        bench_die("elfldr_dlopen %s: %s", lib, elfldr_dlerror(ns));
    if (!elfldr_dlsym(h, symbol))
        bench_die("elfldr_dlsym %s in %s: %s", symbol, lib, elfldr_dlerror(ns));
    if (elfldr_dlclose(h) != 0)
        bench_die("elfldr_dlclose %s: %s", lib, elfldr_dlerror(ns));
}

static void cycle_peer(void)
{
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        bench_die("dlopen %s: %s", lib, dlerror());
    if (!dlsym(h, symbol))
        bench_die("dlsym %s in %s: %s", symbol, lib, dlerror());
    if (dlclose(h) != 0)
        bench_die("dlclose %s: %s", lib, dlerror());
}

void measured_cycles(enum side side, unsigned long n);
__attribute__((noinline)) void measured_cycles(enum side side, unsigned long n)
{
    for (unsigned long i = 0; i < n; i++) {
        if (side == OURS)
            cycle_ours();
        else
            cycle_peer();
    }
    __asm__ volatile("" ::: "memory");
}

struct batch {
    enum side side;
    unsigned long n;
};

static void run_batch(void *arg)
{
    const struct batch *b = arg;
    measured_cycles(b->side, b->n);
}

/* ---- does each loader unmap what it mapped? ------------------------------------------------------ */

struct ns_names {
    char text[4096];
    size_t len;
    size_t count;
};

static int add_ns_name(const struct elfldr_phdr_info *info, void *data)
{
    struct ns_names *n = data;
    const char *name = bench_base_name(info->dlpi_name ? info->dlpi_name : "?");
    int w = snprintf(n->text + n->len, sizeof(n->text) - n->len, "%s%s", n->len ? " " : "", name);
    if (w > 0 && (size_t)w < sizeof(n->text) - n->len)
        n->len += (size_t)w;
    n->count++;
    return 0;
}

static struct ns_names ours_loaded(void)
{
    struct ns_names n = {.len = 0};
    n.text[0] = '\0';
    elfldr_dl_iterate_phdr(ns, add_ns_name, &n);
    return n;
}

/* Says what each loader maps and keeps; writes into `note` what one keeps after its dlclose. */
static void check_unmapping(char *note, size_t note_size)
{
    /* glibc */
    char *before = bench_glibc_objects(NULL);
    size_t maps_before = bench_maps_lines();
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        bench_die("dlopen %s: %s", lib, dlerror());
    char *open_names = bench_glibc_objects(NULL);
    char *loaded = bench_new_names(before, open_names);
    dlclose(h);
    char *after = bench_glibc_objects(NULL);
    char *kept = bench_new_names(before, after);
    size_t maps_after = bench_maps_lines();
    cycle_peer();
    size_t maps_again = bench_maps_lines();

    /* elfldr */
    size_t ours_maps_before = bench_maps_lines();
    void *oh = elfldr_dlopen(ns, lib, ELFLDR_RTLD_NOW | ELFLDR_RTLD_LOCAL);
    if (!oh)
        bench_die("elfldr_dlopen %s: %s", lib, elfldr_dlerror(ns));
    struct ns_names ours_open = ours_loaded();
    elfldr_dlclose(oh);
    struct ns_names ours_after = ours_loaded();
    size_t ours_maps_after = bench_maps_lines();
    cycle_ours();
    size_t ours_maps_again = bench_maps_lines();

    bench_info("%s: glibc maps %s", lib, loaded);
    bench_info("%s: elfldr maps %s", lib, ours_open.text);
    bench_info("%s: after dlclose glibc keeps: %s (maps lines %zu -> %zu, after a second cycle %zu)", lib,
               *kept ? kept : "nothing", maps_before, maps_after, maps_again);
    bench_info("%s: after dlclose elfldr keeps: %s (maps lines %zu -> %zu, after a second cycle %zu)", lib,
               ours_after.count ? ours_after.text : "nothing", ours_maps_before, ours_maps_after, ours_maps_again);
    int peer_keeps = *kept != '\0' || maps_again != maps_after;
    if (peer_keeps)
        snprintf(note, note_size, "glibc keeps %.200s mapped after dlclose; elfldr keeps %.200s", *kept ? kept : "mappings",
                 ours_after.count ? ours_after.text : "nothing");
    else if (ours_after.count || ours_maps_again != ours_maps_after)
        snprintf(note, note_size, "elfldr keeps %.400s mapped after dlclose", ours_after.count ? ours_after.text : "mappings");
    free(before);
    free(open_names);
    free(loaded);
    free(after);
    free(kept);
}

int main(int argc, char **argv)
{
    unsigned long rounds = 200, batch = 1, warmup = 3, iters = 0;
    int only = -1;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = bench_number("--rounds", argv[++i]);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            batch = bench_number("--batch", argv[++i]);
        else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
            warmup = bench_number("--warmup", argv[++i]);
        else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
            iters = bench_number("--iters", argv[++i]);
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = bench_only_peer(argv[++i]) ? PEER : OURS;
        else
            bench_die("usage: cycle [--rounds N] [--batch K] [--warmup W] [--only ours|peer --iters N] LIB SYMBOL");
    }
    if (argc - i != 2 || rounds == 0 || batch == 0)
        bench_die("usage: cycle [--rounds N] [--batch K] [--warmup W] [--only ours|peer --iters N] LIB SYMBOL");
    lib = argv[i];
    symbol = argv[i + 1];
    ns = bench_ns(); /* before any of glibc's dlopen: it adopts what the program itself has */
    if (bench_keep_libm(0) != 0)
        return 1;

    if (only >= 0) {
        /* callgrind: the first cycles pay one-time costs (page faults, first allocations) */
        for (unsigned long w = 0; w < 2; w++)
            only == OURS ? cycle_ours() : cycle_peer();
        measured_cycles((enum side)only, iters);
        printf("ops %lu\n", iters);
        return 0;
    }

    char note[512] = "";
    check_unmapping(note, sizeof(note));
    for (unsigned long w = 0; w < warmup; w++) {
        cycle_ours();
        cycle_peer();
    }
    double *ours = calloc(rounds, sizeof(double)), *peer = calloc(rounds, sizeof(double));
    if (!ours || !peer)
        bench_die("out of memory");
    unsigned long preempted[2] = {0, 0};
    for (unsigned long r = 0; r < rounds; r++) {
        for (int k = 0; k < 2; k++) {
            struct batch b = {(enum side)((r + (unsigned long)k) % 2), batch};
            double per = bench_timed(run_batch, &b, &preempted[b.side]) / (double)batch / 1e3;
            (b.side == OURS ? ours : peer)[r] = per;
        }
    }
    char workload[256];
    snprintf(workload, sizeof(workload), "cycle/%s", bench_base_name(lib));
    size_t len = strlen(note);
    snprintf(note + len, sizeof(note) - len, "%spreempted samples run again: %lu ours, %lu glibc's", len ? "; " : "",
             preempted[OURS], preempted[PEER]);
    bench_result(workload, bench_median(ours, rounds), bench_median(peer, rounds), "glibc dlopen+dlsym+dlclose", "us",
                 rounds, note);
    free(ours);
    free(peer);
    return 0;
}
