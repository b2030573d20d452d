/* What every unit test needs: a platform table (Linux or arena) wrapped in the counting table, a way to
 * load a fixture from its path or from memory through it, and an unload that checks nothing is left.
 *
 * TEST_EVERY_WAY(suite, name) { ... } defines one Criterion test per way of loading, each running the
 * body with a fresh harness and checking at the end that every reservation, allocation and handle was
 * given back (and, for the arena, every block). */
#ifndef ELFLDR_UNIT_HARNESS_H
#define ELFLDR_UNIT_HARNESS_H

#include <criterion/criterion.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <elfldr.h>

#include "counting_ops.h"

enum way {
    WAY_LINUX_PATH,         /* elfldr_load_path, Linux table, file mapped */
    WAY_LINUX_PATH_READ,    /* elfldr_load_path, Linux table, ELFLDR_LOAD_NO_FILE_MAP */
    WAY_LINUX_MEM,          /* elfldr_load_mem, Linux table */
    WAY_ARENA_MEM,          /* elfldr_load_mem, arena table over an RWX buffer */
};

#define HARNESS_ARENA_SIZE ((size_t)64 << 20)

struct harness {
    enum way way;
    struct elfldr_ops inner;
    struct elfldr_arena arena;
    void *arena_buffer;
    struct counting_ops counting;
};

void harness_init(struct harness *h, enum way way);
/* Asserts nothing is outstanding, then frees the arena buffer. */
void harness_fini(struct harness *h);
bool harness_is_linux(const struct harness *h);

/* Loads `path` the harness's way. `opts` (may be NULL) gives hooks, scope, flags and arguments; the
 * table is always the harness's counted one. A memory load reads the file into a buffer and poisons and
 * frees it right after the call, as the API allows. */
int harness_load(struct harness *h, const char *path, const struct elfldr_load_opts *opts,
                 struct elfldr_obj **out, struct elfldr_error *err);
/* The same, failing the test with the loader's message when the load fails. */
struct elfldr_obj *harness_load_ok(struct harness *h, const char *path, const struct elfldr_load_opts *opts);
/* Unloads, asserting success; with the Linux table also that the image was mapped before and that no
 * mapping is left in its span after. */
void harness_unload_ok(struct harness *h, struct elfldr_obj *obj);
/* A failed load: the code, a message that names `needle` (unless NULL), and nothing left outstanding. */
void harness_assert_load_failed(const struct harness *h, int rc, const struct elfldr_error *err,
                                enum elfldr_err code, const char *needle);
/* Nothing outstanding in the counting table and, for the arena, no block in use. */
void harness_assert_clean(const struct harness *h);

/* True when some mapping of this process intersects [start, end). */
bool maps_intersect(uintptr_t start, uintptr_t end);
/* The "rwxp" permissions of the mapping that holds `address`; false when nothing is mapped there. */
bool maps_permissions(uintptr_t address, char permissions[5]);
/* How many mappings this process has, and its resident memory in KiB (VmRSS). */
long maps_count(void);
long rss_kib(void);

/* A looked-up function or object, failing the test when the lookup finds nothing. */
void *sym_ok(const struct elfldr_obj *obj, const char *name);
#define SYM_FN(obj, type, name) ((type)(uintptr_t)sym_ok((obj), (name)))

const char *way_name(enum way way);

#define TEST_WAY_(suite, name, way_suffix, way)                                                         \
    Test(suite, name##_##way_suffix)                                                                    \
    {                                                                                                   \
        struct harness harness_;                                                                        \
        harness_init(&harness_, way);                                                                   \
        suite##_##name##_body(&harness_);                                                               \
        harness_fini(&harness_);                                                                        \
    }

#define TEST_EVERY_WAY(suite, name)                                                                     \
    static void suite##_##name##_body(struct harness *h);                                               \
    TEST_WAY_(suite, name, linux_path, WAY_LINUX_PATH)                                                  \
    TEST_WAY_(suite, name, linux_path_read, WAY_LINUX_PATH_READ)                                        \
    TEST_WAY_(suite, name, linux_mem, WAY_LINUX_MEM)                                                    \
    TEST_WAY_(suite, name, arena_mem, WAY_ARENA_MEM)                                                    \
    static void suite##_##name##_body(struct harness *h)

/* The same for the Linux table only: for what the arena cannot show (protections, mappings). */
#define TEST_LINUX_WAYS(suite, name)                                                                    \
    static void suite##_##name##_body(struct harness *h);                                               \
    TEST_WAY_(suite, name, linux_path, WAY_LINUX_PATH)                                                  \
    TEST_WAY_(suite, name, linux_path_read, WAY_LINUX_PATH_READ)                                        \
    TEST_WAY_(suite, name, linux_mem, WAY_LINUX_MEM)                                                    \
    static void suite##_##name##_body(struct harness *h)

#endif
