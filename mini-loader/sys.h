/* SPDX-License-Identifier: BSD-2-Clause */
/* mini-loader's system calls: thin wrappers over the architecture's raw ones. */
#ifndef MINI_SYS_H
#define MINI_SYS_H

#include <stddef.h>
#include <stdint.h>

#include "arch_syscall.h"

#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_CLOEXEC 02000000
#define X_OK 1
#define ENOENT 2
#define EACCES 13
#define EISDIR 21
#define ENOEXEC 8
#define ELOOP 40

static inline long sys_write(int fd, const void *buf, size_t n) { return arch_syscall3(SYS_write, fd, (long)buf, (long)n); }
static inline long sys_openat(const char *path, int flags) { return arch_syscall6(SYS_openat, AT_FDCWD, (long)path, flags, 0, 0, 0); }
static inline long sys_close(long fd) { return arch_syscall3(SYS_close, fd, 0, 0); }
static inline long sys_pread(long fd, void *buf, size_t n, uint64_t off)
{
    return arch_syscall6(SYS_pread64, fd, (long)buf, (long)n, (long)off, 0, 0);
}
static inline long sys_fstat(long fd, void *st) { return arch_syscall3(SYS_fstat, fd, (long)st, 0); }
static inline long sys_access(const char *path, int mode) { return arch_syscall6(SYS_faccessat, AT_FDCWD, (long)path, mode, 0, 0, 0); }
static inline long sys_mmap(uintptr_t addr, size_t len, int prot, int flags, long fd, uint64_t off)
{
    return arch_syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
}
static inline long sys_munmap(uintptr_t addr, size_t len) { return arch_syscall3(SYS_munmap, (long)addr, (long)len, 0); }
static inline long sys_mprotect(uintptr_t addr, size_t len, int prot) { return arch_syscall3(SYS_mprotect, (long)addr, (long)len, prot); }
static inline long sys_prctl(long option, long a2, long a3, long a4) { return arch_syscall6(SYS_prctl, option, a2, a3, a4, 0, 0); }
static inline long sys_brk(uintptr_t addr) { return arch_syscall3(SYS_brk, (long)addr, 0, 0); }
static inline __attribute__((noreturn)) void sys_exit_group(int code)
{
    for (;;)
        arch_syscall3(SYS_exit_group, code, 0, 0);
}
static inline uint64_t monotonic_ns(void)
{
    struct { long sec, nsec; } ts = {0, 0};
    arch_syscall3(SYS_clock_gettime, 1 /* CLOCK_MONOTONIC */, (long)&ts, 0);
    return (uint64_t)ts.sec * 1000000000u + (uint64_t)ts.nsec;
}
static inline int sys_failed(long r) { return r < 0 && r > -4096; }

#endif
