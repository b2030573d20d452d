/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ctors: the order in which the C library runs .preinit_array, constructors with and without a
 * priority, main, atexit handlers and destructors. Each step prints one line; a direct run and a run
 * through mini-loader must print the same lines (a static program runs them itself from the
 * program headers and the auxiliary vector, a dynamic one through ld.so).
 */
#include <stdio.h>
#include <stdlib.h>

static int step;

static void say(const char *what) { printf("%d %s\n", ++step, what); }

static void preinit(int argc, char **argv, char **envp)
{
    /* .preinit_array entries get argc, argv and envp, as .init_array entries do. */
    say(argc > 0 && argv[0] && envp ? "preinit_array (with argc, argv, envp)" : "preinit_array (no args)");
}
__attribute__((section(".preinit_array"), used)) static void (*const preinit_entry)(int, char **, char **) =
    preinit;

__attribute__((constructor(101))) static void ctor_101(void) { say("constructor 101"); }
__attribute__((constructor(202))) static void ctor_202(void) { say("constructor 202"); }
__attribute__((constructor)) static void ctor_plain(void) { say("constructor"); }
__attribute__((destructor)) static void dtor_plain(void) { say("destructor"); }
__attribute__((destructor(101))) static void dtor_101(void) { say("destructor 101"); }

static void at_exit_1(void) { say("atexit 1"); }
static void at_exit_2(void) { say("atexit 2"); }

int main(void)
{
    say("main");
    atexit(at_exit_1);
    atexit(at_exit_2);
    return 7;
}
