/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86-64 TLS descriptors (-mtls-dialect=gnu2). Code calls *desc[0] with rax = &desc and expects rax =
 * the variable's offset from the thread pointer (%fs:0), every other register kept.
 *  - static: desc[1] is that offset already;
 *  - dynamic: desc[1] points to a {module, offset} pair: elfldr_tls_get_addr finds the thread's block.
 * The dynamic one keeps every caller-saved register around the C call: rcx, rdx, rsi, rdi, r8-r11 and
 * xmm0-15 (the C code uses no VEX instruction, so ymm/zmm upper halves survive).
 */
#ifndef ELFLDR_ARCH_TLSDESC_H
#define ELFLDR_ARCH_TLSDESC_H

#define ARCH_TLSDESC 1

#define ARCH_TLSDESC_ASM                                                                                    \
    ".text\n"                                                                                               \
    ".globl elfldr_tlsdesc_static, elfldr_tlsdesc_dynamic\n"                                                \
    ".hidden elfldr_tlsdesc_static, elfldr_tlsdesc_dynamic\n"                                               \
    ".type elfldr_tlsdesc_static,@function\n"                                                               \
    "elfldr_tlsdesc_static:\n"                                                                              \
    "  mov 8(%rax), %rax\n"                                                                                 \
    "  ret\n"                                                                                               \
    ".type elfldr_tlsdesc_dynamic,@function\n"                                                              \
    "elfldr_tlsdesc_dynamic:\n"                                                                             \
    "  push %rbp\n"                                                                                         \
    "  mov %rsp, %rbp\n"                                                                                    \
    "  and $-16, %rsp\n"                                                                                    \
    "  sub $320, %rsp\n"                                                                                    \
    "  mov %rcx, 0(%rsp)\n"                                                                                 \
    "  mov %rdx, 8(%rsp)\n"                                                                                 \
    "  mov %rsi, 16(%rsp)\n"                                                                                \
    "  mov %rdi, 24(%rsp)\n"                                                                                \
    "  mov %r8, 32(%rsp)\n"                                                                                 \
    "  mov %r9, 40(%rsp)\n"                                                                                 \
    "  mov %r10, 48(%rsp)\n"                                                                                \
    "  mov %r11, 56(%rsp)\n"                                                                                \
    "  movdqa %xmm0, 64(%rsp)\n"                                                                            \
    "  movdqa %xmm1, 80(%rsp)\n"                                                                            \
    "  movdqa %xmm2, 96(%rsp)\n"                                                                            \
    "  movdqa %xmm3, 112(%rsp)\n"                                                                           \
    "  movdqa %xmm4, 128(%rsp)\n"                                                                           \
    "  movdqa %xmm5, 144(%rsp)\n"                                                                           \
    "  movdqa %xmm6, 160(%rsp)\n"                                                                           \
    "  movdqa %xmm7, 176(%rsp)\n"                                                                           \
    "  movdqa %xmm8, 192(%rsp)\n"                                                                           \
    "  movdqa %xmm9, 208(%rsp)\n"                                                                           \
    "  movdqa %xmm10, 224(%rsp)\n"                                                                          \
    "  movdqa %xmm11, 240(%rsp)\n"                                                                          \
    "  movdqa %xmm12, 256(%rsp)\n"                                                                          \
    "  movdqa %xmm13, 272(%rsp)\n"                                                                          \
    "  movdqa %xmm14, 288(%rsp)\n"                                                                          \
    "  movdqa %xmm15, 304(%rsp)\n"                                                                          \
    "  mov 8(%rax), %rdi\n"                                                                                 \
    "  call elfldr_tls_get_addr\n"                                                                          \
    "  sub %fs:0, %rax\n"                                                                                   \
    "  mov 0(%rsp), %rcx\n"                                                                                 \
    "  mov 8(%rsp), %rdx\n"                                                                                 \
    "  mov 16(%rsp), %rsi\n"                                                                                \
    "  mov 24(%rsp), %rdi\n"                                                                                \
    "  mov 32(%rsp), %r8\n"                                                                                 \
    "  mov 40(%rsp), %r9\n"                                                                                 \
    "  mov 48(%rsp), %r10\n"                                                                                \
    "  mov 56(%rsp), %r11\n"                                                                                \
    "  movdqa 64(%rsp), %xmm0\n"                                                                            \
    "  movdqa 80(%rsp), %xmm1\n"                                                                            \
    "  movdqa 96(%rsp), %xmm2\n"                                                                            \
    "  movdqa 112(%rsp), %xmm3\n"                                                                           \
    "  movdqa 128(%rsp), %xmm4\n"                                                                           \
    "  movdqa 144(%rsp), %xmm5\n"                                                                           \
    "  movdqa 160(%rsp), %xmm6\n"                                                                           \
    "  movdqa 176(%rsp), %xmm7\n"                                                                           \
    "  movdqa 192(%rsp), %xmm8\n"                                                                           \
    "  movdqa 208(%rsp), %xmm9\n"                                                                           \
    "  movdqa 224(%rsp), %xmm10\n"                                                                          \
    "  movdqa 240(%rsp), %xmm11\n"                                                                          \
    "  movdqa 256(%rsp), %xmm12\n"                                                                          \
    "  movdqa 272(%rsp), %xmm13\n"                                                                          \
    "  movdqa 288(%rsp), %xmm14\n"                                                                          \
    "  movdqa 304(%rsp), %xmm15\n"                                                                          \
    "  mov %rbp, %rsp\n"                                                                                    \
    "  pop %rbp\n"                                                                                          \
    "  ret\n"

#endif
