/* A process that loads libcallee through an elfldr namespace that debuggers are told of, says
 * "ready" and waits to be looked at by a debugger (at most a minute). */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>

#include <elfldr.h>

int main(void)
{
    struct elfldr_ns_config cfg = {.debugger = true};
    struct elfldr_ns *ns = elfldr_ns_new(&cfg);
    void *callee = ns ? elfldr_dlopen(ns, FIXTURE_CALLEE, 0) : NULL;
    if (!callee) {
        fprintf(stderr, "gdb_target: %s\n", ns ? elfldr_dlerror(ns) : "no namespace");
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < 600; i++)
        usleep(100000);
    elfldr_dlclose(callee);
    elfldr_ns_free(ns);
    return 0;
}
