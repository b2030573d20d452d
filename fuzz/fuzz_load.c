/* libFuzzer target: any bytes, loaded from memory through the arena table (wrapped in a table that
 * counts every reservation and allocation) with none of the image's code run (ELFLDR_LOAD_NO_RUN),
 * twice: relocated, and only checked (ELFLDR_LOAD_MAP_ONLY | ELFLDR_LOAD_CHECK, what mini-loader asks
 * of a program before ld.so gets it). Whatever the input, each load either succeeds or fails with an
 * error code and a message; then nothing may stay reserved or allocated. A crash, a sanitizer report, a leak or a hang is a finding.
 * The arena outside what the loader was given is poisoned for AddressSanitizer (see the fence below).
 * Built once per architecture's relocation map (fuzz/meson.build): the same harness drives each. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <elfldr.h>
#include <sanitizer/asan_interface.h>

#include "counting_ops.h"

#define ARENA_SIZE (64u << 20)

static unsigned char *arena_buffer;

static int resolve_anything(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                            uintptr_t *addr)
{
    (void)ctx;
    (void)obj;
    (void)version;
    *addr = 0x1000 + (uintptr_t)strlen(name); /* an address, never called: NO_RUN */
    return ELFLDR_HOOK_CONTINUE;
}

/* Static TLS (TPOFF relocations): an offset below or above the thread pointer, which the core does
 * not write to under ELFLDR_LOAD_NO_RUN (it would be this process's own TLS otherwise). */
static int static_tls_anywhere(void *ctx, const struct elfldr_obj *obj, size_t size, size_t align, intptr_t *tp_offset)
{
    (void)ctx;
    (void)obj;
    if (size > (1u << 20) || align > 4096)
        return ELFLDR_HOOK_REFUSE;
    *tp_offset = -(intptr_t)((size + align) & ~(uintptr_t)(align ? align - 1 : 0));
    return ELFLDR_HOOK_CONTINUE;
}

/* The fence: a table over the arena under which AddressSanitizer sees only what the loader was given
 * (reserved spans, allocations) as addressable. The rest of the arena is poisoned, so a write outside
 * the image (or a read of memory not handed out) is a report, not a silent scribble in the buffer. */
static const struct elfldr_ops *fenced;

static int f_reserve(void *ctx, uintptr_t hint, size_t size, size_t align, bool fixed, uintptr_t *out)
{
    int rc = fenced->reserve(ctx, hint, size, align, fixed, out);
    if (rc == 0)
        ASAN_UNPOISON_MEMORY_REGION((void *)*out, size);
    return rc;
}

static int f_release(void *ctx, uintptr_t addr, size_t size)
{
    int rc = fenced->release(ctx, addr, size);
    ASAN_POISON_MEMORY_REGION((void *)addr, size);
    return rc;
}

static void *f_alloc(void *ctx, size_t size)
{
    void *p = fenced->alloc(ctx, size);
    if (p)
        ASAN_UNPOISON_MEMORY_REGION(p, size);
    return p;
}

static void f_free(void *ctx, void *ptr, size_t size)
{
    fenced->free(ctx, ptr, size);
    if (ptr)
        ASAN_POISON_MEMORY_REGION(ptr, size);
}

static void fence(const struct elfldr_ops *inner, struct elfldr_ops *out)
{
    fenced = inner;
    *out = *inner;
    out->reserve = f_reserve;
    out->release = f_release;
    out->alloc = f_alloc;
    out->free = f_free;
}

/* One load of the input with `flags`, through the fenced arena: a load that fails says why and
 * leaves nothing; one that succeeds is looked into and unloaded, and leaves nothing either. `behind`:
 * the input is first loaded once more to stand before it in its scope, so that relocation asks that
 * copy's tables (bloom filter, chains, the filter made of them) for every reference to its own
 * exports. */
static void load_once(const uint8_t *data, size_t size, unsigned flags, bool behind)
{
    struct elfldr_arena arena;
    struct elfldr_ops arena_ops;
    if (elfldr_arena_ops(&arena, arena_buffer, ARENA_SIZE, &arena_ops) != 0)
        abort();
    struct elfldr_ops fenced_ops;
    fence(&arena_ops, &fenced_ops);
    struct counting_ops counting;
    counting_ops_init(&counting, &fenced_ops);
    struct elfldr_hooks hooks = {.resolve = resolve_anything, .static_tls = static_tls_anywhere};
    struct elfldr_load_opts opts = {.ops = &counting.ops, .hooks = &hooks, .flags = flags};
    struct elfldr_obj *obj = NULL, *before = NULL;
    struct elfldr_error err;
    if (behind) {
        struct elfldr_load_opts first = opts;
        first.flags = ELFLDR_LOAD_NO_RUN;
        if (elfldr_load_mem(data, size, "fuzz-before", &first, &before, &err) != 0)
            before = NULL;
    }
    struct elfldr_obj *scope[1] = {before};
    if (before) {
        opts.scope = scope;
        opts.scope_len = 1;
    }
    int rc = elfldr_load_mem(data, size, "fuzz", &opts, &obj, &err);
    if (rc == 0) {
        struct elfldr_info info;
        elfldr_get_info(obj, &info);
        for (size_t i = 0; elfldr_needed(obj, i); i++)
            (void)strlen(elfldr_needed(obj, i));
        (void)elfldr_sym(obj, "main");
        (void)elfldr_vsym(obj, "main", "V1");
        elfldr_unload(obj, &err);
    } else if (rc != (int)err.code || err.message[0] == '\0' || obj != NULL) {
        fprintf(stderr, "failed load (flags %#x): code %d, err.code %d, message \"%s\"\n", flags, rc, err.code,
                err.message);
        abort();
    }
    if (before)
        elfldr_unload(before, &err);
    if (!counting_ops_clean(&counting) || arena.nblocks != 0) {
        fprintf(stderr, "left behind (flags %#x): %ld reservations, %ld allocations, %zu arena blocks\n", flags,
                counting.reserved, counting.allocated, arena.nblocks);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!arena_buffer) {
        arena_buffer = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (arena_buffer == MAP_FAILED)
            abort();
        /* Poisoned once: every input gives back (and the fence poisons again) all it was given, or
         * the check in load_once stops the run. */
        ASAN_POISON_MEMORY_REGION(arena_buffer, ARENA_SIZE);
    }
    /* Relocated, running nothing; then only checked, as mini-loader checks a program before ld.so
     * gets it (ELFLDR_LOAD_CHECK). */
    load_once(data, size, ELFLDR_LOAD_NO_RUN, false);
    load_once(data, size, ELFLDR_LOAD_NO_RUN | ELFLDR_LOAD_MAP_ONLY | ELFLDR_LOAD_CHECK, false);
    load_once(data, size, ELFLDR_LOAD_NO_RUN, true);
    return 0;
}
