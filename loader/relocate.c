/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one relocation driver for every architecture: arch_reloc_class() maps the architecture's type
 * to a class, and the class says what to compute. Order: RELR, REL, RELA, JMPREL, then IRELATIVE
 * from all tables last (their resolvers may use anything else relocated). Every target is checked to
 * lie in a writable segment of the object (any segment with DT_TEXTREL) before it is read or written.
 *
 * The work is per entry, and libraries have tens of thousands (libpython: 26k RELATIVE, 13k R_X86_64_64),
 * so the common entries take a short way where nothing can watch: with no reloc_before or reloc_after
 * hook and no ELFLDR_LOAD_CHECK, RELATIVE, ABS64, GLOB_DAT and (eager) JUMP_SLOT entries are computed
 * and stored without a struct elfldr_reloc, with the same checks in the same order. Every other entry,
 * and every entry an observer is set for, goes through apply(). The writable segments are found once
 * per relocation run, and each table is walked once: a second walk, for IRELATIVE, only when the first
 * met some. A symbol is resolved once per run where the 64-slot cache keeps it, and a library's
 * reference to its own export (most of a large library's) binds without its name being read or
 * hashed, where the objects before it rule the name out (binds_to_itself).
 */
#include "arch_tls.h"
#include "internal.h"

#define U(x) ((uint64_t)(x))

struct sym_cache {
    bool valid;
    uint32_t index;
    uintptr_t value;
    uint64_t size;
    const struct elfldr_obj *def_obj;
};

/* A segment relocations may write to, [start, start + size) as in_writable() (map.c) sees it. */
struct writable_range {
    uintptr_t start;
    uint64_t size;
};

/* Objects have one or two writable PT_LOADs (lld: RELRO apart), four or five with DT_TEXTREL; for the
 * rare object with more, in_writable()'s scan decides what the array does not hold. */
#define MAX_WRITABLE 8

/* Symbols resolved so far, by index: the GOT and PLT entries of one symbol, and the many references
 * to a few hot ones, lie apart in the tables. Direct-mapped; a slot is in use when its bit in
 * resolved_used is set, so that a relocation run (and each lazy binding, which makes a state of its
 * own) starts without clearing the slots. */
#define RESOLVED_SLOTS 64

struct reloc_state {
    struct elfldr_obj *obj;
    struct elfldr_error *err;
    struct sym_cache cache; /* the last symbol resolved: the fast path's runs compare against it */
    uint64_t resolved_used; /* bit i: resolved[i] holds a symbol */
    struct sym_cache resolved[RESOLVED_SLOTS]; /* not cleared: read only where its bit is set */
    bool irelative_pass;
    size_t irelative_count; /* IRELATIVE entries the first pass left for the second */
    bool lazy_table;   /* JUMP_SLOT entries are left for lazy_fixup, only rebased */
    uintptr_t tlsdesc[2]; /* the descriptor compute_tls made for an R_*_TLSDESC */
    const char *table; /* "DT_RELA", ... for messages */
    bool check_only;   /* ELFLDR_LOAD_CHECK: check each entry, write and bind nothing */
    bool fast;         /* no reloc_before/reloc_after hook, no check: common entries take the short way */
    bool lazy_bind;    /* binding one PLT slot at its first call: other threads may bind it too */
    struct writable_range writable[MAX_WRITABLE];
    size_t nwritable;
    bool more_writable; /* writable segments beyond the array: in_writable() decides */
    /* The hashes the objects before this one define, as one filter (struct prior_filter), made once a
     * run has asked the short way enough times to pay for it. */
    struct prior_filter *prior;
    size_t prior_size;
    struct prior_cache *prior_cache; /* the namespace's, where this object may use or fill it */
    bool prior_kept;         /* prior is the cache's: not freed with the run */
    bool prior_counted;      /* prior_calls_left is set */
    size_t prior_calls_left; /* questions before the filter is made; 0 once counted: none to be made */
};

struct reloc_entry {
    uint64_t offset;
    uint32_t type;
    uint32_t sym;
    int64_t addend;
    bool rela;
    size_t index;
};

static size_t field_size(enum elfldr_reloc_class rc)
{
    switch (rc) {
    case ELFLDR_RC_NONE: return 0;
    case ELFLDR_RC_ABS32:
    case ELFLDR_RC_ABS32S:
    case ELFLDR_RC_PC32:
    case ELFLDR_RC_SIZE32: return 4;
    case ELFLDR_RC_TLSDESC: return 16;
    default: return 8;
    }
}

/* The writable segments, found once: in_writable() would scan every program header for every entry. The
 * program headers are the loader's copy, out of the relocations' reach, so they hold still meanwhile. */
static void reloc_state_init(struct reloc_state *st, struct elfldr_obj *obj, struct elfldr_error *err,
                             const char *table, bool check_only)
{
    /* Field by field: the state is on the stack and most of it is the resolved slots, which need no
     * clearing (resolved_used says which hold something). */
    st->obj = obj;
    st->err = err;
    st->cache = (struct sym_cache){0};
    st->resolved_used = 0;
    st->irelative_pass = false;
    st->irelative_count = 0;
    st->lazy_table = false;
    st->tlsdesc[0] = st->tlsdesc[1] = 0;
    st->table = table;
    st->check_only = check_only;
    st->fast = !check_only && !obj->hooks.reloc_before && !obj->hooks.reloc_after;
    st->lazy_bind = false;
    st->nwritable = 0;
    st->more_writable = false;
    st->prior = NULL;
    st->prior_size = 0;
    st->prior_cache = NULL;
    st->prior_kept = false;
    st->prior_counted = false;
    st->prior_calls_left = 0;
    for (size_t i = 0; i < obj->phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type != PT_LOAD || !((ph->p_flags & PF_W) || obj->dyn.textrel))
            continue;
        if (st->nwritable == MAX_WRITABLE) {
            st->more_writable = true;
            break;
        }
        /* load_bias + p_vaddr as in_segment() computes it, wrapping alike. */
        st->writable[st->nwritable++] = (struct writable_range){obj->load_bias + ph->p_vaddr, ph->p_memsz};
    }
}

/* in_segment()'s test (map.c): the offset in the range compared, never a sum that could wrap. */
static inline bool in_range(const struct writable_range *w, uintptr_t addr, uint64_t size)
{
    uint64_t off = addr - w->start;
    return addr >= w->start && off <= w->size && w->size - off >= size;
}

/* Whether `size` bytes at `addr` lie wholly in one writable segment: in_writable()'s answer. */
static inline bool may_write(const struct reloc_state *st, uintptr_t addr, uint64_t size)
{
    for (size_t i = 0; i < st->nwritable; i++)
        if (in_range(&st->writable[i], addr, size))
            return true;
    return st->more_writable && in_writable(st->obj, addr, size);
}

/* ---- symbols ----------------------------------------------------------------------------------- */

/* The version a reference asks for, or NULL; *hash is its hash as the file gives it (DT_VERNEED's
 * vna_hash), which lookups compare before the names. */
static const char *reference_version(const struct elfldr_obj *obj, uint32_t index, uint32_t *hash, int *rc,
                                     struct elfldr_error *err)
{
    *rc = 0;
    *hash = 0;
    if (!obj->dyn.versym)
        return NULL;
    uint32_t v = obj->dyn.versym[index] & VERSYM_INDEX;
    if (v <= VER_NDX_GLOBAL)
        return NULL;
    if (v >= obj->nversions) {
        *rc = set_error(err, ELFLDR_E_VERSYM, "symbol %u: version index %u beyond the %u versions", U(index), U(v),
                        U(obj->nversions));
        return NULL;
    }
    *hash = obj->versions[v].hash;
    return obj->versions[v].name;
}

/* Search the scope in order: with DT_SYMBOLIC the object first, otherwise after the caller's scope. */
static const struct elfldr_obj *search_scope(const struct elfldr_obj *obj, const struct sym_query *q, bool skip_self,
                                             const struct elfldr_sym **def)
{
    bool self_searched = skip_self;
    if (obj->dyn.symbolic && !skip_self) {
        if (find_symbol(obj, q, def, NULL) == 0)
            return obj;
        self_searched = true;
    }
    for (size_t i = 0; i < obj->scope_len; i++) {
        const struct elfldr_obj *o = obj->scope[i];
        if (!o || (o == obj && self_searched))
            continue;
        if (o == obj)
            self_searched = true;
        if (find_symbol(o, q, def, NULL) == 0)
            return o;
    }
    if (!self_searched && find_symbol(obj, q, def, NULL) == 0)
        return obj;
    return NULL;
}

/* Whether the GNU hash chain of `bucket` reaches symbol `index` (no chain ends before it), within a few
 * steps: a chain is a few symbols long, and a longer walk is not worth it here. */
static bool chain_reaches(const struct dyninfo *d, uint32_t bucket, uint32_t index)
{
    uint32_t i = d->gnu.buckets[bucket];
    if (i < d->gnu.symoffset || i > index || index - i > 32)
        return false;
    for (; i < index; i++)
        if (d->gnu.chains[i - d->gnu.symoffset] & 1)
            return false;
    return true;
}

/* The whole GNU hash of the object's own hashed symbol `index`, where it can be told. The chain keeps the
 * hash but for its lowest bit, so it is one of two neighbours, h0 and h0 + 1; a lookup of the name walks
 * the chain of its hash's bucket, and of the two neighbours' buckets only that one reaches the symbol
 * (the other chain ends first or starts after it). False where that does not settle it (one bucket, a
 * long chain, a table of overlapping chains). */
static bool own_gnu_hash(const struct dyninfo *d, uint32_t index, uint32_t h0, uint32_t *hash)
{
    if (d->gnu.nbuckets < 2)
        return false;
    uint32_t b0 = gnu_bucket(d, h0), b1 = b0 + 1 == d->gnu.nbuckets ? 0 : b0 + 1; /* h0 is even: h0 + 1 fits */
    bool in0 = chain_reaches(d, b0, index), in1 = chain_reaches(d, b1, index);
    if (in0 == in1)
        return false;
    *hash = in0 ? h0 : h0 | 1;
    return true;
}

/* Whether an object searched before the referring one may define a name of this GNU hash: its bloom
 * filter and then, with the whole hash known (`exact`), the hashes in its chain, as find_symbol() would
 * test them before comparing a name. Without it, the filter is asked for both neighbours. An object
 * with a SysV table alone may define anything. */
static bool may_define(const struct elfldr_obj *o, uint32_t h0, uint32_t hash, bool exact)
{
    if (!o || !o->dyn.symtab)
        return false;
    if (!o->dyn.gnu_hash)
        return o->dyn.sysv_hash != NULL;
    if (!exact)
        return bloom_may_hold(&o->dyn, h0, h0 | 1);
    return bloom_may_hold(&o->dyn, hash, hash) && gnu_chain_holds_hash(&o->dyn, hash);
}

/* One filter for the GNU hashes of every symbol the objects before the relocated one hash: where a
 * library refers to its own exports thousands of times (libsqlite3 1,600, libpython 13,000), one question
 * instead of one per object (four or five, each a bloom filter and for some names a chain). The key is a
 * hash without its lowest bit, which chains do not keep; one bit per key, from the top of the key times
 * a constant, in a table of 32 bits per symbol (about 3% of names pass where no object has them; those
 * take the whole lookup). No name an object before defines can be missed: every
 * symbol of their chains, all a lookup can find, is in the table. */
struct prior_filter {
    unsigned shift; /* 64 - log2(bits) */
    uint64_t words[];
};

static inline uint64_t prior_key(uint32_t hash) { return (uint64_t)(hash >> 1) * 0x9e3779b97f4a7c15u; }

static inline bool prior_may_hold(const struct prior_filter *f, uint32_t hash)
{
    uint64_t a = prior_key(hash) >> f->shift;
    return (f->words[a / 64] >> (a % 64)) & 1;
}

static inline void prior_add(struct prior_filter *f, uint32_t hash)
{
    uint64_t a = prior_key(hash) >> f->shift;
    f->words[a / 64] |= (uint64_t)1 << (a % 64);
}

/* The symbols of the objects before the relocated one that a lookup could find (their GNU chains), or 0
 * where the filter cannot stand for them: an object with a SysV table alone, or none before it. */
static size_t prior_symbols(const struct elfldr_obj *obj, size_t *objects)
{
    size_t n = 0;
    *objects = 0;
    for (size_t i = 0; i < obj->scope_len; i++) {
        const struct elfldr_obj *o = obj->scope[i];
        if (o == obj)
            break;
        if (!o || !o->dyn.symtab || (!o->dyn.gnu_hash && !o->dyn.sysv_hash))
            continue;
        if (!o->dyn.gnu_hash)
            return 0;
        if (o->dyn.gnu.end > o->dyn.gnu.symoffset)
            n += o->dyn.gnu.end - o->dyn.gnu.symoffset;
        ++*objects;
    }
    return n;
}

/* Made where the run has asked the short way enough times (prior_may_define): its making then costs
 * less than the questions it saves. Without the memory for it the relocation fails, as for any
 * allocation a load makes (no failed call is passed over). */
static int make_prior_filter(struct reloc_state *st, size_t symbols)
{
    const struct elfldr_obj *obj = st->obj;
    unsigned log2_bits = 15;
    while (log2_bits < 20 && ((size_t)1 << log2_bits) < symbols * 32) /* 4 to 128 KB */
        log2_bits++;
    size_t size = sizeof(struct prior_filter) + ((size_t)1 << log2_bits) / 8;
    struct prior_filter *f = obj->ops.alloc(obj->ops.ctx, size);
    if (!f)
        return set_error(st->err, ELFLDR_E_NOMEM, "%s: no memory for a filter of the %u symbols searched before it",
                         st->table, U(symbols));
    __builtin_memset(f, 0, size);
    f->shift = 64 - log2_bits;
    for (size_t i = 0; i < obj->scope_len; i++) {
        const struct elfldr_obj *o = obj->scope[i];
        if (o == obj)
            break;
        if (!o || !o->dyn.symtab || !o->dyn.gnu_hash)
            continue;
        const struct dyninfo *od = &o->dyn;
        for (uint32_t j = od->gnu.symoffset; j < od->gnu.end; j++)
            prior_add(f, od->gnu.chains[j - od->gnu.symoffset]);
    }
    st->prior = f;
    st->prior_size = size;
    if (st->prior_cache) {
        st->prior_cache->filter = f;
        st->prior_cache->size = size;
        st->prior_kept = true;
    }
    return 0;
}

/* Whether an object before the relocated one may define a name of this hash (*may), by the filter once
 * it is made; the count of questions decides when to make it. Not 0: no memory for the filter. */
static int prior_may_define(struct reloc_state *st, uint32_t h0, uint32_t hash, bool exact, bool *may)
{
    int rc;
    if (!st->prior && st->prior_cache && st->prior_cache->filter) {
        st->prior = st->prior_cache->filter;
        st->prior_kept = true;
    }
    size_t objects;
    if (!st->prior && !st->prior_counted) {
        const struct dyninfo *d = &st->obj->dyn;
        size_t symbols = prior_symbols(st->obj, &objects);
        size_t plt_entries = d->pltrelsz / (d->pltrel == DT_RELA ? sizeof(struct elf64_rela) : sizeof(struct elf64_rel));
        st->prior_counted = true;
        /* Making the filter costs about ten instructions a symbol it takes; a question it answers saves
         * about forty for each object asked: worth it after symbols / (4 * objects) questions, and
         * made after twice that. A PLT table of that many entries (each a symbol, most of them the
         * library's own where there are that many) says the questions will come: made at once. */
        size_t pays_after = symbols ? symbols / (2 * objects) + 1 : 0;
        st->prior_calls_left = plt_entries >= pays_after ? (symbols ? 1 : 0) : pays_after;
    }
    if (!st->prior && st->prior_calls_left && --st->prior_calls_left == 0 &&
        (rc = make_prior_filter(st, prior_symbols(st->obj, &objects))))
        return rc;
    if (st->prior) {
        *may = prior_may_hold(st->prior, h0);
        return 0;
    }
    const struct elfldr_obj *obj = st->obj;
    *may = false;
    for (size_t i = 0; i < obj->scope_len && obj->scope[i] != obj && !*may; i++)
        *may = may_define(obj->scope[i], h0, hash, exact);
    return 0;
}

/* The short way for the commonest reference of a library: a symbol it defines and exports itself
 * (libcrypto binds 3,205 symbols, 3,062 of them its own). Such a symbol binds to itself unless an object
 * searched before it defines the name, which each one's GNU hash table rules out, mostly (may_define):
 * the name is neither read nor hashed, its hash coming from the object's own chain (own_gnu_hash).
 * False, for the whole lookup to decide, wherever any of that does not hold: another object may define
 * the name, it may be one bound specially, a bind hook wants to see the name, or the symbol is an IFUNC,
 * a unique symbol or not the object's plain export. */
static int binds_to_itself(struct reloc_state *st, uint32_t index, bool *self)
{
    *self = false;
    const struct elfldr_obj *obj = st->obj;
    const struct dyninfo *d = &obj->dyn;
    if (obj->hooks.bind || !d->gnu_hash || !d->symtab || index < d->gnu.symoffset || index >= d->gnu.end)
        return 0;
    const struct elfldr_sym *ref = &d->symtab[index];
    unsigned type = ELF_ST_TYPE(ref->st_info), bind = ELF_ST_BIND(ref->st_info);
    /* The name is not read, but must be one, as the full lookup requires: within DT_STRSZ and ended
     * there, which a string table that ends in a NUL guarantees. */
    if (ref->st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK) || type == STT_GNU_IFUNC ||
        ELF_ST_VISIBILITY(ref->st_other) != STV_DEFAULT || ref->st_name >= d->strsz || d->strtab[d->strsz - 1] != '\0')
        return 0;
    uint32_t h0 = d->gnu.chains[index - d->gnu.symoffset] & ~(uint32_t)1;
    if ((h0 | 1) == (GNU_HASH_TLS_GET_ADDR | 1) || (h0 | 1) == (GNU_HASH_CXA_THREAD_ATEXIT_IMPL | 1))
        return 0;
    /* A lookup of its own name and version in the object finds it (a link editor writes a name and
     * version once, so no other symbol comes first): hashed, which the range above says, and bindable. */
    struct sym_query q = {0};
    int rc;
    q.version = reference_version(obj, index, &q.version_hash, &rc, NULL);
    if (rc || !symbol_bindable(obj, index, &q))
        return 0;
    if (d->symbolic) {
        *self = true;
        return 0;
    }
    uint32_t hash = h0;
    bool exact = !st->prior && own_gnu_hash(d, index, h0, &hash), may;
    if ((rc = prior_may_define(st, h0, hash, exact, &may)))
        return rc;
    *self = !may;
    return 0;
}

static int ifunc_value(const struct elfldr_obj *def_obj, uintptr_t resolver, const char *name, uintptr_t *value,
                       struct elfldr_error *err)
{
    if (!in_executable(def_obj, resolver))
        return set_error(err, ELFLDR_E_INIT, "IFUNC `%s': resolver %x is outside executable code", name, U(resolver));
    /* ELFLDR_LOAD_NO_RUN: the object's code must not run, so the resolver's own address stands in. */
    *value = (def_obj->flags & ELFLDR_LOAD_NO_RUN) ? resolver : arch_call_ifunc(resolver, def_obj->hwcap, def_obj->hwcap2);
    return 0;
}

static int unresolved(struct reloc_state *st, const struct elfldr_sym *ref, const char *name, const char *version,
                      uintptr_t *value)
{
    struct elfldr_obj *obj = st->obj;
    if (obj->hooks.resolve) {
        int answer = obj->hooks.resolve(obj->hooks.ctx, obj, name, version, value);
        if (answer == ELFLDR_HOOK_CONTINUE)
            return 0;
        if (answer != ELFLDR_HOOK_SKIP)
            return set_error(st->err, ELFLDR_E_REFUSED, "%s: symbol `%s'%s%s refused by the resolve hook", obj->name,
                             name, version ? " version " : "", version ? version : "");
    }
    if (ELF_ST_BIND(ref->st_info) == STB_WEAK) {
        *value = 0;
        return 0;
    }
    return set_error(st->err, ELFLDR_E_UNDEFINED, "undefined symbol `%s'%s%s", name, version ? " version " : "",
                     version ? version : "");
}

/* The bind hook sees each binding as decided (the definer NULL when the resolve hook supplied it or a
 * weak reference became 0) and may keep it, replace the address, or refuse. */
static int consult_bind(struct reloc_state *st, const char *name, const char *version,
                        const struct elfldr_obj *definer, uintptr_t *value)
{
    struct elfldr_obj *obj = st->obj;
    if (!obj->hooks.bind)
        return 0;
    int answer = obj->hooks.bind(obj->hooks.ctx, obj, name, version, definer, value);
    if (answer == ELFLDR_HOOK_CONTINUE || answer == ELFLDR_HOOK_SKIP)
        return 0;
    return set_error(st->err, ELFLDR_E_REFUSED, "%s: symbol `%s'%s%s refused by the bind hook", obj->name, name,
                     version ? " version " : "", version ? version : "");
}

/* The symbol a relocation names, its index and name checked; with `q`, the query to look it up made in
 * the same pass over the name, and without (ELFLDR_LOAD_CHECK, which looks nothing up) the name only
 * found terminated. */
static int referenced(struct reloc_state *st, uint32_t index, const struct elfldr_sym **ref, struct sym_query *q)
{
    const struct elfldr_obj *obj = st->obj;
    if (index >= obj->dyn.nsyms)
        return set_error(st->err, ELFLDR_E_SYM_INDEX, "%s: symbol index %u out of range (%u symbols)", st->table,
                         U(index), U(obj->dyn.nsyms));
    *ref = &obj->dyn.symtab[index];
    uint32_t at = (*ref)->st_name;
    bool named = q ? at < obj->dyn.strsz && sym_query_init_bounded(q, obj->dyn.strtab + at, obj->dyn.strsz - at)
                   : string_at(obj, at) != NULL;
    if (!named)
        return set_error(st->err, ELFLDR_E_STRTAB, "symbol %u: name at %x is outside DT_STRSZ %x or unterminated",
                         U(index), U(at), obj->dyn.strsz);
    return 0;
}

/* S and Z for symbol `index`; `for_copy` searches everywhere but the object itself. */
static int resolve_uncached(struct reloc_state *st, uint32_t index, bool for_copy, uintptr_t *value,
                            uint64_t *size, const struct elfldr_obj **def_obj_out)
{
    struct elfldr_obj *obj = st->obj;
    bool self = false;
    int rc = for_copy ? 0 : binds_to_itself(st, index, &self);
    if (rc)
        return rc;
    if (self) {
        const struct elfldr_sym *own = &obj->dyn.symtab[index];
        *value = ELF_ST_TYPE(own->st_info) == STT_TLS ? own->st_value : symbol_address(obj, own);
        *size = own->st_size;
        *def_obj_out = obj;
        goto remember;
    }
    const struct elfldr_sym *ref = NULL;
    struct sym_query q = {0};
    rc = referenced(st, index, &ref, &q);
    if (rc)
        return rc;
    const char *name = q.name;
    const struct elfldr_obj *def_obj = obj;
    const struct elfldr_sym *def = ref;
    unsigned vis = ELF_ST_VISIBILITY(ref->st_other);
    bool bind_self = !for_copy && (ELF_ST_BIND(ref->st_info) == STB_LOCAL ||
                                   (ref->st_shndx != SHN_UNDEF && vis != STV_DEFAULT));
    const char *version = NULL;
    if (!bind_self) {
        uint32_t version_hash;
        version = reference_version(obj, index, &version_hash, &rc, st->err);
        if (rc)
            return rc;
        q.version = version;
        q.version_hash = version_hash; /* not hashed again for every reference */
        /* Only elfldr's knows the modules elfldr loaded: glibc's (in ld.so, which a namespace may share
         * with the host) must not serve them. */
        bool own_tls = q.name_len == sizeof("__tls_get_addr") - 1 && str_cmp(name, "__tls_get_addr") == 0;
        /* In a namespace, thread_local destructors are counted against their library (ns.c). */
        bool own_atexit = obj->thread_atexit && q.name_len == sizeof("__cxa_thread_atexit_impl") - 1 &&
                          str_cmp(name, "__cxa_thread_atexit_impl") == 0;
        def_obj = own_tls || own_atexit ? NULL : search_scope(obj, &q, for_copy, &def);
        if (!def_obj) {
            *size = ref->st_size;
            *def_obj_out = NULL;
            if (own_tls || own_atexit) {
                *value = own_tls ? (uintptr_t)elfldr_tls_get_addr : ns_thread_atexit_thunk(obj->unique_ns);
                if (!*value)
                    return set_error(st->err, ELFLDR_E_MAP, "%s: cannot make the thread_local destructor thunk for `%s'",
                                     st->table, name);
                goto done;
            }
            if ((rc = unresolved(st, ref, name, version, value)))
                return rc;
            goto done;
        }
    }
    /* A TLS symbol's value is an offset in its module's block, not an address. */
    *value = ELF_ST_TYPE(def->st_info) == STT_TLS ? def->st_value : symbol_address(def_obj, def);
    *size = def->st_size;
    *def_obj_out = def_obj;
    if (ELF_ST_TYPE(def->st_info) == STT_GNU_IFUNC && def->st_shndx != SHN_UNDEF &&
        (rc = ifunc_value(def_obj, *value, name, value, st->err)))
        return rc;
    if (ELF_ST_BIND(def->st_info) == STB_GNU_UNIQUE && obj->unique_ns && ELF_ST_TYPE(def->st_info) != STT_TLS &&
        ns_unique_symbol(obj->unique_ns, name, q.gnu_hash, def_obj, value) != 0)
        return set_error(st->err, ELFLDR_E_NOMEM, "%s: no memory to remember the unique symbol `%s'", st->table, name);
done:
    if (!bind_self && (rc = consult_bind(st, name, version, *def_obj_out, value)))
        return rc;
remember:
    if (!for_copy) {
        struct sym_cache c = {true, index, *value, *size, *def_obj_out};
        st->cache = c; /* both from c: a copy of st->cache would wait for the stores just made */
        st->resolved[index % RESOLVED_SLOTS] = c;
        st->resolved_used |= (uint64_t)1 << (index % RESOLVED_SLOTS);
    }
    return 0;
}

/* The cache serves runs of entries for one symbol (link editors sort them so), and is checked here,
 * inline, where the lookup itself is a call. */
static inline int resolve_symbol(struct reloc_state *st, uint32_t index, bool for_copy, uintptr_t *value,
                                 uint64_t *size, const struct elfldr_obj **def_obj_out)
{
    if (!for_copy && st->cache.valid && st->cache.index == index) {
        *value = st->cache.value;
        *size = st->cache.size;
        *def_obj_out = st->cache.def_obj;
        return 0;
    }
    const struct sym_cache *slot = &st->resolved[index % RESOLVED_SLOTS];
    if (!for_copy && ((st->resolved_used >> (index % RESOLVED_SLOTS)) & 1) && slot->index == index) {
        st->cache = *slot;
        *value = slot->value;
        *size = slot->size;
        *def_obj_out = slot->def_obj;
        return 0;
    }
    return resolve_uncached(st, index, for_copy, value, size, def_obj_out);
}

/* ---- one relocation ---------------------------------------------------------------------------- */

/* The name of a relocation's symbol as hooks and messages show it: NULL without a symbol, or when the
 * index or the name is bad (resolving the symbol reports which). */
static const char *symbol_name(const struct reloc_state *st, uint32_t index)
{
    const struct elfldr_obj *obj = st->obj;
    return index && index < obj->dyn.nsyms ? string_at(obj, obj->dyn.symtab[index].st_name) : NULL;
}

/* r->sym_name is looked up ahead only where a hook or a check sees it; a message looks it up itself,
 * and gets NULL where r->sym_name would have been NULL. */
static const char *message_name(const struct reloc_state *st, const struct reloc_entry *e,
                                const struct elfldr_reloc *r)
{
    return r->sym_name ? r->sym_name : symbol_name(st, e->sym);
}

/* A TLS message's name: "(local)" for a relocation without one. */
static const char *tls_message_name(const struct reloc_state *st, const struct reloc_entry *e,
                                    const struct elfldr_reloc *r)
{
    const char *name = message_name(st, e, r);
    return name ? name : "(local)";
}

static int target_error(struct reloc_state *st, const struct reloc_entry *e, uintptr_t where, size_t size)
{
    return set_error(st->err, ELFLDR_E_RELOC_TARGET, "%s[%u]: %s at %x (%u bytes) is outside the writable segments",
                     st->table, U(e->index), arch_reloc_name(e->type), U(where - st->obj->load_bias), U(size));
}

static uint64_t implicit_addend(enum elfldr_reloc_class rc, uintptr_t where)
{
    switch (rc) {
    case ELFLDR_RC_GLOB_DAT:
    case ELFLDR_RC_JUMP_SLOT:
    case ELFLDR_RC_COPY:
    case ELFLDR_RC_NONE: return 0;
    case ELFLDR_RC_ABS32:
    case ELFLDR_RC_PC32:
    case ELFLDR_RC_SIZE32: {
        uint32_t v;
        __builtin_memcpy(&v, (const void *)where, 4);
        return v;
    }
    case ELFLDR_RC_ABS32S: {
        int32_t v;
        __builtin_memcpy(&v, (const void *)where, 4);
        return (uint64_t)(int64_t)v;
    }
    default: {
        uint64_t v;
        __builtin_memcpy(&v, (const void *)where, 8);
        return v;
    }
    }
}

/* R_*_DTPMOD: the module's address serves as its id (see tls.c); R_*_DTPOFF: the offset in its block. */
static int compute_tls(struct reloc_state *st, const struct reloc_entry *e, struct elfldr_reloc *r,
                       const struct elfldr_obj *def_obj)
{
    if (r->rclass == ELFLDR_RC_DTPOFF) {
        r->value = (e->sym ? r->sym_value : 0) + (uint64_t)r->addend - ARCH_TLS_DTV_OFFSET;
        return 0;
    }
    const struct elfldr_obj *module = e->sym ? def_obj : st->obj;
    if (!module || !module->tls)
        return set_error(st->err, ELFLDR_E_UNSUPPORTED,
                         "%s[%u]: %s for `%s': not supported: its thread-local storage is not in an object elfldr loaded", st->table,
                         U(e->index), arch_reloc_name(e->type), tls_message_name(st, e, r));
    if (r->rclass == ELFLDR_RC_DTPMOD) {
        r->value = (uintptr_t)module->tls;
        return 0;
    }
    if (r->rclass == ELFLDR_RC_TLSDESC) {
        int rc = tlsdesc_words(st->obj, module, (e->sym ? r->sym_value : 0) + (uint64_t)r->addend, st->tlsdesc, st->err);
        r->value = st->tlsdesc[1];
        return rc;
    }
    /* R_*_TPOFF: the variable's distance from the thread pointer, in its module's static block. Only
     * the object's own module can be made static here: another's was laid out when it was loaded. */
    if (module != st->obj && !module->tls_static)
        return set_error(st->err, ELFLDR_E_UNSUPPORTED, "%s[%u]: %s for `%s': not supported: its module has no static TLS", st->table,
                         U(e->index), arch_reloc_name(e->type), tls_message_name(st, e, r));
    int rc = module == st->obj ? tls_make_static(st->obj, st->err) : 0;
    if (rc)
        return rc;
    st->obj->tls_static = module == st->obj ? true : st->obj->tls_static;
    r->value = (uint64_t)tls_static_offset(module) + (e->sym ? r->sym_value : 0) + (uint64_t)r->addend;
    return 0;
}

static int compute(struct reloc_state *st, const struct reloc_entry *e, struct elfldr_reloc *r, uint64_t sym_size)
{
    uintptr_t B = st->obj->load_bias, S = r->sym_value, P = r->where;
    uint64_t A = (uint64_t)r->addend;
    uint64_t v;
    switch (r->rclass) {
    case ELFLDR_RC_RELATIVE: r->value = B + A; return 0;
    case ELFLDR_RC_ABS64:
    case ELFLDR_RC_GLOB_DAT:
    case ELFLDR_RC_JUMP_SLOT: r->value = S + A; return 0;
    case ELFLDR_RC_PC64: r->value = S + A - P; return 0;
    case ELFLDR_RC_SIZE64: r->value = sym_size + A; return 0;
    case ELFLDR_RC_SIZE32: v = sym_size + A; break;
    case ELFLDR_RC_ABS32: v = S + A; break;
    case ELFLDR_RC_ABS32S: v = S + A; break;
    case ELFLDR_RC_PC32: v = S + A - P; break;
    case ELFLDR_RC_IRELATIVE: return ifunc_value(st->obj, B + A, "(IRELATIVE)", &r->value, st->err);
    default: r->value = 0; return 0;
    }
    bool is_signed = r->rclass == ELFLDR_RC_ABS32S || r->rclass == ELFLDR_RC_PC32;
    bool fits = is_signed ? (int64_t)v == (int32_t)v : v <= UINT32_MAX;
    if (!fits)
        return set_error(st->err, ELFLDR_E_RELOC_OVERFLOW, "%s[%u]: %s value %x does not fit in 32 bits", st->table,
                         U(e->index), arch_reloc_name(e->type), v);
    r->value = v;
    return 0;
}

static void store(const struct elfldr_reloc *r, size_t size)
{
    if (size == 4) {
        uint32_t v = (uint32_t)r->value;
        __builtin_memcpy((void *)r->where, &v, 4);
    } else {
        uint64_t v = r->value;
        __builtin_memcpy((void *)r->where, &v, 8);
    }
}

static int copy_from(struct reloc_state *st, const struct reloc_entry *e, struct elfldr_reloc *r)
{
    uintptr_t src;
    uint64_t src_size;
    const struct elfldr_obj *def_obj = NULL;
    int rc = resolve_symbol(st, e->sym, true, &src, &src_size, &def_obj);
    if (rc)
        return rc;
    uint64_t want = st->obj->dyn.symtab[e->sym].st_size;
    uint64_t n = want < src_size ? want : src_size;
    if (!may_write(st, r->where, want))
        return target_error(st, e, r->where, (size_t)want);
    if (!def_obj || !in_image(def_obj, src, n))
        return set_error(st->err, ELFLDR_E_RELOC_TARGET, "%s[%u]: COPY source for `%s' is outside its object", st->table,
                         U(e->index), message_name(st, e, r));
    r->sym_value = src;
    r->value = src;
    __builtin_memcpy((void *)r->where, (const void *)src, n);
    return 0;
}

/* ELFLDR_LOAD_CHECK: what apply() would check before binding, and what a relative relocation puts in
 * a constructor array; the target was checked already. */
static int check_entry(struct reloc_state *st, const struct reloc_entry *e, struct elfldr_reloc *r)
{
    struct elfldr_obj *obj = st->obj;
    int rc = 0;
    const struct elfldr_sym *ref = NULL;
    if (e->sym && r->rclass != ELFLDR_RC_RELATIVE) {
        if ((rc = referenced(st, e->sym, &ref, NULL)))
            return rc;
        uint32_t version_hash;
        (void)reference_version(obj, e->sym, &version_hash, &rc, st->err);
        if (rc)
            return rc;
        if (r->rclass == ELFLDR_RC_COPY && !may_write(st, r->where, ref->st_size))
            return target_error(st, e, r->where, (size_t)ref->st_size);
    }
    /* Thread-local storage of this object's own (no symbol, or one defined here) needs its PT_TLS. */
    bool tls = r->rclass == ELFLDR_RC_DTPMOD || r->rclass == ELFLDR_RC_TPOFF || r->rclass == ELFLDR_RC_TLSDESC;
    if (tls && (!ref || ref->st_shndx != SHN_UNDEF) && obj->tls_index < 0)
        return set_error(st->err, ELFLDR_E_UNSUPPORTED,
                         "%s[%u]: %s for `%s': not supported: the object has no thread-local storage", st->table,
                         U(e->index), arch_reloc_name(e->type), tls_message_name(st, e, r));
    if (r->rclass == ELFLDR_RC_RELATIVE) {
        uint64_t addend = e->rela ? (uint64_t)e->addend : implicit_addend(r->rclass, r->where);
        return check_constructor_slot(obj, r->where, obj->load_bias + addend, st->err);
    }
    return 0;
}

static int apply(struct reloc_state *st, const struct reloc_entry *e)
{
    struct elfldr_obj *obj = st->obj;
    enum elfldr_reloc_class rc_class = arch_reloc_class(e->type);
    if ((rc_class == ELFLDR_RC_IRELATIVE) != st->irelative_pass) {
        /* Counted, so that a run without IRELATIVE entries needs no second pass. */
        st->irelative_count += rc_class == ELFLDR_RC_IRELATIVE;
        return 0;
    }
    struct elfldr_reloc r = {obj, e->type, rc_class, e->sym, NULL, obj->load_bias + e->offset, e->addend, 0, 0};
    if (rc_class == ELFLDR_RC_UNKNOWN) {
        if (obj->hooks.reloc_unknown) {
            r.sym_name = symbol_name(st, e->sym);
            if (obj->hooks.reloc_unknown(obj->hooks.ctx, &r) == ELFLDR_HOOK_SKIP)
                return 0;
        }
        return set_error(st->err, ELFLDR_E_RELOC_TYPE, "%s[%u]: unknown relocation type %u at %x", st->table,
                         U(e->index), U(e->type), e->offset);
    }
    if (rc_class == ELFLDR_RC_NONE)
        return 0;
    size_t size = field_size(rc_class);
    if (st->lazy_table && rc_class == ELFLDR_RC_JUMP_SLOT) {
        /* The slot holds its PLT entry's link-time address, which goes to the lazy entry: rebase it. */
        if (!may_write(st, r.where, 8))
            return target_error(st, e, r.where, 8);
        uint64_t slot;
        __builtin_memcpy(&slot, (const void *)r.where, 8);
        slot += obj->load_bias;
        __builtin_memcpy((void *)r.where, &slot, 8);
        return 0;
    }
    if (rc_class != ELFLDR_RC_COPY && !may_write(st, r.where, size))
        return target_error(st, e, r.where, size);
    if (st->check_only)
        return check_entry(st, e, &r);
    /* Only hooks see the name; where nothing watches, messages look it up themselves. */
    if (!st->fast)
        r.sym_name = symbol_name(st, e->sym);
    int rc;
    if (rc_class == ELFLDR_RC_COPY) {
        if ((rc = copy_from(st, e, &r)))
            return rc;
        if (obj->hooks.reloc_after)
            obj->hooks.reloc_after(obj->hooks.ctx, &r);
        return 0;
    }
    if (!e->rela)
        r.addend = (int64_t)implicit_addend(rc_class, r.where);
    uint64_t sym_size = 0;
    const struct elfldr_obj *def_obj = NULL;
    if (e->sym && rc_class != ELFLDR_RC_RELATIVE && rc_class != ELFLDR_RC_IRELATIVE &&
        (rc = resolve_symbol(st, e->sym, false, &r.sym_value, &sym_size, &def_obj)))
        return rc;
    if (rc_class == ELFLDR_RC_DTPMOD || rc_class == ELFLDR_RC_DTPOFF || rc_class == ELFLDR_RC_TPOFF ||
        rc_class == ELFLDR_RC_TLSDESC)
        rc = compute_tls(st, e, &r, def_obj);
    else
        rc = compute(st, e, &r, sym_size);
    if (rc)
        return rc;
    if (obj->hooks.reloc_before) {
        int answer = obj->hooks.reloc_before(obj->hooks.ctx, &r);
        if (answer == ELFLDR_HOOK_SKIP)
            return 0;
        if (answer != ELFLDR_HOOK_CONTINUE)
            return set_error(st->err, ELFLDR_E_REFUSED, "%s[%u]: %s at %x refused by the reloc_before hook", st->table,
                             U(e->index), arch_reloc_name(e->type), e->offset);
    }
    if (rc_class == ELFLDR_RC_TLSDESC) {
        st->tlsdesc[1] = r.value; /* a before-hook may have changed the argument */
        __builtin_memcpy((void *)r.where, st->tlsdesc, sizeof(st->tlsdesc));
    } else {
        store(&r, size);
    }
    if (obj->hooks.reloc_after)
        obj->hooks.reloc_after(obj->hooks.ctx, &r);
    return 0;
}

/* ---- the short way, where nothing watches ----------------------------------------------------- */

/* The short way is a loop's body: inlined, so that what it keeps stays in registers. */
#define HOT_PATH inline __attribute__((always_inline))

static inline uint64_t load64(uintptr_t where)
{
    uint64_t v;
    __builtin_memcpy(&v, (const void *)where, 8);
    return v;
}

static inline void store64(uintptr_t where, uint64_t v)
{
    __builtin_memcpy((void *)where, &v, 8);
}

/* Where the short way's 8-byte targets are looked for first: the first writable segment (with GNU ld
 * the only one), as the addresses [start, start + span) an 8-byte target may start at. span is
 * p_memsz - 7, or 0 when the segment holds no 8 bytes. The loops keep it in locals, where the stores
 * (which might alias *st as far as the compiler knows) cannot make them reload it for every entry. */
struct hot_range {
    uintptr_t start;
    uint64_t span;
};

static inline struct hot_range hot_range(const struct reloc_state *st)
{
    if (st->nwritable == 0 || st->writable[0].size < 8)
        return (struct hot_range){0, 0};
    return (struct hot_range){st->writable[0].start, st->writable[0].size - 7};
}

/* in_range(writable[0], where, 8) in one comparison: below start the difference wraps past span (the
 * segment is mapped, so start + span does not wrap). */
static inline bool in_hot(struct hot_range hot, uintptr_t where)
{
    return where - hot.start < hot.span;
}

/* may_write(st, where, 8): the hot segment first, inline; may_write() for the rest. */
static HOT_PATH bool may_write_word(const struct reloc_state *st, struct hot_range hot, uintptr_t where)
{
    return in_hot(hot, where) || may_write(st, where, 8);
}

/* The classes the short way binds, S + A in 8 bytes: ABS64, GLOB_DAT, and a JUMP_SLOT bound now (one
 * in a lazy table is only rebased, by apply()). */
static inline bool short_bound(enum elfldr_reloc_class rc_class, bool lazy_table)
{
    return rc_class == ELFLDR_RC_ABS64 || rc_class == ELFLDR_RC_GLOB_DAT ||
           (rc_class == ELFLDR_RC_JUMP_SLOT && !lazy_table);
}

/* A bound entry as apply() does it without hooks: the target checked, then REL's implicit addend read
 * (ABS64's only), the symbol resolved, S + A stored. The symbol's name is read only where
 * resolve_symbol must look it up. */
static HOT_PATH int apply_bound(struct reloc_state *st, const struct reloc_entry *e, enum elfldr_reloc_class rc_class,
                                struct hot_range hot)
{
    uintptr_t where = st->obj->load_bias + e->offset;
    if (!may_write_word(st, hot, where))
        return target_error(st, e, where, 8);
    uint64_t addend = e->rela ? (uint64_t)e->addend : implicit_addend(rc_class, where);
    uintptr_t value = 0;
    if (e->sym) {
        uint64_t sym_size;
        const struct elfldr_obj *def_obj;
        int rc = resolve_symbol(st, e->sym, false, &value, &sym_size, &def_obj);
        if (rc)
            return rc;
    }
    /* Threads making the first call through one slot at once all bind it, to the same value: as an
     * atomic store where the slot is aligned (a malformed one need not be), that is no data race. */
    if (st->lazy_bind && where % 8 == 0)
        __atomic_store_n((uint64_t *)where, (uint64_t)(value + addend), __ATOMIC_RELAXED);
    else
        store64(where, value + addend);
    return 0;
}

/* One entry where st->fast says nothing watches, outside the IRELATIVE pass (which must skip these
 * classes): the short way for the bound classes (a symbol the cache does not hold, or none), apply()
 * for the rest. R_*_RELATIVE never comes here: fast_run does it. */
static HOT_PATH int apply_fast(struct reloc_state *st, const struct reloc_entry *e, struct hot_range hot)
{
    enum elfldr_reloc_class rc_class = arch_reloc_class(e->type);
    if (short_bound(rc_class, st->lazy_table))
        return apply_bound(st, e, rc_class, hot);
    return apply(st, e);
}

/* ---- tables ------------------------------------------------------------------------------------ */

/* Entry `i` of a REL or RELA table (the table was checked to lie in the image). */
static inline struct reloc_entry read_entry(uintptr_t table, size_t i, bool rela)
{
    if (rela) {
        const struct elf64_rela *r = (const struct elf64_rela *)table + i;
        return (struct reloc_entry){r->r_offset, ELF_R_TYPE(r->r_info), ELF_R_SYM(r->r_info), r->r_addend, true, i};
    }
    const struct elf64_rel *r = (const struct elf64_rel *)table + i;
    return (struct reloc_entry){r->r_offset, ELF_R_TYPE(r->r_info), ELF_R_SYM(r->r_info), 0, false, i};
}

/* Entry `i`'s fields as they are, for the short ways' loops (REL's addend is 0 here, read from the
 * target by whoever needs it). */
static HOT_PATH void read_raw(uintptr_t table, size_t i, bool rela, uint64_t *offset, uint64_t *info, uint64_t *addend)
{
    if (rela) {
        const struct elf64_rela *r = (const struct elf64_rela *)table + i;
        *offset = r->r_offset, *info = r->r_info, *addend = (uint64_t)r->r_addend;
    } else {
        const struct elf64_rel *r = (const struct elf64_rel *)table + i;
        *offset = r->r_offset, *info = r->r_info, *addend = 0;
    }
}

/* target_error() for entry `i` of a table, out of fast_run's loop. */
static int entry_target_error(struct reloc_state *st, uintptr_t table, size_t i, bool rela)
{
    struct reloc_entry e = read_entry(table, i, rela);
    return target_error(st, &e, st->obj->load_bias + e.offset, 8);
}

/* The tightest loops, for a RELA table's runs in the hot segment: RELATIVE entries (B + A), and the
 * entries that repeat the one just bound, the same type and symbol (S + A: a symbol's R_X86_64_64
 * entries lie together). Each returns how many entries of the run it stored; one it does not take (an
 * entry of another kind, or a target outside the hot segment) is left to fast_run's own loop, which
 * asks everything. */
static HOT_PATH size_t relative_run(const struct elf64_rela *r, size_t n, uintptr_t bias, struct hot_range hot)
{
    size_t k = 0;
    for (; k < n && ELF_R_TYPE(r[k].r_info) == ARCH_R_RELATIVE; k++) {
        uintptr_t where = bias + r[k].r_offset;
        if (!in_hot(hot, where))
            break;
        store64(where, bias + (uint64_t)r[k].r_addend);
    }
    return k;
}

static HOT_PATH size_t repeat_run(const struct elf64_rela *r, size_t n, uint64_t info, uintptr_t value, uintptr_t bias,
                                  struct hot_range hot)
{
    size_t k = 0;
    for (; k < n && r[k].r_info == info; k++) {
        uintptr_t where = bias + r[k].r_offset;
        if (!in_hot(hot, where))
            break;
        store64(where, value + (uint64_t)r[k].r_addend);
    }
    return k;
}

/* From entry *i on, the entries that make most of the work, as apply() does them without hooks:
 * R_*_RELATIVE (B + A), and bound entries whose symbol the cache holds (S + A). Link editors put the
 * RELATIVE entries first (DT_RELACOUNT of them, a count not trusted here: each entry says what it is)
 * and sort the rest by symbol: libpython's 12.6k R_X86_64_64 name 120 symbols. Each target is checked,
 * then REL's implicit addend read (RELATIVE's and ABS64's), then the value stored. The loop keeps what
 * it needs in registers, where the stores (which might alias *st as far as the compiler knows) would
 * have it reloaded for every entry. *i ends at the first entry it leaves to apply_fast (another class,
 * or a symbol the cache does not hold), or at the one whose target is refused. */
static HOT_PATH int fast_run(struct reloc_state *st, uintptr_t table, size_t *i, size_t count, bool rela,
                             struct hot_range hot)
{
    const uintptr_t bias = st->obj->load_bias;
    /* 0 when the cache is empty: no entry resolves symbol 0. */
    const uint32_t cached_sym = st->cache.valid ? st->cache.index : 0;
    const uintptr_t cached_value = st->cache.value;
    const bool lazy_table = st->lazy_table;
    const struct elf64_rela *rela_table = (const struct elf64_rela *)table;
    for (; *i < count; ++*i) {
        uint64_t offset, info, addend;
        read_raw(table, *i, rela, &offset, &info, &addend);
        uint32_t type = ELF_R_TYPE(info);
        uintptr_t where = bias + offset;
        /* RELATIVE first and on its own: the shortest way for the most entries. */
        if (type == ARCH_R_RELATIVE) {
            if (rela && in_hot(hot, where)) {
                *i += relative_run(rela_table + *i, count - *i, bias, hot) - 1; /* this one and its run */
                continue;
            }
            if (!may_write_word(st, hot, where))
                return entry_target_error(st, table, *i, rela);
            store64(where, bias + (rela ? addend : load64(where)));
            continue;
        }
        enum elfldr_reloc_class rc_class = arch_reloc_class(type);
        if (!short_bound(rc_class, lazy_table) || ELF_R_SYM(info) != cached_sym || cached_sym == 0)
            return 0;
        if (!may_write_word(st, hot, where))
            return entry_target_error(st, table, *i, rela);
        bool implicit = !rela && rc_class == ELFLDR_RC_ABS64;
        store64(where, cached_value + (implicit ? load64(where) : addend));
        if (rela && *i + 1 < count && rela_table[*i + 1].r_info == info)
            *i += repeat_run(rela_table + *i + 1, count - *i - 1, info, cached_value, bias, hot);
    }
    return 0;
}

/* The lowest and highest address of the constructor and destructor arrays, [lo, hi); lo == hi when none. */
static void constructor_span(const struct dyninfo *d, uintptr_t *lo, uintptr_t *hi)
{
    const uintptr_t start[3] = {d->preinit_array, d->init_array, d->fini_array};
    const uint64_t size[3] = {d->preinit_arraysz, d->init_arraysz, d->fini_arraysz};
    *lo = UINTPTR_MAX, *hi = 0;
    for (int k = 0; k < 3; k++)
        if (start[k] && size[k]) {
            *lo = start[k] < *lo ? start[k] : *lo;
            *hi = start[k] + size[k] > *hi ? start[k] + size[k] : *hi;
        }
    if (*lo > *hi)
        *lo = *hi;
}

/* ELFLDR_LOAD_CHECK's short way, from entry *i on, for R_*_RELATIVE entries (nearly all of a program's:
 * perl has 7,634 of 7,899): what apply() and check_entry() check of one, the target and, for a slot of
 * a constructor or destructor array, the code it would call, with no struct elfldr_reloc and the arrays'
 * span asked first. *i ends at the first entry of another type, or at the one refused. */
static HOT_PATH int check_run(struct reloc_state *st, uintptr_t table, size_t *i, size_t count, bool rela,
                              struct hot_range hot, uintptr_t arrays_lo, uintptr_t arrays_hi)
{
    const uintptr_t bias = st->obj->load_bias;
    for (; *i < count; ++*i) {
        uint64_t offset, info, addend;
        read_raw(table, *i, rela, &offset, &info, &addend);
        if (ELF_R_TYPE(info) != ARCH_R_RELATIVE)
            return 0;
        uintptr_t where = bias + offset;
        if (!may_write_word(st, hot, where))
            return entry_target_error(st, table, *i, rela);
        int rc;
        if (where >= arrays_lo && where < arrays_hi &&
            (rc = check_constructor_slot(st->obj, where, bias + (rela ? addend : load64(where)), st->err)))
            return rc;
    }
    return 0;
}

/* Inlined twice, for RELA and for REL, so that each loop reads its own entries with no test per entry. */
static HOT_PATH int walk_table(struct reloc_state *st, uintptr_t table, size_t count, bool rela)
{
    bool fast = st->fast && !st->irelative_pass;
    bool check_fast = st->check_only && !st->irelative_pass;
    const struct hot_range hot = hot_range(st);
    uintptr_t arrays_lo = 0, arrays_hi = 0;
    if (check_fast)
        constructor_span(&st->obj->dyn, &arrays_lo, &arrays_hi);
    for (size_t i = 0; i < count; i++) {
        int rc;
        if (fast && ((rc = fast_run(st, table, &i, count, rela, hot)) || i == count))
            return rc;
        if (check_fast && ((rc = check_run(st, table, &i, count, rela, hot, arrays_lo, arrays_hi)) || i == count))
            return rc;
        struct reloc_entry e = read_entry(table, i, rela);
        if ((rc = fast ? apply_fast(st, &e, hot) : apply(st, &e)))
            return rc;
    }
    return 0;
}

static int apply_table(struct reloc_state *st, const char *name, uintptr_t table, uint64_t size, bool rela)
{
    st->table = name;
    return rela ? walk_table(st, table, size / sizeof(struct elf64_rela), true)
                : walk_table(st, table, size / sizeof(struct elf64_rel), false);
}

/* A RELR word where a hook or a check watches: the target was checked, `v` is the addend it holds. */
static int relr_watched(struct reloc_state *st, uintptr_t where, uint64_t v, size_t index)
{
    struct elfldr_obj *obj = st->obj;
    if (st->check_only)
        return check_constructor_slot(obj, where, obj->load_bias + v, st->err);
    struct elfldr_reloc r = {obj, ARCH_R_RELATIVE, ELFLDR_RC_RELATIVE, 0, NULL, where, (int64_t)v, 0,
                             obj->load_bias + v};
    if (obj->hooks.reloc_before) {
        int answer = obj->hooks.reloc_before(obj->hooks.ctx, &r);
        if (answer == ELFLDR_HOOK_SKIP)
            return 0;
        if (answer != ELFLDR_HOOK_CONTINUE)
            return set_error(st->err, ELFLDR_E_REFUSED, "DT_RELR[%u]: refused by the reloc_before hook", U(index));
    }
    __builtin_memcpy((void *)where, &r.value, 8);
    if (obj->hooks.reloc_after)
        obj->hooks.reloc_after(obj->hooks.ctx, &r);
    return 0;
}

static HOT_PATH int relr_one(struct reloc_state *st, struct hot_range hot, uintptr_t where, size_t index)
{
    uintptr_t bias = st->obj->load_bias;
    if (!may_write_word(st, hot, where))
        return set_error(st->err, ELFLDR_E_RELOC_TARGET, "DT_RELR[%u]: address %x is outside the writable segments",
                         U(index), U(where - bias));
    uint64_t v = load64(where);
    if (!st->fast)
        return relr_watched(st, where, v, index);
    store64(where, bias + v);
    return 0;
}

/* RELR: an even entry is an address to relocate, after which each odd entry is a bitmap of the 63
 * words that follow the previous run. */
static int apply_relr(struct reloc_state *st)
{
    const struct dyninfo *d = &st->obj->dyn;
    const uint64_t *entries = (const uint64_t *)d->relr;
    const struct hot_range hot = hot_range(st);
    uintptr_t next = 0;
    bool have_base = false;
    for (size_t i = 0; i < d->relrsz / 8; i++) {
        uint64_t e = entries[i];
        int rc;
        if ((e & 1) == 0) {
            uintptr_t where = st->obj->load_bias + e;
            if ((rc = relr_one(st, hot, where, i)))
                return rc;
            next = where + 8;
            have_base = true;
            continue;
        }
        if (!have_base)
            return set_error(st->err, ELFLDR_E_RELOC_TABLE, "DT_RELR[%u]: a bitmap before any address", U(i));
        /* Bit k + 1 set: the word k after the run's start; lowest first, and no further than the highest
         * set bit. (No __builtin_ctzll: without a bit-count instruction it calls libgcc's __ctzdi2.) */
        uintptr_t word = next;
        for (uint64_t bits = e >> 1; bits; bits >>= 1, word += 8)
            if ((bits & 1) && (rc = relr_one(st, hot, word, i)))
                return rc;
        next += 63 * 8;
    }
    return 0;
}

/* Some link editors (RISC-V's) let DT_RELASZ cover DT_JMPREL too, as glibc allows: those entries are
 * applied once, with DT_JMPREL (where lazy binding may leave them for later). */
static int apply_outside_jmprel(struct reloc_state *st, const char *name, uintptr_t table, uint64_t size, bool rela)
{
    const struct dyninfo *d = &st->obj->dyn;
    uintptr_t jmp = d->jmprel, jmp_end = d->jmprel + d->pltrelsz, end = table + size;
    if (!jmp || (d->pltrel == DT_RELA) != rela || jmp < table || jmp_end > end)
        return apply_table(st, name, table, size, rela);
    int rc = apply_table(st, name, table, jmp - table, rela);
    if (rc == 0 && end > jmp_end)
        rc = apply_table(st, name, jmp_end, end - jmp_end, rela);
    return rc;
}

static int apply_tables(struct reloc_state *st, bool irelative_pass)
{
    const struct dyninfo *d = &st->obj->dyn;
    int rc = 0;
    st->irelative_pass = irelative_pass;
    if (d->rel && (rc = apply_outside_jmprel(st, "DT_REL", d->rel, d->relsz, false)))
        return rc;
    if (d->rela && (rc = apply_outside_jmprel(st, "DT_RELA", d->rela, d->relasz, true)))
        return rc;
    st->lazy_table = st->obj->lazy;
    if (d->jmprel && (rc = apply_table(st, "DT_JMPREL", d->jmprel, d->pltrelsz, d->pltrel == DT_RELA)))
        return rc;
    st->lazy_table = false;
    return 0;
}

/* Every table once; then, only if the first pass met IRELATIVE entries, again for them alone: their
 * resolvers may use anything else relocated. */
static int apply_all(struct reloc_state *st)
{
    int rc = apply_tables(st, false);
    if (rc == 0 && st->irelative_count)
        rc = apply_tables(st, true);
    return rc;
}

/* Two words of the PLT's GOT are the dynamic linker's: one names the object, one is the lazy entry
 * (which ones, arch_lazy.h says); both must lie in the object's writable segments. */
static int set_up_lazy_got(struct elfldr_obj *obj, struct elfldr_error *err)
{
    uintptr_t got = obj->dyn.pltgot;
    if (!got || !in_writable(obj, got, 24))
        return set_error(err, ELFLDR_E_DYN_PTR, "DT_PLTGOT: no writable GOT for lazy binding");
    uintptr_t object = (uintptr_t)obj, entry = lazy_entry_address();
    __builtin_memcpy((void *)(got + 8 * lazy_got_object_slot()), &object, sizeof(object));
    __builtin_memcpy((void *)(got + 8 * lazy_got_entry_slot()), &entry, sizeof(entry));
    return 0;
}

int apply_one_jump_slot(struct elfldr_obj *obj, size_t index, uintptr_t *value)
{
    const struct dyninfo *d = &obj->dyn;
    size_t entsize = d->pltrel == DT_RELA ? sizeof(struct elf64_rela) : sizeof(struct elf64_rel);
    struct elfldr_error err;
    if (!d->jmprel || index >= d->pltrelsz / entsize)
        return set_error(&err, ELFLDR_E_RELOC_TABLE, "lazy binding: index %u beyond DT_JMPREL", U(index));
    struct reloc_entry e = read_entry(d->jmprel, index, d->pltrel == DT_RELA);
    if (arch_reloc_class(e.type) != ELFLDR_RC_JUMP_SLOT)
        return set_error(&err, ELFLDR_E_RELOC_TYPE, "lazy binding: DT_JMPREL[%u] is not a JUMP_SLOT", U(index));
    struct reloc_state st;
    reloc_state_init(&st, obj, &err, "DT_JMPREL", false);
    st.lazy_bind = true;
    int rc = st.fast ? apply_fast(&st, &e, hot_range(&st)) : apply(&st, &e);
    uintptr_t slot = obj->load_bias + e.offset;
    if (rc == 0 && slot % 8 == 0)
        *value = __atomic_load_n((const uintptr_t *)slot, __ATOMIC_RELAXED);
    else if (rc == 0)
        __builtin_memcpy(value, (const void *)slot, sizeof(*value));
    return rc;
}

int relocate_check(struct elfldr_obj *obj, struct elfldr_error *err)
{
    struct reloc_state st;
    reloc_state_init(&st, obj, err, "", true);
    int rc;
    if (obj->dyn.relr && (rc = apply_relr(&st)))
        return rc;
    return apply_all(&st);
}

/* Whether the objects before `obj` in its scope are the cache's: its first place is nobjects. */
static bool cache_fits(const struct elfldr_obj *obj, const struct prior_cache *cache)
{
    if (!cache || cache->nobjects >= obj->scope_len || obj->scope[cache->nobjects] != obj)
        return false;
    for (size_t i = 0; i < cache->nobjects; i++)
        if (obj->scope[i] == obj)
            return false;
    return true;
}

int relocate(struct elfldr_obj *obj, struct prior_cache *cache, struct elfldr_error *err)
{
    struct reloc_state st;
    reloc_state_init(&st, obj, err, "", false);
    if (cache_fits(obj, cache))
        st.prior_cache = cache;
    int rc;
    if (obj->lazy && (rc = set_up_lazy_got(obj, err)))
        return rc;
    if (obj->dyn.textrel && (rc = set_text_writable(obj, true, err)))
        return rc;
    if (obj->dyn.relr && (rc = apply_relr(&st)))
        return rc;
    rc = apply_all(&st);
    if (st.prior && !st.prior_kept)
        obj->ops.free(obj->ops.ctx, st.prior, st.prior_size);
    if (rc)
        return rc;
    if (obj->dyn.textrel && (rc = set_text_writable(obj, false, err)))
        return rc;
    return protect_relro(obj, err);
}
