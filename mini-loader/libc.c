/* SPDX-License-Identifier: BSD-2-Clause */
/* The four functions the core may call, for a program with no libc. Built with
 * -fno-tree-loop-distribute-patterns so that GCC does not turn these loops back into calls to
 * themselves.
 *
 * Eight bytes a step where both sides are aligned alike: mapping ld.so zeroes the rest of its data
 * segment's last page (about 7 KiB for the program and ld.so together) and copies headers from the
 * cache, which a byte at a time made a third of mini-loader's instructions. Words are moved only at
 * 8-byte-aligned addresses, through a type that may alias anything: an unaligned word copy is what a
 * compiler may make a call to memcpy of (riscv64 at -Os, aarch64 with -mstrict-align), and here that
 * call would be to these functions themselves. */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dest, const void *src, size_t n);
void *memmove(void *dest, const void *src, size_t n);
void *memset(void *dest, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

typedef uint64_t __attribute__((may_alias)) word;

static inline int aligned_alike(const void *a, const void *b)
{
    return (((uintptr_t)a ^ (uintptr_t)b) & 7) == 0;
}

static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
    if (aligned_alike(d, s)) {
        for (; n && ((uintptr_t)d & 7); n--)
            *d++ = *s++;
        for (; n >= 8; n -= 8, d += 8, s += 8)
            *(word *)d = *(const word *)s;
    }
    while (n--)
        *d++ = *s++;
}

void *memcpy(void *dest, const void *src, size_t n)
{
    copy_forward(dest, src, n);
    return dest;
}

void *memmove(void *dest, const void *src, size_t n)
{
    unsigned char *d = dest;
    const unsigned char *s = src;
    /* Forward is safe when the destination starts before the source or the two do not overlap. */
    if (d <= s || d >= s + n) {
        copy_forward(d, s, n);
        return dest;
    }
    if (aligned_alike(d, s)) {
        for (; n && ((uintptr_t)(d + n) & 7); n--)
            d[n - 1] = s[n - 1];
        for (; n >= 8; n -= 8)
            *(word *)(d + n - 8) = *(const word *)(s + n - 8);
    }
    while (n--)
        d[n] = s[n];
    return dest;
}

void *memset(void *dest, int c, size_t n)
{
    unsigned char *d = dest;
    for (; n && ((uintptr_t)d & 7); n--)
        *d++ = (unsigned char)c;
    const word w = 0x0101010101010101ull * (unsigned char)c;
    for (; n >= 8; n -= 8, d += 8)
        *(word *)d = w;
    while (n--)
        *d++ = (unsigned char)c;
    return dest;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    if (aligned_alike(x, y)) {
        for (; n && ((uintptr_t)x & 7); n--, x++, y++)
            if (*x != *y)
                return *x - *y;
        /* Equal words skipped; the bytes of the first that differs say which is smaller. */
        for (; n >= 8 && *(const word *)x == *(const word *)y; n -= 8, x += 8, y += 8)
            ;
    }
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}
