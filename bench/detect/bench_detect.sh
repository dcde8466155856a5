#!/usr/bin/env bash
# Detector speed: real-time factor per core and peak memory of
# `aimark detect` for each model, on 10 minutes of 16 kHz mono speech
# (espeak-ng, repeated), pinned to one core.
#   bench/detect/bench_detect.sh [BUILD_DIR=build]
# RTF = audio seconds / CPU seconds (user+sys) of the process; memory =
# peak RSS from GNU time. Also the streaming path (--live) for the NN.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
aimark="$build/aimark"
work="$root/out/bench-detect"
[ -x "$aimark" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs GNU time (scripts/deps.sh)" >&2; exit 1; }
mkdir -p "$work"
if [ ! -f "$work/speech600.wav" ]; then
  espeak-ng -v en-us -s 160 -w "$work/one.wav" "$(printf 'The committee will meet again on Thursday to review the budget, the schedule and the open questions from the last session. %.0s' 1 2 3 4 5 6)"
  sox "$work/one.wav" -r 16000 -c 1 -b 16 "$work/one16.wav"
  len=$(soxi -D "$work/one16.wav")
  reps=$(awk -v l="$len" 'BEGIN{print int(600/l)+1}')
  files=(); for _ in $(seq "$reps"); do files+=("$work/one16.wav"); done
  sox "${files[@]}" "$work/speech600.wav" trim 0 600
fi
secs=$(soxi -D "$work/speech600.wav")
pin=(); command -v taskset >/dev/null && pin=(taskset -c 0)
run() { # LABEL CMD...
  local label=$1; shift
  /usr/bin/time -o "$work/time" -f '%U %S %e %M' "${pin[@]}" "$@" > "$work/out" 2>/dev/null || true
  read -r u s e m < <(tail -1 "$work/time")
  awk -v l="$label" -v a="$secs" -v u="$u" -v s="$s" -v e="$e" -v m="$m" \
    'BEGIN{printf "%-28s %7.0fx real time per core  (cpu %.2f s, wall %.2f s, peak RSS %.1f MiB)\n", l, a/(u+s), u+s, e, m/1024}'
}
echo "audio: ${secs} s of 16 kHz mono speech; $(nproc) cores, pinned to core 0"
run "lcnn (file)" "$aimark" detect -j 1 "$work/speech600.wav"
run "gmm (file)" "$aimark" detect -j 1 --model "$root/models/aimark-gmm.aimdet" "$work/speech600.wav"
sox "$work/speech600.wav" -t raw -e signed -b 16 "$work/speech600.raw"
run "lcnn (live, s16le stdin)" sh -c "'$aimark' detect --live --rate 16000 < '$work/speech600.raw'"
sox "$work/speech600.wav" -r 44100 -c 2 "$work/speech600-44k.wav"
run "lcnn (file, 44.1 kHz stereo)" "$aimark" detect -j 1 "$work/speech600-44k.wav"
