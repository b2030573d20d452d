/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Where an object's .eh_frame starts, read from .eh_frame_hdr (PT_GNU_EH_FRAME): its second field is
 * a pointer to .eh_frame in one of the DWARF pointer encodings (LSB "Exception Frames").
 */
#include "internal.h"

#define DW_EH_PE_omit 0xff
#define DW_EH_PE_pcrel 0x10
#define DW_EH_PE_datarel 0x30

/* Read one encoded value at `at`; false for an encoding this does not know, or past the image. */
static bool read_encoded(const struct elfldr_obj *obj, uintptr_t at, unsigned char encoding, uintptr_t hdr,
                         uintptr_t *out)
{
    size_t size;
    bool is_signed = encoding & 0x08;
    switch (encoding & 0x07) {
    case 0x00: size = 8; break; /* absptr, udata8/sdata8 share it below */
    case 0x02: size = 2; break;
    case 0x03: size = 4; break;
    case 0x04: size = 8; break;
    default: return false;
    }
    if (!in_image(obj, at, size))
        return false;
    uint64_t raw = 0;
    __builtin_memcpy(&raw, (const void *)at, size);
    if (is_signed && size < 8 && (raw >> (size * 8 - 1)) & 1)
        raw |= ~(uint64_t)0 << (size * 8);
    switch (encoding & 0x70) {
    case 0x00: break;
    case DW_EH_PE_pcrel: raw += at; break;
    case DW_EH_PE_datarel: raw += hdr; break;
    default: return false;
    }
    *out = (uintptr_t)raw;
    return true;
}

const void *elfldr_eh_frame(const struct elfldr_obj *obj)
{
    if (!obj)
        return NULL;
    for (size_t i = 0; i < obj->phnum; i++) {
        const struct elfldr_phdr *ph = &obj->phdrs[i];
        if (ph->p_type != PT_GNU_EH_FRAME)
            continue;
        uintptr_t hdr = obj->load_bias + ph->p_vaddr;
        if (!in_image(obj, hdr, 4))
            return NULL;
        const unsigned char *h = (const unsigned char *)hdr;
        uintptr_t frame;
        if (h[0] != 1 || h[1] == DW_EH_PE_omit || !read_encoded(obj, hdr + 4, h[1], hdr, &frame))
            return NULL;
        return in_image(obj, frame, 4) ? (const void *)frame : NULL;
    }
    return NULL;
}
