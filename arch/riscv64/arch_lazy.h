/* SPDX-License-Identifier: BSD-2-Clause */
/* riscv64 lazy binding: no trampoline yet, so objects are bound at load time whatever is asked. */
#ifndef ELFLDR_ARCH_LAZY_H
#define ELFLDR_ARCH_LAZY_H

#define ARCH_LAZY 0

#endif
