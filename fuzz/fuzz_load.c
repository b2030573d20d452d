/* libFuzzer target: any bytes, loaded from memory through the arena table (wrapped in a table that
 * counts every reservation and allocation) with none of the image's code run (ELFLDR_LOAD_NO_RUN).
 * Whatever the input, the load either succeeds or fails with an error code and a message; then
 * nothing may stay reserved or allocated. A crash, a sanitizer report, a leak or a hang is a finding.
 * Built once per architecture's relocation map (fuzz/meson.build): the same harness drives each. */
#define _DEFAULT_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <elfldr.h>

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!arena_buffer) {
        arena_buffer = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (arena_buffer == MAP_FAILED)
            abort();
    }
    struct elfldr_arena arena;
    struct elfldr_ops arena_ops;
    if (elfldr_arena_ops(&arena, arena_buffer, ARENA_SIZE, &arena_ops) != 0)
        abort();
    struct counting_ops counting;
    counting_ops_init(&counting, &arena_ops);
    struct elfldr_hooks hooks = {.resolve = resolve_anything, .static_tls = static_tls_anywhere};
    struct elfldr_load_opts opts = {.ops = &counting.ops, .hooks = &hooks, .flags = ELFLDR_LOAD_NO_RUN};
    struct elfldr_obj *obj = NULL;
    struct elfldr_error err;
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
        fprintf(stderr, "failed load: code %d, err.code %d, message \"%s\"\n", rc, err.code, err.message);
        abort();
    }
    if (!counting_ops_clean(&counting) || arena.nblocks != 0) {
        fprintf(stderr, "left behind: %ld reservations, %ld allocations, %zu arena blocks\n", counting.reserved,
                counting.allocated, arena.nblocks);
        abort();
    }
    return 0;
}
