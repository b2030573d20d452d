/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86-64 lazy binding: the PLT's first entry pushes GOT[1] (the object) and jumps to GOT[2], this
 * entry, with the relocation index pushed by the slot's own PLT entry just above. Every register a
 * call may carry arguments in is kept: rdi, rsi, rdx, rcx, r8, r9, rax (al counts the vector
 * arguments of a variadic call) and xmm0-7; the C code in between uses no AVX instruction, so the
 * upper halves of ymm/zmm survive too. Then it jumps to what lazy_fixup returned, with the caller's
 * return address on top of the stack, as if the call had gone there directly.
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
    ".type elfldr_lazy_entry,@function\n"                                                                   \
    "elfldr_lazy_entry:\n"                                                                                  \
    "  push %rbp\n"                                                                                         \
    "  mov %rsp, %rbp\n"                                                                                    \
    "  sub $192, %rsp\n"                                                                                    \
    "  mov %rax, 0(%rsp)\n"                                                                                 \
    "  mov %rcx, 8(%rsp)\n"                                                                                 \
    "  mov %rdx, 16(%rsp)\n"                                                                                \
    "  mov %rsi, 24(%rsp)\n"                                                                                \
    "  mov %rdi, 32(%rsp)\n"                                                                                \
    "  mov %r8, 40(%rsp)\n"                                                                                 \
    "  mov %r9, 48(%rsp)\n"                                                                                 \
    "  movdqu %xmm0, 64(%rsp)\n"                                                                            \
    "  movdqu %xmm1, 80(%rsp)\n"                                                                            \
    "  movdqu %xmm2, 96(%rsp)\n"                                                                            \
    "  movdqu %xmm3, 112(%rsp)\n"                                                                           \
    "  movdqu %xmm4, 128(%rsp)\n"                                                                           \
    "  movdqu %xmm5, 144(%rsp)\n"                                                                           \
    "  movdqu %xmm6, 160(%rsp)\n"                                                                           \
    "  movdqu %xmm7, 176(%rsp)\n"                                                                           \
    "  mov 8(%rbp), %rdi\n"       /* the object, pushed by PLT0 */                                         \
    "  mov 16(%rbp), %rsi\n"      /* the relocation index, pushed by the slot's PLT entry */               \
    "  call lazy_fixup\n"                                                                                   \
    "  mov %rax, %r11\n"                                                                                    \
    "  mov 0(%rsp), %rax\n"                                                                                 \
    "  mov 8(%rsp), %rcx\n"                                                                                 \
    "  mov 16(%rsp), %rdx\n"                                                                                \
    "  mov 24(%rsp), %rsi\n"                                                                                \
    "  mov 32(%rsp), %rdi\n"                                                                                \
    "  mov 40(%rsp), %r8\n"                                                                                 \
    "  mov 48(%rsp), %r9\n"                                                                                 \
    "  movdqu 64(%rsp), %xmm0\n"                                                                            \
    "  movdqu 80(%rsp), %xmm1\n"                                                                            \
    "  movdqu 96(%rsp), %xmm2\n"                                                                            \
    "  movdqu 112(%rsp), %xmm3\n"                                                                           \
    "  movdqu 128(%rsp), %xmm4\n"                                                                           \
    "  movdqu 144(%rsp), %xmm5\n"                                                                           \
    "  movdqu 160(%rsp), %xmm6\n"                                                                           \
    "  movdqu 176(%rsp), %xmm7\n"                                                                           \
    "  mov %rbp, %rsp\n"                                                                                    \
    "  pop %rbp\n"                                                                                          \
    "  add $16, %rsp\n"                                                                                     \
    "  jmp *%r11\n"                                                                                         \
    ".size elfldr_lazy_entry, .-elfldr_lazy_entry\n"

#endif
