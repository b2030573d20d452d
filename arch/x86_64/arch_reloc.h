/* SPDX-License-Identifier: BSD-2-Clause */
/* x86-64: relocation types (psABI, "Relocation Types") mapped to the loader's abstract classes. */
#ifndef ELFLDR_ARCH_RELOC_H
#define ELFLDR_ARCH_RELOC_H

#include <elfldr.h>

#define ARCH_NAME "x86_64"
#define ARCH_MULTIARCH "x86_64-linux-gnu" /* Debian's multiarch directory name */
#define ARCH_MACHINE 62 /* EM_X86_64 */
#define ARCH_R_RELATIVE 8
#define ARCH_TLS_BELOW_TP 1 /* TLS variant II: the blocks lie below the thread pointer */

static inline enum elfldr_reloc_class arch_reloc_class(uint32_t type)
{
    switch (type) {
    case 0: return ELFLDR_RC_NONE;
    case 1: return ELFLDR_RC_ABS64;      /* R_X86_64_64 */
    case 2: return ELFLDR_RC_PC32;       /* R_X86_64_PC32 */
    case 5: return ELFLDR_RC_COPY;
    case 6: return ELFLDR_RC_GLOB_DAT;
    case 7: return ELFLDR_RC_JUMP_SLOT;
    case 8: return ELFLDR_RC_RELATIVE;
    case 10: return ELFLDR_RC_ABS32;     /* R_X86_64_32 */
    case 11: return ELFLDR_RC_ABS32S;    /* R_X86_64_32S */
    case 16: return ELFLDR_RC_DTPMOD;    /* R_X86_64_DTPMOD64 */
    case 17: return ELFLDR_RC_DTPOFF;    /* R_X86_64_DTPOFF64 */
    case 18: return ELFLDR_RC_TPOFF;     /* R_X86_64_TPOFF64 */
    case 24: return ELFLDR_RC_PC64;      /* R_X86_64_PC64 */
    case 32: return ELFLDR_RC_SIZE32;
    case 33: return ELFLDR_RC_SIZE64;
    case 36: return ELFLDR_RC_TLSDESC;
    case 37: return ELFLDR_RC_IRELATIVE;
    default: return ELFLDR_RC_UNKNOWN;
    }
}

static inline const char *arch_reloc_name(uint32_t type)
{
    switch (type) {
    case 0: return "R_X86_64_NONE";
    case 1: return "R_X86_64_64";
    case 2: return "R_X86_64_PC32";
    case 5: return "R_X86_64_COPY";
    case 6: return "R_X86_64_GLOB_DAT";
    case 7: return "R_X86_64_JUMP_SLOT";
    case 8: return "R_X86_64_RELATIVE";
    case 10: return "R_X86_64_32";
    case 11: return "R_X86_64_32S";
    case 16: return "R_X86_64_DTPMOD64";
    case 17: return "R_X86_64_DTPOFF64";
    case 18: return "R_X86_64_TPOFF64";
    case 24: return "R_X86_64_PC64";
    case 32: return "R_X86_64_SIZE32";
    case 33: return "R_X86_64_SIZE64";
    case 36: return "R_X86_64_TLSDESC";
    case 37: return "R_X86_64_IRELATIVE";
    default: return "unknown";
    }
}

/* glibc calls x86-64 IFUNC resolvers with no arguments (they read cpu features themselves). */
static inline uintptr_t arch_call_ifunc(uintptr_t resolver, uint64_t hwcap, uint64_t hwcap2)
{
    (void)hwcap;
    (void)hwcap2;
    return ((uintptr_t(*)(void))resolver)();
}

#endif
