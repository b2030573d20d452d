/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The malformed-image table of tests/malformed run through mini-loader: each corrupted victim is
 * written to a file and run as a program (the victims have an entry point that exits 0, and PT_INTERP
 * naming the system's ld.so). mini-loader checks the program and its interpreter before it hands
 * over (ELFLDR_LOAD_CHECK), so every corruption must end in exit status 126 and exactly one line on
 * stderr, "mini-loader: FILE: reason", naming the entry's fault; never a signal. Control entries run
 * and exit 0. A few faults are not in the image alone but in what its symbols bind to, which only the
 * interpreter knows: those are run by ld.so, which must end them cleanly (a status, not a signal).
 *   mini_malformed MINI_LOADER
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <elfldr.h>

#include <criterion/criterion.h> /* the shim: shim_on_failure */

#include "corruptions.h"
#include "malformed_run.h"

/* Faults in what a symbol binds to, not in the image: the interpreter finds them, or they do no
 * harm to a program that never uses the value. */
static const char *const for_the_interpreter[] = {
    "sym_undefined",        /* a program's undefined symbol is its libraries' to define */
    "reloc_abs32_overflow", /* whether the value fits depends on where the symbol is bound */
    "gnu_buckets_all_empty", /* a table that hashes nothing leaves the object's own references undefined */
};

static bool is_for_the_interpreter(const char *name)
{
    for (size_t i = 0; i < sizeof(for_the_interpreter) / sizeof(for_the_interpreter[0]); i++)
        if (strcmp(name, for_the_interpreter[i]) == 0)
            return true;
    return false;
}

struct outcome {
    int status; /* exit status, or -signal */
    char err[1024];
    size_t err_len;
};

static bool run(const char *mini, const char *path, struct outcome *out)
{
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 1);
        execl(mini, mini, path, (char *)NULL);
        _exit(99);
    }
    close(fds[1]);
    out->err_len = 0;
    ssize_t n;
    while ((n = read(fds[0], out->err + out->err_len, sizeof(out->err) - 1 - out->err_len)) > 0)
        out->err_len += (size_t)n;
    out->err[out->err_len] = '\0';
    close(fds[0]);
    int ws;
    if (waitpid(pid, &ws, 0) != pid)
        return false;
    out->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws);
    return true;
}

/* NULL when the outcome is what the entry asks for, otherwise why not. */
static const char *judge(const struct corruption *c, const char *path, const struct outcome *o, char *why,
                         size_t why_size)
{
    if (o->status < 0) {
        snprintf(why, why_size, "killed by signal %d", -o->status);
        return why;
    }
    if (c->expected == ELFLDR_OK) {
        if (o->status != 0 || o->err_len != 0) {
            snprintf(why, why_size, "expected to run and exit 0, got status %d: %s", o->status, o->err);
            return why;
        }
        return NULL;
    }
    if (is_for_the_interpreter(c->name)) {
        if (o->status != 0 && o->status != 127) {
            snprintf(why, why_size, "the interpreter ended it with status %d: %s", o->status, o->err);
            return why;
        }
        return NULL;
    }
    char prefix[600];
    snprintf(prefix, sizeof(prefix), "mini-loader: %s: ", path);
    const char *newline = strchr(o->err, '\n');
    if (o->status != 126 || strncmp(o->err, prefix, strlen(prefix)) != 0 || !newline || newline[1] != '\0') {
        snprintf(why, why_size, "expected status 126 and one line \"%s...\", got status %d: %s", prefix, o->status,
                 o->err);
        return why;
    }
    /* The reason is the entry's: elfldr's name for the code, then its message. */
    if (!strstr(o->err, elfldr_strerror(c->expected)) || (c->message_has && !strstr(o->err, c->message_has))) {
        snprintf(why, why_size, "the reason is not \"%s\"%s%s: %s", elfldr_strerror(c->expected),
                 c->message_has ? " saying " : "", c->message_has ? c->message_has : "", o->err);
        return why;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s MINI_LOADER\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    char dir[] = "/tmp/elfldr-mini-malformed-XXXXXX";
    if (!mkdtemp(dir)) {
        printf("cannot make a temporary folder: %s\n0 passed, 1 failed\n", strerror(errno));
        return 1;
    }
    unsigned passed = 0, failed = 0;
    printf("mini-loader malformed: %zu entries of the malformed-image table\n", corruption_count);
    for (size_t i = 0; i < corruption_count; i++) {
        const struct corruption *c = &corruptions[i];
        struct image victim = {0};
        struct image img = {0};
        struct image *volatile victim_p = &victim, *volatile img_p = &img;
        char path[512], why[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, c->name);
        const char *problem = NULL;
        struct outcome o = {0};
        if (setjmp(shim_on_failure) == 0) {
            *victim_p = image_read(malformed_victim_paths[c->victim]);
            *img_p = image_copy(victim_p);
            if (c->mutate)
                c->mutate(img_p);
            FILE *f = fopen(path, "wb");
            if (!f || fwrite(img_p->bytes, 1, img_p->size, f) != img_p->size || fclose(f) != 0 ||
                chmod(path, 0755) != 0)
                problem = "cannot write the corrupted file";
            else if (!run(argv[1], path, &o))
                problem = "cannot run mini-loader";
            else
                problem = judge(c, path, &o, why, sizeof(why));
        } else {
            problem = "the corruption could not be applied to the victim";
        }
        if (problem) {
            failed++;
            printf("FAIL %-34s %s\n", c->name, problem);
        } else {
            passed++;
            printf("PASS %-34s status %d%s%.*s\n", c->name, o.status, o.err_len ? ": " : "",
                   (int)(o.err_len ? o.err_len - 1 : 0), o.err);
        }
        unlink(path);
        if (img_p->bytes)
            image_free(img_p);
        if (victim_p->bytes)
            image_free(victim_p);
    }
    rmdir(dir);
    printf("%u passed, %u failed\n", passed, failed);
    return failed ? 1 : 0;
}
