#!/usr/bin/env bash
# MP3 interop: ffmpeg/ffprobe and ExifTool 13 read the ID3v2 TXXX:AIGC
# frame aimark writes (v2.3 and v2.4 tags, and a new tag on a bare stream);
# aimark reads the frame ffmpeg writes (-metadata AIGC=..., v2.4 and v2.3);
# decoded audio, the bytes after the tag, the title and an ID3v1 tag
# survive; relabelling leaves exactly one AIGC frame.
source "$(dirname "$0")/lib.sh"
need_exiftool

# check exits 1 when it finds a label: that is the expected case here.
check_json() { "$AIMARK" check --json "$1" || [ $? -eq 1 ]; }
aigc_count() { grep -a -o AIGC "$1" | wc -l | tr -d ' '; }
ff_tag() { ffprobe -v error -show_entries "format_tags=$2" -of default=nw=1:nk=1 "$1"; }
audio_md5() { ffmpeg -nostdin -loglevel error -i "$1" -map 0:a -f md5 - 2>/dev/null; }
# md5 of everything after the leading ID3v2 tags (the MPEG stream + ID3v1).
after_tags_md5() { python3 - "$1" <<'PY'
import hashlib, sys
d = open(sys.argv[1], 'rb').read()
p = 0
while d[p:p+3] == b'ID3' and len(d) >= p + 10:
    s = d[p+6] << 21 | d[p+7] << 14 | d[p+8] << 7 | d[p+9]
    p += 10 + s + (10 if d[p+3] == 4 and d[p+5] & 0x10 else 0)
print(hashlib.md5(d[p:]).hexdigest())
PY
}
# ID3v2 version of the first tag: "3", "4" or "none".
id3_ver() { python3 -c 'import sys; d=open(sys.argv[1],"rb").read(10); print(d[3] if d[:3]==b"ID3" else "none")' "$1"; }

# ---- aimark writes, the others read --------------------------------------
# sample:expected ID3 version:expected title
for spec in music:3: speech-id3:3:Sample music-v23:3:v23 music-v24:4:v24; do
  IFS=: read -r s ver title <<<"$spec"
  in="$AIM_SAMPLES/$s.mp3"
  out="$AIM_TMP/$s.mp3"
  if "$AIMARK" label --producer "$PRODUCER" --produce-id "mp3-$s" -o "$out" "$in" >/dev/null; then
    ok "$s: labelled"
  else
    bad "$s: aimark label failed"
    continue
  fi
  want=$(bare_label "$PRODUCER" "mp3-$s")
  got=$(check_json "$out")
  expect_contains "$s: aimark reads id3v2.$ver:TXXX:AIGC" "$got" "\"location\":\"id3v2.$ver:TXXX:AIGC\""
  expect_contains "$s: aimark reads the ProduceID" "$got" "\"ProduceID\":\"mp3-$s\""
  expect_eq "$s: tag version" "$(id3_ver "$out")" "$ver"
  expect_eq "$s: ExifTool reads [ID3v2_$ver] Aigc" "$(exiftool13 -s3 "-ID3v2_$ver:Aigc" "$out")" "$want"
  expect_eq "$s: ffprobe reads AIGC" "$(ff_tag "$out" AIGC)" "$want"
  expect_eq "$s: title kept" "$(ff_tag "$out" title)" "$title"
  expect_eq "$s: one AIGC frame" "$(aigc_count "$out")" 1
  expect_eq "$s: decoded audio unchanged" "$(audio_md5 "$out")" "$(audio_md5 "$in")"
  expect_eq "$s: bytes after the tag unchanged" "$(after_tags_md5 "$out")" "$(after_tags_md5 "$in")"
done

# Other ID3 frames of the lame file survive, as ExifTool sees them.
id3_tags() { exiftool13 -s -G1 -ID3:all "$1" | grep -v -i -e 'Aigc' -e 'ID3Size'; }
expect_eq "speech-id3: other ID3 frames unchanged" "$(id3_tags "$AIM_TMP/speech-id3.mp3")" \
  "$(id3_tags "$AIM_SAMPLES/speech-id3.mp3")"

# ---- ffmpeg writes, aimark reads -----------------------------------------
json=$(bare_label "$PRODUCER" ffmpeg-made)
for v in 4 3; do
  f="$AIM_TMP/ffmpeg-v2$v.mp3"
  ffmpeg -nostdin -loglevel error -y -i "$AIM_SAMPLES/music.mp3" -c copy -id3v2_version "$v" \
    -write_id3v1 1 -metadata title=fftitle -metadata "AIGC=$json" "$f"
  got=$(check_json "$f")
  expect_contains "ffmpeg v2.$v: aimark finds the label" "$got" "\"location\":\"id3v2.$v:TXXX:AIGC\""
  expect_contains "ffmpeg v2.$v: aimark reads the ProduceID" "$got" '"ProduceID":"ffmpeg-made"'
  expect_contains "ffmpeg v2.$v: confirmed class" "$got" '"class":"confirmed"'

  # Relabel in place: one frame, the new label, audio/title/ID3v1 intact.
  cp "$f" "$f.orig"
  "$AIMARK" label --producer "$PRODUCER" --produce-id relabelled --in-place "$f" >/dev/null
  want=$(bare_label "$PRODUCER" relabelled)
  expect_eq "ffmpeg v2.$v relabel: one AIGC frame" "$(aigc_count "$f")" 1
  expect_eq "ffmpeg v2.$v relabel: ExifTool sees the new label" \
    "$(exiftool13 -s3 "-ID3v2_$v:Aigc" "$f")" "$want"
  expect_eq "ffmpeg v2.$v relabel: ffprobe sees the new label" "$(ff_tag "$f" AIGC)" "$want"
  expect_eq "ffmpeg v2.$v relabel: title kept" "$(ff_tag "$f" title)" fftitle
  expect_eq "ffmpeg v2.$v relabel: ID3v1 tag kept" "$(tail -c 128 "$f" | head -c 3)" TAG
  expect_eq "ffmpeg v2.$v relabel: bytes after the tag unchanged" "$(after_tags_md5 "$f")" \
    "$(after_tags_md5 "$f.orig")"
  expect_eq "ffmpeg v2.$v relabel: decoded audio unchanged" "$(audio_md5 "$f")" \
    "$(audio_md5 "$AIM_SAMPLES/music.mp3")"
done

# Labelling twice keeps the file size: the second label fits the padding.
a="$AIM_TMP/twice.mp3"
"$AIMARK" label --producer "$PRODUCER" --produce-id first -o "$a" "$AIM_SAMPLES/music-v23.mp3" >/dev/null
size1=$(stat -c %s "$a")
"$AIMARK" label --producer "$PRODUCER" --produce-id second --in-place "$a" >/dev/null
expect_eq "relabel: same size (padding reused)" "$(stat -c %s "$a")" "$size1"
expect_contains "relabel: new label read" "$(check_json "$a")" '"ProduceID":"second"'

finish
