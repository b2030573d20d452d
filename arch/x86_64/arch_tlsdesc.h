/* SPDX-License-Identifier: BSD-2-Clause */
/* x86_64 TLS descriptors: no resolvers yet; R_*_TLSDESC answers ELFLDR_E_UNSUPPORTED. */
#ifndef ELFLDR_ARCH_TLSDESC_H
#define ELFLDR_ARCH_TLSDESC_H

#define ARCH_TLSDESC 0

#endif
