/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86-64 entry and hand-over for mini-loader, the few lines that cannot be C.
 *
 * _start: the kernel leaves argc at (%rsp); pass that address to mini_start, with the stack aligned
 * as a call expects.
 *
 * elfldr_transfer: runs from an anonymous copy of itself (between the two labels), so that it may
 * unmap mini-loader's own image. Its one argument (%rdi) is a struct transfer (mini-loader/transfer.h)
 * that also lies outside the image. It unmaps the image, optionally calls prctl(PR_SET_MM,
 * PR_SET_MM_MAP) and closes the descriptor the map names, copies the new stack block to its place,
 * unmaps its argument and the block's source, sets %rsp and jumps to the entry with %rdx = 0 (no function for atexit), as the ABI asks.
 */
#ifndef ELFLDR_ARCH_START_H
#define ELFLDR_ARCH_START_H

#define ARCH_START_ASM                                                                                      \
    ".text\n"                                                                                               \
    ".globl _start\n"                                                                                       \
    ".type _start,@function\n"                                                                              \
    "_start:\n"                                                                                             \
    "  xor %ebp, %ebp\n"                                                                                    \
    "  mov %rsp, %rdi\n"                                                                                    \
    "  and $-16, %rsp\n"                                                                                    \
    "  call mini_start\n"                                                                                   \
    "  hlt\n"                                                                                               \
    ".globl elfldr_transfer_start, elfldr_transfer_end\n"                                                   \
    ".hidden elfldr_transfer_start, elfldr_transfer_end\n"                                                  \
    "elfldr_transfer_start:\n"                                                                              \
    "  mov %rdi, %rbx\n"                                                                                    \
    "  mov $11, %eax\n"           /* munmap(image, size) */                                                \
    "  mov 0(%rbx), %rdi\n"                                                                                 \
    "  mov 8(%rbx), %rsi\n"                                                                                 \
    "  syscall\n"                                                                                           \
    "  mov 16(%rbx), %rdx\n"      /* prctl(PR_SET_MM, PR_SET_MM_MAP, map, size, 0) when map != 0 */        \
    "  test %rdx, %rdx\n"                                                                                   \
    "  jz 1f\n"                                                                                             \
    "  mov $157, %eax\n"                                                                                    \
    "  mov $35, %edi\n"                                                                                     \
    "  mov $14, %esi\n"                                                                                     \
    "  mov 24(%rbx), %r10\n"                                                                                \
    "  xor %r8d, %r8d\n"                                                                                    \
    "  syscall\n"                                                                                           \
    "  mov %rax, 72(%rbx)\n"                                                                                \
    "1:\n"                                                                                                  \
    "  mov 64(%rbx), %rdi\n"      /* close(fd) when fd >= 0 */                                             \
    "  test %rdi, %rdi\n"                                                                                   \
    "  js 2f\n"                                                                                             \
    "  mov $3, %eax\n"                                                                                      \
    "  syscall\n"                                                                                           \
    "2:\n"                                                                                                  \
    "  mov 32(%rbx), %rsi\n"      /* memcpy(dest, block, size) */                                          \
    "  mov 48(%rbx), %rdi\n"                                                                                \
    "  mov 40(%rbx), %rcx\n"                                                                                \
    "  cld\n"                                                                                               \
    "  rep movsb\n"                                                                                         \
    "  mov 48(%rbx), %r12\n"                                                                                \
    "  mov 56(%rbx), %r13\n"                                                                                \
    "  mov $11, %eax\n"           /* munmap(argument page and block): only this code's page stays */    \
    "  mov 80(%rbx), %rdi\n"                                                                                \
    "  mov 88(%rbx), %rsi\n"                                                                                \
    "  syscall\n"                                                                                           \
    "  mov %r12, %rsp\n"                                                                                    \
    "  mov %r13, %rax\n"                                                                                    \
    "  xor %r12d, %r12d\n"                                                                                  \
    "  xor %r13d, %r13d\n"                                                                                  \
    "  xor %ebx, %ebx\n"                                                                                    \
    "  xor %ecx, %ecx\n"                                                                                    \
    "  xor %edx, %edx\n"                                                                                    \
    "  xor %esi, %esi\n"                                                                                    \
    "  xor %edi, %edi\n"                                                                                    \
    "  xor %ebp, %ebp\n"                                                                                    \
    "  xor %r8d, %r8d\n"                                                                                    \
    "  xor %r9d, %r9d\n"                                                                                    \
    "  xor %r10d, %r10d\n"                                                                                  \
    "  xor %r11d, %r11d\n"                                                                                  \
    "  jmp *%rax\n"                                                                                         \
    "elfldr_transfer_end:\n"

#endif
