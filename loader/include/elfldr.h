/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * elfldr: a freestanding ELF loader.
 *
 * This is the one public header. It needs only the compiler's freestanding headers, so a kernel,
 * a bootloader and a hosted program can all include it.
 *
 * The flow: pick a platform table (Linux or arena), optionally hooks, then load from a path, a file
 * descriptor or a buffer. The result is an object that is mapped, relocated, protected and
 * initialised; look symbols up in it, and unload it when done. Every call reports failures through
 * an error code and, when the caller passes a `struct elfldr_error`, a message that says what and where.
 */
#ifndef ELFLDR_H
#define ELFLDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ELFLDR_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------------------------------ */
/* Errors                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

enum elfldr_err {
    ELFLDR_OK = 0,
    ELFLDR_E_INVAL,          /* a bad argument from the caller */
    ELFLDR_E_NOMEM,          /* the platform table could not allocate metadata */
    ELFLDR_E_OPEN,           /* the source could not be opened */
    ELFLDR_E_IO,             /* the source could not be read */
    ELFLDR_E_TRUNCATED,      /* the file ends before a header it declares */
    ELFLDR_E_NOT_ELF,        /* no ELF magic */
    ELFLDR_E_CLASS,          /* not ELFCLASS64 */
    ELFLDR_E_DATA,           /* not little-endian */
    ELFLDR_E_VERSION,        /* EI_VERSION or e_version is not EV_CURRENT */
    ELFLDR_E_OSABI,          /* EI_OSABI/EI_ABIVERSION not SYSV or GNU, or EI_PAD not zero */
    ELFLDR_E_TYPE,           /* e_type is neither ET_EXEC nor ET_DYN */
    ELFLDR_E_MACHINE,        /* e_machine is not this architecture's */
    ELFLDR_E_EHSIZE,         /* e_ehsize is not the size of an ELF header */
    ELFLDR_E_PHENTSIZE,      /* e_phentsize is not the size of a program header */
    ELFLDR_E_PHNUM,          /* no program headers, or more than fit in 64 KiB */
    ELFLDR_E_PHOFF,          /* the program header table lies outside the file */
    ELFLDR_E_NO_LOAD,        /* no PT_LOAD segment */
    ELFLDR_E_SEG_ORDER,      /* PT_LOAD segments not in ascending p_vaddr order */
    ELFLDR_E_SEG_OVERLAP,    /* two PT_LOAD segments overlap */
    ELFLDR_E_SEG_FILESZ,     /* p_filesz > p_memsz */
    ELFLDR_E_SEG_OFFSET,     /* p_offset + p_filesz outside the file, or overflowing */
    ELFLDR_E_SEG_ALIGN,      /* p_align not a power of two or not a multiple of the page size */
    ELFLDR_E_SEG_CONGRUENT,  /* p_vaddr and p_offset differ modulo the page size or p_align */
    ELFLDR_E_SEG_RANGE,      /* p_vaddr + p_memsz overflows or leaves the address space */
    ELFLDR_E_INTERP,         /* PT_INTERP repeated, outside the file, or not a terminated path */
    ELFLDR_E_SEG_MISC,       /* PT_DYNAMIC, PT_GNU_RELRO, PT_PHDR or PT_TLS malformed or outside a segment */
    ELFLDR_E_MAP,            /* the platform table could not reserve or map memory */
    ELFLDR_E_PROTECT,        /* the platform table could not change a protection */
    ELFLDR_E_DYNAMIC,        /* the dynamic section has no DT_NULL or a bad entry */
    ELFLDR_E_DYN_PTR,        /* a dynamic tag points outside the image or is misaligned */
    ELFLDR_E_STRTAB,         /* a string lies outside the string table or is not terminated */
    ELFLDR_E_SYMTAB,         /* the symbol table is missing, outside the image, or has bad entries */
    ELFLDR_E_HASH,           /* a hash table is malformed, or one of its chains has no end */
    ELFLDR_E_SYM_INDEX,      /* a symbol index out of range of the symbol table */
    ELFLDR_E_VERSYM,         /* the version tables (VERSYM, VERDEF, VERNEED) are malformed */
    ELFLDR_E_RELOC_TABLE,    /* a relocation table outside the image, or of a bad size */
    ELFLDR_E_RELOC_TYPE,     /* a relocation type the loader does not know and no hook handled */
    ELFLDR_E_RELOC_TARGET,   /* a relocation aimed outside the object's writable segments */
    ELFLDR_E_RELOC_OVERFLOW, /* a relocated value does not fit its field */
    ELFLDR_E_UNDEFINED,      /* a symbol found nowhere */
    ELFLDR_E_REFUSED,        /* a hook refused a symbol, a segment or a relocation */
    ELFLDR_E_UNSUPPORTED,    /* a feature elfldr does not support yet (it says which) */
    ELFLDR_E_INIT,           /* a code pointer (constructor, destructor, IFUNC resolver) outside executable code */
    ELFLDR_E_NOT_FOUND,      /* a symbol lookup found nothing (not a load failure) */
    ELFLDR_E_COUNT
};

/* Where a failure is described. The message says what and where, in one line:
 * "segment 2: p_filesz 0x2000 > p_memsz 0x1000". */
struct elfldr_error {
    enum elfldr_err code;
    char message[256];
};

/* A short fixed description of a code ("p_filesz larger than p_memsz"). Never NULL. */
const char *elfldr_strerror(int code);

/* ------------------------------------------------------------------------------------------------ */
/* The platform table                                                                               */
/* ------------------------------------------------------------------------------------------------ */

#define ELFLDR_PROT_READ 1
#define ELFLDR_PROT_WRITE 2
#define ELFLDR_PROT_EXEC 4

/*
 * Every way the loader touches memory or files goes through this table. Each function returns 0 on
 * success or a negative errno-style value. A handle names an open file in whatever way the platform
 * likes (Linux: the file descriptor).
 *
 * The loader reserves the whole span of an image once, then maps inside the reservation only, and
 * hands back exactly the ranges it reserved. Optional members may be NULL.
 */
struct elfldr_ops {
    void *ctx;
    size_t page_size; /* a power of two */

    /* Reserve `size` bytes aligned to `align`, inaccessible. With `fixed`, exactly at `hint` or fail;
     * otherwise `hint` is only a preference (0: none). */
    int (*reserve)(void *ctx, uintptr_t hint, size_t size, size_t align, bool fixed, uintptr_t *out);
    /* Give a reserved range back. */
    int (*release)(void *ctx, uintptr_t addr, size_t size);
    /* Zero-filled pages at `addr` (page aligned, inside a reservation) with protection `prot`. */
    int (*map_zero)(void *ctx, uintptr_t addr, size_t size, int prot);
    /* Optional: the file's bytes from `offset` (page aligned) at `addr`, privately, with `prot`.
     * Where NULL, the loader maps zero pages and reads the bytes in. */
    int (*map_file)(void *ctx, uintptr_t addr, size_t size, int prot, intptr_t handle, uint64_t offset);
    /* Change protection of pages inside a reservation. */
    int (*protect)(void *ctx, uintptr_t addr, size_t size, int prot);

    /* Small metadata. Memory is returned with the size it was asked for. */
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *ptr, size_t size);

    /* Files. `open` and `size` and `close` may be NULL where there is no file system: then only
     * buffers can be loaded. `read` reads exactly `size` bytes at `offset` or fails. */
    int (*open)(void *ctx, const char *path, intptr_t *handle);
    int (*close)(void *ctx, intptr_t handle);
    int (*read)(void *ctx, intptr_t handle, uint64_t offset, void *buf, size_t size);
    int (*file_size)(void *ctx, intptr_t handle, uint64_t *size);
    /* Optional: what names the file itself whatever path reached it (Linux: st_dev, st_ino), so that
     * a namespace loads one file once. */
    int (*file_id)(void *ctx, intptr_t handle, uint64_t id[2]);
    /* Optional: reserve `size` bytes (page aligned) as `reserve` does, with the file's bytes from
     * `offset` (page aligned) mapped over all of them with `prot`, as glibc maps a first segment: one
     * call makes the reservation and maps every segment that lies in the file as the first does. The
     * loader then maps the other segments over it, protects the rest, and gives the range back with
     * `release`. Asked for only for file mappings aligned to at most a page. */
    int (*reserve_file)(void *ctx, uintptr_t hint, size_t size, bool fixed, int prot, intptr_t handle,
                        uint64_t offset, uintptr_t *out);
    /* Optional: make the pages of [addr, addr + size), mapped from the file and writable, private and
     * present now, as relocation is about to write them (Linux: MADV_POPULATE_WRITE): one call where
     * each page would otherwise fault on its own. A failure is not an error. */
    int (*populate)(void *ctx, uintptr_t addr, size_t size);
    /* Optional: map_file, with the pages made private and present in the same call (Linux:
     * MAP_POPULATE), for a writable segment mapped apart that the loader would populate next: one
     * call instead of two. Where NULL, map_file and then populate. */
    int (*map_file_populate)(void *ctx, uintptr_t addr, size_t size, int prot, intptr_t handle, uint64_t offset);
};

/* The default table: Linux, raw system calls (mmap, mprotect, munmap, openat, pread64, lseek, close).
 * Metadata comes from anonymous mappings. Fills `ops`; needs no state. */
void elfldr_linux_ops(struct elfldr_ops *ops);

/*
 * The arena table: images and metadata are placed in one caller-given buffer; no system call at all.
 * Protections are not enforced (there is no MMU to ask). It cannot open files; load from buffers.
 * The arena keeps its bookkeeping in the struct, which the caller owns; nothing is global.
 */
#define ELFLDR_ARENA_MAX_BLOCKS 128
struct elfldr_arena {
    uintptr_t base;
    size_t size;
    size_t nblocks;                /* blocks in use: 0 when everything was given back */
    size_t bytes_in_use;
    struct {
        uintptr_t start;
        size_t size;
    } blocks[ELFLDR_ARENA_MAX_BLOCKS]; /* sorted by start */
};
/* Set up `arena` over [buffer, buffer + size) and fill `ops` to use it. Returns 0, or
 * ELFLDR_E_INVAL for a NULL or tiny buffer. */
int elfldr_arena_ops(struct elfldr_arena *arena, void *buffer, size_t size, struct elfldr_ops *ops);

/* ------------------------------------------------------------------------------------------------ */
/* Objects and hooks                                                                                */
/* ------------------------------------------------------------------------------------------------ */

struct elfldr_obj; /* opaque; owned by the caller until elfldr_unload */

/* A program header as in the file (Elf64_Phdr). */
struct elfldr_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

/* A symbol table entry (Elf64_Sym). */
struct elfldr_sym {
    uint32_t st_name;
    unsigned char st_info;
    unsigned char st_other;
    uint16_t st_shndx;
    uint64_t st_value;
    uint64_t st_size;
};

/* The abstract relocation classes each architecture's types map to. */
enum elfldr_reloc_class {
    ELFLDR_RC_UNKNOWN = 0,
    ELFLDR_RC_NONE,
    ELFLDR_RC_RELATIVE, /* B + A */
    ELFLDR_RC_ABS64,    /* S + A */
    ELFLDR_RC_ABS32,    /* S + A, must fit in 32 bits unsigned */
    ELFLDR_RC_ABS32S,   /* S + A, must fit in 32 bits signed */
    ELFLDR_RC_PC32,     /* S + A - P, must fit in 32 bits signed */
    ELFLDR_RC_PC64,     /* S + A - P */
    ELFLDR_RC_GLOB_DAT, /* S + A */
    ELFLDR_RC_JUMP_SLOT,/* S + A */
    ELFLDR_RC_IRELATIVE,/* resolver(B + A)() */
    ELFLDR_RC_COPY,     /* copy st_size bytes from S */
    ELFLDR_RC_SIZE32,   /* Z + A */
    ELFLDR_RC_SIZE64,   /* Z + A */
    ELFLDR_RC_DTPMOD,
    ELFLDR_RC_DTPOFF,
    ELFLDR_RC_TPOFF,
    ELFLDR_RC_TLSDESC,
};

/* One relocation, as hooks see it. `value` is what the loader is about to write (before) or wrote
 * (after); a before-hook may change it. */
struct elfldr_reloc {
    const struct elfldr_obj *obj;
    uint32_t type;                 /* the architecture's R_* number */
    enum elfldr_reloc_class rclass;
    uint32_t sym_index;            /* 0: none */
    const char *sym_name;          /* NULL without a symbol */
    uintptr_t where;               /* the address written */
    int64_t addend;
    uintptr_t sym_value;           /* S, 0 without a symbol */
    uintptr_t value;
};

/* What a hook may answer. */
#define ELFLDR_HOOK_CONTINUE 0 /* go on as the loader would */
#define ELFLDR_HOOK_SKIP 1     /* the hook did it (or it is to be left undone): the loader skips it */
#define ELFLDR_HOOK_REFUSE (-1) /* fail the load (ELFLDR_E_REFUSED) */

/* What kind of constructor or destructor a hook is shown. */
enum elfldr_init_kind {
    ELFLDR_INIT_DT_INIT,
    ELFLDR_INIT_PREINIT_ARRAY,
    ELFLDR_INIT_INIT_ARRAY,
    ELFLDR_FINI_FINI_ARRAY,
    ELFLDR_FINI_DT_FINI,
};

typedef void (*elfldr_init_fn)(int argc, char **argv, char **envp);

struct elfldr_hooks {
    void *ctx;
    /* Each program header before the loader acts on it. CONTINUE, or REFUSE to fail the load. */
    int (*on_phdr)(void *ctx, const struct elfldr_obj *obj, unsigned index, const struct elfldr_phdr *ph,
                   uintptr_t load_bias);
    /* A symbol that no object of the scope defines. `version` is NULL for an unversioned reference.
     * Set *addr and return CONTINUE to supply it; return SKIP to let the loader go on (a weak reference
     * becomes 0, a strong one is an error); return REFUSE to fail the load naming the symbol. */
    int (*resolve)(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                   uintptr_t *addr);
    /* Every symbol binding as the loader decided it: `definer` is the object that defines it, or NULL
     * when the resolve hook supplied it or a weak reference became 0; *addr is the address bound (an
     * IFUNC already resolved). CONTINUE (or SKIP) keeps *addr, which the hook may have replaced;
     * REFUSE fails the load naming the symbol and the requesting object. */
    int (*bind)(void *ctx, const struct elfldr_obj *requester, const char *name, const char *version,
                const struct elfldr_obj *definer, uintptr_t *addr);
    /* Static TLS for an object whose code reaches its thread-locals at a fixed distance from the thread
     * pointer (R_*_TPOFF, the initial-exec model): the hook finds `size` bytes aligned to `align` at the
     * same offset from every thread's thread pointer, sets *tp_offset (block = tp + *tp_offset) and
     * returns CONTINUE. elfldr copies the TLS image into the calling thread's block; the blocks of other
     * threads are the hook owner's to fill (elfldr_get_info gives the image). Without the hook, or when
     * it refuses, the load fails with ELFLDR_E_UNSUPPORTED. */
    int (*static_tls)(void *ctx, const struct elfldr_obj *obj, size_t size, size_t align, intptr_t *tp_offset);
    /* Each relocation before it is applied: CONTINUE (possibly with r->value changed), SKIP, REFUSE. */
    int (*reloc_before)(void *ctx, struct elfldr_reloc *r);
    /* Each relocation after it was applied. */
    void (*reloc_after)(void *ctx, const struct elfldr_reloc *r);
    /* A relocation type the loader does not know: SKIP when the hook applied it, anything else fails. */
    int (*reloc_unknown)(void *ctx, struct elfldr_reloc *r);
    /* The object is relocated and protected, and none of its code has run yet: a hosted caller may
     * register its unwind tables here (see elfldr_eh_frame), or tell a profiler. on_unload follows,
     * once, after its destructors and before it is unmapped. */
    void (*on_ready)(void *ctx, const struct elfldr_obj *obj);
    void (*on_unload)(void *ctx, const struct elfldr_obj *obj);
    /* Each constructor and destructor before it runs: CONTINUE to run it, SKIP to not run it (the hook
     * may call it itself, now or later). */
    int (*on_init)(void *ctx, const struct elfldr_obj *obj, enum elfldr_init_kind kind, unsigned index,
                   elfldr_init_fn fn);
};

/* Load flags. */
#define ELFLDR_LOAD_MAP_ONLY 0x1   /* map and decode only: no relocation, no RELRO, no constructors
                                      (an executable whose interpreter does the rest); lookups by
                                      version find nothing in such an object (unless _CHECK) */
#define ELFLDR_LOAD_DEFER_INIT 0x2 /* relocate, but run no constructors until elfldr_run_init */
#define ELFLDR_LOAD_NO_FILE_MAP 0x4 /* read the file into anonymous pages rather than mapping it */
#define ELFLDR_LOAD_LAZY 0x10       /* bind each PLT slot at its first call (DT_BIND_NOW objects are
                                       bound at load all the same); the scope is kept */
#define ELFLDR_LOAD_NO_RUN 0x20     /* run none of the object's code: no constructors or destructors, no
                                       IFUNC resolver (the resolver's address is bound instead), no
                                       static TLS block filled in the loading thread; for
                                       inspecting or fuzzing images, including another architecture's */
#define ELFLDR_LOAD_DEFER_RELOC 0x8 /* map, decode and check, but relocate only at elfldr_relocate
                                       (and run constructors only at elfldr_run_init after it) */
#define ELFLDR_LOAD_CHECK 0x40      /* with MAP_ONLY: check what relocating and constructing would
                                       check, writing nothing and binding no symbol: each relocation's
                                       type, target, symbol index, name and version, the versions,
                                       DT_INIT/DT_FINI and the constructor pointers the image or its
                                       relative relocations give. For handing an image to another
                                       relocator (mini-loader to ld.so) only once it is known sound. */
#define ELFLDR_LOAD_POPULATE 0x80   /* with MAP_ONLY or NO_RUN: make the file pages of writable segments
                                       private and present as they are mapped, as a full load does,
                                       for a caller whose relocator will write them (mini-loader
                                       before ld.so); the bss is left to its first touch */

struct elfldr_load_opts {
    const struct elfldr_ops *ops;     /* NULL: elfldr_linux_ops */
    const struct elfldr_hooks *hooks; /* NULL: none */
    /* The objects searched, in order, for symbols this object references. The object itself is
     * searched after them (before them with DT_SYMBOLIC). */
    struct elfldr_obj *const *scope;
    size_t scope_len;
    unsigned flags;
    uintptr_t hint; /* preferred load address for ET_DYN (0: anywhere) */
    /* Given to constructors, as glibc gives them. */
    int argc;
    char **argv;
    char **envp;
    /* Given to IFUNC resolvers where the architecture's ABI passes them. */
    uint64_t hwcap, hwcap2;
};

int elfldr_load_path(const char *path, const struct elfldr_load_opts *opts, struct elfldr_obj **out,
                     struct elfldr_error *err);
/* `handle` as the table's `open` would have given it (Linux: a file descriptor). It stays the caller's. */
int elfldr_load_handle(intptr_t handle, const char *name, const struct elfldr_load_opts *opts,
                       struct elfldr_obj **out, struct elfldr_error *err);
/* The image is copied; the buffer may be freed after the call. */
int elfldr_load_mem(const void *image, size_t size, const char *name, const struct elfldr_load_opts *opts,
                    struct elfldr_obj **out, struct elfldr_error *err);

/* Relocate an object loaded with ELFLDR_LOAD_DEFER_RELOC, searching `scope` (in order, then the object
 * itself; itself first with DT_SYMBOLIC) for its symbols, then apply RELRO. Once; the scope array is
 * not kept. What a dependency loader uses: map a whole tree first, then relocate it. */
int elfldr_relocate(struct elfldr_obj *obj, struct elfldr_obj *const *scope, size_t scope_len,
                    struct elfldr_error *err);

/* Run the constructors of an object loaded with ELFLDR_LOAD_DEFER_INIT or DEFER_RELOC (once; later calls
 * do nothing). */
int elfldr_run_init(struct elfldr_obj *obj, struct elfldr_error *err);

/* Run the destructors (if constructors ran), unmap the image and free every allocation. */
int elfldr_unload(struct elfldr_obj *obj, struct elfldr_error *err);

/* ------------------------------------------------------------------------------------------------ */
/* What a loaded object looks like                                                                  */
/* ------------------------------------------------------------------------------------------------ */

struct elfldr_info {
    const char *name;       /* the path or the name given */
    const char *soname;     /* DT_SONAME, or NULL */
    const char *interp;     /* PT_INTERP, or NULL */
    uint16_t type;          /* ET_EXEC (2) or ET_DYN (3) */
    uintptr_t load_bias;    /* added to every p_vaddr */
    uintptr_t base;         /* start of the reserved span */
    size_t span;            /* its size */
    uintptr_t entry;        /* e_entry + load_bias */
    uintptr_t phdr;         /* address of the program headers in the image, or 0 if not mapped */
    const struct elfldr_phdr *phdrs; /* a copy, always available */
    size_t phnum;
    uintptr_t dynamic;      /* address of PT_DYNAMIC, or 0 */
    bool exec_stack;        /* PT_GNU_STACK asks for an executable stack (or is missing) */
    size_t needed_count;    /* DT_NEEDED entries */
    uintptr_t tls_image;    /* PT_TLS p_vaddr + load_bias, or 0 */
    size_t tls_filesz, tls_memsz, tls_align;
    uint64_t dt_flags, dt_flags_1;
    bool textrel, symbolic, bind_now;
    bool has_file_id;       /* loaded from a file whose identity the table could tell */
    uint64_t file_id[2];    /* Linux: st_dev, st_ino */
};

int elfldr_get_info(const struct elfldr_obj *obj, struct elfldr_info *info);
/* The start of the object's .eh_frame, found through PT_GNU_EH_FRAME, or NULL: what libgcc's
 * __register_frame_info takes, so that exceptions unwind through code the host's loader never saw. */
const void *elfldr_eh_frame(const struct elfldr_obj *obj);
/* The i-th DT_NEEDED name, or NULL. */
const char *elfldr_needed(const struct elfldr_obj *obj, size_t i);

/* Symbol lookup in one object: the default (unhidden) definition of `name`, or NULL. IFUNC symbols
 * give their resolver's answer. */
void *elfldr_sym(const struct elfldr_obj *obj, const char *name);
/* The definition of `name` at exactly `version`. */
void *elfldr_vsym(const struct elfldr_obj *obj, const char *name, const char *version);
/* The same with a full answer: 0, ELFLDR_E_NOT_FOUND, or an error for a malformed table. */
int elfldr_lookup(const struct elfldr_obj *obj, const char *name, const char *version, uintptr_t *addr,
                  const struct elfldr_sym **sym);

/* ------------------------------------------------------------------------------------------------ */
/* A dlopen the caller controls: namespaces                                                         */
/* ------------------------------------------------------------------------------------------------ */

/*
 * A namespace owns the libraries loaded into it and shares nothing with another. Each dlopen loads a
 * library and its DT_NEEDED tree breadth-first (each once, by soname or path), maps the whole tree,
 * relocates it (dependencies first) with glibc's scope (the namespace's global scope, then the
 * library's own tree; with RTLD_DEEPBIND the tree first), then runs constructors, dependencies first.
 *
 * A name without a slash is searched for in: the requesting object's DT_RPATH (when it has no
 * DT_RUNPATH), the namespace's search path, its DT_RUNPATH, then the system directories (by default
 * /lib/<multiarch>, /usr/lib/<multiarch>, /lib, /usr/lib). $ORIGIN, $LIB and $PLATFORM are expanded.
 *
 * Sharing the host: unless the namespace is isolated, with the Linux table it finds the libraries the
 * host's loader has mapped (through the auxiliary vector and ld.so's link map, no libc call) and puts
 * them first in its global scope: a library the host has is not loaded again, and symbols bind to the
 * host's copies with no hook. `host_sonames`, when given, limits that to the libraries it names. A
 * DT_NEEDED naming one of `host_sonames` (by default glibc's: libc.so.6, libm.so.6, ld-linux, ...) that
 * the host has not loaded is not loaded either: its symbols must come from the resolve hook.
 *
 * Every call takes the namespace's lock: a namespace may be used from several threads at once, and
 * a constructor may call back into it from the same thread.
 */
struct elfldr_ns;

#define ELFLDR_RTLD_LAZY 0x00001 /* PLT slots bound at their first call (ELFLDR_LOAD_LAZY) */
#define ELFLDR_RTLD_NOW 0x00002
#define ELFLDR_RTLD_NOLOAD 0x00004   /* only a library already loaded: count a reference, load nothing */
#define ELFLDR_RTLD_DEEPBIND 0x00008 /* the library's own tree before the global scope */
#define ELFLDR_RTLD_GLOBAL 0x00100   /* its tree joins the namespace's global scope */
#define ELFLDR_RTLD_LOCAL 0
#define ELFLDR_RTLD_NODELETE 0x01000 /* never unloaded, whatever dlclose says */

struct elfldr_ns_config {
    const struct elfldr_ops *ops;     /* NULL: elfldr_linux_ops */
    const struct elfldr_hooks *hooks; /* given to every object the namespace loads */
    /* Arrays the caller keeps alive as long as the namespace. */
    const char *const *search_path;   /* the namespace's own directories */
    size_t search_path_len;
    const char *const *system_path;   /* NULL: the defaults above */
    size_t system_path_len;
    const char *const *host_sonames;  /* the host libraries to share; NULL: all it has, and glibc's */
    size_t host_sonames_len;
    bool isolated;                    /* load every dependency; share nothing with the host */
    const char *lib;                  /* $LIB (NULL: "lib/<multiarch>") */
    const char *platform;             /* $PLATFORM (NULL: the architecture's name) */
    /* Identifies the calling thread for the namespace's lock; NULL: the thread pointer (gettid where
     * it is unset) with the Linux table, otherwise one thread is assumed. A thread that waits for
     * the lock yields the processor with the Linux table; with a table of the caller's (which may
     * have no scheduler under it) it spins. A caller's table used from several threads must itself
     * be safe to call from them: a library's TLS blocks are allocated at a thread's first use. */
    uintptr_t (*thread_id)(void);
    /* To show debuggers the libraries: the namespace joins the host's r_debug chain (glibc >= 2.35
     * links dlmopen's namespaces there), keeps its own link_map list there, and announces changes
     * through r_brk as glibc does. gdb lists them when it reads the lists afresh (attaching, say).
     * With the Linux table the host's r_debug is found through the main program's DT_DEBUG;
     * `debug_link` names it otherwise (not `&_r_debug` of <link.h>: a program that refers to it gets a
     * copy of its own, which ld.so never reads). */
    bool debugger;
    void *debug_link;
};

struct elfldr_dl_info {
    const char *dli_fname; /* the object's path or name */
    void *dli_fbase;       /* its load bias */
    const char *dli_sname; /* the nearest symbol at or below the address, or NULL */
    void *dli_saddr;
};

struct elfldr_phdr_info {
    uintptr_t dlpi_addr; /* load bias */
    const char *dlpi_name;
    const struct elfldr_phdr *dlpi_phdr;
    uint16_t dlpi_phnum;
};

/* NULL on failure (no memory, or a bad table). */
struct elfldr_ns *elfldr_ns_new(const struct elfldr_ns_config *cfg);
/* Unloads every library left (NODELETE ones too), destructors first, then frees the namespace. */
void elfldr_ns_free(struct elfldr_ns *ns);
/* A handle, or NULL with the reason in elfldr_dlerror. Flags: ELFLDR_RTLD_*. */
void *elfldr_dlopen(struct elfldr_ns *ns, const char *path, int flags);
/* The same from an image in memory (copied); its dependencies are searched for as above. */
void *elfldr_dlopen_mem(struct elfldr_ns *ns, const char *name, const void *image, size_t size, int flags);
/* Searches the library, then its dependencies breadth-first. */
void *elfldr_dlsym(void *handle, const char *symbol);
void *elfldr_dlvsym(void *handle, const char *symbol, const char *version);
/* 0 when the address lies in a library of the namespace (info filled), -1 otherwise. */
int elfldr_dladdr(struct elfldr_ns *ns, const void *addr, struct elfldr_dl_info *info);
/* Calls cb for each library in load order until it returns non-zero; returns that value, or 0. */
int elfldr_dl_iterate_phdr(struct elfldr_ns *ns, int (*cb)(const struct elfldr_phdr_info *, void *), void *data);
/* Drops a reference; the last one runs the destructors and unmaps the library, then drops its
 * dependencies. 0, or -1 with the reason in elfldr_dlerror. */
int elfldr_dlclose(void *handle);
/* The namespace's metadata: bytes its libraries and it asked for and hold (*in_use), and bytes it has
 * taken from its platform table for them (*held: pool chunks and large blocks). Either may be NULL. */
void elfldr_ns_memory(struct elfldr_ns *ns, size_t *in_use, size_t *held);
/* The last error of the namespace as a message, or NULL; reading it clears it. Unlike glibc's, the
 * error is the namespace's, not the thread's: where threads share a namespace, one may read (or see
 * overwritten) another's, so such callers take the message under a lock of their own. */
const char *elfldr_dlerror(struct elfldr_ns *ns);

/* ------------------------------------------------------------------------------------------------ */
/* Thread-local storage                                                                             */
/* ------------------------------------------------------------------------------------------------ */

/*
 * What the loader binds `__tls_get_addr` to in the objects it relocates (no object of the scope
 * defines it: glibc's lives in ld.so): given the {module, offset} pair that R_*_DTPMOD and R_*_DTPOFF
 * filled, the address of that variable for the calling thread. Each thread gets its own copy of a
 * module's block on first use, initialised from the module's TLS image; blocks are freed when their
 * object is unloaded. For an object given static TLS (the static_tls hook), the block is the one at
 * the thread pointer plus the hook's offset. TLSDESC is not supported yet.
 */
void *elfldr_tls_get_addr(void *tls_index);

/* ------------------------------------------------------------------------------------------------ */
/* Self relocation                                                                                  */
/* ------------------------------------------------------------------------------------------------ */

/*
 * Apply the RELATIVE relocations (DT_RELA with the architecture's RELATIVE type, and DT_RELR) of an
 * image already mapped at `load_bias`, whose dynamic section is at `dynamic`. Safe to call before the
 * caller itself is relocated: it uses no global data, no jump table and no function pointer.
 * Returns the number of relocations that were not RELATIVE (which it left alone).
 */
size_t elfldr_relocate_self(uintptr_t load_bias, const void *dynamic);

#ifdef __cplusplus
}
#endif

#endif
