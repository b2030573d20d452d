/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The corruptions. Each mutator puts exactly one fault into a copy of a valid victim, found by
 * parsing (PT_DYNAMIC, then the tags), so that the table survives a different toolchain layout.
 * Where the codes of <elfldr.h> leave a choice, the entry takes the most specific one and says why.
 */
#include "corruptions.h"

#include <criterion/criterion.h>
#include <string.h>

#define PAGE 0x1000u

static uint64_t round_up(uint64_t value, uint64_t align)
{
    return (value + align - 1) / align * align;
}

/* An address well past the end of the image, where nothing is mapped. */
static uint64_t beyond_image(struct image *img)
{
    return round_up(image_span_end(img), PAGE) + 0x100000;
}

static void set_dyn(struct image *img, int64_t tag, uint64_t value)
{
    image_need_dyn(img, tag)->d_un.d_val = value;
}

static uint64_t dyn_value(struct image *img, int64_t tag)
{
    return image_need_dyn(img, tag)->d_un.d_val;
}

static Elf64_Phdr *writable_load(struct image *img)
{
    return image_load_with(img, PF_W);
}

static Elf64_Phdr *code_load(struct image *img)
{
    return image_load_with(img, PF_X);
}

static Elf64_Rela *symbolic_reloc(struct image *img)
{
    return image_need_rela(img, HOST_R_ABS64, true);
}

static Elf64_Rela *relative_reloc(struct image *img)
{
    return image_need_rela(img, HOST_R_RELATIVE, false);
}

static void set_reloc_type(Elf64_Rela *rela, uint32_t type)
{
    rela->r_info = ELF64_R_INFO(ELF64_R_SYM(rela->r_info), type);
}

static void set_reloc_symbol(Elf64_Rela *rela, uint64_t symbol)
{
    rela->r_info = ELF64_R_INFO(symbol, ELF64_R_TYPE(rela->r_info));
}

/* The RELATIVE relocation that fills a slot of a constructor or destructor array with its function. */
static Elf64_Rela *array_slot_reloc(struct image *img, uint64_t slot)
{
    Elf64_Rela *rela = image_need_rela_at(img, slot);
    cr_assert_eq(ELF64_R_TYPE(rela->r_info), HOST_R_RELATIVE, "the slot at %#lx is not relocated RELATIVE",
                 (unsigned long)slot);
    return rela;
}

/* The first DT_INIT_ARRAY slot's. */
static Elf64_Rela *init_array_reloc(struct image *img)
{
    return array_slot_reloc(img, dyn_value(img, DT_INIT_ARRAY));
}

/* ---- the ELF header ----------------------------------------------------------------------- */

static void truncate_to_nothing(struct image *img)
{
    img->size = 0;
}

static void truncate_in_ident(struct image *img)
{
    img->size = EI_NIDENT / 2;
}

static void truncate_in_ehdr(struct image *img)
{
    img->size = offsetof(Elf64_Ehdr, e_phoff);
}

static void truncate_before_ehdr_end(struct image *img)
{
    img->size = sizeof(Elf64_Ehdr) - 1;
}

static void truncate_after_ehdr(struct image *img)
{
    cr_assert_eq(image_ehdr(img)->e_phoff, sizeof(Elf64_Ehdr), "the victim's program headers do not follow the ELF header");
    img->size = sizeof(Elf64_Ehdr);
}

static void truncate_in_phdrs(struct image *img)
{
    Elf64_Ehdr *eh = image_ehdr(img);
    img->size = eh->e_phoff + (uint64_t)eh->e_phnum * eh->e_phentsize - 1;
}

/* The last byte of the last PT_LOAD's file part goes: nothing else is cut that a loader reads. */
static void truncate_in_segment(struct image *img)
{
    Elf64_Phdr *last = image_last_load(img);
    uint64_t end = last->p_offset + last->p_filesz;
    cr_assert(last->p_filesz > 0 && end <= img->size, "the last PT_LOAD has no file bytes to cut");
    img->size = end - 1;
}

static void cut_after_last_segment(struct image *img)
{
    uint64_t end = 0;
    for (size_t i = 0; image_load(img, i); i++)
        if (image_load(img, i)->p_offset + image_load(img, i)->p_filesz > end)
            end = image_load(img, i)->p_offset + image_load(img, i)->p_filesz;
    cr_assert_lt(end, img->size, "the victim has nothing after its last segment");
    img->size = end;
}

static void section_headers_garbage(struct image *img)
{
    Elf64_Ehdr *eh = image_ehdr(img);
    eh->e_shoff = 0xdeadbeef0000;
    eh->e_shentsize = 7;
    eh->e_shnum = 0xfff0;
    eh->e_shstrndx = 0xfff1;
}

static void bad_magic(struct image *img)
{
    image_ehdr(img)->e_ident[EI_MAG1] = 'e';
}

static void magic_zeroed(struct image *img)
{
    memset(image_ehdr(img)->e_ident, 0, SELFMAG);
}

static void class_32(struct image *img)
{
    image_ehdr(img)->e_ident[EI_CLASS] = ELFCLASS32;
}

static void class_none(struct image *img)
{
    image_ehdr(img)->e_ident[EI_CLASS] = ELFCLASSNONE;
}

static void data_msb(struct image *img)
{
    image_ehdr(img)->e_ident[EI_DATA] = ELFDATA2MSB;
}

static void data_none(struct image *img)
{
    image_ehdr(img)->e_ident[EI_DATA] = ELFDATANONE;
}

static void ident_version_0(struct image *img)
{
    image_ehdr(img)->e_ident[EI_VERSION] = EV_NONE;
}

static void e_version_2(struct image *img)
{
    image_ehdr(img)->e_version = EV_CURRENT + 1;
}

static void osabi_freebsd(struct image *img)
{
    image_ehdr(img)->e_ident[EI_OSABI] = ELFOSABI_FREEBSD;
}

static void osabi_gnu(struct image *img)
{
    image_ehdr(img)->e_ident[EI_OSABI] = ELFOSABI_GNU;
}

/* glibc takes a non-zero EI_ABIVERSION only with ELFOSABI_GNU, and only the few it knows. */
static void abiversion_unknown(struct image *img)
{
    image_ehdr(img)->e_ident[EI_ABIVERSION] = 0x7f;
}

static void ident_pad_nonzero(struct image *img)
{
    image_ehdr(img)->e_ident[EI_PAD + 2] = 0x5a;
}

static void type_rel(struct image *img)
{
    image_ehdr(img)->e_type = ET_REL;
}

static void type_core(struct image *img)
{
    image_ehdr(img)->e_type = ET_CORE;
}

static void type_os_specific(struct image *img)
{
    image_ehdr(img)->e_type = ET_LOOS;
}

static void machine_foreign(struct image *img)
{
    image_ehdr(img)->e_machine = HOST_MACHINE == EM_SPARCV9 ? EM_MIPS : EM_SPARCV9;
}

static void ehsize_32bit(struct image *img)
{
    image_ehdr(img)->e_ehsize = sizeof(Elf32_Ehdr);
}

static void phentsize_32bit(struct image *img)
{
    image_ehdr(img)->e_phentsize = sizeof(Elf32_Phdr);
}

static void phnum_zero(struct image *img)
{
    image_ehdr(img)->e_phnum = 0;
}

/* The first count whose table no longer fits in 64 KiB. */
static void phnum_over_64k(struct image *img)
{
    image_ehdr(img)->e_phnum = 65536 / sizeof(Elf64_Phdr) + 1;
}

/* PN_XNUM asks for the count in section header 0, which a loader that reads no sections refuses. */
static void phnum_xnum(struct image *img)
{
    image_ehdr(img)->e_phnum = PN_XNUM;
}

static void phoff_past_end(struct image *img)
{
    image_ehdr(img)->e_phoff = round_up(img->size, 8) + PAGE;
}

static void phoff_overflow(struct image *img)
{
    image_ehdr(img)->e_phoff = UINT64_MAX - 0xf;
}

/* ---- program headers ---------------------------------------------------------------------- */

static void no_load_all_null(struct image *img)
{
    for (size_t i = 0; i < image_phnum(img); i++)
        image_phdr(img, i)->p_type = PT_NULL;
}

static void no_load_others_kept(struct image *img)
{
    for (size_t i = 0; i < image_phnum(img); i++)
        if (image_phdr(img, i)->p_type == PT_LOAD)
            image_phdr(img, i)->p_type = PT_NULL;
}

/* The first segment grows 16 bytes into the second; order and congruence stay right. */
static void seg_overlap(struct image *img)
{
    Elf64_Phdr *first = image_load(img, 0), *second = image_load(img, 1);
    cr_assert(first && second, "the victim has fewer than two PT_LOAD");
    first->p_memsz = second->p_vaddr - first->p_vaddr + 0x10;
}

static void seg_order_swapped(struct image *img)
{
    Elf64_Phdr *first = image_load(img, 0), *second = image_load(img, 1);
    cr_assert(first && second, "the victim has fewer than two PT_LOAD");
    Elf64_Phdr saved = *first;
    *first = *second;
    *second = saved;
}

/* Shrinks p_memsz rather than growing p_filesz, so that no file range changes. */
static void seg_filesz_over_memsz(struct image *img)
{
    Elf64_Phdr *first = image_load(img, 0);
    cr_assert_gt(first->p_filesz, 0);
    first->p_memsz = first->p_filesz - 1;
}

/* Moved by a multiple of p_align, so that only the file range is wrong. */
static void seg_offset_wild(struct image *img)
{
    Elf64_Phdr *last = image_last_load(img);
    last->p_offset += round_up(1ull << 40, last->p_align > PAGE ? last->p_align : PAGE);
}

/* A multiple of the page size that is not a power of two. */
static void seg_align_not_pow2(struct image *img)
{
    writable_load(img)->p_align = 3 * PAGE;
}

/* A power of two smaller than a page (congruence modulo 16 still holds). */
static void seg_align_sub_page(struct image *img)
{
    writable_load(img)->p_align = 16;
}

static void seg_incongruent(struct image *img)
{
    Elf64_Phdr *data = writable_load(img);
    cr_assert_geq(data->p_offset, 0x10);
    data->p_offset -= 0x10;
}

static void seg_range_memsz_overflow(struct image *img)
{
    Elf64_Phdr *last = image_last_load(img);
    last->p_memsz = UINT64_MAX - last->p_vaddr + PAGE;
}

/* The highest address congruent with p_offset, and a size that must wrap from there. */
static void seg_range_vaddr_overflow(struct image *img)
{
    Elf64_Phdr *last = image_last_load(img);
    uint64_t align = last->p_align > PAGE ? last->p_align : PAGE;
    last->p_vaddr = (UINT64_MAX - (align - 1)) + last->p_vaddr % align;
    if (last->p_memsz < 2 * align)
        last->p_memsz = 2 * align;
}

static void dynamic_outside(struct image *img)
{
    image_need_phdr(img, PT_DYNAMIC)->p_vaddr = beyond_image(img);
}

/* PT_DYNAMIC starts in its segment but runs past the segment's end (not past its page). */
static void dynamic_straddles_segment(struct image *img)
{
    Elf64_Phdr *dynamic = image_need_phdr(img, PT_DYNAMIC), *data = writable_load(img);
    cr_assert(dynamic->p_vaddr >= data->p_vaddr && dynamic->p_vaddr < data->p_vaddr + data->p_memsz,
              "PT_DYNAMIC is not in the writable segment");
    uint64_t size = round_up(data->p_vaddr + data->p_memsz - dynamic->p_vaddr + 0x100, sizeof(Elf64_Dyn));
    dynamic->p_filesz = dynamic->p_memsz = size;
}

static void relro_outside(struct image *img)
{
    image_need_phdr(img, PT_GNU_RELRO)->p_vaddr = beyond_image(img);
}

static void phdr_outside(struct image *img)
{
    image_need_phdr(img, PT_PHDR)->p_vaddr = beyond_image(img);
}

static void tls_outside(struct image *img)
{
    Elf64_Phdr *spare = image_spare_phdr(img);
    *spare = (Elf64_Phdr){
        .p_type = PT_TLS, .p_flags = PF_R, .p_offset = 0, .p_vaddr = beyond_image(img),
        .p_paddr = beyond_image(img), .p_filesz = 0x10, .p_memsz = 0x10, .p_align = 8,
    };
}

static void interp_twice(struct image *img)
{
    *image_spare_phdr(img) = *image_need_phdr(img, PT_INTERP);
}

static void interp_unterminated(struct image *img)
{
    Elf64_Phdr *interp = image_need_phdr(img, PT_INTERP);
    cr_assert_eq(img->bytes[interp->p_offset + interp->p_filesz - 1], 0);
    interp->p_filesz--;
    interp->p_memsz--;
}

static void interp_empty(struct image *img)
{
    Elf64_Phdr *interp = image_need_phdr(img, PT_INTERP);
    interp->p_filesz = interp->p_memsz = 0;
}

static void interp_outside_file(struct image *img)
{
    image_need_phdr(img, PT_INTERP)->p_offset = round_up(img->size, PAGE) + PAGE;
}

/* ---- the dynamic section ------------------------------------------------------------------ */

/* Every DT_NULL in PT_DYNAMIC becomes DT_DEBUG, a tag a loader of libraries reads and ignores. */
static void dynamic_no_null(struct image *img)
{
    Elf64_Phdr *dynamic = image_need_phdr(img, PT_DYNAMIC);
    Elf64_Dyn *entries = (Elf64_Dyn *)(img->bytes + dynamic->p_offset);
    for (size_t i = 0; i < dynamic->p_filesz / sizeof(Elf64_Dyn); i++)
        if (entries[i].d_tag == DT_NULL)
            entries[i] = (Elf64_Dyn){ .d_tag = DT_DEBUG };
}

static void pltrel_neither(struct image *img)
{
    set_dyn(img, DT_PLTREL, DT_SYMTAB);
}

static void strtab_outside(struct image *img)
{
    set_dyn(img, DT_STRTAB, beyond_image(img));
}

static void strsz_huge(struct image *img)
{
    set_dyn(img, DT_STRSZ, image_span_end(img) + PAGE);
}

static void symtab_outside(struct image *img)
{
    set_dyn(img, DT_SYMTAB, beyond_image(img));
}

/* 4-aligned but not 8-aligned, as an Elf64_Sym must be. */
static void symtab_misaligned(struct image *img)
{
    set_dyn(img, DT_SYMTAB, dyn_value(img, DT_SYMTAB) + 4);
}

static void symtab_missing(struct image *img)
{
    image_need_dyn(img, DT_SYMTAB)->d_tag = DT_DEBUG;
}

static void gnu_hash_outside(struct image *img)
{
    set_dyn(img, DT_GNU_HASH, beyond_image(img));
}

static void sysv_hash_outside(struct image *img)
{
    set_dyn(img, DT_HASH, beyond_image(img));
}

static void rela_outside(struct image *img)
{
    set_dyn(img, DT_RELA, beyond_image(img));
}

static void jmprel_outside(struct image *img)
{
    set_dyn(img, DT_JMPREL, beyond_image(img));
}

static void versym_outside(struct image *img)
{
    set_dyn(img, DT_VERSYM, beyond_image(img));
}

static void verdef_outside(struct image *img)
{
    set_dyn(img, DT_VERDEF, beyond_image(img));
}

static void init_array_outside(struct image *img)
{
    set_dyn(img, DT_INIT_ARRAY, beyond_image(img));
}

static void init_arraysz_partial(struct image *img)
{
    set_dyn(img, DT_INIT_ARRAYSZ, dyn_value(img, DT_INIT_ARRAYSZ) + 4);
}

static void fini_array_outside(struct image *img)
{
    set_dyn(img, DT_FINI_ARRAY, beyond_image(img));
}

static void init_arraysz_past_image(struct image *img)
{
    uint64_t array = dyn_value(img, DT_INIT_ARRAY);
    set_dyn(img, DT_INIT_ARRAYSZ, round_up(image_span_end(img) - array + PAGE, sizeof(uint64_t)));
}

/* ---- strings and symbols ------------------------------------------------------------------ */

static void sym_name_beyond_strsz(struct image *img)
{
    image_sym(img, image_target_symbol(img))->st_name = (uint32_t)dyn_value(img, DT_STRSZ) + 0x10;
}

/* The first offset outside the table. */
static void sym_name_at_strsz(struct image *img)
{
    image_sym(img, image_target_symbol(img))->st_name = (uint32_t)dyn_value(img, DT_STRSZ);
}

static void soname_beyond_strsz(struct image *img)
{
    set_dyn(img, DT_SONAME, dyn_value(img, DT_STRSZ) + 0x10);
}

static void strsz_cuts_last_string(struct image *img)
{
    uint64_t strsz = dyn_value(img, DT_STRSZ);
    const char *strtab = image_at(img, dyn_value(img, DT_STRTAB), strsz);
    cr_assert(strsz >= 2 && strtab[strsz - 1] == 0 && strtab[strsz - 2] != 0, "the string table does not end in a name");
    set_dyn(img, DT_STRSZ, strsz - 1);
}

/* The table now ends just before the NUL of a name a relocation needs; later names fall outside. */
static void strsz_cuts_symbol_name(struct image *img)
{
    size_t target = image_target_symbol(img);
    const char *name = image_sym_name(img, target);
    set_dyn(img, DT_STRSZ, image_sym(img, target)->st_name + strlen(name));
}

static void reloc_sym_index_at_count(struct image *img)
{
    set_reloc_symbol(symbolic_reloc(img), image_nsyms(img));
}

static void reloc_sym_index_huge(struct image *img)
{
    set_reloc_symbol(symbolic_reloc(img), 0xffffff);
}

/* The only definition of the name becomes a reference (unversioned), so it is found nowhere. */
static void sym_undefined(struct image *img)
{
    size_t target = image_target_symbol(img);
    Elf64_Sym *sym = image_sym(img, target);
    sym->st_shndx = SHN_UNDEF;
    sym->st_value = 0;
    image_versym(img)[target] = VER_NDX_GLOBAL;
}

/* ---- hash tables -------------------------------------------------------------------------- */

/* The bucket of a name the relocations look up starts at another symbol whose chain is itself. */
static void sysv_chain_loop(struct image *img)
{
    size_t target = image_target_symbol(img);
    uint32_t *hash = image_sysv_hash(img);
    uint32_t nbucket = hash[0], *buckets = hash + 2, *chains = buckets + nbucket;
    uint32_t other = target == 1 ? 2 : 1;
    buckets[sysv_hash_of(image_sym_name(img, target)) % nbucket] = other;
    chains[other] = other;
}

static void sysv_bucket_out_of_range(struct image *img)
{
    size_t target = image_target_symbol(img);
    uint32_t *hash = image_sysv_hash(img);
    hash[2 + sysv_hash_of(image_sym_name(img, target)) % hash[0]] = hash[1] + 5;
}

/* A lookup would divide by zero. */
static void sysv_zero_buckets(struct image *img)
{
    image_sysv_hash(img)[0] = 0;
}

/* The table's own header makes it run past the image (DT_HASH itself is sound). */
static void sysv_nchain_past_image(struct image *img)
{
    image_sysv_hash(img)[1] = (uint32_t)(image_span_end(img) / 4 + PAGE);
}

/* The last chain loses its end bit: a walk runs off the table. */
static void gnu_last_chain_unterminated(struct image *img)
{
    size_t nsyms = image_nsyms(img);
    uint32_t symoffset = image_gnu_hash(img)[1];
    uint32_t *chains = image_gnu_chains(img);
    cr_assert(chains[nsyms - 1 - symoffset] & 1, "the last GNU hash chain has no end bit");
    chains[nsyms - 1 - symoffset] &= ~1u;
}

static void gnu_bloom_not_pow2(struct image *img)
{
    image_gnu_hash(img)[2] = 3;
}

/* The shift is for a 32-bit hash: a fuzzer's 40 once made the loader shift by more than the width. */
static void gnu_bloom_shift_over_31(struct image *img)
{
    image_gnu_hash(img)[3] = 40;
}

static void gnu_bloom_zero(struct image *img)
{
    image_gnu_hash(img)[2] = 0;
}

static void gnu_zero_buckets(struct image *img)
{
    image_gnu_hash(img)[0] = 0;
}

/* Every bucket empty: the table hashes no symbol, so the count of symbols comes from the layout, past
 * what the chains cover. The object's own definitions are then found by no lookup, and a reference to
 * one is undefined; a short way that trusted the count read chains the table never checked. */
static void gnu_buckets_all_empty(struct image *img)
{
    uint32_t *h = image_gnu_hash(img);
    uint32_t *buckets = (uint32_t *)((uint64_t *)(h + 4) + h[2]);
    for (uint32_t b = 0; b < h[0]; b++)
        buckets[b] = 0;
}

static void gnu_nbuckets_past_image(struct image *img)
{
    image_gnu_hash(img)[0] = (uint32_t)(image_span_end(img) / 4 + PAGE);
}

/* The hashed symbols would start beyond the symbol table (whose size DT_HASH gives). */
static void gnu_symoffset_beyond_symbols(struct image *img)
{
    image_gnu_hash(img)[1] = (uint32_t)image_nsyms(img) + 5;
}

static void gnu_bucket_out_of_range(struct image *img)
{
    size_t target = image_target_symbol(img);
    size_t nsyms = image_nsyms(img);
    uint32_t nbuckets = image_gnu_hash(img)[0];
    image_gnu_buckets(img)[gnu_hash_of(image_sym_name(img, target)) % nbuckets] = (uint32_t)nsyms + 5;
}

/* ---- relocation tables -------------------------------------------------------------------- */

static void relaent_wrong(struct image *img)
{
    set_dyn(img, DT_RELAENT, sizeof(Elf64_Rel));
}

static void relasz_partial(struct image *img)
{
    set_dyn(img, DT_RELASZ, dyn_value(img, DT_RELASZ) - 8);
}

/* Whole entries, but more of them than the image holds. */
static void relasz_past_image(struct image *img)
{
    uint64_t rela = dyn_value(img, DT_RELA);
    set_dyn(img, DT_RELASZ, round_up(image_span_end(img) - rela + PAGE, sizeof(Elf64_Rela)));
}

static void pltrelsz_partial(struct image *img)
{
    set_dyn(img, DT_PLTRELSZ, dyn_value(img, DT_PLTRELSZ) - 8);
}

/* ---- relocations -------------------------------------------------------------------------- */

static void reloc_relative_into_text(struct image *img)
{
    relative_reloc(img)->r_offset = code_load(img)->p_vaddr + 0x10;
}

/* The ELF header, in the first segment, which is read-only. */
static void reloc_relative_into_headers(struct image *img)
{
    Elf64_Phdr *first = image_load(img, 0);
    cr_assert_eq(first->p_flags & PF_W, 0, "the victim's first segment is writable");
    relative_reloc(img)->r_offset = first->p_vaddr + 0x10;
}

/* 8 bytes written 4 bytes before the end of the writable segment (inside its last page). */
static void reloc_relative_straddles_end(struct image *img)
{
    Elf64_Phdr *data = writable_load(img);
    relative_reloc(img)->r_offset = data->p_vaddr + data->p_memsz - 4;
}

static void reloc_symbolic_far_away(struct image *img)
{
    symbolic_reloc(img)->r_offset = beyond_image(img);
}

/* Biased, the target wraps around the address space: a check of `where + 8 <= end` alone passes. */
static void reloc_offset_wraps(struct image *img)
{
    relative_reloc(img)->r_offset = UINT64_MAX - 3;
}

static void jump_slot_into_text(struct image *img)
{
    size_t count;
    Elf64_Rela *jmprel = image_jmprel(img, &count);
    cr_assert(count > 0 && ELF64_R_TYPE(jmprel[0].r_info) == HOST_R_JUMP_SLOT, "the victim has no JUMP_SLOT");
    jmprel[0].r_offset = code_load(img)->p_vaddr + 0x10;
}

/* A symbolic relocation, not a RELATIVE one, which DT_RELACOUNT would let a loader take on trust. */
static void reloc_type_unknown(struct image *img)
{
    set_reloc_type(symbolic_reloc(img), UNKNOWN_RELOC_TYPE);
}

/* The absolute address of a datum of a library mapped high does not fit in 32 bits. */
static void reloc_abs32_overflow(struct image *img)
{
    set_reloc_type(symbolic_reloc(img), HOST_R_ABS32);
}

static void reloc_tpoff(struct image *img)
{
    set_reloc_type(symbolic_reloc(img), HOST_R_TPOFF);
}

/* ---- versions ----------------------------------------------------------------------------- */

static void verdef_next_outside(struct image *img)
{
    image_verdef(img, 0)->vd_next = 0x10000000;
}

/* The last definition's vd_next wraps back to the first (in 32 bits), and the count no longer
 * stops the walk. */
static void verdef_loop(struct image *img)
{
    uint64_t count = dyn_value(img, DT_VERDEFNUM);
    cr_assert_geq(count, 2, "the victim has fewer than two version definitions");
    Elf64_Verdef *first = image_verdef(img, 0), *last = image_verdef(img, count - 1);
    uint64_t back = (uint64_t)((unsigned char *)last - (unsigned char *)first);
    last->vd_next = (uint32_t)(0x100000000ull - back);
    set_dyn(img, DT_VERDEFNUM, 1000);
}

static void verdefnum_too_big(struct image *img)
{
    set_dyn(img, DT_VERDEFNUM, dyn_value(img, DT_VERDEFNUM) + 1);
}

static void verdef_aux_outside(struct image *img)
{
    image_verdef(img, 1)->vd_aux = 0x10000000;
}

static void verdef_version_2(struct image *img)
{
    image_verdef(img, 0)->vd_version = 2;
}

static void versym_unknown_index(struct image *img)
{
    size_t target = image_target_symbol(img);
    image_versym(img)[target] = (uint16_t)(dyn_value(img, DT_VERDEFNUM) + 5);
}

/* ---- constructors ------------------------------------------------------------------------- */

static void init_array_ptr_into_data(struct image *img)
{
    init_array_reloc(img)->r_addend = (int64_t)writable_load(img)->p_vaddr;
}

static void init_array_ptr_into_headers(struct image *img)
{
    init_array_reloc(img)->r_addend = (int64_t)image_load(img, 0)->p_vaddr;
}

static void init_array_ptr_far(struct image *img)
{
    init_array_reloc(img)->r_addend = (int64_t)beyond_image(img);
}

/* A destructor's slot: the victim's arrays have one slot each, DT_FINI_ARRAY after DT_INIT_ARRAY, so
 * this is also the last slot of all, which a check of the constructors alone would miss. */
static void fini_array_ptr_into_data(struct image *img)
{
    array_slot_reloc(img, dyn_value(img, DT_FINI_ARRAY))->r_addend = (int64_t)writable_load(img)->p_vaddr;
}

static void dt_init_into_data(struct image *img)
{
    set_dyn(img, DT_INIT, writable_load(img)->p_vaddr);
}

/* ---- the table ---------------------------------------------------------------------------- */

#define ENTRY(fn, code) { #fn, VICTIM_BOTH, fn, ELFLDR_E_##code, NULL }
#define ENTRY_ON(victim, fn, code) { #fn, victim, fn, ELFLDR_E_##code, NULL }
#define ENTRY_SAYS(fn, code, text) { #fn, VICTIM_BOTH, fn, ELFLDR_E_##code, text }

const struct corruption corruptions[] = {
    /* Controls: these must load, run and unload clean. */
    { "control", VICTIM_BOTH, NULL, ELFLDR_OK, NULL },
    { "control_sysv_hash_only", VICTIM_SYSV, NULL, ELFLDR_OK, NULL },
    { "control_gnu_hash_only", VICTIM_GNU, NULL, ELFLDR_OK, NULL },
    { "cut_after_last_segment", VICTIM_BOTH, cut_after_last_segment, ELFLDR_OK, NULL },
    { "section_headers_garbage", VICTIM_BOTH, section_headers_garbage, ELFLDR_OK, NULL },
    { "osabi_gnu", VICTIM_BOTH, osabi_gnu, ELFLDR_OK, NULL },

    /* Truncations at each header boundary. */
    ENTRY(truncate_to_nothing, TRUNCATED),
    ENTRY(truncate_in_ident, TRUNCATED),
    ENTRY(truncate_in_ehdr, TRUNCATED),
    ENTRY(truncate_before_ehdr_end, TRUNCATED),
    /* The file ends where its program headers should begin: "ends before a header it declares". */
    ENTRY(truncate_after_ehdr, TRUNCATED),
    /* TRUNCATED, not PHOFF: e_phoff is sound, the file was cut; PHOFF is kept for a wild e_phoff. */
    ENTRY(truncate_in_phdrs, TRUNCATED),
    ENTRY(truncate_in_segment, SEG_OFFSET),

    /* The ELF header. */
    ENTRY(bad_magic, NOT_ELF),
    ENTRY(magic_zeroed, NOT_ELF),
    ENTRY(class_32, CLASS),
    ENTRY(class_none, CLASS),
    ENTRY(data_msb, DATA),
    ENTRY(data_none, DATA),
    ENTRY(ident_version_0, VERSION),
    ENTRY(e_version_2, VERSION),
    ENTRY(osabi_freebsd, OSABI),
    ENTRY(abiversion_unknown, OSABI),
    ENTRY(ident_pad_nonzero, OSABI),
    ENTRY(type_rel, TYPE),
    ENTRY(type_core, TYPE),
    ENTRY(type_os_specific, TYPE),
    ENTRY(machine_foreign, MACHINE),
    ENTRY(ehsize_32bit, EHSIZE),
    ENTRY(phentsize_32bit, PHENTSIZE),
    ENTRY(phnum_zero, PHNUM),
    ENTRY(phnum_over_64k, PHNUM),
    ENTRY(phnum_xnum, PHNUM),
    ENTRY(phoff_past_end, PHOFF),
    ENTRY(phoff_overflow, PHOFF),

    /* Program headers. */
    ENTRY(no_load_all_null, NO_LOAD),
    /* PT_DYNAMIC, PT_PHDR and PT_GNU_RELRO are left in no segment too: NO_LOAD is the cause. */
    ENTRY(no_load_others_kept, NO_LOAD),
    ENTRY(seg_overlap, SEG_OVERLAP),
    ENTRY(seg_order_swapped, SEG_ORDER),
    ENTRY(seg_filesz_over_memsz, SEG_FILESZ),
    ENTRY(seg_offset_wild, SEG_OFFSET),
    ENTRY(seg_align_not_pow2, SEG_ALIGN),
    ENTRY(seg_align_sub_page, SEG_ALIGN),
    ENTRY(seg_incongruent, SEG_CONGRUENT),
    ENTRY(seg_range_memsz_overflow, SEG_RANGE),
    ENTRY(seg_range_vaddr_overflow, SEG_RANGE),
    ENTRY(dynamic_outside, SEG_MISC),
    ENTRY(dynamic_straddles_segment, SEG_MISC),
    ENTRY(relro_outside, SEG_MISC),
    ENTRY(phdr_outside, SEG_MISC),
    ENTRY(tls_outside, SEG_MISC),
    ENTRY(interp_twice, INTERP),
    ENTRY(interp_unterminated, INTERP),
    ENTRY(interp_empty, INTERP),
    ENTRY(interp_outside_file, INTERP),

    /* The dynamic section. */
    ENTRY(dynamic_no_null, DYNAMIC),
    ENTRY(pltrel_neither, DYNAMIC),
    ENTRY(strtab_outside, DYN_PTR),
    ENTRY(strsz_huge, DYN_PTR),
    ENTRY(symtab_outside, DYN_PTR),
    ENTRY(symtab_misaligned, DYN_PTR),
    /* SYMTAB, not DYNAMIC: "the symbol table is missing" names exactly this. */
    ENTRY(symtab_missing, SYMTAB),
    ENTRY(gnu_hash_outside, DYN_PTR),
    ENTRY(sysv_hash_outside, DYN_PTR),
    /* DYN_PTR, not RELOC_TABLE: the tag itself points away; RELOC_TABLE is for the table's size. */
    ENTRY(rela_outside, DYN_PTR),
    ENTRY(jmprel_outside, DYN_PTR),
    ENTRY(versym_outside, DYN_PTR),
    /* DYN_PTR, not VERSYM: the tag points away before any version table is read. */
    ENTRY(verdef_outside, DYN_PTR),
    ENTRY(init_array_outside, DYN_PTR),
    ENTRY(init_arraysz_partial, DYN_PTR),
    ENTRY(init_arraysz_past_image, DYN_PTR),
    ENTRY(fini_array_outside, DYN_PTR),

    /* Strings and symbols. */
    ENTRY(sym_name_beyond_strsz, STRTAB),
    ENTRY(sym_name_at_strsz, STRTAB),
    ENTRY(soname_beyond_strsz, STRTAB),
    ENTRY(strsz_cuts_last_string, STRTAB),
    ENTRY(strsz_cuts_symbol_name, STRTAB),
    ENTRY(reloc_sym_index_at_count, SYM_INDEX),
    ENTRY(reloc_sym_index_huge, SYM_INDEX),
    ENTRY_SAYS(sym_undefined, UNDEFINED, "victim_counter"),
    /* SYMTAB ("bad entries"): a defined symbol must lie in the image it is defined by. */

    /* Hash tables. */
    ENTRY_ON(VICTIM_SYSV, sysv_chain_loop, HASH),
    /* HASH, not SYM_INDEX: the index is the hash table's, not a relocation's. */
    ENTRY_ON(VICTIM_SYSV, sysv_bucket_out_of_range, HASH),
    ENTRY_ON(VICTIM_SYSV, sysv_zero_buckets, HASH),
    /* HASH, not DYN_PTR: DT_HASH points right; the table's own nchain carries it out of the image. */
    ENTRY_ON(VICTIM_SYSV, sysv_nchain_past_image, HASH),
    ENTRY_ON(VICTIM_GNU, gnu_last_chain_unterminated, HASH),
    ENTRY_ON(VICTIM_GNU, gnu_bloom_not_pow2, HASH),
    ENTRY_ON(VICTIM_GNU, gnu_bloom_zero, HASH),
    ENTRY_ON(VICTIM_GNU, gnu_bloom_shift_over_31, HASH),
    ENTRY_ON(VICTIM_GNU, gnu_zero_buckets, HASH),
    { "gnu_buckets_all_empty", VICTIM_GNU, gnu_buckets_all_empty, ELFLDR_E_UNDEFINED, "undefined symbol" },
    ENTRY_ON(VICTIM_GNU, gnu_nbuckets_past_image, HASH),
    ENTRY(gnu_symoffset_beyond_symbols, HASH),
    ENTRY_ON(VICTIM_GNU, gnu_bucket_out_of_range, HASH),
    /* The same with DT_HASH beside it, which gives the symbol count without the GNU table's help. */
    { "gnu_bucket_out_of_range_beside_sysv", VICTIM_BOTH, gnu_bucket_out_of_range, ELFLDR_E_HASH, NULL },

    /* Relocation tables. */
    ENTRY(relaent_wrong, RELOC_TABLE),
    ENTRY(relasz_partial, RELOC_TABLE),
    /* DYN_PTR, not RELOC_TABLE: as for DT_STRSZ, the range a tag and its size give leaves the image. */
    ENTRY(relasz_past_image, DYN_PTR),
    ENTRY(pltrelsz_partial, RELOC_TABLE),

    /* Relocations. */
    ENTRY(reloc_relative_into_text, RELOC_TARGET),
    ENTRY(reloc_relative_into_headers, RELOC_TARGET),
    /* The segment ends at p_vaddr + p_memsz even though its last page is writable further. */
    ENTRY(reloc_relative_straddles_end, RELOC_TARGET),
    ENTRY(reloc_symbolic_far_away, RELOC_TARGET),
    ENTRY(reloc_offset_wraps, RELOC_TARGET),
    ENTRY(jump_slot_into_text, RELOC_TARGET),
    ENTRY(reloc_type_unknown, RELOC_TYPE),
    ENTRY(reloc_abs32_overflow, RELOC_OVERFLOW),
    ENTRY_SAYS(reloc_tpoff, UNSUPPORTED, "not supported"),

    /* Version tables. */
    ENTRY(verdef_next_outside, VERSYM),
    ENTRY(verdef_loop, VERSYM),
    ENTRY(verdefnum_too_big, VERSYM),
    ENTRY(verdef_aux_outside, VERSYM),
    ENTRY(verdef_version_2, VERSYM),
    ENTRY(versym_unknown_index, VERSYM),

    /* Constructors, once relocated. */
    ENTRY(init_array_ptr_into_data, INIT),
    ENTRY(init_array_ptr_into_headers, INIT),
    ENTRY(init_array_ptr_far, INIT),
    ENTRY(fini_array_ptr_into_data, INIT),
    ENTRY(dt_init_into_data, INIT),
};

const size_t corruption_count = sizeof(corruptions) / sizeof(corruptions[0]);
