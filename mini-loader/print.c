/* SPDX-License-Identifier: BSD-2-Clause */
#include "print.h"

#include "sys.h"

size_t cstr_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int cstr_eq(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

void line_str(struct line *l, const char *s)
{
    while (*s && l->len < sizeof(l->buf) - 1)
        l->buf[l->len++] = *s++;
}

static void line_num(struct line *l, uint64_t v, unsigned base)
{
    char digits[24];
    size_t n = 0;
    do {
        unsigned d = (unsigned)(v % base);
        digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (n && l->len < sizeof(l->buf) - 1)
        l->buf[l->len++] = digits[--n];
}

void line_hex(struct line *l, uint64_t v)
{
    line_str(l, "0x");
    line_num(l, v, 16);
}

void line_dec(struct line *l, uint64_t v) { line_num(l, v, 10); }

void line_flush(struct line *l, int fd)
{
    size_t off = 0;
    while (off < l->len) {
        long r = sys_write(fd, l->buf + off, l->len - off);
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    l->len = 0;
}

/* The shell's words for the errors a run can meet. */
const char *errno_text(long err)
{
    switch (err) {
    case ENOENT: return "No such file or directory";
    case EACCES: return "Permission denied";
    case EISDIR: return "Is a directory";
    case ENOEXEC: return "Exec format error";
    case ELOOP: return "Too many levels of symbolic links or interpreters";
    case 20: return "Not a directory";
    case 36: return "File name too long";
    case 12: return "Cannot allocate memory";
    default: return "cannot be run";
    }
}
