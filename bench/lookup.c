/* Symbol lookup, hit and miss, on one library loaded by both loaders:
 *
 *   peer:          glibc's dlsym(handle, name): the library, then its dependencies
 *   elfldr_dlsym:  elfldr_dlsym(handle, name) on a namespace's handle: the same search order
 *   elfldr_sym:    elfldr_sym(obj, name) on an object loaded with elfldr_load_path: that object
 *                  alone, the core's own fast path
 *
 * The names: up to 256 functions and objects the library exports (from its .dynsym; IFUNCs left out,
 * since a lookup of one runs its resolver), each checked to be found by all three; the misses are
 * the same names with "_nx" appended, checked to be found by none. A block is passes over the names
 * with one way (about 2 ms); rounds run every way's block in turn, the first one rotating; a block
 * that was preempted is run again; per-lookup times are the medians over rounds.
 *
 *   lookup [--rounds N] LIB
 *   lookup --only peer|elfldr_dlsym|elfldr_sym --kind hit|miss --iters PASSES LIB   (callgrind)
 */
#define _GNU_SOURCE
#include "bench.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_NAMES 256

enum way { PEER, OURS_DLSYM, OURS_SYM, NWAYS };
static const char *const way_names[NWAYS] = {"dlsym", "elfldr_dlsym", "elfldr_sym"};

static void *peer_handle, *ours_handle;
static struct elfldr_obj *ours_obj;
static struct elfldr_ns *ns;
static char *hits[MAX_NAMES], *misses[MAX_NAMES];
static size_t nnames;
static volatile uintptr_t sink;

/* One loop per way, so that the call is direct. */
void measured_lookups(enum way way, char **names, unsigned long passes);
__attribute__((noinline)) void measured_lookups(enum way way, char **names, unsigned long passes)
{
    uintptr_t acc = 0;
    switch (way) {
    case PEER:
        for (unsigned long p = 0; p < passes; p++)
            for (size_t i = 0; i < nnames; i++)
                acc += (uintptr_t)dlsym(peer_handle, names[i]);
        break;
    case OURS_DLSYM:
        for (unsigned long p = 0; p < passes; p++)
            for (size_t i = 0; i < nnames; i++)
                acc += (uintptr_t)elfldr_dlsym(ours_handle, names[i]);
        break;
    default:
        for (unsigned long p = 0; p < passes; p++)
            for (size_t i = 0; i < nnames; i++)
                acc += (uintptr_t)elfldr_sym(ours_obj, names[i]);
        break;
    }
    sink = acc;
}

/* ---- the names the library exports --------------------------------------------------------------- */

static void collect_names(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        bench_die("cannot open %s", path);
    const unsigned char *file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (file == MAP_FAILED)
        bench_die("cannot map %s", path);
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)file;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(file + eh->e_shoff);
    const Elf64_Sym *syms = NULL;
    const Elf64_Half *versym = NULL;
    const char *strtab = NULL;
    size_t nsyms = 0;
    for (size_t i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type == SHT_DYNSYM) {
            syms = (const Elf64_Sym *)(file + sh[i].sh_offset);
            nsyms = sh[i].sh_size / sizeof(Elf64_Sym);
            strtab = (const char *)(file + sh[sh[i].sh_link].sh_offset);
        } else if (sh[i].sh_type == SHT_GNU_versym)
            versym = (const Elf64_Half *)(file + sh[i].sh_offset);
    }
    if (!syms)
        bench_die("%s has no .dynsym", path);
    size_t eligible = 0;
    for (int pass = 0; pass < 2; pass++) {
        size_t seen = 0;
        for (size_t i = 1; i < nsyms && nnames < MAX_NAMES; i++) {
            const Elf64_Sym *s = &syms[i];
            int bind = ELF64_ST_BIND(s->st_info), type = ELF64_ST_TYPE(s->st_info);
            if (s->st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK) ||
                (type != STT_FUNC && type != STT_OBJECT) || (versym && (versym[i] & 0x8000)) ||
                ELF64_ST_VISIBILITY(s->st_other) != STV_DEFAULT)
                continue;
            if (pass == 0) {
                eligible++;
                continue;
            }
            /* spread the picks over the whole table */
            if (eligible > MAX_NAMES && (seen++ * MAX_NAMES) % eligible >= MAX_NAMES)
                continue;
            const char *name = strtab + s->st_name;
            void *p = dlsym(peer_handle, name), *q = elfldr_dlsym(ours_handle, name), *r = elfldr_sym(ours_obj, name);
            if (!p || !q || !r)
                continue;
            size_t len = strlen(name);
            hits[nnames] = strdup(name);
            misses[nnames] = malloc(len + 4);
            if (!hits[nnames] || !misses[nnames])
                bench_die("out of memory");
            memcpy(misses[nnames], name, len);
            memcpy(misses[nnames] + len, "_nx", 4);
            if (dlsym(peer_handle, misses[nnames]) || elfldr_dlsym(ours_handle, misses[nnames]) ||
                elfldr_sym(ours_obj, misses[nnames]))
                bench_die("%s is found", misses[nnames]);
            nnames++;
        }
    }
    munmap((void *)(uintptr_t)file, (size_t)st.st_size);
    if (nnames == 0)
        bench_die("%s: no symbol found by all three lookups", path);
}

/* ---- loading --------------------------------------------------------------------------------------- */

/* What the directly loaded object needs: from glibc's copy of the library's tree, or the process. */
static int from_peer(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version, uintptr_t *addr)
{
    (void)ctx;
    (void)obj;
    void *p = version ? dlvsym(peer_handle, name, version) : NULL;
    if (!p)
        p = dlsym(peer_handle, name);
    if (!p)
        p = dlsym(RTLD_DEFAULT, name);
    if (!p)
        return ELFLDR_HOOK_SKIP;
    *addr = (uintptr_t)p;
    return ELFLDR_HOOK_CONTINUE;
}

static void load_all(const char *lib)
{
    ns = bench_ns();
    ours_handle = elfldr_dlopen(ns, lib, ELFLDR_RTLD_NOW | ELFLDR_RTLD_LOCAL);
    if (!ours_handle)
        bench_die("elfldr_dlopen %s: %s", lib, elfldr_dlerror(ns));
    peer_handle = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (!peer_handle)
        bench_die("dlopen %s: %s", lib, dlerror());
    struct link_map *map;
    if (dlinfo(peer_handle, RTLD_DI_LINKMAP, &map) != 0)
        bench_die("dlinfo %s: %s", lib, dlerror());
    static const struct elfldr_hooks hooks = {.resolve = from_peer};
    struct elfldr_load_opts opts = {.hooks = &hooks};
    struct elfldr_error err;
    if (elfldr_load_path(map->l_name, &opts, &ours_obj, &err) != 0)
        bench_die("elfldr_load_path %s: %s", map->l_name, err.message);
    collect_names(map->l_name);
}

struct block {
    enum way way;
    char **names;
    unsigned long passes;
};

static void run_block(void *arg)
{
    const struct block *b = arg;
    measured_lookups(b->way, b->names, b->passes);
}

static unsigned long passes_for(enum way way, char **names)
{
    /* about 2 ms a block */
    double t0 = bench_now_ns();
    measured_lookups(way, names, 4);
    double per_pass = (bench_now_ns() - t0) / 4;
    unsigned long passes = (unsigned long)(2e6 / (per_pass > 1 ? per_pass : 1));
    return passes < 1 ? 1 : passes > 2000 ? 2000 : passes;
}

int main(int argc, char **argv)
{
    unsigned long rounds = 40, iters = 0;
    int only = -1, kind = 0;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc)
            rounds = bench_number("--rounds", argv[++i]);
        else if (strcmp(argv[i], "--iters") == 0 && i + 1 < argc)
            iters = bench_number("--iters", argv[++i]);
        else if (strcmp(argv[i], "--kind") == 0 && i + 1 < argc)
            kind = strcmp(argv[++i], "miss") == 0;
        else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            i++;
            for (int w = 0; w < NWAYS; w++)
                if (strcmp(argv[i], w == PEER ? "peer" : way_names[w]) == 0)
                    only = w;
            if (only < 0)
                bench_die("--only peer, elfldr_dlsym or elfldr_sym");
        } else
            bench_die("usage: lookup [--rounds N] [--only WAY --kind hit|miss --iters PASSES] LIB");
    }
    if (argc - i != 1 || rounds == 0)
        bench_die("usage: lookup [--rounds N] [--only WAY --kind hit|miss --iters PASSES] LIB");
    if (bench_keep_libm(0) != 0)
        return 1;
    load_all(argv[i]);
    const char *lib = bench_base_name(argv[i]);

    if (only >= 0) {
        char **names = kind ? misses : hits;
        measured_lookups((enum way)only, names, 0);
        measured_lookups((enum way)only, names, 1); /* warm */
        measured_lookups((enum way)only, names, iters);
        printf("ops %lu\n", iters * nnames);
        return 0;
    }

    bench_info("%s: %zu names looked up (hits), the same with _nx appended (misses)", lib, nnames);
    /* glibc's dlsym on a handle searches the library's dependencies, the host's libc among them. */
    int narrow = dlsym(peer_handle, "malloc") && !elfldr_dlsym(ours_handle, "malloc");
    if (narrow)
        bench_info("%s: elfldr_dlsym does not search the host libraries the library depends on (malloc: glibc's "
                   "dlsym finds libc's through the handle, elfldr_dlsym finds nothing), so its misses search fewer "
                   "objects than glibc's",
                   lib);
    double *t[2][NWAYS];
    unsigned long passes[2][NWAYS];
    for (int k = 0; k < 2; k++)
        for (int w = 0; w < NWAYS; w++) {
            t[k][w] = calloc(rounds, sizeof(double));
            if (!t[k][w])
                bench_die("out of memory");
            passes[k][w] = passes_for((enum way)w, k ? misses : hits);
        }
    unsigned long preempted = 0;
    for (unsigned long r = 0; r < rounds; r++) {
        for (int j = 0; j < 2 * NWAYS; j++) {
            int slot = (int)((r + (unsigned long)j) % (2 * NWAYS));
            int k = slot / NWAYS, w = slot % NWAYS;
            struct block b = {(enum way)w, k ? misses : hits, passes[k][w]};
            t[k][w][r] = bench_timed(run_block, &b, &preempted) / (double)(passes[k][w] * nnames);
        }
    }
    bench_info("%s: %lu of %lu blocks were preempted and run again", lib, preempted, rounds * 2 * NWAYS);
    for (int k = 0; k < 2; k++) {
        double peer = bench_median(t[k][PEER], rounds);
        for (int w = OURS_DLSYM; w < NWAYS; w++) {
            char workload[256];
            snprintf(workload, sizeof(workload), "lookup-%s/%s/%s", k ? "miss" : "hit", lib, way_names[w]);
            bench_result(workload, bench_median(t[k][w], rounds), peer, "glibc dlsym", "ns", rounds,
                         w == OURS_SYM ? (k ? "one object only; dlsym searches the dependencies too"
                                            : "one object, the core's API")
                         : k && narrow ? "namespace handle; searches fewer objects than dlsym (host libraries left out)"
                                       : "namespace handle: the library, then its dependencies");
        }
    }
    return 0;
}
