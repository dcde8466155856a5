#!/usr/bin/env bash
# The main job on built-in sample data: make sample media (speech from
# espeak-ng, music from sox, images and video from ffmpeg), label them as a
# generator would (metadata label; watermark and audible prompt on a TTS
# reply; visible label on images and video), add a platform's propagation
# fields to one, strip the metadata of one as a re-upload would, and print
# the check report. Everything lands in out/demo/.
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

echo "== 1. samples as generated: no metadata label yet. check also decodes the"
echo "   audio: the synthetic speech detector flags the espeak-ng speech as suspected"
"$aimark" check samples || true

echo
echo "== 2. a TTS service labels its reply in one pass: metadata label, robust"
echo "   watermark (payload tied to the ProduceID) and the audible rhythm prompt"
mkdir -p tts labelled
espeak-ng -v en-us -s 150 -w tts/reply-raw.wav \
  "Thank you for calling. Your appointment is confirmed for Tuesday at ten in the morning. \
Please bring your documents, and arrive fifteen minutes early. If you need to change the time, \
call us back or reply to the message we sent you. Have a pleasant day."
sox -R tts/reply-raw.wav -r 16000 tts/reply.wav && rm tts/reply-raw.wav
"$aimark" wm keygen demo.key
"$aimark" label --producer 001191110102MACQD9K64010000 --produce-id reply-0001 \
  --watermark --key demo.key --audible rhythm -o labelled/reply.wav tts/reply.wav

echo
echo "== 3. the generator labels its other outputs; images and video also get the"
echo "   visible label \"AI生成\" (aimark label --visible)"
"$aimark" label --producer 001191110102MACQD9K64010000 --produce-id demo-0001 --visible \
  -o "labelled" "samples"

echo
echo "== 4. a platform receives one file and adds its fields (aimark propagate)"
"$aimark" propagate --propagator PLATFORM-DEMO --propagate-id upload-42 \
  -o "published/speech.wav" "labelled/speech.wav"

echo
echo "== 5. someone re-uploads the TTS reply as an MP3 with the metadata stripped:"
echo "   the watermark alone still makes it confirmed, with the recovered identifier"
mkdir -p reupload
ffmpeg -nostdin -v error -i labelled/reply.wav -map_metadata -1 -c:a libmp3lame -b:a 128k reupload/reply.mp3
"$aimark" check --key demo.key reupload/reply.mp3 || true

echo
echo "== 6. the check report (aimark check --key demo.key)"
rc=0
"$aimark" check --key demo.key "labelled" "published" "reupload" || rc=$?
echo
echo "== 7. the same, as JSON lines (aimark check --json), the TTS reply and its re-upload"
"$aimark" check --json --key demo.key labelled/reply.wav reupload/reply.mp3 || true
echo
echo "Open out/demo/labelled/image.png to see the visible label; listen to"
echo "out/demo/labelled/reply.wav for the audible prompt (short-long-short-short)."
echo "check exit status: $rc (1 = AI content found, as expected)"
[ "$rc" = 1 ]
