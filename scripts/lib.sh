# shellcheck shell=bash
# Shared by scripts/test and scripts/run: install what the build needs, configure and build.
# Source it from the repository's root, in a script that runs under `set -euo pipefail`.

# Debian packages the build, the tests and the cross builds need.
ELFLDR_PACKAGES=(
    meson ninja-build gcc clang pkg-config binutils
    libcriterion-dev zlib1g-dev
    git perl python3 xz-utils
    libsqlite3-0 libxml2 libssl3 libpython3.11 g++ gdb
    libclang-rt-14-dev
    qemu-user
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross
    gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
)

# Build directories; ELFLDR_BUILD_DIR lets a developer keep a separate one.
ELFLDR_BUILD_DIR="${ELFLDR_BUILD_DIR:-build}"
# shellcheck disable=SC2034 # used by scripts/test
ELFLDR_CROSS_ARCHES=(aarch64 riscv64)

elfldr_log() {
    printf '==> %s\n' "$*" >&2
}

elfldr_package_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# Install the packages that are missing, and only those; `apt-get update` runs once, and only then.
elfldr_install_deps() {
    if ! command -v dpkg-query >/dev/null 2>&1; then
        elfldr_log "not a Debian system: not installing packages (need: ${ELFLDR_PACKAGES[*]})"
        return 0
    fi
    local missing=() pkg
    for pkg in "${ELFLDR_PACKAGES[@]}"; do
        elfldr_package_installed "$pkg" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || {
            elfldr_log "missing packages (${missing[*]}) and not root, no sudo"
            return 1
        }
        sudo=(sudo)
    fi
    elfldr_log "installing: ${missing[*]}"
    # Callers run this inside `if`, where `set -e` does not apply: every failure returns explicitly.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}" || return 1
}

# elfldr_configure DIR [MESON-SETUP-ARGS...]: set up DIR, or reconfigure it if it was set up before.
# Pass every option each time: a reconfigure keeps options that are not given again.
elfldr_configure() {
    local dir="$1"
    shift
    if [ -f "$dir/meson-private/coredata.dat" ]; then
        if meson setup --reconfigure "$dir" "$@"; then
            return 0
        fi
        elfldr_log "$dir: reconfigure failed; setting it up from scratch"
        meson setup --wipe "$dir" "$@"
    else
        rm -rf "$dir" || return 1
        meson setup "$dir" "$@"
    fi
}

elfldr_configure_native() {
    elfldr_configure "$ELFLDR_BUILD_DIR" -Dtests=true
}

# elfldr_configure_cross ARCH: build-ARCH with cross/ARCH-linux-gnu.ini. Tests that need Criterion are
# left out there (no cross Criterion); the others run under qemu-user.
elfldr_configure_cross() {
    local arch="$1"
    elfldr_configure "build-$arch" --cross-file "cross/$arch-linux-gnu.ini" -Dtests=true
}

# elfldr_build DIR [TARGET...]: build everything, or only the targets named (paths in DIR).
elfldr_build() {
    ninja -C "$@"
}
