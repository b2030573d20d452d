/* SPDX-License-Identifier: BSD-2-Clause */
/* The fuzz build of the core for aarch64 relocation code on another host: this folder comes first in the
 * include path, so the core takes aarch64's relocation map (machine, types, classes) from here and the
 * host's headers for everything that runs (system calls, thread pointer, lazy and TLS entries). */
#include "../../../arch/aarch64/arch_reloc.h"
