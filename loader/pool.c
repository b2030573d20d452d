/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A pool for a namespace's small metadata. A platform table's `alloc` may cost a system call each
 * (the Linux table maps pages for every call), and a dlopen makes dozens of small allocations
 * (handles, search lists, objects, version tables, paths). The pool takes chunks from the table and
 * hands out blocks of a few size classes from them; freed blocks go to their class's list for reuse,
 * and a chunk none of whose blocks is in use goes back to the table at once, so that a namespace
 * holds no more of the table's memory than its libraries need. Larger requests go to the table.
 *
 * The pool is a platform table itself (pool_ops): its alloc and free are the pool's, every other
 * call goes to the table beneath. A spinlock guards it, since TLS blocks are allocated from any
 * thread, outside the namespace's lock.
 */
#include "internal.h"

#define CHUNK_SIZE ((size_t)64 * 1024)
#define HEADER 16 /* before each block: its chunk; keeps blocks 16-byte aligned */

struct pool_chunk {
    struct pool_chunk *prev, *next;
    size_t live; /* blocks handed out and not freed */
    size_t used; /* bytes carved so far, this header included */
};

#define CHUNK_HEADER ((sizeof(struct pool_chunk) + 15) & ~(size_t)15)

/* Payload sizes of the classes: 32 to 4096 bytes. */
static size_t class_size(unsigned c) { return (size_t)32 << c; }

static int class_of(size_t size)
{
    for (unsigned c = 0; c < POOL_CLASSES; c++)
        if (size <= class_size(c))
            return (int)c;
    return -1;
}

static void lock(struct pool *p)
{
    while (__atomic_exchange_n(&p->lock, 1, __ATOMIC_ACQUIRE))
        ;
}

static void unlock(struct pool *p) { __atomic_store_n(&p->lock, 0, __ATOMIC_RELEASE); }

static struct pool_chunk **chunk_of(void *block) { return (struct pool_chunk **)((unsigned char *)block - HEADER); }

/* A chunk with nothing in use: its blocks leave the free lists, and it goes back to the table. */
static void release_chunk(struct pool *p, struct pool_chunk *chunk)
{
    for (unsigned c = 0; c < POOL_CLASSES; c++) {
        void **link = &p->free[c];
        while (*link) {
            if (*chunk_of(*link) == chunk)
                *link = *(void **)*link;
            else
                link = (void **)*link;
        }
    }
    if (chunk->prev)
        chunk->prev->next = chunk->next;
    else
        p->chunks = chunk->next;
    if (chunk->next)
        chunk->next->prev = chunk->prev;
    p->under.free(p->under.ctx, chunk, CHUNK_SIZE);
    p->held -= CHUNK_SIZE;
}

static void *carve(struct pool *p, size_t block)
{
    for (struct pool_chunk *chunk = p->chunks; chunk; chunk = chunk->next) {
        if (CHUNK_SIZE - chunk->used >= block) {
            unsigned char *at = (unsigned char *)chunk + chunk->used;
            chunk->used += block;
            chunk->live++;
            *(struct pool_chunk **)at = chunk;
            return at + HEADER;
        }
    }
    struct pool_chunk *chunk = p->under.alloc(p->under.ctx, CHUNK_SIZE);
    if (!chunk)
        return NULL;
    p->held += CHUNK_SIZE;
    chunk->prev = NULL;
    chunk->next = p->chunks;
    if (p->chunks)
        p->chunks->prev = chunk;
    p->chunks = chunk;
    chunk->live = 1;
    chunk->used = CHUNK_HEADER + block;
    unsigned char *at = (unsigned char *)chunk + CHUNK_HEADER;
    *(struct pool_chunk **)at = chunk;
    return at + HEADER;
}

static void *pool_alloc(void *ctx, size_t size)
{
    struct pool *p = ctx;
    int c = class_of(size);
    if (c < 0) {
        void *big = p->under.alloc(p->under.ctx, size);
        if (big) {
            lock(p);
            p->in_use += size;
            p->held += size;
            unlock(p);
        }
        return big;
    }
    lock(p);
    void *block = p->free[c];
    if (block) {
        p->free[c] = *(void **)block;
        (*chunk_of(block))->live++;
    } else {
        block = carve(p, HEADER + class_size((unsigned)c));
    }
    if (block)
        p->in_use += size;
    unlock(p);
    return block;
}

static void pool_free(void *ctx, void *ptr, size_t size)
{
    struct pool *p = ctx;
    if (!ptr)
        return;
    int c = class_of(size);
    if (c < 0) {
        p->under.free(p->under.ctx, ptr, size);
        lock(p);
        p->in_use -= size;
        p->held -= size;
        unlock(p);
        return;
    }
    lock(p);
    p->in_use -= size;
    struct pool_chunk *chunk = *chunk_of(ptr);
    *(void **)ptr = p->free[c];
    p->free[c] = ptr;
    if (--chunk->live == 0)
        release_chunk(p, chunk);
    unlock(p);
}

/* ---- every other call goes to the table beneath ----------------------------------------------- */

#define UNDER(ctx) (&((struct pool *)(ctx))->under)

static int p_reserve(void *ctx, uintptr_t hint, size_t size, size_t align, bool fixed, uintptr_t *out)
{
    return UNDER(ctx)->reserve(UNDER(ctx)->ctx, hint, size, align, fixed, out);
}

static int p_release(void *ctx, uintptr_t addr, size_t size)
{
    return UNDER(ctx)->release(UNDER(ctx)->ctx, addr, size);
}

static int p_map_zero(void *ctx, uintptr_t addr, size_t size, int prot)
{
    return UNDER(ctx)->map_zero(UNDER(ctx)->ctx, addr, size, prot);
}

static int p_map_file(void *ctx, uintptr_t addr, size_t size, int prot, intptr_t handle, uint64_t offset)
{
    return UNDER(ctx)->map_file(UNDER(ctx)->ctx, addr, size, prot, handle, offset);
}

static int p_protect(void *ctx, uintptr_t addr, size_t size, int prot)
{
    return UNDER(ctx)->protect(UNDER(ctx)->ctx, addr, size, prot);
}

static int p_open(void *ctx, const char *path, intptr_t *handle)
{
    return UNDER(ctx)->open(UNDER(ctx)->ctx, path, handle);
}

static int p_close(void *ctx, intptr_t handle) { return UNDER(ctx)->close(UNDER(ctx)->ctx, handle); }

static int p_read(void *ctx, intptr_t handle, uint64_t offset, void *buf, size_t size)
{
    return UNDER(ctx)->read(UNDER(ctx)->ctx, handle, offset, buf, size);
}

static int p_file_size(void *ctx, intptr_t handle, uint64_t *size)
{
    return UNDER(ctx)->file_size(UNDER(ctx)->ctx, handle, size);
}

static int p_file_id(void *ctx, intptr_t handle, uint64_t id[2])
{
    return UNDER(ctx)->file_id(UNDER(ctx)->ctx, handle, id);
}

static int p_reserve_file(void *ctx, uintptr_t hint, size_t size, bool fixed, int prot, intptr_t handle,
                          uint64_t offset, uintptr_t *out)
{
    return UNDER(ctx)->reserve_file(UNDER(ctx)->ctx, hint, size, fixed, prot, handle, offset, out);
}

static int p_map_file_populate(void *ctx, uintptr_t addr, size_t size, int prot, intptr_t handle, uint64_t offset)
{
    return UNDER(ctx)->map_file_populate(UNDER(ctx)->ctx, addr, size, prot, handle, offset);
}

static int p_populate(void *ctx, uintptr_t addr, size_t size)
{
    return UNDER(ctx)->populate(UNDER(ctx)->ctx, addr, size);
}

void pool_init(struct pool *p, const struct elfldr_ops *under, struct elfldr_ops *ops)
{
    __builtin_memset(p, 0, sizeof(*p));
    p->under = *under;
    __builtin_memset(ops, 0, sizeof(*ops));
    ops->ctx = p;
    ops->page_size = under->page_size;
    ops->reserve = p_reserve;
    ops->release = p_release;
    ops->map_zero = p_map_zero;
    ops->map_file = under->map_file ? p_map_file : NULL;
    ops->protect = p_protect;
    ops->alloc = pool_alloc;
    ops->free = pool_free;
    ops->open = under->open ? p_open : NULL;
    ops->close = under->close ? p_close : NULL;
    ops->read = under->read ? p_read : NULL;
    ops->file_size = under->file_size ? p_file_size : NULL;
    ops->file_id = under->file_id ? p_file_id : NULL;
    ops->reserve_file = under->reserve_file ? p_reserve_file : NULL;
    ops->populate = under->populate ? p_populate : NULL;
    ops->map_file_populate = under->map_file_populate ? p_map_file_populate : NULL;
}

void pool_usage(struct pool *p, size_t *in_use, size_t *held)
{
    lock(p);
    if (in_use)
        *in_use = p->in_use;
    if (held)
        *held = p->held;
    unlock(p);
}

void pool_destroy(struct pool *p)
{
    while (p->chunks)
        release_chunk(p, p->chunks);
}
