/* libdata: pointers that only RELATIVE relocations make right, looked up and called through elfldr_sym,
 * plus what elfldr_get_info reports about the object. */
#include "elf_file.h"
#include "harness.h"

#include <stdlib.h>
#include <string.h>

typedef int (*int_fn)(void);
typedef const char *(*name_fn)(int);
typedef int (*apply_fn)(int, int, int);

static void check_data_functions(const struct elfldr_obj *obj)
{
    cr_assert_eq(SYM_FN(obj, int_fn, "data_name_count")(), 4);
    name_fn name = SYM_FN(obj, name_fn, "data_name");
    cr_assert_str_eq(name(0), "alpha");
    cr_assert_str_eq(name(1), "beta");
    cr_assert_str_eq(name(2), "gamma");
    cr_assert_str_eq(name(3), "delta");
    cr_assert_null(name(4));
    cr_assert_eq(SYM_FN(obj, int_fn, "data_name_length_sum")(), 19);

    apply_fn apply = SYM_FN(obj, apply_fn, "data_apply");
    cr_assert_eq(apply(0, 6, 7), 13);
    cr_assert_eq(apply(1, 6, 7), -1);
    cr_assert_eq(apply(2, 6, 7), 42);

    cr_assert_eq(SYM_FN(obj, int_fn, "data_chain_sum")(), 337);
    cr_assert_eq(SYM_FN(obj, int_fn, "data_private_sum")(), 27);
    cr_assert_str_eq((const char *)sym_ok(obj, "data_greeting"), "hello from data");
}

TEST_EVERY_WAY(data, relative_pointers_work)
{
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_DATA, NULL);
    check_data_functions(obj);
    harness_unload_ok(h, obj);
}

TEST_EVERY_WAY(data, weak_undefined_is_null)
{
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_DATA, NULL);
    cr_assert_eq(SYM_FN(obj, int_fn, "data_weak_is_bound")(), 0,
                 "a weak reference nothing defines did not resolve to 0");
    harness_unload_ok(h, obj);
}

TEST_EVERY_WAY(data, data_is_writable)
{
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_DATA, NULL);
    int_fn next = SYM_FN(obj, int_fn, "data_counter_next");
    cr_assert_eq(next(), 1);
    cr_assert_eq(next(), 2);
    cr_assert_eq(next(), 3);
    harness_unload_ok(h, obj);
}

TEST_EVERY_WAY(data, missing_hidden_and_local_symbols_are_not_found)
{
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_DATA, NULL);
    cr_assert_null(elfldr_sym(obj, "data_no_such_symbol"));
    cr_assert_null(elfldr_sym(obj, ""));
    cr_assert_null(elfldr_sym(obj, "data_hidden"), "a hidden-visibility symbol was found");
    cr_assert_null(elfldr_sym(obj, "data_local"), "a static function was found");
    cr_assert_null(elfldr_sym(obj, "data_weak_missing"), "an undefined reference was found as a definition");
    /* A prefix of a real name is not that name. */
    cr_assert_null(elfldr_sym(obj, "data_name_coun"));
    cr_assert_null(elfldr_sym(obj, "data_name_count_"));

    uintptr_t address = 1;
    const struct elfldr_sym *sym = NULL;
    cr_assert_eq(elfldr_lookup(obj, "data_no_such_symbol", NULL, &address, &sym), ELFLDR_E_NOT_FOUND);
    cr_assert_eq(elfldr_lookup(obj, "data_apply", NULL, &address, &sym), 0);
    cr_assert_eq(address, (uintptr_t)elfldr_sym(obj, "data_apply"));
    cr_assert_not_null(sym);
    cr_assert_eq(sym->st_info & 0xf, STT_FUNC);
    harness_unload_ok(h, obj);
}

TEST_EVERY_WAY(data, info_describes_the_object)
{
    struct elf_file file;
    elf_file_read(FIXTURE_DATA, &file);
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_DATA, NULL);
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);

    cr_assert_str_eq(info.name, FIXTURE_DATA);
    cr_assert_not_null(info.soname);
    cr_assert_str_eq(info.soname, "libdata.so.1");
    cr_assert_null(info.interp);
    cr_assert_eq(info.type, 3, "type %u, expected ET_DYN", info.type);
    cr_assert_eq(info.needed_count, 0);
    cr_assert_null(elfldr_needed(obj, 0));
    cr_assert_not(info.exec_stack, "PT_GNU_STACK is RW but exec_stack is set");
    cr_assert_not(info.textrel);
    cr_assert_not(info.bind_now, "linked with -z lazy but bind_now is set");
    cr_assert_eq(info.tls_image, 0);
    cr_assert_eq(info.tls_memsz, 0);

    cr_assert_eq(info.load_bias % h->inner.page_size, 0, "load bias %#lx not page aligned",
                 (unsigned long)info.load_bias);
    cr_assert_eq(info.phnum, file.ehdr->e_phnum);
    cr_assert_not_null(info.phdrs);
    uint64_t span_end = 0;
    for (size_t i = 0; i < info.phnum; i++) {
        const Elf64_Phdr *ph = elf_file_phdr(&file, i);
        cr_assert_eq(info.phdrs[i].p_type, ph->p_type, "phdr %zu", i);
        cr_assert_eq(info.phdrs[i].p_flags, ph->p_flags, "phdr %zu", i);
        cr_assert_eq(info.phdrs[i].p_vaddr, ph->p_vaddr, "phdr %zu", i);
        cr_assert_eq(info.phdrs[i].p_memsz, ph->p_memsz, "phdr %zu", i);
        if (ph->p_type == PT_LOAD && ph->p_vaddr + ph->p_memsz > span_end)
            span_end = ph->p_vaddr + ph->p_memsz;
        if (ph->p_type == PT_DYNAMIC)
            cr_assert_eq(info.dynamic, info.load_bias + ph->p_vaddr);
    }
    /* Every segment lies inside the reserved span. */
    cr_assert_leq(info.base, info.load_bias);
    cr_assert_geq(info.base + info.span, info.load_bias + span_end);
    cr_assert_neq(info.dynamic, 0);

    /* The loaded symbol is where the file says, moved by the load bias. */
    struct file_sym *syms;
    size_t nsyms = elf_file_dynsyms(&file, &syms);
    bool seen = false;
    for (size_t i = 0; i < nsyms; i++) {
        if (strcmp(syms[i].name, "data_apply") == 0) {
            cr_assert_eq((uintptr_t)elfldr_sym(obj, "data_apply"), info.load_bias + syms[i].value);
            seen = true;
        }
    }
    cr_assert(seen);
    free(syms);
    elf_file_free(&file);
    harness_unload_ok(h, obj);
}

TEST_EVERY_WAY(data, two_loads_are_independent)
{
    struct elfldr_obj *first = harness_load_ok(h, FIXTURE_DATA, NULL);
    struct elfldr_obj *second = harness_load_ok(h, FIXTURE_DATA, NULL);
    struct elfldr_info first_info, second_info;
    cr_assert_eq(elfldr_get_info(first, &first_info), 0);
    cr_assert_eq(elfldr_get_info(second, &second_info), 0);
    cr_assert(first_info.base + first_info.span <= second_info.base
                  || second_info.base + second_info.span <= first_info.base,
              "two loads overlap");

    int_fn first_next = SYM_FN(first, int_fn, "data_counter_next");
    int_fn second_next = SYM_FN(second, int_fn, "data_counter_next");
    cr_assert_eq(first_next(), 1);
    cr_assert_eq(first_next(), 2);
    cr_assert_eq(second_next(), 1, "the second copy shares the first one's data");

    harness_unload_ok(h, first);
    /* The second copy still works once the first is gone. */
    check_data_functions(second);
    cr_assert_eq(second_next(), 2);
    harness_unload_ok(h, second);
}
