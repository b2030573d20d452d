/* SPDX-License-Identifier: BSD-2-Clause */
/* riscv64: reading the thread pointer, and the psABI's bias between DTPREL values and a module's block (RISC-V: 0x800). */
#ifndef ELFLDR_ARCH_TLS_H
#define ELFLDR_ARCH_TLS_H

#include <stdint.h>

#define ARCH_TLS_DTV_OFFSET 0x800

/* A value that names the calling thread while it lives: the thread pointer. */
static inline uintptr_t arch_thread_pointer(void)
{
    uintptr_t tp;
    __asm__("mv %0, tp" : "=r"(tp));
    return tp;
}

#endif
