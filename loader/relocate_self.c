/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Relative relocation for a program that relocates itself (mini-loader, a static-pie). Constraint:
 * this runs before its caller's own relocations are applied, so it must not touch anything that needs
 * one: no global data, no string literal addresses, no function pointers, no switch jump tables (the
 * build gives this file -fno-jump-tables), and no calls but to itself.
 */
#include "internal.h"

struct self_tables {
    uint64_t rela, relasz, relr, relrsz;
};

static void read_tables(const struct elf64_dyn *dyn, struct self_tables *t)
{
    t->rela = t->relasz = t->relr = t->relrsz = 0;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        if (dyn->d_tag == DT_RELA)
            t->rela = dyn->d_val;
        else if (dyn->d_tag == DT_RELASZ)
            t->relasz = dyn->d_val;
        else if (dyn->d_tag == DT_RELR)
            t->relr = dyn->d_val;
        else if (dyn->d_tag == DT_RELRSZ)
            t->relrsz = dyn->d_val;
    }
}

size_t elfldr_relocate_self(uintptr_t load_bias, const void *dynamic)
{
    struct self_tables t;
    size_t others = 0;
    read_tables(dynamic, &t);
    const struct elf64_rela *rela = (const struct elf64_rela *)(load_bias + t.rela);
    for (size_t i = 0; t.rela && i < t.relasz / sizeof(*rela); i++) {
        if (ELF_R_TYPE(rela[i].r_info) == ARCH_R_RELATIVE)
            *(uint64_t *)(load_bias + rela[i].r_offset) = load_bias + (uint64_t)rela[i].r_addend;
        else
            others++;
    }
    const uint64_t *relr = (const uint64_t *)(load_bias + t.relr);
    uint64_t *next = 0;
    for (size_t i = 0; t.relr && i < t.relrsz / 8; i++) {
        if ((relr[i] & 1) == 0) {
            uint64_t *where = (uint64_t *)(load_bias + relr[i]);
            *where += load_bias;
            next = where + 1;
            continue;
        }
        for (unsigned bit = 1; bit < 64; bit++)
            if ((relr[i] >> bit) & 1)
                next[bit - 1] += load_bias;
        next += 63;
    }
    return others;
}
