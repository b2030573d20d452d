/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * copyreloc: a non-PIE program that uses data objects defined in shared objects (an array of
 * libcopylib, and stdout and environ of libc), which the linker satisfies with COPY relocations. The
 * program and the library must see one copy: what the program writes, the library reads.
 */
#include <stdio.h>
#include <string.h>

extern int lib_counter[16];
extern const char lib_message[];
extern char **environ;
int lib_sum(void);

int main(void)
{
    int before = lib_sum();
    int own = 0;
    for (int i = 0; i < 16; i++)
        own += lib_counter[i];
    lib_counter[0] = 100;
    int after = lib_sum();
    fprintf(stdout, "lib_message=%s\n", lib_message);
    fprintf(stdout, "sum before=%d (program reads %d), after writing lib_counter[0]=100: %d\n", before, own,
            after);
    int env_count = 0;
    for (char **e = environ; *e; e++)
        env_count++;
    fprintf(stdout, "environ has %d entries\n", env_count);
    int good = before == 136 && own == 136 && after == 235 && env_count > 0;
    fprintf(stdout, "%s\n", good ? "copyreloc: ok" : "copyreloc: FAIL");
    return good ? 0 : 1;
}
