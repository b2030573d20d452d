/* The functions lazy_user.c calls through its PLT: each one different, so that none is folded. */
#include "lazy_funcs.h"

#define DEFINE(d) __attribute__((visibility("default"))) int lazy_fn_##d(int x) { return x * 3 + 0##d; }
LAZY_EACH(DEFINE)
