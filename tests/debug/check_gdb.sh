#!/usr/bin/env bash
# gdb sees what an elfldr namespace loaded, both attached to a process that loaded libcallee.so
# through a namespace joined to the host's r_debug chain, and running it from the start: `info
# sharedlibrary` lists it with its symbols read, and gdb can call one of its functions.
#   check_gdb.sh TARGET
set -u
target="$1"
command -v gdb >/dev/null 2>&1 || { echo "SKIP: no gdb"; exit 77; }
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
"$target" >"$work/out" 2>&1 &
pid=$!
for _ in $(seq 100); do
    grep -q ready "$work/out" 2>/dev/null && break
    sleep 0.1
done
out=$(gdb -nx -batch -p "$pid" -ex 'info sharedlibrary' -ex 'print callee_twice(21)' 2>&1)
passed=0 failed=0
check() {
    if eval "$2"; then passed=$((passed + 1)); echo "ok: $1"; else failed=$((failed + 1)); echo "FAILED: $1"; fi
}
check "the target loaded libcallee.so and said ready" 'grep -q ready "$work/out"'
if printf '%s\n' "$out" | grep -q "ptrace: Operation not permitted"; then
    echo "SKIP: gdb may not attach here"
    exit 77
fi
check "info sharedlibrary lists libcallee.so with its symbols read" \
    'printf "%s\n" "$out" | grep -E "libcallee\.so" | grep -q "Yes"'
check "gdb calls callee_twice(21) in the loaded library and gets 42" 'printf "%s\n" "$out" | grep -qE "^\\\$1 = 42$"'
[ "$failed" -eq 0 ] || printf '%s\n' "$out"
kill "$pid" 2>/dev/null
run=$(timeout 60 gdb -nx -batch -ex 'break usleep' -ex run -ex 'info sharedlibrary' -ex 'print callee_twice(21)' \
    -ex kill "$target" 2>&1)
check "run under gdb: info sharedlibrary lists libcallee.so with its symbols read" \
    'printf "%s\n" "$run" | grep -E "libcallee\.so" | grep -q "Yes"'
check "run under gdb: callee_twice(21) gives 42" 'printf "%s\n" "$run" | grep -qE "^\\\$1 = 42$"'
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
