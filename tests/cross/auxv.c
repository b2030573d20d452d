/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * auxv: what a program sees of how it was started, one line each, for mini_qemu.sh to compare between
 * a direct run under qemu-user and a run through mini-loader under qemu-user. Lines that start with
 * "qemu-limit:" show what qemu-user itself decides and a loader inside the guest cannot change:
 *  - qemu 7.2 maps no vDSO for these guests, so AT_SYSINFO_EHDR is absent in both runs;
 *  - /proc/self/exe and /proc/self/comm are emulated by qemu from the program qemu was started with
 *    (mini-loader's, in a run through it), not from what the guest loaded; comm is "qemu-ARCH" in a
 *    direct run (mini-loader names the process itself, as execve would).
 * The driver prints those lines and does not compare them.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern const ElfW(Ehdr) __ehdr_start;

int main(int argc, char **argv)
{
    const ElfW(Ehdr) *eh = &__ehdr_start;
    uintptr_t phdr = (uintptr_t)eh + eh->e_phoff;
    printf("argc=%d argv[0]=%s\n", argc, argv[0]);
    printf("AT_PHDR is this program's headers: %s\n", getauxval(AT_PHDR) == phdr ? "yes" : "no");
    printf("AT_PHNUM=%lu (e_phnum %u)\n", getauxval(AT_PHNUM), eh->e_phnum);
    printf("AT_PHENT=%lu\n", getauxval(AT_PHENT));
    printf("AT_PAGESZ=%lu\n", getauxval(AT_PAGESZ));
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("AT_EXECFN is argv[0]: %s\n", execfn && strcmp(execfn, argv[0]) == 0 ? "yes" : "no");
    printf("AT_RANDOM present: %s\n", getauxval(AT_RANDOM) ? "yes" : "no");
    printf("AT_SECURE=%lu\n", getauxval(AT_SECURE));
    printf("qemu-limit: AT_SYSINFO_EHDR %s (qemu 7.2 user mode gives these guests no vDSO)\n",
           getauxval(AT_SYSINFO_EHDR) ? "present" : "absent");
    char exe[4096] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n > 0)
        exe[n] = '\0';
    printf("qemu-limit: /proc/self/exe -> %s (qemu's own emulation)\n", exe);
    char comm[64] = "";
    FILE *f = fopen("/proc/self/comm", "r");
    if (f) {
        if (!fgets(comm, sizeof(comm), f))
            comm[0] = '\0';
        fclose(f);
    }
    comm[strcspn(comm, "\n")] = '\0';
    printf("qemu-limit: comm = %s (qemu's own)\n", comm);
    return 0;
}
