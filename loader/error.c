/* SPDX-License-Identifier: BSD-2-Clause */
/* Error codes: a fixed text for each, and the one place a diagnostic is written. */
#include "internal.h"

const char *elfldr_strerror(int code)
{
    switch (code) {
    case ELFLDR_OK: return "success";
    case ELFLDR_E_INVAL: return "invalid argument";
    case ELFLDR_E_NOMEM: return "out of memory for metadata";
    case ELFLDR_E_OPEN: return "cannot open the file";
    case ELFLDR_E_IO: return "cannot read the file";
    case ELFLDR_E_TRUNCATED: return "file truncated";
    case ELFLDR_E_NOT_ELF: return "not an ELF file";
    case ELFLDR_E_CLASS: return "not a 64-bit ELF file";
    case ELFLDR_E_DATA: return "not a little-endian ELF file";
    case ELFLDR_E_VERSION: return "unknown ELF version";
    case ELFLDR_E_OSABI: return "unsupported OS ABI";
    case ELFLDR_E_TYPE: return "not an executable or shared object";
    case ELFLDR_E_MACHINE: return "wrong architecture";
    case ELFLDR_E_EHSIZE: return "bad ELF header size";
    case ELFLDR_E_PHENTSIZE: return "bad program header size";
    case ELFLDR_E_PHNUM: return "bad number of program headers";
    case ELFLDR_E_PHOFF: return "program headers outside the file";
    case ELFLDR_E_NO_LOAD: return "no loadable segment";
    case ELFLDR_E_SEG_ORDER: return "loadable segments out of order";
    case ELFLDR_E_SEG_OVERLAP: return "loadable segments overlap";
    case ELFLDR_E_SEG_FILESZ: return "segment p_filesz larger than p_memsz";
    case ELFLDR_E_SEG_OFFSET: return "segment outside the file";
    case ELFLDR_E_SEG_ALIGN: return "bad segment alignment";
    case ELFLDR_E_SEG_CONGRUENT: return "segment address and offset not congruent";
    case ELFLDR_E_SEG_RANGE: return "segment outside the address space";
    case ELFLDR_E_INTERP: return "bad interpreter path";
    case ELFLDR_E_SEG_MISC: return "bad dynamic, RELRO, PHDR or TLS segment";
    case ELFLDR_E_MAP: return "cannot map memory";
    case ELFLDR_E_PROTECT: return "cannot change memory protection";
    case ELFLDR_E_DYNAMIC: return "malformed dynamic section";
    case ELFLDR_E_DYN_PTR: return "dynamic entry points outside the image";
    case ELFLDR_E_STRTAB: return "bad string table reference";
    case ELFLDR_E_SYMTAB: return "bad symbol table";
    case ELFLDR_E_HASH: return "malformed hash table";
    case ELFLDR_E_SYM_INDEX: return "symbol index out of range";
    case ELFLDR_E_VERSYM: return "malformed symbol version tables";
    case ELFLDR_E_RELOC_TABLE: return "malformed relocation table";
    case ELFLDR_E_RELOC_TYPE: return "unknown relocation type";
    case ELFLDR_E_RELOC_TARGET: return "relocation outside the writable segments";
    case ELFLDR_E_RELOC_OVERFLOW: return "relocated value does not fit";
    case ELFLDR_E_UNDEFINED: return "undefined symbol";
    case ELFLDR_E_REFUSED: return "refused by a hook";
    case ELFLDR_E_UNSUPPORTED: return "not supported yet";
    case ELFLDR_E_INIT: return "constructor or destructor outside executable code";
    case ELFLDR_E_NOT_FOUND: return "symbol not found";
    default: return "unknown error";
    }
}

int set_error(struct elfldr_error *err, enum elfldr_err code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        format_message(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
    }
    return (int)code;
}
