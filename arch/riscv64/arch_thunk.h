/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * RISC-V 64: a thunk that adds a fourth argument and jumps on (see arch/x86_64/arch_thunk.h):
 *   auipc t0, 0 ; ld a3, 16(t0) ; ld t1, 24(t0) ; jr t1 ; .dword context ; .dword target
 */
#ifndef ELFLDR_ARCH_THUNK_H
#define ELFLDR_ARCH_THUNK_H

#include <stdint.h>

#define ARCH_THUNK_SIZE 32

static inline void arch_write_thunk(unsigned char *code, uintptr_t context, uintptr_t target)
{
    const uint32_t insns[4] = {
        0x00000297u,                                       /* auipc t0, 0 */
        (16u << 20) | (5u << 15) | (3u << 12) | (13u << 7) | 0x03u, /* ld a3, 16(t0) */
        (24u << 20) | (5u << 15) | (3u << 12) | (6u << 7) | 0x03u,  /* ld t1, 24(t0) */
        (6u << 15) | 0x67u,                                /* jalr x0, 0(t1) */
    };
    __builtin_memcpy(code, insns, sizeof(insns));
    __builtin_memcpy(code + 16, &context, 8);
    __builtin_memcpy(code + 24, &target, 8);
}

#endif
