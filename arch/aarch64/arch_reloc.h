/* SPDX-License-Identifier: BSD-2-Clause */
/* AArch64: relocation types (ELF for the Arm 64-bit Architecture, "Dynamic relocations") mapped to
 * the loader's abstract classes. Until the cross-architecture issue these are compiled, not tested. */
#ifndef ELFLDR_ARCH_RELOC_H
#define ELFLDR_ARCH_RELOC_H

#include <elfldr.h>

#define ARCH_NAME "aarch64"
#define ARCH_MULTIARCH "aarch64-linux-gnu" /* Debian's multiarch directory name */
#define ARCH_MACHINE 183 /* EM_AARCH64 */
#define ARCH_R_RELATIVE 1027
#define ARCH_TLS_BELOW_TP 0 /* TLS variant I: the blocks lie above the thread pointer */

static inline enum elfldr_reloc_class arch_reloc_class(uint32_t type)
{
    switch (type) {
    case 0:
    case 256: return ELFLDR_RC_NONE;
    case 257: return ELFLDR_RC_ABS64;    /* R_AARCH64_ABS64 */
    case 258: return ELFLDR_RC_ABS32;    /* R_AARCH64_ABS32 */
    case 1024: return ELFLDR_RC_COPY;
    case 1025: return ELFLDR_RC_GLOB_DAT;
    case 1026: return ELFLDR_RC_JUMP_SLOT;
    case 1027: return ELFLDR_RC_RELATIVE;
    case 1028: return ELFLDR_RC_DTPMOD;  /* R_AARCH64_TLS_DTPMOD64 */
    case 1029: return ELFLDR_RC_DTPOFF;  /* R_AARCH64_TLS_DTPREL64 */
    case 1030: return ELFLDR_RC_TPOFF;   /* R_AARCH64_TLS_TPREL64 */
    case 1031: return ELFLDR_RC_TLSDESC;
    case 1032: return ELFLDR_RC_IRELATIVE;
    default: return ELFLDR_RC_UNKNOWN;
    }
}

static inline const char *arch_reloc_name(uint32_t type)
{
    switch (type) {
    case 0:
    case 256: return "R_AARCH64_NONE";
    case 257: return "R_AARCH64_ABS64";
    case 258: return "R_AARCH64_ABS32";
    case 1024: return "R_AARCH64_COPY";
    case 1025: return "R_AARCH64_GLOB_DAT";
    case 1026: return "R_AARCH64_JUMP_SLOT";
    case 1027: return "R_AARCH64_RELATIVE";
    case 1028: return "R_AARCH64_TLS_DTPMOD64";
    case 1029: return "R_AARCH64_TLS_DTPREL64";
    case 1030: return "R_AARCH64_TLS_TPREL64";
    case 1031: return "R_AARCH64_TLSDESC";
    case 1032: return "R_AARCH64_IRELATIVE";
    default: return "unknown";
    }
}

/* glibc passes AArch64 IFUNC resolvers hwcap with _IFUNC_ARG_HWCAP set, and a pointer to
 * { size, hwcap, hwcap2 }. */
static inline uintptr_t arch_call_ifunc(uintptr_t resolver, uint64_t hwcap, uint64_t hwcap2)
{
    const uint64_t ifunc_arg_hwcap = 1ULL << 62;
    struct {
        uint64_t size, hwcap, hwcap2;
    } arg = {sizeof(arg), hwcap, hwcap2};
    return ((uintptr_t(*)(uint64_t, void *))resolver)(hwcap | ifunc_arg_hwcap, &arg);
}

#endif
