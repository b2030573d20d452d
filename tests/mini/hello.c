/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hello: prints what a program can see of how it was run (argv, one environment variable, stdin),
 * so that a direct run and a run through mini-loader can be compared line for line. It is also the
 * interpreter of the #! script fixtures, which shows the arguments the #! line gave it.
 *   hello exit N      exit with status N
 *   hello signal      die of SIGTERM
 *   hello stdin       also read stdin and print its size and a checksum
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=[%s]\n", i, argv[i]);
    const char *var = getenv("MINI_TEST");
    printf("MINI_TEST=%s\n", var ? var : "(unset)");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "stdin") == 0) {
            unsigned long size = 0, sum = 0;
            int c;
            while ((c = getchar()) != EOF) {
                size++;
                sum = sum * 31 + (unsigned char)c;
            }
            printf("stdin: %lu bytes, checksum %lx\n", size, sum);
        } else if (strcmp(argv[i], "signal") == 0) {
            fflush(stdout);
            raise(SIGTERM);
        } else if (strcmp(argv[i], "exit") == 0 && i + 1 < argc) {
            return atoi(argv[i + 1]);
        }
    }
    return 0;
}
