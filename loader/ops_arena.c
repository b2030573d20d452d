/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The arena platform table: images and metadata share one caller-given buffer, handed out first fit
 * from a sorted list of blocks kept in the caller's struct. No system call, no global. Protections
 * cannot be enforced without an MMU, so `protect` only checks its range.
 */
#include "internal.h"

#define ARENA_PAGE 4096
#define ARENA_ENOMEM 12
#define ARENA_EINVAL 22
#define ARENA_EEXIST 17

static bool arena_contains(const struct elfldr_arena *a, uintptr_t addr, size_t size)
{
    return addr >= a->base && size <= a->size && addr - a->base <= a->size - size;
}

static void insert_block(struct elfldr_arena *a, size_t at, uintptr_t start, size_t size)
{
    for (size_t i = a->nblocks; i > at; i--)
        a->blocks[i] = a->blocks[i - 1];
    a->blocks[at].start = start;
    a->blocks[at].size = size;
    a->nblocks++;
    a->bytes_in_use += size;
}

/* Place [start, start+size) if it falls in a gap; returns false otherwise. */
static bool place_fixed(struct elfldr_arena *a, uintptr_t start, size_t size)
{
    size_t i = 0;
    while (i < a->nblocks && a->blocks[i].start + a->blocks[i].size <= start)
        i++;
    if (i < a->nblocks && a->blocks[i].start < start + size)
        return false;
    insert_block(a, i, start, size);
    return true;
}

static int arena_take(struct elfldr_arena *a, size_t size, size_t align, uintptr_t *out)
{
    if (a->nblocks == ELFLDR_ARENA_MAX_BLOCKS || size == 0 || size > a->size)
        return -ARENA_ENOMEM;
    uintptr_t cursor = a->base;
    for (size_t i = 0; i <= a->nblocks; i++) {
        uintptr_t gap_end = i < a->nblocks ? a->blocks[i].start : a->base + a->size;
        uintptr_t start = (cursor + align - 1) & ~(uintptr_t)(align - 1);
        if (start >= cursor && start <= gap_end && gap_end - start >= size) {
            insert_block(a, i, start, size);
            *out = start;
            return 0;
        }
        if (i < a->nblocks)
            cursor = a->blocks[i].start + a->blocks[i].size;
    }
    return -ARENA_ENOMEM;
}

static int arena_give_back(struct elfldr_arena *a, uintptr_t start)
{
    for (size_t i = 0; i < a->nblocks; i++) {
        if (a->blocks[i].start != start)
            continue;
        a->bytes_in_use -= a->blocks[i].size;
        for (; i + 1 < a->nblocks; i++)
            a->blocks[i] = a->blocks[i + 1];
        a->nblocks--;
        return 0;
    }
    return -ARENA_EINVAL;
}

static int arena_reserve(void *ctx, uintptr_t hint, size_t size, size_t align, bool fixed, uintptr_t *out)
{
    struct elfldr_arena *a = ctx;
    if (!is_pow2(align) || align < ARENA_PAGE)
        align = ARENA_PAGE;
    size = page_up(size, ARENA_PAGE);
    if (fixed) {
        if (a->nblocks == ELFLDR_ARENA_MAX_BLOCKS || !arena_contains(a, hint, size))
            return -ARENA_ENOMEM;
        if (!place_fixed(a, hint, size))
            return -ARENA_EEXIST;
        *out = hint;
        return 0;
    }
    return arena_take(a, size, align, out);
}

static int arena_release(void *ctx, uintptr_t addr, size_t size)
{
    (void)size;
    return arena_give_back(ctx, addr);
}

static int arena_map_zero(void *ctx, uintptr_t addr, size_t size, int prot)
{
    (void)prot;
    if (!arena_contains(ctx, addr, size))
        return -ARENA_EINVAL;
    __builtin_memset((void *)addr, 0, size);
    return 0;
}

static int arena_protect(void *ctx, uintptr_t addr, size_t size, int prot)
{
    (void)prot;
    return arena_contains(ctx, addr, size) ? 0 : -ARENA_EINVAL;
}

static void *arena_alloc(void *ctx, size_t size)
{
    uintptr_t out;
    if (arena_take(ctx, (size + 15) & ~(size_t)15, 16, &out) != 0)
        return NULL;
    return (void *)out;
}

static void arena_free(void *ctx, void *ptr, size_t size)
{
    (void)size;
    if (ptr)
        arena_give_back(ctx, (uintptr_t)ptr);
}

int elfldr_arena_ops(struct elfldr_arena *arena, void *buffer, size_t size, struct elfldr_ops *ops)
{
    if (!arena || !buffer || !ops || size < 2 * ARENA_PAGE)
        return ELFLDR_E_INVAL;
    /* Only whole pages of the buffer are used: images are placed page by page. */
    uintptr_t start = page_up((uintptr_t)buffer, ARENA_PAGE);
    uintptr_t end = page_down((uintptr_t)buffer + size, ARENA_PAGE);
    if (end <= start)
        return ELFLDR_E_INVAL;
    __builtin_memset(arena, 0, sizeof(*arena));
    arena->base = start;
    arena->size = end - start;
    __builtin_memset(ops, 0, sizeof(*ops));
    ops->ctx = arena;
    ops->page_size = ARENA_PAGE;
    ops->reserve = arena_reserve;
    ops->release = arena_release;
    ops->map_zero = arena_map_zero;
    ops->protect = arena_protect;
    ops->alloc = arena_alloc;
    ops->free = arena_free;
    return 0;
}
