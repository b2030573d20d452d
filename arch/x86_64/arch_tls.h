/* SPDX-License-Identifier: BSD-2-Clause */
/* x86_64: reading the thread pointer (%fs:0 holds the thread control block's own address), and the psABI's bias between DTPREL values and a module's block. */
#ifndef ELFLDR_ARCH_TLS_H
#define ELFLDR_ARCH_TLS_H

#include <stdint.h>

#define ARCH_TLS_DTV_OFFSET 0

/* A value that names the calling thread while it lives: the thread pointer. */
static inline uintptr_t arch_thread_pointer(void)
{
    uintptr_t tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    return tp;
}

#endif
