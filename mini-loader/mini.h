/* SPDX-License-Identifier: BSD-2-Clause */
/* What mini-loader's parts share: the run in progress. */
#ifndef MINI_H
#define MINI_H

#include <elfldr.h>
#include <stdbool.h>
#include <stdint.h>

#define MAX_SCRIPT_DEPTH 5 /* exec_binprm allows five #! rewrites, then ELOOP */
#define SCRIPT_HEAD 256    /* the kernel's BINPRM_BUF_SIZE: a #! line must fit */

struct mini {
    uintptr_t *orig_sp;   /* argc, as the kernel left it */
    char **envp;
    uint64_t *auxv;
    int verbose;
    const char *argv0;    /* --argv0, or NULL */

    char **args;          /* the program and its arguments, as they will be passed */
    int nargs;
    const char *path;     /* the file to run, after PATH lookup and #! */
    const char *exec_path; /* the file asked for, after PATH lookup: comm and AT_EXECFN name it */
    const char *script;   /* the #! script that named `path`, or NULL */

    struct elfldr_obj *program, *interp;
    long program_fd;
    uint64_t load_ns;
    size_t metadata_used; /* of the core's metadata buffer (run.c) */
    /* What mini-loader read of the file being loaded, so that the core asks the kernel once: the
     * first bytes (read to look for #!), and the size and identity from one fstat. */
    struct {
        long fd;            /* -1: none */
        size_t head_len;
        unsigned char head[1024];
        bool stat_known;
        uint64_t size, id[2];
    } file;
};

int run_program(struct mini *m);
/* Build the new stack and hand over; returns only on failure (with an exit status). */
int start_program(struct mini *m);
/* Allocate zeroed anonymous memory that outlives mini-loader's image, or NULL. */
void *mini_alloc(size_t size);
void *mini_alloc_populated(size_t size); /* the pages made at once, not at first touch */
/* The value of auxv entry `type`, or 0. */
uint64_t aux_value(const uint64_t *auxv, uint64_t type);
/* Report `mini-loader: PATH: reason[: detail]` and return `status`. */
int fail(const char *path, const char *reason, const char *detail, int status);

#endif
