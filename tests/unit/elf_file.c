#include "elf_file.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void elf_file_read(const char *path, struct elf_file *file)
{
    FILE *stream = fopen(path, "rb");
    cr_assert_not_null(stream, "cannot open %s", path);
    cr_assert_eq(fseek(stream, 0, SEEK_END), 0);
    long length = ftell(stream);
    cr_assert_geq(length, (long)sizeof(Elf64_Ehdr), "%s is too short for an ELF header", path);
    rewind(stream);
    file->size = (size_t)length;
    file->bytes = malloc(file->size);
    cr_assert_not_null(file->bytes);
    cr_assert_eq(fread(file->bytes, 1, file->size, stream), file->size);
    fclose(stream);
    file->ehdr = (const Elf64_Ehdr *)file->bytes;
    cr_assert_eq(memcmp(file->ehdr->e_ident, ELFMAG, SELFMAG), 0, "%s is not ELF", path);
    cr_assert_eq(file->ehdr->e_ident[EI_CLASS], ELFCLASS64, "%s is not ELF64", path);
}

void elf_file_free(struct elf_file *file)
{
    free(file->bytes);
    memset(file, 0, sizeof(*file));
}

static const void *file_range(const struct elf_file *file, uint64_t offset, uint64_t size)
{
    cr_assert(offset <= file->size && size <= file->size - offset, "range %#lx+%#lx outside the file",
              (unsigned long)offset, (unsigned long)size);
    return file->bytes + offset;
}

const Elf64_Phdr *elf_file_phdr(const struct elf_file *file, size_t index)
{
    cr_assert_lt(index, file->ehdr->e_phnum);
    return file_range(file, file->ehdr->e_phoff + index * sizeof(Elf64_Phdr), sizeof(Elf64_Phdr));
}

static const Elf64_Shdr *section(const struct elf_file *file, size_t index)
{
    cr_assert_lt(index, file->ehdr->e_shnum);
    return file_range(file, file->ehdr->e_shoff + index * sizeof(Elf64_Shdr), sizeof(Elf64_Shdr));
}

static const Elf64_Shdr *section_of_type(const struct elf_file *file, uint32_t type)
{
    for (size_t i = 0; i < file->ehdr->e_shnum; i++)
        if (section(file, i)->sh_type == type)
            return section(file, i);
    return NULL;
}

bool elf_file_dyn(const struct elf_file *file, int64_t tag, uint64_t *value)
{
    for (size_t i = 0; i < file->ehdr->e_phnum; i++) {
        const Elf64_Phdr *ph = elf_file_phdr(file, i);
        if (ph->p_type != PT_DYNAMIC)
            continue;
        const Elf64_Dyn *dyn = file_range(file, ph->p_offset, ph->p_filesz);
        for (size_t j = 0; j < ph->p_filesz / sizeof(*dyn) && dyn[j].d_tag != DT_NULL; j++) {
            if (dyn[j].d_tag == tag) {
                if (value != NULL)
                    *value = dyn[j].d_un.d_val;
                return true;
            }
        }
    }
    return false;
}

/* RELR: an even word is an address to relocate; an odd word is a bitmap of the next 63 words after
 * the last address. */
static size_t add_relr(const struct elf_file *file, const Elf64_Shdr *sh, struct file_reloc **relocs,
                       size_t count)
{
    const uint64_t *words = file_range(file, sh->sh_offset, sh->sh_size);
    uint64_t next = 0;
    for (size_t i = 0; i < sh->sh_size / sizeof(uint64_t); i++) {
        uint64_t word = words[i];
        if ((word & 1) == 0) {
            *relocs = realloc(*relocs, (count + 1) * sizeof(**relocs));
            (*relocs)[count++] = (struct file_reloc){.offset = word, .from_relr = true};
            next = word + 8;
            continue;
        }
        for (unsigned bit = 1; bit < 64; bit++) {
            if ((word >> bit) & 1) {
                *relocs = realloc(*relocs, (count + 1) * sizeof(**relocs));
                (*relocs)[count++] = (struct file_reloc){.offset = next + (bit - 1) * 8, .from_relr = true};
            }
        }
        next += 63 * 8;
    }
    return count;
}

size_t elf_file_relocs(const struct elf_file *file, struct file_reloc **relocs)
{
    size_t count = 0;
    *relocs = NULL;
    for (size_t i = 0; i < file->ehdr->e_shnum; i++) {
        const Elf64_Shdr *sh = section(file, i);
        if (sh->sh_type == SHT_RELR) {
            count = add_relr(file, sh, relocs, count);
        } else if (sh->sh_type == SHT_RELA) {
            const Elf64_Rela *rela = file_range(file, sh->sh_offset, sh->sh_size);
            for (size_t j = 0; j < sh->sh_size / sizeof(*rela); j++) {
                *relocs = realloc(*relocs, (count + 1) * sizeof(**relocs));
                (*relocs)[count++] = (struct file_reloc){
                    .offset = rela[j].r_offset,
                    .type = ELF64_R_TYPE(rela[j].r_info),
                    .sym_index = ELF64_R_SYM(rela[j].r_info),
                };
            }
        } else if (sh->sh_type == SHT_REL) {
            const Elf64_Rel *rel = file_range(file, sh->sh_offset, sh->sh_size);
            for (size_t j = 0; j < sh->sh_size / sizeof(*rel); j++) {
                *relocs = realloc(*relocs, (count + 1) * sizeof(**relocs));
                (*relocs)[count++] = (struct file_reloc){
                    .offset = rel[j].r_offset,
                    .type = ELF64_R_TYPE(rel[j].r_info),
                    .sym_index = ELF64_R_SYM(rel[j].r_info),
                };
            }
        }
    }
    return count;
}

size_t elf_file_dynsyms(const struct elf_file *file, struct file_sym **syms)
{
    const Elf64_Shdr *dynsym = section_of_type(file, SHT_DYNSYM);
    cr_assert_not_null(dynsym, "no .dynsym");
    const Elf64_Sym *table = file_range(file, dynsym->sh_offset, dynsym->sh_size);
    const Elf64_Shdr *strtab = section(file, dynsym->sh_link);
    const char *strings = file_range(file, strtab->sh_offset, strtab->sh_size);
    const Elf64_Shdr *versym_section = section_of_type(file, SHT_GNU_versym);
    const Elf64_Half *versym = versym_section != NULL
        ? file_range(file, versym_section->sh_offset, versym_section->sh_size) : NULL;

    size_t count = dynsym->sh_size / sizeof(*table);
    cr_assert_gt(count, 0);
    *syms = calloc(count, sizeof(**syms));
    cr_assert_not_null(*syms);
    for (size_t i = 1; i < count; i++) {
        cr_assert_lt(table[i].st_name, strtab->sh_size);
        (*syms)[i - 1] = (struct file_sym){
            .name = strings + table[i].st_name,
            .value = table[i].st_value,
            .bind = ELF64_ST_BIND(table[i].st_info),
            .type = ELF64_ST_TYPE(table[i].st_info),
            .shndx = table[i].st_shndx,
            .hidden_version = versym != NULL && (versym[i] & 0x8000) != 0,
        };
    }
    return count - 1;
}
