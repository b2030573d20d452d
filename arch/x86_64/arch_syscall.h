/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * x86-64 system calls. ABI: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9; the `syscall`
 * instruction clobbers rcx and r11; the result comes back in rax, -4095..-1 being -errno.
 */
#ifndef ELFLDR_ARCH_SYSCALL_H
#define ELFLDR_ARCH_SYSCALL_H

#define SYS_read 0
#define SYS_write 1
#define SYS_close 3
#define SYS_fstat 5
#define SYS_lseek 8
#define SYS_mmap 9
#define SYS_madvise 28
#define SYS_mprotect 10
#define SYS_munmap 11
#define SYS_pread64 17
#define SYS_exit 60
#define SYS_gettid 186
#define SYS_sched_yield 24
#define SYS_exit_group 231
#define SYS_openat 257

#define SYS_brk 12
#define SYS_prctl 157
#define SYS_clock_gettime 228
#define SYS_faccessat 269

static inline long arch_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
{
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static inline long arch_syscall3(long nr, long a1, long a2, long a3)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a1), "S"(a2), "d"(a3) : "rcx", "r11", "memory");
    return ret;
}

#endif
