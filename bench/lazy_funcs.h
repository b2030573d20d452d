/* 256 functions, named by four base-4 digits (lazy_fn_0000 ... lazy_fn_3333): LAZY_EACH(X) expands
 * X(digits) for each of them, in order. */
#ifndef ELFLDR_BENCH_LAZY_FUNCS_H
#define ELFLDR_BENCH_LAZY_FUNCS_H

#define LAZY_COUNT 256

#define LAZY_EACH4(X, p) X(p##0) X(p##1) X(p##2) X(p##3)
#define LAZY_EACH16(X, p) LAZY_EACH4(X, p##0) LAZY_EACH4(X, p##1) LAZY_EACH4(X, p##2) LAZY_EACH4(X, p##3)
#define LAZY_EACH64(X, p) LAZY_EACH16(X, p##0) LAZY_EACH16(X, p##1) LAZY_EACH16(X, p##2) LAZY_EACH16(X, p##3)
#define LAZY_EACH(X) LAZY_EACH64(X, 0) LAZY_EACH64(X, 1) LAZY_EACH64(X, 2) LAZY_EACH64(X, 3)

#endif
