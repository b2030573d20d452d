/* SPDX-License-Identifier: BSD-2-Clause */
/* What the hand-over code (arch/<arch>/arch_start.h) reads; its offsets are fixed there. */
#ifndef MINI_TRANSFER_H
#define MINI_TRANSFER_H

#include <stdint.h>

struct transfer {
    uint64_t unmap_addr, unmap_size; /* mini-loader's own image */
    uint64_t mm_map, mm_map_size;    /* a struct prctl_mm_map, or 0 */
    uint64_t block, block_size;      /* the new argc/argv/envp/auxv block and its strings */
    uint64_t dest_sp;                /* where the block goes: the program's stack pointer */
    uint64_t entry;
    int64_t exe_fd;                  /* closed after prctl; -1: none */
    int64_t prctl_result;
    uint64_t release_addr, release_size; /* this struct's page and the block: unmapped last */
};

_Static_assert(sizeof(struct transfer) == 96, "arch_start.h reads fixed offsets");

/* linux/prctl.h's struct prctl_mm_map. */
struct prctl_mm_map {
    uint64_t start_code, end_code, start_data, end_data, start_brk, brk, start_stack;
    uint64_t arg_start, arg_end, env_start, env_end;
    uint64_t auxv;
    uint32_t auxv_size;
    uint32_t exe_fd;
};

#endif
