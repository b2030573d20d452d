#include "check.h"

#include <stdarg.h>
#include <stdio.h>

const char *check_label = "";
static unsigned passed, failed;

bool check(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("%s [%s] ", ok ? "PASS" : "FAIL", check_label);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    if (ok)
        passed++;
    else
        failed++;
    return ok;
}

int check_summary(void)
{
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
