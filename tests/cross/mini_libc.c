/* mini-loader's memcpy, memmove, memset and memcmp (mini-loader/libc.c, compiled here under other
 * names) against the C library's, for every length up to 80 bytes at every alignment of source and
 * destination, memmove with every overlap either way, and memcmp with the first difference at each
 * byte. One check per function and kind; each fails on the first case that differs. */
#include "check.h"

#include <stdio.h>
#include <string.h>

void *mini_memcpy(void *dest, const void *src, size_t n);
void *mini_memmove(void *dest, const void *src, size_t n);
void *mini_memset(void *dest, int c, size_t n);
int mini_memcmp(const void *a, const void *b, size_t n);

#define SPAN 160

static unsigned char ours[SPAN], theirs[SPAN], src[SPAN];

static void fill(unsigned char *p, unsigned seed)
{
    for (size_t i = 0; i < SPAN; i++)
        p[i] = (unsigned char)(i * 37 + seed * 11 + 1);
}

static int sign(int v)
{
    return (v > 0) - (v < 0);
}

int main(void)
{
    check_label = "mini-loader/libc";
    char where[128] = "";
    bool ok = true;
    for (size_t n = 0; n <= 80 && ok; n++)
        for (size_t d = 0; d < 8 && ok; d++)
            for (size_t s = 0; s < 8 && ok; s++) {
                fill(src, (unsigned)n);
                fill(ours, 3);
                fill(theirs, 3);
                void *r = mini_memcpy(ours + d, src + s, n);
                memcpy(theirs + d, src + s, n);
                ok = r == ours + d && memcmp(ours, theirs, SPAN) == 0;
                snprintf(where, sizeof(where), "length %zu, destination +%zu, source +%zu", n, d, s);
            }
    check(ok, "memcpy copies as the C library's (%s)", ok ? "all cases" : where);

    ok = true;
    for (size_t n = 0; n <= 80 && ok; n++)
        for (size_t from = 0; from < 40 && ok; from++)
            for (size_t to = 0; to < 40 && ok; to++) {
                fill(ours, (unsigned)n);
                fill(theirs, (unsigned)n);
                void *r = mini_memmove(ours + to, ours + from, n);
                memmove(theirs + to, theirs + from, n);
                ok = r == ours + to && memcmp(ours, theirs, SPAN) == 0;
                snprintf(where, sizeof(where), "length %zu from +%zu to +%zu", n, from, to);
            }
    check(ok, "memmove moves overlapping ranges either way as the C library's (%s)", ok ? "all cases" : where);

    ok = true;
    for (size_t n = 0; n <= 80 && ok; n++)
        for (size_t d = 0; d < 8 && ok; d++)
            for (int c = 0; c < 512 && ok; c += 85) {
                fill(ours, 5);
                fill(theirs, 5);
                void *r = mini_memset(ours + d, c, n);
                memset(theirs + d, c, n);
                ok = r == ours + d && memcmp(ours, theirs, SPAN) == 0;
                snprintf(where, sizeof(where), "length %zu at +%zu, value %d", n, d, c);
            }
    check(ok, "memset fills as the C library's, the value taken as an unsigned char (%s)", ok ? "all cases" : where);

    ok = true;
    for (size_t n = 0; n <= 80 && ok; n++)
        for (size_t at = 0; at <= n && ok; at++)
            for (int delta = -1; delta <= 1 && ok; delta += 2) {
                fill(ours, 7);
                fill(theirs, 7);
                if (at < n)
                    theirs[at + 3] = (unsigned char)(theirs[at + 3] + delta);
                int got = mini_memcmp(ours + 3, theirs + 3, n), want = memcmp(ours + 3, theirs + 3, n);
                ok = sign(got) == sign(want) && (at < n || got == 0);
                snprintf(where, sizeof(where), "length %zu, difference at %zu by %d: %d, want the sign of %d", n, at,
                         delta, got, want);
            }
    check(ok, "memcmp orders as the C library's by the first differing byte (%s)", ok ? "all cases" : where);
    return check_summary();
}
