/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * AArch64 system calls. ABI: number in x8, arguments in x0..x5, `svc #0`; the result comes back in
 * x0, -4095..-1 being -errno. Nothing else is clobbered.
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
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a1;
    register long x1 __asm__("x1") = a2;
    register long x2 __asm__("x2") = a3;
    register long x3 __asm__("x3") = a4;
    register long x4 __asm__("x4") = a5;
    register long x5 __asm__("x5") = a6;
    __asm__ volatile("svc #0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory", "cc");
    return x0;
}

static inline long arch_syscall3(long nr, long a1, long a2, long a3)
{
    register long x8 __asm__("x8") = nr;
    register long x0 __asm__("x0") = a1;
    register long x1 __asm__("x1") = a2;
    register long x2 __asm__("x2") = a3;
    __asm__ volatile("svc #0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory", "cc");
    return x0;
}

#endif
