#!/usr/bin/env bash
# MP4/M4A/MOV interop: aimark writes the label where ffmpeg
# (-movflags use_metadata_tags) puts it, and ffprobe/ExifTool read it back;
# aimark reads what ffmpeg and ExifTool write; media and other tags survive.
. "$(dirname "$0")/lib.sh"
need_exiftool
S=$AIM_SAMPLES; T=$AIM_TMP
LOC=mp4:udta/meta/keys:AIGC
ff() { ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
ffprobe_tag() { ffprobe -v error -show_entries "format_tags=$2" -of default=nw=1:nk=1 "$1"; }
check_json() { "$AIMARK" check --json "$1" || true; }

# 1. aimark writes; ffprobe, ExifTool and aimark read; media unchanged.
for f in music.m4a music-faststart.m4a clip.mp4 clip-faststart.mp4 clip.mov; do
  id="id-${f//./-}"
  want=$(bare_label "$PRODUCER" "$id")
  "$AIMARK" label --producer "$PRODUCER" --produce-id "$id" -o "$T/$f" "$S/$f" >/dev/null
  line=$(check_json "$T/$f")
  expect_contains "$f: aimark reads its label" "$line" "\"label\":$want,\"location\":\"$LOC\""
  case "$line" in *label_count*) bad "$f: more than one label: $line" ;; *) ok "$f: one label" ;; esac
  expect_eq "$f: ffprobe reads AIGC" "$(ffprobe_tag "$T/$f" AIGC)" "$want"
  expect_eq "$f: ExifTool reads Keys:AIGC" "$(exiftool13 -s3 -Keys:AIGC "$T/$f")" "$want"
  expect_contains "$f: ExifTool -G1 group" "$(exiftool13 -j -G1 "$T/$f")" '"Keys:AIGC":'
  expect_eq "$f: decoded media identical" "$(media_md5 "$T/$f")" "$(media_md5 "$S/$f")"
  expect_eq "$f: ffmpeg decodes without errors" "$(ffmpeg -nostdin -v error -i "$T/$f" -f null - 2>&1)" ""
done
# the encoder tag ffmpeg left in the iTunes-style (mdir) meta survives next to ours
expect_eq "m4a: encoder tag kept" "$(ffprobe_tag "$T/music.m4a" encoder)" "$(ffprobe_tag "$S/music.m4a" encoder)"
expect_eq "m4a: ExifTool still reads ItemList:Encoder" \
  "$(exiftool13 -s3 -ItemList:Encoder "$T/music.m4a")" "$(exiftool13 -s3 -ItemList:Encoder "$S/music.m4a")"
# faststart stays faststart (moov before mdat), moov-at-end stays at the end
order() { python3 -c '
import struct,sys
d=open(sys.argv[1],"rb").read(); o=0; out=[]
while o+8<=len(d):
    s,t=struct.unpack(">I4s",d[o:o+8])
    if s==1: s=struct.unpack(">Q",d[o+8:o+16])[0]
    if s==0: s=len(d)-o
    if t in (b"moov",b"mdat"): out.append(t.decode())
    o+=s
print(" ".join(out))' "$1"; }
expect_eq "faststart layout kept" "$(order "$T/clip-faststart.mp4")" "moov mdat"
expect_eq "moov-at-end layout kept" "$(order "$T/clip.mp4")" "mdat moov"

# 2. ffmpeg writes the label (with a title); aimark reads it, relabels once.
old=$(bare_label "$PRODUCER" ffmpeg-1)
ff -i "$S/music.wav" -t 1 -c:a aac -b:a 64k -metadata title=Hello -metadata "AIGC=$old" \
  -movflags use_metadata_tags "$T/ff.m4a"
expect_contains "aimark reads ffmpeg's label" "$(check_json "$T/ff.m4a")" "\"label\":$old,\"location\":\"$LOC\""
before=$(media_md5 "$T/ff.m4a")
"$AIMARK" label --producer "$PRODUCER" --produce-id relabel-1 --in-place "$T/ff.m4a" >/dev/null
line=$(check_json "$T/ff.m4a")
expect_contains "relabel replaces ffmpeg's label" "$line" '"ProduceID":"relabel-1"'
case "$line" in *label_count*) bad "relabel left two labels: $line" ;; *) ok "relabel: one label" ;; esac
expect_eq "relabel keeps the title (same keys box)" "$(ffprobe_tag "$T/ff.m4a" title)" Hello
expect_eq "relabel: ffprobe sees the new label" "$(ffprobe_tag "$T/ff.m4a" AIGC)" "$(bare_label "$PRODUCER" relabel-1)"
expect_eq "relabel: media identical" "$(media_md5 "$T/ff.m4a")" "$before"

# a title in udta/meta(mdir) (plain ffmpeg, faststart) survives labelling
ff -i "$S/music.wav" -t 1 -c:a aac -b:a 64k -metadata title=Plain -movflags +faststart "$T/title.mp4"
"$AIMARK" label --producer "$PRODUCER" --produce-id t --in-place "$T/title.mp4" >/dev/null
expect_eq "mdir title kept" "$(ffprobe_tag "$T/title.mp4" title)" Plain
expect_eq "ExifTool title kept" "$(exiftool13 -s3 -ItemList:Title "$T/title.mp4")" Plain

# 3. ExifTool writes Keys:AIGC (moov/meta, com.apple.quicktime.AIGC): read, then moved.
et=$(bare_label "$PRODUCER" exiftool-1)
cp "$S/clip.mov" "$T/et.mov"
exiftool13 -q -overwrite_original "-Keys:AIGC=$et" "$T/et.mov"
expect_contains "aimark reads ExifTool Keys:AIGC" "$(check_json "$T/et.mov")" "\"label\":$et,\"location\":\"mp4:meta/keys:AIGC\""
"$AIMARK" label --producer "$PRODUCER" --produce-id moved --in-place "$T/et.mov" >/dev/null
line=$(check_json "$T/et.mov")
expect_contains "after relabel: udta location" "$line" "\"location\":\"$LOC\""
case "$line" in *label_count*) bad "moov/meta label left behind: $line" ;; *) ok "moov/meta label removed" ;; esac
expect_eq "ExifTool sees one AIGC" "$(exiftool13 -a -s3 -Keys:AIGC "$T/et.mov")" "$(bare_label "$PRODUCER" moved)"

# 4. ExifTool writes XMP (top-level uuid box): read, then replaced by keys.
xm=$(bare_label "$PRODUCER" xmp-1)
cp "$S/music-faststart.m4a" "$T/xmp.m4a"
printf '%s' "$xm" > "$T/label.json"
exiftool13 -q -overwrite_original "-XMP-TC260:AIGC<=$T/label.json" "$T/xmp.m4a"
expect_contains "aimark reads ExifTool XMP" "$(check_json "$T/xmp.m4a")" "\"label\":$xm,\"location\":\"mp4:xmp:TC260:AIGC\""
before=$(media_md5 "$T/xmp.m4a")
"$AIMARK" label --producer "$PRODUCER" --produce-id fromxmp --in-place "$T/xmp.m4a" >/dev/null
line=$(check_json "$T/xmp.m4a")
expect_contains "XMP label replaced by keys" "$line" "\"location\":\"$LOC\""
case "$line" in *label_count*) bad "XMP label left behind: $line" ;; *) ok "XMP label removed" ;; esac
expect_eq "ExifTool: no XMP label left" "$(exiftool13 -s3 -XMP-TC260:AIGC "$T/xmp.m4a")" ""
expect_eq "XMP relabel: media identical" "$(media_md5 "$T/xmp.m4a")" "$before"

# 5. fragmented with moov before the fragments: refused, file untouched.
ff -i "$S/music.wav" -t 1 -c:a aac -b:a 64k -movflags frag_keyframe+empty_moov "$T/frag.mp4"
sum=$(md5sum < "$T/frag.mp4")
set +e; err=$("$AIMARK" label --producer "$PRODUCER" --produce-id f --in-place "$T/frag.mp4" 2>&1); rc=$?; set -e
expect_eq "fragmented: exit 3" "$rc" 3
expect_contains "fragmented: reason" "$err" "fragmented"
expect_eq "fragmented: untouched" "$(md5sum < "$T/frag.mp4")" "$sum"

finish
