/* Calls each of lazy_target's functions through the PLT (a call to another library: linked with
 * -z lazy, each slot is bound at its first call). lazy_callers[i] is the i-th caller. */
#include "lazy_funcs.h"

#define DECLARE(d) extern int lazy_fn_##d(int x);
LAZY_EACH(DECLARE)

#define CALLER(d) static int call_##d(int x) { return lazy_fn_##d(x) + 1; }
LAZY_EACH(CALLER)

#define ENTRY(d) call_##d,
__attribute__((visibility("default"))) int (*const lazy_callers[LAZY_COUNT])(int) = {LAZY_EACH(ENTRY)};
