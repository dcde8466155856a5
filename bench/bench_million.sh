#!/usr/bin/env bash
# `aimark check` over a folder of N files (default 1,000,000): streams its
# results and runs in bounded memory. The files are hard links (up to 50,000
# per inode, under ext4's link limit) to 20 small labelled WAV and PNG
# files, in folders of 1,000, so the run exercises the walker, the pool and
# per-file open/read/close without needing gigabytes of disk.
# Reports wall time, files/s and max RSS; compare the RSS with N=10000.
# Usage: bench/bench_million.sh [N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000000}
aimark="$root/build/aimark"
work="$root/out/bench-million"
rm -rf "$work"; mkdir -p "$work/src" "$work/tree"
# results go to a file: streaming to a pipe is what a platform does
sox -n -r 16000 -c 1 -b 16 "$work/src/a.wav" synth 0.1 sine 440 2>/dev/null
ffmpeg -nostdin -loglevel error -f lavfi -i testsrc2=size=32x32 -frames:v 1 "$work/src/b.png"
for i in $(seq 0 9); do
  "$aimark" label --producer P --produce-id "s$i" -o "$work/src/w$i.wav" "$work/src/a.wav" >/dev/null
  "$aimark" label --producer P --produce-id "p$i" -o "$work/src/p$i.png" "$work/src/b.png" >/dev/null
done
srcs=("$work"/src/w*.wav "$work"/src/p*.png)
# one folder of 1,000 links made by hand, then copied as links (cp -al)
mkdir -p "$work/tree/0"
for i in $(seq 0 999); do s=${srcs[$((i % 20))]}; ln "$s" "$work/tree/0/f$i.${s##*.}"; done
for k in $(seq 1 $(( (n + 999) / 1000 - 1 ))); do cp -al "$work/tree/0" "$work/tree/$k"; done
n=$(( ( (n + 999) / 1000 ) * 1000 ))
echo "tree: $n files"
for run in 1 2; do
  /usr/bin/time -o "$work/time" -f '%e %M' "$aimark" check --meta-only --json "$work/tree" > "$work/out.jsonl" || true
  lines=$(wc -l < "$work/out.jsonl"); read -r t rss < <(tail -1 "$work/time")
  echo "run $run: $lines results ($(grep -c '"class":"confirmed"' "$work/out.jsonl") confirmed), ${t}s, $(awk -v n="$lines" -v t="$t" 'BEGIN{printf "%.0f", n/t}') files/s, max RSS $(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}') MiB"
done
