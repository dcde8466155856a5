#!/usr/bin/env bash
# Benchmark of the metadata layer against the reference tools, in one run:
#  1. `aimark check` vs ExifTool 13 in batch mode (one process, many files)
#     on a corpus of N mixed labelled files (default 2400): files per second.
#  2. label writing: `aimark label` vs `ffmpeg -c copy -metadata AIGC=...`
#     on the audio/video files of the corpus (each tool once per file, and
#     aimark also as one batch process).
# Usage: bench/bench_meta.sh [N]   (needs scripts/deps.sh and a build in build/)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-2400}
aimark="$root/build/aimark"
exiftool="$root/.deps/node_modules/exiftool-vendored.pl/bin/exiftool"
cfg="$root/tests/interop/exiftool-tc260.config"
work="$root/out/bench"
[ -x "$aimark" ] || { echo "build first: scripts/build.sh" >&2; exit 1; }
[ -x "$exiftool" ] || { echo "run scripts/deps.sh first" >&2; exit 1; }
rm -rf "$work"; mkdir -p "$work"
"$root/scripts/make-samples.sh" "$work/samples" >/dev/null
rm -f "$work/samples/speech-raw.wav"
now() { date +%s.%N; }
rate() { awk -v n="$1" -v t="$2" 'BEGIN{printf "%.0f", n/t}'; }
rss() { # max RSS in MiB of a command, via GNU time when present
  [ -x /usr/bin/time ] || { echo "?"; return; }
  /usr/bin/time -o "$work/rss" -f '%M' "$@" >/dev/null 2>&1 || true
  tail -1 "$work/rss" | awk '{printf "%.1f", $1/1024}'
}

# Corpus: N files cycling through every sample format, each labelled with
# its own ProduceID (3 in 10 left unlabelled), spread over 10 folders.
samples=("$work"/samples/*.*)
mkdir -p "$work/raw"
i=0
while [ $i -lt "$n" ]; do
  for s in "${samples[@]}"; do
    [ $i -ge "$n" ] && break
    d="$work/raw/d$((i % 10))"; mkdir -p "$d"
    cp "$s" "$d/f$i.${s##*.}"
    i=$((i + 1))
  done
done
"$aimark" label --producer 001191110102MACQD9K64010000 --produce-id bench -o "$work/corpus" "$work/raw" >/dev/null
for f in "$work"/raw/d*/f*; do   # 3 in 10 stay unlabelled
  case "${f##*/f}" in *[048].*) cp "$f" "$work/corpus/${f#"$work"/raw/}" ;; esac
done
rm -rf "$work/raw"
files=$(find "$work/corpus" -type f | wc -l)
bytes=$(du -sm "$work/corpus" | cut -f1)
sync

echo "corpus: $files files, $bytes MiB, formats: $(ls "$work/samples" | sed 's/.*\.//' | sort -u | tr '\n' ' ')"
# warm the page cache for both tools alike
cat "$work"/corpus/*/* > /dev/null

t0=$(now); "$aimark" check --meta-only --json "$work/corpus" > "$work/aimark.jsonl" || true; t1=$(now)
a_time=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
t0=$(now); "$aimark" check --meta-only --json -j 1 "$work/corpus" > /dev/null || true; t1=$(now)
a1_time=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
t0=$(now); "$exiftool" -config "$cfg" -q -q -j -r -fast -XMP-TC260:AIGC -AIGC -Aigc "$work/corpus" > "$work/exiftool.json" || true; t1=$(now)
e_time=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
a_labels=$(grep -c '"class":"confirmed"' "$work/aimark.jsonl" || true)
e_labels=$(grep -c '"Label' "$work/exiftool.json" || true)
a_rss=$(rss "$aimark" check --meta-only --json "$work/corpus")
e_rss=$(rss "$exiftool" -config "$cfg" -q -q -j -r -fast -XMP-TC260:AIGC -AIGC -Aigc "$work/corpus")

echo
echo "## check: files per second (wall), $files files"
printf '| tool | time s | files/s | labels found | max RSS MiB |\n|---|---|---|---|---|\n'
printf '| aimark check --meta-only --json (all cores) | %.3f | %s | %s | %s |\n' "$a_time" "$(rate "$files" "$a_time")" "$a_labels" "$a_rss"
printf '| aimark check --meta-only --json -j 1 | %.3f | %s | | |\n' "$a1_time" "$(rate "$files" "$a1_time")"
printf '| exiftool -j -r -fast (batch, 1 process) | %.3f | %s | %s | %s |\n' "$e_time" "$(rate "$files" "$e_time")" "$e_labels" "$e_rss"
echo "ratio aimark/exiftool: $(awk -v a="$a_time" -v e="$e_time" 'BEGIN{printf "%.0f", e/a}')x (all cores), $(awk -v a="$a1_time" -v e="$e_time" 'BEGIN{printf "%.0f", e/a}')x (one thread)"

# Label writing vs ffmpeg -c copy on the audio/video part of the corpus.
mapfile -t av < <(find "$work/corpus" -type f \( -name '*.wav' -o -name '*.mp3' -o -name '*.flac' -o -name '*.ogg' -o -name '*.opus' -o -name '*.m4a' -o -name '*.mp4' -o -name '*.mov' \) | head -300)
json='{"Label":"1","ContentProducer":"001191110102MACQD9K64010000","ProduceID":"bench","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}'
mkdir -p "$work/w-aimark" "$work/w-ffmpeg" "$work/w-batch"
t0=$(now)
for f in "${av[@]}"; do "$aimark" label --producer 001191110102MACQD9K64010000 --produce-id bench -o "$work/w-aimark/$(basename "$f")" "$f" >/dev/null; done
t1=$(now); w_a=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
t0=$(now)
"$aimark" label --producer 001191110102MACQD9K64010000 --produce-id bench -o "$work/w-batch" "${av[@]}" >/dev/null
t1=$(now); w_b=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
t0=$(now)
for f in "${av[@]}"; do
  ffmpeg -nostdin -loglevel error -y -i "$f" -map 0 -c copy -metadata AIGC="$json" -movflags use_metadata_tags "$work/w-ffmpeg/$(basename "$f")" || true
done
t1=$(now); w_f=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
echo
echo "## label writing: ${#av[@]} audio/video files"
printf '| tool | time s | files/s |\n|---|---|---|\n'
printf '| aimark label, one process per file | %.3f | %s |\n' "$w_a" "$(rate "${#av[@]}" "$w_a")"
printf '| aimark label, one batch process | %.3f | %s |\n' "$w_b" "$(rate "${#av[@]}" "$w_b")"
printf '| ffmpeg -c copy -metadata AIGC=..., one process per file | %.3f | %s |\n' "$w_f" "$(rate "${#av[@]}" "$w_f")"
echo "ratio aimark/ffmpeg: $(awk -v a="$w_a" -v f="$w_f" 'BEGIN{printf "%.1f", f/a}')x per file, $(awk -v a="$w_b" -v f="$w_f" 'BEGIN{printf "%.1f", f/a}')x batch"
