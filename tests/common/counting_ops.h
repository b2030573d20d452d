/* A platform table that wraps another and counts what is outstanding, so a test can assert that a
 * load or an unload left nothing mapped or allocated. It can also make the Nth call fail. */
#ifndef ELFLDR_TEST_COUNTING_OPS_H
#define ELFLDR_TEST_COUNTING_OPS_H

#include <elfldr.h>

struct counting_ops {
    struct elfldr_ops ops;         /* give this to the loader */
    const struct elfldr_ops *inner;
    long reserved;                 /* reservations outstanding */
    long allocated;                /* metadata allocations outstanding */
    long allocs;                   /* metadata allocations made so far */
    long opened;                   /* handles outstanding */
    long calls;                    /* reserve/map/protect/alloc/open/read calls made so far */
    long fail_at;                  /* fail that call (1-based); 0: never */
    long populates;                /* populate calls made so far */
    long map_file_populates;       /* map_file_populate calls that reached the table beneath */
};

void counting_ops_init(struct counting_ops *c, const struct elfldr_ops *inner);
/* True when nothing is outstanding. */
int counting_ops_clean(const struct counting_ops *c);

#endif
