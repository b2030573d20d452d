/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Mapping: reserve the whole span once (aligned to the largest p_align), then place each PT_LOAD inside
 * it, file-backed where the source is a file and the table can map files, copied otherwise; zero the
 * bss, including the tail of the last file page; set the protections from p_flags.
 */
#include "internal.h"

#define U(x) ((uint64_t)(x))

int prot_of(uint32_t p_flags)
{
    return ((p_flags & PF_R) ? ELFLDR_PROT_READ : 0) | ((p_flags & PF_W) ? ELFLDR_PROT_WRITE : 0) |
           ((p_flags & PF_X) ? ELFLDR_PROT_EXEC : 0);
}

static bool in_segment(const struct elfldr_obj *obj, const struct elfldr_phdr *ph, uintptr_t addr, uint64_t size)
{
    uintptr_t start = obj->load_bias + ph->p_vaddr;
    return addr >= start && addr - start <= ph->p_memsz && ph->p_memsz - (addr - start) >= size;
}

bool in_image(const struct elfldr_obj *obj, uintptr_t addr, uint64_t size)
{
    for (size_t i = 0; i < obj->phnum; i++)
        if (obj->phdrs[i].p_type == PT_LOAD && in_segment(obj, &obj->phdrs[i], addr, size))
            return true;
    return false;
}

/* Relocations may write to writable segments only, or to any segment of a DT_TEXTREL object. */
bool in_writable(const struct elfldr_obj *obj, uintptr_t addr, uint64_t size)
{
    for (size_t i = 0; i < obj->phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type == PT_LOAD && ((ph->p_flags & PF_W) || obj->dyn.textrel) && in_segment(obj, ph, addr, size))
            return true;
    }
    return false;
}

uint64_t room_after(const struct elfldr_obj *obj, uintptr_t addr)
{
    for (size_t i = 0; i < obj->phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type == PT_LOAD && in_segment(obj, ph, addr, 0))
            return ph->p_memsz - (addr - (obj->load_bias + ph->p_vaddr));
    }
    return 0;
}

bool in_executable(const struct elfldr_obj *obj, uintptr_t addr)
{
    for (size_t i = 0; i < obj->phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && in_segment(obj, ph, addr, 1))
            return true;
    }
    return false;
}

static int copy_bytes(struct elfldr_obj *obj, const struct source *src, uintptr_t dest, uint64_t offset,
                      uint64_t size, unsigned index, struct elfldr_error *err)
{
    if (src->bytes) {
        __builtin_memcpy((void *)dest, src->bytes + offset, size);
        return 0;
    }
    int rc = obj->ops.read(obj->ops.ctx, src->handle, offset, (void *)dest, size);
    if (rc)
        return set_error(err, ELFLDR_E_IO, "segment %u: cannot read %x bytes at offset %x (errno %d)", U(index),
                         size, offset, (int64_t)-rc);
    return 0;
}

static int map_failed(unsigned index, const char *what, uintptr_t addr, uint64_t size, int rc,
                      struct elfldr_error *err)
{
    return set_error(err, ELFLDR_E_MAP, "segment %u: cannot map %s at %x size %x (errno %d)", U(index), what, U(addr),
                     size, (int64_t)-rc);
}

/* How a segment's file pages are made. */
enum file_pages {
    COPY_IN,  /* zero pages, the bytes read in */
    MAP_FILE, /* mapped from the file */
    IN_SPAN,  /* already there: the span was mapped from the file with protection `span_prot` */
};

/* The pages that hold file bytes: mapped from the file, or zero pages with the bytes copied in, or
 * (IN_SPAN) left where the span's mapping put them, with their protection changed. */
static int map_file_part(struct elfldr_obj *obj, const struct source *src, const struct elfldr_phdr *ph,
                         unsigned index, enum file_pages how, int span_prot, struct elfldr_error *err)
{
    bool use_file_map = how != COPY_IN;
    size_t page = obj->ops.page_size;
    uintptr_t seg = obj->load_bias + ph->p_vaddr;
    uintptr_t start = page_down(seg, page);
    uintptr_t end = page_up(seg + ph->p_filesz, page);
    int prot = prot_of(ph->p_flags);
    bool tail = ph->p_memsz > ph->p_filesz && (seg + ph->p_filesz) % page != 0;
    /* Writable while the bss tail is zeroed or the bytes copied; the final protection comes after. */
    int first_prot = use_file_map ? (tail ? prot | ELFLDR_PROT_WRITE : prot) : ELFLDR_PROT_READ | ELFLDR_PROT_WRITE;
    /* The file pages relocation will write (GOT, .data.rel.ro), made private in one call rather than a
     * fault each; not the bss, which may be large and is zero until used. A mapped-only object's only
     * where the caller asks (its relocator writes them): `prot` is the segment's own, not first_prot's
     * write permission for zeroing a tail. */
    bool populate = use_file_map && (prot & ELFLDR_PROT_WRITE) && obj->ops.populate &&
                    (!(obj->flags & (ELFLDR_LOAD_MAP_ONLY | ELFLDR_LOAD_NO_RUN)) || (obj->flags & ELFLDR_LOAD_POPULATE));
    int rc = 0;
    if (how == IN_SPAN) {
        if (first_prot != span_prot && (rc = obj->ops.protect(obj->ops.ctx, start, end - start, first_prot)))
            return set_error(err, ELFLDR_E_PROTECT, "segment %u: cannot protect %x size %x (errno %d)", U(index),
                             U(start), U(end - start), (int64_t)-rc);
    } else if (how == MAP_FILE && populate && obj->ops.map_file_populate) {
        rc = obj->ops.map_file_populate(obj->ops.ctx, start, end - start, first_prot, src->handle,
                                        ph->p_offset - (seg - start));
        populate = false; /* done with the mapping */
    } else if (how == MAP_FILE) {
        rc = obj->ops.map_file(obj->ops.ctx, start, end - start, first_prot, src->handle,
                               ph->p_offset - (seg - start));
    } else {
        rc = obj->ops.map_zero(obj->ops.ctx, start, end - start, first_prot);
    }
    if (rc)
        return map_failed(index, use_file_map ? "file bytes" : "pages for file bytes", start, end - start, rc, err);
    /* Before the tail is zeroed: its page is then present too. A writable segment's protection is its
     * first, so none follows. */
    if (populate)
        (void)obj->ops.populate(obj->ops.ctx, start, end - start);
    if (!use_file_map && (rc = copy_bytes(obj, src, seg, ph->p_offset, ph->p_filesz, index, err)))
        return rc;
    if (tail)
        __builtin_memset((void *)(seg + ph->p_filesz), 0, end - (seg + ph->p_filesz));
    if (first_prot != prot && (rc = obj->ops.protect(obj->ops.ctx, start, end - start, prot)))
        return set_error(err, ELFLDR_E_PROTECT, "segment %u: cannot protect %x size %x (errno %d)", U(index),
                         U(start), U(end - start), (int64_t)-rc);
    return 0;
}

static int map_segment(struct elfldr_obj *obj, const struct source *src, const struct elfldr_phdr *ph,
                       unsigned index, enum file_pages how, int span_prot, struct elfldr_error *err)
{
    size_t page = obj->ops.page_size;
    uintptr_t seg = obj->load_bias + ph->p_vaddr;
    uintptr_t zero_from = page_down(seg, page);
    if (ph->p_filesz) {
        int rc = map_file_part(obj, src, ph, index, how, span_prot, err);
        if (rc)
            return rc;
        zero_from = page_up(seg + ph->p_filesz, page);
    }
    uintptr_t zero_to = page_up(seg + ph->p_memsz, page);
    if (zero_to > zero_from) {
        int rc = obj->ops.map_zero(obj->ops.ctx, zero_from, zero_to - zero_from, prot_of(ph->p_flags));
        if (rc)
            return map_failed(index, "zero pages", zero_from, zero_to - zero_from, rc, err);
    }
    return 0;
}

static void span_of(const struct elfldr_obj *obj, uintptr_t *lo, uintptr_t *hi, size_t *align)
{
    size_t page = obj->ops.page_size;
    *lo = UINTPTR_MAX;
    *hi = 0;
    *align = page;
    for (size_t i = 0; i < obj->phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type != PT_LOAD)
            continue;
        if (page_down(ph->p_vaddr, page) < *lo)
            *lo = page_down(ph->p_vaddr, page);
        if (page_up(ph->p_vaddr + ph->p_memsz, page) > *hi)
            *hi = page_up(ph->p_vaddr + ph->p_memsz, page);
        if (ph->p_align > *align)
            *align = ph->p_align;
    }
}

static int call_phdr_hooks(struct elfldr_obj *obj, struct elfldr_error *err)
{
    if (!obj->hooks.on_phdr)
        return 0;
    for (unsigned i = 0; i < obj->phnum; i++)
        if (obj->hooks.on_phdr(obj->hooks.ctx, obj, i, &obj->phdrs[i], obj->load_bias) != ELFLDR_HOOK_CONTINUE)
            return set_error(err, ELFLDR_E_REFUSED, "segment %u: refused by the on_phdr hook", U(i));
    return 0;
}

static const struct elfldr_phdr *first_load(const struct elfldr_obj *obj)
{
    for (size_t i = 0; i < obj->phnum; i++)
        if (obj->phdrs[i].p_type == PT_LOAD)
            return &obj->phdrs[i];
    return NULL;
}

/* The pages between segments (never between a segment's own pages: each has pages of its own) are
 * inaccessible, as in a reservation. Only needed where the span was mapped from the file. */
static int protect_holes(struct elfldr_obj *obj, struct elfldr_error *err)
{
    size_t page = obj->ops.page_size;
    uintptr_t prev_end = 0;
    for (size_t i = 0; i < obj->phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t start = page_down(obj->load_bias + ph->p_vaddr, page);
        if (prev_end && start > prev_end) {
            int rc = obj->ops.protect(obj->ops.ctx, prev_end, start - prev_end, 0);
            if (rc)
                return set_error(err, ELFLDR_E_PROTECT, "cannot protect the hole %x size %x (errno %d)", U(prev_end),
                                 U(start - prev_end), (int64_t)-rc);
        }
        prev_end = page_up(obj->load_bias + ph->p_vaddr + ph->p_memsz, page);
    }
    return 0;
}

int map_image(struct elfldr_obj *obj, const struct source *src, uintptr_t hint, struct elfldr_error *err)
{
    uintptr_t lo, hi;
    size_t align;
    span_of(obj, &lo, &hi, &align);
    bool fixed = obj->type == ET_EXEC;
    bool use_file_map = !src->bytes && obj->ops.map_file && !(obj->flags & ELFLDR_LOAD_NO_FILE_MAP);
    /* glibc's way where the table can: the file over the whole span with the first segment's
     * protection. The first segment must be all file bytes (no bss to zero in its pages). */
    const struct elfldr_phdr *first = first_load(obj);
    bool span_from_file = use_file_map && obj->ops.reserve_file && align <= obj->ops.page_size && first &&
                          first->p_filesz > 0 && first->p_memsz == first->p_filesz;
    int span_prot = span_from_file ? prot_of(first->p_flags) : 0;
    uintptr_t base;
    int rc = span_from_file ? obj->ops.reserve_file(obj->ops.ctx, fixed ? lo : hint, hi - lo, fixed, span_prot,
                                                    src->handle, page_down(first->p_offset, obj->ops.page_size), &base)
                            : obj->ops.reserve(obj->ops.ctx, fixed ? lo : hint, hi - lo, align, fixed, &base);
    if (rc)
        return set_error(err, ELFLDR_E_MAP, "cannot reserve %x bytes%s%x (errno %d)", U(hi - lo),
                         fixed ? " at the fixed address " : " aligned to ", fixed ? U(lo) : U(align), (int64_t)-rc);
    obj->reserved = true;
    obj->base = base;
    obj->span = hi - lo;
    obj->load_bias = base - lo;
    if ((rc = call_phdr_hooks(obj, err)))
        return rc;
    for (unsigned i = 0; i < obj->phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type != PT_LOAD)
            continue;
        /* A segment that lies in the file as the first one does is in the span's mapping already. */
        enum file_pages how = !use_file_map ? COPY_IN
                              : span_from_file && ph->p_vaddr - ph->p_offset == first->p_vaddr - first->p_offset
                                  ? IN_SPAN
                                  : MAP_FILE;
        if ((rc = map_segment(obj, src, ph, i, how, span_prot, err)))
            return rc;
    }
    return span_from_file ? protect_holes(obj, err) : 0;
}

void unmap_image(struct elfldr_obj *obj)
{
    if (obj->reserved)
        obj->ops.release(obj->ops.ctx, obj->base, obj->span);
    obj->reserved = false;
}

int protect_relro(struct elfldr_obj *obj, struct elfldr_error *err)
{
    if (obj->relro_index < 0)
        return 0;
    const struct elfldr_phdr *ph = &obj->phdrs[obj->relro_index];
    size_t page = obj->ops.page_size;
    /* glibc rounds both ends down: the page holding the end stays writable for what follows RELRO. */
    uintptr_t start = page_down(obj->load_bias + ph->p_vaddr, page);
    uintptr_t end = page_down(obj->load_bias + ph->p_vaddr + ph->p_memsz, page);
    if (end <= start)
        return 0;
    int rc = obj->ops.protect(obj->ops.ctx, start, end - start, ELFLDR_PROT_READ);
    if (rc)
        return set_error(err, ELFLDR_E_PROTECT, "PT_GNU_RELRO: cannot make %x size %x read-only (errno %d)", U(start),
                         U(end - start), (int64_t)-rc);
    return 0;
}

/* For DT_TEXTREL: every segment that is not writable becomes so for the relocations, then returns. */
int set_text_writable(struct elfldr_obj *obj, bool writable, struct elfldr_error *err)
{
    size_t page = obj->ops.page_size;
    for (unsigned i = 0; i < obj->phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
            continue;
        uintptr_t start = page_down(obj->load_bias + ph->p_vaddr, page);
        uintptr_t end = page_up(obj->load_bias + ph->p_vaddr + ph->p_memsz, page);
        int prot = prot_of(ph->p_flags) | (writable ? ELFLDR_PROT_WRITE : 0);
        int rc = obj->ops.protect(obj->ops.ctx, start, end - start, prot);
        if (rc)
            return set_error(err, ELFLDR_E_PROTECT, "segment %u: cannot change protection for DT_TEXTREL (errno %d)",
                             U(i), (int64_t)-rc);
    }
    return 0;
}
