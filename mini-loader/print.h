/* SPDX-License-Identifier: BSD-2-Clause */
/* Lines for stdout and stderr, built piece by piece and written whole. */
#ifndef MINI_PRINT_H
#define MINI_PRINT_H

#include <stddef.h>
#include <stdint.h>

struct line {
    char buf[1024];
    size_t len;
};

void line_str(struct line *l, const char *s);
void line_hex(struct line *l, uint64_t v);
void line_dec(struct line *l, uint64_t v);
void line_flush(struct line *l, int fd);
size_t cstr_len(const char *s);
int cstr_eq(const char *a, const char *b);
const char *errno_text(long err);

#endif
