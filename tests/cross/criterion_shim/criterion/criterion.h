/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Just enough of Criterion's assertions for tests/malformed/corruptions.c and image.c to build where
 * there is no Criterion (cross builds): a failed assertion prints its message and jumps back to the
 * entry that cross_malformed.c is running, which counts it as failed. Only the cr_assert forms those
 * two files use are here.
 */
#ifndef ELFLDR_CROSS_CRITERION_SHIM_H
#define ELFLDR_CROSS_CRITERION_SHIM_H

#include <setjmp.h>
#include <stdio.h>

/* Set by the runner around each entry. */
extern jmp_buf shim_on_failure;
/* Prints "assertion ... failed" with the caller's message (printf format, extra arguments ignored). */
void shim_failed(const char *cond, const char *file, int line, const char *fmt, ...);

/* Every form takes its message as optional: a trailing "" makes the variadic part never empty. */
#define SHIM_ASSERT_(cond, ...)                                                                          \
    do {                                                                                                 \
        if (!(cond)) {                                                                                   \
            shim_failed(#cond, __FILE__, __LINE__, __VA_ARGS__);                                         \
            longjmp(shim_on_failure, 1);                                                                 \
        }                                                                                                \
    } while (0)
#define SHIM_CMP_(op, a, b, ...) SHIM_ASSERT_((a)op(b), __VA_ARGS__)

#define cr_assert(...) SHIM_ASSERT_(__VA_ARGS__, "")
#define cr_assert_fail(...) SHIM_ASSERT_(0, __VA_ARGS__, "")
#define cr_assert_eq(...) SHIM_CMP_(==, __VA_ARGS__, "")
#define cr_assert_neq(...) SHIM_CMP_(!=, __VA_ARGS__, "")
#define cr_assert_lt(...) SHIM_CMP_(<, __VA_ARGS__, "")
#define cr_assert_leq(...) SHIM_CMP_(<=, __VA_ARGS__, "")
#define cr_assert_gt(...) SHIM_CMP_(>, __VA_ARGS__, "")
#define cr_assert_geq(...) SHIM_CMP_(>=, __VA_ARGS__, "")
#define cr_assert_not_null(...) SHIM_NOT_NULL_(__VA_ARGS__, "")
#define SHIM_NOT_NULL_(p, ...) SHIM_ASSERT_((p) != NULL, __VA_ARGS__)

#endif
