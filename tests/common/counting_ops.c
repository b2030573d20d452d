#include "counting_ops.h"

#include <errno.h>
#include <string.h>

static int should_fail(struct counting_ops *c)
{
    c->calls++;
    return c->fail_at != 0 && c->calls == c->fail_at;
}

static int c_reserve(void *ctx, uintptr_t hint, size_t size, size_t align, bool fixed, uintptr_t *out)
{
    struct counting_ops *c = ctx;
    if (should_fail(c))
        return -ENOMEM;
    int rc = c->inner->reserve(c->inner->ctx, hint, size, align, fixed, out);
    if (rc == 0)
        c->reserved++;
    return rc;
}

static int c_reserve_file(void *ctx, uintptr_t hint, size_t size, bool fixed, int prot, intptr_t handle,
                          uint64_t offset, uintptr_t *out)
{
    struct counting_ops *c = ctx;
    if (should_fail(c))
        return -ENOMEM;
    int rc = c->inner->reserve_file(c->inner->ctx, hint, size, fixed, prot, handle, offset, out);
    if (rc == 0)
        c->reserved++;
    return rc;
}

static int c_populate(void *ctx, uintptr_t addr, size_t size)
{
    struct counting_ops *c = ctx;
    c->populates++;
    return c->inner->populate(c->inner->ctx, addr, size);
}

static int c_release(void *ctx, uintptr_t addr, size_t size)
{
    struct counting_ops *c = ctx;
    int rc = c->inner->release(c->inner->ctx, addr, size);
    if (rc == 0)
        c->reserved--;
    return rc;
}

static int c_map_zero(void *ctx, uintptr_t addr, size_t size, int prot)
{
    struct counting_ops *c = ctx;
    if (should_fail(c))
        return -ENOMEM;
    return c->inner->map_zero(c->inner->ctx, addr, size, prot);
}

static int c_map_file(void *ctx, uintptr_t addr, size_t size, int prot, intptr_t handle, uint64_t offset)
{
    struct counting_ops *c = ctx;
    if (should_fail(c))
        return -ENOMEM;
    return c->inner->map_file(c->inner->ctx, addr, size, prot, handle, offset);
}

static int c_map_file_populate(void *ctx, uintptr_t addr, size_t size, int prot, intptr_t handle, uint64_t offset)
{
    struct counting_ops *c = ctx;
    if (should_fail(c))
        return -ENOMEM;
    c->map_file_populates++;
    return c->inner->map_file_populate(c->inner->ctx, addr, size, prot, handle, offset);
}

static int c_protect(void *ctx, uintptr_t addr, size_t size, int prot)
{
    struct counting_ops *c = ctx;
    if (should_fail(c))
        return -EACCES;
    return c->inner->protect(c->inner->ctx, addr, size, prot);
}

static void *c_alloc(void *ctx, size_t size)
{
    struct counting_ops *c = ctx;
    if (should_fail(c))
        return NULL;
    void *p = c->inner->alloc(c->inner->ctx, size);
    if (p)
        c->allocated++, c->allocs++;
    return p;
}

static void c_free(void *ctx, void *ptr, size_t size)
{
    struct counting_ops *c = ctx;
    if (ptr)
        c->allocated--;
    c->inner->free(c->inner->ctx, ptr, size);
}

static int c_open(void *ctx, const char *path, intptr_t *handle)
{
    struct counting_ops *c = ctx;
    if (should_fail(c))
        return -EMFILE;
    int rc = c->inner->open(c->inner->ctx, path, handle);
    if (rc == 0)
        c->opened++;
    return rc;
}

static int c_close(void *ctx, intptr_t handle)
{
    struct counting_ops *c = ctx;
    c->opened--;
    return c->inner->close(c->inner->ctx, handle);
}

static int c_read(void *ctx, intptr_t handle, uint64_t offset, void *buf, size_t size)
{
    struct counting_ops *c = ctx;
    if (should_fail(c))
        return -EIO;
    return c->inner->read(c->inner->ctx, handle, offset, buf, size);
}

static int c_file_size(void *ctx, intptr_t handle, uint64_t *size)
{
    struct counting_ops *c = ctx;
    return c->inner->file_size(c->inner->ctx, handle, size);
}

static int c_file_id(void *ctx, intptr_t handle, uint64_t id[2])
{
    struct counting_ops *c = ctx;
    return c->inner->file_id(c->inner->ctx, handle, id);
}

void counting_ops_init(struct counting_ops *c, const struct elfldr_ops *inner)
{
    memset(c, 0, sizeof(*c));
    c->inner = inner;
    c->ops.ctx = c;
    c->ops.page_size = inner->page_size;
    c->ops.reserve = c_reserve;
    c->ops.release = c_release;
    c->ops.map_zero = c_map_zero;
    c->ops.map_file = inner->map_file ? c_map_file : NULL;
    c->ops.protect = c_protect;
    c->ops.alloc = c_alloc;
    c->ops.free = c_free;
    c->ops.open = inner->open ? c_open : NULL;
    c->ops.close = inner->close ? c_close : NULL;
    c->ops.read = inner->read ? c_read : NULL;
    c->ops.file_size = inner->file_size ? c_file_size : NULL;
    c->ops.file_id = inner->file_id ? c_file_id : NULL;
    c->ops.reserve_file = inner->reserve_file ? c_reserve_file : NULL;
    c->ops.populate = inner->populate ? c_populate : NULL; /* never failed: its failure is no error */
    c->ops.map_file_populate = inner->map_file_populate ? c_map_file_populate : NULL;
}

int counting_ops_clean(const struct counting_ops *c)
{
    return c->reserved == 0 && c->allocated == 0 && c->opened == 0;
}
