/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A printf of four conversions, enough for diagnostics, with no libc:
 *   %s  const char * (NULL prints "(null)")
 *   %x  uint64_t, printed 0x-prefixed hexadecimal
 *   %u  uint64_t, decimal
 *   %d  int64_t, decimal
 * Numbers are always passed as 64-bit values, so call sites cast: no promotion surprises.
 * The output is cut to fit and always terminated.
 */
#include "internal.h"

struct out {
    char *buf;
    size_t cap, len;
};

static void put_char(struct out *o, char c)
{
    if (o->len + 1 < o->cap)
        o->buf[o->len++] = c;
}

static void put_str(struct out *o, const char *s)
{
    if (!s)
        s = "(null)";
    while (*s)
        put_char(o, *s++);
}

static void put_unsigned(struct out *o, uint64_t v, unsigned base)
{
    char digits[24];
    size_t n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (n)
        put_char(o, digits[--n]);
}

void format_message(char *buf, size_t cap, const char *fmt, va_list ap)
{
    struct out o = {buf, cap, 0};
    if (cap == 0)
        return;
    for (; *fmt; fmt++) {
        if (*fmt != '%' || !fmt[1]) {
            put_char(&o, *fmt);
            continue;
        }
        switch (*++fmt) {
        case 's': put_str(&o, va_arg(ap, const char *)); break;
        case 'x':
            put_str(&o, "0x");
            put_unsigned(&o, va_arg(ap, uint64_t), 16);
            break;
        case 'u': put_unsigned(&o, va_arg(ap, uint64_t), 10); break;
        case 'd': {
            int64_t v = va_arg(ap, int64_t);
            if (v < 0) {
                put_char(&o, '-');
                put_unsigned(&o, (uint64_t)0 - (uint64_t)v, 10);
            } else {
                put_unsigned(&o, (uint64_t)v, 10);
            }
            break;
        }
        default: put_char(&o, *fmt); break;
        }
    }
    o.buf[o.len] = '\0';
}

size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int str_cmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}
