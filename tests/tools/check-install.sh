#!/usr/bin/env bash
# What `meson install` gives a user, and whether README.md's C examples build against it.
#
#   check-install.sh BUILD_DIR
#
# Installs BUILD_DIR into a scratch directory (--destdir), checks that it holds include/elfldr.h,
# libelfldr.a and pkgconfig/elfldr.pc, that pkg-config gives flags from elfldr.pc, then compiles every
# ```c block of README.md with those flags (-std=c11 -Wpedantic -Werror), links each one that has a
# main() and runs it, and runs the arena example (run_plugin) on a small plugin.
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: check-install.sh BUILD_DIR" >&2; exit 2; }
build_dir="$(cd "$1" && pwd)"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
failures=0

fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

meson install -C "$build_dir" --destdir "$stage/root" --no-rebuild >"$stage/install.log" 2>&1 || {
    cat "$stage/install.log"
    echo "FAIL: meson install"
    exit 1
}

# exactly_one NAME FIND-ARGS...: the one installed file that matches.
exactly_one() {
    local what="$1" found
    shift
    found="$(find "$stage/root" "$@")"
    if [ "$(printf '%s' "$found" | grep -c .)" -ne 1 ]; then
        echo "FAIL: expected one $what installed, found: ${found:-nothing}" >&2
        return 1
    fi
    echo "installed: ${found#"$stage/root"}" >&2
    printf '%s\n' "$found"
}

header="$(exactly_one elfldr.h -path '*/include/elfldr.h')" || true
library="$(exactly_one libelfldr.a -name libelfldr.a)" || true
pc="$(exactly_one elfldr.pc -path '*/pkgconfig/elfldr.pc')" || true
[ -n "$header" ] && [ -n "$library" ] && [ -n "$pc" ] || exit 1

# The .pc names the final prefix; point it at the staging copy.
PKG_CONFIG_PATH="$(dirname "$pc")"
export PKG_CONFIG_PATH
prefix="$(pkg-config --variable=prefix elfldr)"
pkg_flags=(--define-variable=prefix="$stage/root$prefix")
read -r -a cflags <<<"$(pkg-config "${pkg_flags[@]}" --cflags elfldr)"
read -r -a libs <<<"$(pkg-config "${pkg_flags[@]}" --libs elfldr)"
echo "pkg-config --cflags --libs elfldr: ${cflags[*]} ${libs[*]}"
[[ " ${cflags[*]} " == *" -I$(dirname "$header") "* ]] || fail "--cflags does not name the header's directory"
[[ " ${libs[*]} " == *" -L$(dirname "$library") "* ]] || fail "--libs does not name the library's directory"
[[ " ${libs[*]} " == *" -lelfldr "* ]] || fail "--libs does not link -lelfldr"

# Every ```c block of the README, in a file of its own.
awk -v dir="$stage" '
    /^```c[[:space:]]*$/ { n++; file = dir "/readme-" n ".c"; inside = 1; next }
    /^```/ { inside = 0; next }
    inside { print > file }' "$root/README.md"
shopt -s nullglob
examples=("$stage"/readme-*.c)
[ "${#examples[@]}" -gt 0 ] || fail "README.md has no C example"

# The arena example defines run_plugin(image, size, memory, size): give it a plugin built with
# -nostdlib that calls host_log, and executable memory, as its text describes.
run_plugin_example() {
    local name="$1" example="$2" output
    cat >"$stage/plugin.c" <<'PLUGIN'
void host_log(const char *message);
void plugin_main(void) { host_log("hello from the arena"); }
PLUGIN
    cat >"$stage/plugin-host.c" <<'HOST'
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
int run_plugin(const void *image, size_t image_size, void *memory, size_t memory_size);
int main(int argc, char **argv)
{
    static unsigned char image[1 << 20];
    size_t memory_size = 4 << 20, image_size;
    FILE *f = argc == 2 ? fopen(argv[1], "rb") : NULL;
    void *memory = mmap(NULL, memory_size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!f || memory == MAP_FAILED)
        return 2;
    image_size = fread(image, 1, sizeof image, f);
    fclose(f);
    return run_plugin(image, image_size, memory, memory_size) == 0 ? 0 : 1;
}
HOST
    if ! cc -shared -fPIC -nostdlib -O2 "$stage/plugin.c" -o "$stage/plugin.so" ||
        ! cc "$stage/plugin-host.c" "$example.o" -o "$example.bin" "${libs[@]}"; then
        fail "$name: cannot build its plugin or host"
        return
    fi
    if output="$("$example.bin" "$stage/plugin.so" 2>&1)" && [ "$output" = "plugin says: hello from the arena" ]; then
        echo "ok: $name compiles and loads a plugin into an arena: $output"
    else
        fail "$name with a plugin: ${output:-no output}"
    fi
}

for example in "${examples[@]}"; do
    name="README example $(basename "$example" .c | sed 's/readme-//')"
    if ! cc -std=c11 -Wall -Wextra -Wpedantic -Werror "${cflags[@]}" -c "$example" -o "$example.o"; then
        fail "$name does not compile"
        continue
    fi
    if grep -q '^int run_plugin(' "$example"; then
        run_plugin_example "$name" "$example"
        continue
    fi
    if ! grep -q '^int main(' "$example"; then
        echo "ok: $name compiles"
        continue
    fi
    if ! cc "$example.o" -o "$example.bin" "${libs[@]}" -ldl; then
        fail "$name does not link"
        continue
    fi
    if output="$("$example.bin" 2>&1)"; then
        echo "ok: $name compiles, links and runs: $output"
    else
        fail "$name exits with an error: $output"
    fi
done

if [ "$failures" -ne 0 ]; then
    echo "$failures install check(s) failed"
    exit 1
fi
echo "ok: the installed header, library and elfldr.pc build the README's examples"
