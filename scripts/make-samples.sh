#!/usr/bin/env bash
# Make the sample media used by the demo and the interop tests, with Debian
# tools only: speech from espeak-ng, music from sox, images and video from
# ffmpeg. Usage: scripts/make-samples.sh OUTDIR
set -euo pipefail
out=${1:?usage: make-samples.sh OUTDIR}
mkdir -p "$out"
cd "$out"
[ -f .done ] && exit 0
q() { "$@" >/dev/null 2>&1 || { echo "make-samples: failed: $*" >&2; exit 1; }; }
ff() { q ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }

# Sources: 6 s of English speech and 6 s of a synthetic music-like mix.
q espeak-ng -v en-us -s 150 -w speech-raw.wav \
  "This is a sample of synthetic speech, generated to test the labelling of artificial intelligence content."
ff -i speech-raw.wav -ar 16000 -ac 1 speech.wav
q sox -R -n -r 44100 -c 2 -b 16 music.wav synth 6 pluck C3 pluck E3 pluck G3 pluck C4 fade 0 6 0.5 norm -3

# Audio containers.
ff -i speech.wav -c:a pcm_s24le speech24.wav
ff -i music.wav -rf64 always music-rf64.wav
ff -i music.wav -write_bext 1 -metadata comment=bwf-sample music-bwf.wav
q lame --quiet -b 128 music.wav music.mp3
q lame --quiet --id3v2-only --tt "Sample" --ta "aimark" -b 64 speech.wav speech-id3.mp3
ff -i music.wav -c:a libmp3lame -b:a 128k -id3v2_version 4 -metadata title=v24 music-v24.mp3
ff -i music.wav -c:a libmp3lame -b:a 128k -id3v2_version 3 -metadata title=v23 music-v23.mp3
q flac --silent -f -o music.flac music.wav
q flac --silent -f --no-padding -o music-nopad.flac music.wav
q oggenc --quiet -q 2 -o music.ogg music.wav
q opusenc --quiet --bitrate 32 speech.wav speech.opus
ff -i music.wav -c:a aac -b:a 96k music.m4a
ff -i music.wav -c:a aac -b:a 96k -movflags +faststart music-faststart.m4a
ff -f lavfi -i testsrc=size=160x120:rate=10 -i speech.wav -t 3 -c:v mpeg4 -c:a aac -shortest clip.mp4
ff -f lavfi -i testsrc=size=160x120:rate=10 -i speech.wav -t 3 -c:v mpeg4 -c:a aac -shortest -movflags +faststart clip-faststart.mp4
ff -f lavfi -i testsrc=size=160x120:rate=10 -t 2 -c:v mpeg4 clip.mov

# Images.
ff -f lavfi -i testsrc2=size=320x240 -frames:v 1 image.png
ff -f lavfi -i testsrc2=size=320x240 -frames:v 1 -pix_fmt rgba image-rgba.png
ff -f lavfi -i testsrc2=size=320x240 -frames:v 1 -q:v 3 image.jpg
ff -f lavfi -i testsrc2=size=320x240 -frames:v 1 -c:v libwebp -lossless 0 image.webp
ff -f lavfi -i testsrc2=size=320x240 -frames:v 1 -c:v libwebp -lossless 1 image-lossless.webp
touch .done
