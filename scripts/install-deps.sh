#!/usr/bin/env bash
# Installs everything da builds and tests with: Debian -dev packages through apt-get and
# DuckDB 1.4.4 from the npm registry into deps/duckdb (git-ignored). Idempotent: prints
# nothing and changes nothing when all is present. Fails loudly on any problem.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
deps="$here/deps/duckdb"
duckdb_version="v1.4.4"
bindings_pkg="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
header_pkg="duckdb@1.4.4"

apt_packages=(
    build-essential pkg-config
    libmicrohttpd-dev libjansson-dev libargon2-dev libssl-dev libcurl4-openssl-dev
    libsqlite3-dev libyaml-dev libcmocka-dev
    tzdata # /usr/share/zoneinfo: instance.timezone and the scheduler's daily times
    nodejs npm
    # command-line tools the end-to-end tests run (tests/run.sh fails on a skipped test)
    zsh      # the test of `da completion zsh`
    sqlite3  # login.test.mjs edits a pending device grant in system.sqlite
    curl     # fakes.test.mjs sends a mail through the fake SMTP relay with curl
    bsdutils # script(1): client_admin.test.mjs gives da a terminal
    # make tsan / fuzz / lint / format
    clang libclang-rt-14-dev # libFuzzer and its sanitizer runtimes (not a dependency of clang)
    llvm                     # llvm-symbolizer: stack traces with file and line
    clang-format-14 # the one pinned version `make format-check` compares against
    cppcheck
)

say() { printf 'install-deps: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

missing_packages() {
    local p
    for p in "${apt_packages[@]}"; do
        # node and npm may come from outside Debian (as on the CI image): a working binary counts.
        case "$p" in
        nodejs) command -v node >/dev/null && continue ;;
        npm) command -v npm >/dev/null && continue ;;
        esac
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

install_apt() {
    local missing
    missing=$(missing_packages)
    [ -z "$missing" ] && return 0
    say "installing Debian packages: $(echo $missing | tr '\n' ' ')"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq >/dev/null || die "apt-get update failed"
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing >/dev/null ||
        die "apt-get install failed for: $missing"
}

# Prints the version string libduckdb.so reports, through a tiny C program.
duckdb_library_version() {
    local tmp
    tmp=$(mktemp -d)
    cat >"$tmp/v.c" <<'C'
#include <stdio.h>
#include "duckdb.h"
int main(void) { puts(duckdb_library_version()); return 0; }
C
    cc -I"$deps/include" "$tmp/v.c" -o "$tmp/v" -L"$deps/lib" -lduckdb -Wl,-rpath,"$deps/lib" &&
        "$tmp/v"
    local rc=$?
    rm -rf "$tmp"
    return $rc
}

install_duckdb() {
    if [ -f "$deps/lib/libduckdb.so" ] && [ -f "$deps/include/duckdb.h" ] &&
        [ "$(duckdb_library_version 2>/dev/null)" = "$duckdb_version" ]; then
        return 0
    fi
    say "fetching DuckDB $duckdb_version from the npm registry"
    local tmp
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' RETURN
    (cd "$tmp" && npm pack --silent "$bindings_pkg" "$header_pkg" >/dev/null) ||
        die "npm pack of $bindings_pkg and $header_pkg failed"
    mkdir -p "$tmp/b" "$tmp/h"
    tar -xzf "$tmp"/duckdb-node-bindings-linux-x64-*.tgz -C "$tmp/b" package/libduckdb.so ||
        die "libduckdb.so missing from $bindings_pkg"
    tar -xzf "$tmp"/duckdb-1.4.4.tgz -C "$tmp/h" package/src/duckdb/src/include/duckdb.h ||
        die "duckdb.h missing from $header_pkg"
    rm -rf "$deps"
    mkdir -p "$deps/lib" "$deps/include"
    mv "$tmp/b/package/libduckdb.so" "$deps/lib/"
    mv "$tmp/h/package/src/duckdb/src/include/duckdb.h" "$deps/include/"
    local got
    got=$(duckdb_library_version) || die "cannot build against the fetched DuckDB"
    [ "$got" = "$duckdb_version" ] || die "DuckDB library reports '$got', expected '$duckdb_version'"
    say "DuckDB $got installed in deps/duckdb"
}

install_apt
install_duckdb
