/* SPDX-License-Identifier: BSD-2-Clause */
#include "malformed_run.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>

#include <criterion/criterion.h>

jmp_buf shim_on_failure;

void shim_failed(const char *cond, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("    assertion (%s) failed at %s:%d: ", cond, file, line);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
}

const char *const malformed_victim_paths[VICTIM_COUNT] = {
    [VICTIM_BOTH] = MALFORMED_VICTIM_BOTH,
    [VICTIM_SYSV] = MALFORMED_VICTIM_SYSV,
    [VICTIM_GNU] = MALFORMED_VICTIM_GNU,
};
