#!/usr/bin/env bash
# Real Debian arm64 programs through mini-loader under qemu-aarch64:
#   debian_arm64.sh QEMU SYSROOT MINI_LOADER WORKDIR
#
# Fetches coreutils (and libselinux1 and libpcre2-8-0, which ls needs) for arm64 with `apt-get download`
# into WORKDIR and unpacks them there with `dpkg -x`. Nothing is installed and the system's apt and
# dpkg configuration is left alone: apt runs with its own package lists under WORKDIR/apt
# (APT::Architecture=arm64), so no `dpkg --add-architecture` is needed. The arm64 libc is the cross one
# in SYSROOT (libc6-dev-arm64-cross), which qemu's -L makes the guest's root; the unpacked libraries
# are found through LD_LIBRARY_PATH given to the guest with qemu -E.
#
# Each program runs as `QEMU -L SYSROOT PROG ARGS` and `QEMU -L SYSROOT MINI_LOADER PROG ARGS`; stdout
# and the exit status must be the same. Exit 77 (SKIP) when the packages cannot be fetched (no apt, no
# network). The downloaded files are kept for the next run. The last line is "N passed, N failed".
set -u
if [ $# -ne 4 ]; then
    echo "usage: $0 QEMU SYSROOT MINI_LOADER WORKDIR" >&2
    exit 2
fi
QEMU="$1"
SYSROOT="$2"
MINI="$(realpath "$3")"
WORK="$4"
PACKAGES=(coreutils libselinux1 libpcre2-8-0)
mkdir -p "$WORK"
WORK="$(realpath "$WORK")"
ROOT="$WORK/root"
export LC_ALL=C TZ=UTC

skip() {
    echo "SKIP: $*"
    exit 77
}

fetch() {
    command -v apt-get >/dev/null 2>&1 || skip "no apt-get here"
    command -v dpkg >/dev/null 2>&1 || skip "no dpkg here"
    local apt="$WORK/apt"
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$WORK/debs"
    local opts=(-q -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o "APT::Architecture=arm64"
        -o "APT::Architectures::=arm64" -o "Debug::NoLocking=1")
    echo "fetching ${PACKAGES[*]} (arm64) with apt-get download into $WORK/debs"
    apt-get "${opts[@]}" update >"$WORK/apt-update.log" 2>&1 ||
        skip "apt-get update for arm64 failed (no network?): $(tail -n 1 "$WORK/apt-update.log")"
    (cd "$WORK/debs" && apt-get "${opts[@]}" download "${PACKAGES[@]}") >"$WORK/apt-download.log" 2>&1 ||
        skip "apt-get download ${PACKAGES[*]} for arm64 failed: $(grep -E '^E:' "$WORK/apt-download.log" | head -n 1)"
    rm -rf "$ROOT.new"
    local deb
    for deb in "$WORK"/debs/*.deb; do
        dpkg -x "$deb" "$ROOT.new" || skip "dpkg -x $deb failed"
    done
    rm -rf "$ROOT" && mv "$ROOT.new" "$ROOT"
}

[ -x "$ROOT/bin/ls" ] && [ -x "$ROOT/usr/bin/sort" ] || fetch
echo "using $(ls "$WORK"/debs/*.deb | xargs -n 1 basename | tr '\n' ' ')"
echo "qemu: $("$QEMU" --version | head -n 1); libc from $SYSROOT"
GUEST_LIBS="$ROOT/lib/aarch64-linux-gnu:$ROOT/usr/lib/aarch64-linux-gnu"

passed=0
failed=0
TMP="$(mktemp -d "${TMPDIR:-/tmp}/debian-arm64.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

# compare NAME STDIN PROG ARGS...
compare() {
    local name="$1" input="$2" mode rc rc_direct=0 rc_via=0
    shift 2
    for mode in direct via; do
        if [ $mode = direct ]; then
            "$QEMU" -L "$SYSROOT" -E "LD_LIBRARY_PATH=$GUEST_LIBS" "$@" <"$input" >"$TMP/$mode.out" 2>"$TMP/$mode.err"
        else
            "$QEMU" -L "$SYSROOT" -E "LD_LIBRARY_PATH=$GUEST_LIBS" "$MINI" "$@" <"$input" >"$TMP/$mode.out" 2>"$TMP/$mode.err"
        fi
        rc=$?
        if [ $mode = direct ]; then rc_direct=$rc; else rc_via=$rc; fi
    done
    local problems=()
    [ "$rc_direct" = "$rc_via" ] || problems+=("exit status: direct $rc_direct, through mini-loader $rc_via")
    cmp -s "$TMP/direct.out" "$TMP/via.out" || problems+=("stdout differs")
    if [ ${#problems[@]} -eq 0 ]; then
        passed=$((passed + 1))
        echo "PASS $name (exit $rc_via, $(wc -c <"$TMP/via.out") bytes)"
    else
        failed=$((failed + 1))
        echo "FAIL $name"
        printf '    %s\n' "${problems[@]}"
        diff -u --label direct --label mini-loader "$TMP/direct.out" "$TMP/via.out" | head -n 20 | sed 's/^/    | /'
        sed 's/^/    stderr| /' "$TMP/via.err" | head -n 5
    fi
}

mkdir -p "$TMP/dir/sub"
seq 1 2000 | sed 's/$/ line/' | sort -R --random-source=/dev/zero >"$TMP/dir/lines.txt"
printf 'one\ntwo\n' >"$TMP/dir/sub/small"
touch -d '2024-01-02 03:04:05' "$TMP/dir/lines.txt" "$TMP/dir/sub/small" "$TMP/dir/sub" "$TMP/dir"

compare "true" /dev/null "$ROOT/bin/true"
compare "false (exit 1)" /dev/null "$ROOT/bin/false"
compare "echo" /dev/null "$ROOT/bin/echo" hello "two words" -e 'tab\there'
compare "cat a file" /dev/null "$ROOT/bin/cat" -n "$TMP/dir/lines.txt"
compare "cat stdin" "$TMP/dir/lines.txt" "$ROOT/bin/cat"
compare "sort -n" "$TMP/dir/lines.txt" "$ROOT/usr/bin/sort" -n
compare "sort -r file" /dev/null "$ROOT/usr/bin/sort" -r "$TMP/dir/lines.txt"
compare "sha256sum" /dev/null "$ROOT/usr/bin/sha256sum" "$TMP/dir/lines.txt" "$TMP/dir/sub/small"
compare "ls -la (libselinux, libpcre2)" /dev/null "$ROOT/bin/ls" -laR --time-style=long-iso "$TMP/dir"
compare "ls of a missing file (exit 2)" /dev/null "$ROOT/bin/ls" "$TMP/nonexistent"
compare "ls --version" /dev/null "$ROOT/bin/ls" --version

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
