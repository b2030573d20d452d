/* SPDX-License-Identifier: BSD-2-Clause */
/* The shared library whose data the copyreloc program reads through COPY relocations. */
int lib_counter[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
const char lib_message[] = "hello from libcopylib";

/* Reads lib_counter through the GOT, which must point at the program's copy. */
int lib_sum(void);
int lib_sum(void)
{
    int sum = 0;
    for (int i = 0; i < 16; i++)
        sum += lib_counter[i];
    return sum;
}
