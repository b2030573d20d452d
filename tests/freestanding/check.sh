#!/usr/bin/env bash
# Checks that the core stays freestanding: what a kernel, a bootloader or mini-loader can link.
#
#   check.sh undefined NM LIBRARY        the core's only outside symbols are memcpy, memmove, memset
#                                        and memcmp (and _GLOBAL_OFFSET_TABLE_, which the linker defines)
#   check.sh nothing NM LIBRARY          the library needs no symbol from outside at all (mini-loader's
#                                        own mem* functions: a call the compiler made to memcpy would
#                                        be a call to themselves)
#   check.sh globals NM OBJDUMP LIBRARY  no writable global or static data: no nm symbol of type
#                                        D d B b C G g S s V and no non-empty writable section.
#                                        .data.rel.ro* is allowed: tables of pointers that PIC code
#                                        places there are written by relocation only, then read-only.
#   check.sh kernel-flags ARCH SRCROOT   every loader/*.c compiles with that architecture's kernel flags
#   check.sh headers SRCROOT             loader/ and arch/ include only freestanding headers and their own
#
# Exit status: 0 pass, 1 fail, 77 skipped (Meson's code for a skipped test).
set -euo pipefail

SKIP=77

die_usage() {
    echo "usage: check.sh undefined NM LIB | nothing NM LIB | globals NM OBJDUMP LIB | kernel-flags ARCH SRCROOT | headers SRCROOT" >&2
    exit 2
}

# The symbols GCC and Clang may call in freestanding code, which whoever links the core supplies.
ALLOWED_UNDEFINED="memcpy memmove memset memcmp _GLOBAL_OFFSET_TABLE_"

check_undefined() {
    local nm="$1" lib="$2" undefined defined outside=() name
    [ -f "$lib" ] || { echo "FAIL: no library at $lib"; return 1; }
    # POSIX format with the member's name: "lib.a[x.o]: NAME TYPE [VALUE SIZE]".
    undefined="$("$nm" -A -P -g "$lib" | awk '$3 == "U" || $3 == "w" || $3 == "v" { print $2 }' | sort -u)"
    defined="$("$nm" -A -P -g --defined-only "$lib" | awk '{ print $2 }' | sort -u)"
    # A symbol one member uses and another defines is not outside the core.
    for name in $(comm -23 <(printf '%s\n' "$undefined") <(printf '%s\n' "$defined")); do
        case " $ALLOWED_UNDEFINED " in
        *" $name "*) echo "allowed: $name" ;;
        *) outside+=("$name") ;;
        esac
    done
    if [ "${#outside[@]}" -ne 0 ]; then
        echo "FAIL: the core needs symbols from outside other than $ALLOWED_UNDEFINED:"
        printf '  %s\n' "${outside[@]}"
        echo "where each is used:"
        for name in "${outside[@]}"; do
            "$nm" -A -P "$lib" | awk -v n="$name" '$2 == n && ($3 == "U" || $3 == "w" || $3 == "v") { print "  " $1 " " n }'
        done
        return 1
    fi
    echo "ok: $(basename "$lib") needs from outside only what it may: $ALLOWED_UNDEFINED"
}

check_nothing() {
    local nm="$1" lib="$2" undefined
    [ -f "$lib" ] || { echo "FAIL: no library at $lib"; return 1; }
    undefined="$("$nm" -A -P -g "$lib" | awk '$3 == "U" || $3 == "w" || $3 == "v" { print "  " $1 " " $2 }')"
    if [ -n "$undefined" ]; then
        echo "FAIL: $(basename "$lib") needs symbols from outside:"
        echo "$undefined"
        return 1
    fi
    echo "ok: $(basename "$lib") needs nothing from outside"
}

# Lines "MEMBER<TAB>NAME<TAB>SECTION" for every symbol objdump lists.
symbol_sections() {
    "$1" -t "$2" | awk '
        /:[ \t]+file format / { member = $1; sub(/:$/, "", member); next }
        index($0, "\t") > 0 {
            left = substr($0, 1, index($0, "\t") - 1)
            right = substr($0, index($0, "\t") + 1)
            n = split(left, f, " ")
            name = right
            sub(/^[0-9a-fA-F]+ +/, "", name)
            sub(/^\.hidden +/, "", name)
            sub(/ +$/, "", name)
            print member "\t" name "\t" f[n]
        }'
}

# Lines "MEMBER<TAB>SECTION<TAB>SIZE" for every allocated, writable section.
writable_sections() {
    "$1" -h "$2" | awk '
        /:[ \t]+file format / { member = $1; sub(/:$/, "", member); next }
        $1 ~ /^[0-9]+$/ && NF >= 7 { name = $2; size = $3; getline flags
            if (flags ~ /ALLOC/ && flags !~ /READONLY/) print member "\t" name "\t" size }'
}

is_relro_section() {
    case "$1" in
    .data.rel.ro | .data.rel.ro.*) return 0 ;;
    *) return 1 ;;
    esac
}

check_globals() {
    local nm="$1" objdump="$2" lib="$3" sections bad=() member name type section size
    [ -f "$lib" ] || { echo "FAIL: no library at $lib"; return 1; }
    sections="$(symbol_sections "$objdump" "$lib")"

    # 1. nm's own classification: D d (data), B b (bss), C (common), G g S s (small data), V (weak object).
    while IFS=$'\t' read -r member name type; do
        [ -n "$name" ] || continue
        local in_relro=yes found=no
        while IFS=$'\t' read -r _ _ section; do
            found=yes
            is_relro_section "$section" || in_relro=no
        done < <(awk -F'\t' -v m="$member" -v n="$name" '$1 == m && $2 == n' <<<"$sections")
        if [ "$found" = yes ] && [ "$in_relro" = yes ]; then
            echo "allowed (read-only after relocation): $member: $name"
            continue
        fi
        bad+=("symbol $name (nm type $type) in $member")
    done < <("$nm" -A -P "$lib" | awk '$3 ~ /^[DdBbCGgSsV]$/ {
        member = $1; sub(/:$/, "", member); sub(/^.*\[/, "", member); sub(/\]$/, "", member)
        print member "\t" $2 "\t" $3 }')

    # 2. Writable sections that carry bytes, with or without a symbol for them.
    while IFS=$'\t' read -r member section size; do
        [ -n "$section" ] || continue
        is_relro_section "$section" && continue
        [ $((16#$size)) -eq 0 ] && continue
        bad+=("writable section $section of $((16#$size)) bytes in $member")
    done < <(writable_sections "$objdump" "$lib")

    if [ "${#bad[@]}" -ne 0 ]; then
        echo "FAIL: the core has writable global data; it must keep its state in objects the caller owns:"
        printf '  %s\n' "${bad[@]}"
        echo "(a writable section with no symbol of its own is often the initializer of a local array of"
        echo " pointers, such as 'const char *names[] = {...}': make it 'static const char *const')"
        return 1
    fi
    echo "ok: $(basename "$lib") has no writable global data"
}

# The compiler for ARCH: its cross compiler, or gcc when this machine is that architecture.
compiler_for() {
    local arch="$1" triplet="$1-linux-gnu"
    if command -v "$triplet-gcc" >/dev/null 2>&1; then
        echo "$triplet-gcc"
    elif command -v gcc >/dev/null 2>&1 && [[ "$(gcc -dumpmachine)" == "$arch"-* ]]; then
        echo gcc
    fi
}

check_kernel_flags() {
    local arch="$1" root="$2" cc flags=() sources=() src failed=0 tmp
    # What the Linux kernel builds with: no libc, no stack protector, no floating-point or vector
    # registers (the kernel does not save them), and the code model kernels and firmware use.
    flags=(-std=c11 -Wall -Wextra -Werror -O2 -ffreestanding -nostdlib -fno-stack-protector -fno-pic)
    case "$arch" in
    x86_64) flags+=(-mno-red-zone -mcmodel=kernel -mgeneral-regs-only) ;;
    aarch64) flags+=(-mgeneral-regs-only) ;;
    riscv64) flags+=(-mcmodel=medany) ;;
    *) echo "FAIL: unknown architecture $arch"; return 1 ;;
    esac
    cc="$(compiler_for "$arch")"
    if [ -z "$cc" ]; then
        echo "SKIP: no compiler for $arch ($arch-linux-gnu-gcc not installed)"
        return $SKIP
    fi
    [ -d "$root/arch/$arch" ] || { echo "FAIL: no $root/arch/$arch"; return 1; }
    shopt -s nullglob
    sources=("$root"/loader/*.c)
    shopt -u nullglob
    [ "${#sources[@]}" -gt 0 ] || { echo "FAIL: no sources in $root/loader"; return 1; }

    tmp="$(mktemp -d)"
    echo "$cc ${flags[*]} -I loader/include -I loader -I arch/$arch"
    for src in "${sources[@]}"; do
        if "$cc" "${flags[@]}" -I "$root/loader/include" -I "$root/loader" -I "$root/arch/$arch" \
            -c "$src" -o "$tmp/$(basename "$src").o"; then
            echo "ok: loader/$(basename "$src")"
        else
            echo "FAIL: loader/$(basename "$src") does not compile for $arch with kernel flags"
            failed=1
        fi
    done
    rm -rf "$tmp"
    return $failed
}

# C11's freestanding headers (section 4, paragraph 6): all a freestanding program may count on.
FREESTANDING_HEADERS="float.h iso646.h limits.h stdalign.h stdarg.h stdbool.h stddef.h stdint.h stdnoreturn.h"

# Is HEADER one of the project's own, as the core's include path (-I loader/include -I loader
# -I arch/ARCH) or the including file's directory would find it?
is_own_header() {
    local root="$1" including_dir="$2" header="$3" dir
    for dir in "$including_dir" "$root/loader/include" "$root/loader" "$root"/arch/*; do
        [ -f "$dir/$header" ] && return 0
    done
    return 1
}

check_headers() {
    local root="$1" bad=() match file rest lineno directive header
    [ -d "$root/loader" ] || { echo "FAIL: no $root/loader"; return 1; }
    while IFS= read -r match; do
        file="${match%%:*}"
        rest="${match#*:}"
        lineno="${rest%%:*}"
        directive="${rest#*:}"
        header="$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]*)[>"].*/\1/' <<<"$directive")"
        case " $FREESTANDING_HEADERS " in *" $header "*) continue ;; esac
        is_own_header "$root" "$(dirname "$file")" "$header" && continue
        bad+=("${file#"$root"/}:$lineno: $header")
    done < <(grep -rnE --include='*.[chS]' '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]' \
        "$root/loader" "$root/arch" || true)
    if [ "${#bad[@]}" -ne 0 ]; then
        echo "FAIL: the core includes headers that are neither freestanding nor its own (libc or kernel headers):"
        printf '  %s\n' "${bad[@]}"
        return 1
    fi
    echo "ok: loader/ and arch/ include only freestanding headers ($FREESTANDING_HEADERS) and their own"
}

[ $# -ge 1 ] || die_usage
mode="$1"
shift
case "$mode" in
undefined) [ $# -eq 2 ] || die_usage; check_undefined "$@" ;;
nothing) [ $# -eq 2 ] || die_usage; check_nothing "$@" ;;
globals) [ $# -eq 3 ] || die_usage; check_globals "$@" ;;
kernel-flags) [ $# -eq 2 ] || die_usage; check_kernel_flags "$@" ;;
headers) [ $# -eq 1 ] || die_usage; check_headers "$@" ;;
*) die_usage ;;
esac
