/* The child of coldrun: in a fresh process, load the libraries named once and exit.
 *
 *   cold elfldr LIB...   elfldr_ns_new (sharing the host's libc, libm, ld.so) + elfldr_dlopen each
 *                        with RTLD_NOW | RTLD_LOCAL
 *   cold glibc LIB...    dlopen each with RTLD_NOW | RTLD_LOCAL
 *   cold none            nothing (the baseline of a process's resident memory)
 *
 * Prints "load_us T" (the time from before the first call to after the last, namespace included),
 * "maxrss_kb R" (getrusage's peak resident set) and "preempted P" (involuntary context switches
 * during the load), then leaves with _exit: neither loader unloads, as a process that ends does not
 * need to. */
#define _GNU_SOURCE
#include "bench.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "elfldr") != 0 && strcmp(argv[1], "glibc") != 0 && strcmp(argv[1], "none") != 0))
        bench_die("usage: cold elfldr|glibc|none LIB...");
    if (bench_keep_libm(0) != 0)
        return 1;
    long switches = bench_preemptions();
    double t0 = bench_now_ns();
    if (strcmp(argv[1], "elfldr") == 0) {
        struct elfldr_ns *ns = bench_ns();
        for (int i = 2; i < argc; i++)
            if (!elfldr_dlopen(ns, argv[i], ELFLDR_RTLD_NOW | ELFLDR_RTLD_LOCAL))
                bench_die("elfldr_dlopen %s: %s", argv[i], elfldr_dlerror(ns));
    } else if (strcmp(argv[1], "glibc") == 0) {
        for (int i = 2; i < argc; i++)
            if (!dlopen(argv[i], RTLD_NOW | RTLD_LOCAL))
                bench_die("dlopen %s: %s", argv[i], dlerror());
    }
    double t1 = bench_now_ns();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("load_us %.3f\nmaxrss_kb %ld\npreempted %ld\n", (t1 - t0) / 1e3, ru.ru_maxrss,
           bench_preemptions() - switches);
    fflush(stdout);
    _exit(0);
}
