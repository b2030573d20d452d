/* Cold first load, and the peak resident memory of a process that loads libraries: each run is a
 * fresh process (fork + execve of bench/cold), ours and glibc's taking turns run after run so that a
 * drift of the machine falls on both. The files are in the page cache: "cold" is the process, not
 * the disk.
 *
 *   coldrun [--runs N] [--warmup W] [--rss] [--name NAME] LIB...
 *
 * A run whose load was preempted (the child says so) is made again, up to five times.
 *
 * Results (medians over the runs):
 *   cold/NAME           the load itself, timed inside the child (elfldr: namespace + dlopen)
 *   cold-process/NAME   fork to wait: exec, start, load, exit, as a user of the process sees it
 *   rss/NAME            with --rss: getrusage's peak RSS, and in the note a process loading nothing
 * NAME is the one library's file name, or what --name says. */
#define _GNU_SOURCE
#include "bench.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { OURS, PEER, NONE, NKINDS };
static const char *const kind_names[NKINDS] = {"elfldr", "glibc", "none"};

struct sample {
    double wall_us, load_us, maxrss_kb, preempted;
};

static char cold_path[4096];

static struct sample run_child(int kind, char **libs, int nlibs)
{
    char *args[nlibs + 3];
    args[0] = cold_path;
    args[1] = (char *)kind_names[kind];
    for (int i = 0; i < nlibs; i++)
        args[2 + i] = kind == NONE ? NULL : libs[i];
    args[kind == NONE ? 2 : nlibs + 2] = NULL;
    int out[2];
    if (pipe(out) != 0)
        bench_die("pipe failed");
    double t0 = bench_now_ns();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        close(out[1]);
        execv(cold_path, args);
        _exit(127);
    }
    close(out[1]);
    char buf[512];
    size_t len = 0;
    ssize_t n;
    while ((n = read(out[0], buf + len, sizeof(buf) - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(out[0]);
    int status;
    waitpid(pid, &status, 0);
    double t1 = bench_now_ns();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        bench_die("cold %s %s failed (status %#x)", kind_names[kind], nlibs ? libs[0] : "", status);
    struct sample s = {.wall_us = (t1 - t0) / 1e3};
    if (sscanf(buf, "load_us %lf\nmaxrss_kb %lf\npreempted %lf", &s.load_us, &s.maxrss_kb, &s.preempted) != 3)
        bench_die("cold %s: unexpected output '%s'", kind_names[kind], buf);
    return s;
}

int main(int argc, char **argv)
{
    unsigned long runs = 50, warmup = 3;
    int rss = 0;
    const char *name = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = bench_number("--runs", argv[++i]);
        else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
            warmup = bench_number("--warmup", argv[++i]);
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            name = argv[++i];
        else if (strcmp(argv[i], "--rss") == 0)
            rss = 1;
        else
            bench_die("usage: coldrun [--runs N] [--warmup W] [--rss] [--name NAME] LIB...");
    }
    if (i >= argc || runs == 0)
        bench_die("usage: coldrun [--runs N] [--warmup W] [--rss] [--name NAME] LIB...");
    char **libs = argv + i;
    int nlibs = argc - i;
    if (!name)
        name = bench_base_name(libs[0]);

    /* bench/cold lives next to this program */
    ssize_t n = readlink("/proc/self/exe", cold_path, sizeof(cold_path) - 8);
    if (n <= 0)
        bench_die("cannot read /proc/self/exe");
    cold_path[n] = '\0';
    strcpy(strrchr(cold_path, '/') + 1, "cold");

    int kinds = rss ? NKINDS : 2;
    unsigned long preempted[NKINDS] = {0, 0, 0};
    double *wall[NKINDS], *load[NKINDS], *maxrss[NKINDS];
    for (int k = 0; k < NKINDS; k++) {
        wall[k] = calloc(runs, sizeof(double));
        load[k] = calloc(runs, sizeof(double));
        maxrss[k] = calloc(runs, sizeof(double));
        if (!wall[k] || !load[k] || !maxrss[k])
            bench_die("out of memory");
    }
    for (long r = -(long)warmup; r < (long)runs; r++) {
        for (int j = 0; j < kinds; j++) {
            int k = (int)((r + (long)warmup + j) % kinds); /* each run starts with the next kind */
            struct sample s = run_child(k, libs, nlibs);
            /* a load that was preempted: the process again */
            for (int attempt = 1; attempt < 5 && s.preempted > 0; attempt++) {
                preempted[k]++;
                s = run_child(k, libs, nlibs);
            }
            if (r >= 0) {
                wall[k][r] = s.wall_us;
                load[k][r] = s.load_us;
                maxrss[k][r] = s.maxrss_kb;
            }
        }
    }
    char workload[512];
    snprintf(workload, sizeof(workload), "cold/%s", name);
    char load_note[256];
    snprintf(load_note, sizeof(load_note),
             "fresh process, load timed inside it (elfldr: namespace + dlopen); preempted runs made again: %lu ours, "
             "%lu glibc's",
             preempted[OURS], preempted[PEER]);
    bench_result(workload, bench_median(load[OURS], runs), bench_median(load[PEER], runs), "glibc dlopen", "us", runs,
                 load_note);
    snprintf(workload, sizeof(workload), "cold-process/%s", name);
    bench_result(workload, bench_median(wall[OURS], runs), bench_median(wall[PEER], runs), "glibc dlopen", "us", runs,
                 "fork to wait of the whole process");
    if (rss) {
        char note[128];
        snprintf(note, sizeof(note), "peak RSS; a process that loads nothing: %.0f KiB",
                 bench_median(maxrss[NONE], runs));
        snprintf(workload, sizeof(workload), "rss/%s", name);
        bench_result(workload, bench_median(maxrss[OURS], runs), bench_median(maxrss[PEER], runs), "glibc dlopen", "KiB",
                     runs, note);
    }
    return 0;
}
