/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86-64: a thunk that adds a fourth argument and jumps on, written into an executable page at run
 * time, so that a function the loader binds (which takes three) learns whose it is without any global:
 *   movabs $context, %rcx ; movabs $target, %rax ; jmp *%rax
 */
#ifndef ELFLDR_ARCH_THUNK_H
#define ELFLDR_ARCH_THUNK_H

#include <stdint.h>

#define ARCH_THUNK_SIZE 32

static inline void arch_write_thunk(unsigned char *code, uintptr_t context, uintptr_t target)
{
    code[0] = 0x48, code[1] = 0xb9; /* movabs imm64, %rcx */
    __builtin_memcpy(code + 2, &context, 8);
    code[10] = 0x48, code[11] = 0xb8; /* movabs imm64, %rax */
    __builtin_memcpy(code + 12, &target, 8);
    code[20] = 0xff, code[21] = 0xe0; /* jmp *%rax */
}

#endif
