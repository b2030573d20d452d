/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Lazy binding: with ELFLDR_LOAD_LAZY a JUMP_SLOT is resolved at its first call. The PLT reaches the
 * architecture's entry (arch_lazy.h) through GOT[2] with the object (GOT[1]) and the relocation's
 * index; lazy_fixup binds that one slot as the load would have, through the same scope and hooks, and
 * returns where the call goes. A slot that cannot be bound yields 0: the call faults there, as there
 * is no one to tell.
 */
#include "arch_lazy.h"
#include "internal.h"

#if ARCH_LAZY
__asm__(ARCH_LAZY_ASM);
extern const char elfldr_lazy_entry[] __attribute__((visibility("hidden")));
#endif

bool lazy_supported(void) { return ARCH_LAZY; }

#if ARCH_LAZY
unsigned lazy_got_object_slot(void) { return ARCH_LAZY_GOT_OBJECT; }
unsigned lazy_got_entry_slot(void) { return ARCH_LAZY_GOT_ENTRY; }
#else
unsigned lazy_got_object_slot(void) { return 1; }
unsigned lazy_got_entry_slot(void) { return 2; }
#endif

uintptr_t lazy_entry_address(void)
{
#if ARCH_LAZY
    return (uintptr_t)elfldr_lazy_entry;
#else
    return 0;
#endif
}

__attribute__((used)) uintptr_t lazy_fixup(struct elfldr_obj *obj, uintptr_t index)
{
    uintptr_t target = 0;
    if (apply_one_jump_slot(obj, index, &target) != 0)
        return 0;
    return target;
}
