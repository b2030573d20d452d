/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The victim of the malformed-image tests: a small, valid shared library built without libc.
 * Each construct below exists so that a corruption has something real to aim at:
 *  - a .interp section, so that the image has PT_INTERP and PT_PHDR (as glibc's libc.so.6 does);
 *  - data pointers to local data and functions (R_*_RELATIVE);
 *  - data pointers to exported symbols, which may be interposed (R_*_64 / ABS64 against a symbol);
 *  - exported data read from code (R_*_GLOB_DAT) and an exported function called from code (a PLT
 *    slot: R_*_JUMP_SLOT in DT_JMPREL);
 *  - a constructor (DT_INIT_ARRAY, filled by a RELATIVE relocation), a destructor (DT_FINI_ARRAY)
 *    and DT_INIT (given to the linker with -init);
 *  - a version script, so that DT_VERSYM and DT_VERDEF exist;
 *  - an entry point, so that it also runs as a program (through mini-loader and ld.so).
 */

#if defined(__x86_64__)
#define VICTIM_INTERP "/lib64/ld-linux-x86-64.so.2"
#elif defined(__aarch64__)
#define VICTIM_INTERP "/lib/ld-linux-aarch64.so.1"
#else
#define VICTIM_INTERP "/lib/ld-linux-riscv64-lp64d.so.1"
#endif

__attribute__((section(".interp"), used)) static const char victim_interp[] = VICTIM_INTERP;

int victim_counter = 40;
int victim_constructed;
int victim_dt_init_ran;
int victim_destructed;

static int local_value = 2;

int victim_add(int a, int b);

int *victim_local_ptr = &local_value;
int *victim_counter_ptr = &victim_counter;
int (*victim_add_ptr)(int, int) = victim_add;

int victim_add(int a, int b)
{
    return a + b;
}

/* 42 once relocated: the PLT call, the GOT load and the RELATIVE pointer all have to be right. */
int victim_answer(void)
{
    return victim_add(victim_counter, *victim_local_ptr);
}

__attribute__((constructor)) static void victim_construct(void)
{
    victim_constructed = 1;
}

__attribute__((destructor)) static void victim_destruct(void)
{
    victim_destructed = 1;
}

/* Named to the linker with -init, so that the image has DT_INIT as well as DT_INIT_ARRAY. */
void victim_dt_init(void)
{
    victim_dt_init_ran = 1;
}

/* The entry point (-e victim_entry), for running the victim as a program as the mini-loader table
 * does (ld.so relocates it as its main program, then jumps here): exit 0 at once, by exit_group. */
__attribute__((noreturn)) void victim_entry(void);
void victim_entry(void)
{
#if defined(__x86_64__)
    __asm__ volatile("mov $231, %eax\n\txor %edi, %edi\n\tsyscall");
#elif defined(__aarch64__)
    __asm__ volatile("mov x8, #94\n\tmov x0, #0\n\tsvc #0");
#else
    __asm__ volatile("li a7, 94\n\tli a0, 0\n\tecall");
#endif
    __builtin_unreachable();
}
