/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A mutable copy of a victim library, and the ways to find things in it: program headers, dynamic
 * entries, relocations, symbols, hash tables and version definitions, each reached the way a loader
 * reaches it (PT_DYNAMIC, then the tags), never by a fixed offset. Hosted test code: it uses libc
 * and <elf.h>.
 *
 * The finders assert (through Criterion) when the victim lacks what they look for, so a toolchain
 * that lays the victim out differently makes a corruption fail loudly rather than test nothing.
 */
#ifndef ELFLDR_TEST_MALFORMED_IMAGE_H
#define ELFLDR_TEST_MALFORMED_IMAGE_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The host's relocation types the corruptions aim at. */
#if defined(__x86_64__)
#define HOST_MACHINE EM_X86_64
#define HOST_R_RELATIVE R_X86_64_RELATIVE
#define HOST_R_ABS64 R_X86_64_64
#define HOST_R_ABS32 R_X86_64_32
#define HOST_R_JUMP_SLOT R_X86_64_JUMP_SLOT
#define HOST_R_TPOFF R_X86_64_TPOFF64
#elif defined(__aarch64__)
#define HOST_MACHINE EM_AARCH64
#define HOST_R_RELATIVE R_AARCH64_RELATIVE
#define HOST_R_ABS64 R_AARCH64_ABS64
#define HOST_R_ABS32 R_AARCH64_ABS32
#define HOST_R_JUMP_SLOT R_AARCH64_JUMP_SLOT
#define HOST_R_TPOFF R_AARCH64_TLS_TPREL
#elif defined(__riscv) && __riscv_xlen == 64
#define HOST_MACHINE EM_RISCV
#define HOST_R_RELATIVE R_RISCV_RELATIVE
#define HOST_R_ABS64 R_RISCV_64
#define HOST_R_ABS32 R_RISCV_32
#define HOST_R_JUMP_SLOT R_RISCV_JUMP_SLOT
#define HOST_R_TPOFF R_RISCV_TLS_TPREL64
#else
#error "the malformed-image tests know x86_64, aarch64 and riscv64"
#endif

/* No architecture defines this relocation type. */
#define UNKNOWN_RELOC_TYPE 200u

struct image {
    unsigned char *bytes;
    size_t size; /* truncations shrink it */
};

/* The whole file, in malloc'd memory; asserts on failure. */
struct image image_read(const char *path);
struct image image_copy(const struct image *from);
void image_free(struct image *img);

/* Program headers. */
Elf64_Ehdr *image_ehdr(struct image *img);
size_t image_phnum(struct image *img);
Elf64_Phdr *image_phdr(struct image *img, size_t index);
Elf64_Phdr *image_find_phdr(struct image *img, uint32_t type); /* the first, or NULL */
Elf64_Phdr *image_need_phdr(struct image *img, uint32_t type);
Elf64_Phdr *image_load(struct image *img, size_t nth);        /* the nth PT_LOAD, or NULL */
Elf64_Phdr *image_last_load(struct image *img);
Elf64_Phdr *image_load_with(struct image *img, uint32_t flags); /* the first PT_LOAD with all `flags` */
/* A program header the loader can do without (a note, the unwind table, the stack flags). */
Elf64_Phdr *image_spare_phdr(struct image *img);
/* One past the highest address of the image: max(p_vaddr + p_memsz) over PT_LOAD. */
uint64_t image_span_end(struct image *img);

/* The file bytes that hold [vaddr, vaddr + size): inside one PT_LOAD's file part. */
void *image_at(struct image *img, uint64_t vaddr, uint64_t size);

/* Dynamic entries, found through PT_DYNAMIC. */
Elf64_Dyn *image_dynamic(struct image *img, size_t *count); /* the entries before DT_NULL */
Elf64_Dyn *image_find_dyn(struct image *img, int64_t tag);  /* or NULL */
Elf64_Dyn *image_need_dyn(struct image *img, int64_t tag);

/* Relocations of DT_RELA and DT_JMPREL. */
Elf64_Rela *image_rela(struct image *img, size_t *count);
Elf64_Rela *image_jmprel(struct image *img, size_t *count);
/* The first DT_RELA entry of `type`, with a symbol when `with_symbol`. */
Elf64_Rela *image_need_rela(struct image *img, uint32_t type, bool with_symbol);
/* The DT_RELA entry that writes `vaddr`. */
Elf64_Rela *image_need_rela_at(struct image *img, uint64_t vaddr);

/* Symbols and strings. */
Elf64_Sym *image_symtab(struct image *img);
size_t image_nsyms(struct image *img); /* from DT_HASH, or by walking DT_GNU_HASH */
Elf64_Sym *image_sym(struct image *img, size_t index);
const char *image_sym_name(struct image *img, size_t index);
/* The symbol a relocation against an exported datum refers to (the first ABS64 with a symbol). */
size_t image_target_symbol(struct image *img);

/* Hash tables. */
uint32_t *image_sysv_hash(struct image *img); /* nbucket, nchain, buckets, chains */
uint32_t *image_gnu_hash(struct image *img);  /* nbuckets, symoffset, bloom_size, bloom_shift, ... */
uint32_t *image_gnu_buckets(struct image *img);
uint32_t *image_gnu_chains(struct image *img); /* indexed by symbol index - symoffset */
uint32_t sysv_hash_of(const char *name);
uint32_t gnu_hash_of(const char *name);

/* Versions. */
uint16_t *image_versym(struct image *img);
Elf64_Verdef *image_verdef(struct image *img, size_t nth); /* following vd_next */

#endif
