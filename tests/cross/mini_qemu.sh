#!/usr/bin/env bash
# mini-loader under qemu-user:  mini_qemu.sh QEMU SYSROOT MINI_LOADER FIXTURE_DIR
#
# Each fixture program (built by the cross compiler: PIE, non-PIE, static, static-pie where the
# toolchain links one) runs twice: `QEMU -L SYSROOT PROG ARGS` and `QEMU -L SYSROOT MINI_LOADER PROG ARGS`,
# with the same stdin and a fresh working directory each; stdout and the exit status must be the same.
# Lines a program marks "qemu-limit:" are shown, not compared (what qemu itself decides: no vDSO in
# qemu 7.2, /proc/self/exe and comm are qemu's own). The last line is exactly "N passed, N failed".
set -u
if [ $# -ne 4 ]; then
    echo "usage: $0 QEMU SYSROOT MINI_LOADER FIXTURE_DIR" >&2
    exit 2
fi
QEMU="$1"
SYSROOT="$2"
MINI="$(realpath "$3")"
FIX="$(realpath "$4")"
passed=0
failed=0
TMP="$(mktemp -d "${TMPDIR:-/tmp}/mini-qemu.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
export LC_ALL=C TZ=UTC

pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$1"; }
fail() {
    failed=$((failed + 1))
    printf 'FAIL %s\n' "$1"
    shift
    [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/    /'
}

# compare NAME STDIN -- PROG ARGS...
compare() {
    local name="$1" input="$2" mode rc rc_direct=0 rc_via=0
    shift 3
    for mode in direct via; do
        local wd
        wd="$(mktemp -d "$TMP/wd.XXXXXX")"
        if [ $mode = direct ]; then
            (cd "$wd" && exec "$QEMU" -L "$SYSROOT" "$@") <"$input" >"$TMP/$mode.raw" 2>"$TMP/$mode.err"
        else
            (cd "$wd" && exec "$QEMU" -L "$SYSROOT" "$MINI" "$@") <"$input" >"$TMP/$mode.raw" 2>"$TMP/$mode.err"
        fi
        rc=$?
        grep -v '^qemu-limit:' "$TMP/$mode.raw" >"$TMP/$mode.out"
        if [ $mode = direct ]; then rc_direct=$rc; else rc_via=$rc; fi
    done
    local problems=()
    [ "$rc_direct" = "$rc_via" ] || problems+=("exit status: direct $rc_direct, through mini-loader $rc_via")
    cmp -s "$TMP/direct.out" "$TMP/via.out" || problems+=("stdout differs")
    [ -s "$TMP/direct.out" ] || problems+=("the direct run printed nothing")
    if [ ${#problems[@]} -eq 0 ]; then
        pass "$name (exit $rc_via)"
    else
        fail "$name" "${problems[@]}"
        diff -u --label direct --label mini-loader "$TMP/direct.out" "$TMP/via.out" | head -n 20 | sed 's/^/    | /'
        [ -s "$TMP/via.err" ] && sed 's/^/    stderr| /' "$TMP/via.err" | head -n 5
    fi
    # What qemu decides, shown for both runs.
    if grep -q '^qemu-limit:' "$TMP/direct.raw" "$TMP/via.raw"; then
        sed -n 's/^qemu-limit:/    direct:      /p' "$TMP/direct.raw"
        sed -n 's/^qemu-limit:/    mini-loader: /p' "$TMP/via.raw"
    fi
}

echo "qemu: $("$QEMU" --version | head -n 1); sysroot $SYSROOT"
seq 1 3000 | sed 's/$/ a line of text/' >"$TMP/input.txt"
for v in pie nopie static static-pie; do
    if [ ! -x "$FIX/hello-$v" ]; then
        printf 'SKIP %s: not built (the cross toolchain cannot link it)\n' "$v"
        continue
    fi
    compare "hello-$v: arguments" /dev/null -- "$FIX/hello-$v" one "two words" "" '$HOME' '*'
    compare "hello-$v: stdin" "$TMP/input.txt" -- "$FIX/hello-$v" stdin
    compare "hello-$v: exit 42" /dev/null -- "$FIX/hello-$v" exit 42
    compare "ctors-$v: init and fini order" /dev/null -- "$FIX/ctors-$v"
    compare "tls-$v: __thread in 4 threads" /dev/null -- "$FIX/tls-$v"
    compare "auxv-$v: the auxiliary vector" /dev/null -- "$FIX/auxv-$v" arg
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
