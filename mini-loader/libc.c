/* SPDX-License-Identifier: BSD-2-Clause */
/* The four functions the core may call, for a program with no libc. Built with
 * -fno-tree-loop-distribute-patterns so that GCC does not turn these loops back into calls to
 * themselves.
 *
 * Eight bytes a step where there are eight: mapping ld.so zeroes the rest of its data segment's last
 * page (about 7 KiB for the program and ld.so together) and copies headers from the cache, which a
 * byte at a time made a third of mini-loader's instructions. A word is moved with __builtin_memcpy of
 * constant size, which the compiler makes one load or store (byte by byte where the architecture
 * needs alignment it cannot prove). */
#include <stddef.h>
#include <stdint.h>

void *memcpy(void *dest, const void *src, size_t n);
void *memmove(void *dest, const void *src, size_t n);
void *memset(void *dest, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

static void copy_forward(unsigned char *d, const unsigned char *s, size_t n)
{
    for (; n >= 8; n -= 8, d += 8, s += 8) {
        uint64_t w;
        __builtin_memcpy(&w, s, 8);
        __builtin_memcpy(d, &w, 8);
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
    for (; n >= 8; n -= 8) {
        uint64_t w;
        __builtin_memcpy(&w, s + n - 8, 8);
        __builtin_memcpy(d + n - 8, &w, 8);
    }
    while (n--)
        d[n] = s[n];
    return dest;
}

void *memset(void *dest, int c, size_t n)
{
    unsigned char *d = dest;
    const uint64_t w = 0x0101010101010101ull * (unsigned char)c;
    for (; n >= 8; n -= 8, d += 8)
        __builtin_memcpy(d, &w, 8);
    while (n--)
        *d++ = (unsigned char)c;
    return dest;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n >= 8; n -= 8, x += 8, y += 8) {
        uint64_t u, v;
        __builtin_memcpy(&u, x, 8);
        __builtin_memcpy(&v, y, 8);
        if (u != v)
            break; /* the bytes below say which differs first */
    }
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}
