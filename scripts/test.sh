#!/usr/bin/env bash
# The whole test suite: installs what is missing (Debian packages, ExifTool 13
# from npm), builds with warnings as errors, and runs every test with ctest:
# unit tests, CLI and interop tests (ExifTool, ffmpeg, sox, flac, ogginfo),
# and a replay of every fuzzer's committed corpus.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
dir=${AIM_BUILD_DIR:-$root/build}
"$root/scripts/build.sh" "$dir" ${AIM_CMAKE_ARGS:-}
cd "$dir"
ctest --output-on-failure -j"$(nproc)" --timeout 600
