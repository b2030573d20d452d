/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Finding and mapping the program: PATH lookup (as env does), #! scripts (as binfmt_script does,
 * with the same depth limit), then the ELF program and its interpreter through the elfldr core,
 * mapped only: the interpreter (or a static program itself) does the relocating.
 */
#include "mini.h"
#include "print.h"
#include "sys.h"

#define PAGE 4096
#define MAX_PATH 4096

void *mini_alloc(size_t size)
{
    long r = sys_mmap(0, size, 3, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0);
    return sys_failed(r) ? (void *)0 : (void *)r;
}

uint64_t aux_value(const uint64_t *auxv, uint64_t type)
{
    for (; auxv[0]; auxv += 2)
        if (auxv[0] == type)
            return auxv[1];
    return 0;
}

int fail(const char *path, const char *reason, const char *detail, int status)
{
    struct line l = {.len = 0};
    line_str(&l, "mini-loader: ");
    line_str(&l, path);
    line_str(&l, ": ");
    line_str(&l, reason);
    if (detail && *detail) {
        line_str(&l, ": ");
        line_str(&l, detail);
    }
    line_str(&l, "\n");
    line_flush(&l, 2);
    return status;
}

static const char *env_value(char **envp, const char *name)
{
    size_t n = cstr_len(name);
    for (; *envp; envp++) {
        const char *e = *envp;
        size_t i = 0;
        while (i < n && e[i] == name[i])
            i++;
        if (i == n && e[i] == '=')
            return e + n + 1;
    }
    return (const char *)0;
}

static int has_slash(const char *s)
{
    for (; *s; s++)
        if (*s == '/')
            return 1;
    return 0;
}

/* Whether `path` names something execve would try: executable and not a directory. */
static int runnable(const char *path)
{
    if (sys_access(path, X_OK) != 0)
        return 0;
    long fd = sys_openat(path, O_RDONLY | O_CLOEXEC);
    if (sys_failed(fd))
        return 0;
    char c;
    long r = sys_pread(fd, &c, 1, 0);
    sys_close(fd);
    return r != -EISDIR;
}

/* PROGRAM without a slash: the first runnable DIR/PROGRAM in PATH (empty entries mean "."). */
static const char *search_path(struct mini *m, const char *name)
{
    const char *path = env_value(m->envp, "PATH");
    if (!path)
        path = "/usr/local/bin:/bin:/usr/bin";
    size_t name_len = cstr_len(name);
    char *buf = mini_alloc(MAX_PATH);
    if (!buf)
        return (const char *)0;
    while (1) {
        const char *end = path;
        while (*end && *end != ':')
            end++;
        size_t dir_len = (size_t)(end - path);
        if (dir_len == 0) {
            buf[0] = '.';
            dir_len = 1;
        } else if (dir_len < MAX_PATH) {
            __builtin_memcpy(buf, path, dir_len);
        }
        if (dir_len + 1 + name_len < MAX_PATH) {
            buf[dir_len] = '/';
            __builtin_memcpy(buf + dir_len + 1, name, name_len + 1);
            if (runnable(buf))
                return buf;
        }
        if (!*end)
            break;
        path = end + 1;
    }
    sys_munmap((uintptr_t)buf, MAX_PATH);
    return (const char *)0;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* A #! line, as binfmt_script reads it: the interpreter, then one optional argument (the rest of the
 * line, trimmed). The new arguments: interpreter, [argument], the script's path, then args[1...]. */
static int expand_script(struct mini *m, char *head, long got)
{
    char *p = head + 2, *end = head + got;
    char *nl = p;
    while (nl < end && *nl != '\n')
        nl++;
    if (nl == end && got == SCRIPT_HEAD)
        return fail(m->path, "cannot execute", "the #! line is longer than 255 bytes", 126);
    *nl = '\0';
    while (p < nl && is_blank(*p))
        p++;
    char *interp = p;
    while (p < nl && !is_blank(*p))
        p++;
    if (p == interp)
        return fail(m->path, "cannot execute", "the #! line names no interpreter", 126);
    char *arg = (char *)0;
    if (p < nl) {
        *p++ = '\0';
        while (p < nl && is_blank(*p))
            p++;
        char *arg_end = nl;
        while (arg_end > p && is_blank(arg_end[-1]))
            *--arg_end = '\0';
        if (p < arg_end)
            arg = p;
    }
    int extra = arg ? 2 : 1;
    char **args = mini_alloc((size_t)(m->nargs + extra + 1) * sizeof(char *));
    if (!args)
        return fail(m->path, "cannot execute", "out of memory", 126);
    int n = 0;
    args[n++] = interp;
    if (arg)
        args[n++] = arg;
    args[n++] = (char *)m->path;
    for (int i = 1; i < m->nargs; i++)
        args[n++] = m->args[i];
    m->args = args;
    m->nargs = n;
    m->path = interp;
    m->argv0 = (const char *)0;
    return -1;
}

static int open_program(struct mini *m, int depth, long *fd_out)
{
    long fd = sys_openat(m->path, O_RDONLY | O_CLOEXEC);
    if (sys_failed(fd))
        return fail(m->path, errno_text(-fd), (const char *)0, (depth == 0 && fd == -ENOENT) ? 127 : 126);
    if (sys_access(m->path, X_OK) != 0) {
        sys_close(fd);
        return fail(m->path, errno_text(EACCES), (const char *)0, 126);
    }
    *fd_out = fd;
    return -1;
}

static int load_error(const char *path, int code, const struct elfldr_error *err)
{
    return fail(path, elfldr_strerror(code), err->message, 126);
}

static int load_interp(struct mini *m, const char *interp_path)
{
    long fd = sys_openat(interp_path, O_RDONLY | O_CLOEXEC);
    if (sys_failed(fd)) {
        struct line l = {.len = 0};
        line_str(&l, "interpreter ");
        line_str(&l, interp_path);
        l.buf[l.len] = '\0';
        return fail(m->path, errno_text(-fd), l.buf, 126);
    }
    struct elfldr_load_opts opts = {0};
    opts.flags = ELFLDR_LOAD_MAP_ONLY;
    struct elfldr_error err;
    int rc = elfldr_load_handle(fd, interp_path, &opts, &m->interp, &err);
    sys_close(fd);
    if (rc) {
        struct line l = {.len = 0};
        line_str(&l, "interpreter ");
        line_str(&l, interp_path);
        line_str(&l, ": ");
        line_str(&l, elfldr_strerror(rc));
        line_str(&l, ": ");
        line_str(&l, err.message);
        l.buf[l.len] = '\0';
        return fail(m->path, "cannot execute", l.buf, 126);
    }
    return -1;
}

int run_program(struct mini *m)
{
    const char *name = m->args[0];
    m->path = name;
    if (!has_slash(name)) {
        m->path = search_path(m, name);
        if (!m->path)
            return fail(name, "command not found", (const char *)0, 127);
    }
    if (m->argv0)
        m->args[0] = (char *)m->argv0;
    uint64_t t0 = monotonic_ns();
    long fd = -1;
    for (int depth = 0;; depth++) {
        int rc = open_program(m, depth, &fd);
        if (rc >= 0)
            return rc;
        char *head = mini_alloc(SCRIPT_HEAD);
        long got = head ? sys_pread(fd, head, SCRIPT_HEAD, 0) : -12;
        if (sys_failed(got)) {
            sys_close(fd);
            return fail(m->path, errno_text(-got), (const char *)0, 126);
        }
        if (got < 2 || head[0] != '#' || head[1] != '!')
            break;
        sys_close(fd);
        if (depth == MAX_SCRIPT_DEPTH)
            return fail(m->path, errno_text(ELOOP), (const char *)0, 126);
        if ((rc = expand_script(m, head, got)) >= 0)
            return rc;
    }
    struct elfldr_load_opts opts = {0};
    opts.flags = ELFLDR_LOAD_MAP_ONLY;
    struct elfldr_error err;
    int rc = elfldr_load_handle(fd, m->path, &opts, &m->program, &err);
    if (rc) {
        sys_close(fd);
        return load_error(m->path, rc, &err);
    }
    m->program_fd = fd;
    struct elfldr_info info;
    elfldr_get_info(m->program, &info);
    if (info.interp && (rc = load_interp(m, info.interp)) >= 0)
        return rc;
    m->load_ns = monotonic_ns() - t0;
    return start_program(m);
}
