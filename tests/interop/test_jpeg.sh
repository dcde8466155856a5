#!/usr/bin/env bash
# JPEG interop: ExifTool reads the XMP label aimark writes (and the IPTC
# DigitalSourceType); aimark reads a label ExifTool writes; Exif and XMP
# written by others (Artist, dc:title) survive; pixels decode identically;
# relabelling leaves exactly one carrier.
source "$(dirname "$0")/lib.sh"
need_exiftool

DST=http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia
check_json() { "$AIMARK" check --json "$1" || [ $? -eq 1 ]; }
carriers() { grep -a -o -e '{"Label' -e '{&quot;Label' "$1" | wc -l | tr -d ' '; }
jpeg_tags() { exiftool13 -s -G1 -JFIF:all -EXIF:all -File:ImageWidth -File:ImageHeight "$1"; }

in="$AIM_SAMPLES/image.jpg"
out="$AIM_TMP/image.jpg"
if "$AIMARK" label --producer "$PRODUCER" --produce-id jpeg-1 -o "$out" "$in" >/dev/null; then
  ok "labelled"
else
  bad "aimark label failed"
fi
got=$(check_json "$out")
expect_contains "aimark reads xmp:TC260:AIGC" "$got" '"location":"xmp:TC260:AIGC"'
expect_contains "aimark reads the ProduceID" "$got" '"ProduceID":"jpeg-1"'
expect_eq "ExifTool reads XMP-TC260:AIGC" "$(exiftool13 -s3 -XMP-TC260:AIGC "$out")" \
  "$(bare_label "$PRODUCER" jpeg-1)"
expect_eq "ExifTool reads DigitalSourceType" "$(exiftool13 -s3 -n -XMP-iptcExt:DigitalSourceType "$out")" "$DST"
expect_eq "ExifTool validates" "$(exiftool13 -s3 -validate "$out")" "OK"
expect_eq "pixels unchanged" "$(media_md5 "$out")" "$(media_md5 "$in")"
expect_eq "JFIF tags unchanged" "$(jpeg_tags "$out")" "$(jpeg_tags "$in")"
# everything from SOS on is byte-identical
sos_tail() { python3 - "$1" <<'PY'
import hashlib, sys
d = open(sys.argv[1], 'rb').read()
p = 2
while p + 4 <= len(d):
    while d[p + 1] == 0xFF:
        p += 1
    if d[p + 1] == 0xDA:
        break
    p += 2 + int.from_bytes(d[p + 2:p + 4], 'big')
print(hashlib.md5(d[p:]).hexdigest())
PY
}
expect_eq "scan data byte-exact" "$(sos_tail "$out")" "$(sos_tail "$in")"

# Relabel in place: one carrier, the new label.
cp "$out" "$AIM_TMP/relabel.jpg"
"$AIMARK" label --producer "$PRODUCER" --produce-id second-id --in-place "$AIM_TMP/relabel.jpg" >/dev/null
expect_eq "relabel: ExifTool sees the new label" "$(exiftool13 -s3 -XMP-TC260:AIGC "$AIM_TMP/relabel.jpg")" \
  "$(bare_label "$PRODUCER" second-id)"
expect_eq "relabel: one carrier" "$(carriers "$AIM_TMP/relabel.jpg")" 1

# aimark reads what ExifTool writes, and keeps ExifTool's other metadata.
bare_label "$PRODUCER" exif-xmp > "$AIM_TMP/label.json"
cp "$in" "$AIM_TMP/et.jpg"
(cd "$AIM_TMP" && exiftool13 -q -overwrite_original '-XMP-TC260:AIGC<=label.json' -XMP-dc:Title=Foo \
  -EXIF:Artist=Someone et.jpg)
size_before=$(stat -c %s "$AIM_TMP/et.jpg")
got=$(check_json "$AIM_TMP/et.jpg")
expect_contains "exiftool: aimark reads the location" "$got" '"location":"xmp:TC260:AIGC"'
expect_contains "exiftool: aimark reads the ProduceID" "$got" '"ProduceID":"exif-xmp"'
"$AIMARK" label --producer "$PRODUCER" --produce-id over --in-place "$AIM_TMP/et.jpg" >/dev/null
expect_eq "exiftool: dc:title kept" "$(exiftool13 -s3 -XMP-dc:Title "$AIM_TMP/et.jpg")" "Foo"
expect_eq "exiftool: Exif Artist kept" "$(exiftool13 -s3 -EXIF:Artist "$AIM_TMP/et.jpg")" "Someone"
expect_eq "exiftool: new label" "$(exiftool13 -s3 -XMP-TC260:AIGC "$AIM_TMP/et.jpg")" \
  "$(bare_label "$PRODUCER" over)"
expect_eq "exiftool: one carrier" "$(carriers "$AIM_TMP/et.jpg")" 1
expect_eq "exiftool: XMP padding absorbed the change" "$(stat -c %s "$AIM_TMP/et.jpg")" "$size_before"
expect_eq "exiftool: validates" "$(exiftool13 -s3 -validate "$AIM_TMP/et.jpg")" "OK"
expect_eq "exiftool: pixels unchanged" "$(media_md5 "$AIM_TMP/et.jpg")" "$(media_md5 "$in")"

# A new XMP segment goes after the Exif APP1 (ExifTool's Exif, no XMP yet).
cp "$in" "$AIM_TMP/exif.jpg"
exiftool13 -q -overwrite_original -EXIF:Artist=Someone "$AIM_TMP/exif.jpg"
"$AIMARK" label --producer "$PRODUCER" --produce-id exif --in-place "$AIM_TMP/exif.jpg" >/dev/null
expect_eq "exif: Artist kept" "$(exiftool13 -s3 -EXIF:Artist "$AIM_TMP/exif.jpg")" "Someone"
expect_eq "exif: label readable" "$(exiftool13 -s3 -XMP-TC260:AIGC "$AIM_TMP/exif.jpg")" "$(bare_label "$PRODUCER" exif)"
segs=$(python3 - "$AIM_TMP/exif.jpg" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
p, out = 2, []
while p + 4 <= len(d) and d[p + 1] != 0xDA:
    n = int.from_bytes(d[p + 2:p + 4], 'big')
    body = d[p + 4:p + 4 + 6]
    out.append('%02X%s' % (d[p + 1], '-exif' if body == b'Exif\0\0' else '-xmp' if body == b'http:/' else ''))
    p += 2 + n
print(' '.join(out[:4]))
PY
)
expect_contains "exif: XMP APP1 right after the Exif APP1" "$segs" "E1-exif E1-xmp"

finish
