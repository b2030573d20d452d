/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ELF header and the program headers, checked before anything is mapped. At least as strict as
 * the kernel's fs/binfmt_elf.c and glibc's _dl_map_object_from_fd, plus: segments in order and not
 * overlapping, every size and offset checked for overflow and against the file.
 */
#include "internal.h"

#define U(x) ((uint64_t)(x))
#define MAX_PHDR_BYTES 65536 /* the kernel's limit on the program header table */
#define MAX_INTERP 4096      /* PATH_MAX */
#define MAX_GNU_ABIVERSION 3 /* glibc 2.36's LIBC_ABI_MAX - 1 on the three architectures */
/* No user address space on the three architectures reaches past 2^57; a span beyond is nonsense. */
#define MAX_ADDRESS ((uint64_t)1 << 57)

int validate_ehdr(const struct elf64_ehdr *eh, uint64_t file_size, struct elfldr_error *err)
{
    const unsigned char *id = eh->e_ident;
    if (id[0] != 0x7f || id[1] != 'E' || id[2] != 'L' || id[3] != 'F')
        return set_error(err, ELFLDR_E_NOT_ELF, "ELF header: no ELF magic");
    if (id[EI_CLASS] != ELFCLASS64)
        return set_error(err, ELFLDR_E_CLASS, "ELF header: class %u is not ELFCLASS64", U(id[EI_CLASS]));
    if (id[EI_DATA] != ELFDATA2LSB)
        return set_error(err, ELFLDR_E_DATA, "ELF header: data encoding %u is not little-endian", U(id[EI_DATA]));
    if (id[EI_VERSION] != EV_CURRENT)
        return set_error(err, ELFLDR_E_VERSION, "ELF header: EI_VERSION %u is not 1", U(id[EI_VERSION]));
    if (eh->e_version != EV_CURRENT)
        return set_error(err, ELFLDR_E_VERSION, "ELF header: e_version %u is not 1", U(eh->e_version));
    if (id[EI_OSABI] != ELFOSABI_SYSV && id[EI_OSABI] != ELFOSABI_GNU)
        return set_error(err, ELFLDR_E_OSABI, "ELF header: OS ABI %u is neither SYSV nor GNU", U(id[EI_OSABI]));
    /* glibc: SYSV objects have ABI version 0; GNU ones a version below the ABI tags it knows. */
    if (id[EI_ABIVERSION] > (id[EI_OSABI] == ELFOSABI_GNU ? MAX_GNU_ABIVERSION : 0))
        return set_error(err, ELFLDR_E_OSABI, "ELF header: ABI version %u is not valid for OS ABI %u",
                         U(id[EI_ABIVERSION]), U(id[EI_OSABI]));
    for (int i = EI_PAD; i < EI_NIDENT; i++)
        if (id[i] != 0)
            return set_error(err, ELFLDR_E_OSABI, "ELF header: padding byte %u is not zero", U(i));
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return set_error(err, ELFLDR_E_TYPE, "ELF header: e_type %u is neither ET_EXEC nor ET_DYN", U(eh->e_type));
    if (eh->e_machine != ARCH_MACHINE)
        return set_error(err, ELFLDR_E_MACHINE, "ELF header: e_machine %u is not %s (%u)", U(eh->e_machine),
                         ARCH_NAME, U(ARCH_MACHINE));
    if (eh->e_ehsize != sizeof(struct elf64_ehdr))
        return set_error(err, ELFLDR_E_EHSIZE, "ELF header: e_ehsize %u is not %u", U(eh->e_ehsize),
                         U(sizeof(struct elf64_ehdr)));
    if (eh->e_phentsize != sizeof(struct elfldr_phdr))
        return set_error(err, ELFLDR_E_PHENTSIZE, "ELF header: e_phentsize %u is not %u", U(eh->e_phentsize),
                         U(sizeof(struct elfldr_phdr)));
    if (eh->e_phnum == 0 || U(eh->e_phnum) * sizeof(struct elfldr_phdr) > MAX_PHDR_BYTES)
        return set_error(err, ELFLDR_E_PHNUM, "ELF header: e_phnum %u is not within 1..%u", U(eh->e_phnum),
                         U(MAX_PHDR_BYTES / sizeof(struct elfldr_phdr)));
    uint64_t table = U(eh->e_phnum) * sizeof(struct elfldr_phdr);
    if (eh->e_phoff > file_size || eh->e_phoff < sizeof(struct elf64_ehdr))
        return set_error(err, ELFLDR_E_PHOFF, "ELF header: e_phoff %x is outside the file (%x) or inside the ELF header",
                         U(eh->e_phoff), file_size);
    if (file_size - eh->e_phoff < table)
        return set_error(err, ELFLDR_E_TRUNCATED, "ELF header: program headers at %x + %x pass the end of the file (%x)",
                         U(eh->e_phoff), table, file_size);
    if (eh->e_phoff % 8 != 0)
        return set_error(err, ELFLDR_E_PHOFF, "ELF header: e_phoff %x is not 8-byte aligned", U(eh->e_phoff));
    return 0;
}

static int check_load(const struct elfldr_phdr *ph, unsigned i, uint64_t file_size, size_t page,
                      struct elfldr_error *err)
{
    if (ph->p_filesz > ph->p_memsz)
        return set_error(err, ELFLDR_E_SEG_FILESZ, "segment %u: p_filesz %x > p_memsz %x", U(i), ph->p_filesz,
                         ph->p_memsz);
    if (ph->p_offset > file_size || file_size - ph->p_offset < ph->p_filesz)
        return set_error(err, ELFLDR_E_SEG_OFFSET, "segment %u: p_offset %x + p_filesz %x pass the end of the file (%x)",
                         U(i), ph->p_offset, ph->p_filesz, file_size);
    if (ph->p_vaddr >= MAX_ADDRESS || ph->p_memsz > MAX_ADDRESS - ph->p_vaddr)
        return set_error(err, ELFLDR_E_SEG_RANGE, "segment %u: p_vaddr %x + p_memsz %x leaves the address space",
                         U(i), ph->p_vaddr, ph->p_memsz);
    if (ph->p_align > 1 && (!is_pow2(ph->p_align) || ph->p_align % page != 0))
        return set_error(err, ELFLDR_E_SEG_ALIGN,
                         "segment %u: p_align %x is not a power of two and a multiple of the page size (%x)", U(i),
                         ph->p_align, U(page));
    if ((ph->p_vaddr - ph->p_offset) % page != 0)
        return set_error(err, ELFLDR_E_SEG_CONGRUENT, "segment %u: p_vaddr %x and p_offset %x differ modulo the page size",
                         U(i), ph->p_vaddr, ph->p_offset);
    if (ph->p_align > 1 && (ph->p_vaddr - ph->p_offset) % ph->p_align != 0)
        return set_error(err, ELFLDR_E_SEG_CONGRUENT, "segment %u: p_vaddr %x and p_offset %x differ modulo p_align %x",
                         U(i), ph->p_vaddr, ph->p_offset, ph->p_align);
    return 0;
}

/* Whether [vaddr, vaddr+size) lies inside one PT_LOAD (its file part only, with `file_only`). */
/* Whether [vaddr, +size) lies in one loaded segment: in its file part, or in memory; with `whole_page`,
 * the segment's last page counted whole (GNU ld ends PT_GNU_RELRO on a page boundary when nothing
 * writable follows it in the segment, and glibc rounds its ends down to pages). */
static bool within_load_pages(const struct elfldr_obj *obj, uint64_t vaddr, uint64_t size, bool file_only,
                              bool whole_page)
{
    uint64_t page = obj->ops.page_size;
    for (size_t i = 0; i < obj->phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uint64_t len = file_only ? ph->p_filesz : ph->p_memsz;
        uint64_t end = ph->p_vaddr + len;
        if (whole_page && end >= ph->p_vaddr && end + (page - 1) >= end)
            len = ((end + (page - 1)) & ~(page - 1)) - ph->p_vaddr;
        if (vaddr >= ph->p_vaddr && vaddr - ph->p_vaddr <= len && len - (vaddr - ph->p_vaddr) >= size)
            return true;
    }
    return false;
}

static bool within_load(const struct elfldr_obj *obj, uint64_t vaddr, uint64_t size, bool file_only)
{
    return within_load_pages(obj, vaddr, size, file_only, false);
}

static int check_loads(struct elfldr_obj *obj, uint64_t file_size, struct elfldr_error *err)
{
    size_t page = obj->ops.page_size;
    const struct elfldr_phdr *prev = NULL;
    unsigned prev_index = 0;
    for (unsigned i = 0; i < obj->phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type != PT_LOAD)
            continue;
        int rc = check_load(ph, i, file_size, page, err);
        if (rc)
            return rc;
        if (prev) {
            if (ph->p_vaddr < prev->p_vaddr)
                return set_error(err, ELFLDR_E_SEG_ORDER, "segment %u: p_vaddr %x is below segment %u's %x", U(i),
                                 ph->p_vaddr, U(prev_index), prev->p_vaddr);
            /* Each segment gets pages of its own: a later mapping would replace a shared page. */
            if (page_down(ph->p_vaddr, page) < page_up(prev->p_vaddr + prev->p_memsz, page))
                return set_error(err, ELFLDR_E_SEG_OVERLAP, "segment %u: [%x, %x) overlaps the pages of segment %u",
                                 U(i), ph->p_vaddr, ph->p_vaddr + ph->p_memsz, U(prev_index));
        }
        prev = ph;
        prev_index = i;
    }
    if (!prev)
        return set_error(err, ELFLDR_E_NO_LOAD, "no PT_LOAD segment");
    return 0;
}

static int note_once(int *slot, unsigned i, const char *what, enum elfldr_err code, struct elfldr_error *err)
{
    if (*slot >= 0)
        return set_error(err, code, "segment %u: a second %s (the first is segment %u)", U(i), what, U(*slot));
    *slot = (int)i;
    return 0;
}

static int check_other(struct elfldr_obj *obj, unsigned i, uint64_t file_size, struct elfldr_error *err)
{
    const struct elfldr_phdr *ph = &obj->phdrs[i];
    int rc = 0;
    switch (ph->p_type) {
    case PT_DYNAMIC:
        if ((rc = note_once(&obj->dynamic_index, i, "PT_DYNAMIC", ELFLDR_E_SEG_MISC, err)))
            return rc;
        if (ph->p_memsz < sizeof(struct elf64_dyn) || ph->p_vaddr % 8 != 0 ||
            !within_load(obj, ph->p_vaddr, ph->p_memsz, true))
            return set_error(err, ELFLDR_E_SEG_MISC, "segment %u: PT_DYNAMIC [%x, +%x) is not inside a loaded segment",
                             U(i), ph->p_vaddr, ph->p_memsz);
        return 0;
    case PT_GNU_RELRO:
        if ((rc = note_once(&obj->relro_index, i, "PT_GNU_RELRO", ELFLDR_E_SEG_MISC, err)))
            return rc;
        if (!within_load_pages(obj, ph->p_vaddr, ph->p_memsz, false, true))
            return set_error(err, ELFLDR_E_SEG_MISC, "segment %u: PT_GNU_RELRO [%x, +%x) is not inside a loaded segment",
                             U(i), ph->p_vaddr, ph->p_memsz);
        return 0;
    case PT_TLS:
        if ((rc = note_once(&obj->tls_index, i, "PT_TLS", ELFLDR_E_SEG_MISC, err)))
            return rc;
        if (ph->p_filesz > ph->p_memsz || (ph->p_align > 1 && !is_pow2(ph->p_align)) ||
            !within_load(obj, ph->p_vaddr, ph->p_filesz, true))
            return set_error(err, ELFLDR_E_SEG_MISC, "segment %u: PT_TLS [%x, +%x) is malformed or outside the file part of a loaded segment",
                             U(i), ph->p_vaddr, ph->p_filesz);
        return 0;
    case PT_PHDR:
        if (!within_load(obj, ph->p_vaddr, ph->p_memsz, false))
            return set_error(err, ELFLDR_E_SEG_MISC, "segment %u: PT_PHDR [%x, +%x) is not inside a loaded segment",
                             U(i), ph->p_vaddr, ph->p_memsz);
        return 0;
    case PT_GNU_STACK:
        obj->stack_index = (int)i;
        return 0;
    case PT_INTERP:
        if ((rc = note_once(&obj->interp_index, i, "PT_INTERP", ELFLDR_E_INTERP, err)))
            return rc;
        if (ph->p_filesz < 2 || ph->p_filesz > MAX_INTERP || ph->p_offset > file_size ||
            file_size - ph->p_offset < ph->p_filesz)
            return set_error(err, ELFLDR_E_INTERP, "segment %u: PT_INTERP at %x size %x is not a path inside the file",
                             U(i), ph->p_offset, ph->p_filesz);
        return 0;
    default:
        return 0;
    }
}

int validate_phdrs(struct elfldr_obj *obj, uint64_t file_size, struct elfldr_error *err)
{
    int rc = check_loads(obj, file_size, err);
    if (rc)
        return rc;
    obj->dynamic_index = obj->relro_index = obj->tls_index = obj->interp_index = obj->stack_index = -1;
    for (unsigned i = 0; i < obj->phnum; i++)
        if ((rc = check_other(obj, i, file_size, err)))
            return rc;
    return 0;
}
