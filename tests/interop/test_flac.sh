#!/usr/bin/env bash
# FLAC interop: aimark reads the AIGC Vorbis comment ffmpeg writes; what
# aimark writes is read by ffprobe and ExifTool, passes `flac -t`, decodes
# to the same samples, keeps other tags, and keeps the audio offset when
# PADDING absorbs the new comment.
. "$(dirname "$0")/lib.sh"
need_exiftool
S=$AIM_SAMPLES; T=$AIM_TMP
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
tags() { ffprobe -v error -show_format -show_streams "$1" | grep '^TAG:' || true; }
check_json() { "$AIMARK" check --json "$1" || true; }

# ffmpeg -> aimark
J_FF=$(bare_label "$PRODUCER" ffmpeg-1)
ff -i "$S/music.flac" -c copy -metadata AIGC="$J_FF" -metadata TITLE=Song "$T/ff.flac"
line=$(check_json "$T/ff.flac")
expect_contains "aimark reads ffmpeg's label" "$line" "\"label\":$J_FF"
expect_contains "format flac" "$line" '"format":"flac"'
expect_contains "location" "$line" '"location":"flac:vorbis-comment:AIGC"'
expect_contains "class confirmed" "$line" '"class":"confirmed"'

# aimark -> ffprobe, ExifTool, flac -t, decoded audio
for name in music.flac music-nopad.flac ff.flac; do
  in="$S/$name"; [ -f "$in" ] || in="$T/$name"
  out="$T/out-$name"
  "$AIMARK" label --producer "$PRODUCER" --produce-id "am-$name" -o "$out" "$in" >/dev/null
  J=$(bare_label "$PRODUCER" "am-$name")
  line=$(check_json "$out")
  expect_contains "$name: aimark reads its label" "$line" "\"label\":$J"
  case "$line" in *label_count*) bad "$name: more than one label: $line" ;; *) ok "$name: one label" ;; esac
  expect_eq "$name: ExifTool reads Vorbis:Aigc" "$(exiftool13 -s3 -Vorbis:Aigc "$out")" "$J"
  expect_contains "$name: ffprobe lists AIGC" "$(tags "$out")" "TAG:AIGC=$J"
  expect_eq "$name: metaflac reads AIGC" "$(metaflac --show-tag=AIGC "$out")" "AIGC=$J"
  if flac -t -s "$out" 2>/dev/null; then ok "$name: flac -t passes"; else bad "$name: flac -t fails"; fi
  expect_eq "$name: decoded audio unchanged" "$(media_md5 "$out")" "$(media_md5 "$in")"
done
expect_contains "TITLE kept" "$(tags "$T/out-ff.flac")" "TAG:TITLE=Song"
case "$(tags "$T/out-ff.flac")" in *ffmpeg-1*) bad "old label left behind" ;; *) ok "old label replaced" ;; esac
expect_eq "PADDING path keeps the file size" "$(stat -c %s "$T/out-music.flac")" "$(stat -c %s "$S/music.flac")"
expect_eq "audio frames at the same offset" \
  "$(tail -c 200000 "$T/out-music.flac" | md5sum)" "$(tail -c 200000 "$S/music.flac" | md5sum)"
grow=$(( $(stat -c %s "$T/out-music-nopad.flac") - $(stat -c %s "$S/music-nopad.flac") ))
if [ "$grow" -gt 4096 ]; then ok "no-PADDING path adds a fresh PADDING block"; else bad "no-padding grew by $grow"; fi
metaflac --list --block-type=PADDING "$T/out-music-nopad.flac" > "$T/pad.txt" 2>&1 || true
expect_contains "fresh PADDING is 4096 bytes" "$(cat "$T/pad.txt")" "length: 4096"

# relabel in place: still one label, size unchanged (PADDING absorbs it)
cp "$T/out-music.flac" "$T/again.flac"
"$AIMARK" label --producer "$PRODUCER" --produce-id again --in-place "$T/again.flac" >/dev/null
expect_contains "relabel replaces" "$(check_json "$T/again.flac")" '"ProduceID":"again"'
expect_eq "relabel keeps the size" "$(stat -c %s "$T/again.flac")" "$(stat -c %s "$S/music.flac")"

# ExifTool writes the comment -> aimark reads it (ExifTool 13 cannot write
# Vorbis comments; skip quietly if it refuses)
cp "$S/music.flac" "$T/et.flac"
if exiftool13 -q -overwrite_original "-Vorbis:Aigc=$J_FF" "$T/et.flac" >/dev/null 2>&1; then
  expect_contains "aimark reads ExifTool's label" "$(check_json "$T/et.flac")" "\"label\":$J_FF"
else
  ok "ExifTool cannot write FLAC Vorbis comments (read direction checked above)"
fi
finish
