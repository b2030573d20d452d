#!/usr/bin/env bash
# End-to-end test of mini-loader:  e2e.sh MINI_LOADER FIXTURE_DIR
#
# Every case runs a program twice, directly (the kernel's execve) and through mini-loader, with the same
# arguments, environment, stdin and a fresh working directory each, and requires the same stdout and the
# same exit status. The fixtures are the programs tests/mini/meson.build builds; then come real installed
# programs (SKIP when one is missing: not counted as passed), then the refusals, each with its exit
# status and its message. The last line is exactly "N passed, N failed"; the status is 1 on any failure.
#
# Single quotes around $ are meant (arguments for the programs under test); VIA is set per run, in the
# subshell compare makes for it.
# shellcheck disable=SC2016,SC2030,SC2031
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 MINI_LOADER FIXTURE_DIR" >&2
    exit 2
fi
MINI="$(realpath "$1")"
FIX="$(realpath "$2")"
passed=0
failed=0
skipped=0
TMP="$(mktemp -d "${TMPDIR:-/tmp}/mini-e2e.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
export LC_ALL=C TZ=UTC

pass() { passed=$((passed + 1)); printf 'PASS %s\n' "$1"; }
skip() { skipped=$((skipped + 1)); printf 'SKIP %s: %s\n' "$1" "$2"; }
fail() {
    failed=$((failed + 1))
    printf 'FAIL %s\n' "$1"
    shift
    [ $# -gt 0 ] && printf '%s\n' "$@" | sed 's/^/    /'
}
have() { command -v "$1" >/dev/null 2>&1; }

# The first lines of a file, indented, for a failure report.
excerpt() { head -n "${2:-15}" "$1" | cut -c1-200 | sed 's/^/    | /'; }

# run CMD...: runs CMD directly, or through mini-loader when VIA is set. Cases call it for each command
# whose loading is under test; what they run otherwise (pipes into sha256sum, setup) runs directly.
VIA=
run() {
    if [ -n "$VIA" ]; then
        "$MINI" "$@"
    else
        "$@"
    fi
}

# compare NAME [options] -- CMD...: CMD (a command, or a shell function that calls `run`) directly and
# through mini-loader; the stdouts and exit statuses must be the same.
#   -r N       both must also exit with N
#   -s FILE    stdin (default: /dev/null)
#   -C DIR     working directory (default: a fresh empty one for each run)
#   -i VAR=VAL an environment of exactly the -i variables (env -i), for a command (not a function)
compare() {
    local name="$1" want_rc="" input=/dev/null dir="" clean=0
    local vars=()
    shift
    while [ $# -gt 0 ]; do
        case "$1" in
        -r) want_rc="$2"; shift 2 ;;
        -s) input="$2"; shift 2 ;;
        -C) dir="$2"; shift 2 ;;
        -i) clean=1; vars+=("$2"); shift 2 ;;
        --) shift; break ;;
        *) echo "compare: bad option $1" >&2; exit 2 ;;
        esac
    done
    local mode rc rc_direct rc_via out err wd
    for mode in direct via; do
        out="$TMP/$mode.out" err="$TMP/$mode.err"
        wd="$dir"
        [ -n "$wd" ] || wd="$(mktemp -d "$TMP/wd.XXXXXX")"
        (
            cd "$wd" || exit 99
            if [ $mode = via ]; then VIA=1; else VIA=; fi
            if declare -F "$1" >/dev/null; then
                "$@"
            elif [ $clean = 1 ]; then
                if [ -n "$VIA" ]; then
                    exec env -i "${vars[@]}" "$MINI" "$@"
                else
                    exec env -i "${vars[@]}" "$@"
                fi
            else
                run "$@"
            fi
        ) <"$input" >"$out" 2>"$err"
        rc=$?
        if [ $mode = direct ]; then rc_direct=$rc; else rc_via=$rc; fi
    done
    local problems=()
    [ "$rc_direct" = "$rc_via" ] || problems+=("exit status: direct $rc_direct, through mini-loader $rc_via")
    [ -z "$want_rc" ] || [ "$rc_direct" = "$want_rc" ] || problems+=("direct run exited $rc_direct, not $want_rc")
    [ -z "$want_rc" ] || [ "$rc_via" = "$want_rc" ] || problems+=("mini-loader run exited $rc_via, not $want_rc")
    cmp -s "$TMP/direct.out" "$TMP/via.out" || problems+=("stdout differs")
    if [ ${#problems[@]} -eq 0 ]; then
        pass "$name (exit $rc_via)"
        return 0
    fi
    fail "$name" "${problems[@]}"
    if ! cmp -s "$TMP/direct.out" "$TMP/via.out"; then
        diff -u --label direct --label mini-loader "$TMP/direct.out" "$TMP/via.out" | head -n 25 | sed 's/^/    | /'
    fi
    if [ -s "$TMP/direct.err" ]; then echo "    stderr of the direct run:"; excerpt "$TMP/direct.err" 5; fi
    if [ -s "$TMP/via.err" ]; then echo "    stderr of the mini-loader run:"; excerpt "$TMP/via.err" 5; fi
    return 1
}

# refuse NAME STATUS PATTERN -- ARGS...: mini-loader ARGS must exit with STATUS, print nothing on stdout,
# and say "mini-loader: ..." on stderr with PATTERN (an extended regex, case-insensitive) in it.
refuse() {
    local name="$1" want_rc="$2" pattern="$3"
    shift 4
    "$MINI" "$@" </dev/null >"$TMP/refuse.out" 2>"$TMP/refuse.err"
    local rc=$? problems=()
    [ "$rc" = "$want_rc" ] || problems+=("exit status $rc, not $want_rc")
    [ ! -s "$TMP/refuse.out" ] || problems+=("printed on stdout")
    grep -q '^mini-loader: ' "$TMP/refuse.err" || problems+=("no 'mini-loader: ' message on stderr")
    grep -qiE -- "$pattern" "$TMP/refuse.err" || problems+=("stderr does not match /$pattern/")
    if [ ${#problems[@]} -eq 0 ]; then
        pass "$name (exit $rc: $(head -n 1 "$TMP/refuse.err" | cut -c1-120))"
    else
        fail "$name" "${problems[@]}" "command: mini-loader $*"
        excerpt "$TMP/refuse.err" 5
    fi
}

# Whether fixture NAME was built; a missing one (static-pie on an old toolchain) is a SKIP.
fixture() {
    if [ -x "$FIX/$1" ]; then
        return 0
    fi
    skip "$1" "not built (the toolchain cannot make it)"
    return 1
}

section() { printf '\n== %s\n' "$1"; }

# ---------------------------------------------------------------------------------------------------
section "fixtures: the same program built four ways"
seq 1 5000 | sed 's/$/ some text on a line/' >"$TMP/input.txt"
VARIANTS=(pie nopie static static-pie)
for v in "${VARIANTS[@]}"; do
    fixture "hello-$v" || continue
    compare "hello-$v: arguments" -r 0 -- "$FIX/hello-$v" one "two words" "" "ünïcödé" '$HOME' '*'
    compare "hello-$v: stdin" -r 0 -s "$TMP/input.txt" -- "$FIX/hello-$v" stdin
    compare "hello-$v: exit 42" -r 42 -- "$FIX/hello-$v" exit 42
    compare "hello-$v: exit 255" -r 255 -- "$FIX/hello-$v" exit 255
    compare "hello-$v: killed by SIGTERM" -r 143 -- "$FIX/hello-$v" signal
    compare "hello-$v: empty environment" -r 0 -i MINI_TEST=only -- "$FIX/hello-$v" x
    fixture "ctors-$v" && compare "ctors-$v: preinit_array, constructors, atexit, destructors" -r 7 -- "$FIX/ctors-$v"
    fixture "tls-$v" && compare "tls-$v: __thread in 5 threads" -r 0 -- "$FIX/tls-$v"
done
fixture hello-pie && compare "hello-pie: no environment at all" -r 0 -i _=_ -- "$FIX/hello-pie"
many_args=()
for i in $(seq 1 3000); do many_args+=("argument-$i"); done
big_value="$(head -c 100000 /dev/zero | tr '\0' x)"
compare "hello-pie: 3000 arguments and a 100 kB variable" -r 0 -i "MINI_TEST=$big_value" -i A=1 -- \
    "$FIX/hello-pie" "${many_args[@]}"
unset many_args big_value

if [ -x "$FIX/copyreloc" ]; then
    if ! have readelf; then
        skip "copyreloc: R_X86_64_COPY present" "no readelf"
    elif readelf -rW "$FIX/copyreloc" | grep -q '_COPY'; then
        pass "copyreloc: has COPY relocations ($(readelf -rW "$FIX/copyreloc" | grep -c '_COPY'))"
    else
        fail "copyreloc: has COPY relocations" "readelf -r shows none: the fixture does not test them"
    fi
    compare "copyreloc: library data, stdout and environ through COPY relocations" -r 0 -- "$FIX/copyreloc"
fi

section "fixtures: how the program was started (startcheck)"
# SC_* tell startcheck what the kernel would give; the direct run checks that the expectations are right.
comm_of() { local b="${1##*/}"; printf '%s' "${b:0:15}"; }
for v in "${VARIANTS[@]}"; do
    fixture "startcheck-$v" || continue
    p="$FIX/startcheck-$v"
    compare "startcheck-$v: absolute path" -r 0 \
        -i "SC_EXECFN=$p" -i "SC_EXE=$p" -i "SC_COMM=$(comm_of "$p")" -i "SPACE=a b" -i EMPTY= -- \
        "$p" one "two words" "" "ünïcödé"
    compare "startcheck-$v: relative path" -r 0 -C "$FIX" \
        -i "SC_EXECFN=./startcheck-$v" -i "SC_EXE=$p" -i "SC_COMM=$(comm_of "$p")" -- "./startcheck-$v" x
    compare "startcheck-$v: found in PATH" -r 0 -i "PATH=/nonexistent::$FIX:/usr/bin" \
        -i "SC_EXECFN=$FIX/startcheck-$v" -i "SC_EXE=$p" -i "SC_COMM=$(comm_of "$p")" -- "startcheck-$v" y
done
p="$FIX/startcheck-pie"
if [ -x "$p" ]; then
    # --argv0: the program sees NAME; AT_EXECFN, comm and exe still name the file (as with `exec -a`).
    argv0_env=(SC_EXECFN="$p" SC_EXE="$p" SC_COMM="$(comm_of "$p")")
    env -i "${argv0_env[@]}" "$MINI" --argv0 custom-name "$p" arg >"$TMP/argv0.out" 2>&1
    rc=$?
    if [ $rc = 0 ] && grep -qx 'info argv\[0\]=custom-name' "$TMP/argv0.out"; then
        pass "startcheck-pie --argv0 custom-name: sees argv[0]=custom-name, all checks good"
    else
        fail "startcheck-pie --argv0 custom-name" "exit $rc" "repro: env -i ${argv0_env[*]} $MINI --argv0 custom-name $p arg"
        grep -v '^ok' "$TMP/argv0.out" | excerpt /dev/stdin 12
    fi
    if have perl; then
        argv0_direct() {
            if [ -n "$VIA" ]; then
                env -i "${argv0_env[@]}" "$MINI" --argv0 custom-name "$p" arg
            else
                env -i "${argv0_env[@]}" perl -e 'exec { $ARGV[0] } @ARGV[1 .. $#ARGV] or exit 126' "$p" custom-name arg
            fi
        }
        compare "startcheck-pie --argv0 custom-name vs exec -a" -r 0 -- argv0_direct
    fi
fi
if [ -x "$FIX/script-startcheck" ]; then
    # A #! script: the kernel's AT_EXECFN and comm name the script; /proc/self/exe the interpreter.
    s="$FIX/script-startcheck"
    compare "startcheck as a #! interpreter: AT_EXECFN, comm, exe, argv" -r 0 \
        -i "SC_EXECFN=$s" -i "SC_EXE=$p" -i "SC_COMM=$(comm_of "$s")" -- "$s" script-arg
fi

section "fixtures: #! scripts"
compare "#!/bin/sh script: arguments and exit status" -r 3 -- "$FIX/script-sh.sh" a "b c" ""
compare "#!/bin/sh script: stdin" -r 3 -s "$TMP/input.txt" -- "$FIX/script-sh.sh" stdin
compare "#!/usr/bin/env sh script (env finds sh in PATH)" -r 4 -- "$FIX/script-env.sh" x y
compare "#!/usr/bin/env -S sh -e: the rest of the line is ONE argument" -r 0 -- "$FIX/script-env-split.sh" p q
compare "#!hello '  one  two<TAB> ': one trimmed argument" -r 0 -- "$FIX/script-optarg" extra "more args"
compare "#! script whose interpreter is a #! script" -r 0 -- "$FIX/script-nested" n1 n2
compare "#! script found in PATH" -r 3 -i "PATH=$FIX:/usr/bin:/bin" -- script-sh.sh via-path
if have perl; then
    script_argv0() {
        if [ -n "$VIA" ]; then
            "$MINI" --argv0 dropped-name "$FIX/script-optarg" a
        else
            perl -e 'exec { $ARGV[0] } @ARGV[1 .. $#ARGV] or exit 126' "$FIX/script-optarg" dropped-name a
        fi
    }
    compare "#! script with --argv0 (the kernel drops argv[0])" -r 0 -- script_argv0
fi
long_line() {
    printf '#!%s %s\n' "$FIX/hello-pie" "$(printf 'x%.0s' $(seq 1 300))" >long-line
    chmod +x long-line
    run ./long-line z
}
compare "#! line longer than 255 bytes (the kernel truncates the argument)" -- long_line
script_chain() {
    # s1 runs hello, s2 runs s1, ...: how many levels of #! the loader follows before ELOOP.
    local prev="$FIX/hello-pie" i rc
    for i in 1 2 3 4 5 6; do
        printf '#!%s\n' "$prev" >"s$i"
        chmod +x "s$i"
        prev="$PWD/s$i"
        run "./s$i" >/dev/null 2>&1
        rc=$?
        echo "$i nested #! scripts: exit $rc"
    done
}
compare "nested #! scripts: the depth limit" -- script_chain

section "fixtures: PATH lookup and options"
compare "PATH lookup" -r 0 -i "PATH=/nonexistent:$FIX:/usr/bin" -- hello-pie a
path_empty_entry() { PATH=":/usr/bin:/bin" run hello-pie b; }
compare "PATH lookup: an empty entry means the working directory" -r 0 -C "$FIX" -- path_empty_entry
path_skips() {
    mkdir -p a b c/hello-pie
    printf 'not executable\n' >a/hello-pie
    ln -s "$FIX/hello-pie" b/hello-pie
    PATH="$PWD/c:$PWD/a:$PWD/b" run hello-pie c
}
compare "PATH lookup skips a directory and a non-executable file" -r 0 -- path_skips
path_only_noexec() {
    mkdir -p a
    cp "$FIX/hello-pie" a/
    chmod 644 a/hello-pie
    PATH="$PWD/a" run hello-pie 2>/dev/null
}
compare "PATH lookup finding only a non-executable file: 126 (EACCES, as execvp)" -r 126 -- path_only_noexec
verbose() {
    if [ -n "$VIA" ]; then "$MINI" --verbose "$FIX/hello-pie" v; else "$FIX/hello-pie" v; fi
}
compare "--verbose leaves stdout to the program" -r 0 -- verbose
dashdash() {
    if [ -n "$VIA" ]; then "$MINI" -- "$FIX/hello-pie" --help --verbose; else "$FIX/hello-pie" --help --verbose; fi
}
compare "-- ends mini-loader's options" -r 0 -- dashdash
argv0_hello() {
    if [ -n "$VIA" ]; then
        "$MINI" --argv0 other-name "$FIX/hello-pie" q
    elif have perl; then
        perl -e 'exec { $ARGV[0] } @ARGV[1 .. $#ARGV] or exit 126' "$FIX/hello-pie" other-name q
    else
        printf 'argc=2\nargv[0]=[other-name]\nargv[1]=[q]\nMINI_TEST=%s\n' "${MINI_TEST:-(unset)}"
    fi
}
compare "--argv0: the program sees the name" -r 0 -- argv0_hello
compare "ld.so run as a program, running echo" -r 0 -- /lib64/ld-linux-x86-64.so.2 /bin/echo loaded by ld.so
compare "mini-loader running mini-loader running hello" -r 0 -- "$MINI" "$FIX/hello-pie" nested

# ---------------------------------------------------------------------------------------------------
section "installed programs"
# real NAME PROGRAM [compare options] -- CMD...: a compare that SKIPs when PROGRAM is not installed.
real() {
    local name="$1" prog="$2"
    shift 2
    if ! have "$prog"; then
        skip "$name" "$prog is not installed"
        return 0
    fi
    compare "$name" "$@"
}
real "ls -la /usr/include" ls -r 0 -- ls -la --time-style=+%s /usr/include
real "ls of a missing file" ls -r 2 -- ls /nonexistent
# shellcheck disable=SC2094 # input.txt is only read
cat_sum() { run cat "$MINI" "$TMP/input.txt" - <"$TMP/input.txt" | sha256sum; }
real "cat (files and stdin, into a pipe)" cat -r 0 -- cat_sum
sort_big() {
    awk 'BEGIN { srand(7); for (i = 0; i < 200000; i++) printf "%d line %d\n", int(rand() * 1000000), i }' >in
    run sort --parallel=4 -S 1M -T . -k1,1n -k3,3n in | sha256sum
    run sort -u -k1,1n in | wc -l
}
real "sort (threads, temporary files)" sort -r 0 -- sort_big
real "sha256sum" sha256sum -r 0 -- sha256sum "$TMP/input.txt" "$MINI"
bash_pipeline() {
    run bash -c 'echo "hello world" | tr a-z A-Z | rev
        for i in 1 2 3 4; do echo $((i * i)); done | paste -sd+
        (exit 3); echo "subshell=$?"; printf "%s|" "$0" "$@"; echo; exit 7' zero one "two three"
}
real "bash -c (pipeline, subshell, exit 7)" bash -r 7 -- bash_pipeline
real "perl -e (XS modules)" perl -r 5 -- perl -e 'use List::Util qw(sum); use Digest::MD5 qw(md5_hex);
    use POSIX qw(floor); print sum(1 .. 100), " ", md5_hex("abc"), " ", floor(7.9), "\n"; exit 5'
cat >"$TMP/check.py" <<'EOF'
import ctypes, decimal, hashlib, json, os, sys, threading, zlib

print("argv", sys.argv[1:])
data = json.dumps({"list": list(range(50)), "text": "ünïcödé"}, sort_keys=True).encode()
print("json", json.loads(data)["text"], len(data))
print("sha256", hashlib.sha256(data).hexdigest())
packed = zlib.compress(data * 100, 9)
print("zlib", zlib.crc32(packed) == zlib.crc32(zlib.compress(data * 100, 9)), zlib.decompress(packed) == data * 100)
print("decimal", decimal.Decimal(1) / decimal.Decimal(7))
try:
    import ssl
    ctx = ssl.create_default_context()
    print("ssl", ssl.OPENSSL_VERSION.split()[0], ctx.verify_mode == ssl.CERT_REQUIRED)
except ImportError:
    print("ssl: not built in")
try:
    import sqlite3
    db = sqlite3.connect(":memory:")
    db.execute("create table t (n integer)")
    db.executemany("insert into t values (?)", [(i,) for i in range(1000)])
    print("sqlite3", db.execute("select sum(n), count(*) from t").fetchone())
except ImportError:
    print("sqlite3: not built in")
results = {}
def work(k):
    h = hashlib.sha256()
    for i in range(2000):
        h.update(b"%d-%d" % (k, i))
    results[k] = h.hexdigest()[:16]
threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print("threads", sorted(results.items()))
libc = ctypes.CDLL(None)
print("ctypes getpid", libc.getpid() == os.getpid())
print("/proc/self/exe is the interpreter", os.path.realpath("/proc/self/exe") == os.path.realpath(sys.executable))
sys.exit(9)
EOF
if [ -x /usr/bin/python3 ]; then
    compare "/usr/bin/python3 (json, hashlib, zlib, ssl, sqlite3, ctypes, 4 threads)" -r 9 -- \
        /usr/bin/python3 "$TMP/check.py" a b
else
    skip "/usr/bin/python3" "not installed"
fi
if have python3 && [ "$(command -v python3)" != /usr/bin/python3 ]; then
    real "python3 from PATH ($(command -v python3))" python3 -r 9 -- python3 "$TMP/check.py" c
fi
real "find" find -r 0 -- find /usr/include/linux -maxdepth 1 -name 'e*.h'
real "grep -rc" grep -r 0 -- grep -rc define /usr/include/linux/netfilter
real "grep (no match: exit 1)" grep -r 1 -- grep -q no-such-text-anywhere "$TMP/input.txt"
sed_sum() { run sed -n -E 's/^#define (KEY_[A-Z0-9_]+).*/\1/p' /usr/include/linux/input-event-codes.h | sha256sum; }
real "sed -E" sed -r 0 -- sed_sum
tar_round() {
    mkdir -p src/sub
    seq 1 1000 >src/numbers
    printf 'hello\n' >src/sub/hello
    find src -exec touch -h -d @1700000000 {} +
    run tar --owner=0 --group=0 --numeric-owner -cf a.tar src
    run tar -tvf a.tar | sort
    mkdir out && run tar -xf a.tar -C out && diff -r src out/src && echo "extracted the same"
}
real "tar (create, list, extract)" tar -r 0 -- tar_round
gzip_round() {
    seq 1 20000 >data
    touch -d @1700000000 data
    run gzip -9 -k data && sha256sum data.gz
    run gzip -t data.gz && run gzip -dc data.gz | cmp - data && echo "round trip ok"
}
real "gzip (round trip)" gzip -r 0 -- gzip_round
xz_round() {
    seq 1 20000 >data
    run xz -T2 -k data && run xz -dc data.xz | cmp - data && echo "round trip ok"
}
real "xz (round trip, 2 threads)" xz -r 0 -- xz_round
real "git --version" git -r 0 -- git --version
git_repo() {
    export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$PWD"
    export GIT_AUTHOR_NAME=T GIT_AUTHOR_EMAIL=t@example.org GIT_COMMITTER_NAME=T
    export GIT_COMMITTER_EMAIL=t@example.org GIT_AUTHOR_DATE=@1700000000 GIT_COMMITTER_DATE=@1700000000
    run git init -q -b main repo && cd repo || return 1
    seq 1 100 >f
    run git add f && run git commit -q -m first
    echo changed >>f
    run git status --porcelain
    run git log --format='%H %an %s'
    run git diff --stat
}
real "git init, commit, log, status, diff" git -r 0 -- git_repo
compile_hello() {
    printf '#include <stdio.h>\nint main(void) { puts("compiled hello"); return 3; }\n' >h.c
    run "$1" -O1 -o h h.c && ./h
}
real "gcc (compile hello; it runs directly)" gcc -r 3 -- compile_hello gcc
real "clang (compile hello; it runs directly)" clang -r 3 -- compile_hello clang
real "awk" awk -r 0 -- awk 'BEGIN { for (i = 1; i <= 10; i++) s += i * i; printf "%d %s\n", s, toupper("done") }'
real "dash -c" dash -r 4 -- dash -c 'echo "$((6 * 7))"; exit 4'
real "openssl dgst" openssl -r 0 -- openssl dgst -sha256 "$TMP/input.txt"
printf 'all:\n\t@echo made $$((1 + 2))\n' >"$TMP/Makefile"
real "make -f (runs a recipe)" make -r 0 -- make -s -f "$TMP/Makefile"
real "env (runs another program)" env -r 0 -- env -i A=1 /bin/sh -c 'echo "A=$A"'
real "date -d @0" date -r 0 -- date -u -d @0 +%FT%T
real "od" od -r 0 -- od -An -tx1 -N32 "$MINI"

# ---------------------------------------------------------------------------------------------------
section "refusals: exit status and message"
refuse "no PROGRAM" 2 'no PROGRAM' --
refuse "no PROGRAM after --verbose" 2 'no PROGRAM' -- --verbose
refuse "unknown option" 2 'unknown option' -- --no-such-option /bin/true
refuse "--argv0 without NAME" 2 'argv0' -- --argv0
refuse "not found in PATH" 127 'not found' -- no-such-command-e2e
refuse "nonexistent path" 127 'No such file' -- /nonexistent/program
refuse "a directory" 126 'Is a directory' -- "$TMP"
cp "$FIX/hello-pie" "$TMP/not-executable"
chmod 644 "$TMP/not-executable"
refuse "a non-executable file" 126 'Permission denied' -- "$TMP/not-executable"
printf 'echo no shebang\n' >"$TMP/text-short"
seq 1 100 >"$TMP/text-long"
: >"$TMP/empty"
chmod +x "$TMP/text-short" "$TMP/text-long" "$TMP/empty"
refuse "an executable text file without #! (long)" 126 'not an ELF|format' -- "$TMP/text-long"
refuse "an executable text file without #! (16 bytes)" 126 'not an ELF|format' -- "$TMP/text-short"
refuse "an empty executable file" 126 'not an ELF|format|truncated|empty' -- "$TMP/empty"
if [ -x "$FIX/hello-foreign" ]; then
    refuse "an ELF for another architecture (cross-compiled)" 126 'wrong architecture' -- "$FIX/hello-foreign"
else
    skip "an ELF for another architecture (cross-compiled)" "no cross compiler"
fi
# e_machine (bytes 18-19, little-endian here): EM_AARCH64 on x86_64, EM_X86_64 elsewhere.
cp "$FIX/hello-pie" "$TMP/patched-machine"
if [ "$(uname -m)" = x86_64 ]; then machine='\xb7\x00'; else machine='\x3e\x00'; fi
printf '%b' "$machine" | dd of="$TMP/patched-machine" bs=1 seek=18 conv=notrunc status=none
refuse "an ELF with e_machine patched" 126 'wrong architecture' -- "$TMP/patched-machine"
head -c 100 "$FIX/hello-pie" >"$TMP/truncated-100"
head -c 4096 "$FIX/hello-pie" >"$TMP/truncated-4096"
chmod +x "$TMP/truncated-100" "$TMP/truncated-4096"
refuse "an ELF truncated to 100 bytes" 126 'truncated|end of the file' -- "$TMP/truncated-100"
refuse "an ELF truncated to 4096 bytes (segments past the end)" 126 'truncated|end of the file' -- "$TMP/truncated-4096"
# PT_INTERP patched to a path of the same length that does not exist.
interp="$(readelf -lW "$FIX/hello-pie" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')"
if [ -n "$interp" ]; then
    offset="$(grep -obUaF -- "$interp" "$FIX/hello-pie" | head -n 1 | cut -d: -f1)"
    cp "$FIX/hello-pie" "$TMP/missing-interp"
    printf '%s' "${interp%?}X" | dd of="$TMP/missing-interp" bs=1 seek="$offset" conv=notrunc status=none
    refuse "PT_INTERP names a missing file (${interp%?}X)" 126 'interpreter' -- "$TMP/missing-interp"
else
    skip "PT_INTERP names a missing file" "no readelf, or hello-pie has no PT_INTERP"
fi
refuse "a #! script whose interpreter is missing" 126 '/nonexistent/interpreter' -- "$FIX/script-missing.sh"
printf '#!\n' >"$TMP/no-interp"
chmod +x "$TMP/no-interp"
refuse "a #! line naming no interpreter" 126 'interpreter' -- "$TMP/no-interp"

"$MINI" --help >"$TMP/help.out" 2>"$TMP/help.err"
rc=$?
if [ $rc = 0 ] && grep -qi usage "$TMP/help.out"; then pass "--help: exit 0, usage on stdout"; else
    fail "--help" "exit $rc; stdout: $(head -c 200 "$TMP/help.out")"; fi
"$MINI" --version >"$TMP/version.out" 2>"$TMP/version.err"
rc=$?
if [ $rc = 0 ] && grep -q 'mini-loader' "$TMP/version.out"; then pass "--version: exit 0 ($(head -n 1 "$TMP/version.out"))"
else fail "--version" "exit $rc; stdout: $(head -c 200 "$TMP/version.out")"; fi

printf '\n%d skipped\n' "$skipped"
printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
