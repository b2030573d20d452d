/* Reading a fixture's file with <elf.h>, so a test can compare what the loader did with what the file
 * says (the relocations readelf -r lists, the symbols readelf --dyn-syms lists, the dynamic tags). The
 * fixtures are built here and trusted; the checks only keep a broken build from crashing a test. */
#ifndef ELFLDR_UNIT_ELF_FILE_H
#define ELFLDR_UNIT_ELF_FILE_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifndef SHT_RELR
#define SHT_RELR 19
#endif
#ifndef DT_RELR
#define DT_RELR 36
#endif

/* The host's IRELATIVE type, to recognise it among a file's relocations. */
#if defined(__x86_64__)
#define HOST_R_IRELATIVE R_X86_64_IRELATIVE
#elif defined(__aarch64__)
#define HOST_R_IRELATIVE R_AARCH64_IRELATIVE
#elif defined(__riscv)
#define HOST_R_IRELATIVE R_RISCV_IRELATIVE
#endif

struct elf_file {
    unsigned char *bytes;
    size_t size;
    const Elf64_Ehdr *ehdr;
};

void elf_file_read(const char *path, struct elf_file *file);
void elf_file_free(struct elf_file *file);

const Elf64_Phdr *elf_file_phdr(const struct elf_file *file, size_t index);
/* The value of the first dynamic entry with `tag`; false when there is none. */
bool elf_file_dyn(const struct elf_file *file, int64_t tag, uint64_t *value);

/* One relocation as readelf -r shows it; a DT_RELR entry expands to one `from_relr` row per address. */
struct file_reloc {
    uint64_t offset;
    uint32_t type;
    uint32_t sym_index;
    bool from_relr;
};
/* Every relocation of every SHT_RELA, SHT_REL and SHT_RELR section; free() the array. */
size_t elf_file_relocs(const struct elf_file *file, struct file_reloc **relocs);

/* A symbol of .dynsym. */
struct file_sym {
    const char *name;
    uint64_t value;
    unsigned char bind, type;
    uint16_t shndx;
    bool hidden_version; /* VERSYM marks it hidden (name@VERS rather than name@@VERS) */
};
/* Every .dynsym entry after the null one; free() the array (names point into `file`). */
size_t elf_file_dynsyms(const struct elf_file *file, struct file_sym **syms);

#endif
