/* SPDX-License-Identifier: BSD-2-Clause */
/* What the core's files share. Nothing here is public. */
#ifndef ELFLDR_INTERNAL_H
#define ELFLDR_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <elfldr.h>

#include "arch_reloc.h"
#include "elf.h"

/* One defined version, or one required version, by its index in DT_VERSYM. */
struct version {
    const char *name; /* NULL: no entry has this index */
    uint32_t hash;
};

/* The decoded dynamic section. Addresses are already biased and checked to lie in the image. */
struct dyninfo {
    const struct elf64_dyn *entries;
    size_t count; /* entries before DT_NULL */

    const char *strtab;
    uint64_t strsz;
    const struct elfldr_sym *symtab;
    size_t nsyms; /* proven from the hash table, or bounded by the segment */

    const uint32_t *sysv_hash;  /* nbucket, nchain, buckets..., chains... */
    const uint32_t *gnu_hash;   /* nbuckets, symoffset, bloom_size, bloom_shift, bloom..., buckets..., chains... */
    /* The headers as validated: a relocation may later write over the tables themselves, so lookups
     * use these copies and re-check every index they read. */
    struct {
        uint32_t nbuckets, symoffset, bloom_size, bloom_shift;
        uint32_t end; /* the symbols the chains cover, [symoffset, end): checked to lie in the image */
        uint64_t bucket_div; /* for gnu_bucket(): 2^64 / nbuckets, rounded up (0 for one bucket) */
        const uint64_t *bloom;
        const uint32_t *buckets, *chains;
    } gnu;
    struct {
        uint32_t nbucket, nchain;
        const uint32_t *buckets, *chains;
    } sysv;

    uintptr_t rela, rel, relr, jmprel;
    uint64_t relasz, relsz, relrsz, pltrelsz;
    uint64_t pltrel; /* DT_RELA or DT_REL */

    uintptr_t pltgot; /* GOT[0..2] are the dynamic linker's: lazy binding's object and entry */
    uintptr_t init, fini;
    uintptr_t init_array, fini_array, preinit_array;
    uint64_t init_arraysz, fini_arraysz, preinit_arraysz;

    const uint16_t *versym;
    uintptr_t verdef, verneed;
    uint64_t verdefnum, verneednum;

    uint64_t soname, rpath, runpath; /* string table offsets; UINT64_MAX when absent */
    uint64_t flags, flags_1;
    bool textrel, symbolic, bind_now;
    size_t needed_count;
};

struct elfldr_obj {
    struct elfldr_ops ops;     /* a copy: the caller's table may go away */
    struct elfldr_hooks hooks; /* a copy; all NULL without hooks */
    unsigned flags;
    size_t alloc_size; /* of this object with its phdrs and name */

    const char *name;
    char *interp;         /* separately allocated, or NULL */
    size_t interp_size;

    uint16_t type;
    uint64_t entry;
    bool has_file_id;
    uint64_t file_id[2];
    struct elfldr_phdr *phdrs;
    size_t phnum;
    uint64_t phoff;

    /* The span: reserved once, released once. */
    uintptr_t base;
    size_t span;
    uintptr_t load_bias;
    bool reserved;

    int dynamic_index, relro_index, tls_index, interp_index, stack_index;
    struct dyninfo dyn;

    struct version *versions; /* separately allocated, indexed by DT_VERSYM values */
    size_t nversions;

    struct tls_module *tls; /* PT_TLS as a module (tls.c), or NULL */
    bool tls_static;        /* the module was given static TLS */
    struct tlsdesc_arg *tlsdesc_args; /* what this object's TLS descriptors point to, freed with it */
    bool relocated;
    bool adopted;   /* mapped and relocated by another loader (the host's): never unmapped here */
    bool announced; /* on_ready was called: on_unload is owed */
    bool initialised; /* constructors ran: destructors are owed */

    /* Constructors' arguments and IFUNC resolvers' arguments. */
    int argc;
    char **argv;
    char **envp;
    uint64_t hwcap, hwcap2;

    struct elfldr_obj *const *scope;
    size_t scope_len;
    /* In a namespace: STB_GNU_UNIQUE definitions go through its table, so that one wins everywhere. */
    struct elfldr_ns *unique_ns;
    /* In a namespace that counts thread_local destructors: __cxa_thread_atexit_impl binds to its thunk
     * (ns_thread_atexit_thunk). */
    bool thread_atexit;
    /* Lazy binding resolves after the load: it keeps a copy of the scope, owned here. */
    bool lazy;
    struct elfldr_obj **owned_scope;
};

/* error.c / format.c */
int set_error(struct elfldr_error *err, enum elfldr_err code, const char *fmt, ...);
void format_message(char *buf, size_t cap, const char *fmt, va_list ap);

/* validate.c: the ELF header and program headers, before anything is mapped. */
int validate_ehdr(const struct elf64_ehdr *eh, uint64_t file_size, struct elfldr_error *err);
int validate_phdrs(struct elfldr_obj *obj, uint64_t file_size, struct elfldr_error *err);

/* map.c */
struct source {
    const unsigned char *bytes; /* a buffer, or NULL for a file */
    intptr_t handle;
    uint64_t size;
    /* A file's first bytes, read once: the ELF header, the program headers and PT_INTERP usually lie
     * there, and each read is a system call. */
    const unsigned char *head;
    size_t head_size;
};
#define SOURCE_HEAD 1024
int map_image(struct elfldr_obj *obj, const struct source *src, uintptr_t hint, struct elfldr_error *err);
void unmap_image(struct elfldr_obj *obj);
int protect_relro(struct elfldr_obj *obj, struct elfldr_error *err);
int set_text_writable(struct elfldr_obj *obj, bool writable, struct elfldr_error *err);
int prot_of(uint32_t p_flags);

/* Where the image is: checks on addresses that came from the file. */
bool in_image(const struct elfldr_obj *obj, uintptr_t addr, uint64_t size);
bool in_writable(const struct elfldr_obj *obj, uintptr_t addr, uint64_t size);
bool in_executable(const struct elfldr_obj *obj, uintptr_t addr);
/* Bytes from `addr` to the end of the segment that holds it; 0 outside the image. */
uint64_t room_after(const struct elfldr_obj *obj, uintptr_t addr);

/* dynamic.c */
int decode_dynamic(struct elfldr_obj *obj, struct elfldr_error *err);
bool string_ok(const struct elfldr_obj *obj, uint64_t offset);
const char *string_at(const struct elfldr_obj *obj, uint64_t offset);

/* symbols.c */
int prepare_symbols(struct elfldr_obj *obj, struct elfldr_error *err);
int prepare_versions(struct elfldr_obj *obj, struct elfldr_error *err);

struct sym_query {
    const char *name;
    size_t name_len;
    uint32_t gnu_hash;
    const char *version; /* NULL: unversioned */
    uint32_t version_hash;
};
void sym_query_init(struct sym_query *q, const char *name, const char *version);
/* The same for a name in a string table, unversioned: false when it has no terminator in `max` bytes
 * (the check and the hash in one pass over the name). */
bool sym_query_init_bounded(struct sym_query *q, const char *name, size_t max);
/* The walk of the hash chains, for a name the object's bloom filter let pass (or that has none): 0 and
 * *out set; ELFLDR_E_NOT_FOUND; or an error (set in err) for a malformed table. */
int find_symbol_in_chains(const struct elfldr_obj *obj, const struct sym_query *q, const struct elfldr_sym **out,
                          struct elfldr_error *err);
/* Whether the GNU bloom filter of `d` may hold a name hashed `h0` or `h1` (the same value twice for one
 * name; a hash chain keeps a hash but for its lowest bit, and is asked with both). */
static inline bool bloom_may_hold(const struct dyninfo *d, uint32_t h0, uint32_t h1)
{
    uint64_t word = d->gnu.bloom[(h0 / 64) & (d->gnu.bloom_size - 1)]; /* the same word for h0 / 2 == h1 / 2 */
    uint64_t mask0 = ((uint64_t)1 << (h0 % 64)) | ((uint64_t)1 << ((h0 >> d->gnu.bloom_shift) % 64));
    uint64_t mask1 = ((uint64_t)1 << (h1 % 64)) | ((uint64_t)1 << ((h1 >> d->gnu.bloom_shift) % 64));
    return (word & mask0) == mask0 || (word & mask1) == mask1;
}
/* hash % nbuckets without a division, which cost a lookup's hit as much as the rest of its arithmetic:
 * hash / nbuckets as a 64-bit fraction (hash times 2^64 / nbuckets, rounded up: bucket_div), times
 * nbuckets, leaves the remainder in the high word. Exact for every 32-bit hash and divisor (Lemire,
 * Kaser and Kurz, "Faster remainder by direct computation", 2019); one bucket has bucket_div 0. */
static inline uint64_t gnu_bucket_div(uint32_t nbuckets) { return UINT64_MAX / nbuckets + 1; }
static inline uint32_t gnu_bucket(const struct dyninfo *d, uint32_t hash)
{
    __extension__ typedef unsigned __int128 u128;
    uint64_t fraction = d->gnu.bucket_div * hash;
    return (uint32_t)(((u128)fraction * d->gnu.nbuckets) >> 64);
}
/* Whether the n bytes at a and b are equal: inline, where a call to memcmp cost a lookup's hit a tenth of
 * its instructions. Where unaligned loads are cheap, eight bytes at a time with the last eight
 * overlapping the rest (four and four below eight); no byte outside the n is read. Elsewhere (riscv64)
 * memcmp. */
static inline bool bytes_equal(const char *a, const char *b, size_t n)
{
#if defined(__x86_64__) || defined(__aarch64__)
    uint64_t x, y;
    uint32_t u, v;
    if (n >= 8) {
        for (size_t i = 0; i + 8 < n; i += 8) {
            __builtin_memcpy(&x, a + i, 8);
            __builtin_memcpy(&y, b + i, 8);
            if (x != y)
                return false;
        }
        __builtin_memcpy(&x, a + n - 8, 8);
        __builtin_memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        __builtin_memcpy(&u, a, 4);
        __builtin_memcpy(&v, b, 4);
        if (u != v)
            return false;
        __builtin_memcpy(&u, a + n - 4, 4);
        __builtin_memcpy(&v, b + n - 4, 4);
        return u == v;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
#else
    return __builtin_memcmp(a, b, n) == 0;
#endif
}
/* Whether the object's chains are worth walking for this hash: its bloom filter, where it has one, may
 * hold it. Asked inline, where most of a scope's objects answer: no call for them. */
static inline bool filter_passes(const struct dyninfo *d, uint32_t gnu_hash)
{
    return !d->gnu_hash || !d->symtab || bloom_may_hold(d, gnu_hash, gnu_hash);
}
/* Whether a symbol in the GNU hash chain of `hash` carries that hash (but for the lowest bit, as the
 * chain keeps it): find_gnu()'s walk without reading a name. False means no lookup of a name with this
 * hash can find anything in the object, whatever the name. */
static inline bool gnu_chain_holds_hash(const struct dyninfo *d, uint32_t hash)
{
    uint32_t i = d->gnu.buckets[gnu_bucket(d, hash)];
    if (i < d->gnu.symoffset)
        return false;
    for (; i < d->gnu.end; i++) {
        uint32_t ch = d->gnu.chains[i - d->gnu.symoffset];
        if ((ch | 1) == (hash | 1))
            return true;
        if (ch & 1)
            break;
    }
    return false;
}
/* find_symbol_in_chains() behind the filter. */
static inline int find_symbol(const struct elfldr_obj *obj, const struct sym_query *q, const struct elfldr_sym **out,
                              struct elfldr_error *err)
{
    return filter_passes(&obj->dyn, q->gnu_hash) ? find_symbol_in_chains(obj, q, out, err) : ELFLDR_E_NOT_FOUND;
}
/* Whether symbol `index` is a definition others may bind to, by the query's version: all a lookup asks
 * of a symbol but its name. */
bool symbol_bindable(const struct elfldr_obj *obj, uint32_t index, const struct sym_query *q);
/* The GNU hashes of the names relocation binds specially (__tls_get_addr to elfldr's, and in a namespace
 * __cxa_thread_atexit_impl to its thunk); tests/cross/gnu_hash.c holds them to the hash function. */
#define GNU_HASH_TLS_GET_ADDR 0x7c8ad2efu
#define GNU_HASH_CXA_THREAD_ATEXIT_IMPL 0x7fa0dc95u
uintptr_t symbol_address(const struct elfldr_obj *obj, const struct elfldr_sym *sym);
/* elfldr_lookup with the query made: one query for a search of many objects. */
int lookup_query(const struct elfldr_obj *obj, const struct sym_query *q, uintptr_t *addr,
                 const struct elfldr_sym **sym);
uint32_t elf_sysv_hash(const char *name);

/* load.c: elfldr_load_handle with the file's identity known already (NULL: asked of the table). */
int load_handle_with_id(intptr_t handle, const char *name, const struct elfldr_load_opts *opts, const uint64_t *known_id,
                        struct elfldr_obj **out, struct elfldr_error *err);

/* pool.c: a namespace's metadata, from chunks of the table beneath (see there). */
#define POOL_CLASSES 8
struct pool_chunk;
struct pool {
    struct elfldr_ops under;
    int lock;
    size_t in_use; /* bytes asked for and not freed */
    size_t held;   /* bytes taken from the table beneath: chunks and large blocks */
    struct pool_chunk *chunks;
    void *free[POOL_CLASSES];
};
/* `ops` becomes a table whose alloc and free are the pool's and whose other calls go to `under`. */
void pool_init(struct pool *p, const struct elfldr_ops *under, struct elfldr_ops *ops);
/* Bytes asked for and not freed, and bytes taken from the table beneath. */
void pool_usage(struct pool *p, size_t *in_use, size_t *held);
/* Gives back every chunk left. */
void pool_destroy(struct pool *p);

/* relocate.c */
/* A filter of the symbols of a scope's first `nobjects` objects (relocate.c), which a namespace keeps
 * for the next relocation against the same global scope: an object relocated with its first place in
 * the scope at `nobjects` uses the filter, or makes it and leaves it here (the caller frees it). */
struct prior_filter;
struct prior_cache {
    struct prior_filter *filter;
    size_t size; /* bytes, as allocated */
    size_t nobjects;
};
int relocate(struct elfldr_obj *obj, struct prior_cache *cache, struct elfldr_error *err);
/* elfldr_relocate with a namespace's cache (NULL: none). */
int relocate_in_scope(struct elfldr_obj *obj, struct elfldr_obj *const *scope, size_t scope_len,
                      struct prior_cache *cache, struct elfldr_error *err);
/* An object unloaded while `holder` lives on: taken out of the scope holder keeps for lazy binding. */
void scope_forget(struct elfldr_obj *holder, uintptr_t gone);
/* ELFLDR_LOAD_CHECK: every relocation checked as relocate() would, nothing written or bound. */
int relocate_check(struct elfldr_obj *obj, struct elfldr_error *err);

/* load.c: an object some other loader mapped and relocated (a host library), for lookups only. */
int adopt_mapped(const struct elfldr_ops *ops, uintptr_t bias, const struct elfldr_phdr *phdrs, size_t phnum,
                 const char *name, struct elfldr_obj **out, struct elfldr_error *err);

/* tls.c */
int tls_register(struct elfldr_obj *obj, struct elfldr_error *err);
void tls_unregister(struct elfldr_obj *obj);
/* A dynamic TLS descriptor's argument: the {module, offset} pair elfldr_tls_get_addr takes. */
struct tlsdesc_arg {
    uintptr_t module, offset;
    struct tlsdesc_arg *next;
};
/* The descriptor's two words for `module` at `offset` (S + A) in its block, for `obj`. */
int tlsdesc_words(struct elfldr_obj *obj, const struct elfldr_obj *module, uint64_t offset, uintptr_t words[2],
                  struct elfldr_error *err);
void tlsdesc_free(struct elfldr_obj *obj);
/* Give the object's module static TLS through the static_tls hook (once). */
int tls_make_static(struct elfldr_obj *obj, struct elfldr_error *err);
intptr_t tls_static_offset(const struct elfldr_obj *obj);

/* ns.c: the one definition of a unique symbol in the namespace: the first seen is kept, and every
 * later binding gets its address. */
/* The namespace's __cxa_thread_atexit_impl thunk, made at the first call; 0 when it cannot be made. */
uintptr_t ns_thread_atexit_thunk(struct elfldr_ns *ns);
/* -1 when there is no memory to remember the definition. */
int ns_unique_symbol(struct elfldr_ns *ns, const char *name, uint32_t gnu_hash, const struct elfldr_obj *definer,
                     uintptr_t *value);

/* lazy.c: the entry the PLT reaches through GOT[2], and what it calls. */
bool lazy_supported(void);
unsigned lazy_got_object_slot(void);
unsigned lazy_got_entry_slot(void);
uintptr_t lazy_entry_address(void);
uintptr_t lazy_fixup(struct elfldr_obj *obj, uintptr_t index);
int apply_one_jump_slot(struct elfldr_obj *obj, size_t index, uintptr_t *value);

/* init.c */
int run_constructors(struct elfldr_obj *obj, struct elfldr_error *err);
/* ELFLDR_LOAD_CHECK: DT_INIT and DT_FINI, and the arrays' entries where no relocation changes them
 * (a fixed-address executable); check_constructor_slot takes a relocated entry's value. */
int check_constructors(const struct elfldr_obj *obj, struct elfldr_error *err);
int check_constructor_slot(const struct elfldr_obj *obj, uintptr_t where, uintptr_t value, struct elfldr_error *err);
int run_destructors(struct elfldr_obj *obj, struct elfldr_error *err);

/* Small helpers with no library behind them. */
static inline uintptr_t page_down(uintptr_t v, size_t page) { return v & ~(uintptr_t)(page - 1); }
static inline uintptr_t page_up(uintptr_t v, size_t page) { return (v + page - 1) & ~(uintptr_t)(page - 1); }
static inline bool is_pow2(uint64_t v) { return v != 0 && (v & (v - 1)) == 0; }
size_t str_len(const char *s);
int str_cmp(const char *a, const char *b);

#endif
