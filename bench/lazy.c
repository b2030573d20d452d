/* Lazy binding: liblazy_user calls 256 functions of liblazy_target through its PLT (linked with
 * -z lazy). Each round opens liblazy_user lazily, calls each caller once (the first call of a slot:
 * it goes through the loader's trampoline and binds the slot), then calls them all again a few times
 * (later calls: straight through the bound slot), and closes it.
 *
 *   ours:  elfldr_dlopen(ns, USER, ELFLDR_RTLD_LAZY | ELFLDR_RTLD_LOCAL)
 *   peer:  glibc's dlopen(USER, RTLD_LAZY | RTLD_LOCAL)
 *
 * The side that goes first alternates from round to round; a round that was preempted is run again;
 * results are the medians over rounds of the time per call.
 *
 *   lazy [--rounds N] [--later K] USER_LIB
 *   lazy --only ours|peer --phase first|later --iters ROUNDS USER_LIB   (callgrind: measured_first or
 *                                                                        measured_later)
 */
#define _GNU_SOURCE
#include "bench.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lazy_funcs.h"

typedef int (*caller_fn)(int);

enum side { OURS, PEER };

static struct elfldr_ns *ns;
static const char *user_lib;
static unsigned long later_passes = 8;
static long expected_sum;
static int have_expected;

long measured_first(caller_fn const *callers);
__attribute__((noinline)) long measured_first(caller_fn const *callers)
{
    long sum = 0;
    for (int i = 0; i < LAZY_COUNT; i++)
        sum += callers[i](i);
    return sum;
}

long measured_later(caller_fn const *callers, unsigned long passes);
__attribute__((noinline)) long measured_later(caller_fn const *callers, unsigned long passes)
{
    long sum = 0;
    for (unsigned long p = 0; p < passes; p++)
        for (int i = 0; i < LAZY_COUNT; i++)
            sum += callers[i](i);
    return sum;
}

static void *open_side(enum side side, caller_fn const **callers)
{
    void *h, *table;
    if (side == OURS) {
        h = elfldr_dlopen(ns, user_lib, ELFLDR_RTLD_LAZY | ELFLDR_RTLD_LOCAL);
        if (!h)
            bench_die("elfldr_dlopen %s: %s", user_lib, elfldr_dlerror(ns));
        table = elfldr_dlsym(h, "lazy_callers");
    } else {
        h = dlopen(user_lib, RTLD_LAZY | RTLD_LOCAL);
        if (!h)
            bench_die("dlopen %s: %s", user_lib, dlerror());
        table = dlsym(h, "lazy_callers");
    }
    if (!table)
        bench_die("%s: no lazy_callers", user_lib);
    *callers = table;
    return h;
}

static void close_side(enum side side, void *h)
{
    if (side == OURS ? elfldr_dlclose(h) != 0 : dlclose(h) != 0)
        bench_die("closing %s failed", user_lib);
}

static void check(long sum)
{
    if (!have_expected) {
        expected_sum = sum;
        have_expected = 1;
    } else if (sum != expected_sum)
        bench_die("the calls returned %ld, not %ld", sum, expected_sum);
}

/* One round of one side: ns per first call and per later call. */
static unsigned long preempted;
static int retry_preempted = 1; /* not under callgrind, where the counts of rounds must hold */

static void round_once(enum side side, double *first_ns, double *later_ns)
{
    caller_fn const *callers;
    void *h = open_side(side, &callers);
    double t0 = bench_now_ns();
    long s1 = measured_first(callers);
    double t1 = bench_now_ns();
    long s2 = measured_later(callers, later_passes);
    double t2 = bench_now_ns();
    close_side(side, h);
    check(s1);
    if (s2 != s1 * (long)later_passes)
        bench_die("later calls returned %ld, not %ld", s2, s1 * (long)later_passes);
    *first_ns = (t1 - t0) / LAZY_COUNT;
    *later_ns = (t2 - t1) / (double)(LAZY_COUNT * later_passes);
}

/* One round, made again (up to five times in all) while it was preempted. */
static void round_of(enum side side, double *first_ns, double *later_ns)
{
    for (int attempt = 0; attempt < 5; attempt++) {
        long switches = bench_preemptions();
        round_once(side, first_ns, later_ns);
        if (!retry_preempted || bench_preemptions() == switches)
            return;
        preempted++;
    }
}

int main(int argc, char **argv)
{
    unsigned long rounds = 200, iters = 0;
    int only = -1, phase_later = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = bench_number("--rounds", argv[++i]);
        else if (strcmp(argv[i], "--later") == 0 && i + 1 < argc)
            later_passes = bench_number("--later", argv[++i]);
        else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
            iters = bench_number("--iters", argv[++i]);
        else if (strcmp(argv[i], "--phase") == 0 && i + 1 < argc)
            phase_later = strcmp(argv[++i], "later") == 0;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
            only = bench_only_peer(argv[++i]) ? PEER : OURS;
        else
            bench_die("usage: lazy [--rounds N] [--later K] [--only ours|peer --phase first|later --iters N] USER_LIB");
    }
    if (argc - i != 1 || rounds == 0 || later_passes == 0)
        bench_die("usage: lazy [--rounds N] [--later K] [--only ours|peer --phase first|later --iters N] USER_LIB");
    user_lib = argv[i];
    if (getenv("LD_BIND_NOW") && *getenv("LD_BIND_NOW"))
        bench_die("LD_BIND_NOW is set: glibc would bind every slot at dlopen");
    ns = bench_ns();
    if (bench_keep_libm(0) != 0)
        return 1;

    double first, later;
    if (only >= 0) {
        retry_preempted = 0;
        caller_fn const *callers;
        void *h = open_side((enum side)only, &callers);
        measured_first(callers); /* warm: the code pages and the loader's paths */
        close_side((enum side)only, h);
        for (unsigned long r = 0; r < iters; r++)
            round_of((enum side)only, &first, &later);
        printf("ops %lu\n", iters * LAZY_COUNT * (phase_later ? later_passes : 1));
        return 0;
    }

    /* Each once before timing: page faults on the code, and the check of the answers. */
    round_of(PEER, &first, &later);
    round_of(OURS, &first, &later);
    double *t[2][2];
    for (int s = 0; s < 2; s++)
        for (int p = 0; p < 2; p++)
            if (!(t[s][p] = calloc(rounds, sizeof(double))))
                bench_die("out of memory");
    for (unsigned long r = 0; r < rounds; r++)
        for (int k = 0; k < 2; k++) {
            enum side side = (enum side)((r + (unsigned long)k) % 2);
            round_of(side, &t[side][0][r], &t[side][1][r]);
        }
    bench_info("lazy calls: %lu rounds were preempted and run again", preempted);
    bench_result("lazy-call/first", bench_median(t[OURS][0], rounds), bench_median(t[PEER][0], rounds),
                 "glibc dlopen(RTLD_LAZY)", "ns", rounds, "per call: trampoline + binding of the slot, 256 slots");
    bench_result("lazy-call/later", bench_median(t[OURS][1], rounds), bench_median(t[PEER][1], rounds),
                 "glibc dlopen(RTLD_LAZY)", "ns", rounds, "per call through a bound slot");
    return 0;
}
