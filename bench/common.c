#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <link.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

long bench_preemptions(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) != 0)
        return 0;
    return ru.ru_nivcsw;
}

double bench_timed(void (*fn)(void *), void *arg, unsigned long *preempted)
{
    double t = 0;
    for (int attempt = 0; attempt < 5; attempt++) {
        long before = bench_preemptions();
        double t0 = bench_now_ns();
        fn(arg);
        t = bench_now_ns() - t0;
        if (bench_preemptions() == before)
            break;
        ++*preempted;
    }
    return t;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_result(const char *workload, double ours, double peer, const char *peer_name, const char *unit,
                  size_t runs, const char *note)
{
    printf("result\t%s\t%.6g\t%.6g\t%s\t%s\t%zu\t%s\n", workload, ours, peer, peer_name, unit, runs, note ? note : "");
    fflush(stdout);
}

void bench_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("info\t", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    fflush(stdout);
}

void bench_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

struct elfldr_ns *bench_ns(void)
{
    struct elfldr_ns *ns = elfldr_ns_new(NULL);
    if (!ns)
        bench_die("elfldr_ns_new failed");
    return ns;
}

struct names {
    char *text;
    size_t len, cap, count;
};

static int add_name(struct dl_phdr_info *info, size_t size, void *data)
{
    struct names *n = data;
    const char *name = info->dlpi_name && info->dlpi_name[0] ? info->dlpi_name : "(main program)";
    size_t need = strlen(name) + 1;
    (void)size;
    if (n->len + need + 1 > n->cap) {
        n->cap = (n->len + need + 1) * 2;
        n->text = realloc(n->text, n->cap);
        if (!n->text)
            bench_die("out of memory");
    }
    memcpy(n->text + n->len, name, need - 1);
    n->len += need;
    n->text[n->len - 1] = '\n';
    n->text[n->len] = '\0';
    n->count++;
    return 0;
}

char *bench_glibc_objects(size_t *count)
{
    struct names n = {0};
    dl_iterate_phdr(add_name, &n);
    if (count)
        *count = n.count;
    return n.text ? n.text : strdup("");
}

static int has_line(const char *text, const char *line, size_t len)
{
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (l == len && memcmp(p, line, len) == 0)
            return 1;
        p += l + (end != NULL);
    }
    return 0;
}

char *bench_new_names(const char *before, const char *after)
{
    size_t cap = strlen(after) + 1, len = 0;
    char *out = calloc(1, cap);
    if (!out)
        bench_die("out of memory");
    for (const char *p = after; *p;) {
        const char *end = strchr(p, '\n');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (!has_line(before, p, l)) {
            const char *base = p;
            for (const char *q = p; q < p + l; q++)
                if (*q == '/')
                    base = q + 1;
            size_t bl = l - (size_t)(base - p);
            if (len)
                out[len++] = ' ';
            memcpy(out + len, base, bl);
            len += bl;
        }
        p += l + (end != NULL);
    }
    return out;
}

size_t bench_maps_lines(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    size_t lines = 0;
    int c;
    if (!f)
        return 0;
    while ((c = getc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    return lines;
}

double bench_keep_libm(double x) { return log1p(x); }

const char *bench_base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

unsigned long bench_number(const char *option, const char *text)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text ? text : "", &end, 10);
    if (!text || !*text || *end || errno)
        bench_die("%s wants a number, not '%s'", option, text ? text : "");
    return v;
}

bool bench_only_peer(const char *text)
{
    if (strcmp(text, "ours") != 0 && strcmp(text, "peer") != 0)
        bench_die("--only ours or --only peer, not %s", text);
    return strcmp(text, "peer") == 0;
}
