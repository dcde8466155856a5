#!/usr/bin/env bash
# The main job on built-in sample data: make sample media (speech from
# espeak-ng, music from sox, images and video from ffmpeg), label them as a
# generator would, add a platform's propagation fields to one, and print the
# check report. Everything lands in out/demo/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh"
"$root/scripts/build.sh" build
aimark="$root/build/aimark"
demo="$root/out/demo"
rm -rf "$demo"
mkdir -p "$demo"
cd "$demo"
"$root/scripts/make-samples.sh" samples
rm -f samples/speech-raw.wav samples/.done

echo "== 1. samples as generated: no label yet"
"$aimark" check samples || true

echo
echo "== 2. the generator labels every output (aimark label)"
"$aimark" label --producer 001191110102MACQD9K64010000 --produce-id demo-0001 \
  -o "labelled" "samples"

echo
echo "== 3. a platform receives one file and adds its fields (aimark propagate)"
"$aimark" propagate --propagator PLATFORM-DEMO --propagate-id upload-42 \
  -o "published/speech.wav" "labelled/speech.wav"

echo
echo "== 4. the check report (aimark check)"
rc=0
"$aimark" check "labelled" "published" || rc=$?
echo
echo "== 5. the same, as JSON lines (aimark check --json), first three"
"$aimark" check --json "labelled" "published" | head -3 || true
echo
echo "check exit status: $rc (1 = AI content found, as expected)"
[ "$rc" = 1 ]
