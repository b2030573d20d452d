#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

const char *way_name(enum way way)
{
    switch (way) {
    case WAY_LINUX_PATH: return "linux/path";
    case WAY_LINUX_PATH_READ: return "linux/path/no-file-map";
    case WAY_LINUX_MEM: return "linux/mem";
    case WAY_ARENA_MEM: return "arena/mem";
    }
    return "?";
}

bool harness_is_linux(const struct harness *h)
{
    return h->way != WAY_ARENA_MEM;
}

void harness_init(struct harness *h, enum way way)
{
    memset(h, 0, sizeof(*h));
    h->way = way;
    if (way == WAY_ARENA_MEM) {
        /* The arena enforces no protection, so code placed in it must already be executable. */
        h->arena_buffer = mmap(NULL, HARNESS_ARENA_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        cr_assert_neq(h->arena_buffer, MAP_FAILED, "mmap of the arena buffer failed");
        int rc = elfldr_arena_ops(&h->arena, h->arena_buffer, HARNESS_ARENA_SIZE, &h->inner);
        cr_assert_eq(rc, 0, "elfldr_arena_ops: %d", rc);
    } else {
        elfldr_linux_ops(&h->inner);
    }
    counting_ops_init(&h->counting, &h->inner);
}

void harness_assert_clean(const struct harness *h)
{
    cr_assert_eq(h->counting.reserved, 0, "%s: %ld reservations outstanding", way_name(h->way),
                 h->counting.reserved);
    cr_assert_eq(h->counting.allocated, 0, "%s: %ld allocations outstanding", way_name(h->way),
                 h->counting.allocated);
    cr_assert_eq(h->counting.opened, 0, "%s: %ld handles outstanding", way_name(h->way),
                 h->counting.opened);
    if (h->way == WAY_ARENA_MEM)
        cr_assert_eq(h->arena.nblocks, 0, "arena: %zu blocks still in use (%zu bytes)", h->arena.nblocks,
                     h->arena.bytes_in_use);
}

void harness_fini(struct harness *h)
{
    harness_assert_clean(h);
    if (h->arena_buffer != NULL)
        munmap(h->arena_buffer, HARNESS_ARENA_SIZE);
    h->arena_buffer = NULL;
}

static void *read_whole_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    cr_assert_not_null(file, "cannot open %s", path);
    cr_assert_eq(fseek(file, 0, SEEK_END), 0);
    long length = ftell(file);
    cr_assert_gt(length, 0, "%s is empty", path);
    rewind(file);
    void *bytes = malloc((size_t)length);
    cr_assert_not_null(bytes);
    cr_assert_eq(fread(bytes, 1, (size_t)length, file), (size_t)length, "short read of %s", path);
    fclose(file);
    *size = (size_t)length;
    return bytes;
}

int harness_load(struct harness *h, const char *path, const struct elfldr_load_opts *opts,
                 struct elfldr_obj **out, struct elfldr_error *err)
{
    struct elfldr_load_opts counted = {0};
    if (opts != NULL)
        counted = *opts;
    counted.ops = &h->counting.ops;
    memset(err, 0, sizeof(*err));
    *out = NULL;

    switch (h->way) {
    case WAY_LINUX_PATH:
        return elfldr_load_path(path, &counted, out, err);
    case WAY_LINUX_PATH_READ:
        counted.flags |= ELFLDR_LOAD_NO_FILE_MAP;
        return elfldr_load_path(path, &counted, out, err);
    case WAY_LINUX_MEM:
    case WAY_ARENA_MEM: {
        size_t size;
        unsigned char *image = read_whole_file(path, &size);
        int rc = elfldr_load_mem(image, size, path, &counted, out, err);
        /* The loader promised to copy what it needs: anything it still read from here is garbage. */
        memset(image, 0xa5, size);
        free(image);
        return rc;
    }
    }
    cr_assert_fail("unknown way %d", (int)h->way);
    return -1;
}

struct elfldr_obj *harness_load_ok(struct harness *h, const char *path, const struct elfldr_load_opts *opts)
{
    struct elfldr_obj *obj;
    struct elfldr_error err;
    int rc = harness_load(h, path, opts, &obj, &err);
    cr_assert_eq(rc, ELFLDR_OK, "%s: loading %s failed: %d (%s): %s", way_name(h->way), path, rc,
                 elfldr_strerror(err.code), err.message);
    cr_assert_not_null(obj, "%s: load of %s succeeded without an object", way_name(h->way), path);
    return obj;
}

void harness_unload_ok(struct harness *h, struct elfldr_obj *obj)
{
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);
    uintptr_t start = info.base, end = info.base + info.span;
    cr_assert_gt(info.span, 0, "an object with an empty span");
    if (harness_is_linux(h))
        cr_assert(maps_intersect(start, end), "%s: nothing mapped at [%#lx, %#lx) before unload",
                  way_name(h->way), (unsigned long)start, (unsigned long)end);

    struct elfldr_error err = {0};
    int rc = elfldr_unload(obj, &err);
    cr_assert_eq(rc, ELFLDR_OK, "%s: unload failed: %d: %s", way_name(h->way), rc, err.message);
    if (harness_is_linux(h))
        cr_assert_not(maps_intersect(start, end), "%s: a mapping is left in [%#lx, %#lx) after unload",
                      way_name(h->way), (unsigned long)start, (unsigned long)end);
}

void harness_assert_load_failed(const struct harness *h, int rc, const struct elfldr_error *err,
                                enum elfldr_err code, const char *needle)
{
    cr_assert_neq(rc, ELFLDR_OK, "%s: the load succeeded, expected %s", way_name(h->way),
                  elfldr_strerror(code));
    cr_assert_eq(err->code, code, "%s: failed with %d (%s: %s), expected %d (%s)", way_name(h->way),
                 err->code, elfldr_strerror(err->code), err->message, code, elfldr_strerror(code));
    cr_assert_eq(rc, (int)err->code, "%s: returned %d but reported %d", way_name(h->way), rc, err->code);
    cr_assert_neq(err->message[0], '\0', "%s: the failure has no message", way_name(h->way));
    if (needle != NULL)
        cr_assert_not_null(strstr(err->message, needle), "%s: the message \"%s\" does not name \"%s\"",
                           way_name(h->way), err->message, needle);
    harness_assert_clean(h);
}

bool maps_intersect(uintptr_t start, uintptr_t end)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    cr_assert_not_null(maps, "cannot read /proc/self/maps");
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof(line), maps) != NULL) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2)
            found = lo < end && start < hi;
    }
    fclose(maps);
    return found;
}

bool maps_permissions(uintptr_t address, char permissions[5])
{
    FILE *maps = fopen("/proc/self/maps", "r");
    cr_assert_not_null(maps, "cannot read /proc/self/maps");
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof(line), maps) != NULL) {
        unsigned long lo, hi;
        char perms[5];
        if (sscanf(line, "%lx-%lx %4s", &lo, &hi, perms) == 3 && lo <= address && address < hi) {
            memcpy(permissions, perms, 5);
            found = true;
        }
    }
    fclose(maps);
    return found;
}

void *sym_ok(const struct elfldr_obj *obj, const char *name)
{
    void *address = elfldr_sym(obj, name);
    cr_assert_not_null(address, "elfldr_sym found no \"%s\"", name);
    return address;
}

long maps_count(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    long lines = 0;
    int c;
    cr_assert_not_null(f);
    while ((c = fgetc(f)) != EOF)
        lines += c == '\n';
    fclose(f);
    return lines;
}

long rss_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    cr_assert_not_null(f);
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld", &kib) == 1)
            break;
    fclose(f);
    return kib;
}
