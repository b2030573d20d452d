/* What the benchmark programs share: a clock, medians, the result line scripts/bench reads, and the
 * loaders' glue (a namespace that shares the host's libraries the way glibc's dlopen does, and a
 * list of the objects glibc has mapped).
 *
 * Every program prints its results as tab-separated lines
 *     result <TAB> workload <TAB> ours <TAB> peer <TAB> peer-name <TAB> unit <TAB> runs <TAB> note
 * and anything else it has to say on lines starting with "info" (scripts/bench shows them) or on
 * stderr. In callgrind mode (--only SIDE --iters N) a program does N operations of one side inside
 * a function named measured_* (what scripts/bench hands --toggle-collect) and prints "ops COUNT". */
#ifndef ELFLDR_BENCH_H
#define ELFLDR_BENCH_H

#include <stddef.h>
#include <stdint.h>

#include <elfldr.h>

/* CLOCK_MONOTONIC in nanoseconds. */
double bench_now_ns(void);
/* Involuntary context switches of the calling thread so far: a sample during which this changed was
 * preempted (on a busy machine, by a scheduler slice of milliseconds) and says nothing of the code. */
long bench_preemptions(void);
/* The time of fn(arg) in nanoseconds, run again (up to 5 times in all) while it was preempted; each
 * run that was preempted is added to *preempted. */
double bench_timed(void (*fn)(void *), void *arg, unsigned long *preempted);
/* The median of v[0..n) (sorted in place); 0 when n == 0. */
double bench_median(double *v, size_t n);
/* One result line (see above); `note` may be NULL. */
void bench_result(const char *workload, double ours, double peer, const char *peer_name, const char *unit,
                  size_t runs, const char *note);
/* printf to stdout with "info\t" in front and a newline after. */
void bench_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print to stderr and exit 1. */
_Noreturn void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A namespace over the Linux table that shares the host's libraries (libc, libm, ld.so: what this
 * program was linked with), which is what glibc's dlopen shares too. Made before any dlopen of
 * glibc's, so that it adopts only what the program itself loaded. */
struct elfldr_ns *bench_ns(void);

/* The objects glibc's loader has mapped, as one string of their names separated by newlines
 * (malloc'ed), and how many there are. */
char *bench_glibc_objects(size_t *count);
/* The names in `after` that are not in `before`, separated by spaces (malloc'ed; "" for none). */
char *bench_new_names(const char *before, const char *after);
/* Lines of /proc/self/maps. */
size_t bench_maps_lines(void);

/* A call the compiler cannot see through, so that it keeps libm's DT_NEEDED: the libraries loaded here
 * need libm, and glibc's must be the host's for both loaders alike. */
double bench_keep_libm(double x);

/* "/usr/lib/.../libz.so.1" -> "libz.so.1"; a name without a slash is itself. */
const char *bench_base_name(const char *path);

/* Parse an unsigned number or die naming the option. */
unsigned long bench_number(const char *option, const char *text);
/* --only's argument, "ours" (elfldr: false) or "peer" (glibc: true); dies on anything else. */
bool bench_only_peer(const char *text);

#define BENCH_FN(type, p) ((type)(uintptr_t)(p))

#endif
