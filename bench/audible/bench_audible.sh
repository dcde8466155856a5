#!/usr/bin/env bash
# Rhythm-prompt detector benchmark: detection rate and position error of
# inserted prompts through codecs, resampling and noise, and false alarms
# per hour on unmarked speech and music. Results: docs/AUDIBLE.md.
#   bench/audible/bench_audible.sh [BUILD_DIR] [WORK_DIR]
# Needs: espeak-ng sox lame opus-tools ffmpeg; optional real speech from
# asterisk-core-sounds-*-wav (used when installed).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "${1:-$root/build}" && pwd)
work=${2:-$(mktemp -d)}
mkdir -p "$work"/{src,lab,att,fa}
tool=$work/audible_tool
cc -O2 -I"$root/include" "$root/bench/audible/audible_tool.c" -L"$build" -laimark \
   -Wl,-rpath,"$build" -lm -o "$tool"

rate_of() { soxi -r "$1"; }
chan_of() { soxi -c "$1"; }
detect() { sox "$1" -t f32 - | "$tool" detect "$(rate_of "$1")" "$(chan_of "$1")"; }

# ---- corpus ------------------------------------------------------------------
text_en="The quick brown fox jumps over the lazy dog. Artificial intelligence systems can now write, speak and draw. We measured the weather in seven cities for a whole year, and the results surprised everyone who had followed the debate."
text_cmn="今天的天气非常好，我们一起去公园散步吧。人工智能技术正在改变我们的生活方式，从语音助手到自动驾驶，应用越来越广泛。请在听到提示音后留下您的留言。"
i=0
for v in en en-us de fr es cmn ru it; do
  t=$text_en; [ "$v" = cmn ] && t=$text_cmn
  espeak-ng -v "$v" -s 160 -w "$work/src/tmp.wav" "$t $t"
  sox "$work/src/tmp.wav" "$work/src/sp_$v.wav" trim 0 30
  i=$((i+1))
done
# Music: random notes (pluck, sine, square; 0.1-0.6 s) from an equal-tempered
# scale around 1 kHz, some chords, stereo 44.1 kHz.
mkdir -p "$work/notes"
RANDOM=7
names=(C D E F G A B)
for o in 4 5 6; do for n in "${names[@]}"; do for s in pluck sine square; do
  for d in 0.1 0.2 0.3 0.6; do
    sox -n -r 44100 -c 2 "$work/notes/${s}_$n${o}_$d.wav" synth "$d" "$s" "$n$o" fade 0.005 "$d" 0.03 vol 0.3
  done; done; done; done
notes=("$work"/notes/*.wav)
make_music() { # out seconds
  local out=$1 secs=$2 list=() total=0
  while [ "$total" -lt $((secs * 10)) ]; do
    local f=${notes[$((RANDOM % ${#notes[@]}))]}
    list+=("$f")
    total=$((total + $(basename "$f" .wav | sed 's/.*_0\.\(.\)/\1/')))
    [ $((RANDOM % 5)) = 0 ] && list+=("$work/notes/rest.wav")
  done
  sox "${list[@]}" "$out"
}
sox -n -r 44100 -c 2 "$work/notes/rest.wav" trim 0 0.2
for k in 1 2 3 4; do make_music "$work/src/mu_$k.wav" 30; sox "$work/src/mu_$k.wav" "$work/src/mu_$k.t.wav" trim 0 30; mv "$work/src/mu_$k.t.wav" "$work/src/mu_$k.wav"; done
astdir=/usr/share/asterisk/sounds
if [ -d "$astdir" ]; then
  mapfile -t ast < <(find "$astdir" -name '*.wav' | sort)
  for k in 1 2 3 4; do
    sox "${ast[@]:$((k * 300)):25}" "$work/src/tmp8.wav"
    sox "$work/src/tmp8.wav" -r 16000 "$work/src/as_$k.wav" trim 0 30
  done
fi
rm -f "$work"/src/tmp*.wav

# ---- labelled copies (prompts at 0, 10, 20 s of content) -----------------------
for f in "$work"/src/*.wav; do
  b=$(basename "$f" .wav); r=$(rate_of "$f"); c=$(chan_of "$f")
  for mode in insert mix; do
    sox "$f" -t f32 - | "$tool" insert "$r" "$c" $mode 10 2>"$work/lab/${b}_$mode.truth" |
      sox -t f32 -r "$r" -c "$c" - -b 16 "$work/lab/${b}_$mode.wav"
  done
done

attack() { # name in out
  local a=$1 in=$2 out=$3 r; r=$(rate_of "$in")
  case $a in
    none) cp "$in" "$out" ;;
    mp3_64k) lame --quiet -b 64 "$in" "$out.mp3" && ffmpeg -v error -y -i "$out.mp3" "$out" ;;
    mp3_32k) lame --quiet -b 32 "$in" "$out.mp3" && ffmpeg -v error -y -i "$out.mp3" "$out" ;;
    opus_16k) opusenc --quiet --bitrate 16 "$in" "$out.opus" && opusdec --quiet --rate 48000 "$out.opus" "$out" ;;
    aac_64k) ffmpeg -v error -y -i "$in" -c:a aac -b:a 64k "$out.m4a" && ffmpeg -v error -y -i "$out.m4a" "$out" ;;
    rs_8k) sox "$in" -r 8000 "$out.8k.wav" && sox "$out.8k.wav" -r "$r" "$out" ;;
    noise_10dB) sox "$in" -t f32 - | "$tool" noise 10 "$RANDOM" |
                  sox -t f32 -r "$r" -c "$(chan_of "$in")" - -b 16 "$out" ;;
  esac
  rm -f "$out".*
}

attacks=(none mp3_64k mp3_32k opus_16k aac_64k rs_8k noise_10dB)
res=$work/results.txt
: >"$res"
for a in "${attacks[@]}"; do
  for f in "$work"/lab/*.wav; do
    b=$(basename "$f" .wav)
    attack "$a" "$f" "$work/att/x.wav"
    detect "$work/att/x.wav" >"$work/att/hits"
    # match each true onset to a hit within 100 ms
    awk -v a="$a" -v m="${b##*_}" -v file="$b" 'NR==FNR { t[++n] = $1; next }
      { h[++k] = $1 }
      END { for (i = 1; i <= n; i++) { best = 1e9
              for (j = 1; j <= k; j++) { d = h[j] - t[i]; if (d < 0) d = -d; if (d < best) { best = d; bj = j } }
              if (best <= 0.1) { used[bj] = 1; print a, m, file, "hit", best } else print a, m, file, "miss", 0 }
            for (j = 1; j <= k; j++) if (!used[j]) print a, m, file, "extra", 0 }' \
      "$work/lab/$b.truth" "$work/att/hits" >>"$res"
  done
done

echo "| attack | mode | prompts | detected | rate | mean err ms | max err ms | extra hits |"
echo "|---|---|---|---|---|---|---|---|"
for a in "${attacks[@]}"; do for m in insert mix; do
  awk -v a="$a" -v m="$m" '$1 == a && $2 == m { if ($4 == "hit") { h++; s += $5; if ($5 > mx) mx = $5; n++ }
      else if ($4 == "miss") n++; else x++ }
    END { printf "| %s | %s | %d | %d | %.1f%% | %.1f | %.1f | %d |\n", a, m, n, h, 100 * h / n,
          h ? 1000 * s / h : 0, 1000 * mx, x }' "$res"
done; done

# ---- false alarms on unmarked audio ----------------------------------------------
fa() { # label files...
  local label=$1 secs=0 hits=0; shift
  for f in "$@"; do
    secs=$(echo "$secs + $(soxi -D "$f")" | bc)
    hits=$((hits + $(detect "$f" | wc -l)))
  done
  printf "| %s | %.2f | %d | %.2f |\n" "$label" "$(echo "$secs / 3600" | bc -l)" "$hits" \
    "$(echo "$hits / ($secs / 3600)" | bc -l)"
}
echo
echo "| unmarked audio | hours | detections | false alarms per hour |"
echo "|---|---|---|---|"
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do make_music "$work/fa/mu_$k.wav" 100; done
fa "synthetic music (sox notes)" "$work"/fa/mu_*.wav "$work"/src/mu_*.wav
fa "espeak-ng speech, 8 voices" "$work"/src/sp_*.wav
if [ -d "$astdir" ]; then
  for d in "$astdir"/*/; do
    mapfile -t files < <(find "$d" -name '*.wav' | sort)
    sox "${files[@]}" "$work/fa/as_$(basename "$d").wav"
  done
  fa "Asterisk prompts (real speech, 5 languages)" "$work"/fa/as_*.wav
fi
