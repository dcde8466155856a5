#!/usr/bin/env bash
# Watermark tuning lab: a fixed set of hard cases (10 s clips at three
# offsets of the four corpus signals, through the codec/noise/room attacks
# where the margin is thinnest), made once per embedder, then detected by
# any build. Prints per case the decode (Y/N) and the payload-known
# presence statistic z (the normalised correlation with the known symbols:
# the margin, continuous where Y/N is not), and per attack the counts.
#   bench/wm/lab.sh make   BUILD_DIR [SET] [ATTACK_REGEX]   embed + attack
#   bench/wm/lab.sh detect BUILD_DIR [SET] [ATTACK_REGEX]   detect + summary
# SET is the make_corpus.sh set (1 = the benchmark's; 2.. = held out).
# LAB_OFFS="O1 O2 ..." replaces the three clip offsets (seconds, clip + 10 s
# within the 60 s signal), e.g. to sweep one attack over many offsets;
# LAB_SIGS="speech44 ..." keeps only some of the four corpus signals.
# Cases live in out/bench-wm/lab/setN/ (about 12 MB a set; setN-TAG/ with
# LAB_TAG=TAG set, to keep the cases of several embedders apart).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
mode=${1:?make or detect}; build=${2:-build}; set_no=${3:-1}
re=${4:-'^(mp3_32|aac_64|vorbis_q2|vorbis_q0|opus_32|opus_16|libopus_12|noise_20|noise_10|reverb|echo|telephone)$'}
case "$build" in /*) ;; *) build="$root/$build" ;; esac
KEY=42; PAYLOAD=8badf00dcafe1234; read -r -a OFFS <<<"${LAB_OFFS:-3.3 23.37 41.9}"; read -r -a SIGS <<<"${LAB_SIGS:-music44 speech44 music16 speech16}"
work="$root/out/bench-wm/lab"; dir="$work/set$set_no${LAB_TAG:+-$LAB_TAG}"; mkdir -p "$dir"
B="$work/wm_bench.$BASHPID"
cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L -I"$root/include" -I"$root/src" \
   "$root/bench/wm/wm_bench.c" "$build/libaimark.a" -lavutil -lz -lm -lpthread -o "$B"
trap 'rm -f "$B"' EXIT
corpus="$root/out/bench-wm/corpus"; [ "$set_no" = 1 ] || corpus="$work/corpus$set_no"
[ -f "$corpus/speech16.wav" ] || "$root/bench/wm/make_corpus.sh" "$corpus" "$set_no" 2>/dev/null
. "$root/bench/wm/attacks.sh"
jobs=$(nproc)

if [ "$mode" = make ]; then
  T="$dir/tmp"; rm -rf "$T"; mkdir -p "$T"
  for sig in "${SIGS[@]}"; do
    sr=$(soxi -r "$corpus/$sig.wav")
    sox "$corpus/$sig.wav" -t f32 "$T/$sig.f32"
    echo "embed $sig $("$B" embed "$sr" $KEY $PAYLOAD "$T/$sig.f32" "$T/$sig.m.f32")"
    sox -t f32 -r "$sr" -c 1 "$T/$sig.m.f32" -b 16 "$T/$sig.m.wav"
    for off in "${OFFS[@]}"; do
      sox "$T/$sig.m.wav" "$T/$sig.$off.wav" trim "$off" 10
      for a in "${WM_ATTACKS[@]}"; do
        [[ $a =~ $re ]] || continue
        while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
        ( attack "$a" "$T/$sig.$off.wav" "$T/$sig.$a.$off.wav" "$sr" 2>/dev/null &&
          sox "$T/$sig.$a.$off.wav" -t f32 -c 1 -r "$sr" "$dir/${sig}_${sr}_${a}_$off.f32" &&
          rm -f "$T/$sig.$a.$off.wav" ) &
      done
    done
  done
  wait
  rm -rf "$T"
  echo "$(ls "$dir"/*.f32 | wc -l) cases in $dir"
  exit 0
fi

[ "$mode" = detect ] || { echo "usage: lab.sh make|detect BUILD_DIR [SET] [ATTACK_REGEX]" >&2; exit 2; }
res="$work/detect.$BASHPID.tsv"
ls "$dir"/*.f32 | while read -r f; do
  n=$(basename "$f" .f32); IFS=_ read -r sig sr rest <<<"$n"; a=${rest%_*}
  [[ $a =~ $re ]] || continue
  echo "$f $sig $sr $a"
done | xargs -P "$jobs" -L 1 sh -c '
  o=$("$0" detect "$3" '$KEY' '$PAYLOAD' "$1")
  f=$(echo "$o" | sed "s/.*found=\([01]\).*/\1/"); be=$(echo "$o" | sed "s/.*biterr=\([0-9]*\).*/\1/")
  z=$(echo "$o" | sed "s/.*presence_payload=[01] z=\([-0-9.]*\).*/\1/")
  [ "$f" = 1 ] && [ "$be" = 0 ] && y=Y || { [ "$f" = 1 ] && y=F || y=N; }
  printf "%s\t%s\t%s\t%s\t%s\n" "$4" "$2" "$(basename "$1" .f32)" "$y" "$z"' "$B" > "$res"
sort -k1,1 -k3,3 "$res" | awk -F'\t' '
  { n[$1]++; if ($4 == "Y") y[$1]++; if ($4 == "F") bad++; s[$1] += $5; Y += ($4 == "Y"); N++; Z += $5
    if (!($1 in seen)) { seen[$1] = 1; ord[++na] = $1 } line[$1] = line[$1] sprintf(" %s%s:%.1f", $4, substr($2, 1, 1) substr($2, length($2) - 1), $5) }
  END { for (i = 1; i <= na; i++) { a = ord[i]; printf "%-11s %2d/%-2d mean z %5.2f |%s\n", a, y[a], n[a], s[a] / n[a], line[a] }
        printf "TOTAL decoded %d/%d, mean z %.3f, wrong payloads %d\n", Y, N, Z / N, bad }'
rm -f "$res"
