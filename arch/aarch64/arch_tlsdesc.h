/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AArch64 TLS descriptors (the psABI's TLSDESC, GCC's default here). Code calls desc[0] with x0 =
 * &desc and expects x0 = the variable's offset from tpidr_el0, every other register kept.
 *  - static: desc[1] is that offset already;
 *  - dynamic: desc[1] points to a {module, offset} pair: elfldr_tls_get_addr finds the thread's block.
 * The dynamic one saves every register the C call may change (x1-x18, x29, x30, and the caller-saved
 * vector registers q0-q7 and q16-q31).
 */
#ifndef ELFLDR_ARCH_TLSDESC_H
#define ELFLDR_ARCH_TLSDESC_H

#define ARCH_TLSDESC 1

#define ARCH_TLSDESC_ASM                                                                                    \
    ".text\n"                                                                                               \
    ".globl elfldr_tlsdesc_static, elfldr_tlsdesc_dynamic\n"                                                \
    ".hidden elfldr_tlsdesc_static, elfldr_tlsdesc_dynamic\n"                                               \
    ".type elfldr_tlsdesc_static,%function\n"                                                               \
    "elfldr_tlsdesc_static:\n"                                                                              \
    "  ldr x0, [x0, #8]\n"                                                                                  \
    "  ret\n"                                                                                               \
    ".type elfldr_tlsdesc_dynamic,%function\n"                                                              \
    "elfldr_tlsdesc_dynamic:\n"                                                                             \
    "  sub sp, sp, #544\n"                                                                                  \
    "  stp x29, x30, [sp]\n"                                                                                \
    "  mov x29, sp\n"                                                                                       \
    "  stp x1, x2, [sp, #16]\n"                                                                             \
    "  stp x3, x4, [sp, #32]\n"                                                                             \
    "  stp x5, x6, [sp, #48]\n"                                                                             \
    "  stp x7, x8, [sp, #64]\n"                                                                             \
    "  stp x9, x10, [sp, #80]\n"                                                                            \
    "  stp x11, x12, [sp, #96]\n"                                                                           \
    "  stp x13, x14, [sp, #112]\n"                                                                          \
    "  stp x15, x16, [sp, #128]\n"                                                                          \
    "  stp x17, x18, [sp, #144]\n"                                                                          \
    "  stp q0, q1, [sp, #160]\n"                                                                            \
    "  stp q2, q3, [sp, #192]\n"                                                                            \
    "  stp q4, q5, [sp, #224]\n"                                                                            \
    "  stp q6, q7, [sp, #256]\n"                                                                            \
    "  stp q16, q17, [sp, #288]\n"                                                                          \
    "  stp q18, q19, [sp, #320]\n"                                                                          \
    "  stp q20, q21, [sp, #352]\n"                                                                          \
    "  stp q22, q23, [sp, #384]\n"                                                                          \
    "  stp q24, q25, [sp, #416]\n"                                                                          \
    "  stp q26, q27, [sp, #448]\n"                                                                          \
    "  stp q28, q29, [sp, #480]\n"                                                                          \
    "  stp q30, q31, [sp, #512]\n"                                                                          \
    "  ldr x0, [x0, #8]\n"                                                                                  \
    "  bl elfldr_tls_get_addr\n"                                                                            \
    "  mrs x1, tpidr_el0\n"                                                                                 \
    "  sub x0, x0, x1\n"                                                                                    \
    "  ldp x1, x2, [sp, #16]\n"                                                                             \
    "  ldp x3, x4, [sp, #32]\n"                                                                             \
    "  ldp x5, x6, [sp, #48]\n"                                                                             \
    "  ldp x7, x8, [sp, #64]\n"                                                                             \
    "  ldp x9, x10, [sp, #80]\n"                                                                            \
    "  ldp x11, x12, [sp, #96]\n"                                                                           \
    "  ldp x13, x14, [sp, #112]\n"                                                                          \
    "  ldp x15, x16, [sp, #128]\n"                                                                          \
    "  ldp x17, x18, [sp, #144]\n"                                                                          \
    "  ldp q0, q1, [sp, #160]\n"                                                                            \
    "  ldp q2, q3, [sp, #192]\n"                                                                            \
    "  ldp q4, q5, [sp, #224]\n"                                                                            \
    "  ldp q6, q7, [sp, #256]\n"                                                                            \
    "  ldp q16, q17, [sp, #288]\n"                                                                          \
    "  ldp q18, q19, [sp, #320]\n"                                                                          \
    "  ldp q20, q21, [sp, #352]\n"                                                                          \
    "  ldp q22, q23, [sp, #384]\n"                                                                          \
    "  ldp q24, q25, [sp, #416]\n"                                                                          \
    "  ldp q26, q27, [sp, #448]\n"                                                                          \
    "  ldp q28, q29, [sp, #480]\n"                                                                          \
    "  ldp q30, q31, [sp, #512]\n"                                                                          \
    "  ldp x29, x30, [sp]\n"                                                                                \
    "  add sp, sp, #544\n"                                                                                  \
    "  ret\n"

#endif
