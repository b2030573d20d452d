/* SPDX-License-Identifier: BSD-2-Clause */
/* RISC-V 64: relocation types (RISC-V ELF psABI, "Relocations") mapped to the loader's abstract
 * classes. Until the cross-architecture issue these are compiled, not tested. */
#ifndef ELFLDR_ARCH_RELOC_H
#define ELFLDR_ARCH_RELOC_H

#include <elfldr.h>

#define ARCH_NAME "riscv64"
#define ARCH_MULTIARCH "riscv64-linux-gnu" /* Debian's multiarch directory name */
#define ARCH_MACHINE 243 /* EM_RISCV */
#define ARCH_R_RELATIVE 3
#define ARCH_TLS_BELOW_TP 0 /* TLS variant I: the blocks lie above the thread pointer */

static inline enum elfldr_reloc_class arch_reloc_class(uint32_t type)
{
    switch (type) {
    case 0: return ELFLDR_RC_NONE;
    case 1: return ELFLDR_RC_ABS32;      /* R_RISCV_32 */
    case 2: return ELFLDR_RC_ABS64;      /* R_RISCV_64 */
    case 3: return ELFLDR_RC_RELATIVE;
    case 4: return ELFLDR_RC_COPY;
    case 5: return ELFLDR_RC_JUMP_SLOT;
    case 7: return ELFLDR_RC_DTPMOD;     /* R_RISCV_TLS_DTPMOD64 */
    case 9: return ELFLDR_RC_DTPOFF;     /* R_RISCV_TLS_DTPREL64 */
    case 11: return ELFLDR_RC_TPOFF;     /* R_RISCV_TLS_TPREL64 */
    case 12: return ELFLDR_RC_TLSDESC;
    case 58: return ELFLDR_RC_IRELATIVE;
    default: return ELFLDR_RC_UNKNOWN;
    }
}

static inline const char *arch_reloc_name(uint32_t type)
{
    switch (type) {
    case 0: return "R_RISCV_NONE";
    case 1: return "R_RISCV_32";
    case 2: return "R_RISCV_64";
    case 3: return "R_RISCV_RELATIVE";
    case 4: return "R_RISCV_COPY";
    case 5: return "R_RISCV_JUMP_SLOT";
    case 7: return "R_RISCV_TLS_DTPMOD64";
    case 9: return "R_RISCV_TLS_DTPREL64";
    case 11: return "R_RISCV_TLS_TPREL64";
    case 12: return "R_RISCV_TLSDESC";
    case 58: return "R_RISCV_IRELATIVE";
    default: return "unknown";
    }
}

/* glibc passes RISC-V IFUNC resolvers (hwcap, __riscv_hwprobe or NULL, NULL). */
static inline uintptr_t arch_call_ifunc(uintptr_t resolver, uint64_t hwcap, uint64_t hwcap2)
{
    (void)hwcap2;
    return ((uintptr_t(*)(uint64_t, void *, void *))resolver)(hwcap, (void *)0, (void *)0);
}

#endif
