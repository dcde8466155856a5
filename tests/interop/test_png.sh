#!/usr/bin/env bash
# PNG interop: ExifTool reads the XMP label aimark writes (and the IPTC
# DigitalSourceType); aimark reads labels ExifTool writes (XMP and a tEXt
# AIGC chunk); XMP written by others (dc:title) and PNG chunks survive;
# pixels decode identically; relabelling leaves exactly one carrier.
source "$(dirname "$0")/lib.sh"
need_exiftool

DST=http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia
check_json() { "$AIMARK" check --json "$1" || [ $? -eq 1 ]; }
# copies of a label in the file (raw in tEXt, escaped in XMP)
carriers() { grep -a -o -e '{"Label' -e '{&quot;Label' "$1" | wc -l | tr -d ' '; }
png_tags() { exiftool13 -s -G1 -PNG:all -PNG-pHYs:all "$1" | grep -v -e FileSize -e 'AIGC'; }

for s in image image-rgba; do
  in="$AIM_SAMPLES/$s.png"
  out="$AIM_TMP/$s.png"
  if "$AIMARK" label --producer "$PRODUCER" --produce-id "png-$s" -o "$out" "$in" >/dev/null; then
    ok "$s: labelled"
  else
    bad "$s: aimark label failed"
    continue
  fi
  got=$(check_json "$out")
  expect_contains "$s: aimark reads xmp:TC260:AIGC" "$got" '"location":"xmp:TC260:AIGC"'
  expect_contains "$s: aimark reads the ProduceID" "$got" "\"ProduceID\":\"png-$s\""
  expect_eq "$s: ExifTool reads XMP-TC260:AIGC" "$(exiftool13 -s3 -XMP-TC260:AIGC "$out")" \
    "$(bare_label "$PRODUCER" "png-$s")"
  expect_eq "$s: ExifTool reads DigitalSourceType" \
    "$(exiftool13 -s3 -n -XMP-iptcExt:DigitalSourceType "$out")" "$DST"
  expect_eq "$s: ExifTool finds no warning" "$(exiftool13 -s3 -validate -Warning "$out" | head -1)" "OK"
  expect_eq "$s: pixels unchanged" "$(media_md5 "$out")" "$(media_md5 "$in")"
  expect_eq "$s: PNG chunks' tags unchanged" "$(png_tags "$out")" "$(png_tags "$in")"
done

# Relabel in place: one carrier, the new label.
cp "$AIM_TMP/image.png" "$AIM_TMP/relabel.png"
"$AIMARK" label --producer "$PRODUCER" --produce-id second-id --in-place "$AIM_TMP/relabel.png" >/dev/null
expect_eq "relabel: ExifTool sees the new label" "$(exiftool13 -s3 -XMP-TC260:AIGC "$AIM_TMP/relabel.png")" \
  "$(bare_label "$PRODUCER" second-id)"
expect_eq "relabel: one carrier" "$(carriers "$AIM_TMP/relabel.png")" 1
got=$(check_json "$AIM_TMP/relabel.png")
case "$got" in *label_count*) bad "relabel: aimark counts several carriers" ;; *) ok "relabel: aimark counts one carrier" ;; esac

# aimark reads what ExifTool writes: XMP, then a tEXt AIGC chunk.
bare_label "$PRODUCER" exif-xmp > "$AIM_TMP/label.json"
cp "$AIM_SAMPLES/image.png" "$AIM_TMP/et-xmp.png"
(cd "$AIM_TMP" && exiftool13 -q -overwrite_original '-XMP-TC260:AIGC<=label.json' -XMP-dc:Title=Foo et-xmp.png)
got=$(check_json "$AIM_TMP/et-xmp.png")
expect_contains "exiftool xmp: aimark reads the location" "$got" '"location":"xmp:TC260:AIGC"'
expect_contains "exiftool xmp: aimark reads the ProduceID" "$got" '"ProduceID":"exif-xmp"'
"$AIMARK" label --producer "$PRODUCER" --produce-id over-xmp --in-place "$AIM_TMP/et-xmp.png" >/dev/null
expect_eq "exiftool xmp: dc:title kept" "$(exiftool13 -s3 -XMP-dc:Title "$AIM_TMP/et-xmp.png")" "Foo"
expect_eq "exiftool xmp: new label" "$(exiftool13 -s3 -XMP-TC260:AIGC "$AIM_TMP/et-xmp.png")" \
  "$(bare_label "$PRODUCER" over-xmp)"
expect_eq "exiftool xmp: one carrier" "$(carriers "$AIM_TMP/et-xmp.png")" 1
expect_eq "exiftool xmp: pixels unchanged" "$(media_md5 "$AIM_TMP/et-xmp.png")" "$(media_md5 "$AIM_SAMPLES/image.png")"

bare_label "$PRODUCER" exif-text > "$AIM_TMP/label.json"
cp "$AIM_SAMPLES/image.png" "$AIM_TMP/et-text.png"
(cd "$AIM_TMP" && exiftool13 -q -overwrite_original '-PNG:AIGC<=label.json' et-text.png)
got=$(check_json "$AIM_TMP/et-text.png")
expect_contains "exiftool tEXt: aimark reads png:tEXt:AIGC" "$got" '"location":"png:tEXt:AIGC"'
expect_contains "exiftool tEXt: aimark reads the ProduceID" "$got" '"ProduceID":"exif-text"'
"$AIMARK" label --producer "$PRODUCER" --produce-id over-text --in-place "$AIM_TMP/et-text.png" >/dev/null
expect_eq "exiftool tEXt: the tEXt chunk is gone" "$(exiftool13 -s3 -PNG:AIGC "$AIM_TMP/et-text.png")" ""
expect_eq "exiftool tEXt: label now in XMP" "$(exiftool13 -s3 -XMP-TC260:AIGC "$AIM_TMP/et-text.png")" \
  "$(bare_label "$PRODUCER" over-text)"
expect_eq "exiftool tEXt: pixels unchanged" "$(media_md5 "$AIM_TMP/et-text.png")" "$(media_md5 "$AIM_SAMPLES/image.png")"

finish
