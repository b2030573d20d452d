/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The core on whatever architecture this is built for, without Criterion (there is no cross Criterion):
 * every fixture library of tests/fixtures loaded four ways (Linux table from a path with and without
 * file mapping, Linux table from memory, arena table from memory), its functions called and its
 * relocations checked, then unloaded with nothing left behind (counted through the counting table; for
 * the Linux table also read back from /proc/self/maps, which qemu-user emulates for its guest).
 *
 * One line per check ("PASS ..." or "FAIL ..."), then exactly "N passed, N failed"; the exit status is
 * 1 when any check failed.
 */
#include <elf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <elfldr.h>

#include "counting_ops.h"
#include "check.h"

#ifndef SHT_RELR
#define SHT_RELR 19
#endif
#ifndef DT_RELR
#define DT_RELR 36
#endif

#if defined(__x86_64__)
#define HOST_R_IRELATIVE R_X86_64_IRELATIVE
#elif defined(__aarch64__)
#define HOST_R_IRELATIVE R_AARCH64_IRELATIVE
#elif defined(__riscv)
#define HOST_R_IRELATIVE R_RISCV_IRELATIVE
#endif

/* ---- the ELF file, as the link editor wrote it ---------------------------------------------------- */

struct file_bytes {
    unsigned char *bytes;
    size_t size;
};

static bool read_file(const char *path, struct file_bytes *f)
{
    FILE *file = fopen(path, "rb");
    if (!file)
        return false;
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    rewind(file);
    f->bytes = length > 0 ? malloc((size_t)length) : NULL;
    f->size = length > 0 ? (size_t)length : 0;
    bool ok = f->bytes && fread(f->bytes, 1, f->size, file) == f->size;
    fclose(file);
    return ok;
}

/* The relocation types of every SHT_RELA section, as a set; and whether there is SHT_RELR. */
#define MAX_TYPES 64
struct file_relocs {
    uint32_t types[MAX_TYPES];
    size_t count[MAX_TYPES];
    size_t ntypes;
    size_t relr_words;
};

static void file_reloc_types(const struct file_bytes *f, struct file_relocs *out)
{
    memset(out, 0, sizeof(*out));
    const Elf64_Ehdr *eh = (const void *)f->bytes;
    if (f->size < sizeof(*eh) || eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > f->size)
        return;
    const Elf64_Shdr *sh = (const void *)(f->bytes + eh->e_shoff);
    for (size_t s = 0; s < eh->e_shnum; s++) {
        if (sh[s].sh_offset + sh[s].sh_size > f->size)
            continue;
        if (sh[s].sh_type == SHT_RELR) {
            out->relr_words += sh[s].sh_size / 8;
            continue;
        }
        if (sh[s].sh_type != SHT_RELA)
            continue;
        const Elf64_Rela *rela = (const void *)(f->bytes + sh[s].sh_offset);
        for (size_t i = 0; i < sh[s].sh_size / sizeof(*rela); i++) {
            uint32_t type = (uint32_t)ELF64_R_TYPE(rela[i].r_info);
            size_t t = 0;
            while (t < out->ntypes && out->types[t] != type)
                t++;
            if (t == out->ntypes && out->ntypes < MAX_TYPES)
                out->types[out->ntypes++] = type;
            if (t < MAX_TYPES)
                out->count[t]++;
        }
    }
}

/* Whether the dynamic section (found through PT_DYNAMIC) has `tag`. */
static bool file_has_dyn(const struct file_bytes *f, int64_t tag)
{
    const Elf64_Ehdr *eh = (const void *)f->bytes;
    const Elf64_Phdr *ph = (const void *)(f->bytes + eh->e_phoff);
    for (size_t p = 0; p < eh->e_phnum; p++) {
        if (ph[p].p_type != PT_DYNAMIC || ph[p].p_offset + ph[p].p_filesz > f->size)
            continue;
        const Elf64_Dyn *dyn = (const void *)(f->bytes + ph[p].p_offset);
        for (size_t i = 0; i < ph[p].p_filesz / sizeof(*dyn) && dyn[i].d_tag != DT_NULL; i++)
            if (dyn[i].d_tag == tag)
                return true;
    }
    return false;
}

/* ---- what reloc_before saw ------------------------------------------------------------------------ */

struct reloc_seen {
    uint32_t types[MAX_TYPES];
    enum elfldr_reloc_class classes[MAX_TYPES];
    size_t count[MAX_TYPES];
    size_t ntypes;
    size_t unknown;
};

static int record_reloc(void *ctx, struct elfldr_reloc *r)
{
    struct reloc_seen *seen = ctx;
    if (r->rclass == ELFLDR_RC_UNKNOWN)
        seen->unknown++;
    size_t t = 0;
    while (t < seen->ntypes && seen->types[t] != r->type)
        t++;
    if (t == seen->ntypes && seen->ntypes < MAX_TYPES) {
        seen->types[seen->ntypes++] = r->type;
        seen->classes[t] = r->rclass;
    }
    if (t < MAX_TYPES)
        seen->count[t]++;
    return ELFLDR_HOOK_CONTINUE;
}

static const char *class_name(enum elfldr_reloc_class rclass)
{
    static const char *const names[] = {
        [ELFLDR_RC_UNKNOWN] = "UNKNOWN", [ELFLDR_RC_NONE] = "NONE", [ELFLDR_RC_RELATIVE] = "RELATIVE",
        [ELFLDR_RC_ABS64] = "ABS64", [ELFLDR_RC_ABS32] = "ABS32", [ELFLDR_RC_ABS32S] = "ABS32S",
        [ELFLDR_RC_PC32] = "PC32", [ELFLDR_RC_PC64] = "PC64", [ELFLDR_RC_GLOB_DAT] = "GLOB_DAT",
        [ELFLDR_RC_JUMP_SLOT] = "JUMP_SLOT", [ELFLDR_RC_IRELATIVE] = "IRELATIVE", [ELFLDR_RC_COPY] = "COPY",
        [ELFLDR_RC_SIZE32] = "SIZE32", [ELFLDR_RC_SIZE64] = "SIZE64", [ELFLDR_RC_DTPMOD] = "DTPMOD",
        [ELFLDR_RC_DTPOFF] = "DTPOFF", [ELFLDR_RC_TPOFF] = "TPOFF", [ELFLDR_RC_TLSDESC] = "TLSDESC",
    };
    if ((unsigned)rclass < sizeof(names) / sizeof(names[0]) && names[rclass])
        return names[rclass];
    return "(not a class)";
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* Every type the file's RELA sections hold reached reloc_before, each with a known class. */
static void check_relocs_seen(const char *path, const struct reloc_seen *seen)
{
    struct file_bytes f;
    if (!check(read_file(path, &f), "read %s", path))
        return;
    struct file_relocs file;
    file_reloc_types(&f, &file);
    free(f.bytes);
    check(seen->unknown == 0, "%s: reloc_before saw %zu relocations of class UNKNOWN", base_name(path),
          seen->unknown);
    for (size_t t = 0; t < file.ntypes; t++) {
        size_t s = 0;
        while (s < seen->ntypes && seen->types[s] != file.types[t])
            s++;
        bool found = s < seen->ntypes;
        check(found && seen->classes[s] != ELFLDR_RC_UNKNOWN && seen->classes[s] != ELFLDR_RC_NONE &&
                  seen->count[s] >= file.count[t],
              "%s: relocation type %u (%zu in the file) seen by reloc_before %zu times as %s", base_name(path),
              (unsigned)file.types[t], file.count[t], found ? seen->count[s] : 0,
              found ? class_name(seen->classes[s]) : "nothing");
    }
}

/* ---- ways of loading ------------------------------------------------------------------------------ */

enum way { WAY_LINUX_PATH, WAY_LINUX_PATH_READ, WAY_LINUX_MEM, WAY_ARENA_MEM, WAY_COUNT };
static const char *const way_names[WAY_COUNT] = {"linux/path", "linux/path/no-file-map", "linux/mem",
                                                 "arena/mem"};

#define ARENA_SIZE ((size_t)64 << 20)

struct harness {
    enum way way;
    struct elfldr_ops inner;
    struct elfldr_arena arena;
    void *arena_buffer;
    struct counting_ops counting;
};

static bool harness_init(struct harness *h, enum way way)
{
    memset(h, 0, sizeof(*h));
    h->way = way;
    if (way == WAY_ARENA_MEM) {
        /* The arena enforces no protection: code placed in it must already be executable. */
        h->arena_buffer = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
                               -1, 0);
        if (!check(h->arena_buffer != MAP_FAILED, "mmap an RWX arena buffer of %zu MiB", ARENA_SIZE >> 20))
            return false;
        if (!check(elfldr_arena_ops(&h->arena, h->arena_buffer, ARENA_SIZE, &h->inner) == 0, "elfldr_arena_ops"))
            return false;
    } else {
        elfldr_linux_ops(&h->inner);
    }
    counting_ops_init(&h->counting, &h->inner);
    return true;
}

static void harness_check_clean(const struct harness *h, const char *what)
{
    const struct counting_ops *c = &h->counting;
    check(counting_ops_clean(c), "%s: nothing left (%ld reservations, %ld allocations, %ld handles)", what,
          c->reserved, c->allocated, c->opened);
    if (h->way == WAY_ARENA_MEM)
        check(h->arena.nblocks == 0 && h->arena.bytes_in_use == 0, "%s: arena empty (%zu blocks, %zu bytes)",
              what, h->arena.nblocks, h->arena.bytes_in_use);
}

static void harness_fini(struct harness *h)
{
    if (h->arena_buffer && h->arena_buffer != MAP_FAILED)
        munmap(h->arena_buffer, ARENA_SIZE);
    h->arena_buffer = NULL;
}

/* Loads `path` the harness's way, through the counted table; returns the loader's code. */
static int load_rc(struct harness *h, const char *path, const struct elfldr_load_opts *opts,
                   struct elfldr_obj **obj, struct elfldr_error *err)
{
    struct elfldr_load_opts counted = {0};
    if (opts)
        counted = *opts;
    counted.ops = &h->counting.ops;
    *obj = NULL;
    memset(err, 0, sizeof(*err));
    if (h->way == WAY_LINUX_PATH || h->way == WAY_LINUX_PATH_READ) {
        if (h->way == WAY_LINUX_PATH_READ)
            counted.flags |= ELFLDR_LOAD_NO_FILE_MAP;
        return elfldr_load_path(path, &counted, obj, err);
    }
    struct file_bytes f;
    if (!check(read_file(path, &f), "read %s", path))
        return ELFLDR_E_IO;
    int rc = elfldr_load_mem(f.bytes, f.size, path, &counted, obj, err);
    /* The loader promised to copy what it needs: poison the buffer before anything runs. */
    memset(f.bytes, 0xa5, f.size);
    free(f.bytes);
    return rc;
}

static struct elfldr_obj *load(struct harness *h, const char *path, const struct elfldr_load_opts *opts)
{
    struct elfldr_obj *obj;
    struct elfldr_error err;
    int rc = load_rc(h, path, opts, &obj, &err);
    if (!check(rc == ELFLDR_OK && obj != NULL, "load %s: %d %s", base_name(path), rc, rc ? err.message : "ok"))
        return NULL;
    return obj;
}

static bool maps_intersect(uintptr_t start, uintptr_t end)
{
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps)
        return false;
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof(line), maps)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2)
            found = lo < end && start < hi;
    }
    fclose(maps);
    return found;
}

static void unload(struct harness *h, struct elfldr_obj *obj, const char *what)
{
    struct elfldr_info info;
    elfldr_get_info(obj, &info);
    uintptr_t start = info.base, end = info.base + info.span;
    bool linux_table = h->way != WAY_ARENA_MEM;
    if (linux_table)
        check(maps_intersect(start, end), "%s: mapped at [%#lx, %#lx) before unload", what, (unsigned long)start,
              (unsigned long)end);
    struct elfldr_error err = {0};
    int rc = elfldr_unload(obj, &err);
    check(rc == ELFLDR_OK, "%s: unload: %d %s", what, rc, rc ? err.message : "ok");
    if (linux_table)
        check(!maps_intersect(start, end), "%s: /proc/self/maps has nothing in [%#lx, %#lx) after unload", what,
              (unsigned long)start, (unsigned long)end);
}

/* ---- the fixtures ------------------------------------------------------------------------------- */

typedef int (*int_fn)(void);
typedef int (*int_int_fn)(int);
typedef int (*int3_fn)(int, int, int);
typedef const char *(*name_fn)(int);
typedef int *(*int_ptr_fn)(void);
typedef size_t (*size_fn)(void);
typedef int (*store_fn)(size_t, char);

static void *need(const struct elfldr_obj *obj, const char *name)
{
    void *address = elfldr_sym(obj, name);
    check(address != NULL, "elfldr_sym(%s)", name);
    return address;
}

/* Call `name` only when it was found, so that a missing symbol is one failure, not a crash. */
#define NOT_CALLED (-12345)
static int call0(const struct elfldr_obj *obj, const char *name)
{
    void *address = need(obj, name);
    return address ? AS_FN(int_fn, address)() : NOT_CALLED;
}

static int call1(const struct elfldr_obj *obj, const char *name, int arg)
{
    void *address = need(obj, name);
    return address ? AS_FN(int_int_fn, address)(arg) : NOT_CALLED;
}

/* RELATIVE (and RELR) relocations: string, function and struct pointers in data. */
static void test_data(struct harness *h, const char *path, const char *label)
{
    struct reloc_seen seen = {0};
    struct elfldr_hooks hooks = {.ctx = &seen, .reloc_before = record_reloc};
    struct elfldr_load_opts opts = {.hooks = &hooks};
    struct elfldr_obj *obj = load(h, path, &opts);
    if (!obj)
        return;
    static const char *const names[] = {"alpha", "beta", "gamma", "delta"};
    CHECK_EQ_INT(call0(obj, "data_name_count"), 4, "data_name_count()");
    if (need(obj, "data_name"))
        for (int i = 0; i < 4; i++) {
            const char *got = AS_FN(name_fn, elfldr_sym(obj, "data_name"))(i);
            check(got && strcmp(got, names[i]) == 0, "%s: data_name(%d) = %s", label, i, got ? got : "(null)");
        }
    CHECK_EQ_INT(call0(obj, "data_name_length_sum"), 19, "data_name_length_sum()");
    if (need(obj, "data_apply")) {
        int (*apply)(int, int, int) = AS_FN(int (*)(int, int, int), elfldr_sym(obj, "data_apply"));
        CHECK_EQ_INT(apply(0, 6, 7), 13, "data_apply(add, 6, 7)");
        CHECK_EQ_INT(apply(1, 6, 7), -1, "data_apply(sub, 6, 7)");
        CHECK_EQ_INT(apply(2, 6, 7), 42, "data_apply(mul, 6, 7)");
    }
    CHECK_EQ_INT(call0(obj, "data_chain_sum"), 337, "data_chain_sum()");
    CHECK_EQ_INT(call0(obj, "data_counter_next"), 1, "data_counter_next() first");
    CHECK_EQ_INT(call0(obj, "data_counter_next"), 2, "data_counter_next() second");
    CHECK_EQ_INT(call0(obj, "data_weak_is_bound"), 0, "data_weak_is_bound() (weak undefined is 0)");
    CHECK_EQ_INT(call0(obj, "data_private_sum"), 27, "data_private_sum()");
    const char *greeting = elfldr_sym(obj, "data_greeting");
    check(greeting && strcmp(greeting, "hello from data") == 0, "%s: data_greeting", label);
    check(elfldr_sym(obj, "data_hidden") == NULL, "%s: a hidden symbol is not found", label);
    check(elfldr_sym(obj, "data_local") == NULL, "%s: a local symbol is not found", label);
    check(elfldr_sym(obj, "no_such_symbol") == NULL, "%s: a missing symbol is not found", label);
    check_relocs_seen(path, &seen);
    unload(h, obj, label);
}

/* The hash tables each data variant was linked with, from its file: the lookups above used them. */
static void check_hash_styles(void)
{
    struct {
        const char *path;
        bool sysv, gnu, relr;
    } variants[] = {
        {FIXTURE_DATA, true, true, false},
        {FIXTURE_DATA_SYSV, true, false, false},
        {FIXTURE_DATA_GNU, false, true, false},
#ifdef FIXTURE_DATA_RELR
        {FIXTURE_DATA_RELR, false, false, true},
#endif
    };
    check_label = "file";
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        struct file_bytes f;
        if (!check(read_file(variants[i].path, &f), "read %s", variants[i].path))
            continue;
        bool sysv = file_has_dyn(&f, DT_HASH), gnu = file_has_dyn(&f, DT_GNU_HASH);
        bool relr = file_has_dyn(&f, DT_RELR);
        if (variants[i].relr) {
            check(relr, "%s has DT_RELR", variants[i].path);
        } else {
            check(sysv == variants[i].sysv, "%s: DT_HASH %s", variants[i].path, sysv ? "present" : "absent");
            check(gnu == variants[i].gnu, "%s: DT_GNU_HASH %s", variants[i].path, gnu ? "present" : "absent");
        }
        free(f.bytes);
    }
}

/* GLOB_DAT, JUMP_SLOT and ABS64 between two objects: libcaller binds to libcallee in its scope. */
static void test_cross(struct harness *h)
{
    struct elfldr_obj *callee = load(h, FIXTURE_CALLEE, NULL);
    if (!callee)
        return;
    struct reloc_seen seen = {0};
    struct elfldr_hooks hooks = {.ctx = &seen, .reloc_before = record_reloc};
    struct elfldr_obj *const scope[] = {callee};
    struct elfldr_load_opts opts = {.hooks = &hooks, .scope = scope, .scope_len = 1};
    struct elfldr_obj *caller = load(h, FIXTURE_CALLER, &opts);
    if (caller) {
        CHECK_EQ_INT(call1(caller, "caller_call_twice", 21), 42, "caller_call_twice(21) (JUMP_SLOT)");
        CHECK_EQ_INT(call1(caller, "caller_call_twice_via_pointer", 50), 100,
                     "caller_call_twice_via_pointer(50) (ABS64 to a function)");
        CHECK_EQ_INT(call0(caller, "caller_read_value"), 4242, "caller_read_value() (GLOB_DAT)");
        CHECK_EQ_INT(call0(caller, "caller_read_value_via_pointer"), 4242,
                     "caller_read_value_via_pointer() (ABS64)");
        CHECK_EQ_INT(call0(caller, "caller_read_third_via_pointer"), 30,
                     "caller_read_third_via_pointer() (ABS64 with addend)");
        int *callee_value = elfldr_sym(callee, "callee_value");
        int *seen_by_caller = need(caller, "caller_value_address")
                                  ? AS_FN(int_ptr_fn, elfldr_sym(caller, "caller_value_address"))()
                                  : NULL;
        check(callee_value && seen_by_caller == callee_value, "the caller's GOT entry is callee's callee_value");
        CHECK_EQ_INT(call0(caller, "caller_bump"), 4243, "caller_bump()");
        if (callee_value) {
            CHECK_EQ_INT(*callee_value, 4243, "callee_value after caller_bump()");
            *callee_value = 7;
            CHECK_EQ_INT(call0(caller, "caller_read_value"), 7, "caller_read_value() after a write");
        }
        struct elfldr_info info;
        elfldr_get_info(caller, &info);
        check(info.needed_count == 1 && elfldr_needed(caller, 0) && strcmp(elfldr_needed(caller, 0), "libcallee.so") == 0,
              "libcaller's DT_NEEDED is libcallee.so");
        check_relocs_seen(FIXTURE_CALLER, &seen);
        unload(h, caller, "libcaller");
    }
    unload(h, callee, "libcallee");

    /* Without libcallee in its scope the load fails, names the symbol, and leaves nothing. */
    struct elfldr_obj *orphan;
    struct elfldr_error err;
    int rc = load_rc(h, FIXTURE_CALLER, NULL, &orphan, &err);
    check(rc == ELFLDR_E_UNDEFINED && err.code == ELFLDR_E_UNDEFINED && orphan == NULL && strstr(err.message, "callee_"),
          "libcaller without scope fails: %d \"%s\"", rc, err.message);
    harness_check_clean(h, "after a failed load of libcaller");
}

/* Symbol versions: elfldr_sym gives the default version, elfldr_vsym the one asked for. */
static void test_versioned(struct harness *h)
{
    struct elfldr_obj *lib = load(h, FIXTURE_VERSIONED, NULL);
    if (!lib)
        return;
    void *plain = elfldr_sym(lib, "answer"), *v1 = elfldr_vsym(lib, "answer", "VERS_1");
    void *v2 = elfldr_vsym(lib, "answer", "VERS_2");
    check(plain && v1 && v2, "answer, answer@VERS_1, answer@VERS_2 found");
    if (plain && v1 && v2) {
        CHECK_EQ_INT(AS_FN(int_fn, plain)(), 2, "elfldr_sym(answer)() (default VERS_2)");
        CHECK_EQ_INT(AS_FN(int_fn, v1)(), 1, "elfldr_vsym(answer, VERS_1)()");
        CHECK_EQ_INT(AS_FN(int_fn, v2)(), 2, "elfldr_vsym(answer, VERS_2)()");
    }
    check(elfldr_sym(lib, "secret") == NULL, "secret (only a hidden version) is not found by elfldr_sym");
    void *secret = elfldr_vsym(lib, "secret", "VERS_1");
    check(secret != NULL, "elfldr_vsym(secret, VERS_1) found");
    if (secret)
        CHECK_EQ_INT(AS_FN(int_fn, secret)(), 7, "secret@VERS_1()");
    check(elfldr_vsym(lib, "answer", "VERS_3") == NULL, "answer@VERS_3 is not found");

    struct reloc_seen seen = {0};
    struct elfldr_hooks hooks = {.ctx = &seen, .reloc_before = record_reloc};
    struct elfldr_obj *const scope[] = {lib};
    struct elfldr_load_opts opts = {.hooks = &hooks, .scope = scope, .scope_len = 1};
    struct elfldr_obj *user = load(h, FIXTURE_VERSIONED_USER, &opts);
    if (user) {
        CHECK_EQ_INT(call0(user, "user_answer_default"), 2, "user_answer_default() binds answer@@VERS_2");
        CHECK_EQ_INT(call0(user, "user_answer_v1"), 1, "user_answer_v1() binds answer@VERS_1");
        check_relocs_seen(FIXTURE_VERSIONED_USER, &seen);
        unload(h, user, "libversioned_user");
    }
    unload(h, lib, "libversioned");
}

/* IRELATIVE: the resolvers run during the load, with the architecture's calling convention
 * (arch_call_ifunc: aarch64 passes hwcap | _IFUNC_ARG_HWCAP and a pointer; riscv64 hwcap, NULL, NULL). */
static void test_ifunc(struct harness *h)
{
    struct file_bytes f;
    struct file_relocs file = {0};
    if (read_file(FIXTURE_IFUNC, &f)) {
        file_reloc_types(&f, &file);
        free(f.bytes);
    }
    size_t irelative = 0;
    for (size_t t = 0; t < file.ntypes; t++)
        if (file.types[t] == HOST_R_IRELATIVE)
            irelative = file.count[t];
    check(irelative >= 1, "libifunc has %zu IRELATIVE relocations", irelative);

    struct reloc_seen seen = {0};
    struct elfldr_hooks hooks = {.ctx = &seen, .reloc_before = record_reloc};
    struct elfldr_load_opts opts = {.hooks = &hooks, .hwcap = 0x1234, .hwcap2 = 0x5678};
    struct elfldr_obj *obj = load(h, FIXTURE_IFUNC, &opts);
    if (!obj)
        return;
    /* Before anything is looked up, the IRELATIVE resolvers already ran. */
    int calls = call0(obj, "ifunc_resolver_calls");
    check(calls >= 1, "IRELATIVE resolvers ran during the load (%d calls)", calls);
    CHECK_EQ_INT(call0(obj, "ifunc_call_local"), 77, "ifunc_call_local()");
    CHECK_EQ_INT(call0(obj, "ifunc_call_local_via_pointer"), 77, "ifunc_call_local_via_pointer()");
    uintptr_t address = 0;
    const struct elfldr_sym *sym = NULL;
    int rc = elfldr_lookup(obj, "ifunc_answer", NULL, &address, &sym);
    check(rc == 0 && sym && (sym->st_info & 0xf) == STT_GNU_IFUNC, "ifunc_answer is an STT_GNU_IFUNC");
    void *answer = elfldr_sym(obj, "ifunc_answer");
    check(answer && (uintptr_t)answer == address, "elfldr_sym and elfldr_lookup agree on ifunc_answer");
    if (answer)
        CHECK_EQ_INT(AS_FN(int_fn, answer)(), 42, "ifunc_answer() (the resolver's choice)");
    check_relocs_seen(FIXTURE_IFUNC, &seen);
    unload(h, obj, "libifunc");
}

/* Constructors and destructors in order; libctor reports through fixture_record, which we supply. */
#define MAX_EVENTS 16
static char events[MAX_EVENTS][24];
static size_t nevents;
static int ctor_argc = -1;
static char **ctor_argv;

static void fixture_record(const char *event)
{
    if (nevents < MAX_EVENTS)
        snprintf(events[nevents++], sizeof(events[0]), "%s", event);
}

static void fixture_record_args(int argc, char **argv, char **envp)
{
    (void)envp;
    ctor_argc = argc;
    ctor_argv = argv;
}

static int supply_recorders(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                            uintptr_t *addr)
{
    (void)ctx, (void)obj, (void)version;
    if (strcmp(name, "fixture_record") == 0)
        *addr = (uintptr_t)fixture_record;
    else if (strcmp(name, "fixture_record_args") == 0)
        *addr = (uintptr_t)fixture_record_args;
    else
        return ELFLDR_HOOK_SKIP;
    return ELFLDR_HOOK_CONTINUE;
}

static void check_events(size_t from, const char *const *expected, const char *what)
{
    char got[256] = "", want[256] = "";
    for (size_t i = from; i < nevents; i++)
        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s ", events[i]);
    for (size_t i = 0; expected[i]; i++)
        snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s ", expected[i]);
    check(strcmp(got, want) == 0, "%s: %s(want %s)", what, got, want);
}

static void test_ctor(struct harness *h)
{
    static char *argv[] = {"program", "--flag", NULL};
    static char *envp[] = {"HOME=/nowhere", NULL};
    static const char *const load_order[] = {"dt_init", "init_101", "init_200", "init_default", NULL};
    static const char *const unload_order[] = {"fini_default", "fini_200", "fini_101", "dt_fini", NULL};
    nevents = 0;
    ctor_argc = -1;
    struct elfldr_hooks hooks = {.resolve = supply_recorders};
    struct elfldr_load_opts opts = {.hooks = &hooks, .argc = 2, .argv = argv, .envp = envp};
    struct elfldr_obj *obj = load(h, FIXTURE_CTOR, &opts);
    if (!obj)
        return;
    check_events(0, load_order, "constructors");
    check(ctor_argc == 2 && ctor_argv == argv, "the constructor saw argc %d and the given argv", ctor_argc);
    size_t after_load = nevents;
    unload(h, obj, "libctor");
    check_events(after_load, unload_order, "destructors");
}

/* 8 MiB of bss after a data segment whose file part ends mid-page: all zero, all writable. */
static void test_bigbss(struct harness *h)
{
    struct elfldr_obj *obj = load(h, FIXTURE_BIGBSS, NULL);
    if (!obj)
        return;
    size_t size = need(obj, "bigbss_size") ? AS_FN(size_fn, elfldr_sym(obj, "bigbss_size"))() : 0;
    CHECK_EQ_INT(size, 8u << 20, "bigbss_size()");
    size_t nonzero = need(obj, "bigbss_count_nonzero") ? AS_FN(size_fn, elfldr_sym(obj, "bigbss_count_nonzero"))() : 1;
    CHECK_EQ_INT(nonzero, 0, "non-zero bss bytes");
    const char *tail = elfldr_sym(obj, "bigbss_tail_data");
    check(tail && tail[0] == 1 && tail[1] == 2 && tail[2] == 3, "bigbss_tail_data is {1, 2, 3}");
    if (size && need(obj, "bigbss_store_and_load"))
        CHECK_EQ_INT(AS_FN(store_fn, elfldr_sym(obj, "bigbss_store_and_load"))(size - 1, 5), 5,
                     "a store to the last bss byte");
    unload(h, obj, "libbigbss");
}

/* Segments aligned to 64 KiB: the load bias must honour p_align. */
static void test_align64k(struct harness *h)
{
    struct elfldr_obj *obj = load(h, FIXTURE_ALIGN64K, NULL);
    if (!obj)
        return;
    struct elfldr_info info;
    elfldr_get_info(obj, &info);
    check(info.load_bias % 0x10000 == 0, "load bias %#lx is a multiple of 64 KiB", (unsigned long)info.load_bias);
    CHECK_EQ_INT(call0(obj, "align_sum"), 15, "align_sum()");
    unload(h, obj, "libalign64k");
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("cross core: the fixtures of tests/fixtures on %s\n",
#if defined(__x86_64__)
           "x86_64"
#elif defined(__aarch64__)
           "aarch64"
#elif defined(__riscv)
           "riscv64"
#else
           "an unknown architecture"
#endif
    );
    check_hash_styles();
#ifndef FIXTURE_DATA_RELR
    printf("SKIP libdata_relr: this link editor cannot make DT_RELR (-z pack-relative-relocs)\n");
#endif
    for (enum way way = 0; way < WAY_COUNT; way++) {
        check_label = way_names[way];
        struct harness h;
        if (!harness_init(&h, way)) {
            harness_fini(&h);
            continue;
        }
        test_data(&h, FIXTURE_DATA, "libdata");
        test_data(&h, FIXTURE_DATA_SYSV, "libdata_sysv");
        test_data(&h, FIXTURE_DATA_GNU, "libdata_gnu");
#ifdef FIXTURE_DATA_RELR
        test_data(&h, FIXTURE_DATA_RELR, "libdata_relr");
#endif
        test_cross(&h);
        test_versioned(&h);
        test_ifunc(&h);
        test_ctor(&h);
        test_bigbss(&h);
        test_align64k(&h);
        harness_check_clean(&h, "after every fixture");
        harness_fini(&h);
    }
    return check_summary();
}
