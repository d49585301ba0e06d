#!/bin/sh
# Install the Debian packages hookcast needs, or say exactly how to.
#   scripts/deps.sh           check build+test needs; install what is missing
#   scripts/deps.sh --check   only check; exit 1 when something is missing
# Each need is "file-or-command:package". A need is met when the file
# exists (an absolute path, globs allowed) or the command is on PATH.
set -u
mode=${1:-}

NEEDS="
/usr/include/*/curl/curl.h:libcurl4-openssl-dev
/usr/include/csv.h:libcsv-dev
/usr/include/iniparser/iniparser.h:libiniparser-dev
/usr/include/cmocka.h:libcmocka-dev
/usr/include/microhttpd.h:libmicrohttpd-dev
/usr/include/ncursesw/curses.h:libncurses-dev
/usr/include/openssl/evp.h:libssl-dev
/usr/include/sqlite3.h:libsqlite3-dev
/usr/include/jansson.h:libjansson-dev
/usr/include/mimalloc.h:libmimalloc-dev
sqlite3:sqlite3
pkg-config:pkg-config
python3:python3
curl:curl
tmux:tmux
valgrind:valgrind
openssl:openssl
/usr/sbin/nginx:nginx-light
node:nodejs
npm:npm
parallel:parallel
promtool:prometheus
zsh:zsh
fish:fish
/usr/lib/python3/dist-packages/yaml/__init__.py:python3-yaml
cppcheck:cppcheck
clang-tidy:clang-tidy
clang:clang
/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-*.a:libclang-rt-dev
"
[ -n "${HOOKCAST_EXTRA_NEEDS:-}" ] && NEEDS="$NEEDS $HOOKCAST_EXTRA_NEEDS"

# The npm packages the integration tests check hookcast against (a
# reference implementation nobody here wrote), pinned by the lock file.
root=$(cd "$(dirname "$0")/.." && pwd)
node_ok() { [ -f "$root/tests/node/node_modules/standardwebhooks/package.json" ]; }
node_step() {
    node_ok && return 0
    if [ "${1:-}" = "--check" ]; then
        echo "missing npm packages: run scripts/deps.sh (npm ci --prefix tests/node)" >&2
        return 1
    fi
    echo "deps: npm ci --prefix tests/node" >&2
    npm ci --prefix "$root/tests/node" --no-audit --no-fund --loglevel=error >&2 || return 1
    node_ok
}

missing=""
for need in $NEEDS; do
    what=${need%%:*}
    pkg=${need##*:}
    case $what in
        /*) # shellcheck disable=SC2086
            set -- $what; [ -e "$1" ] && continue ;;
        *) command -v "$what" >/dev/null 2>&1 && continue ;;
    esac
    case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
done
missing=${missing# }

if [ -z "$missing" ]; then
    node_step "$mode"
    exit $?
fi
if [ "$mode" = "--check" ] || [ -n "${HOOKCAST_DEPS_INSTALLED:-}" ]; then
    echo "missing packages: $missing" >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo"
else
    echo "hookcast needs these Debian packages; install them with:" >&2
    echo "  sudo apt-get install -y $missing" >&2
    exit 1
fi

# Refresh the package lists when they are missing or older than a day.
lists=/var/lib/apt/lists
if ! ls $lists/*_Packages* >/dev/null 2>&1 ||
   [ -n "$(find $lists -maxdepth 1 -name '*_Packages*' -mtime +0 2>/dev/null | head -n 1)" ]; then
    echo "deps: apt-get update" >&2
    $SUDO apt-get update -q || exit 1
fi
echo "deps: apt-get install -y $missing" >&2
# shellcheck disable=SC2086
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing; then
    # The lists may name versions the mirror no longer has: refresh once.
    $SUDO apt-get update -q || exit 1
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing || exit 1
fi
HOOKCAST_DEPS_INSTALLED=1 exec "$0"
