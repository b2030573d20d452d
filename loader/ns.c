/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Namespaces: a dlopen the caller controls, over the core. A dlopen maps the library and its DT_NEEDED
 * tree breadth-first with ELFLDR_LOAD_DEFER_RELOC, then relocates the new objects dependencies first
 * with glibc's scope, then runs their constructors in the same order. A failure anywhere unloads every
 * object this call loaded and gives back every reference it took.
 */
#include "arch_syscall.h"
#include "arch_thunk.h"
#include "arch_tls.h"
#include "internal.h"

#define U(x) ((uint64_t)(x))
#define MAX_PATH 4096
#define HANDLE_MAGIC 0x656c66646c68ULL /* "elfdlh": a handle, not any pointer */

/* The public part of glibc's struct link_map and struct r_debug_extended (<link.h>): what a debugger
 * reads. */
struct debug_map {
    uintptr_t l_addr;
    const char *l_name;
    const void *l_ld;
    struct debug_map *l_next, *l_prev;
};

struct debug_head {
    int32_t r_version;
    struct debug_map *r_map;
    uintptr_t r_brk;
    int32_t r_state;
    uintptr_t r_ldbase;
    struct debug_head *r_next;
};

#define RT_CONSISTENT 0
#define RT_ADD 1
#define RT_DELETE 2

struct handle {
    uint64_t magic;
    struct debug_map debug; /* in the namespace's list for debuggers, once announced */
    bool announced;
    struct elfldr_ns *ns;
    struct elfldr_obj *obj;
    const char *name;    /* the path it was loaded from, or the image's name (in this allocation) */
    uint64_t serial;     /* this namespace's count of handles made, when it was made: never reused */
    const char *soname;  /* DT_SONAME, or NULL */
    size_t alloc_size;
    unsigned refcount;
    bool global, nodelete;
    bool host; /* the host's, adopted for lookups: not counted as the namespace's own */
    unsigned tls_dtors; /* thread_local destructors registered by its code and not run yet */
    bool closing;       /* closed while some were pending: unloaded when the last has run */
    struct handle **deps; /* direct dependencies; each holds one reference */
    size_t ndeps;
    struct handle **search; /* itself, then its tree breadth-first: dlsym's order */
    size_t nsearch;
    struct handle *prev, *next;
};

struct elfldr_ns {
    struct elfldr_ops ops; /* the pool's table over the caller's (pool.under) */
    struct pool pool;
    struct elfldr_hooks hooks;
    bool has_hooks, linux_tid;
    struct elfldr_ns_config cfg;
    struct handle *first, *last;
    int lock;
    uintptr_t owner;
    unsigned depth;
    bool has_error;
    struct elfldr_error err;
    struct {
        bool pending, has_version; /* a dlsym miss whose message is not made yet */
        uint64_t lib_serial;       /* the handle whose name lib holds, or 0 */
        char lib[96], symbol[128], version[32];
    } miss;
    uint64_t handles_made;
    struct unique *uniques; /* STB_GNU_UNIQUE symbols bound so far */
    size_t nuniques, uniques_cap;
    struct debug_head *host_debug; /* NULL: debuggers are not told */
    struct debug_head debug;
    /* thread_local destructors: the host's __cxa_thread_atexit_impl, and the thunk the namespace's
     * libraries call instead, which adds the namespace as a fourth argument. */
    uintptr_t host_thread_atexit, thunk_page;
    bool freeing; /* elfldr_ns_free came while destructors were pending: the last one finishes it */
    /* The global scope's symbols as one filter (relocate.c's prior_filter), made by a relocation and
     * kept for the next while the global scope stays as it was: global_changes counts every change
     * to it (a handle made global, a global handle gone), and the filter holds the count it was made
     * at. */
    uint64_t global_changes, filter_changes;
    struct prior_cache global_filter;
};

struct unique {
    char *name;
    size_t name_size;
    uint32_t hash; /* the name's GNU hash, compared first */
    const struct elfldr_obj *definer;
    uintptr_t value;
};

/* What one dlopen builds: its new handles in load order, and a path buffer. */
struct session {
    struct elfldr_ns *ns;
    struct handle **added;
    size_t nadded, cap;
    char *path;
    struct elfldr_error *err;
    unsigned load_flags; /* ELFLDR_LOAD_LAZY for RTLD_LAZY */
    struct handle *existing; /* set by load_deferred: the file is already loaded as this */
};

/* Lists as NUL-separated strings ending in an empty one: plain bytes, nothing to relocate. */
static const char default_host_sonames[] =
    "libc.so.6\0libm.so.6\0libdl.so.2\0libpthread.so.0\0librt.so.1\0libutil.so.1\0libresolv.so.2\0"
    "ld-linux-x86-64.so.2\0ld-linux-aarch64.so.1\0ld-linux-riscv64-lp64d.so.1\0";
static const char system_dirs[] = "/lib/" ARCH_MULTIARCH "\0/usr/lib/" ARCH_MULTIARCH "\0/lib\0/usr/lib\0";

/* ---- the lock: recursive, so that a constructor may call back into its namespace -------------- */

static uintptr_t current_thread(const struct elfldr_ns *ns)
{
    if (ns->cfg.thread_id)
        return ns->cfg.thread_id();
    if (ns->linux_tid) {
        /* Each thread's own TLS block: no system call on every public call. A process whose thread
         * pointer was never set has no threads of libc's making; it asks the kernel. */
        uintptr_t tp = arch_thread_pointer();
        return tp ? tp : (uintptr_t)arch_syscall3(SYS_gettid, 0, 0, 0);
    }
    return 1;
}

static void ns_lock(struct elfldr_ns *ns)
{
    uintptr_t me = current_thread(ns);
    if (__atomic_load_n(&ns->owner, __ATOMIC_ACQUIRE) == me) {
        ns->depth++;
        return;
    }
    while (__atomic_exchange_n(&ns->lock, 1, __ATOMIC_ACQUIRE)) {
        if (ns->linux_tid)
            arch_syscall3(SYS_sched_yield, 0, 0, 0);
    }
    __atomic_store_n(&ns->owner, me, __ATOMIC_RELEASE);
    ns->depth = 1;
}

static void ns_unlock(struct elfldr_ns *ns)
{
    if (--ns->depth)
        return;
    __atomic_store_n(&ns->owner, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&ns->lock, 0, __ATOMIC_RELEASE);
}

/* ---- small helpers ----------------------------------------------------------------------------- */

static bool has_slash(const char *s)
{
    for (; *s; s++)
        if (*s == '/')
            return true;
    return false;
}

static void *ns_alloc(struct elfldr_ns *ns, size_t size) { return ns->ops.alloc(ns->ops.ctx, size); }
static void ns_free_mem(struct elfldr_ns *ns, void *p, size_t size)
{
    if (p)
        ns->ops.free(ns->ops.ctx, p, size);
}

/* Append to a growing array of handles. */
static bool push(struct elfldr_ns *ns, struct handle ***array, size_t *n, size_t *cap, struct handle *h)
{
    if (*n == *cap) {
        size_t new_cap = *cap ? *cap * 2 : 8;
        struct handle **grown = ns_alloc(ns, new_cap * sizeof(*grown));
        if (!grown)
            return false;
        if (*n)
            __builtin_memcpy(grown, *array, *n * sizeof(*grown));
        ns_free_mem(ns, *array, *cap * sizeof(*grown));
        *array = grown;
        *cap = new_cap;
    }
    (*array)[(*n)++] = h;
    return true;
}

static void record_error(struct elfldr_ns *ns, const struct elfldr_error *err)
{
    ns->err = *err;
    ns->miss.pending = false;
    ns->has_error = true;
}

/* A dlsym that found nothing is common (probing for optional symbols) and cheap: the names are only
 * copied, and the message made if elfldr_dlerror asks for it. */
static void copy_bounded(char *dest, size_t size, const char *src)
{
    size_t n = 0;
    for (; src && src[n] && n + 1 < size; n++)
        dest[n] = src[n];
    dest[n] = '\0';
}

/* The names a miss's message will need, copied: the caller's may be gone by dlerror's call, and so may
 * the handle. A miss costs the copies only: the handle's name not again for the same handle (misses
 * come in runs, a program probing for optional symbols), and the symbol's with its length known from
 * the hash. A plain loop: with glibc's memcpy a miss in libz took 37 ns rather than 20 (measured
 * alternating; the reason not found). */
static void record_miss(struct elfldr_ns *ns, const struct handle *h, const char *symbol, size_t symbol_len,
                        const char *version)
{
    if (ns->miss.lib_serial != h->serial) {
        copy_bounded(ns->miss.lib, sizeof(ns->miss.lib), h->name);
        ns->miss.lib_serial = h->serial;
    }
    size_t n = symbol_len < sizeof(ns->miss.symbol) - 1 ? symbol_len : sizeof(ns->miss.symbol) - 1;
    for (size_t i = 0; i < n; i++)
        ns->miss.symbol[i] = symbol[i];
    ns->miss.symbol[n] = '\0';
    copy_bounded(ns->miss.version, sizeof(ns->miss.version), version);
    ns->miss.has_version = version != NULL;
    ns->miss.pending = true;
    ns->has_error = true;
}

static void *fail_with(struct elfldr_ns *ns, enum elfldr_err code, const char *what, const char *detail)
{
    struct elfldr_error err;
    set_error(&err, code, "%s: %s", what, detail);
    record_error(ns, &err);
    return NULL;
}

static bool in_list(const char *list, const char *name)
{
    for (; *list; list += str_len(list) + 1)
        if (str_cmp(list, name) == 0)
            return true;
    return false;
}

static bool is_host_soname(const struct elfldr_ns *ns, const char *name)
{
    if (ns->cfg.isolated)
        return false;
    if (!ns->cfg.host_sonames)
        return in_list(default_host_sonames, name);
    for (size_t i = 0; i < ns->cfg.host_sonames_len; i++)
        if (str_cmp(ns->cfg.host_sonames[i], name) == 0)
            return true;
    return false;
}

static const char *base_name(const char *path)
{
    const char *base = path;
    for (; *path; path++)
        if (*path == '/')
            base = path + 1;
    return base;
}

/* A library is known by its soname, by the path it was loaded from, and by that path's last part. */
static struct handle *find_loaded(const struct elfldr_ns *ns, const char *name)
{
    bool bare = !has_slash(name);
    for (struct handle *h = ns->first; h; h = h->next)
        if ((h->soname && str_cmp(h->soname, name) == 0) || str_cmp(h->name, name) == 0 ||
            (bare && str_cmp(base_name(h->name), name) == 0))
            return h;
    return NULL;
}

/* ---- STB_GNU_UNIQUE: one definition per name in the namespace, as glibc keeps one per process ---- */

/* Called under the namespace's lock during a dlopen, and without it from a lazy binding on any thread:
 * it takes the lock itself (the lock is recursive). */
static int unique_symbol_locked(struct elfldr_ns *ns, const char *name, uint32_t hash,
                                const struct elfldr_obj *definer, uintptr_t *value);

int ns_unique_symbol(struct elfldr_ns *ns, const char *name, uint32_t hash, const struct elfldr_obj *definer,
                     uintptr_t *value)
{
    ns_lock(ns);
    int rc = unique_symbol_locked(ns, name, hash, definer, value);
    ns_unlock(ns);
    return rc;
}

/* The namespace's one definition of a unique symbol: the first one bound (*value is replaced by it),
 * or this one, which is remembered. -1: no memory to remember it (the binding must fail, or the
 * namespace would end up with two definitions). */
static int unique_symbol_locked(struct elfldr_ns *ns, const char *name, uint32_t hash,
                                const struct elfldr_obj *definer, uintptr_t *value)
{
    /* libstdc++ alone has a hundred, most named alike for their first dozen characters: the hash
     * rules nearly all out before a name is compared. */
    for (size_t i = 0; i < ns->nuniques; i++)
        if (ns->uniques[i].hash == hash && str_cmp(ns->uniques[i].name, name) == 0) {
            *value = ns->uniques[i].value;
            return 0;
        }
    if (ns->nuniques == ns->uniques_cap) {
        size_t cap = ns->uniques_cap ? ns->uniques_cap * 2 : 8;
        struct unique *grown = ns_alloc(ns, cap * sizeof(*grown));
        if (!grown)
            return -1;
        if (ns->nuniques)
            __builtin_memcpy(grown, ns->uniques, ns->nuniques * sizeof(*grown));
        ns_free_mem(ns, ns->uniques, ns->uniques_cap * sizeof(*grown));
        ns->uniques = grown;
        ns->uniques_cap = cap;
    }
    size_t size = str_len(name) + 1;
    char *copy = ns_alloc(ns, size);
    if (!copy)
        return -1;
    __builtin_memcpy(copy, name, size);
    ns->uniques[ns->nuniques++] = (struct unique){copy, size, hash, definer, *value};
    /* As glibc does: a library whose unique definition is in use stays loaded (until the namespace
     * goes), since other libraries may hold on to it without a reference. */
    for (struct handle *h = ns->first; h; h = h->next)
        if (h->obj == definer)
            h->nodelete = true;
    return 0;
}

/* A definer going away takes its unique definitions with it. */
static void forget_uniques(struct elfldr_ns *ns, const struct elfldr_obj *definer)
{
    for (size_t i = 0; i < ns->nuniques;) {
        if (ns->uniques[i].definer != definer) {
            i++;
            continue;
        }
        ns_free_mem(ns, ns->uniques[i].name, ns->uniques[i].name_size);
        ns->uniques[i] = ns->uniques[--ns->nuniques];
    }
}

/* ---- handles ----------------------------------------------------------------------------------- */

static struct handle *new_handle(struct elfldr_ns *ns, struct elfldr_obj *obj, const char *name)
{
    size_t len = str_len(name);
    size_t size = sizeof(struct handle) + len + 1;
    struct handle *h = ns_alloc(ns, size);
    if (!h)
        return NULL;
    __builtin_memset(h, 0, sizeof(*h));
    char *copy = (char *)(h + 1);
    __builtin_memcpy(copy, name, len + 1);
    h->magic = HANDLE_MAGIC;
    h->ns = ns;
    h->obj = obj;
    h->name = copy;
    h->serial = ++ns->handles_made;
    h->alloc_size = size;
    h->refcount = 1;
    struct elfldr_info info;
    elfldr_get_info(obj, &info);
    h->soname = info.soname;
    h->prev = ns->last;
    if (ns->last)
        ns->last->next = h;
    else
        ns->first = h;
    ns->last = h;
    return h;
}

/* ---- debuggers: glibc's protocol, r_state around a change and a call of r_brk after each state ---- */

static void debug_change(struct elfldr_ns *ns, int32_t state)
{
    ns->debug.r_state = state;
    if (ns->debug.r_brk)
        ((void (*)(void))ns->debug.r_brk)();
}

static void debug_announce(struct elfldr_ns *ns, struct handle *h)
{
    if (!ns->host_debug || h->announced || h->host)
        return;
    struct elfldr_info info;
    elfldr_get_info(h->obj, &info);
    h->debug = (struct debug_map){info.load_bias, h->name, (const void *)info.dynamic, NULL, NULL};
    debug_change(ns, RT_ADD);
    struct debug_map **link = &ns->debug.r_map, *prev = NULL;
    while (*link) {
        prev = *link;
        link = &(*link)->l_next;
    }
    h->debug.l_prev = prev;
    *link = &h->debug;
    h->announced = true;
    debug_change(ns, RT_CONSISTENT);
}

static void debug_withdraw(struct elfldr_ns *ns, struct handle *h)
{
    if (!h->announced)
        return;
    debug_change(ns, RT_DELETE);
    if (h->debug.l_prev)
        h->debug.l_prev->l_next = h->debug.l_next;
    else
        ns->debug.r_map = h->debug.l_next;
    if (h->debug.l_next)
        h->debug.l_next->l_prev = h->debug.l_prev;
    h->announced = false;
    debug_change(ns, RT_CONSISTENT);
}

/* The namespace joins the host's chain of r_debug heads (glibc >= 2.35 links dlmopen's there). */
static void debug_join(struct elfldr_ns *ns, void *host)
{
    struct debug_head *head = host;
    if (!head)
        return;
    ns->host_debug = head;
    ns->debug.r_version = 2;
    ns->debug.r_brk = head->r_brk;
    ns->debug.r_ldbase = head->r_ldbase;
    struct debug_head **link = &head->r_next;
    while (*link)
        link = &(*link)->r_next;
    *link = &ns->debug;
    /* Version 2 tells a debugger to follow r_next, as glibc says once dlmopen made a namespace. */
    if (head->r_version < 2)
        head->r_version = 2;
}

static void debug_leave(struct elfldr_ns *ns)
{
    if (!ns->host_debug)
        return;
    for (struct debug_head **link = &ns->host_debug->r_next; *link; link = &(*link)->r_next) {
        if (*link == &ns->debug) {
            *link = ns->debug.r_next;
            break;
        }
    }
    ns->host_debug = NULL;
}

/* Unmap one handle's object (destructors first, if its constructors ran) and free the handle; the
 * references it holds on its dependencies are the caller's to drop. */
static void destroy_handle(struct elfldr_ns *ns, struct handle *h)
{
    struct elfldr_error err;
    debug_withdraw(ns, h);
    forget_uniques(ns, h->obj);
    uintptr_t gone = (uintptr_t)h->obj; /* compared only, once the object is freed */
    if (h->obj && elfldr_unload(h->obj, &err) != 0)
        record_error(ns, &err);
    /* A library that outlives this one may still bind lazily through a scope that named it. */
    for (struct handle *other = ns->first; gone && other; other = other->next)
        if (other != h && other->obj)
            scope_forget(other->obj, gone);
    ns->global_changes += h->global;
    if (h->prev)
        h->prev->next = h->next;
    else
        ns->first = h->next;
    if (h->next)
        h->next->prev = h->prev;
    else
        ns->last = h->prev;
    ns_free_mem(ns, h->deps, h->ndeps * sizeof(*h->deps));
    ns_free_mem(ns, h->search, h->nsearch * sizeof(*h->search));
    h->magic = 0;
    ns_free_mem(ns, h, h->alloc_size);
}

static void finish_release(struct elfldr_ns *ns, struct handle *h);
static void make_thread_atexit_thunk(struct elfldr_ns *ns);
static void make_thunk_page(struct elfldr_ns *ns);

/* Drop one reference; the last unloads the handle, then drops the references it held. A library with
 * thread_local destructors still to run stays until they have (as glibc keeps it). */
static void release(struct elfldr_ns *ns, struct handle *h)
{
    if (--h->refcount > 0 || h->nodelete)
        return;
    if (h->tls_dtors) {
        h->closing = true;
        return;
    }
    finish_release(ns, h);
}

static void finish_release(struct elfldr_ns *ns, struct handle *h)
{
    struct handle **deps = h->deps;
    size_t ndeps = h->ndeps;
    h->deps = NULL;
    h->ndeps = 0;
    destroy_handle(ns, h);
    for (size_t i = 0; i < ndeps; i++)
        release(ns, deps[i]);
    ns_free_mem(ns, deps, ndeps * sizeof(*deps));
}

/* ---- finding and loading files ----------------------------------------------------------------- */

/* The length of $WORD or ${WORD} at `p` (after the '$'), or 0 when `p` does not start with it. */
static size_t token_length(const char *p, const char *end, const char *word)
{
    size_t len = str_len(word);
    bool braced = p < end && *p == '{';
    const char *at = p + braced;
    if ((size_t)(end - at) < len + braced || __builtin_memcmp(at, word, len) != 0)
        return 0;
    if (braced)
        return at[len] == '}' ? len + 2 : 0;
    return len;
}

/* Copy `dir` (up to `dir_end`) into the path buffer with $ORIGIN, $LIB and $PLATFORM expanded, then
 * "/" and `name`. False when it does not fit. */
static bool build_path(struct session *s, const char *dir, const char *dir_end, const char *origin,
                       const char *name)
{
    const struct elfldr_ns *ns = s->ns;
    size_t n = 0;
    for (const char *p = dir; p < dir_end;) {
        const char *value = NULL;
        size_t skip = 0, origin_len = 0;
        if (*p == '$') {
            size_t len;
            if ((len = token_length(p + 1, dir_end, "ORIGIN"))) {
                value = origin;
                const char *slash = NULL;
                for (const char *o = origin; *o; o++)
                    if (*o == '/')
                        slash = o;
                origin_len = slash ? (size_t)(slash - origin) : 1;
                if (!slash)
                    value = ".";
            } else if ((len = token_length(p + 1, dir_end, "LIB"))) {
                value = ns->cfg.lib ? ns->cfg.lib : "lib/" ARCH_MULTIARCH;
            } else if ((len = token_length(p + 1, dir_end, "PLATFORM"))) {
                value = ns->cfg.platform ? ns->cfg.platform : ARCH_NAME;
            }
            skip = 1 + len;
        }
        if (!value) {
            if (n + 1 >= MAX_PATH)
                return false;
            s->path[n++] = *p++;
            continue;
        }
        size_t len = origin_len ? origin_len : str_len(value);
        if (n + len >= MAX_PATH)
            return false;
        __builtin_memcpy(s->path + n, value, len);
        n += len;
        p += skip;
    }
    size_t name_len = str_len(name);
    if (n + 1 + name_len + 1 > MAX_PATH)
        return false;
    if (n && s->path[n - 1] != '/')
        s->path[n++] = '/';
    __builtin_memcpy(s->path + n, name, name_len + 1);
    return true;
}

/* The loaded library that is this very file (another path to it), or NULL. */
static struct handle *find_by_identity(const struct elfldr_ns *ns, const uint64_t id[2])
{
    for (struct handle *h = ns->first; h; h = h->next)
        if (h->obj->has_file_id && h->obj->file_id[0] == id[0] && h->obj->file_id[1] == id[1])
            return h;
    return NULL;
}

/* Load `path` mapped and checked, not relocated. When the file is one the namespace has already loaded
 * (through another path), nothing is loaded: s->existing says which, and *out stays NULL. */
static int load_deferred(struct session *s, const char *path, struct elfldr_obj **out)
{
    const struct elfldr_ops *ops = &s->ns->ops;
    struct elfldr_load_opts opts = {0};
    opts.ops = ops;
    opts.hooks = s->ns->has_hooks ? &s->ns->hooks : NULL;
    opts.flags = ELFLDR_LOAD_DEFER_RELOC | s->load_flags;
    *out = NULL;
    s->existing = NULL;
    if (!ops->open || !ops->close || !ops->file_id)
        return elfldr_load_path(path, &opts, out, s->err);
    intptr_t handle;
    int rc = ops->open(ops->ctx, path, &handle);
    /* As glibc's search: a file that is not there (or not ours to read) sends it on to the next
     * directory; any other failure (no descriptors, no memory) ends it, rather than pick a later copy
     * or call the library missing. */
    if (rc == -2 /* ENOENT */ || rc == -13 /* EACCES */ || rc == -20 /* ENOTDIR */)
        return set_error(s->err, ELFLDR_E_OPEN, "%s: cannot open (errno %d)", path, (int64_t)-rc);
    if (rc)
        return set_error(s->err, ELFLDR_E_IO, "%s: cannot open (errno %d)", path, (int64_t)-rc);
    uint64_t id[2];
    bool has_id = ops->file_id(ops->ctx, handle, id) == 0;
    s->existing = has_id ? find_by_identity(s->ns, id) : NULL;
    rc = s->existing ? 0 : load_handle_with_id(handle, path, &opts, has_id ? id : NULL, out, s->err);
    ops->close(ops->ctx, handle);
    return rc;
}

/* Try each directory of a colon-separated list. 0 when loaded; ELFLDR_E_OPEN when not found there
 * (or only for another architecture); any other code is a real failure. */
static int try_dirs(struct session *s, const char *list, const char *origin, const char *name,
                    struct elfldr_obj **out)
{
    while (list && *list) {
        const char *end = list;
        while (*end && *end != ':')
            end++;
        if (end > list && build_path(s, list, end, origin, name)) {
            int rc = load_deferred(s, s->path, out);
            if (rc != ELFLDR_E_OPEN && rc != ELFLDR_E_MACHINE && rc != ELFLDR_E_CLASS)
                return rc;
        }
        list = *end ? end + 1 : end;
    }
    return ELFLDR_E_OPEN;
}

static int try_array(struct session *s, const char *const *dirs, size_t n, const char *origin, const char *name,
                     struct elfldr_obj **out)
{
    for (size_t i = 0; i < n; i++) {
        int rc = try_dirs(s, dirs[i], origin, name, out);
        if (rc != ELFLDR_E_OPEN)
            return rc;
    }
    return ELFLDR_E_OPEN;
}

/* glibc's order: DT_RPATH (without DT_RUNPATH), the namespace's path, DT_RUNPATH, the system. */
static int search(struct session *s, const char *name, const struct handle *requester, struct elfldr_obj **out)
{
    const struct elfldr_ns *ns = s->ns;
    const struct elfldr_obj *robj = requester ? requester->obj : NULL;
    const char *origin = requester ? requester->name : ".";
    const char *rpath = robj && robj->dyn.rpath != UINT64_MAX ? string_at(robj, robj->dyn.rpath) : NULL;
    const char *runpath = robj && robj->dyn.runpath != UINT64_MAX ? string_at(robj, robj->dyn.runpath) : NULL;
    int rc = ELFLDR_E_OPEN;
    if (has_slash(name)) {
        size_t len = str_len(name);
        if (len >= MAX_PATH)
            return set_error(s->err, ELFLDR_E_OPEN, "%s: path too long", name);
        __builtin_memcpy(s->path, name, len + 1);
        return load_deferred(s, s->path, out);
    }
    if (rpath && !runpath && (rc = try_dirs(s, rpath, origin, name, out)) != ELFLDR_E_OPEN)
        return rc;
    if ((rc = try_array(s, ns->cfg.search_path, ns->cfg.search_path_len, origin, name, out)) != ELFLDR_E_OPEN)
        return rc;
    if (runpath && (rc = try_dirs(s, runpath, origin, name, out)) != ELFLDR_E_OPEN)
        return rc;
    if (ns->cfg.system_path) {
        rc = try_array(s, ns->cfg.system_path, ns->cfg.system_path_len, origin, name, out);
    } else {
        for (const char *dir = system_dirs; *dir && rc == ELFLDR_E_OPEN; dir += str_len(dir) + 1)
            rc = try_dirs(s, dir, origin, name, out);
    }
    if (rc == ELFLDR_E_OPEN && requester)
        return set_error(s->err, ELFLDR_E_OPEN, "%s: not found (needed by %s)", name, requester->name);
    if (rc == ELFLDR_E_OPEN)
        return set_error(s->err, ELFLDR_E_OPEN, "%s: not found", name);
    return rc;
}

/* ---- a dlopen ---------------------------------------------------------------------------------- */

static int add_dep(struct session *s, struct handle *h, struct handle *dep)
{
    size_t cap = h->ndeps; /* deps arrays are sized exactly: grow by one */
    struct handle **grown = ns_alloc(s->ns, (cap + 1) * sizeof(*grown));
    if (!grown)
        return set_error(s->err, ELFLDR_E_NOMEM, "%s: no memory for its dependency list", h->name);
    if (h->ndeps)
        __builtin_memcpy(grown, h->deps, h->ndeps * sizeof(*grown));
    ns_free_mem(s->ns, h->deps, h->ndeps * sizeof(*grown));
    grown[h->ndeps++] = dep;
    h->deps = grown;
    return 0;
}

static int new_from_obj(struct session *s, struct elfldr_obj *obj, const char *name, struct handle **out)
{
    obj->unique_ns = s->ns;
    obj->thread_atexit = s->ns->host_thread_atexit != 0;
    struct handle *h = new_handle(s->ns, obj, name);
    if (!h) {
        elfldr_unload(obj, NULL);
        return set_error(s->err, ELFLDR_E_NOMEM, "%s: no memory for its handle", name);
    }
    if (!push(s->ns, &s->added, &s->nadded, &s->cap, h)) {
        h->refcount = 0;
        destroy_handle(s->ns, h);
        return set_error(s->err, ELFLDR_E_NOMEM, "%s: no memory", name);
    }
    *out = h;
    return 0;
}

/* Breadth-first over the new handles: each DT_NEEDED found loaded, or searched for and loaded. */
static int load_tree(struct session *s)
{
    for (size_t i = 0; i < s->nadded; i++) {
        struct handle *h = s->added[i];
        for (size_t k = 0;; k++) {
            const char *needed = elfldr_needed(h->obj, k);
            if (!needed)
                break;
            struct handle *dep = find_loaded(s->ns, needed);
            int rc;
            if (is_host_soname(s->ns, needed)) {
                /* A host library the process has: a dependency like any other for dlsym's search (as
                 * glibc's dlsym on a handle finds libc's malloc), never unloaded (it is nodelete). One
                 * it does not have is left to the resolve hook. */
                if (dep && dep->host) {
                    if ((rc = add_dep(s, h, dep)))
                        return rc;
                    dep->refcount++;
                }
                continue;
            }
            bool created = false;
            if (dep) {
                dep->refcount++;
            } else {
                struct elfldr_obj *obj;
                if ((rc = search(s, needed, h, &obj)))
                    return rc;
                if (s->existing) {
                    dep = s->existing;
                    dep->refcount++;
                } else if ((rc = new_from_obj(s, obj, s->path, &dep))) {
                    return rc;
                } else {
                    created = true;
                }
            }
            if ((rc = add_dep(s, h, dep))) {
                /* A handle made by this dlopen is in s->added: roll_back destroys it. */
                if (!created)
                    release(s->ns, dep);
                return rc;
            }
        }
    }
    return 0;
}

/* Each new handle's search list: itself, then its tree breadth-first, each once. */
static int build_search_list(struct session *s, struct handle *h)
{
    size_t cap = 0;
    if (!push(s->ns, &h->search, &h->nsearch, &cap, h))
        return set_error(s->err, ELFLDR_E_NOMEM, "%s: no memory for its search list", h->name);
    for (size_t i = 0; i < h->nsearch; i++) {
        struct handle *at = h->search[i];
        for (size_t d = 0; d < at->ndeps; d++) {
            bool seen = false;
            for (size_t j = 0; j < h->nsearch && !seen; j++)
                seen = h->search[j] == at->deps[d];
            if (!seen && !push(s->ns, &h->search, &h->nsearch, &cap, at->deps[d]))
                return set_error(s->err, ELFLDR_E_NOMEM, "%s: no memory for its search list", h->name);
        }
    }
    /* Sized exactly, so that destroy_handle can free it with the count alone. */
    if (cap != h->nsearch) {
        struct handle **exact = ns_alloc(s->ns, h->nsearch * sizeof(*exact));
        if (!exact) {
            ns_free_mem(s->ns, h->search, cap * sizeof(*exact));
            h->search = NULL;
            h->nsearch = 0;
            return set_error(s->err, ELFLDR_E_NOMEM, "%s: no memory for its search list", h->name);
        }
        __builtin_memcpy(exact, h->search, h->nsearch * sizeof(*exact));
        ns_free_mem(s->ns, h->search, cap * sizeof(*exact));
        h->search = exact;
    }
    return 0;
}

static void forget_global_filter(struct elfldr_ns *ns)
{
    if (ns->global_filter.filter)
        ns_free_mem(ns, ns->global_filter.filter, ns->global_filter.size);
    ns->global_filter.filter = NULL;
}

/* glibc's scope for what one dlopen loaded: the global scope, then the root's tree (the other way
 * round with DEEPBIND). Relocated and initialised in reverse load order: dependencies first. */
static int relocate_and_init(struct session *s, struct handle *root, int flags)
{
    struct elfldr_ns *ns = s->ns;
    size_t nglobal = 0;
    for (struct handle *h = ns->first; h; h = h->next)
        nglobal += h->global;
    size_t n = nglobal + root->nsearch;
    struct elfldr_obj **scope = ns_alloc(ns, n * sizeof(*scope));
    if (!scope)
        return set_error(s->err, ELFLDR_E_NOMEM, "%s: no memory for its scope", root->name);
    size_t at = 0;
    bool deep = flags & ELFLDR_RTLD_DEEPBIND;
    if (deep)
        for (size_t i = 0; i < root->nsearch; i++)
            scope[at++] = root->search[i]->obj;
    for (struct handle *h = ns->first; h; h = h->next)
        if (h->global)
            scope[at++] = h->obj;
    if (!deep)
        for (size_t i = 0; i < root->nsearch; i++)
            scope[at++] = root->search[i]->obj;
    /* The root, first after the global scope, may use the namespace's filter of it, or make one. */
    if (ns->global_filter.filter && ns->filter_changes != ns->global_changes)
        forget_global_filter(ns);
    struct prior_cache cache = ns->global_filter;
    cache.nobjects = nglobal;
    int rc = 0;
    for (size_t i = s->nadded; i-- > 0 && !rc;)
        rc = relocate_in_scope(s->added[i]->obj, scope, n, deep ? NULL : &cache, s->err);
    ns_free_mem(ns, scope, n * sizeof(*scope));
    if (cache.filter != ns->global_filter.filter) { /* made now: kept if the dlopen goes through */
        if (rc)
            ns_free_mem(ns, cache.filter, cache.size);
        else
            ns->global_filter = cache;
        ns->filter_changes = ns->global_changes;
    }
    for (size_t i = s->nadded; i-- > 0 && !rc;)
        rc = elfldr_run_init(s->added[i]->obj, s->err);
    return rc;
}

static void make_global(struct elfldr_ns *ns, struct handle *root)
{
    for (size_t i = 0; i < root->nsearch; i++) {
        ns->global_changes += !root->search[i]->global;
        root->search[i]->global = true;
    }
}


/* Undo a failed dlopen: unload what it loaded (last first), give back what it took. */
static void roll_back(struct session *s)
{
    for (size_t i = s->nadded; i-- > 0;) {
        struct handle *h = s->added[i];
        for (size_t d = 0; d < h->ndeps; d++) {
            struct handle *dep = h->deps[d];
            bool is_new = false;
            for (size_t j = 0; j < s->nadded && !is_new; j++)
                is_new = s->added[j] == dep;
            if (!is_new)
                release(s->ns, dep);
        }
        ns_free_mem(s->ns, h->deps, h->ndeps * sizeof(*h->deps));
        h->deps = NULL;
        h->ndeps = 0;
        destroy_handle(s->ns, h);
    }
}

static void *open_common(struct elfldr_ns *ns, const char *name, const void *image, size_t size, int flags)
{
    if (!ns || !name)
        return NULL;
    ns_lock(ns);
    struct handle *root = find_loaded(ns, name);
    if (root || (flags & ELFLDR_RTLD_NOLOAD)) {
        if (root) {
            root->refcount++;
            root->nodelete |= (flags & ELFLDR_RTLD_NODELETE) != 0;
            if (flags & ELFLDR_RTLD_GLOBAL)
                make_global(ns, root);
        }
        ns_unlock(ns);
        return root;
    }
    struct elfldr_error err;
    struct session s = {ns, NULL, 0, 0, ns_alloc(ns, MAX_PATH), &err,
                        (flags & ELFLDR_RTLD_LAZY) && !(flags & ELFLDR_RTLD_NOW) ? ELFLDR_LOAD_LAZY : 0u, NULL};
    int rc = 0;
    if (!s.path) {
        rc = set_error(&err, ELFLDR_E_NOMEM, "no memory for a path");
    } else {
        struct elfldr_obj *obj = NULL;
        if (image) {
            struct elfldr_load_opts opts = {0};
            opts.ops = &ns->ops;
            opts.hooks = ns->has_hooks ? &ns->hooks : NULL;
            opts.flags = ELFLDR_LOAD_DEFER_RELOC | s.load_flags;
            rc = elfldr_load_mem(image, size, name, &opts, &obj, &err);
        } else {
            rc = search(&s, name, NULL, &obj);
        }
        if (!rc && s.existing) {
            /* Another path to a file already loaded: that library, one more reference. */
            root = s.existing;
            root->refcount++;
            ns_free_mem(ns, s.path, MAX_PATH);
            ns_unlock(ns);
            return root;
        }
        /* Known by the path it was found at: its $ORIGIN is that path's directory. */
        if (!rc)
            rc = new_from_obj(&s, obj, image ? name : s.path, &root);
    }
    if (!rc)
        rc = load_tree(&s);
    for (size_t i = 0; !rc && i < s.nadded; i++)
        rc = build_search_list(&s, s.added[i]);
    if (!rc)
        rc = relocate_and_init(&s, root, flags);
    if (rc) {
        roll_back(&s);
        record_error(ns, &err);
        root = NULL;
    } else {
        root->nodelete = (flags & ELFLDR_RTLD_NODELETE) != 0;
        if (flags & ELFLDR_RTLD_GLOBAL)
            make_global(ns, root);
        for (size_t i = 0; i < s.nadded; i++)
            debug_announce(ns, s.added[i]);
    }
    ns_free_mem(ns, s.added, s.cap * sizeof(*s.added));
    ns_free_mem(ns, s.path, MAX_PATH);
    ns_unlock(ns);
    return root;
}

void *elfldr_dlopen(struct elfldr_ns *ns, const char *path, int flags)
{
    return open_common(ns, path, NULL, 0, flags);
}

void *elfldr_dlopen_mem(struct elfldr_ns *ns, const char *name, const void *image, size_t size, int flags)
{
    if (!image)
        return ns ? fail_with(ns, ELFLDR_E_INVAL, name ? name : "(memory)", "no image") : NULL;
    return open_common(ns, name ? name : "(memory)", image, size, flags);
}

/* ---- lookups and the rest ---------------------------------------------------------------------- */

static struct handle *as_handle(void *p)
{
    struct handle *h = p;
    return (h && h->magic == HANDLE_MAGIC) ? h : NULL;
}

static void *lookup(void *handle, const char *symbol, const char *version)
{
    struct handle *h = as_handle(handle);
    if (!h || !symbol)
        return NULL;
    struct elfldr_ns *ns = h->ns;
    ns_lock(ns);
    void *found = NULL;
    struct sym_query q;
    sym_query_init(&q, symbol, version);
    for (size_t i = 0; i < h->nsearch && !found; i++) {
        uintptr_t addr;
        const struct elfldr_sym *sym;
        if (lookup_query(h->search[i]->obj, &q, &addr, &sym) == 0) {
            if (ELF_ST_BIND(sym->st_info) == STB_GNU_UNIQUE && ELF_ST_TYPE(sym->st_info) != STT_TLS &&
                ns_unique_symbol(ns, symbol, q.gnu_hash, h->search[i]->obj, &addr) != 0) {
                struct elfldr_error err;
                set_error(&err, ELFLDR_E_NOMEM, "%s: no memory to remember the unique symbol %s", h->name, symbol);
                record_error(ns, &err);
                ns_unlock(ns);
                return NULL;
            }
            found = (void *)addr;
        }
    }
    if (!found)
        record_miss(ns, h, symbol, q.name_len, version);
    ns_unlock(ns);
    return found;
}

void *elfldr_dlsym(void *handle, const char *symbol) { return lookup(handle, symbol, NULL); }

void *elfldr_dlvsym(void *handle, const char *symbol, const char *version)
{
    return version ? lookup(handle, symbol, version) : NULL;
}

int elfldr_dlclose(void *handle)
{
    struct handle *h = as_handle(handle);
    if (!h)
        return -1;
    struct elfldr_ns *ns = h->ns;
    ns_lock(ns);
    if (h->refcount == 0) {
        fail_with(ns, ELFLDR_E_INVAL, h->name, "closed more often than opened");
        ns_unlock(ns);
        return -1;
    }
    release(ns, h);
    ns_unlock(ns);
    return 0;
}

void elfldr_ns_memory(struct elfldr_ns *ns, size_t *in_use, size_t *held)
{
    if (ns) {
        pool_usage(&ns->pool, in_use, held);
        return;
    }
    if (in_use)
        *in_use = 0;
    if (held)
        *held = 0;
}

const char *elfldr_dlerror(struct elfldr_ns *ns)
{
    if (!ns)
        return NULL;
    ns_lock(ns);
    if (!ns->has_error) {
        ns_unlock(ns);
        return NULL;
    }
    if (ns->miss.pending) {
        set_error(&ns->err, ELFLDR_E_NOT_FOUND, "%s: undefined symbol: %s%s%s", ns->miss.lib, ns->miss.symbol,
                  ns->miss.has_version ? ", version " : "", ns->miss.version);
        ns->miss.pending = false;
    }
    ns->has_error = false;
    ns_unlock(ns);
    return ns->err.message;
}

/* The defined symbol nearest at or below `addr`. */
static void nearest_symbol(const struct elfldr_obj *obj, uintptr_t addr, struct elfldr_dl_info *info)
{
    uintptr_t best = 0;
    for (size_t i = 1; i < obj->dyn.nsyms; i++) {
        const struct elfldr_sym *sym = &obj->dyn.symtab[i];
        if (sym->st_shndx == SHN_UNDEF || ELF_ST_TYPE(sym->st_info) == STT_TLS)
            continue;
        uintptr_t value = symbol_address(obj, sym);
        if (value > addr || value < best)
            continue;
        const char *name = string_at(obj, sym->st_name);
        if (!name || !*name)
            continue;
        best = value;
        info->dli_sname = name;
        info->dli_saddr = (void *)value;
    }
}

int elfldr_dladdr(struct elfldr_ns *ns, const void *addr, struct elfldr_dl_info *info)
{
    if (!ns || !info)
        return -1;
    ns_lock(ns);
    int rc = -1;
    for (struct handle *h = ns->first; h && rc; h = h->next) {
        if (h->host || !in_image(h->obj, (uintptr_t)addr, 1))
            continue;
        __builtin_memset(info, 0, sizeof(*info));
        info->dli_fname = h->name;
        info->dli_fbase = (void *)h->obj->load_bias;
        nearest_symbol(h->obj, (uintptr_t)addr, info);
        rc = 0;
    }
    ns_unlock(ns);
    return rc;
}

int elfldr_dl_iterate_phdr(struct elfldr_ns *ns, int (*cb)(const struct elfldr_phdr_info *, void *), void *data)
{
    if (!ns || !cb)
        return 0;
    ns_lock(ns);
    int rc = 0;
    for (struct handle *h = ns->first; h && !rc; h = h->next) {
        if (h->host)
            continue;
        struct elfldr_phdr_info info = {h->obj->load_bias, h->name, h->obj->phdrs, (uint16_t)h->obj->phnum};
        rc = cb(&info, data);
    }
    ns_unlock(ns);
    return rc;
}

/* ---- the host's libraries ------------------------------------------------------------------------- */

#define AT_PHDR 3
#define AT_PHNUM 5
#define AT_SYSINFO_EHDR 33

/* The auxiliary vector, read from /proc/self/auxv with raw system calls (the Linux table only). */
static bool read_auxv(uint64_t *auxv, size_t words)
{
    long fd = arch_syscall6(SYS_openat, -100, (long)"/proc/self/auxv", 02000000, 0, 0, 0);
    if (fd < 0)
        return false;
    size_t got = 0, want = words * sizeof(uint64_t) - 2 * sizeof(uint64_t);
    while (got < want) {
        long r = arch_syscall3(SYS_read, fd, (long)((char *)auxv + got), (long)(want - got));
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    arch_syscall3(SYS_close, fd, 0, 0);
    __builtin_memset((char *)auxv + got, 0, 2 * sizeof(uint64_t));
    return got >= 2 * sizeof(uint64_t);
}

/* glibc's struct link_map and struct r_debug, their public parts (<link.h>). */
struct host_link_map {
    uintptr_t l_addr;
    const char *l_name;
    const void *l_ld;
    const struct host_link_map *l_next, *l_prev;
};

struct host_r_debug {
    int32_t r_version;
    const struct host_link_map *r_map;
};

/* The main program's DT_DEBUG points at the r_debug whose r_map lists the libraries ld.so loaded. */
static const struct host_r_debug *host_debug(const struct elfldr_phdr *phdrs, size_t phnum, uintptr_t *exe_bias)
{
    uintptr_t bias = 0;
    for (size_t i = 0; i < phnum; i++)
        if (phdrs[i].p_type == PT_PHDR)
            bias = (uintptr_t)phdrs - phdrs[i].p_vaddr;
    *exe_bias = bias;
    for (size_t i = 0; i < phnum; i++) {
        if (phdrs[i].p_type != PT_DYNAMIC)
            continue;
        for (const struct elf64_dyn *d = (const struct elf64_dyn *)(bias + phdrs[i].p_vaddr); d->d_tag != DT_NULL; d++)
            if (d->d_tag == DT_DEBUG)
                return (const struct host_r_debug *)d->d_val;
    }
    return NULL;
}

static void adopt_one(struct elfldr_ns *ns, uintptr_t bias, const struct elfldr_phdr *phdrs, size_t phnum,
                      const char *name, bool global)
{
    struct elfldr_obj *obj = NULL;
    struct elfldr_error err;
    if (adopt_mapped(&ns->ops, bias, phdrs, phnum, name, &obj, &err) != 0)
        return; /* not usable for lookups: the host keeps it, the namespace goes without */
    struct handle *h = new_handle(ns, obj, name);
    if (!h) {
        elfldr_unload(obj, NULL);
        return;
    }
    h->nodelete = h->host = true;
    h->global = global;
    ns->global_changes += global;
    h->search = ns_alloc(ns, sizeof(*h->search));
    if (h->search) {
        h->search[0] = h;
        h->nsearch = 1;
    }
}

/* The main program's program headers, and the vDSO's address (0 without one), from the auxiliary
 * vector. */
static bool host_program(const struct elfldr_phdr **phdrs, size_t *phnum, uintptr_t *vdso)
{
    uint64_t auxv[128];
    if (!read_auxv(auxv, 128))
        return false;
    *phdrs = NULL;
    *phnum = 0;
    *vdso = 0;
    for (size_t i = 0; auxv[i]; i += 2) {
        if (auxv[i] == AT_PHDR)
            *phdrs = (const struct elfldr_phdr *)auxv[i + 1];
        else if (auxv[i] == AT_PHNUM)
            *phnum = auxv[i + 1];
        else if (auxv[i] == AT_SYSINFO_EHDR)
            *vdso = auxv[i + 1];
    }
    return *phdrs != NULL;
}

static void *find_host_r_debug(void)
{
    const struct elfldr_phdr *phdrs;
    size_t phnum;
    uintptr_t bias, vdso;
    return host_program(&phdrs, &phnum, &vdso) ? (void *)(uintptr_t)host_debug(phdrs, phnum, &bias) : NULL;
}

/* Every library the host's loader has mapped joins the namespace's global scope, for lookups only;
 * the vDSO joins the namespace but not its global scope, as with glibc (its symbols are found through
 * a handle of its own: dlopen("linux-vdso.so.1", RTLD_NOLOAD), then dlsym). */
static void adopt_host(struct elfldr_ns *ns)
{
    const struct elfldr_phdr *exe_phdrs;
    size_t exe_phnum;
    uintptr_t vdso;
    if (!host_program(&exe_phdrs, &exe_phnum, &vdso))
        return;
    uintptr_t exe_bias;
    const struct host_r_debug *debug = host_debug(exe_phdrs, exe_phnum, &exe_bias);
    if (!debug)
        return;
    for (const struct host_link_map *l = debug->r_map; l; l = l->l_next) {
        if (l == debug->r_map) {
            adopt_one(ns, exe_bias, exe_phdrs, exe_phnum, "(main program)", true);
            continue;
        }
        /* A library's ELF header lies at its load address (its first PT_LOAD maps offset 0 at 0). */
        const struct elf64_ehdr *eh = (const struct elf64_ehdr *)l->l_addr;
        if (!l->l_addr || !l->l_name || eh->e_ident[0] != 0x7f || eh->e_ident[1] != 'E' ||
            eh->e_phentsize != sizeof(struct elfldr_phdr) || eh->e_phoff > 4096)
            continue;
        /* Given a list, only the host libraries it names are shared; the others get copies of their own. */
        if (ns->cfg.host_sonames && !is_host_soname(ns, base_name(l->l_name)))
            continue;
        adopt_one(ns, l->l_addr, (const struct elfldr_phdr *)(l->l_addr + eh->e_phoff), eh->e_phnum, l->l_name,
                  l->l_addr != vdso);
    }
}

struct elfldr_ns *elfldr_ns_new(const struct elfldr_ns_config *cfg)
{
    struct elfldr_ops ops;
    if (cfg && cfg->ops)
        ops = *cfg->ops;
    else
        elfldr_linux_ops(&ops);
    if (!ops.alloc || !ops.free)
        return NULL;
    /* Everything the namespace and its libraries allocate comes from its pool, the namespace too: its
     * first chunk holds the namespace and the first of the metadata, one allocation where there were
     * two. The pool is made here and then moved in (nothing in its chunks points back at it). */
    struct pool pool;
    struct elfldr_ops pool_ops;
    pool_init(&pool, &ops, &pool_ops);
    struct elfldr_ns *ns = pool_ops.alloc(pool_ops.ctx, sizeof(*ns));
    if (!ns)
        return NULL; /* the pool took nothing */
    __builtin_memset(ns, 0, sizeof(*ns));
    ns->pool = pool;
    ns->ops = pool_ops;
    ns->ops.ctx = &ns->pool;
    if (cfg) {
        ns->cfg = *cfg;
        if (cfg->hooks) {
            ns->hooks = *cfg->hooks;
            ns->has_hooks = true;
        }
    }
    ns->linux_tid = !(cfg && cfg->ops);
    if (ns->linux_tid && !ns->cfg.isolated) {
        adopt_host(ns);
        make_thread_atexit_thunk(ns);
    }
    if (cfg && cfg->debugger)
        debug_join(ns, cfg->debug_link ? cfg->debug_link : (ns->linux_tid ? find_host_r_debug() : NULL));
    return ns;
}

/* ---- thread_local destructors ------------------------------------------------------------------- */

struct tls_dtor {
    void (*func)(void *);
    void *arg;
    struct handle *h; /* whose code registered it, or NULL */
    struct elfldr_ns *ns;
};

static void free_everything(struct elfldr_ns *ns);

static bool dtors_pending(const struct elfldr_ns *ns)
{
    for (const struct handle *h = ns->first; h; h = h->next)
        if (h->tls_dtors)
            return true;
    return false;
}

/* Run by the host at the thread's exit: the destructor, then what its library's unload waited for. */
static void run_tls_dtor(void *p)
{
    struct tls_dtor *d = p;
    struct elfldr_ns *ns = d->ns;
    d->func(d->arg);
    ns_lock(ns);
    struct handle *h = d->h;
    ns_free_mem(ns, d, sizeof(*d));
    if (h && --h->tls_dtors == 0 && h->closing)
        finish_release(ns, h);
    if (ns->freeing && !dtors_pending(ns)) {
        free_everything(ns); /* frees the namespace and with it the lock */
        return;
    }
    ns_unlock(ns);
}

/* What the namespace's libraries get for __cxa_thread_atexit_impl, through the thunk that adds `ns`:
 * the host's own, with a wrapper that counts the destructor against the library that registered it. */
__attribute__((used)) int ns_thread_atexit(void (*func)(void *), void *arg, void *dso, struct elfldr_ns *ns)
{
    int (*host)(void (*)(void *), void *, void *) = (int (*)(void (*)(void *), void *, void *))ns->host_thread_atexit;
    ns_lock(ns);
    struct handle *owner = NULL;
    for (struct handle *h = ns->first; h && !owner; h = h->next)
        if (!h->host && in_image(h->obj, (uintptr_t)dso, 1))
            owner = h;
    struct tls_dtor *d = ns_alloc(ns, sizeof(*d));
    if (d) {
        *d = (struct tls_dtor){func, arg, owner, ns};
        if (owner)
            owner->tls_dtors++;
    }
    ns_unlock(ns);
    if (!d)
        return host(func, arg, dso);
    int rc = host(run_tls_dtor, d, dso);
    if (rc != 0) {
        ns_lock(ns);
        if (owner)
            owner->tls_dtors--;
        ns_free_mem(ns, d, sizeof(*d));
        ns_unlock(ns);
    }
    return rc;
}

/* The host's __cxa_thread_atexit_impl, which the thunk chains to: found when the namespace is made. */
static void make_thread_atexit_thunk(struct elfldr_ns *ns)
{
    for (struct handle *h = ns->first; h && !ns->host_thread_atexit; h = h->next) {
        uintptr_t addr;
        if (h->host && elfldr_lookup(h->obj, "__cxa_thread_atexit_impl", NULL, &addr, NULL) == 0)
            ns->host_thread_atexit = addr;
    }
}

/* The thunk: one executable page written at run time (arch_thunk.h), made when the first library that
 * refers to __cxa_thread_atexit_impl is bound (most namespaces never need it). 0 when it cannot be. */
uintptr_t ns_thread_atexit_thunk(struct elfldr_ns *ns)
{
    ns_lock(ns);
    if (!ns->thunk_page && ns->host_thread_atexit)
        make_thunk_page(ns);
    uintptr_t thunk = ns->thunk_page;
    ns_unlock(ns);
    return thunk;
}

static void make_thunk_page(struct elfldr_ns *ns)
{
    size_t page = ns->ops.page_size;
    uintptr_t code;
    if (ns->ops.reserve(ns->ops.ctx, 0, page, page, false, &code) != 0)
        return;
    if (ns->ops.map_zero(ns->ops.ctx, code, page, ELFLDR_PROT_READ | ELFLDR_PROT_WRITE) != 0) {
        ns->ops.release(ns->ops.ctx, code, page);
        return;
    }
    arch_write_thunk((unsigned char *)code, (uintptr_t)ns, (uintptr_t)ns_thread_atexit);
    if (ns->ops.protect(ns->ops.ctx, code, page, ELFLDR_PROT_READ | ELFLDR_PROT_EXEC) != 0) {
        ns->ops.release(ns->ops.ctx, code, page);
        return;
    }
    ns->thunk_page = code;
}

void elfldr_ns_free(struct elfldr_ns *ns)
{
    if (!ns)
        return;
    ns_lock(ns);
    /* Destructors that threads registered still to run: the last of them finishes this. */
    if (dtors_pending(ns)) {
        ns->freeing = true;
        ns_unlock(ns);
        return;
    }
    free_everything(ns);
}

static void free_everything(struct elfldr_ns *ns)
{
    /* Dependents were loaded after their dependencies: unload from the last. */
    while (ns->last) {
        struct handle *h = ns->last;
        ns_free_mem(ns, h->deps, h->ndeps * sizeof(*h->deps));
        h->deps = NULL;
        h->ndeps = 0;
        destroy_handle(ns, h);
    }
    debug_leave(ns);
    forget_global_filter(ns);
    ns_free_mem(ns, ns->uniques, ns->uniques_cap * sizeof(*ns->uniques));
    if (ns->thunk_page)
        ns->ops.release(ns->ops.ctx, ns->thunk_page, ns->ops.page_size);
    /* The namespace is in the pool's memory: the pool is destroyed from a copy. */
    struct pool pool = ns->pool;
    pool_destroy(&pool);
}
