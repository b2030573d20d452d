/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Dynamic TLS for the objects elfldr loads: each object with PT_TLS is a module, and each thread gets
 * its own copy of the module's block on its first access, initialised from the TLS image. The "module
 * id" that R_*_DTPMOD writes is the module's own address, so elfldr_tls_get_addr (what the loader binds
 * __tls_get_addr to) finds everything from its argument, with no global state.
 *
 * Blocks are found by the thread pointer. A thread's blocks are freed with the module, not when the
 * thread ends: there is no portable way to hear of that without libc.
 */
#include "arch_tls.h"
#include "arch_tlsdesc.h"
#include "internal.h"

#define U(x) ((uint64_t)(x))

struct tls_block {
    uintptr_t thread;
    unsigned char *mem; /* as allocated */
    unsigned char *data; /* aligned */
};

struct tls_module {
    struct elfldr_ops ops;
    bool is_static;     /* every thread's block lies at tp + tp_offset */
    intptr_t tp_offset;
    const unsigned char *image;
    size_t filesz, memsz, align, alloc_size;
    int lock;
    struct tls_block *blocks;
    size_t nblocks, cap;
};

/* What code passes to __tls_get_addr: the GOT pair R_*_DTPMOD and R_*_DTPOFF filled. */
struct tls_index {
    uintptr_t module;
    uintptr_t offset;
};

static void module_lock(struct tls_module *m)
{
    while (__atomic_exchange_n(&m->lock, 1, __ATOMIC_ACQUIRE))
        ;
}

static void module_unlock(struct tls_module *m) { __atomic_store_n(&m->lock, 0, __ATOMIC_RELEASE); }

int tls_register(struct elfldr_obj *obj, struct elfldr_error *err)
{
    if (obj->tls_index < 0 || obj->tls)
        return 0;
    const struct elfldr_phdr *ph = &obj->phdrs[obj->tls_index];
    struct tls_module *m = obj->ops.alloc(obj->ops.ctx, sizeof(*m));
    if (!m)
        return set_error(err, ELFLDR_E_NOMEM, "PT_TLS: no memory for the module");
    __builtin_memset(m, 0, sizeof(*m));
    m->ops = obj->ops;
    m->image = (const unsigned char *)(obj->load_bias + ph->p_vaddr);
    m->filesz = ph->p_filesz;
    m->memsz = ph->p_memsz;
    m->align = ph->p_align > 1 ? ph->p_align : 1;
    m->alloc_size = m->memsz + m->align;
    obj->tls = m;
    return 0;
}

void tls_unregister(struct elfldr_obj *obj)
{
    struct tls_module *m = obj->tls;
    if (!m)
        return;
    for (size_t i = 0; i < m->nblocks; i++)
        m->ops.free(m->ops.ctx, m->blocks[i].mem, m->alloc_size);
    if (m->blocks)
        m->ops.free(m->ops.ctx, m->blocks, m->cap * sizeof(*m->blocks));
    m->ops.free(m->ops.ctx, m, sizeof(*m));
    obj->tls = NULL;
}

/* A new block for this thread: the image, then zeros. NULL without memory. */
static unsigned char *new_block(struct tls_module *m, uintptr_t thread)
{
    if (m->nblocks == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 8;
        struct tls_block *grown = m->ops.alloc(m->ops.ctx, cap * sizeof(*grown));
        if (!grown)
            return NULL;
        if (m->nblocks)
            __builtin_memcpy(grown, m->blocks, m->nblocks * sizeof(*grown));
        if (m->blocks)
            m->ops.free(m->ops.ctx, m->blocks, m->cap * sizeof(*grown));
        m->blocks = grown;
        m->cap = cap;
    }
    unsigned char *mem = m->ops.alloc(m->ops.ctx, m->alloc_size);
    if (!mem)
        return NULL;
    unsigned char *data = (unsigned char *)(((uintptr_t)mem + m->align - 1) & ~(uintptr_t)(m->align - 1));
    __builtin_memcpy(data, m->image, m->filesz);
    __builtin_memset(data + m->filesz, 0, m->memsz - m->filesz);
    m->blocks[m->nblocks++] = (struct tls_block){thread, mem, data};
    return data;
}

int tls_make_static(struct elfldr_obj *obj, struct elfldr_error *err)
{
    struct tls_module *m = obj->tls;
    if (!m)
        return set_error(err, ELFLDR_E_SEG_MISC, "%s: a static TLS relocation but no PT_TLS", obj->name);
    if (m->is_static)
        return 0;
    if (m->nblocks)
        return set_error(err, ELFLDR_E_UNSUPPORTED, "%s: static TLS after dynamic TLS was handed out is not supported",
                         obj->name);
    intptr_t offset;
    if (!obj->hooks.static_tls ||
        obj->hooks.static_tls(obj->hooks.ctx, obj, m->memsz, m->align, &offset) != ELFLDR_HOOK_CONTINUE)
        return set_error(err, ELFLDR_E_UNSUPPORTED,
                         "%s: static TLS (%u bytes) is not supported without a static_tls hook to supply it", obj->name,
                         U(m->memsz));
    if ((arch_thread_pointer() + (uintptr_t)offset) % m->align != 0)
        return set_error(err, ELFLDR_E_UNSUPPORTED, "%s: a static TLS block at tp offset %d, not %u-byte aligned, is not supported",
                         obj->name, (int64_t)offset, U(m->align));
    m->is_static = true;
    m->tp_offset = offset;
    /* ELFLDR_LOAD_NO_RUN: no code of the object runs here, so no thread needs its block filled (and
     * another architecture's image has no business in this thread's TLS). */
    if (obj->flags & ELFLDR_LOAD_NO_RUN)
        return 0;
    unsigned char *block = (unsigned char *)(arch_thread_pointer() + (uintptr_t)offset);
    __builtin_memcpy(block, m->image, m->filesz);
    __builtin_memset(block + m->filesz, 0, m->memsz - m->filesz);
    return 0;
}

intptr_t tls_static_offset(const struct elfldr_obj *obj) { return obj->tls->tp_offset; }

void *elfldr_tls_get_addr(void *index)
{
    const struct tls_index *ti = index;
    struct tls_module *m = (struct tls_module *)ti->module;
    uintptr_t thread = arch_thread_pointer();
    if (m->is_static)
        return (unsigned char *)(thread + (uintptr_t)m->tp_offset) + ti->offset + ARCH_TLS_DTV_OFFSET;
    unsigned char *data = NULL;
    module_lock(m);
    for (size_t i = 0; i < m->nblocks && !data; i++)
        if (m->blocks[i].thread == thread)
            data = m->blocks[i].data;
    if (!data)
        data = new_block(m, thread);
    module_unlock(m);
    if (!data)
        return NULL;
    return data + ti->offset + ARCH_TLS_DTV_OFFSET;
}

#if ARCH_TLSDESC
__asm__(ARCH_TLSDESC_ASM);
extern const char elfldr_tlsdesc_static[] __attribute__((visibility("hidden")));
extern const char elfldr_tlsdesc_dynamic[] __attribute__((visibility("hidden")));
#endif

int tlsdesc_words(struct elfldr_obj *obj, const struct elfldr_obj *module, uint64_t offset, uintptr_t words[2],
                  struct elfldr_error *err)
{
#if ARCH_TLSDESC
    if (module->tls->is_static) {
        words[0] = (uintptr_t)elfldr_tlsdesc_static;
        words[1] = (uintptr_t)module->tls->tp_offset + offset;
        return 0;
    }
    struct tlsdesc_arg *arg = obj->ops.alloc(obj->ops.ctx, sizeof(*arg));
    if (!arg)
        return set_error(err, ELFLDR_E_NOMEM, "%s: no memory for a TLS descriptor", obj->name);
    arg->module = (uintptr_t)module->tls;
    arg->offset = offset - ARCH_TLS_DTV_OFFSET;
    arg->next = obj->tlsdesc_args;
    obj->tlsdesc_args = arg;
    words[0] = (uintptr_t)elfldr_tlsdesc_dynamic;
    words[1] = (uintptr_t)arg;
    return 0;
#else
    (void)module;
    (void)offset;
    (void)words;
    return set_error(err, ELFLDR_E_UNSUPPORTED, "%s: TLS descriptors are not supported yet on " ARCH_NAME,
                     obj->name);
#endif
}

void tlsdesc_free(struct elfldr_obj *obj)
{
    while (obj->tlsdesc_args) {
        struct tlsdesc_arg *next = obj->tlsdesc_args->next;
        obj->ops.free(obj->ops.ctx, obj->tlsdesc_args, sizeof(*obj->tlsdesc_args));
        obj->tlsdesc_args = next;
    }
}
