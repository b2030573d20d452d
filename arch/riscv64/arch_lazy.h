/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * RISC-V 64 lazy binding. A slot's PLT entry jumps to PLT0 with `jalr t1` (ra stays the caller's);
 * PLT0 leaves t0 = GOT[1] (the object) and t1 = the slot's index times 8, and jumps to GOT[0], this
 * entry (psABI, "Procedure Linkage Table"). The argument registers a0-a7 and fa0-fa7 and ra are kept
 * around lazy_fixup; then the call goes on at the bound address.
 */
#ifndef ELFLDR_ARCH_LAZY_H
#define ELFLDR_ARCH_LAZY_H

#define ARCH_LAZY 1
#define ARCH_LAZY_GOT_OBJECT 1 /* GOT[1]: the object */
#define ARCH_LAZY_GOT_ENTRY 0  /* GOT[0]: this entry */

#define ARCH_LAZY_ASM                                                                                       \
    ".text\n"                                                                                               \
    ".globl elfldr_lazy_entry\n"                                                                            \
    ".hidden elfldr_lazy_entry\n"                                                                           \
    ".type elfldr_lazy_entry,@function\n"                                                                   \
    "elfldr_lazy_entry:\n"                                                                                  \
    "  addi sp, sp, -144\n"                                                                                 \
    "  sd ra, 0(sp)\n"                                                                                      \
    "  sd a0, 8(sp)\n"                                                                                      \
    "  sd a1, 16(sp)\n"                                                                                     \
    "  sd a2, 24(sp)\n"                                                                                     \
    "  sd a3, 32(sp)\n"                                                                                     \
    "  sd a4, 40(sp)\n"                                                                                     \
    "  sd a5, 48(sp)\n"                                                                                     \
    "  sd a6, 56(sp)\n"                                                                                     \
    "  sd a7, 64(sp)\n"                                                                                     \
    "  fsd fa0, 72(sp)\n"                                                                                   \
    "  fsd fa1, 80(sp)\n"                                                                                   \
    "  fsd fa2, 88(sp)\n"                                                                                   \
    "  fsd fa3, 96(sp)\n"                                                                                   \
    "  fsd fa4, 104(sp)\n"                                                                                  \
    "  fsd fa5, 112(sp)\n"                                                                                  \
    "  fsd fa6, 120(sp)\n"                                                                                  \
    "  fsd fa7, 128(sp)\n"                                                                                  \
    "  mv a0, t0\n"                                                                                         \
    "  srli a1, t1, 3\n"                                                                                    \
    "  call lazy_fixup\n"                                                                                   \
    "  mv t1, a0\n"                                                                                         \
    "  ld ra, 0(sp)\n"                                                                                      \
    "  ld a0, 8(sp)\n"                                                                                      \
    "  ld a1, 16(sp)\n"                                                                                     \
    "  ld a2, 24(sp)\n"                                                                                     \
    "  ld a3, 32(sp)\n"                                                                                     \
    "  ld a4, 40(sp)\n"                                                                                     \
    "  ld a5, 48(sp)\n"                                                                                     \
    "  ld a6, 56(sp)\n"                                                                                     \
    "  ld a7, 64(sp)\n"                                                                                     \
    "  fld fa0, 72(sp)\n"                                                                                   \
    "  fld fa1, 80(sp)\n"                                                                                   \
    "  fld fa2, 88(sp)\n"                                                                                   \
    "  fld fa3, 96(sp)\n"                                                                                   \
    "  fld fa4, 104(sp)\n"                                                                                  \
    "  fld fa5, 112(sp)\n"                                                                                  \
    "  fld fa6, 120(sp)\n"                                                                                  \
    "  fld fa7, 128(sp)\n"                                                                                  \
    "  addi sp, sp, 144\n"                                                                                  \
    "  jr t1\n"                                                                                             \
    ".size elfldr_lazy_entry, .-elfldr_lazy_entry\n"

#endif
