/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Constructors and destructors, in glibc's order: DT_PREINIT_ARRAY, DT_INIT, then DT_INIT_ARRAY in
 * order; at unload DT_FINI_ARRAY in reverse, then DT_FINI. Every pointer is checked to lie in the
 * object's executable code before the first of them runs, so a bad one fails the load cleanly.
 */
#include "internal.h"

#define U(x) ((uint64_t)(x))

static uintptr_t array_entry(uintptr_t array, size_t i)
{
    uintptr_t v;
    __builtin_memcpy(&v, (const void *)(array + i * sizeof(uintptr_t)), sizeof(v));
    return v;
}

static int check_code(const struct elfldr_obj *obj, uintptr_t fn, const char *what, size_t index,
                      struct elfldr_error *err)
{
    if (!in_executable(obj, fn))
        return set_error(err, ELFLDR_E_INIT, "%s[%u]: %x is outside executable code", what, U(index),
                         U(fn - obj->load_bias));
    return 0;
}

static int check_array(const struct elfldr_obj *obj, uintptr_t array, uint64_t size, const char *what,
                       struct elfldr_error *err)
{
    for (size_t i = 0; i < size / sizeof(uintptr_t); i++) {
        int rc = check_code(obj, array_entry(array, i), what, i, err);
        if (rc)
            return rc;
    }
    return 0;
}

static void call(struct elfldr_obj *obj, enum elfldr_init_kind kind, unsigned index, uintptr_t fn)
{
    elfldr_init_fn f = (elfldr_init_fn)fn;
    if (obj->hooks.on_init && obj->hooks.on_init(obj->hooks.ctx, obj, kind, index, f) != ELFLDR_HOOK_CONTINUE)
        return;
    f(obj->argc, obj->argv, obj->envp);
}

int run_constructors(struct elfldr_obj *obj, struct elfldr_error *err)
{
    const struct dyninfo *d = &obj->dyn;
    int rc;
    if ((rc = check_array(obj, d->preinit_array, d->preinit_arraysz, "DT_PREINIT_ARRAY", err)) ||
        (d->init && (rc = check_code(obj, d->init, "DT_INIT", 0, err))) ||
        (rc = check_array(obj, d->init_array, d->init_arraysz, "DT_INIT_ARRAY", err)) ||
        (rc = check_array(obj, d->fini_array, d->fini_arraysz, "DT_FINI_ARRAY", err)) ||
        (d->fini && (rc = check_code(obj, d->fini, "DT_FINI", 0, err))))
        return rc;
    obj->initialised = true;
    for (size_t i = 0; i < d->preinit_arraysz / sizeof(uintptr_t); i++)
        call(obj, ELFLDR_INIT_PREINIT_ARRAY, (unsigned)i, array_entry(d->preinit_array, i));
    if (d->init)
        call(obj, ELFLDR_INIT_DT_INIT, 0, d->init);
    for (size_t i = 0; i < d->init_arraysz / sizeof(uintptr_t); i++)
        call(obj, ELFLDR_INIT_INIT_ARRAY, (unsigned)i, array_entry(d->init_array, i));
    return 0;
}

int check_constructors(const struct elfldr_obj *obj, struct elfldr_error *err)
{
    const struct dyninfo *d = &obj->dyn;
    int rc;
    if ((d->init && (rc = check_code(obj, d->init, "DT_INIT", 0, err))) ||
        (d->fini && (rc = check_code(obj, d->fini, "DT_FINI", 0, err))))
        return rc;
    /* A position-independent image's entries are link-time addresses until relocated: what they will
     * hold is checked with each relative relocation, in check_constructor_slot. */
    if (obj->type != ET_EXEC)
        return 0;
    if ((rc = check_array(obj, d->preinit_array, d->preinit_arraysz, "DT_PREINIT_ARRAY", err)) ||
        (rc = check_array(obj, d->init_array, d->init_arraysz, "DT_INIT_ARRAY", err)) ||
        (rc = check_array(obj, d->fini_array, d->fini_arraysz, "DT_FINI_ARRAY", err)))
        return rc;
    return 0;
}

int check_constructor_slot(const struct elfldr_obj *obj, uintptr_t where, uintptr_t value, struct elfldr_error *err)
{
    const struct dyninfo *d = &obj->dyn;
    const struct {
        uintptr_t array;
        uint64_t size;
        const char *what;
    } arrays[] = {
        {d->preinit_array, d->preinit_arraysz, "DT_PREINIT_ARRAY"},
        {d->init_array, d->init_arraysz, "DT_INIT_ARRAY"},
        {d->fini_array, d->fini_arraysz, "DT_FINI_ARRAY"},
    };
    for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
        if (where >= arrays[i].array && where - arrays[i].array < arrays[i].size)
            return check_code(obj, value, arrays[i].what, (where - arrays[i].array) / sizeof(uintptr_t), err);
    return 0;
}

int run_destructors(struct elfldr_obj *obj, struct elfldr_error *err)
{
    const struct dyninfo *d = &obj->dyn;
    if (!obj->initialised)
        return 0;
    obj->initialised = false;
    /* Checked again: the arrays lie in memory the object's own code could have changed since. */
    int rc;
    if ((rc = check_array(obj, d->fini_array, d->fini_arraysz, "DT_FINI_ARRAY", err)) ||
        (d->fini && (rc = check_code(obj, d->fini, "DT_FINI", 0, err))))
        return rc;
    for (size_t i = d->fini_arraysz / sizeof(uintptr_t); i-- > 0;)
        call(obj, ELFLDR_FINI_FINI_ARRAY, (unsigned)i, array_entry(d->fini_array, i));
    if (d->fini)
        call(obj, ELFLDR_FINI_DT_FINI, 0, d->fini);
    return 0;
}
