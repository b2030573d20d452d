/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * RISC-V 64 system calls. ABI: number in a7, arguments in a0..a5, `ecall`; the result comes back in
 * a0, -4095..-1 being -errno. Nothing else is clobbered.
 */
#ifndef ELFLDR_ARCH_SYSCALL_H
#define ELFLDR_ARCH_SYSCALL_H

#define SYS_openat 56
#define SYS_close 57
#define SYS_lseek 62
#define SYS_read 63
#define SYS_write 64
#define SYS_pread64 67
#define SYS_fstat 80
#define SYS_exit 93
#define SYS_gettid 178
#define SYS_sched_yield 124
#define SYS_exit_group 94
#define SYS_munmap 215
#define SYS_mmap 222
#define SYS_madvise 233
#define SYS_mprotect 226

#define SYS_faccessat 48
#define SYS_clock_gettime 113
#define SYS_prctl 167
#define SYS_brk 214

static inline long arch_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long a7_ __asm__("a7") = nr;
    register long a0_ __asm__("a0") = a1;
    register long a1_ __asm__("a1") = a2;
    register long a2_ __asm__("a2") = a3;
    register long a3_ __asm__("a3") = a4;
    register long a4_ __asm__("a4") = a5;
    register long a5_ __asm__("a5") = a6;
    __asm__ volatile("ecall"
                     : "+r"(a0_)
                     : "r"(a7_), "r"(a1_), "r"(a2_), "r"(a3_), "r"(a4_), "r"(a5_)
                     : "memory");
    return a0_;
}

static inline long arch_syscall3(long nr, long a1, long a2, long a3)
{
    register long a7_ __asm__("a7") = nr;
    register long a0_ __asm__("a0") = a1;
    register long a1_ __asm__("a1") = a2;
    register long a2_ __asm__("a2") = a3;
    __asm__ volatile("ecall" : "+r"(a0_) : "r"(a7_), "r"(a1_), "r"(a2_) : "memory");
    return a0_;
}

#endif
