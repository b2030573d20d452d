/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A load, step by step: read and validate the headers, reserve and map, decode the dynamic section,
 * prepare symbols and versions, relocate, protect RELRO, run constructors. A failure at any step
 * undoes every step before it through one path: release_object().
 */
#include "internal.h"

#define U(x) ((uint64_t)(x))

/* The object is relocated: tell the caller (who may register its unwind tables, say) before any of
 * its code runs. Told again, once, before it goes. */
static void announce_ready(struct elfldr_obj *obj)
{
    obj->relocated = true;
    if (obj->hooks.on_ready) {
        obj->hooks.on_ready(obj->hooks.ctx, obj);
        obj->announced = true;
    }
}

/* Lazy binding resolves after the load returns: the scope must outlive the caller's array. */
static int keep_scope(struct elfldr_obj *obj, struct elfldr_obj *const *scope, size_t len, struct elfldr_error *err)
{
    obj->scope = scope;
    obj->scope_len = scope ? len : 0;
    if (!obj->lazy || obj->scope_len == 0)
        return 0;
    obj->owned_scope = obj->ops.alloc(obj->ops.ctx, obj->scope_len * sizeof(*obj->owned_scope));
    if (!obj->owned_scope)
        return set_error(err, ELFLDR_E_NOMEM, "%s: no memory to keep its scope for lazy binding", obj->name);
    __builtin_memcpy(obj->owned_scope, scope, obj->scope_len * sizeof(*obj->owned_scope));
    obj->scope = obj->owned_scope;
    return 0;
}

void scope_forget(struct elfldr_obj *holder, uintptr_t gone)
{
    if (!holder->owned_scope)
        return;
    for (size_t i = 0; i < holder->scope_len; i++)
        if ((uintptr_t)holder->owned_scope[i] == gone)
            holder->owned_scope[i] = NULL; /* skipped by lookups; the array keeps its size */
}

static void release_object(struct elfldr_obj *obj)
{
    if (obj->announced && obj->hooks.on_unload)
        obj->hooks.on_unload(obj->hooks.ctx, obj);
    struct elfldr_ops ops = obj->ops;
    tlsdesc_free(obj);
    tls_unregister(obj);
    unmap_image(obj);
    if (obj->versions)
        ops.free(ops.ctx, obj->versions, obj->nversions * sizeof(struct version));
    if (obj->owned_scope)
        ops.free(ops.ctx, obj->owned_scope, obj->scope_len * sizeof(*obj->owned_scope));
    if (obj->interp)
        ops.free(ops.ctx, obj->interp, obj->interp_size);
    ops.free(ops.ctx, obj, obj->alloc_size);
}

static int read_source(const struct elfldr_ops *ops, const struct source *src, uint64_t offset, void *buf,
                       size_t size, const char *what, struct elfldr_error *err)
{
    if (offset > src->size || src->size - offset < size)
        return set_error(err, ELFLDR_E_TRUNCATED, "%s: %u bytes at %x pass the end of the file (%x)", what, U(size),
                         offset, src->size);
    if (size == 0)
        return 0; /* an empty file has no buffer to copy from, not even zero bytes */
    if (src->bytes) {
        __builtin_memcpy(buf, src->bytes + offset, size);
        return 0;
    }
    if (offset <= src->head_size && src->head_size - offset >= size) {
        __builtin_memcpy(buf, src->head + offset, size);
        return 0;
    }
    int rc = ops->read(ops->ctx, src->handle, offset, buf, size);
    if (rc)
        return set_error(err, ELFLDR_E_IO, "%s: cannot read %u bytes at %x (errno %d)", what, U(size), offset,
                         (int64_t)-rc);
    return 0;
}

/* The object with its program headers and name in one allocation. */
static int new_object(const struct elfldr_ops *ops, const struct elf64_ehdr *eh, const char *name,
                      struct elfldr_obj **out, struct elfldr_error *err)
{
    size_t name_len = str_len(name);
    size_t phdr_bytes = U(eh->e_phnum) * sizeof(struct elfldr_phdr);
    size_t size = sizeof(struct elfldr_obj) + phdr_bytes + name_len + 1;
    struct elfldr_obj *obj = ops->alloc(ops->ctx, size);
    if (!obj)
        return set_error(err, ELFLDR_E_NOMEM, "cannot allocate %u bytes for the object", U(size));
    __builtin_memset(obj, 0, sizeof(*obj));
    obj->ops = *ops;
    obj->alloc_size = size;
    obj->phdrs = (struct elfldr_phdr *)(obj + 1);
    obj->phnum = eh->e_phnum;
    obj->phoff = eh->e_phoff;
    char *name_copy = (char *)obj->phdrs + phdr_bytes;
    __builtin_memcpy(name_copy, name, name_len + 1);
    obj->name = name_copy;
    obj->type = eh->e_type;
    obj->entry = eh->e_entry;
    obj->dynamic_index = obj->relro_index = obj->tls_index = obj->interp_index = obj->stack_index = -1;
    *out = obj;
    return 0;
}

static int read_interp(struct elfldr_obj *obj, const struct source *src, struct elfldr_error *err)
{
    if (obj->interp_index < 0)
        return 0;
    const struct elfldr_phdr *ph = &obj->phdrs[obj->interp_index];
    obj->interp = obj->ops.alloc(obj->ops.ctx, ph->p_filesz);
    if (!obj->interp)
        return set_error(err, ELFLDR_E_NOMEM, "cannot allocate %u bytes for PT_INTERP", ph->p_filesz);
    obj->interp_size = ph->p_filesz;
    int rc = read_source(&obj->ops, src, ph->p_offset, obj->interp, ph->p_filesz, "PT_INTERP", err);
    if (rc)
        return rc;
    if (obj->interp[ph->p_filesz - 1] != '\0' || str_len(obj->interp) != ph->p_filesz - 1)
        return set_error(err, ELFLDR_E_INTERP, "PT_INTERP: not a single NUL-terminated path of %u bytes", ph->p_filesz);
    return 0;
}

static void copy_options(struct elfldr_obj *obj, const struct elfldr_load_opts *opts)
{
    if (opts->hooks)
        obj->hooks = *opts->hooks;
    obj->flags = opts->flags;
    obj->scope = opts->scope;
    obj->scope_len = opts->scope ? opts->scope_len : 0;
    obj->argc = opts->argc;
    obj->argv = opts->argv;
    obj->envp = opts->envp;
    obj->hwcap = opts->hwcap;
    obj->hwcap2 = opts->hwcap2;
}

static int finish_load(struct elfldr_obj *obj, const struct source *src, uintptr_t hint, struct elfldr_error *err)
{
    int rc;
    if ((rc = validate_phdrs(obj, src->size, err)) || (rc = read_interp(obj, src, err)) ||
        (rc = map_image(obj, src, hint, err)))
        return rc;
    if ((rc = decode_dynamic(obj, err)) || (rc = prepare_symbols(obj, err)))
        return rc;
    /* A mapped-only object is relocated by someone else: its version table is needed only to check. */
    if ((obj->flags & ELFLDR_LOAD_MAP_ONLY) && !(obj->flags & ELFLDR_LOAD_CHECK))
        return 0;
    if ((rc = prepare_versions(obj, err)))
        return rc;
    if (obj->flags & ELFLDR_LOAD_MAP_ONLY)
        return (rc = relocate_check(obj, err)) ? rc : check_constructors(obj, err);
    if ((rc = tls_register(obj, err)))
        return rc;
    obj->lazy = (obj->flags & ELFLDR_LOAD_LAZY) && lazy_supported() && !obj->dyn.bind_now && obj->dyn.jmprel;
    if (obj->flags & ELFLDR_LOAD_DEFER_RELOC)
        return 0;
    if ((rc = keep_scope(obj, obj->scope, obj->scope_len, err)))
        return rc;
    if ((rc = relocate(obj, NULL, err)))
        return rc;
    announce_ready(obj);
    if (obj->flags & (ELFLDR_LOAD_DEFER_INIT | ELFLDR_LOAD_NO_RUN))
        return 0;
    return run_constructors(obj, err);
}

static int load(const struct source *file, const char *name, const struct elfldr_load_opts *opts,
                struct elfldr_obj **out, struct elfldr_error *err)
{
    struct elf64_ehdr eh;
    struct elfldr_ops linux_ops;
    const struct elfldr_ops *ops = opts->ops;
    if (!ops) {
        elfldr_linux_ops(&linux_ops);
        ops = &linux_ops;
    }
    struct source cached = *file;
    const struct source *src = &cached;
    unsigned char head[SOURCE_HEAD];
    if (!file->bytes) {
        size_t n = file->size < sizeof(head) ? (size_t)file->size : sizeof(head);
        int rc = read_source(ops, file, 0, head, n, "ELF header", err);
        if (rc)
            return rc;
        cached.head = head;
        cached.head_size = n;
    }
    /* A file shorter than an ELF header is "not ELF" unless what it has starts like one. */
    if (src->size < sizeof(eh)) {
        unsigned char magic[4] = {0, 0, 0, 0};
        size_t have = src->size < sizeof(magic) ? (size_t)src->size : sizeof(magic);
        int rc = read_source(ops, src, 0, magic, have, "ELF header", err);
        if (rc)
            return rc;
        static const unsigned char elf_magic[4] = {0x7f, 'E', 'L', 'F'};
        for (size_t i = 0; i < have; i++)
            if (magic[i] != elf_magic[i])
                return set_error(err, ELFLDR_E_NOT_ELF, "ELF header: no ELF magic in a file of %u bytes", src->size);
    }
    int rc = read_source(ops, src, 0, &eh, sizeof(eh), "ELF header", err);
    if (rc)
        return rc;
    if ((rc = validate_ehdr(&eh, src->size, err)))
        return rc;
    struct elfldr_obj *obj = NULL;
    if ((rc = new_object(ops, &eh, name, &obj, err)))
        return rc;
    copy_options(obj, opts);
    rc = read_source(ops, src, eh.e_phoff, obj->phdrs, obj->phnum * sizeof(struct elfldr_phdr), "program headers", err);
    if (!rc)
        rc = finish_load(obj, src, opts->hint, err);
    if (rc) {
        release_object(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

static int check_args(const struct elfldr_load_opts **opts, const struct elfldr_load_opts *defaults,
                      struct elfldr_obj **out, struct elfldr_error *err)
{
    if (err) {
        err->code = ELFLDR_OK;
        err->message[0] = '\0';
    }
    if (!out)
        return set_error(err, ELFLDR_E_INVAL, "no place for the loaded object");
    *out = NULL;
    if (!*opts)
        *opts = defaults;
    const struct elfldr_ops *ops = (*opts)->ops;
    if (ops && (!ops->reserve || !ops->release || !ops->map_zero || !ops->protect || !ops->alloc || !ops->free ||
                !is_pow2(ops->page_size)))
        return set_error(err, ELFLDR_E_INVAL, "the platform table lacks a required function or a page size");
    return 0;
}

int elfldr_load_mem(const void *image, size_t size, const char *name, const struct elfldr_load_opts *opts,
                    struct elfldr_obj **out, struct elfldr_error *err)
{
    struct elfldr_load_opts defaults = {0};
    int rc = check_args(&opts, &defaults, out, err);
    if (rc)
        return rc;
    if (!image)
        return set_error(err, ELFLDR_E_INVAL, "no image");
    struct source src = {image, -1, size, NULL, 0};
    return load(&src, name ? name : "(memory)", opts, out, err);
}

int load_handle_with_id(intptr_t handle, const char *name, const struct elfldr_load_opts *opts, const uint64_t *known_id,
                        struct elfldr_obj **out, struct elfldr_error *err)
{
    struct elfldr_load_opts defaults = {0};
    struct elfldr_ops linux_ops;
    int rc = check_args(&opts, &defaults, out, err);
    if (rc)
        return rc;
    const struct elfldr_ops *ops = opts->ops;
    if (!ops) {
        elfldr_linux_ops(&linux_ops);
        ops = &linux_ops;
    }
    if (!ops->read || !ops->file_size)
        return set_error(err, ELFLDR_E_INVAL, "the platform table cannot read files");
    struct source src = {NULL, handle, 0, NULL, 0};
    if ((rc = ops->file_size(ops->ctx, handle, &src.size)))
        return set_error(err, ELFLDR_E_IO, "%s: cannot find the file's size (errno %d)", name ? name : "(file)",
                         (int64_t)-rc);
    uint64_t id[2];
    bool has_id = known_id || (ops->file_id && ops->file_id(ops->ctx, handle, id) == 0);
    if (known_id)
        id[0] = known_id[0], id[1] = known_id[1];
    rc = load(&src, name ? name : "(file)", opts, out, err);
    if (rc == 0 && has_id) {
        (*out)->has_file_id = true;
        (*out)->file_id[0] = id[0];
        (*out)->file_id[1] = id[1];
    }
    return rc;
}

int elfldr_load_handle(intptr_t handle, const char *name, const struct elfldr_load_opts *opts,
                       struct elfldr_obj **out, struct elfldr_error *err)
{
    return load_handle_with_id(handle, name, opts, NULL, out, err);
}

int elfldr_load_path(const char *path, const struct elfldr_load_opts *opts, struct elfldr_obj **out,
                     struct elfldr_error *err)
{
    struct elfldr_load_opts defaults = {0};
    struct elfldr_ops linux_ops;
    int rc = check_args(&opts, &defaults, out, err);
    if (rc)
        return rc;
    if (!path)
        return set_error(err, ELFLDR_E_INVAL, "no path");
    const struct elfldr_ops *ops = opts->ops;
    if (!ops) {
        elfldr_linux_ops(&linux_ops);
        ops = &linux_ops;
    }
    if (!ops->open || !ops->close)
        return set_error(err, ELFLDR_E_INVAL, "%s: the platform table cannot open files", path);
    intptr_t handle;
    if ((rc = ops->open(ops->ctx, path, &handle)))
        return set_error(err, ELFLDR_E_OPEN, "%s: cannot open (errno %d)", path, (int64_t)-rc);
    rc = elfldr_load_handle(handle, path, opts, out, err);
    /* A mapping keeps its own reference to the file: the handle is not needed after the load. */
    ops->close(ops->ctx, handle);
    return rc;
}

int elfldr_relocate(struct elfldr_obj *obj, struct elfldr_obj *const *scope, size_t scope_len,
                    struct elfldr_error *err)
{
    return relocate_in_scope(obj, scope, scope_len, NULL, err);
}

int relocate_in_scope(struct elfldr_obj *obj, struct elfldr_obj *const *scope, size_t scope_len,
                      struct prior_cache *cache, struct elfldr_error *err)
{
    if (!obj)
        return set_error(err, ELFLDR_E_INVAL, "no object");
    if (obj->relocated || (obj->flags & ELFLDR_LOAD_MAP_ONLY))
        return set_error(err, ELFLDR_E_INVAL, "%s: already relocated, or loaded map-only", obj->name);
    int rc = keep_scope(obj, scope, scope_len, err);
    if (rc == 0)
        rc = relocate(obj, cache, err);
    /* The scope is the caller's array: it is not kept past this call, unless copied for lazy binding. */
    if (!obj->owned_scope) {
        obj->scope = NULL;
        obj->scope_len = 0;
    }
    if (rc == 0)
        announce_ready(obj);
    return rc;
}

int elfldr_run_init(struct elfldr_obj *obj, struct elfldr_error *err)
{
    if (!obj)
        return set_error(err, ELFLDR_E_INVAL, "no object");
    if (obj->initialised || (obj->flags & (ELFLDR_LOAD_MAP_ONLY | ELFLDR_LOAD_NO_RUN)))
        return 0;
    if (!obj->relocated)
        return set_error(err, ELFLDR_E_INVAL, "%s: constructors before relocation", obj->name);
    obj->flags &= ~(unsigned)ELFLDR_LOAD_DEFER_INIT;
    return run_constructors(obj, err);
}

int elfldr_unload(struct elfldr_obj *obj, struct elfldr_error *err)
{
    if (!obj)
        return set_error(err, ELFLDR_E_INVAL, "no object");
    int rc = run_destructors(obj, err);
    release_object(obj);
    return rc;
}

int adopt_mapped(const struct elfldr_ops *ops, uintptr_t bias, const struct elfldr_phdr *phdrs, size_t phnum,
                 const char *name, struct elfldr_obj **out, struct elfldr_error *err)
{
    if (!phdrs || phnum == 0 || phnum > 65536 / sizeof(struct elfldr_phdr))
        return set_error(err, ELFLDR_E_PHNUM, "%s: %u program headers", name, U(phnum));
    struct elf64_ehdr eh;
    __builtin_memset(&eh, 0, sizeof(eh));
    eh.e_type = ET_DYN;
    eh.e_phnum = (uint16_t)phnum;
    struct elfldr_obj *obj;
    int rc = new_object(ops, &eh, name, &obj, err);
    if (rc)
        return rc;
    __builtin_memcpy(obj->phdrs, phdrs, phnum * sizeof(*phdrs));
    obj->adopted = true;
    obj->relocated = true; /* by whoever mapped it */
    obj->load_bias = bias;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type == PT_LOAD) {
            lo = ph->p_vaddr < lo ? ph->p_vaddr : lo;
            hi = ph->p_vaddr + ph->p_memsz > hi ? ph->p_vaddr + ph->p_memsz : hi;
        } else if (ph->p_type == PT_DYNAMIC) {
            obj->dynamic_index = (int)i;
        }
    }
    if (hi == 0) {
        release_object(obj);
        return set_error(err, ELFLDR_E_NO_LOAD, "%s: no PT_LOAD", name);
    }
    obj->base = bias + page_down(lo, ops->page_size);
    obj->span = page_up(hi, ops->page_size) - page_down(lo, ops->page_size);
    if ((rc = decode_dynamic(obj, err)) || (rc = prepare_symbols(obj, err)) || (rc = prepare_versions(obj, err))) {
        release_object(obj);
        return rc;
    }
    *out = obj;
    return 0;
}

int elfldr_get_info(const struct elfldr_obj *obj, struct elfldr_info *info)
{
    if (!obj || !info)
        return ELFLDR_E_INVAL;
    __builtin_memset(info, 0, sizeof(*info));
    info->name = obj->name;
    info->soname = obj->dyn.soname != UINT64_MAX ? string_at(obj, obj->dyn.soname) : NULL;
    info->interp = obj->interp;
    info->type = obj->type;
    info->load_bias = obj->load_bias;
    info->base = obj->base;
    info->span = obj->span;
    info->entry = obj->entry ? obj->load_bias + obj->entry : 0;
    info->phdrs = obj->phdrs;
    info->phnum = obj->phnum;
    for (size_t i = 0; i < obj->phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type == PT_PHDR)
            info->phdr = obj->load_bias + ph->p_vaddr;
        else if (!info->phdr && ph->p_type == PT_LOAD && obj->phoff >= ph->p_offset &&
                 obj->phoff - ph->p_offset < ph->p_filesz)
            info->phdr = obj->load_bias + ph->p_vaddr + (obj->phoff - ph->p_offset);
    }
    if (obj->dynamic_index >= 0)
        info->dynamic = obj->load_bias + obj->phdrs[obj->dynamic_index].p_vaddr;
    /* Without PT_GNU_STACK the kernel gives an executable stack (on x86-64; glibc follows it). */
    info->exec_stack = obj->stack_index < 0 || (obj->phdrs[obj->stack_index].p_flags & PF_X);
    info->needed_count = obj->dyn.needed_count;
    if (obj->tls_index >= 0) {
        const struct elfldr_phdr *tls = &obj->phdrs[obj->tls_index];
        info->tls_image = obj->load_bias + tls->p_vaddr;
        info->tls_filesz = tls->p_filesz;
        info->tls_memsz = tls->p_memsz;
        info->tls_align = tls->p_align;
    }
    info->dt_flags = obj->dyn.flags;
    info->dt_flags_1 = obj->dyn.flags_1;
    info->textrel = obj->dyn.textrel;
    info->symbolic = obj->dyn.symbolic;
    info->bind_now = obj->dyn.bind_now;
    info->has_file_id = obj->has_file_id;
    info->file_id[0] = obj->file_id[0];
    info->file_id[1] = obj->file_id[1];
    return 0;
}

const char *elfldr_needed(const struct elfldr_obj *obj, size_t i)
{
    if (!obj)
        return NULL;
    for (size_t k = 0; k < obj->dyn.count; k++) {
        if (obj->dyn.entries[k].d_tag != DT_NEEDED)
            continue;
        if (i-- == 0)
            return string_at(obj, obj->dyn.entries[k].d_val);
    }
    return NULL;
}
