/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The dynamic section, decoded into struct dyninfo: every tag glibc's loader acts on. Each pointer is
 * biased and checked to lie inside the image, with its size where the section gives one.
 */
#include "internal.h"

#define U(x) ((uint64_t)(x))
#define NO_STRING UINT64_MAX

bool string_ok(const struct elfldr_obj *obj, uint64_t offset)
{
    const struct dyninfo *d = &obj->dyn;
    if (!d->strtab || offset >= d->strsz)
        return false;
    /* A table that ends in a NUL ends every string in it: link editors make them so. */
    if (d->strtab[d->strsz - 1] == '\0')
        return true;
    for (uint64_t i = offset; i < d->strsz; i++)
        if (d->strtab[i] == '\0')
            return true;
    return false;
}

const char *string_at(const struct elfldr_obj *obj, uint64_t offset)
{
    return string_ok(obj, offset) ? obj->dyn.strtab + offset : NULL;
}

/* An address from the dynamic section, as the image has it after biasing; 0 stays "absent". */
static int image_ptr(const struct elfldr_obj *obj, const char *tag, uint64_t vaddr, uint64_t size, uint64_t align,
                     uintptr_t *out, struct elfldr_error *err)
{
    uintptr_t addr = obj->load_bias + vaddr;
    /* glibc rewrites most pointer tags of the objects it loads into addresses (not on RISC-V). */
    if (obj->adopted && obj->load_bias && vaddr >= obj->load_bias && in_image(obj, vaddr, 1))
        addr = vaddr;
    if (vaddr % align != 0)
        return set_error(err, ELFLDR_E_DYN_PTR, "dynamic: %s %x is not %u-byte aligned", tag, vaddr, align);
    if (!in_image(obj, addr, size))
        return set_error(err, ELFLDR_E_DYN_PTR, "dynamic: %s [%x, +%x) is outside the image", tag, vaddr, size);
    *out = addr;
    return 0;
}

/* A table of `size` bytes of `entsize`-byte entries. */
static int table_ptr(const struct elfldr_obj *obj, const char *tag, uint64_t vaddr, uint64_t size, uint64_t entsize,
                     uintptr_t *out, struct elfldr_error *err)
{
    if (size % entsize != 0)
        return set_error(err, ELFLDR_E_DYN_PTR, "dynamic: %s size %x is not a multiple of %u", tag, size, entsize);
    return image_ptr(obj, tag, vaddr, size, 8, out, err);
}

struct raw_dyn {
    uint64_t val[38];      /* tags 0..37, as found */
    bool has[38];
    uint64_t gnu_hash, versym, verdef, verdefnum, verneed, verneednum, flags_1;
    bool has_gnu_hash, has_versym, has_verdef, has_verneed;
};

static void note_tag(struct raw_dyn *r, struct dyninfo *d, const struct elf64_dyn *e)
{
    uint64_t v = e->d_val;
    if (e->d_tag >= 0 && e->d_tag < 38) {
        if (e->d_tag == DT_NEEDED)
            d->needed_count++;
        r->val[e->d_tag] = v;
        r->has[e->d_tag] = true;
        return;
    }
    switch (e->d_tag) {
    case DT_GNU_HASH: r->gnu_hash = v; r->has_gnu_hash = true; break;
    case DT_VERSYM: r->versym = v; r->has_versym = true; break;
    case DT_VERDEF: r->verdef = v; r->has_verdef = true; break;
    case DT_VERDEFNUM: r->verdefnum = v; break;
    case DT_VERNEED: r->verneed = v; r->has_verneed = true; break;
    case DT_VERNEEDNUM: r->verneednum = v; break;
    case DT_FLAGS_1: r->flags_1 = v; break;
    default: break; /* tags glibc ignores too */
    }
}

static int check_entsize(const struct raw_dyn *r, int tag, uint64_t want, const char *name, struct elfldr_error *err)
{
    if (r->has[tag] && r->val[tag] != want)
        return set_error(err, ELFLDR_E_RELOC_TABLE, "dynamic: %s is %u, not %u", name, r->val[tag], want);
    return 0;
}

static int decode_relocs(struct elfldr_obj *obj, const struct raw_dyn *r, struct elfldr_error *err)
{
    struct dyninfo *d = &obj->dyn;
    int rc;
    if ((rc = check_entsize(r, DT_RELAENT, sizeof(struct elf64_rela), "DT_RELAENT", err)) ||
        (rc = check_entsize(r, DT_RELENT, sizeof(struct elf64_rel), "DT_RELENT", err)) ||
        (rc = check_entsize(r, DT_RELRENT, 8, "DT_RELRENT", err)))
        return rc;
    if (r->has[DT_RELA] && r->val[DT_RELASZ] % sizeof(struct elf64_rela) != 0)
        return set_error(err, ELFLDR_E_RELOC_TABLE, "dynamic: DT_RELASZ %x is not a multiple of %u", r->val[DT_RELASZ],
                         U(sizeof(struct elf64_rela)));
    if (r->has[DT_REL] && r->val[DT_RELSZ] % sizeof(struct elf64_rel) != 0)
        return set_error(err, ELFLDR_E_RELOC_TABLE, "dynamic: DT_RELSZ %x is not a multiple of %u", r->val[DT_RELSZ],
                         U(sizeof(struct elf64_rel)));
    if (r->has[DT_RELA] && (rc = table_ptr(obj, "DT_RELA", r->val[DT_RELA], r->val[DT_RELASZ], 24, &d->rela, err)))
        return rc;
    if (r->has[DT_REL] && (rc = table_ptr(obj, "DT_REL", r->val[DT_REL], r->val[DT_RELSZ], 16, &d->rel, err)))
        return rc;
    if (r->has[DT_RELR] && (rc = table_ptr(obj, "DT_RELR", r->val[DT_RELR], r->val[DT_RELRSZ], 8, &d->relr, err)))
        return rc;
    d->relasz = d->rela ? r->val[DT_RELASZ] : 0;
    d->relsz = d->rel ? r->val[DT_RELSZ] : 0;
    d->relrsz = d->relr ? r->val[DT_RELRSZ] : 0;
    if (r->has[DT_JMPREL]) {
        uint64_t kind = r->val[DT_PLTREL];
        if (kind != DT_RELA && kind != DT_REL)
            return set_error(err, ELFLDR_E_DYNAMIC, "dynamic: DT_PLTREL %u is neither DT_RELA nor DT_REL", kind);
        uint64_t ent = kind == DT_RELA ? sizeof(struct elf64_rela) : sizeof(struct elf64_rel);
        if (r->val[DT_PLTRELSZ] % ent != 0)
            return set_error(err, ELFLDR_E_RELOC_TABLE, "dynamic: DT_PLTRELSZ %x is not a multiple of %u",
                             r->val[DT_PLTRELSZ], ent);
        if ((rc = table_ptr(obj, "DT_JMPREL", r->val[DT_JMPREL], r->val[DT_PLTRELSZ], ent, &d->jmprel, err)))
            return rc;
        d->pltrel = kind;
        d->pltrelsz = r->val[DT_PLTRELSZ];
    }
    return 0;
}

static int decode_array(const struct elfldr_obj *obj, const struct raw_dyn *r, int tag, int size_tag,
                        const char *name, uintptr_t *addr, uint64_t *size, struct elfldr_error *err)
{
    if (!r->has[tag] || r->val[size_tag] == 0)
        return 0;
    int rc = table_ptr(obj, name, r->val[tag], r->val[size_tag], 8, addr, err);
    if (rc == 0)
        *size = r->val[size_tag];
    return rc;
}

static int decode_arrays(struct elfldr_obj *obj, const struct raw_dyn *r, struct elfldr_error *err)
{
    struct dyninfo *d = &obj->dyn;
    int rc;
    if ((rc = decode_array(obj, r, DT_INIT_ARRAY, DT_INIT_ARRAYSZ, "DT_INIT_ARRAY", &d->init_array,
                           &d->init_arraysz, err)) ||
        (rc = decode_array(obj, r, DT_FINI_ARRAY, DT_FINI_ARRAYSZ, "DT_FINI_ARRAY", &d->fini_array,
                           &d->fini_arraysz, err)) ||
        (rc = decode_array(obj, r, DT_PREINIT_ARRAY, DT_PREINIT_ARRAYSZ, "DT_PREINIT_ARRAY", &d->preinit_array,
                           &d->preinit_arraysz, err)))
        return rc;
    /* DT_INIT and DT_FINI are code: checked against executable segments before they run. */
    d->init = r->has[DT_INIT] && r->val[DT_INIT] ? obj->load_bias + r->val[DT_INIT] : 0;
    d->fini = r->has[DT_FINI] && r->val[DT_FINI] ? obj->load_bias + r->val[DT_FINI] : 0;
    return 0;
}

static int check_name(const struct elfldr_obj *obj, uint64_t offset, const char *tag, struct elfldr_error *err)
{
    if (offset != NO_STRING && !string_ok(obj, offset))
        return set_error(err, ELFLDR_E_STRTAB, "dynamic: %s at string offset %x is outside DT_STRSZ %x or unterminated",
                         tag, offset, obj->dyn.strsz);
    return 0;
}

static int decode_strings(struct elfldr_obj *obj, const struct raw_dyn *r, struct elfldr_error *err)
{
    struct dyninfo *d = &obj->dyn;
    uintptr_t addr;
    int rc;
    if (r->has[DT_STRTAB]) {
        if ((rc = image_ptr(obj, "DT_STRTAB", r->val[DT_STRTAB], r->val[DT_STRSZ], 1, &addr, err)))
            return rc;
        d->strtab = (const char *)addr;
        d->strsz = r->val[DT_STRSZ];
    }
    d->soname = r->has[DT_SONAME] ? r->val[DT_SONAME] : NO_STRING;
    d->rpath = r->has[DT_RPATH] ? r->val[DT_RPATH] : NO_STRING;
    d->runpath = r->has[DT_RUNPATH] ? r->val[DT_RUNPATH] : NO_STRING;
    if ((rc = check_name(obj, d->soname, "DT_SONAME", err)) || (rc = check_name(obj, d->rpath, "DT_RPATH", err)) ||
        (rc = check_name(obj, d->runpath, "DT_RUNPATH", err)))
        return rc;
    for (size_t i = 0; i < d->count; i++)
        if (d->entries[i].d_tag == DT_NEEDED && !string_ok(obj, d->entries[i].d_val))
            return set_error(err, ELFLDR_E_STRTAB, "dynamic: DT_NEEDED at string offset %x is outside DT_STRSZ %x or unterminated",
                             d->entries[i].d_val, d->strsz);
    return 0;
}

static int decode_symbol_tables(struct elfldr_obj *obj, const struct raw_dyn *r, struct elfldr_error *err)
{
    struct dyninfo *d = &obj->dyn;
    uintptr_t addr;
    int rc;
    if (r->has[DT_SYMENT] && r->val[DT_SYMENT] != sizeof(struct elfldr_sym))
        return set_error(err, ELFLDR_E_SYMTAB, "dynamic: DT_SYMENT %u is not %u", r->val[DT_SYMENT],
                         U(sizeof(struct elfldr_sym)));
    if (r->has[DT_SYMTAB]) {
        if ((rc = image_ptr(obj, "DT_SYMTAB", r->val[DT_SYMTAB], sizeof(struct elfldr_sym), 8, &addr, err)))
            return rc;
        d->symtab = (const struct elfldr_sym *)addr;
    }
    if (r->has[DT_HASH]) {
        if ((rc = image_ptr(obj, "DT_HASH", r->val[DT_HASH], 8, 4, &addr, err)))
            return rc;
        d->sysv_hash = (const uint32_t *)addr;
    }
    if (r->has_gnu_hash) {
        if ((rc = image_ptr(obj, "DT_GNU_HASH", r->gnu_hash, 16, 8, &addr, err)))
            return rc;
        d->gnu_hash = (const uint32_t *)addr;
    }
    if (r->has_versym) {
        if ((rc = image_ptr(obj, "DT_VERSYM", r->versym, 2, 2, &addr, err)))
            return rc;
        d->versym = (const uint16_t *)addr;
    }
    if (r->has_verdef && (rc = image_ptr(obj, "DT_VERDEF", r->verdef, sizeof(struct elf64_verdef), 4, &d->verdef, err)))
        return rc;
    if (r->has_verneed &&
        (rc = image_ptr(obj, "DT_VERNEED", r->verneed, sizeof(struct elf64_verneed), 4, &d->verneed, err)))
        return rc;
    d->verdefnum = r->verdefnum;
    d->verneednum = r->verneednum;
    return 0;
}

int decode_dynamic(struct elfldr_obj *obj, struct elfldr_error *err)
{
    struct dyninfo *d = &obj->dyn;
    d->soname = d->rpath = d->runpath = NO_STRING;
    if (obj->dynamic_index < 0)
        return 0;
    const struct elfldr_phdr *ph = &obj->phdrs[obj->dynamic_index];
    d->entries = (const struct elf64_dyn *)(obj->load_bias + ph->p_vaddr);
    size_t max = ph->p_memsz / sizeof(struct elf64_dyn);
    struct raw_dyn raw;
    __builtin_memset(&raw, 0, sizeof(raw));
    size_t n = 0;
    while (n < max && d->entries[n].d_tag != DT_NULL)
        note_tag(&raw, d, &d->entries[n++]);
    if (n == max)
        return set_error(err, ELFLDR_E_DYNAMIC, "dynamic: no DT_NULL in its %u entries", U(max));
    d->count = n;
    int rc;
    if ((rc = decode_strings(obj, &raw, err)) || (rc = decode_symbol_tables(obj, &raw, err)) ||
        (rc = decode_relocs(obj, &raw, err)) || (rc = decode_arrays(obj, &raw, err)))
        return rc;
    d->flags = raw.val[DT_FLAGS];
    d->flags_1 = raw.flags_1;
    d->textrel = raw.has[DT_TEXTREL] || (d->flags & DF_TEXTREL);
    d->symbolic = raw.has[DT_SYMBOLIC] || (d->flags & DF_SYMBOLIC);
    d->bind_now = raw.has[DT_BIND_NOW] || (d->flags & DF_BIND_NOW) || (d->flags_1 & DF_1_NOW);
    if (raw.has[DT_PLTGOT] && (rc = image_ptr(obj, "DT_PLTGOT", raw.val[DT_PLTGOT], 8, 8, &d->pltgot, err)))
        return rc;
    return 0;
}
