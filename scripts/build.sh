#!/usr/bin/env bash
# Configure and build aimark into BUILD_DIR (default build/). Extra arguments
# go to cmake, e.g.: scripts/build.sh build-asan -DAIM_SANITIZE=ON
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-build}
shift || true
case "$dir" in /*) ;; *) dir="$root/$dir" ;; esac
cmake -S "$root" -B "$dir" -DAIM_WERROR=ON "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^-- ' || true
test -x "$dir/aimark" || { echo "build failed" >&2; exit 1; }
