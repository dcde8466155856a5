#!/usr/bin/env bash
# Ogg Vorbis and Opus interop: aimark reads the AIGC comment ffmpeg writes;
# what aimark writes is read by ffprobe and ExifTool, passes ogginfo /
# opusinfo without warnings, decodes to the same samples and keeps other
# tags.
. "$(dirname "$0")/lib.sh"
need_exiftool
S=$AIM_SAMPLES; T=$AIM_TMP
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
tags() { ffprobe -v error -show_format -show_streams "$1" | grep '^TAG:' || true; }
check_json() { "$AIMARK" check --json "$1" || true; }
audio_md5() { ffmpeg -nostdin -loglevel error -i "$1" -map 0:a -f md5 - 2>/dev/null; }

# ffmpeg -> aimark
J_FF=$(bare_label "$PRODUCER" ffmpeg-1)
ff -i "$S/music.wav" -c:a libvorbis -metadata AIGC="$J_FF" -metadata TITLE=Song "$T/ff.ogg"
ff -i "$S/speech.wav" -c:a libopus -b:a 24k -metadata AIGC="$J_FF" -metadata TITLE=Song "$T/ff.opus"
line=$(check_json "$T/ff.ogg")
expect_contains "aimark reads ffmpeg's Vorbis label" "$line" "\"label\":$J_FF"
expect_contains "vorbis format" "$line" '"format":"ogg-vorbis"'
expect_contains "vorbis location" "$line" '"location":"ogg:vorbis-comment:AIGC"'
line=$(check_json "$T/ff.opus")
expect_contains "aimark reads ffmpeg's Opus label" "$line" "\"label\":$J_FF"
expect_contains "opus format" "$line" '"format":"ogg-opus"'
expect_contains "opus location" "$line" '"location":"ogg:opus-tags:AIGC"'

# aimark -> ffprobe, ExifTool, ogginfo/opusinfo, decoded audio
for name in music.ogg speech.opus ff.ogg ff.opus; do
  in="$S/$name"; [ -f "$in" ] || in="$T/$name"
  out="$T/out-$name"
  "$AIMARK" label --producer "$PRODUCER" --produce-id "am-$name" -o "$out" "$in" >/dev/null
  J=$(bare_label "$PRODUCER" "am-$name")
  line=$(check_json "$out")
  expect_contains "$name: aimark reads its label" "$line" "\"label\":$J"
  case "$line" in *label_count*) bad "$name: more than one label: $line" ;; *) ok "$name: one label" ;; esac
  expect_eq "$name: ExifTool reads Vorbis:Aigc" "$(exiftool13 -s3 -Vorbis:Aigc "$out")" "$J"
  expect_contains "$name: ffprobe lists AIGC" "$(tags "$out")" "TAG:AIGC=$J"
  expect_eq "$name: decoded audio unchanged" "$(audio_md5 "$out")" "$(audio_md5 "$in")"
  if command -v ogginfo >/dev/null; then
    msgs=$(ogginfo "$out" 2>&1 | grep -iE 'warning|error' || true)
    expect_eq "$name: ogginfo reports no warnings or errors" "$msgs" ""
  fi
  case "$name" in *.opus)
    if command -v opusinfo >/dev/null; then
      msgs=$(opusinfo "$out" 2>&1 | grep -iE 'warning|error' || true)
      expect_eq "$name: opusinfo reports no warnings or errors" "$msgs" ""
    fi ;;
  esac
done
for name in ff.ogg ff.opus; do
  expect_contains "$name: TITLE kept" "$(tags "$T/out-$name")" "TAG:TITLE=Song"
  case "$(tags "$T/out-$name")" in *ffmpeg-1*) bad "$name: old label left behind" ;; *) ok "$name: old label replaced" ;; esac
done
if command -v vorbiscomment >/dev/null; then
  expect_contains "vorbiscomment reads AIGC" "$(vorbiscomment -l "$T/out-music.ogg")" \
    "AIGC=$(bare_label "$PRODUCER" am-music.ogg)"
fi

# relabel in place: one label, audio unchanged
cp "$T/out-music.ogg" "$T/again.ogg"
"$AIMARK" label --producer "$PRODUCER" --produce-id again --in-place "$T/again.ogg" >/dev/null
expect_contains "relabel replaces" "$(check_json "$T/again.ogg")" '"ProduceID":"again"'
expect_eq "relabel keeps the audio" "$(audio_md5 "$T/again.ogg")" "$(audio_md5 "$S/music.ogg")"

# chained stream (two Opus links): the second link is copied unchanged
cat "$S/speech.opus" "$T/ff.opus" > "$T/chain.opus"
"$AIMARK" label --producer "$PRODUCER" --produce-id chain -o "$T/out-chain.opus" "$T/chain.opus" >/dev/null
expect_contains "chained: label on the first link" "$(check_json "$T/out-chain.opus")" '"ProduceID":"chain"'
expect_eq "chained: second link byte-identical" \
  "$(tail -c "$(stat -c %s "$T/ff.opus")" "$T/out-chain.opus" | md5sum)" "$(md5sum < "$T/ff.opus")"
finish
