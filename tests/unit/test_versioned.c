/* Symbol versions: libversioned defines answer@VERS_1 (1), answer@@VERS_2 (2) and secret@VERS_1 (7,
 * hidden only); libversioned_user binds to both versions of `answer` through its relocations. */
#include "elf_file.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*int_fn)(void);

TEST_EVERY_WAY(versioned, lookup_by_version)
{
    /* The file is what the test assumes: `secret` exists only as a hidden version. */
    struct elf_file file;
    elf_file_read(FIXTURE_VERSIONED, &file);
    struct file_sym *syms;
    size_t nsyms = elf_file_dynsyms(&file, &syms);
    size_t secrets = 0;
    for (size_t i = 0; i < nsyms; i++) {
        if (strcmp(syms[i].name, "secret") == 0) {
            cr_assert(syms[i].hidden_version, "secret is not hidden in the fixture");
            secrets++;
        }
    }
    cr_assert_eq(secrets, 1);
    free(syms);
    elf_file_free(&file);

    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_VERSIONED, NULL);

    int_fn answer_default = (int_fn)(uintptr_t)elfldr_sym(obj, "answer");
    int_fn answer_v1 = (int_fn)(uintptr_t)elfldr_vsym(obj, "answer", "VERS_1");
    int_fn answer_v2 = (int_fn)(uintptr_t)elfldr_vsym(obj, "answer", "VERS_2");
    cr_assert_not_null(answer_default);
    cr_assert_not_null(answer_v1, "elfldr_vsym did not find answer@VERS_1");
    cr_assert_not_null(answer_v2, "elfldr_vsym did not find answer@@VERS_2");
    cr_assert_eq(answer_default(), 2, "elfldr_sym did not pick the default version");
    cr_assert_eq(answer_v1(), 1);
    cr_assert_eq(answer_v2(), 2);
    cr_assert_eq(answer_default, answer_v2);

    cr_assert_null(elfldr_vsym(obj, "answer", "VERS_3"));
    cr_assert_null(elfldr_vsym(obj, "answer", "VERS"));
    cr_assert_null(elfldr_vsym(obj, "answer", ""));

    cr_assert_null(elfldr_sym(obj, "secret"), "elfldr_sym returned a symbol that only has a hidden version");
    int_fn secret = (int_fn)(uintptr_t)elfldr_vsym(obj, "secret", "VERS_1");
    cr_assert_not_null(secret, "elfldr_vsym did not find secret@VERS_1");
    cr_assert_eq(secret(), 7);
    cr_assert_null(elfldr_vsym(obj, "secret", "VERS_2"));

    uintptr_t address = 0;
    const struct elfldr_sym *sym = NULL;
    cr_assert_eq(elfldr_lookup(obj, "answer", "VERS_1", &address, &sym), 0);
    cr_assert_eq(address, (uintptr_t)answer_v1);
    cr_assert_eq(elfldr_lookup(obj, "secret", NULL, &address, &sym), ELFLDR_E_NOT_FOUND);

    harness_unload_ok(h, obj);
}

TEST_EVERY_WAY(versioned, relocations_bind_the_version_they_ask_for)
{
    struct elfldr_obj *lib = harness_load_ok(h, FIXTURE_VERSIONED, NULL);
    struct elfldr_obj *const scope[] = {lib};
    struct elfldr_load_opts opts = {.scope = scope, .scope_len = 1};
    struct elfldr_obj *user = harness_load_ok(h, FIXTURE_VERSIONED_USER, &opts);

    cr_assert_eq(SYM_FN(user, int_fn, "user_answer_default")(), 2,
                 "the unversioned-in-source reference did not bind answer@@VERS_2");
    cr_assert_eq(SYM_FN(user, int_fn, "user_answer_v1")(), 1,
                 "the reference to answer@VERS_1 bound to another version");

    harness_unload_ok(h, user);
    harness_unload_ok(h, lib);
}

static int supplied_v1(void) { return 101; }
static int supplied_v2(void) { return 102; }

struct resolve_log {
    int calls;
    int v1_calls, v2_calls;
    char unexpected[128];
};

static int resolve_by_version(void *ctx, const struct elfldr_obj *obj, const char *name, const char *version,
                              uintptr_t *addr)
{
    (void)obj;
    struct resolve_log *log = ctx;
    log->calls++;
    if (strcmp(name, "answer") == 0 && version != NULL && strcmp(version, "VERS_1") == 0) {
        log->v1_calls++;
        *addr = (uintptr_t)supplied_v1;
        return ELFLDR_HOOK_CONTINUE;
    }
    if (strcmp(name, "answer") == 0 && version != NULL && strcmp(version, "VERS_2") == 0) {
        log->v2_calls++;
        *addr = (uintptr_t)supplied_v2;
        return ELFLDR_HOOK_CONTINUE;
    }
    snprintf(log->unexpected, sizeof(log->unexpected), "%s@%s", name, version ? version : "(none)");
    return ELFLDR_HOOK_SKIP;
}

/* Without libversioned in the scope, the resolve hook is asked, and is told which version. */
TEST_EVERY_WAY(versioned, resolve_hook_is_told_the_version)
{
    struct resolve_log log = {0};
    struct elfldr_hooks hooks = {.ctx = &log, .resolve = resolve_by_version};
    struct elfldr_load_opts opts = {.hooks = &hooks};
    struct elfldr_obj *user = harness_load_ok(h, FIXTURE_VERSIONED_USER, &opts);

    cr_assert_eq(SYM_FN(user, int_fn, "user_answer_default")(), 102);
    cr_assert_eq(SYM_FN(user, int_fn, "user_answer_v1")(), 101);
    cr_assert_str_empty(log.unexpected, "the hook was asked for %s", log.unexpected);
    cr_assert_geq(log.v1_calls, 1);
    cr_assert_geq(log.v2_calls, 1);

    harness_unload_ok(h, user);
}
