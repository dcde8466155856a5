#!/usr/bin/env bash
# WebP interop: ExifTool reads XMP-TC260:AIGC from what aimark writes (lossy
# and lossless, simple files turned extended); ffmpeg decodes the same
# pixels before and after; aimark reads a label ExifTool wrote and, when
# relabelling, keeps ExifTool's other XMP properties.
source "$(dirname "$0")/lib.sh"
need_exiftool

# check exits 1 when it finds a label: that is the expected case here.
check_json() { "$AIMARK" check --json "$1" || [ $? -eq 1 ]; }
xmp_chunks() { grep -a -o 'XMP ' "$1" | wc -l | tr -d ' '; }

for s in image image-lossless; do
  in="$AIM_SAMPLES/$s.webp"
  out="$AIM_TMP/$s.webp"
  if "$AIMARK" label --producer "$PRODUCER" --produce-id "webp-$s" -o "$out" "$in" >/dev/null; then
    ok "$s: labelled"
  else
    bad "$s: aimark label failed"
    continue
  fi
  got=$(check_json "$out")
  expect_contains "$s: aimark reads xmp:TC260:AIGC" "$got" '"location":"xmp:TC260:AIGC"'
  expect_contains "$s: aimark reads the ProduceID" "$got" "\"ProduceID\":\"webp-$s\""
  expect_eq "$s: ExifTool reads XMP-TC260:AIGC" "$(exiftool13 -s3 -XMP-TC260:AIGC "$out")" \
    "$(bare_label "$PRODUCER" "webp-$s")"
  expect_eq "$s: now extended (VP8X first)" "$(head -c 16 "$out" | tail -c 4)" "VP8X"
  expect_eq "$s: canvas size kept" "$(exiftool13 -s3 -RIFF:ImageWidth -RIFF:ImageHeight "$out" | tr '\n' ' ')" \
    "$(exiftool13 -s3 -RIFF:ImageWidth -RIFF:ImageHeight "$in" | tr '\n' ' ')"
  expect_eq "$s: ExifTool reports no warning" "$(exiftool13 -s3 -Warning "$out")" ""
  expect_eq "$s: decoded pixels unchanged" "$(media_md5 "$out")" "$(media_md5 "$in")"
  expect_eq "$s: one XMP chunk" "$(xmp_chunks "$out")" 1
done

# ExifTool writes the label (and a title): aimark reads it.
printf '%s' "$(bare_label "$PRODUCER" by-exiftool)" > "$AIM_TMP/label.json"
et="$AIM_TMP/exiftool.webp"
cp "$AIM_SAMPLES/image.webp" "$et"
exiftool13 -q -overwrite_original '-XMP-TC260:AIGC<='"$AIM_TMP/label.json" -XMP-dc:Title=KeepThisTitle "$et"
got=$(check_json "$et")
expect_contains "exiftool-written: aimark reads it" "$got" '"ProduceID":"by-exiftool"'
expect_contains "exiftool-written: location" "$got" '"location":"xmp:TC260:AIGC"'

# aimark relabels it: the new label replaces the old one, the title stays.
"$AIMARK" label --producer "$PRODUCER" --produce-id relabelled --in-place "$et" >/dev/null
expect_eq "relabel: ExifTool sees the new label" "$(exiftool13 -s3 -XMP-TC260:AIGC "$et")" \
  "$(bare_label "$PRODUCER" relabelled)"
expect_eq "relabel: other XMP kept" "$(exiftool13 -s3 -XMP-dc:Title "$et")" "KeepThisTitle"
expect_eq "relabel: one XMP chunk" "$(xmp_chunks "$et")" 1
expect_eq "relabel: decoded pixels unchanged" "$(media_md5 "$et")" "$(media_md5 "$AIM_SAMPLES/image.webp")"
expect_contains "relabel: aimark count is one" "$(check_json "$et")" '"ProduceID":"relabelled"'

# A label aimark wrote can be edited by ExifTool and read back by aimark.
cp "$AIM_TMP/image.webp" "$AIM_TMP/edit.webp"
printf '%s' "$(bare_label "$PRODUCER" edited)" > "$AIM_TMP/label2.json"
exiftool13 -q -overwrite_original '-XMP-TC260:AIGC<='"$AIM_TMP/label2.json" "$AIM_TMP/edit.webp"
expect_contains "exiftool-edited: aimark reads the edit" "$(check_json "$AIM_TMP/edit.webp")" '"ProduceID":"edited"'

finish
