/* A real system library: the host's libz.so.1, loaded by elfldr with libc's symbols supplied through the
 * resolve hook, must compress to exactly the bytes the system's own zlib produces, and round-trip. */
#include "harness.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

typedef const char *(*zlib_version_fn)(void);
typedef int (*compress2_fn)(Bytef *, uLongf *, const Bytef *, uLong, int);
typedef int (*uncompress_fn)(Bytef *, uLongf *, const Bytef *, uLong);
typedef uLong (*compress_bound_fn)(uLong);
typedef uLong (*crc32_fn)(uLong, const Bytef *, uInt);

static const char *find_libz(void)
{
    static const char *const candidates[] = {
        "/usr/lib/x86_64-linux-gnu/libz.so.1", "/lib/x86_64-linux-gnu/libz.so.1",
        "/usr/lib/aarch64-linux-gnu/libz.so.1", "/lib/aarch64-linux-gnu/libz.so.1",
        "/usr/lib/riscv64-linux-gnu/libz.so.1", "/lib/riscv64-linux-gnu/libz.so.1",
        "/usr/lib64/libz.so.1", "/lib64/libz.so.1", "/usr/lib/libz.so.1", "/lib/libz.so.1",
    };
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
        if (access(candidates[i], R_OK) == 0)
            return candidates[i];
    return NULL;
}

struct resolve_log {
    char names[512][48];
    size_t count;
    size_t versioned;
    const struct elfldr_obj *obj;
};

/* libc's symbols from the process's own libc, at the version asked for where one is given. */
static int resolve_from_libc(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                             uintptr_t *addr)
{
    struct resolve_log *log = ctx;
    log->obj = obj;
    if (log->count < sizeof(log->names) / sizeof(log->names[0]))
        snprintf(log->names[log->count++], sizeof(log->names[0]), "%s", name);
    void *found = NULL;
    if (version != NULL) {
        log->versioned++;
        found = dlvsym(RTLD_DEFAULT, name, version);
    }
    if (found == NULL)
        found = dlsym(RTLD_DEFAULT, name);
    if (found == NULL)
        return ELFLDR_HOOK_SKIP; /* weak references such as __gmon_start__ */
    *addr = (uintptr_t)found;
    return ELFLDR_HOOK_CONTINUE;
}

/* A few hundred KiB that compress neither too well nor not at all: text, runs and noise. */
static unsigned char *make_input(size_t size)
{
    static const char words[] = "the quick brown fox jumps over the lazy dog while elfldr loads zlib ";
    unsigned char *input = malloc(size);
    cr_assert_not_null(input);
    uint32_t state = 0x12345678;
    for (size_t i = 0; i < size; i++) {
        state = state * 1664525u + 1013904223u;
        switch ((i / 4096) % 3) {
        case 0: input[i] = (unsigned char)words[(i + (state >> 28)) % (sizeof(words) - 1)]; break;
        case 1: input[i] = (unsigned char)(i / 512); break;
        default: input[i] = (unsigned char)(state >> 24); break;
        }
    }
    return input;
}

static void check_libz(const struct elfldr_obj *obj)
{
    zlib_version_fn loaded_version = SYM_FN(obj, zlib_version_fn, "zlibVersion");
    compress2_fn loaded_compress2 = SYM_FN(obj, compress2_fn, "compress2");
    uncompress_fn loaded_uncompress = SYM_FN(obj, uncompress_fn, "uncompress");
    compress_bound_fn loaded_bound = SYM_FN(obj, compress_bound_fn, "compressBound");
    crc32_fn loaded_crc32 = SYM_FN(obj, crc32_fn, "crc32");

    /* Not the process's own copy: elfldr's is somewhere else. */
    cr_assert_neq((uintptr_t)loaded_compress2, (uintptr_t)compress2);
    cr_assert_str_eq(loaded_version(), zlibVersion());

    const size_t size = 384 * 1024;
    unsigned char *input = make_input(size);
    cr_assert_eq(loaded_crc32(0, input, (uInt)size), crc32(0, input, (uInt)size));
    cr_assert_eq(loaded_bound(size), compressBound(size));

    const int levels[] = {1, 6, 9};
    for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
        uLongf bound = compressBound(size);
        unsigned char *ours = malloc(bound), *theirs = malloc(bound), *back = malloc(size);
        cr_assert(ours && theirs && back);
        uLongf ours_len = bound, theirs_len = bound, back_len = size;

        cr_assert_eq(loaded_compress2(ours, &ours_len, input, size, levels[l]), Z_OK, "level %d", levels[l]);
        cr_assert_eq(compress2(theirs, &theirs_len, input, size, levels[l]), Z_OK);
        cr_assert_lt(ours_len, size, "level %d did not compress", levels[l]);
        cr_assert_eq(ours_len, theirs_len, "level %d: %lu bytes, the system's zlib gives %lu", levels[l],
                     (unsigned long)ours_len, (unsigned long)theirs_len);
        cr_assert_eq(memcmp(ours, theirs, ours_len), 0, "level %d: the compressed bytes differ", levels[l]);

        cr_assert_eq(loaded_uncompress(back, &back_len, ours, ours_len), Z_OK, "level %d", levels[l]);
        cr_assert_eq(back_len, size);
        cr_assert_eq(memcmp(back, input, size), 0, "level %d: the round trip changed the data", levels[l]);
        free(ours);
        free(theirs);
        free(back);
    }

    /* Corrupt input is reported, not crashed on. */
    unsigned char garbage[64], out[64];
    memset(garbage, 0x5a, sizeof(garbage));
    uLongf out_len = sizeof(out);
    cr_assert_eq(loaded_uncompress(out, &out_len, garbage, sizeof(garbage)), Z_DATA_ERROR);
    free(input);
}

static void load_and_check_libz(struct harness *h)
{
    const char *path = find_libz();
    cr_assert_not_null(path, "no libz.so.1 on this machine");
    struct resolve_log *log = calloc(1, sizeof(*log));
    cr_assert_not_null(log);
    struct elfldr_hooks hooks = {.ctx = log, .resolve = resolve_from_libc};
    static char *argv[] = {"unit", NULL};
    struct elfldr_load_opts opts = {.hooks = &hooks, .argc = 1, .argv = argv, .envp = environ};
    struct elfldr_obj *obj = harness_load_ok(h, path, &opts);

    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);
    cr_assert_str_eq(info.soname, "libz.so.1");
    cr_assert_not(info.exec_stack);

    check_libz(obj);

    /* The hook was asked for libc's names, with their versions, and never for what libz defines. */
    cr_assert_gt(log->count, 0, "the resolve hook was never called");
    cr_assert_gt(log->versioned, 0, "no reference came with a version");
    cr_assert_eq(log->obj, obj);
    bool asked_for_free = false;
    for (size_t i = 0; i < log->count; i++) {
        asked_for_free |= strcmp(log->names[i], "free") == 0;
        cr_assert_null(elfldr_sym(obj, log->names[i]), "the hook was asked for %s, which libz defines",
                       log->names[i]);
    }
    cr_assert(asked_for_free, "the hook was never asked for free");
    harness_unload_ok(h, obj);
    free(log);
}

Test(libz, linux_path)
{
    struct harness h;
    harness_init(&h, WAY_LINUX_PATH);
    load_and_check_libz(&h);
    harness_fini(&h);
}

Test(libz, linux_path_read)
{
    struct harness h;
    harness_init(&h, WAY_LINUX_PATH_READ);
    load_and_check_libz(&h);
    harness_fini(&h);
}

Test(libz, linux_mem)
{
    struct harness h;
    harness_init(&h, WAY_LINUX_MEM);
    load_and_check_libz(&h);
    harness_fini(&h);
}

Test(libz, arena_mem)
{
    struct harness h;
    harness_init(&h, WAY_ARENA_MEM);
    load_and_check_libz(&h);
    harness_fini(&h);
}
