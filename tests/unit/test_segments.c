/* Segment placement: a bss that starts in the middle of a file page and runs for megabytes must read as
 * zeros and be writable; a library linked for 64 KiB pages must be placed on a 64 KiB boundary. */
#include "elf_file.h"
#include "harness.h"

typedef size_t (*size_fn)(void);
typedef int (*store_fn)(size_t, char);
typedef int (*int_fn)(void);

TEST_EVERY_WAY(segments, bss_reads_zero_and_is_writable)
{
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_BIGBSS, NULL);
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);

    /* Find the segment with a bss and check the fixture is shaped as the test needs. */
    const struct elfldr_phdr *bss_segment = NULL;
    for (size_t i = 0; i < info.phnum; i++)
        if (info.phdrs[i].p_type == PT_LOAD && info.phdrs[i].p_memsz > info.phdrs[i].p_filesz)
            bss_segment = &info.phdrs[i];
    cr_assert_not_null(bss_segment, "the fixture has no bss");
    uintptr_t file_end = info.load_bias + bss_segment->p_vaddr + bss_segment->p_filesz;
    uintptr_t mem_end = info.load_bias + bss_segment->p_vaddr + bss_segment->p_memsz;
    cr_assert_neq(file_end % h->inner.page_size, 0, "the fixture's data ends on a page boundary");
    cr_assert_geq(mem_end - file_end, (size_t)8 << 20);

    /* Every byte from the end of the file's data to the end of the segment reads zero, including the rest
     * of the last file page. */
    const unsigned char *bytes = (const unsigned char *)file_end;
    size_t nonzero = 0, first_nonzero = 0;
    for (size_t i = 0; i < mem_end - file_end; i++) {
        if (bytes[i] != 0 && nonzero++ == 0)
            first_nonzero = i;
    }
    cr_assert_eq(nonzero, 0, "%zu non-zero bss bytes, the first at segment file end + %#zx", nonzero,
                 first_nonzero);
    /* The data just before it survived. */
    const char *tail_data = sym_ok(obj, "bigbss_tail_data");
    cr_assert_eq(tail_data[0], 1);
    cr_assert_eq(tail_data[2], 3);

    cr_assert_eq(SYM_FN(obj, size_fn, "bigbss_count_nonzero")(), 0);
    store_fn store = SYM_FN(obj, store_fn, "bigbss_store_and_load");
    size_t size = SYM_FN(obj, size_fn, "bigbss_size")();
    cr_assert_eq(store(0, 11), 11);
    cr_assert_eq(store(size / 2, 22), 22);
    cr_assert_eq(store(size - 1, 33), 33);
    char *small = sym_ok(obj, "bigbss_small");
    small[0] = 1;
    small[99] = 2;
    cr_assert_eq(SYM_FN(obj, size_fn, "bigbss_count_nonzero")(), 5);

    harness_unload_ok(h, obj);
}

TEST_EVERY_WAY(segments, bss_is_zero_again_in_a_new_load)
{
    struct elfldr_obj *first = harness_load_ok(h, FIXTURE_BIGBSS, NULL);
    SYM_FN(first, store_fn, "bigbss_store_and_load")(12345, 9);
    harness_unload_ok(h, first);

    /* The arena may well hand out the same memory again; it must be zero regardless. */
    struct elfldr_obj *second = harness_load_ok(h, FIXTURE_BIGBSS, NULL);
    cr_assert_eq(SYM_FN(second, size_fn, "bigbss_count_nonzero")(), 0);
    harness_unload_ok(h, second);
}

TEST_EVERY_WAY(segments, align_64k_is_honoured)
{
    struct elf_file file;
    elf_file_read(FIXTURE_ALIGN64K, &file);
    size_t loads = 0;
    for (size_t i = 0; i < file.ehdr->e_phnum; i++) {
        const Elf64_Phdr *ph = elf_file_phdr(&file, i);
        if (ph->p_type == PT_LOAD) {
            cr_assert_eq(ph->p_align, 0x10000, "the fixture's segment %zu has p_align %#lx", i,
                         (unsigned long)ph->p_align);
            loads++;
        }
    }
    cr_assert_geq(loads, 2);
    elf_file_free(&file);

    /* Several at once, so a lucky first placement cannot pass for alignment. */
    struct elfldr_obj *objs[4];
    for (size_t i = 0; i < 4; i++) {
        objs[i] = harness_load_ok(h, FIXTURE_ALIGN64K, NULL);
        struct elfldr_info info;
        cr_assert_eq(elfldr_get_info(objs[i], &info), 0);
        cr_assert_eq(info.load_bias % 0x10000, 0, "load %zu: bias %#lx is not 64 KiB aligned", i,
                     (unsigned long)info.load_bias);
        cr_assert_eq(SYM_FN(objs[i], int_fn, "align_sum")(), 15);
    }
    for (size_t i = 0; i < 4; i++)
        harness_unload_ok(h, objs[i]);
}

/* With the Linux table, every page of every segment has the protection its p_flags ask for, except
 * PT_GNU_RELRO, which is read-only once relocated (both ends rounded down to pages, as glibc does). */
static void check_protections(struct harness *h, const char *path, struct elfldr_obj *const *scope,
                              size_t scope_len, bool expect_hole)
{
    size_t holes_checked = 0;
    struct elfldr_load_opts opts = {.scope = scope, .scope_len = scope_len};
    struct elfldr_obj *obj = harness_load_ok(h, path, &opts);
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);
    uintptr_t page = h->inner.page_size;

    uintptr_t relro_start = 0, relro_end = 0;
    for (size_t i = 0; i < info.phnum; i++) {
        if (info.phdrs[i].p_type == PT_GNU_RELRO) {
            relro_start = (info.load_bias + info.phdrs[i].p_vaddr) & ~(page - 1);
            relro_end = (info.load_bias + info.phdrs[i].p_vaddr + info.phdrs[i].p_memsz) & ~(page - 1);
        }
    }

    size_t pages_checked = 0, relro_pages = 0;
    uintptr_t prev_end = 0;
    for (size_t i = 0; i < info.phnum; i++) {
        const struct elfldr_phdr *ph = &info.phdrs[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t start = (info.load_bias + ph->p_vaddr) & ~(page - 1);
        uintptr_t end = (info.load_bias + ph->p_vaddr + ph->p_memsz + page - 1) & ~(page - 1);
        /* Between segments: nothing accessible (inside the span, or given back). */
        for (uintptr_t at = prev_end ? prev_end : start; at < start; at += page) {
            char actual[5];
            if (maps_permissions(at, actual))
                cr_assert(actual[0] == '-' && actual[1] == '-' && actual[2] == '-',
                          "the hole before segment %zu: page at +%#lx is %.3s", i, (unsigned long)(at - info.load_bias),
                          actual);
            holes_checked++;
        }
        prev_end = end;
        for (uintptr_t at = start; at < end; at += page) {
            bool relro = at >= relro_start && at < relro_end;
            char expected[4] = {
                (ph->p_flags & PF_R) ? 'r' : '-',
                (ph->p_flags & PF_W) && !relro ? 'w' : '-',
                (ph->p_flags & PF_X) ? 'x' : '-',
                '\0',
            };
            char actual[5];
            cr_assert(maps_permissions(at, actual), "segment %zu: page %#lx is not mapped", i, (unsigned long)at);
            actual[3] = '\0';
            cr_assert_str_eq(actual, expected, "segment %zu: page at +%#lx is %s, expected %s%s", i,
                             (unsigned long)(at - info.load_bias), actual, expected, relro ? " (RELRO)" : "");
            pages_checked++;
            relro_pages += relro;
        }
    }
    cr_assert_geq(pages_checked, 3);
    if (expect_hole)
        cr_assert_geq(holes_checked, 16, "only %zu pages between segments", holes_checked);
    if (relro_end > relro_start)
        cr_assert_gt(relro_pages, 0);
    harness_unload_ok(h, obj);
}

/* The arena enforces no protection, so only the Linux ways. */
TEST_LINUX_WAYS(segments, protections_follow_the_program_headers)
{
    check_protections(h, FIXTURE_DATA, NULL, 0, false);
    check_protections(h, FIXTURE_BIGBSS, NULL, 0, false);
    check_protections(h, FIXTURE_ALIGN64K, NULL, 0, false);
    check_protections(h, FIXTURE_IFUNC, NULL, 0, false);
    check_protections(h, FIXTURE_HOLE, NULL, 0, true);
    struct elfldr_obj *callee = harness_load_ok(h, FIXTURE_CALLEE, NULL);
    struct elfldr_obj *const scope[] = {callee};
    check_protections(h, FIXTURE_CALLER, scope, 1, false);
    harness_unload_ok(h, callee);
}

/* A writable segment that is not where the file's first mapping put it (here: libdata's, at a file
 * offset 0x1000 below its address) is mapped apart; with the Linux table, mapped and made present
 * in one call (map_file_populate), and with a table that has no such call, mapped and then populated.
 * Either way its data reads as the file has it, relocated. With ELFLDR_LOAD_MAP_ONLY nothing is
 * populated, nothing being written, unless ELFLDR_LOAD_POPULATE asks for it as a full load does. */
static void check_data_segment_mapping(struct harness *h, unsigned flags, long want_combined, long want_populate)
{
    h->counting.map_file_populates = h->counting.populates = 0;
    struct elfldr_load_opts opts = {.flags = flags};
    struct elfldr_obj *obj = harness_load_ok(h, FIXTURE_DATA, &opts);
    struct elfldr_info info;
    cr_assert_eq(elfldr_get_info(obj, &info), 0);
    const struct elfldr_phdr *rw = NULL;
    for (size_t i = 0; i < info.phnum; i++)
        if (info.phdrs[i].p_type == PT_LOAD && (info.phdrs[i].p_flags & PF_W))
            rw = &info.phdrs[i];
    cr_assert(rw && rw->p_vaddr - rw->p_offset != 0, "the fixture's writable segment lies as its first does");
    cr_assert_eq(h->counting.map_file_populates, want_combined, "map_file_populate calls: %ld",
                 h->counting.map_file_populates);
    cr_assert_eq(h->counting.populates, want_populate, "populate calls: %ld", h->counting.populates);
    if (!(flags & ELFLDR_LOAD_MAP_ONLY))
        cr_assert_eq(SYM_FN(obj, int_fn, "data_name_length_sum")(), 19);
    harness_unload_ok(h, obj);
}

Test(segments, a_writable_segment_apart_is_mapped_and_populated_in_one_call)
{
    struct harness harness;
    harness_init(&harness, WAY_LINUX_PATH);
    check_data_segment_mapping(&harness, 0, 1, 0);
    check_data_segment_mapping(&harness, ELFLDR_LOAD_MAP_ONLY, 0, 0);
    check_data_segment_mapping(&harness, ELFLDR_LOAD_MAP_ONLY | ELFLDR_LOAD_POPULATE, 1, 0);
    check_data_segment_mapping(&harness, ELFLDR_LOAD_NO_RUN | ELFLDR_LOAD_POPULATE, 1, 0);
    harness_fini(&harness);

    /* The same table without the combined call. */
    harness_init(&harness, WAY_LINUX_PATH);
    harness.inner.map_file_populate = NULL;
    counting_ops_init(&harness.counting, &harness.inner);
    check_data_segment_mapping(&harness, 0, 0, 1);
    check_data_segment_mapping(&harness, ELFLDR_LOAD_MAP_ONLY | ELFLDR_LOAD_POPULATE, 0, 1);
    harness_fini(&harness);
}
