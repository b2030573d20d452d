/* SPDX-License-Identifier: BSD-2-Clause */
/* Finding things in a victim image, the way a loader finds them. See image.h. */
#include "image.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct image image_read(const char *path)
{
    FILE *file = fopen(path, "rb");
    cr_assert_not_null(file, "cannot open the victim %s", path);
    cr_assert_eq(fseek(file, 0, SEEK_END), 0);
    long size = ftell(file);
    cr_assert_gt(size, 0, "the victim %s is empty", path);
    rewind(file);
    struct image img = { malloc((size_t)size), (size_t)size };
    cr_assert_not_null(img.bytes);
    cr_assert_eq(fread(img.bytes, 1, img.size, file), img.size, "cannot read the victim %s", path);
    fclose(file);
    return img;
}

struct image image_copy(const struct image *from)
{
    struct image img = { malloc(from->size), from->size };
    cr_assert_not_null(img.bytes);
    memcpy(img.bytes, from->bytes, from->size);
    return img;
}

void image_free(struct image *img)
{
    free(img->bytes);
    img->bytes = NULL;
    img->size = 0;
}

/* ---- program headers ---------------------------------------------------------------------- */

Elf64_Ehdr *image_ehdr(struct image *img)
{
    cr_assert_geq(img->size, sizeof(Elf64_Ehdr), "the victim is shorter than an ELF header");
    return (Elf64_Ehdr *)img->bytes;
}

size_t image_phnum(struct image *img)
{
    return image_ehdr(img)->e_phnum;
}

Elf64_Phdr *image_phdr(struct image *img, size_t index)
{
    Elf64_Ehdr *eh = image_ehdr(img);
    cr_assert_lt(index, eh->e_phnum, "program header %zu of %u", index, eh->e_phnum);
    uint64_t at = eh->e_phoff + index * sizeof(Elf64_Phdr);
    cr_assert_leq(at + sizeof(Elf64_Phdr), img->size, "program header %zu outside the victim", index);
    return (Elf64_Phdr *)(img->bytes + at);
}

Elf64_Phdr *image_find_phdr(struct image *img, uint32_t type)
{
    for (size_t i = 0; i < image_phnum(img); i++)
        if (image_phdr(img, i)->p_type == type)
            return image_phdr(img, i);
    return NULL;
}

Elf64_Phdr *image_need_phdr(struct image *img, uint32_t type)
{
    Elf64_Phdr *ph = image_find_phdr(img, type);
    cr_assert_not_null(ph, "the victim has no program header of type %#x", type);
    return ph;
}

Elf64_Phdr *image_load(struct image *img, size_t nth)
{
    for (size_t i = 0; i < image_phnum(img); i++) {
        Elf64_Phdr *ph = image_phdr(img, i);
        if (ph->p_type == PT_LOAD && nth-- == 0)
            return ph;
    }
    return NULL;
}

Elf64_Phdr *image_last_load(struct image *img)
{
    Elf64_Phdr *last = NULL;
    for (size_t i = 0; image_load(img, i); i++)
        last = image_load(img, i);
    cr_assert_not_null(last, "the victim has no PT_LOAD");
    return last;
}

Elf64_Phdr *image_load_with(struct image *img, uint32_t flags)
{
    for (size_t i = 0; image_load(img, i); i++)
        if ((image_load(img, i)->p_flags & flags) == flags)
            return image_load(img, i);
    cr_assert_fail("the victim has no PT_LOAD with flags %#x", flags);
    return NULL;
}

Elf64_Phdr *image_spare_phdr(struct image *img)
{
    static const uint32_t spare_types[] = { PT_NOTE, PT_GNU_EH_FRAME, PT_GNU_STACK };
    for (size_t i = 0; i < sizeof(spare_types) / sizeof(spare_types[0]); i++) {
        Elf64_Phdr *ph = image_find_phdr(img, spare_types[i]);
        if (ph)
            return ph;
    }
    cr_assert_fail("the victim has no program header to spare");
    return NULL;
}

uint64_t image_span_end(struct image *img)
{
    uint64_t end = 0;
    for (size_t i = 0; image_load(img, i); i++) {
        Elf64_Phdr *ph = image_load(img, i);
        if (ph->p_vaddr + ph->p_memsz > end)
            end = ph->p_vaddr + ph->p_memsz;
    }
    return end;
}

void *image_at(struct image *img, uint64_t vaddr, uint64_t size)
{
    for (size_t i = 0; image_load(img, i); i++) {
        Elf64_Phdr *ph = image_load(img, i);
        if (vaddr >= ph->p_vaddr && vaddr + size <= ph->p_vaddr + ph->p_filesz) {
            uint64_t offset = ph->p_offset + (vaddr - ph->p_vaddr);
            cr_assert_leq(offset + size, img->size, "address %#lx outside the victim file",
                          (unsigned long)vaddr);
            return img->bytes + offset;
        }
    }
    cr_assert_fail("address %#lx (%lu bytes) is in no segment's file bytes", (unsigned long)vaddr,
                   (unsigned long)size);
    return NULL;
}

/* ---- dynamic entries ---------------------------------------------------------------------- */

Elf64_Dyn *image_dynamic(struct image *img, size_t *count)
{
    Elf64_Phdr *dynamic = image_need_phdr(img, PT_DYNAMIC);
    cr_assert_leq(dynamic->p_offset + dynamic->p_filesz, img->size, "PT_DYNAMIC outside the victim");
    Elf64_Dyn *entries = (Elf64_Dyn *)(img->bytes + dynamic->p_offset);
    size_t capacity = dynamic->p_filesz / sizeof(Elf64_Dyn);
    size_t n = 0;
    while (n < capacity && entries[n].d_tag != DT_NULL)
        n++;
    cr_assert_lt(n, capacity, "the victim's dynamic section has no DT_NULL");
    if (count)
        *count = n;
    return entries;
}

Elf64_Dyn *image_find_dyn(struct image *img, int64_t tag)
{
    size_t count;
    Elf64_Dyn *entries = image_dynamic(img, &count);
    for (size_t i = 0; i < count; i++)
        if (entries[i].d_tag == tag)
            return &entries[i];
    return NULL;
}

Elf64_Dyn *image_need_dyn(struct image *img, int64_t tag)
{
    Elf64_Dyn *entry = image_find_dyn(img, tag);
    cr_assert_not_null(entry, "the victim has no dynamic entry %#lx", (unsigned long)tag);
    return entry;
}

/* ---- relocations -------------------------------------------------------------------------- */

static Elf64_Rela *rela_table(struct image *img, int64_t addr_tag, int64_t size_tag, size_t *count)
{
    uint64_t size = image_need_dyn(img, size_tag)->d_un.d_val;
    cr_assert_eq(size % sizeof(Elf64_Rela), 0, "the victim's relocation table has a partial entry");
    *count = size / sizeof(Elf64_Rela);
    return image_at(img, image_need_dyn(img, addr_tag)->d_un.d_ptr, size);
}

Elf64_Rela *image_rela(struct image *img, size_t *count)
{
    return rela_table(img, DT_RELA, DT_RELASZ, count);
}

Elf64_Rela *image_jmprel(struct image *img, size_t *count)
{
    return rela_table(img, DT_JMPREL, DT_PLTRELSZ, count);
}

Elf64_Rela *image_need_rela(struct image *img, uint32_t type, bool with_symbol)
{
    size_t count;
    Elf64_Rela *rela = image_rela(img, &count);
    for (size_t i = 0; i < count; i++)
        if (ELF64_R_TYPE(rela[i].r_info) == type && (ELF64_R_SYM(rela[i].r_info) != 0) == with_symbol)
            return &rela[i];
    cr_assert_fail("the victim has no relocation of type %u %s a symbol", type, with_symbol ? "with" : "without");
    return NULL;
}

Elf64_Rela *image_need_rela_at(struct image *img, uint64_t vaddr)
{
    size_t count;
    Elf64_Rela *rela = image_rela(img, &count);
    for (size_t i = 0; i < count; i++)
        if (rela[i].r_offset == vaddr)
            return &rela[i];
    cr_assert_fail("the victim has no relocation at %#lx", (unsigned long)vaddr);
    return NULL;
}

/* ---- symbols ------------------------------------------------------------------------------ */

Elf64_Sym *image_symtab(struct image *img)
{
    return image_at(img, image_need_dyn(img, DT_SYMTAB)->d_un.d_ptr, sizeof(Elf64_Sym));
}

/* A GNU hash table holds no symbol count: the last symbol is the end of the longest-numbered chain. */
static size_t gnu_hash_nsyms(struct image *img)
{
    uint32_t *header = image_gnu_hash(img);
    uint32_t *buckets = image_gnu_buckets(img);
    uint32_t highest = 0;
    for (uint32_t i = 0; i < header[0]; i++)
        if (buckets[i] > highest)
            highest = buckets[i];
    if (highest == 0)
        return header[1];
    uint32_t *chains = image_gnu_chains(img);
    while ((chains[highest - header[1]] & 1) == 0)
        highest++;
    return highest + 1;
}

size_t image_nsyms(struct image *img)
{
    if (image_find_dyn(img, DT_HASH))
        return image_sysv_hash(img)[1];
    return gnu_hash_nsyms(img);
}

Elf64_Sym *image_sym(struct image *img, size_t index)
{
    cr_assert_lt(index, image_nsyms(img), "symbol %zu out of range", index);
    return image_at(img, image_need_dyn(img, DT_SYMTAB)->d_un.d_ptr + index * sizeof(Elf64_Sym),
                    sizeof(Elf64_Sym));
}

const char *image_sym_name(struct image *img, size_t index)
{
    uint64_t strsz = image_need_dyn(img, DT_STRSZ)->d_un.d_val;
    const char *strtab = image_at(img, image_need_dyn(img, DT_STRTAB)->d_un.d_ptr, strsz);
    uint32_t name = image_sym(img, index)->st_name;
    cr_assert_lt(name, strsz, "symbol %zu: name outside the string table", index);
    cr_assert_not_null(memchr(strtab + name, 0, strsz - name), "symbol %zu: name not terminated", index);
    return strtab + name;
}

/* The symbol of an absolute relocation: victim_counter's where there is one (the entries that check
 * messages name it), else the first; the link editor orders the relocations differently per arch. */
size_t image_target_symbol(struct image *img)
{
    size_t count;
    Elf64_Rela *rela = image_rela(img, &count);
    for (size_t i = 0; i < count; i++) {
        size_t sym = ELF64_R_SYM(rela[i].r_info);
        if (ELF64_R_TYPE(rela[i].r_info) == HOST_R_ABS64 && sym != 0 &&
            strcmp(image_sym_name(img, sym), "victim_counter") == 0)
            return sym;
    }
    return ELF64_R_SYM(image_need_rela(img, HOST_R_ABS64, true)->r_info);
}

/* ---- hash tables -------------------------------------------------------------------------- */

uint32_t *image_sysv_hash(struct image *img)
{
    uint64_t addr = image_need_dyn(img, DT_HASH)->d_un.d_ptr;
    uint32_t *header = image_at(img, addr, 8);
    return image_at(img, addr, 8 + 4 * ((uint64_t)header[0] + header[1]));
}

uint32_t *image_gnu_hash(struct image *img)
{
    uint64_t addr = image_need_dyn(img, DT_GNU_HASH)->d_un.d_ptr;
    uint32_t *header = image_at(img, addr, 16);
    return image_at(img, addr, 16 + 8 * (uint64_t)header[2] + 4 * (uint64_t)header[0]);
}

uint32_t *image_gnu_buckets(struct image *img)
{
    uint32_t *header = image_gnu_hash(img);
    return header + 4 + 2 * header[2];
}

uint32_t *image_gnu_chains(struct image *img)
{
    return image_gnu_buckets(img) + image_gnu_hash(img)[0];
}

uint32_t sysv_hash_of(const char *name)
{
    uint32_t h = 0;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h = (h << 4) + *p;
        uint32_t high = h & 0xf0000000u;
        if (high)
            h ^= high >> 24;
        h &= ~high;
    }
    return h;
}

uint32_t gnu_hash_of(const char *name)
{
    uint32_t h = 5381;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = h * 33 + *p;
    return h;
}

/* ---- versions ----------------------------------------------------------------------------- */

uint16_t *image_versym(struct image *img)
{
    return image_at(img, image_need_dyn(img, DT_VERSYM)->d_un.d_ptr, 2 * image_nsyms(img));
}

Elf64_Verdef *image_verdef(struct image *img, size_t nth)
{
    uint64_t addr = image_need_dyn(img, DT_VERDEF)->d_un.d_ptr;
    Elf64_Verdef *def = image_at(img, addr, sizeof(*def));
    for (; nth > 0; nth--) {
        cr_assert_neq(def->vd_next, 0, "the victim has too few version definitions");
        addr += def->vd_next;
        def = image_at(img, addr, sizeof(*def));
    }
    return def;
}
