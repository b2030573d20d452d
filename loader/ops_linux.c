/* SPDX-License-Identifier: BSD-2-Clause */
/* The default platform table: Linux through raw system calls. It keeps no state. */
#include "arch_syscall.h"
#include "internal.h"

#define L_PROT_NONE 0
#define L_MAP_PRIVATE 0x02
#define L_MAP_FIXED 0x10
#define L_MAP_ANONYMOUS 0x20
#define L_MAP_POPULATE 0x8000 /* the same value on x86-64, aarch64 and riscv64 */
#define L_MAP_NORESERVE 0x4000
#define L_MAP_FIXED_NOREPLACE 0x100000
#define L_O_RDONLY 0
#define L_O_CLOEXEC 02000000
#define L_AT_FDCWD (-100)
#define L_SEEK_END 2
#define L_EINTR 4
#define L_EIO 5
#define L_EEXIST 17
#define L_PAGE 4096

static bool sys_failed(long ret) { return ret < 0 && ret > -4096; }

/* ThreadSanitizer does not see these raw calls: pages one thread unmaps and another is then given
 * would look like shared memory accessed without order. In a TSan build each page is announced as
 * released before it is unmapped and acquired once mapped, which is the order the kernel gives. */
#if defined(__SANITIZE_THREAD__)
#define ELFLDR_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define ELFLDR_TSAN 1
#endif
#endif
#ifdef ELFLDR_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
static void tsan_pages(uintptr_t addr, size_t len, void (*announce)(void *))
{
    for (uintptr_t page = addr & ~(uintptr_t)(L_PAGE - 1); page < addr + len; page += L_PAGE)
        announce((void *)page);
}
#endif

static long sys_mmap(uintptr_t addr, size_t len, int prot, int flags, long fd, uint64_t off)
{
    long r = arch_syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd, (long)off);
#ifdef ELFLDR_TSAN
    if (!sys_failed(r))
        tsan_pages((uintptr_t)r, len, __tsan_acquire);
#endif
    return r;
}

static long sys_munmap(uintptr_t addr, size_t len)
{
#ifdef ELFLDR_TSAN
    tsan_pages(addr, len, __tsan_release);
#endif
    return arch_syscall3(SYS_munmap, (long)addr, (long)len, 0);
}

/* ELFLDR_PROT_* are PROT_READ/WRITE/EXEC's values on Linux. */
static int linux_reserve(void *ctx, uintptr_t hint, size_t size, size_t align, bool fixed, uintptr_t *out)
{
    (void)ctx;
    int flags = L_MAP_PRIVATE | L_MAP_ANONYMOUS | L_MAP_NORESERVE;
    if (fixed) {
        long r = sys_mmap(hint, size, L_PROT_NONE, flags | L_MAP_FIXED_NOREPLACE, -1, 0);
        if (sys_failed(r))
            return (int)r;
        if ((uintptr_t)r != hint) { /* a kernel before 4.17 takes the flag as a hint */
            sys_munmap((uintptr_t)r, size);
            return -L_EEXIST;
        }
        *out = (uintptr_t)r;
        return 0;
    }
    if (align < L_PAGE)
        align = L_PAGE;
    /* Over-reserve by the alignment, then give back the head and tail that do not fit it. */
    size_t padded = size + align - L_PAGE;
    if (padded < size)
        return -12; /* ENOMEM */
    long r = sys_mmap(hint, padded, L_PROT_NONE, flags, -1, 0);
    if (sys_failed(r))
        return (int)r;
    uintptr_t start = (uintptr_t)r;
    uintptr_t aligned = (start + align - 1) & ~(uintptr_t)(align - 1);
    if (aligned > start)
        sys_munmap(start, aligned - start);
    uintptr_t end = start + padded, want_end = aligned + size;
    if (end > want_end)
        sys_munmap(want_end, end - want_end);
    *out = aligned;
    return 0;
}

static int linux_reserve_file(void *ctx, uintptr_t hint, size_t size, bool fixed, int prot, intptr_t handle,
                              uint64_t offset, uintptr_t *out)
{
    (void)ctx;
    long r = sys_mmap(hint, size, prot, L_MAP_PRIVATE | (fixed ? L_MAP_FIXED_NOREPLACE : 0), (long)handle, offset);
    if (sys_failed(r))
        return (int)r;
    if (fixed && (uintptr_t)r != hint) { /* a kernel before 4.17 takes the flag as a hint */
        sys_munmap((uintptr_t)r, size);
        return -L_EEXIST;
    }
    *out = (uintptr_t)r;
    return 0;
}

static int linux_populate(void *ctx, uintptr_t addr, size_t size)
{
    (void)ctx;
    return (int)arch_syscall3(SYS_madvise, (long)addr, (long)size, 23 /* MADV_POPULATE_WRITE, Linux 5.14 */);
}

static int linux_release(void *ctx, uintptr_t addr, size_t size)
{
    (void)ctx;
    return (int)sys_munmap(addr, size);
}

static int linux_map_zero(void *ctx, uintptr_t addr, size_t size, int prot)
{
    (void)ctx;
    long r = sys_mmap(addr, size, prot, L_MAP_PRIVATE | L_MAP_ANONYMOUS | L_MAP_FIXED, -1, 0);
    return sys_failed(r) ? (int)r : 0;
}

/* The file's bytes from `offset`, privately, over [addr, addr + size) inside a reservation. */
static int map_file_at(uintptr_t addr, size_t size, int prot, intptr_t handle, uint64_t offset, int more_flags)
{
    long r = sys_mmap(addr, size, prot, L_MAP_PRIVATE | L_MAP_FIXED | more_flags, (long)handle, offset);
    return sys_failed(r) ? (int)r : 0;
}

static int linux_map_file(void *ctx, uintptr_t addr, size_t size, int prot, intptr_t handle, uint64_t offset)
{
    (void)ctx;
    return map_file_at(addr, size, prot, handle, offset, 0);
}

static int linux_map_file_populate(void *ctx, uintptr_t addr, size_t size, int prot, intptr_t handle,
                                   uint64_t offset)
{
    (void)ctx;
    return map_file_at(addr, size, prot, handle, offset, L_MAP_POPULATE);
}

static int linux_protect(void *ctx, uintptr_t addr, size_t size, int prot)
{
    (void)ctx;
    return (int)arch_syscall3(SYS_mprotect, (long)addr, (long)size, prot);
}

/* Metadata in anonymous pages: the size is known at free, so no header is needed. */
static void *linux_alloc(void *ctx, size_t size)
{
    (void)ctx;
    if (size == 0 || size > ((size_t)1 << 40))
        return NULL;
    long r = sys_mmap(0, size, 3, L_MAP_PRIVATE | L_MAP_ANONYMOUS, -1, 0);
    return sys_failed(r) ? NULL : (void *)r;
}

static void linux_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    if (ptr)
        sys_munmap((uintptr_t)ptr, size);
}

static int linux_open(void *ctx, const char *path, intptr_t *handle)
{
    (void)ctx;
    long r = arch_syscall6(SYS_openat, L_AT_FDCWD, (long)path, L_O_RDONLY | L_O_CLOEXEC, 0, 0, 0);
    if (sys_failed(r))
        return (int)r;
    *handle = r;
    return 0;
}

static int linux_close(void *ctx, intptr_t handle)
{
    (void)ctx;
    return (int)arch_syscall3(SYS_close, (long)handle, 0, 0);
}

static int linux_read(void *ctx, intptr_t handle, uint64_t offset, void *buf, size_t size)
{
    (void)ctx;
    unsigned char *p = buf;
    while (size) {
        long r = arch_syscall6(SYS_pread64, (long)handle, (long)p, (long)size, (long)offset, 0, 0);
        if (r == -L_EINTR)
            continue;
        if (sys_failed(r))
            return (int)r;
        if (r == 0)
            return -L_EIO; /* the file ended early */
        p += r;
        size -= (size_t)r;
        offset += (uint64_t)r;
    }
    return 0;
}

static int linux_file_size(void *ctx, intptr_t handle, uint64_t *size)
{
    (void)ctx;
    long r = arch_syscall3(SYS_lseek, (long)handle, 0, L_SEEK_END);
    if (sys_failed(r))
        return (int)r;
    *size = (uint64_t)r;
    return 0;
}

/* st_dev and st_ino open struct stat on the three architectures alike. */
static int linux_file_id(void *ctx, intptr_t handle, uint64_t id[2])
{
    (void)ctx;
    uint64_t st[32];
    long r = arch_syscall3(SYS_fstat, (long)handle, (long)st, 0);
    if (sys_failed(r))
        return (int)r;
    id[0] = st[0];
    id[1] = st[1];
    return 0;
}

void elfldr_linux_ops(struct elfldr_ops *ops)
{
    ops->ctx = NULL;
    ops->page_size = L_PAGE;
    ops->reserve = linux_reserve;
    ops->release = linux_release;
    ops->map_zero = linux_map_zero;
    ops->map_file = linux_map_file;
    ops->protect = linux_protect;
    ops->alloc = linux_alloc;
    ops->free = linux_free;
    ops->open = linux_open;
    ops->close = linux_close;
    ops->read = linux_read;
    ops->file_size = linux_file_size;
    ops->file_id = linux_file_id;
    ops->reserve_file = linux_reserve_file;
    ops->populate = linux_populate;
    ops->map_file_populate = linux_map_file_populate;
}
