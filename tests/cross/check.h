/* The plain-C check machinery of the cross tests: one "PASS [label] ..." or "FAIL [label] ..." line
 * per check, then exactly "N passed, N failed" (check_summary), which is also the exit status. */
#ifndef ELFLDR_CROSS_CHECK_H
#define ELFLDR_CROSS_CHECK_H

#include <stdbool.h>
#include <stdint.h>

/* What the lines say the checks belong to ("arena/mem", "tls", ...). */
extern const char *check_label;

bool check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the closing line; returns the exit status (1 when any check failed). */
int check_summary(void);

#define CHECK_EQ_INT(got, want, what)                                                                    \
    do {                                                                                                 \
        long long got_ = (long long)(got), want_ = (long long)(want);                                    \
        check(got_ == want_, "%s = %lld (want %lld)", what, got_, want_);                               \
    } while (0)

/* A function pointer from a looked-up address (ISO C has no direct conversion). */
#define AS_FN(type, address) ((type)(uintptr_t)(address))

#endif
