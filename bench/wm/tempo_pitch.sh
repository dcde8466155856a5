#!/usr/bin/env bash
# Tempo (pitch kept) and pitch (tempo kept) factor sweep: the benchmark
# corpus marked at the default strength, 10 s clips at three offsets of
# the four signals, through sox tempo at several factors and sox pitch at
# several cents (bench/wm/attacks.sh), decoded by the library. Prints per
# attack how many clips give the exact payload, and the factors reported.
# Usage: bench/wm/tempo_pitch.sh [BUILD_DIR]      (~1 min on 2 cores)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; case "$build" in /*) ;; *) build="$root/$build" ;; esac
KEY=42; PAYLOAD=8badf00dcafe1234
work="$root/out/bench-wm/tempo-pitch"; T="$work/tmp"; rm -rf "$T"; mkdir -p "$T"
B="$work/wm_bench"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$root/include" -I"$root/src" \
   "$root/bench/wm/wm_bench.c" "$build/libaimark.a" -lavutil -lz -lm -lpthread -o "$B"
corpus="$root/out/bench-wm/corpus"
[ -f "$corpus/speech16.wav" ] || "$root/bench/wm/make_corpus.sh" "$corpus" 1 2>/dev/null
. "$root/bench/wm/attacks.sh"
ATTACKS=(tempo_0.95 tempo_0.96 tempo_0.98 tempo_1.02 tempo_1.04 tempo_1.05
         pitch_-50 pitch_-45 pitch_-25 pitch_-10 pitch_10 pitch_25 pitch_45 pitch_50)
for sig in music44 speech44 music16 speech16; do
  sr=$(soxi -r "$corpus/$sig.wav")
  sox "$corpus/$sig.wav" -t f32 "$T/$sig.f32"
  "$B" embed "$sr" $KEY $PAYLOAD "$T/$sig.f32" "$T/$sig.m.f32" >/dev/null
  sox -t f32 -r "$sr" -c 1 "$T/$sig.m.f32" -b 16 "$T/$sig.m.wav"
  for off in 3.3 23.37 41.9; do
    sox "$T/$sig.m.wav" "$T/c.wav" trim "$off" 10
    for a in "${ATTACKS[@]}"; do
      attack "$a" "$T/c.wav" "$T/o.wav" "$sr" 2>/dev/null
      sox "$T/o.wav" -t f32 -c 1 -r "$sr" "$T/o.f32"
      o=$(WM_BENCH_SPEED=1 "$B" detect "$sr" $KEY $PAYLOAD "$T/o.f32")
      echo "$a $(sed 's/.*found=\([01]\).*biterr=\([0-9]*\).*speed=\([0-9.]*\) pitch=\([0-9.]*\).*/\1 \2 \3 \4/' <<<"$o")"
    done
  done
done | awk '{ n[$1]++; if ($2 == 1 && $3 == 0) { y[$1]++; t[$1] += $4; p[$1] += $5 } }
  END { for (a in n) printf "%-11s %2d/%d  mean speed %.4f  mean pitch %.4f\n", a, y[a], n[a],
                       y[a] ? t[a] / y[a] : 0, y[a] ? p[a] / y[a] : 0 }' | sort -t_ -k1,1 -k2,2g
rm -rf "$T"
