/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The malformed-image table of tests/malformed (corruptions.c, image.c) on whatever architecture this
 * is built for, without Criterion: criterion_shim/ gives those two files the assertions they use. Each
 * entry is loaded from memory through the arena table and the Linux table, and from a file through the
 * Linux table; each load must answer the entry's exact code with a message and leave nothing behind;
 * control entries must load and work. One line per entry and way, then "N passed, N failed".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <elfldr.h>

#include <criterion/criterion.h> /* the shim: shim_on_failure */

#include "corruptions.h"
#include "malformed_run.h"

#define ARENA_SIZE ((size_t)16 << 20)
#include "counting_ops.h"

static unsigned passed, failed;

/* The outcome of one load against the entry; returns a reason for failure, or NULL. */
static const char *judge(const struct corruption *c, int rc, struct elfldr_obj *obj, const struct elfldr_error *err,
                         char *why, size_t why_size)
{
    if (c->expected == ELFLDR_OK) {
        if (rc != 0) {
            snprintf(why, why_size, "expected to load, got %d: %s", rc, err->message);
            return why;
        }
        void *answer = elfldr_sym(obj, "victim_answer");
        int value = answer ? ((int (*)(void))(uintptr_t)answer)() : -1;
        struct elfldr_error unload_err = {0};
        int urc = elfldr_unload(obj, &unload_err);
        if (value != 42 || urc != 0) {
            snprintf(why, why_size, "victim_answer() = %d, unload %d %s", value, urc, unload_err.message);
            return why;
        }
        return NULL;
    }
    if (rc == 0) {
        elfldr_unload(obj, NULL);
        snprintf(why, why_size, "loaded, expected code %d (%s)", c->expected, elfldr_strerror(c->expected));
        return why;
    }
    if (err->code != c->expected || rc != (int)err->code || err->message[0] == '\0' || obj != NULL ||
        (c->message_has && !strstr(err->message, c->message_has))) {
        snprintf(why, why_size, "got %d \"%s\", expected %d (%s)%s%s", rc, err->message, c->expected,
                 elfldr_strerror(c->expected), c->message_has ? " saying " : "", c->message_has ? c->message_has : "");
        return why;
    }
    return NULL;
}

static void report(const struct corruption *c, const char *via, const char *why, const struct counting_ops *n,
                   const struct elfldr_arena *arena, const struct elfldr_error *err)
{
    char left[160] = "";
    if (!counting_ops_clean(n) || (arena && arena->nblocks != 0))
        snprintf(left, sizeof(left), "left %ld reservations, %ld allocations, %ld handles, %zu arena blocks",
                 n->reserved, n->allocated, n->opened, arena ? arena->nblocks : (size_t)0);
    if (!why && !left[0]) {
        passed++;
        printf("PASS %-34s %-10s %s\n", c->name, via, c->expected == ELFLDR_OK ? "loads and works" : err->message);
    } else {
        failed++;
        printf("FAIL %-34s %-10s %s %s\n", c->name, via, why ? why : "", left);
    }
}

static void try_ways(const struct corruption *c, const struct image *img)
{
    char why[512];
    struct elfldr_error err;
    struct elfldr_obj *obj;
    struct elfldr_ops inner;
    struct counting_ops counting;

    void *buffer = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct elfldr_arena arena;
    if (buffer != MAP_FAILED && elfldr_arena_ops(&arena, buffer, ARENA_SIZE, &inner) == 0) {
        counting_ops_init(&counting, &inner);
        struct elfldr_load_opts opts = {.ops = &counting.ops};
        err = (struct elfldr_error){.code = ELFLDR_E_COUNT};
        obj = NULL;
        int rc = elfldr_load_mem(img->bytes, img->size, c->name, &opts, &obj, &err);
        report(c, "arena/mem", judge(c, rc, obj, &err, why, sizeof(why)), &counting, &arena, &err);
        munmap(buffer, ARENA_SIZE);
    } else {
        failed++;
        printf("FAIL %s: cannot set up the arena\n", c->name);
    }

    elfldr_linux_ops(&inner);
    counting_ops_init(&counting, &inner);
    struct elfldr_load_opts opts = {.ops = &counting.ops};
    err = (struct elfldr_error){.code = ELFLDR_E_COUNT};
    obj = NULL;
    int rc = elfldr_load_mem(img->bytes, img->size, c->name, &opts, &obj, &err);
    report(c, "linux/mem", judge(c, rc, obj, &err, why, sizeof(why)), &counting, NULL, &err);

    char path[] = "/tmp/elfldr-cross-malformed-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, img->bytes, img->size) != (ssize_t)img->size) {
        failed++;
        printf("FAIL %s: cannot write a temporary file: %s\n", c->name, strerror(errno));
        if (fd >= 0)
            close(fd), unlink(path);
        return;
    }
    close(fd);
    counting_ops_init(&counting, &inner);
    err = (struct elfldr_error){.code = ELFLDR_E_COUNT};
    obj = NULL;
    rc = elfldr_load_path(path, &opts, &obj, &err);
    unlink(path);
    report(c, "linux/path", judge(c, rc, obj, &err, why, sizeof(why)), &counting, NULL, &err);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("cross malformed: %zu entries of the malformed-image table\n", corruption_count);
    for (size_t i = 0; i < corruption_count; i++) {
        const struct corruption *c = &corruptions[i];
        /* volatile: they are read after a longjmp from a failed assertion in corruptions.c. */
        struct image victim = {0};
        struct image img = {0};
        struct image *volatile victim_p = &victim, *volatile img_p = &img;
        if (setjmp(shim_on_failure) == 0) {
            *victim_p = image_read(malformed_victim_paths[c->victim]);
            *img_p = image_copy(victim_p);
            if (c->mutate)
                c->mutate(img_p);
            try_ways(c, img_p);
        } else {
            failed++;
            printf("FAIL %s: the corruption could not be applied to this architecture's victim\n", c->name);
        }
        if (img_p->bytes)
            image_free(img_p);
        if (victim_p->bytes)
            image_free(victim_p);
    }
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
