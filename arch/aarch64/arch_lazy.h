/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AArch64 lazy binding. A slot's PLT entry leaves x16 = &slot and jumps to PLT0, which pushes
 * {x16, x30}, sets x16 = &GOT[2] and jumps to GOT[2], this entry. So: the object is GOT[1] = [x16 - 8],
 * the slot's index is (&slot - &GOT[3]) / 8, and the caller's x30 is in the pair PLT0 pushed. The
 * argument registers x0-x7, x8 (the indirect result) and q0-q7 are kept around lazy_fixup; then the
 * pair is popped (x30 back to the caller's) and the call goes on at the bound address.
 */
#ifndef ELFLDR_ARCH_LAZY_H
#define ELFLDR_ARCH_LAZY_H

#define ARCH_LAZY 1
#define ARCH_LAZY_GOT_OBJECT 1 /* GOT[1]: the object */
#define ARCH_LAZY_GOT_ENTRY 2  /* GOT[2]: this entry */

#define ARCH_LAZY_ASM                                                                                       \
    ".text\n"                                                                                               \
    ".globl elfldr_lazy_entry\n"                                                                            \
    ".hidden elfldr_lazy_entry\n"                                                                           \
    ".type elfldr_lazy_entry,%function\n"                                                                   \
    "elfldr_lazy_entry:\n"                                                                                  \
    "  stp x29, x30, [sp, #-224]!\n"                                                                        \
    "  mov x29, sp\n"                                                                                       \
    "  stp x0, x1, [sp, #16]\n"                                                                             \
    "  stp x2, x3, [sp, #32]\n"                                                                             \
    "  stp x4, x5, [sp, #48]\n"                                                                             \
    "  stp x6, x7, [sp, #64]\n"                                                                             \
    "  str x8, [sp, #80]\n"                                                                                 \
    "  stp q0, q1, [sp, #96]\n"                                                                             \
    "  stp q2, q3, [sp, #128]\n"                                                                            \
    "  stp q4, q5, [sp, #160]\n"                                                                            \
    "  stp q6, q7, [sp, #192]\n"                                                                            \
    "  ldr x0, [x16, #-8]\n"                                                                                \
    "  ldr x1, [sp, #224]\n"                                                                                \
    "  sub x1, x1, x16\n"                                                                                   \
    "  sub x1, x1, #8\n"                                                                                    \
    "  lsr x1, x1, #3\n"                                                                                    \
    "  bl lazy_fixup\n"                                                                                     \
    "  mov x16, x0\n"                                                                                       \
    "  ldp x0, x1, [sp, #16]\n"                                                                             \
    "  ldp x2, x3, [sp, #32]\n"                                                                             \
    "  ldp x4, x5, [sp, #48]\n"                                                                             \
    "  ldp x6, x7, [sp, #64]\n"                                                                             \
    "  ldr x8, [sp, #80]\n"                                                                                 \
    "  ldp q0, q1, [sp, #96]\n"                                                                             \
    "  ldp q2, q3, [sp, #128]\n"                                                                            \
    "  ldp q4, q5, [sp, #160]\n"                                                                            \
    "  ldp q6, q7, [sp, #192]\n"                                                                            \
    "  ldp x29, x30, [sp], #224\n"                                                                          \
    "  ldp x17, x30, [sp], #16\n"                                                                           \
    "  br x16\n"                                                                                            \
    ".size elfldr_lazy_entry, .-elfldr_lazy_entry\n"

#endif
