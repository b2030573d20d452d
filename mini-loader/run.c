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
/* How the program and its interpreter are loaded: mapped, not relocated, and handed to the
 * interpreter only once checked sound; their writable file pages made private at once, as the
 * interpreter writes nearly all of them, and a page the check reads first (the dynamic section) would
 * fault twice, to read and then to copy (/bin/true: 55 page faults to 47). */
#define MINI_LOAD_FLAGS (ELFLDR_LOAD_MAP_ONLY | ELFLDR_LOAD_CHECK | ELFLDR_LOAD_POPULATE)

/* elfldr's metadata for the two objects: from a buffer in mini-loader's bss, never given back (it
 * goes when mini-loader unmaps itself), so that a start costs no system call for it. */
static unsigned char metadata[128 * 1024] __attribute__((aligned(16)));

static void *metadata_alloc(void *ctx, size_t size)
{
    size_t *used = ctx;
    size = (size + 15) & ~(size_t)15;
    if (size > sizeof(metadata) - *used)
        return (void *)0;
    void *p = metadata + *used;
    *used += size;
    return p;
}

static void metadata_free(void *ctx, void *ptr, size_t size)
{
    (void)ctx;
    (void)ptr;
    (void)size;
}

/* The file mini-loader is loading: its bytes, size and identity as read already (see struct mini). */
static void remember_file(struct mini *m, long fd, const unsigned char *head, size_t head_len)
{
    m->file.fd = fd;
    m->file.head_len = head_len;
    if (head_len)
        __builtin_memcpy(m->file.head, head, head_len);
    m->file.stat_known = false;
}

static int stat_file(struct mini *m, intptr_t handle)
{
    if (handle != m->file.fd)
        return -9; /* EBADF: mini-loader loads one file at a time */
    if (!m->file.stat_known) {
        uint64_t st[18];
        long r = sys_fstat(handle, st);
        if (sys_failed(r))
            return (int)r;
        m->file.id[0] = st[0]; /* st_dev, st_ino, and st_size at byte 48: alike on the three */
        m->file.id[1] = st[1];
        m->file.size = st[6];
        m->file.stat_known = true;
    }
    return 0;
}

static int mini_file_size(void *ctx, intptr_t handle, uint64_t *size)
{
    struct mini *m = ctx;
    int rc = stat_file(m, handle);
    if (rc == 0)
        *size = m->file.size;
    return rc;
}

static int mini_file_id(void *ctx, intptr_t handle, uint64_t id[2])
{
    struct mini *m = ctx;
    int rc = stat_file(m, handle);
    if (rc == 0)
        id[0] = m->file.id[0], id[1] = m->file.id[1];
    return rc;
}

static int mini_read(void *ctx, intptr_t handle, uint64_t offset, void *buf, size_t size)
{
    struct mini *m = ctx;
    if (handle == m->file.fd && offset <= m->file.head_len && size <= m->file.head_len - offset) {
        __builtin_memcpy(buf, m->file.head + offset, size);
        return 0;
    }
    struct elfldr_ops linux_ops; /* it keeps no state: its read serves the rest */
    elfldr_linux_ops(&linux_ops);
    return linux_ops.read(linux_ops.ctx, handle, offset, buf, size);
}

static void *metadata_alloc_ctx(void *ctx, size_t size) { return metadata_alloc(&((struct mini *)ctx)->metadata_used, size); }

static void mini_ops(struct mini *m, struct elfldr_ops *ops)
{
    elfldr_linux_ops(ops);
    ops->ctx = m;
    ops->alloc = metadata_alloc_ctx;
    ops->free = metadata_free;
    ops->read = mini_read;
    ops->file_size = mini_file_size;
    ops->file_id = mini_file_id;
}

void *mini_alloc(size_t size)
{
    long r = sys_mmap(0, size, 3, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0);
    return sys_failed(r) ? (void *)0 : (void *)r;
}

void *mini_alloc_populated(size_t size)
{
    long r = sys_mmap(0, size, 3, 0x8022 /* MAP_PRIVATE|MAP_ANONYMOUS|MAP_POPULATE */, -1, 0);
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

/* What execve would make of `path`: 0 runnable, or the errno it would fail with. */
static long try_path(const char *path)
{
    long r = sys_access(path, X_OK);
    if (r != 0)
        return -r;
    long fd = sys_openat(path, O_RDONLY | O_CLOEXEC);
    if (sys_failed(fd))
        return -fd;
    char c;
    r = sys_pread(fd, &c, 1, 0);
    sys_close(fd);
    return r == -EISDIR ? EACCES : 0;
}

/* PROGRAM without a slash: the first runnable DIR/PROGRAM in PATH (empty entries mean "."). As
 * execvp does, a candidate refused for permission makes the answer EACCES rather than ENOENT. */
static const char *search_path(struct mini *m, const char *name, long *error)
{
    const char *path = env_value(m->envp, "PATH");
    if (!path)
        path = "/usr/local/bin:/bin:/usr/bin";
    size_t name_len = cstr_len(name);
    char *buf = mini_alloc(MAX_PATH);
    *error = ENOENT;
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
            long r = try_path(buf);
            if (r == 0)
                return buf;
            if (r == EACCES)
                *error = EACCES;
        }
        if (!*end)
            break;
        path = end + 1;
    }
    sys_munmap((uintptr_t)buf, MAX_PATH);
    return (const char *)0;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* The first byte in [p, end) that is not a blank, or NULL. */
static char *skip_blanks(char *p, char *end)
{
    for (; p < end; p++)
        if (!is_blank(*p))
            return p;
    return (char *)0;
}

/* The first blank or NUL in [p, end), or NULL. */
static char *find_terminator(char *p, char *end)
{
    for (; p < end; p++)
        if (is_blank(*p) || *p == '\0')
            return p;
    return (char *)0;
}

/* A #! line, exactly as binfmt_script reads it from the first 256 bytes: the interpreter, then one
 * optional argument (the rest of the line, trimmed). A line with no newline in those bytes is cut at
 * byte 255, unless that would cut the interpreter's name. The new arguments: interpreter,
 * [argument], the script's path, then args[1...]. `head` holds SCRIPT_HEAD + 1 bytes, zero filled. */
static int expand_script(struct mini *m, char *head)
{
    char *buf_end = head + SCRIPT_HEAD - 1;
    char *i_end = head;
    while (i_end < head + SCRIPT_HEAD && *i_end != '\n')
        i_end++;
    if (i_end == head + SCRIPT_HEAD) {
        char *first = skip_blanks(head + 2, buf_end);
        if (!first || !find_terminator(first, buf_end))
            return fail(m->path, errno_text(ENOEXEC), "the #! line cuts the interpreter's name", 126);
        i_end = buf_end;
    }
    while (i_end > head + 2 && is_blank(i_end[-1]))
        i_end--;
    char *i_name = skip_blanks(head + 2, i_end);
    if (!i_name || i_name == i_end)
        return fail(m->path, errno_text(ENOEXEC), "the #! line names no interpreter", 126);
    char *i_sep = find_terminator(i_name, i_end);
    char *i_arg = (i_sep && *i_sep) ? skip_blanks(i_sep, i_end) : (char *)0;
    *i_end = '\0';
    if (i_arg)
        *i_sep = '\0';
    int extra = i_arg ? 2 : 1;
    char **args = mini_alloc((size_t)(m->nargs + extra + 1) * sizeof(char *));
    if (!args)
        return fail(m->path, "cannot execute", "out of memory", 126);
    int n = 0;
    args[n++] = i_name;
    if (i_arg)
        args[n++] = i_arg;
    args[n++] = (char *)m->path;
    for (int i = 1; i < m->nargs; i++)
        args[n++] = m->args[i];
    m->args = args;
    m->nargs = n;
    m->script = m->path;
    m->path = i_name;
    m->argv0 = (const char *)0;
    return -1;
}

static int open_program(struct mini *m, int depth, long *fd_out)
{
    long fd = sys_openat(m->path, O_RDONLY | O_CLOEXEC);
    long error = sys_failed(fd) ? -fd : (sys_access(m->path, X_OK) != 0 ? EACCES : 0);
    if (error && !sys_failed(fd))
        sys_close(fd);
    if (error && depth > 0) {
        /* As a shell says it: the script is what was run, its interpreter what is wrong. */
        struct line l = {.len = 0};
        line_str(&l, m->path);
        line_str(&l, ": ");
        line_str(&l, errno_text(error));
        l.buf[l.len] = '\0';
        return fail(m->script, "bad interpreter", l.buf, 126);
    }
    if (error)
        return fail(m->path, errno_text(error), (const char *)0, error == ENOENT ? 127 : 126);
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
    struct elfldr_ops ops;
    mini_ops(m, &ops);
    struct elfldr_load_opts opts = {0};
    opts.ops = &ops;
    opts.flags = MINI_LOAD_FLAGS;
    struct elfldr_error err;
    remember_file(m, fd, (const unsigned char *)0, 0);
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
        long error;
        m->path = search_path(m, name, &error);
        if (!m->path)
            return error == EACCES ? fail(name, errno_text(EACCES), (const char *)0, 126)
                                   : fail(name, "command not found", (const char *)0, 127);
    }
    m->exec_path = m->path;
    if (m->argv0)
        m->args[0] = (char *)m->argv0;
    uint64_t t0 = m->verbose ? monotonic_ns() : 0;
    long fd = -1;
    /* One line buffer a level: the arguments of every #! line stay in use until the stack is built. */
    char heads[MAX_SCRIPT_DEPTH + 1][SCRIPT_HEAD + 1];
    for (int depth = 0;; depth++) {
        int rc = open_program(m, depth, &fd);
        if (rc >= 0)
            return rc;
        char *head = heads[depth];
        __builtin_memset(head, 0, SCRIPT_HEAD + 1);
        /* Enough for #! and for the ELF headers the core reads next, in one read. */
        long got = sys_pread(fd, m->file.head, sizeof(m->file.head), 0);
        if (sys_failed(got)) {
            sys_close(fd);
            return fail(m->path, errno_text(-got), (const char *)0, 126);
        }
        remember_file(m, fd, m->file.head, (size_t)got);
        __builtin_memcpy(head, m->file.head, (size_t)got < SCRIPT_HEAD ? (size_t)got : SCRIPT_HEAD);
        if (got < 2 || head[0] != '#' || head[1] != '!')
            break;
        sys_close(fd);
        if (depth == MAX_SCRIPT_DEPTH)
            return fail(m->path, errno_text(ELOOP), (const char *)0, 126);
        if ((rc = expand_script(m, head)) >= 0)
            return rc;
    }
    struct elfldr_ops ops;
    mini_ops(m, &ops);
    struct elfldr_load_opts opts = {0};
    opts.ops = &ops;
    opts.flags = MINI_LOAD_FLAGS;
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
    if (m->verbose)
        m->load_ns = monotonic_ns() - t0;
    return start_program(m);
}
