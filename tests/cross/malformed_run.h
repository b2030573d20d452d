/* SPDX-License-Identifier: BSD-2-Clause */
/* What the runners of the malformed-image table without Criterion share (cross_malformed.c,
 * mini_malformed.c): the shim's failure hook and the victims' paths (given by Meson). */
#ifndef ELFLDR_CROSS_MALFORMED_RUN_H
#define ELFLDR_CROSS_MALFORMED_RUN_H

#include "corruptions.h"

extern const char *const malformed_victim_paths[VICTIM_COUNT];

#endif
