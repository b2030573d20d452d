#!/usr/bin/env bash
# The elfldr-load tool as scripts/run uses it: load libz, find and call zlibVersion, unload; and the
# way it reports a failure. Usage: check-load.sh ELFLDR-LOAD LIBZ
set -uo pipefail

tool="$1"
libz="$(realpath -s "$2")"
out="$(mktemp)"
errs="$(mktemp)"
trap 'rm -f "$out" "$errs"' EXIT
failures=0

fail() {
    echo "FAIL: $*"
    echo "--- stdout"; cat "$out"
    echo "--- stderr"; cat "$errs"
    failures=$((failures + 1))
}

# expect_output PATTERN DESCRIPTION: an extended regex that must match a line of stdout.
expect_output() {
    grep -Eq -- "$1" "$out" || fail "$2: no line matches /$1/"
}

# run EXPECTED-STATUS ARGS...
run() {
    local expected="$1" status
    shift
    "$tool" "$@" >"$out" 2>"$errs"
    status=$?
    if [ "$status" -ne "$expected" ]; then
        fail "elfldr-load $*: exit status $status, expected $expected"
        return 1
    fi
    echo "ok: elfldr-load $* (exit $status)"
}

# libz's file is libz.so.X.Y.Z on most distributions, and zlibVersion() answers "X.Y.Z".
real_name="$(basename "$(readlink -f "$libz")")"
expected_version=""
case "$real_name" in
libz.so.*.*.*) expected_version="${real_name#libz.so.}" ;;
esac

for mode in "" --no-file-map; do
    if run 0 $mode "$libz" zlibVersion deflate --call-string zlibVersion; then
        expect_output '^soname +libz\.so\.1$' "soname"
        expect_output '^load bias +0x[0-9a-f]+$' "load bias"
        expect_output '^segment 0 +0x[0-9a-f]+-0x[0-9a-f]+ r' "first segment readable"
        expect_output '^segment [0-9]+ +0x[0-9a-f]+-0x[0-9a-f]+ r-x ' "an executable segment"
        expect_output '^needed +libc\.so\.6$' "DT_NEEDED libc.so.6"
        expect_output '^load time +[0-9.]+ ms$' "load time"
        expect_output '^symbol +zlibVersion = 0x[0-9a-f]+ \(FUNC' "zlibVersion address"
        expect_output '^symbol +deflate = 0x[0-9a-f]+ \(FUNC' "deflate address"
        if [ -n "$expected_version" ]; then
            expect_output "^call +zlibVersion\\(\\) = \"${expected_version//./\\.}\"$" "zlibVersion() result"
        else
            expect_output '^call +zlibVersion\(\) = "[0-9]+\.[0-9]+' "zlibVersion() result"
        fi
        expect_output '^unloaded$' "unload"
    fi
done

# A symbol libz does not define: everything else is printed, the exit status says it failed.
if run 1 "$libz" zlibVersion no_such_symbol_in_libz; then
    expect_output '^symbol +zlibVersion = ' "the symbol that exists"
    grep -q "^elfldr-load: $libz: no_such_symbol_in_libz: not found$" "$errs" || fail "missing-symbol message"
fi

# Failures to load: the message names the file, and nothing else is printed.
missing=/nonexistent/libelfldr-test.so
if run 1 "$missing"; then
    grep -q "^elfldr-load: $missing: ." "$errs" || fail "open failure message"
    [ ! -s "$out" ] || fail "output after a failed load"
fi
if run 1 "$0"; then
    grep -q "^elfldr-load: $0: ." "$errs" || fail "not-ELF message"
fi

if run 0 --help; then
    expect_output '^usage: elfldr-load ' "--help"
fi
run 2 --no-such-option "$libz" || true
run 2 || true

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all elfldr-load checks passed"
