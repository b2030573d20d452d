/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Symbols: the size of the symbol table proven from the hash tables, the version tables gathered by
 * index, and lookup through GNU hash (with its bloom filter) or SysV hash.
 *
 * Version rules (gABI, as glibc applies them):
 *  - a versioned reference binds only a definition of that version (name and hash equal); a
 *    definition in an object without version information is accepted, as glibc accepts it;
 *  - an unversioned reference binds the default definition, never a hidden one (VERSYM bit 15);
 *  - a requested version whose hash is 0 matches nothing.
 */
#include "internal.h"

#define U(x) ((uint64_t)(x))

uint32_t elf_sysv_hash(const char *name)
{
    uint32_t h = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h = (h << 4) + *p;
        uint32_t g = h & 0xf0000000u;
        h ^= g >> 24;
        h &= ~g;
    }
    return h;
}

/* For the lookup's steps: one function for each way in (a caller's name, a relocation's), no calls within. */
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Eight characters of a name, c0 in the lowest byte of `v`, as the GNU hash adds them:
 * c0 * 33^7 + c1 * 33^6 + ... + c7 (mod 2^32), in three multiplications rather than eight: pairs
 * c[2j] * 33 + c[2j+1] side by side in 16-bit lanes (at most 8,670), then pairs of those, times 33^2,
 * in 32-bit lanes (at most 9,450,300), then the two halves. No lane carries into the next. */
static inline uint32_t gnu_hash_word(uint64_t v)
{
    const uint64_t lanes8 = 0x00FF00FF00FF00FFull, lanes16 = 0x0000FFFF0000FFFFull;
    uint64_t pairs = (v & lanes8) * 33 + ((v >> 8) & lanes8);
    uint64_t quads = (pairs & lanes16) * (33 * 33) + ((pairs >> 16) & lanes16);
    return (uint32_t)quads * (33u * 33 * 33 * 33) + (uint32_t)(quads >> 32);
}

/* The bytes of a word that are zero, as the high bit of each; the lowest marked byte is the first zero
 * (a borrow can mark bytes above it, never below). */
static inline uint64_t zero_bytes(uint64_t v)
{
    return (v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull;
}

/* The index of the lowest marked byte of zero_bytes()'s nonzero answer. x86-64 and aarch64 count the
 * trailing zero bits in one instruction; elsewhere (riscv64 without Zbb, where the builtin would call
 * libgcc) the bytes below the mark are summed. */
static inline unsigned first_marked_byte(uint64_t z)
{
#if defined(__x86_64__) || defined(__aarch64__)
    return (unsigned)__builtin_ctzll(z) / 8;
#else
    uint64_t below = ((z & (~z + 1)) >> 7) - 1; /* the bits of the bytes below the mark */
    return (unsigned)(((below & 0x0101010101010101ull) * 0x0101010101010101ull) >> 56);
#endif
}

/* 33^k for k = 0 to 8 (mod 2^32). */
static inline uint32_t pow33(unsigned k)
{
    static const uint32_t p[9] = {1u, 33u, 33u * 33, 33u * 33 * 33, 33u * 33 * 33 * 33, 33u * 33 * 33 * 33 * 33,
                                  33u * 33 * 33 * 33 * 33 * 33, 33u * 33 * 33 * 33 * 33 * 33 * 33,
                                  33u * 33 * 33 * 33 * 33 * 33 * 33 * 33};
    return p[k];
}

/* The first k (0 to 8) characters of `v` (c0 in the lowest byte), as the GNU hash adds them: moved to
 * the top of the word, where gnu_hash_word() weighs them 33^(k-1) down to 1. */
static inline uint32_t gnu_hash_head(uint64_t v, unsigned k)
{
    return k ? gnu_hash_word(v << (8 * (8 - k))) : 0;
}

/* The GNU hash of a name in a string table and its length, at most `max` bytes read: max is returned
 * when none of them ends the name. Four characters a step while four are there and none ends the name
 * (h * 33^4 + ...: the chain of dependent multiply-adds a quarter as long). Not eight a step as for a
 * caller's name (gnu_hash_terminated): the names a relocation run hashes are short and start anywhere,
 * and the three loops that takes made a libsqlite3 load cycle about 5% slower than these two. */
static size_t gnu_hash_bounded(const unsigned char *s, size_t max, uint32_t *hash)
{
    uint32_t h = 5381;
    size_t n = 0;
    for (; max - n >= 4 && s[n] && s[n + 1] && s[n + 2] && s[n + 3]; n += 4)
        h = h * (33u * 33 * 33 * 33) + s[n] * (33u * 33 * 33) + s[n + 1] * (33u * 33) + s[n + 2] * 33u + s[n + 3];
    for (; n < max && s[n]; n++)
        h = h * 33 + s[n];
    *hash = h;
    return n;
}

/* The same for a caller's name, which is terminated: up to an 8-byte boundary a character at a time,
 * then aligned words to the one that holds the terminator, whose characters before it are added in
 * one step (gnu_hash_head). That word is read whole, bytes past the name included; it is aligned, so
 * it lies in the terminator's page, which is mapped. That read is why this is not instrumented by
 * AddressSanitizer or ThreadSanitizer. */
#define NOT_SANITIZED __attribute__((no_sanitize("address", "thread")))

struct hashed {
    size_t len;
    uint32_t hash;
};

static NOT_SANITIZED struct hashed gnu_hash_terminated(const unsigned char *s)
{
    uint32_t h = 5381;
    size_t n = 0;
    for (; ((uintptr_t)(s + n) & 7) != 0 && s[n]; n++)
        h = h * 33 + s[n];
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if ((uintptr_t)(s + n) % 8 == 0) {
        for (;; n += 8) {
            uint64_t v;
            __builtin_memcpy(&v, s + n, 8);
            uint64_t z = zero_bytes(v);
            if (z) {
                unsigned k = first_marked_byte(z);
                return (struct hashed){n + k, h * pow33(k) + gnu_hash_head(v, k)};
            }
            h = h * pow33(8) + gnu_hash_word(v);
        }
    }
#endif
    for (; s[n]; n++)
        h = h * 33 + s[n];
    return (struct hashed){n, h};
}

bool sym_query_init_bounded(struct sym_query *q, const char *name, size_t max)
{
    size_t n = gnu_hash_bounded((const unsigned char *)name, max, &q->gnu_hash);
    if (n == max)
        return false;
    q->name = name;
    q->name_len = n; /* name_equals compares with it */
    q->version = NULL;
    q->version_hash = 0;
    return true;
}

static ALWAYS_INLINE void query_init(struct sym_query *q, const char *name, const char *version)
{
    q->name = name;
    struct hashed h = gnu_hash_terminated((const unsigned char *)name); /* in two registers */
    q->name_len = h.len;
    q->gnu_hash = h.hash;
    q->version = version;
    q->version_hash = version ? elf_sysv_hash(version) : 0;
}

void sym_query_init(struct sym_query *q, const char *name, const char *version)
{
    query_init(q, name, version);
}

static bool overlaps(uintptr_t lo, uintptr_t hi, uintptr_t start, uint64_t size)
{
    return start && size && start < hi && lo < start + size;
}

/* GNU hash: the table's header, bloom words and buckets must lie in the image; the symbol count is the
 * end of the chain of the highest bucket. */
static int prepare_gnu_hash(struct elfldr_obj *obj, struct elfldr_error *err)
{
    struct dyninfo *d = &obj->dyn;
    const uint32_t *h = d->gnu_hash;
    uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2], bloom_shift = h[3];
    /* The shift applies to a 32-bit hash: 32 or more is no filter (and shifting by it undefined). */
    if (nbuckets == 0 || !is_pow2(bloom_size) || bloom_shift >= 32)
        return set_error(err, ELFLDR_E_HASH, "DT_GNU_HASH: %u buckets, bloom size %u, shift %u is not a valid header",
                         U(nbuckets), U(bloom_size), U(bloom_shift));
    uint64_t head = 16 + U(bloom_size) * 8 + U(nbuckets) * 4;
    if (!in_image(obj, (uintptr_t)h, head))
        return set_error(err, ELFLDR_E_HASH, "DT_GNU_HASH: header, bloom and buckets (%x bytes) pass the image", head);
    const uint32_t *buckets = (const uint32_t *)((const uint64_t *)(h + 4) + bloom_size);
    const uint32_t *chains = buckets + nbuckets;
    d->gnu.nbuckets = nbuckets;
    d->gnu.bucket_div = gnu_bucket_div(nbuckets);
    d->gnu.symoffset = symoffset;
    d->gnu.bloom_size = bloom_size;
    d->gnu.bloom_shift = bloom_shift;
    d->gnu.bloom = (const uint64_t *)(h + 4);
    d->gnu.buckets = buckets;
    d->gnu.chains = chains;
    uint32_t last = 0;
    for (uint32_t b = 0; b < nbuckets; b++) {
        if (buckets[b] != 0 && buckets[b] < symoffset)
            return set_error(err, ELFLDR_E_HASH, "DT_GNU_HASH: bucket %u starts at symbol %u, below symoffset %u", U(b),
                             U(buckets[b]), U(symoffset));
        if (buckets[b] > last)
            last = buckets[b];
    }
    size_t nsyms = symoffset;
    if (last) {
        /* Every chain ends before the next begins, so walking the last one bounds them all; within
         * the segment that holds its start (segments need not be adjacent). */
        const uint32_t *c = chains + (last - symoffset);
        uint64_t room = room_after(obj, (uintptr_t)c) / 4;
        uint64_t i = 0;
        while (i < room && !(c[i] & 1))
            i++;
        if (i == room)
            return set_error(err, ELFLDR_E_HASH, "DT_GNU_HASH: the chain from bucket symbol %u has no end", U(last));
        nsyms = (size_t)(last + i + 1);
    }
    /* A bucket past the real symbols sends the walk into whatever follows the chains; the chains
     * running into the symbol or string table is the sign of it. */
    uintptr_t chains_end = (uintptr_t)(chains + (nsyms - symoffset));
    if (overlaps((uintptr_t)chains, chains_end, (uintptr_t)d->symtab, U(nsyms) * sizeof(struct elfldr_sym)) ||
        overlaps((uintptr_t)chains, chains_end, (uintptr_t)d->strtab, d->strsz))
        return set_error(err, ELFLDR_E_HASH, "DT_GNU_HASH: its chains for %u symbols run into the symbol or string table",
                         U(nsyms));
    d->nsyms = nsyms;
    d->gnu.end = (uint32_t)nsyms; /* nsyms may grow (DT_HASH, the layout); the chains do not */
    return 0;
}

static bool gnu_hashes_any(const struct dyninfo *d)
{
    for (uint32_t b = 0; b < d->gnu.nbuckets; b++)
        if (d->gnu.buckets[b] != 0)
            return true;
    return false;
}

/* SysV hash: every chain must end; a cycle would make a lookup spin. Their steps, in all, cannot
 * exceed nchain if each symbol is on one chain. */
static int prepare_sysv_hash(struct elfldr_obj *obj, bool for_lookup, struct elfldr_error *err)
{
    struct dyninfo *d = &obj->dyn;
    const uint32_t *h = d->sysv_hash;
    uint32_t nbucket = h[0], nchain = h[1];
    if (!in_image(obj, (uintptr_t)h, 8 + (U(nbucket) + nchain) * 4))
        return set_error(err, ELFLDR_E_HASH, "DT_HASH: %u buckets and %u chains pass the image", U(nbucket), U(nchain));
    d->sysv.nbucket = nbucket;
    d->sysv.nchain = nchain;
    d->sysv.buckets = h + 2;
    d->sysv.chains = h + 2 + nbucket;
    if (!for_lookup) {
        if (d->nsyms > nchain)
            return set_error(err, ELFLDR_E_HASH, "DT_GNU_HASH counts %u symbols but DT_HASH only %u", U(d->nsyms),
                             U(nchain));
        if (nchain > d->nsyms)
            d->nsyms = nchain; /* the larger count: undefined symbols may lie past the GNU chains */
        return 0;
    }
    if (nbucket == 0 && nchain != 0)
        return set_error(err, ELFLDR_E_HASH, "DT_HASH: no buckets for %u symbols", U(nchain));
    const uint32_t *buckets = h + 2, *chains = h + 2 + nbucket;
    uint64_t steps = 0;
    for (uint32_t b = 0; b < nbucket; b++) {
        for (uint32_t i = buckets[b]; i != 0; i = chains[i]) {
            if (i >= nchain)
                return set_error(err, ELFLDR_E_HASH, "DT_HASH: bucket %u leads to symbol %u, beyond nchain %u", U(b), U(i),
                                 U(nchain));
            if (++steps > nchain)
                return set_error(err, ELFLDR_E_HASH, "DT_HASH: the chain of bucket %u has no end", U(b));
        }
    }
    d->nsyms = nchain;
    return 0;
}

/* Whether `n` symbols fit where the image puts them: the table and its DT_VERSYM in the image, the
 * table not running into the string table that follows it. */
static bool symbols_fit(const struct elfldr_obj *obj, uint64_t n)
{
    const struct dyninfo *d = &obj->dyn;
    uintptr_t table = (uintptr_t)d->symtab, strings = (uintptr_t)d->strtab;
    return in_image(obj, table, n * sizeof(struct elfldr_sym)) && (!d->versym || in_image(obj, (uintptr_t)d->versym, n * 2)) &&
           !(strings > table && n * sizeof(struct elfldr_sym) > strings - table);
}

/* The most symbols the layout allows, when no hash table counts them. */
static size_t symbols_by_layout(const struct elfldr_obj *obj)
{
    uint64_t n = 1;
    while (n < ((uint64_t)1 << 32) && symbols_fit(obj, n))
        n *= 2;
    uint64_t lo = n / 2, hi = n; /* lo fits (or is 0), hi does not (or is the cap) */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (symbols_fit(obj, mid))
            lo = mid;
        else
            hi = mid;
    }
    return (size_t)lo;
}

int prepare_symbols(struct elfldr_obj *obj, struct elfldr_error *err)
{
    struct dyninfo *d = &obj->dyn;
    int rc;
    if (d->gnu_hash && (rc = prepare_gnu_hash(obj, err)))
        return rc;
    if (d->sysv_hash && (rc = prepare_sysv_hash(obj, !d->gnu_hash, err)))
        return rc;
    if (!d->symtab) {
        if (d->nsyms > 0 && (d->gnu_hash || d->sysv_hash))
            return set_error(err, ELFLDR_E_SYMTAB, "dynamic: a hash table for %u symbols but no DT_SYMTAB", U(d->nsyms));
        d->nsyms = 0;
        return 0;
    }
    /* Nothing proves the count without a hash table; nor does a GNU hash table that hashes no symbol,
     * whose symoffset GNU ld leaves at 1 with the undefined symbols after it (a library or program
     * that exports nothing): bound it by the layout. */
    if ((!d->gnu_hash && !d->sysv_hash) || (!d->sysv_hash && d->nsyms == d->gnu.symoffset && !gnu_hashes_any(d))) {
        size_t n = symbols_by_layout(obj);
        if (n > d->nsyms)
            d->nsyms = n;
        if (!d->gnu_hash)
            return 0;
    }
    if (!in_image(obj, (uintptr_t)d->symtab, U(d->nsyms) * sizeof(struct elfldr_sym)))
        return set_error(err, ELFLDR_E_SYMTAB, "DT_SYMTAB: %u symbols pass the image", U(d->nsyms));
    if (d->versym && !in_image(obj, (uintptr_t)d->versym, U(d->nsyms) * 2))
        return set_error(err, ELFLDR_E_DYN_PTR, "DT_VERSYM: %u entries pass the image", U(d->nsyms));
    return 0;
}

/* ---- version tables ---------------------------------------------------------------------------- */

static int version_slot(struct elfldr_obj *obj, uint32_t index, const char *name, uint32_t hash, const char *what,
                        struct elfldr_error *err)
{
    if (index >= obj->nversions)
        return set_error(err, ELFLDR_E_VERSYM, "%s: version index %u out of range", what, U(index));
    obj->versions[index].name = name;
    obj->versions[index].hash = hash;
    return 0;
}

/* Walk DT_VERDEF (or DT_VERNEED's auxiliaries): `visit` with each entry, bounded by the count and the
 * image; the last entry must end the chain. Returns the highest index seen through *max_index. */
static int walk_verdef(struct elfldr_obj *obj, bool fill, uint32_t *max_index, struct elfldr_error *err)
{
    const struct dyninfo *d = &obj->dyn;
    uintptr_t at = d->verdef;
    uint64_t limit = d->verdefnum ? d->verdefnum : 0x7fff;
    for (uint64_t n = 0; n < limit; n++) {
        if (!in_image(obj, at, sizeof(struct elf64_verdef)) || at % 4)
            return set_error(err, ELFLDR_E_VERSYM, "DT_VERDEF: entry %u at %x is outside the image", U(n),
                             U(at - obj->load_bias));
        const struct elf64_verdef *vd = (const struct elf64_verdef *)at;
        uintptr_t aux = at + vd->vd_aux;
        if (vd->vd_version != 1 || vd->vd_cnt == 0 || !in_image(obj, aux, sizeof(struct elf64_verdaux)) || aux % 4)
            return set_error(err, ELFLDR_E_VERSYM, "DT_VERDEF: entry %u is malformed", U(n));
        const char *name = string_at(obj, ((const struct elf64_verdaux *)aux)->vda_name);
        if (!name)
            return set_error(err, ELFLDR_E_STRTAB, "DT_VERDEF: entry %u names a string outside DT_STRSZ", U(n));
        uint32_t index = vd->vd_ndx & VERSYM_INDEX;
        if (index > *max_index)
            *max_index = index;
        if (fill && !(vd->vd_flags & VER_FLG_BASE)) {
            int rc = version_slot(obj, index, name, vd->vd_hash, "DT_VERDEF", err);
            if (rc)
                return rc;
        }
        if (vd->vd_next == 0)
            return (d->verdefnum && n + 1 != d->verdefnum)
                       ? set_error(err, ELFLDR_E_VERSYM, "DT_VERDEF: %u entries, not DT_VERDEFNUM %u", U(n + 1),
                                   d->verdefnum)
                       : 0;
        at += vd->vd_next;
    }
    return set_error(err, ELFLDR_E_VERSYM, "DT_VERDEF: the chain does not end after %u entries", limit);
}

static int walk_vernaux(struct elfldr_obj *obj, uintptr_t at, uint32_t count, bool fill, uint32_t *max_index,
                        struct elfldr_error *err)
{
    for (uint32_t n = 0; n < count; n++) {
        if (!in_image(obj, at, sizeof(struct elf64_vernaux)) || at % 4)
            return set_error(err, ELFLDR_E_VERSYM, "DT_VERNEED: auxiliary entry %u is outside the image", U(n));
        const struct elf64_vernaux *va = (const struct elf64_vernaux *)at;
        const char *name = string_at(obj, va->vna_name);
        if (!name)
            return set_error(err, ELFLDR_E_STRTAB, "DT_VERNEED: a version names a string outside DT_STRSZ");
        uint32_t index = va->vna_other & VERSYM_INDEX;
        if (index > *max_index)
            *max_index = index;
        if (fill) {
            int rc = version_slot(obj, index, name, va->vna_hash, "DT_VERNEED", err);
            if (rc)
                return rc;
        }
        if (va->vna_next == 0)
            return n + 1 == count ? 0
                                  : set_error(err, ELFLDR_E_VERSYM, "DT_VERNEED: %u versions, not vn_cnt %u", U(n + 1),
                                              U(count));
        at += va->vna_next;
    }
    return set_error(err, ELFLDR_E_VERSYM, "DT_VERNEED: the versions of a file do not end after vn_cnt %u", U(count));
}

static int walk_verneed(struct elfldr_obj *obj, bool fill, uint32_t *max_index, struct elfldr_error *err)
{
    const struct dyninfo *d = &obj->dyn;
    uintptr_t at = d->verneed;
    uint64_t limit = d->verneednum ? d->verneednum : 0x7fff;
    for (uint64_t n = 0; n < limit; n++) {
        if (!in_image(obj, at, sizeof(struct elf64_verneed)) || at % 4)
            return set_error(err, ELFLDR_E_VERSYM, "DT_VERNEED: entry %u is outside the image", U(n));
        const struct elf64_verneed *vn = (const struct elf64_verneed *)at;
        if (vn->vn_version != 1 || !string_ok(obj, vn->vn_file))
            return set_error(err, ELFLDR_E_VERSYM, "DT_VERNEED: entry %u is malformed", U(n));
        int rc = walk_vernaux(obj, at + vn->vn_aux, vn->vn_cnt, fill, max_index, err);
        if (rc)
            return rc;
        if (vn->vn_next == 0)
            return (d->verneednum && n + 1 != d->verneednum)
                       ? set_error(err, ELFLDR_E_VERSYM, "DT_VERNEED: %u entries, not DT_VERNEEDNUM %u", U(n + 1),
                                   d->verneednum)
                       : 0;
        at += vn->vn_next;
    }
    return set_error(err, ELFLDR_E_VERSYM, "DT_VERNEED: the chain does not end after %u entries", limit);
}

int prepare_versions(struct elfldr_obj *obj, struct elfldr_error *err)
{
    const struct dyninfo *d = &obj->dyn;
    uint32_t max_index = 1;
    int rc;
    if (!d->versym)
        return 0;
    if ((d->verdef && (rc = walk_verdef(obj, false, &max_index, err))) ||
        (d->verneed && (rc = walk_verneed(obj, false, &max_index, err))))
        return rc;
    obj->nversions = (size_t)max_index + 1;
    obj->versions = obj->ops.alloc(obj->ops.ctx, obj->nversions * sizeof(struct version));
    if (!obj->versions)
        return set_error(err, ELFLDR_E_NOMEM, "cannot allocate %u bytes for the version table",
                         U(obj->nversions * sizeof(struct version)));
    __builtin_memset(obj->versions, 0, obj->nversions * sizeof(struct version));
    if ((d->verdef && (rc = walk_verdef(obj, true, &max_index, err))) ||
        (d->verneed && (rc = walk_verneed(obj, true, &max_index, err))))
        return rc;
    return 0;
}

/* ---- lookup ------------------------------------------------------------------------------------ */

/* The name and its terminator lie within DT_STRSZ and equal the query's, the length known. */
static ALWAYS_INLINE bool name_equals(const struct elfldr_obj *obj, uint32_t st_name, const struct sym_query *q)
{
    const struct dyninfo *d = &obj->dyn;
    return st_name < d->strsz && d->strsz - st_name > q->name_len &&
           bytes_equal(d->strtab + st_name, q->name, q->name_len + 1);
}

static ALWAYS_INLINE bool version_matches(const struct elfldr_obj *obj, uint32_t index, const struct sym_query *q)
{
    uint16_t vs = obj->dyn.versym[index];
    if (!q->version)
        return (vs & VERSYM_HIDDEN) == 0 && (vs & VERSYM_INDEX) != VER_NDX_LOCAL;
    uint32_t v = vs & VERSYM_INDEX;
    if (v == VER_NDX_LOCAL)
        return false;
    if (v >= obj->nversions || !obj->versions[v].name)
        return v == VER_NDX_GLOBAL && !(vs & VERSYM_HIDDEN); /* unversioned definition */
    /* The same string when an object binds to its own versioned definitions. */
    const char *name = obj->versions[v].name;
    return q->version_hash != 0 && obj->versions[v].hash == q->version_hash &&
           (name == q->version || str_cmp(name, q->version) == 0);
}

static ALWAYS_INLINE bool bindable(const struct elfldr_obj *obj, uint32_t index, const struct sym_query *q)
{
    const struct elfldr_sym *s = &obj->dyn.symtab[index];
    unsigned type = ELF_ST_TYPE(s->st_info), bind = ELF_ST_BIND(s->st_info);
    if (s->st_shndx == SHN_UNDEF && type != STT_TLS)
        return false;
    if (bind != STB_GLOBAL && bind != STB_WEAK && bind != STB_GNU_UNIQUE)
        return false;
    if (type != STT_NOTYPE && type != STT_OBJECT && type != STT_FUNC && type != STT_COMMON && type != STT_TLS &&
        type != STT_GNU_IFUNC)
        return false;
    unsigned vis = ELF_ST_VISIBILITY(s->st_other);
    if (vis == STV_HIDDEN || vis == STV_INTERNAL)
        return false;
    return !obj->dyn.versym || version_matches(obj, index, q);
}

bool symbol_bindable(const struct elfldr_obj *obj, uint32_t index, const struct sym_query *q)
{
    return bindable(obj, index, q);
}

/* Whether symbol `index` is a definition another object may bind to, by this name and version. */
static ALWAYS_INLINE bool symbol_matches(const struct elfldr_obj *obj, uint32_t index, const struct sym_query *q)
{
    return name_equals(obj, obj->dyn.symtab[index].st_name, q) && bindable(obj, index, q);
}

static ALWAYS_INLINE int find_gnu(const struct elfldr_obj *obj, const struct sym_query *q, uint32_t *out)
{
    const struct dyninfo *d = &obj->dyn;
    uint32_t i = d->gnu.buckets[gnu_bucket(d, q->gnu_hash)]; /* the bloom filter passed (find_symbol) */
    if (i < d->gnu.symoffset)
        return ELFLDR_E_NOT_FOUND;
    /* prepare_gnu_hash proved the chains lie in the image up to gnu.end; stop there whatever they say. */
    for (; i < d->gnu.end; i++) {
        uint32_t ch = d->gnu.chains[i - d->gnu.symoffset];
        if ((ch | 1) == (q->gnu_hash | 1) && symbol_matches(obj, i, q)) {
            *out = i;
            return 0;
        }
        if (ch & 1)
            break;
    }
    return ELFLDR_E_NOT_FOUND;
}

static int find_sysv(const struct elfldr_obj *obj, const struct sym_query *q, uint32_t *out)
{
    const struct dyninfo *d = &obj->dyn;
    uint32_t nchain = d->sysv.nchain;
    if (d->sysv.nbucket == 0)
        return ELFLDR_E_NOT_FOUND;
    /* At most nchain steps, each index checked: the table may have been written over since it was
     * validated. */
    /* The SysV hash of the name is made here, not with the query: few objects lack DT_GNU_HASH. */
    uint32_t i = d->sysv.buckets[elf_sysv_hash(q->name) % d->sysv.nbucket];
    for (uint32_t steps = 0; i != 0 && i < nchain && i < d->nsyms && steps < nchain; steps++, i = d->sysv.chains[i]) {
        if (symbol_matches(obj, i, q)) {
            *out = i;
            return 0;
        }
    }
    return ELFLDR_E_NOT_FOUND;
}

static ALWAYS_INLINE int in_chains(const struct elfldr_obj *obj, const struct sym_query *q, const struct elfldr_sym **out)
{
    uint32_t index;
    int rc;
    if (!obj->dyn.symtab)
        return ELFLDR_E_NOT_FOUND;
    if (obj->dyn.gnu_hash)
        rc = find_gnu(obj, q, &index);
    else if (obj->dyn.sysv_hash)
        rc = find_sysv(obj, q, &index);
    else
        rc = ELFLDR_E_NOT_FOUND;
    if (rc == 0)
        *out = &obj->dyn.symtab[index];
    return rc;
}

int find_symbol_in_chains(const struct elfldr_obj *obj, const struct sym_query *q, const struct elfldr_sym **out,
                          struct elfldr_error *err)
{
    (void)err;
    return in_chains(obj, q, out);
}

uintptr_t symbol_address(const struct elfldr_obj *obj, const struct elfldr_sym *sym)
{
    if (sym->st_shndx == SHN_ABS)
        return sym->st_value;
    return obj->load_bias + sym->st_value;
}

/* What a lookup does once the object's bloom filter let the name pass. */
static __attribute__((noinline)) int lookup_in_chains(const struct elfldr_obj *obj, const struct sym_query *q,
                                                      uintptr_t *addr, const struct elfldr_sym **sym)
{
    const struct elfldr_sym *found;
    int rc = in_chains(obj, q, &found);
    if (rc)
        return rc;
    uintptr_t value = symbol_address(obj, found);
    if (ELF_ST_TYPE(found->st_info) == STT_GNU_IFUNC) {
        if (!in_executable(obj, value))
            return ELFLDR_E_INIT;
        if (!(obj->flags & ELFLDR_LOAD_NO_RUN))
            value = arch_call_ifunc(value, obj->hwcap, obj->hwcap2);
    }
    if (addr)
        *addr = value;
    if (sym)
        *sym = found;
    return 0;
}

/* The filter is asked inline: most lookups in most objects end there, without a call. */
static ALWAYS_INLINE int lookup_inline(const struct elfldr_obj *obj, const struct sym_query *q, uintptr_t *addr,
                                       const struct elfldr_sym **sym)
{
    if (q->version && (obj->flags & ELFLDR_LOAD_MAP_ONLY) && !obj->versions)
        return ELFLDR_E_NOT_FOUND; /* no version table was built */
    if (!filter_passes(&obj->dyn, q->gnu_hash))
        return ELFLDR_E_NOT_FOUND;
    return lookup_in_chains(obj, q, addr, sym);
}

int lookup_query(const struct elfldr_obj *obj, const struct sym_query *q, uintptr_t *addr,
                 const struct elfldr_sym **sym)
{
    return lookup_inline(obj, q, addr, sym);
}

/* elfldr_lookup's body, inline in each public way in: whether the compiler inlined elfldr_lookup into
 * elfldr_sym varied with the rest of the unit, and a call cost a miss a tenth of its instructions. */
static ALWAYS_INLINE int lookup_name(const struct elfldr_obj *obj, const char *name, const char *version,
                                     uintptr_t *addr, const struct elfldr_sym **sym)
{
    if (!obj || !name)
        return ELFLDR_E_INVAL;
    struct sym_query q;
    query_init(&q, name, version);
    return lookup_inline(obj, &q, addr, sym);
}

int elfldr_lookup(const struct elfldr_obj *obj, const char *name, const char *version, uintptr_t *addr,
                  const struct elfldr_sym **sym)
{
    return lookup_name(obj, name, version, addr, sym);
}

void *elfldr_sym(const struct elfldr_obj *obj, const char *name)
{
    uintptr_t addr;
    return lookup_name(obj, name, NULL, &addr, NULL) == 0 ? (void *)addr : NULL;
}

void *elfldr_vsym(const struct elfldr_obj *obj, const char *name, const char *version)
{
    uintptr_t addr;
    if (!version)
        return NULL;
    return lookup_name(obj, name, version, &addr, NULL) == 0 ? (void *)addr : NULL;
}
