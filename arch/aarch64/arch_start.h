/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AArch64 entry and hand-over for mini-loader (see arch/x86_64/arch_start.h for the contract).
 * At the program's entry sp points at argc and x0 holds 0 (no function for atexit).
 */
#ifndef ELFLDR_ARCH_START_H
#define ELFLDR_ARCH_START_H

#define ARCH_START_ASM                                                                                      \
    ".text\n"                                                                                               \
    ".globl _start\n"                                                                                       \
    ".type _start,%function\n"                                                                              \
    "_start:\n"                                                                                             \
    "  mov x29, #0\n"                                                                                       \
    "  mov x30, #0\n"                                                                                       \
    "  mov x0, sp\n"                                                                                        \
    "  bl mini_start\n"                                                                                     \
    "  brk #0\n"                                                                                            \
    ".globl elfldr_transfer_start, elfldr_transfer_end\n"                                                   \
    ".hidden elfldr_transfer_start, elfldr_transfer_end\n"                                                  \
    "elfldr_transfer_start:\n"                                                                              \
    "  mov x19, x0\n"                                                                                       \
    "  ldr x0, [x19, #0]\n"       /* munmap */                                                             \
    "  ldr x1, [x19, #8]\n"                                                                                 \
    "  mov x8, #215\n"                                                                                      \
    "  svc #0\n"                                                                                            \
    "  ldr x2, [x19, #16]\n"      /* prctl(PR_SET_MM, PR_SET_MM_MAP, map, size, 0) */                      \
    "  cbz x2, 1f\n"                                                                                        \
    "  mov x0, #35\n"                                                                                       \
    "  mov x1, #14\n"                                                                                       \
    "  ldr x3, [x19, #24]\n"                                                                                \
    "  mov x4, #0\n"                                                                                        \
    "  mov x8, #167\n"                                                                                      \
    "  svc #0\n"                                                                                            \
    "  str x0, [x19, #72]\n"                                                                                \
    "1:\n"                                                                                                  \
    "  ldr x0, [x19, #64]\n"      /* close(fd) */                                                          \
    "  tbnz x0, #63, 2f\n"                                                                                  \
    "  mov x8, #57\n"                                                                                       \
    "  svc #0\n"                                                                                            \
    "2:\n"                                                                                                  \
    "  ldr x1, [x19, #32]\n"      /* copy the block */                                                     \
    "  ldr x2, [x19, #40]\n"                                                                                \
    "  ldr x3, [x19, #48]\n"                                                                                \
    "  mov x4, x3\n"                                                                                        \
    "3:\n"                                                                                                  \
    "  cbz x2, 4f\n"                                                                                        \
    "  ldrb w5, [x1], #1\n"                                                                                 \
    "  strb w5, [x4], #1\n"                                                                                 \
    "  sub x2, x2, #1\n"                                                                                    \
    "  b 3b\n"                                                                                              \
    "4:\n"                                                                                                  \
    "  ldr x16, [x19, #56]\n"                                                                               \
    "  ldr x0, [x19, #80]\n"      /* munmap(argument page and block) */                                    \
    "  ldr x1, [x19, #88]\n"                                                                                \
    "  mov x8, #215\n"                                                                                      \
    "  svc #0\n"                                                                                            \
    "  mov sp, x3\n"                                                                                        \
    "  mov x0, #0\n"                                                                                        \
    "  mov x1, #0\n"                                                                                        \
    "  mov x19, #0\n"                                                                                       \
    "  mov x29, #0\n"                                                                                       \
    "  mov x30, #0\n"                                                                                       \
    "  br x16\n"                                                                                            \
    "elfldr_transfer_end:\n"

#endif
