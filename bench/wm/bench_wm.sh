#!/usr/bin/env bash
# Watermark benchmark: corpus (bench/wm/make_corpus.sh), embed at default
# strength into 60 s mono signals (speech/music, 16/44.1 kHz), cut a 10 s
# clip, run the attack chain (Debian tools), detect, and print a Markdown
# table: attack x signal -> "Y" (exact payload) or "N k" (k wrong bits of 64
# in the best candidate's decode; "F" would be a wrong payload accepted).
# Every attack is also run on the unmarked clip: any detection there is a
# false positive (counted at the end). Then quality (SNR, NMR) and speed.
# Usage: bench/wm/bench_wm.sh [BUILD_DIR] [ATTACK_REGEX]
#   BUILD_DIR (default build) must hold libaimark.a (scripts/build.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}; case "$build" in /*) ;; *) build="$root/$build" ;; esac
only=${2:-.}
work="$root/out/bench-wm"
KEY=42; PAYLOAD=8badf00dcafe1234
mkdir -p "$work"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$root/include" -I"$root/src" \
   "$root/bench/wm/wm_bench.c" "$build/libaimark.a" -lavutil -lz -lm -lpthread -o "$work/wm_bench"
B="$work/wm_bench"
[ -f "$work/corpus/speech16.wav" ] || "$root/bench/wm/make_corpus.sh" "$work/corpus" 1 2>/dev/null
T="$work/tmp"; rm -rf "$T"; mkdir -p "$T"

. "$root/bench/wm/attacks.sh"
ATTACKS=("${WM_ATTACKS[@]}")
SIGS=(music44 speech44 music16 speech16)
CLIP_OFF=${CLIP_OFF:-23.37}   # the 10 s clip starts here (any offset: the grid is searched)

declare -A cell
fp=0; fp_runs=0; pfp=0
res="$work/results.tsv"; : > "$res"
det() { # SIGNAL-RATE FILE.wav -> "found biterr"
  sox "$2" -t f32 -c 1 -r "$1" "$T/d.f32"
  "$B" detect "$1" $KEY $PAYLOAD "$T/d.f32"
}
for sig in "${SIGS[@]}"; do
  sr=$(soxi -r "$work/corpus/$sig.wav")
  sox "$work/corpus/$sig.wav" -t f32 "$T/$sig.f32"
  q=$("$B" embed "$sr" $KEY $PAYLOAD "$T/$sig.f32" "$T/$sig.m.f32")
  echo "quality $sig $q" | tee -a "$res" >&2
  sox -t f32 -r "$sr" -c 1 "$T/$sig.m.f32" -b 16 "$T/$sig.m.wav"
  # clips: marked, unmarked, and two more cut offsets
  sox "$T/$sig.m.wav" "$T/$sig.clip.wav" trim $CLIP_OFF 10
  sox "$work/corpus/$sig.wav" "$T/$sig.uclip.wav" trim $CLIP_OFF 10
  for off in 3.3 41.9; do
    sox "$T/$sig.m.wav" "$T/c.wav" trim $off 10
    o=$(det "$sr" "$T/c.wav")
    echo "cut_at_$off $sig $o" >> "$res"
    f=$(sed 's/.*found=\([01]\).*/\1/' <<<"$o"); be=$(sed 's/.*biterr=\([0-9]*\).*/\1/' <<<"$o")
    [ "$f" = 1 ] && { [ "$be" = 0 ] && cell["cut_at_$off,$sig"]=Y || cell["cut_at_$off,$sig"]=F; } || cell["cut_at_$off,$sig"]="N $be"
  done
  for a in "${ATTACKS[@]}"; do
    [[ $a =~ $only ]] || continue
    if ! attack "$a" "$T/$sig.clip.wav" "$T/o.wav" "$sr" 2>/dev/null; then
      echo "attack $a failed on $sig" >&2; cell[$a,$sig]=err; continue
    fi
    o=$(det "$sr" "$T/o.wav")
    echo "$a $sig $o" >> "$res"
    f=$(sed 's/.*found=\([01]\).*/\1/' <<<"$o"); be=$(sed 's/.*biterr=\([0-9]*\).*/\1/' <<<"$o")
    if [ "$f" = 1 ]; then [ "$be" = 0 ] && cell[$a,$sig]=Y || cell[$a,$sig]=F; else cell[$a,$sig]="N $be"; fi
    # presence with the payload known (pfa <= 1e-12), shown where the decode failed
    grep -q 'presence_payload=1' <<<"$o" && [ "$f" = 0 ] && cell[$a,$sig]="${cell[$a,$sig]} P"
    attack "$a" "$T/$sig.uclip.wav" "$T/u.wav" "$sr" 2>/dev/null || continue
    o=$(det "$sr" "$T/u.wav")
    fp_runs=$((fp_runs + 1))
    if grep -q 'found=1' <<<"$o"; then fp=$((fp + 1)); echo "FALSE POSITIVE $a $sig $o" >&2; fi
    if grep -q 'presence_payload=1\|presence_sync=1' <<<"$o"; then pfp=$((pfp + 1)); echo "PRESENCE FALSE ALARM $a $sig $o" >&2; fi
    echo "unmarked $a $sig $o" >> "$res"
  done
done
echo "| attack (10 s clip) | ${SIGS[*]} |" | sed 's/ \([a-z]*[0-9][0-9]\)/ \1 |/g; s/| |/|/'
echo "|---|---|---|---|---|"
for a in "${ATTACKS[@]}" cut_at_3.3 cut_at_41.9; do
  [[ $a =~ $only ]] || [[ $a == cut_* ]] || continue
  printf "| %s |" "$a"
  for sig in "${SIGS[@]}"; do printf " %s |" "${cell[$a,$sig]:-}"; done
  echo
done
echo
echo "Y: payload decoded exactly. N k: not found, k of 64 payload bits wrong in the best candidate."
echo "P: not decoded, but present with the payload known (aim_wm_detector_presence, pfa <= 1e-12)."
echo
echo "False detections on the unmarked clips: $fp of $fp_runs attacked clips (decode);"
echo "presence false alarms (sync-only and payload-known tests): $pfp of $fp_runs."
echo
echo "Quality at the default strength (60 s, whole signal):"
grep '^quality' "$res" | sed 's/^quality /  /'
echo
# whole-process speed on 60 s 44.1 kHz mono (median of 3 runs): wall time,
# and CPU time (user+sys, what one core spends; the machine is shared)
t3() { for k in 1 2 3; do WM_BENCH_SPEED=1 /usr/bin/time -f "%e %U %S" -o "$T/time" "$@" >/dev/null
       tail -1 "$T/time" | awk '{printf "%.3f %.3f\n", $1, $2 + $3}'; done | sort -g -k2 | sed -n 2p; }
sox "$T/music44.m.wav" "$T/c10.wav" trim 0 10
sox "$T/c10.wav" -t f32 "$T/c10.f32"
te=$(t3 "$B" embed 44100 $KEY $PAYLOAD "$T/music44.f32" "$T/x.f32")
td=$(t3 "$B" detect 44100 $KEY $PAYLOAD "$T/music44.m.f32")
tc=$(t3 "$B" detect 44100 $KEY $PAYLOAD "$T/c10.f32")
echo "Speed, whole process (reads/writes raw float), 44.1 kHz mono:"
for x in "embed 60 s:60:$te" "detect 60 s:60:$td" "detect 10 s:10:$tc"; do
  IFS=: read -r what len t <<<"$x"; set -- $t
  awk -v w="$what" -v l="$len" -v e="$1" -v c="$2" 'BEGIN{printf "  %s: wall %.3f s (%.0fx real time), CPU %.3f s (%.0fx per core)\n", w, e, l/e, c, l/c}'
done
aimark="$build/aimark"
if [ -x "$aimark" ] && "$aimark" wm --help 2>&1 | grep -q 'wm detect'; then
  # the CLI, whole process on the 60 s 44.1 kHz WAV (decode, mark, encode)
  head -c 32 /dev/zero | tr '\0' 'k' > "$T/bench.key"
  tl=$(t3 "$aimark" wm embed --key "$T/bench.key" --payload $PAYLOAD "$work/corpus/music44.wav" "$T/cli.wav")
  "$aimark" wm embed --key "$T/bench.key" --payload $PAYLOAD "$work/corpus/music44.wav" "$T/cli.wav" >/dev/null
  tk=$(t3 "$aimark" wm detect --key "$T/bench.key" "$T/cli.wav")
  sox "$T/cli.wav" "$T/cli10.wav" trim 0 10
  tk10=$(t3 "$aimark" wm detect --key "$T/bench.key" "$T/cli10.wav")
  echo "CLI (aimark wm embed / wm detect on 16-bit WAV, whole process):"
  for x in "wm embed 60 s:60:$tl" "wm detect 60 s:60:$tk" "wm detect 10 s:10:$tk10"; do
    IFS=: read -r what len t <<<"$x"; set -- $t
    awk -v w="$what" -v l="$len" -v e="$1" -v c="$2" 'BEGIN{printf "  %s: wall %.3f s (%.0fx real time), CPU %.3f s (%.0fx per core)\n", w, e, l/e, c, l/c}'
  done
fi
