/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AArch64: a thunk that adds a fourth argument and jumps on (see arch/x86_64/arch_thunk.h):
 *   ldr x3, #16 ; ldr x16, #20 ; br x16 ; nop ; .quad context ; .quad target
 */
#ifndef ELFLDR_ARCH_THUNK_H
#define ELFLDR_ARCH_THUNK_H

#include <stdint.h>

#define ARCH_THUNK_SIZE 32

static inline void arch_write_thunk(unsigned char *code, uintptr_t context, uintptr_t target)
{
    const uint32_t insns[4] = {
        0x58000083u, /* ldr x3, [pc + 16] */
        0x580000b0u, /* ldr x16, [pc + 20] */
        0xd61f0200u, /* br x16 */
        0xd503201fu, /* nop */
    };
    __builtin_memcpy(code, insns, sizeof(insns));
    __builtin_memcpy(code + 16, &context, 8);
    __builtin_memcpy(code + 24, &target, 8);
}

#endif
