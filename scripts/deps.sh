#!/usr/bin/env bash
# Install what aimark needs to build, test and demo on Debian 12, only where
# it is missing: compilers and libraries from Debian, sample-making and
# interop tools (ffmpeg, sox, espeak-ng, codecs), and ExifTool 13 from npm
# into .deps/ (Debian 12's ExifTool is 12.57; the suite checks against 13.x).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev zlib1g-dev
      ffmpeg sox libsox-fmt-all espeak-ng flac vorbis-tools opus-tools lame
      webp xxd time bc
      libsndfile1-dev libavformat-dev libavcodec-dev libswresample-dev libavutil-dev libssl-dev
      libfreetype-dev libpng-dev libjpeg62-turbo-dev libwebp-dev libswscale-dev fonts-noto-cjk
      tesseract-ocr tesseract-ocr-chi-sim libtesseract-dev python3)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

exiftool="$root/.deps/node_modules/exiftool-vendored.pl/bin/exiftool"
if [ ! -x "$exiftool" ]; then
  echo "deps: installing ExifTool 13 (npm exiftool-vendored.pl) into .deps/"
  mkdir -p "$root/.deps"
  (cd "$root/.deps" && npm install --silent --no-audit --no-fund --prefix . exiftool-vendored.pl@13 >/dev/null)
fi
