/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The table of corrupted images: each entry names one fault, says how to put it into a copy of a
 * victim, and gives the error the loader must answer with. The table is the loader's specification
 * for malformed input: a load must fail with exactly this code, say so in a message, and leave
 * nothing behind.
 */
#ifndef ELFLDR_TEST_MALFORMED_CORRUPTIONS_H
#define ELFLDR_TEST_MALFORMED_CORRUPTIONS_H

#include <elfldr.h>
#include <stddef.h>

#include "image.h"

/* Which victim an entry starts from: they differ only in their hash tables. */
enum victim {
    VICTIM_BOTH, /* DT_HASH and DT_GNU_HASH */
    VICTIM_SYSV, /* DT_HASH only */
    VICTIM_GNU,  /* DT_GNU_HASH only */
    VICTIM_COUNT
};

struct corruption {
    const char *name;
    enum victim victim;
    void (*mutate)(struct image *img); /* NULL: the victim as built */
    enum elfldr_err expected;          /* ELFLDR_OK: the image must load and work */
    const char *message_has;           /* NULL, or a text the error message must contain */
};

extern const struct corruption corruptions[];
extern const size_t corruption_count;

#endif
