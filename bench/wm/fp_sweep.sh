#!/usr/bin/env bash
# False-positive sweep: SETS distinct unmarked corpora (make_corpus.sh sets
# 2.., 4 x 60 s each: speech/music at 16/44.1 kHz), each file searched whole
# with KEYS keys: decode (found) and presence (sync-only and payload-known)
# must never fire. Prints the audio hours, attempts and hits.
# Usage: bench/wm/fp_sweep.sh [BUILD_DIR] [SETS] [KEYS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; case "$build" in /*) ;; *) build="$root/$build" ;; esac
sets=${2:-15}; keys=${3:-2}
work="$root/out/bench-wm/fp"; mkdir -p "$work"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$root/include" -I"$root/src" \
   "$root/bench/wm/wm_bench.c" "$build/libaimark.a" -lavutil -lz -lm -lpthread -o "$work/wm_bench"
found=0; pres=0; runs=0; secs=0
for s in $(seq 2 $((sets + 1))); do
  [ -f "$work/set$s/music16.wav" ] || "$root/bench/wm/make_corpus.sh" "$work/set$s" "$s" 2>/dev/null
  for f in "$work/set$s"/*.wav; do
    sr=$(soxi -r "$f"); sox "$f" -t f32 "$work/x.f32"
    secs=$((secs + 60))
    for k in $(seq 1 "$keys"); do
      o=$("$work/wm_bench" detect "$sr" $((1000 + k)) 0123456789abcdef "$work/x.f32")
      runs=$((runs + 1))
      grep -q 'found=1' <<<"$o" && { found=$((found + 1)); echo "FOUND $f key $k: $o"; }
      grep -q 'presence_sync=1\|presence_payload=1' <<<"$o" && { pres=$((pres + 1)); echo "PRESENT $f key $k: $o"; }
    done
  done
done
awk -v s="$secs" -v r="$runs" -v f="$found" -v p="$pres" 'BEGIN{
  printf "unmarked audio: %.2f h (%d files x 60 s), %d detector runs: %d payloads found, %d presence alarms\n", s/3600, s/60, r, f, p }'
