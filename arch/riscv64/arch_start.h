/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * RISC-V 64 entry and hand-over for mini-loader (see arch/x86_64/arch_start.h for the contract).
 * At the program's entry sp points at argc and a0 holds 0 (no function for atexit).
 */
#ifndef ELFLDR_ARCH_START_H
#define ELFLDR_ARCH_START_H

#define ARCH_START_ASM                                                                                      \
    ".text\n"                                                                                               \
    ".globl _start\n"                                                                                       \
    ".type _start,@function\n"                                                                              \
    "_start:\n"                                                                                             \
    "  .option push\n"                                                                                      \
    "  .option norelax\n"                                                                                   \
    "  mv a0, sp\n"                                                                                         \
    "  andi sp, sp, -16\n"                                                                                  \
    "  call mini_start\n"                                                                                   \
    "  ebreak\n"                                                                                            \
    "  .option pop\n"                                                                                       \
    ".globl elfldr_transfer_start, elfldr_transfer_end\n"                                                   \
    ".hidden elfldr_transfer_start, elfldr_transfer_end\n"                                                  \
    "elfldr_transfer_start:\n"                                                                              \
    "  mv s1, a0\n"                                                                                         \
    "  ld a0, 0(s1)\n"            /* munmap */                                                             \
    "  ld a1, 8(s1)\n"                                                                                      \
    "  li a7, 215\n"                                                                                        \
    "  ecall\n"                                                                                             \
    "  ld a2, 16(s1)\n"           /* prctl(PR_SET_MM, PR_SET_MM_MAP, map, size, 0) */                      \
    "  beqz a2, 1f\n"                                                                                       \
    "  li a0, 35\n"                                                                                         \
    "  li a1, 14\n"                                                                                         \
    "  ld a3, 24(s1)\n"                                                                                     \
    "  li a4, 0\n"                                                                                          \
    "  li a7, 167\n"                                                                                        \
    "  ecall\n"                                                                                             \
    "  sd a0, 72(s1)\n"                                                                                     \
    "1:\n"                                                                                                  \
    "  ld a0, 64(s1)\n"           /* close(fd) */                                                          \
    "  bltz a0, 2f\n"                                                                                       \
    "  li a7, 57\n"                                                                                         \
    "  ecall\n"                                                                                             \
    "2:\n"                                                                                                  \
    "  ld a1, 32(s1)\n"           /* copy the block */                                                     \
    "  ld a2, 40(s1)\n"                                                                                     \
    "  ld a3, 48(s1)\n"                                                                                     \
    "  mv a4, a3\n"                                                                                         \
    "3:\n"                                                                                                  \
    "  beqz a2, 4f\n"                                                                                       \
    "  lbu a5, 0(a1)\n"                                                                                     \
    "  sb a5, 0(a4)\n"                                                                                      \
    "  addi a1, a1, 1\n"                                                                                    \
    "  addi a4, a4, 1\n"                                                                                    \
    "  addi a2, a2, -1\n"                                                                                   \
    "  j 3b\n"                                                                                              \
    "4:\n"                                                                                                  \
    "  ld t0, 56(s1)\n"                                                                                     \
    "  ld a0, 80(s1)\n"           /* munmap(argument page and block) */                                    \
    "  ld a1, 88(s1)\n"                                                                                     \
    "  li a7, 215\n"                                                                                        \
    "  ecall\n"                                                                                             \
    "  mv sp, a3\n"                                                                                         \
    "  li a0, 0\n"                                                                                          \
    "  li s1, 0\n"                                                                                          \
    "  li ra, 0\n"                                                                                          \
    "  jr t0\n"                                                                                             \
    "elfldr_transfer_end:\n"

#endif
