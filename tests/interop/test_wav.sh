#!/usr/bin/env bash
# WAV interop: ExifTool reads the RIFF AIGC chunk aimark writes; ffmpeg
# decodes the same samples before and after (16-bit, 24-bit, RF64, BWF);
# bext/LIST survive; aimark reads a chunk written by hand (ffmpeg and
# ExifTool cannot write one); relabelling leaves exactly one chunk.
source "$(dirname "$0")/lib.sh"
need_exiftool

# check exits 1 when it finds a label: that is the expected case here.
check_json() { "$AIMARK" check --json "$1" || [ $? -eq 1 ]; }
aigc_count() { grep -a -o AIGC "$1" | wc -l | tr -d ' '; }
riff_tags() { exiftool13 -s -G1 -RIFF:all "$1" | grep -v -e '\[RIFF\] *AIGC' -e 'FileSize'; }

for s in music speech24 music-rf64 music-bwf; do
  in="$AIM_SAMPLES/$s.wav"
  out="$AIM_TMP/$s.wav"
  if "$AIMARK" label --producer "$PRODUCER" --produce-id "wav-$s" -o "$out" "$in" >/dev/null; then
    ok "$s: labelled"
  else
    bad "$s: aimark label failed"
    continue
  fi
  got=$(check_json "$out")
  expect_contains "$s: aimark reads riff:AIGC" "$got" '"location":"riff:AIGC"'
  expect_contains "$s: aimark reads the ProduceID" "$got" "\"ProduceID\":\"wav-$s\""
  # check decodes the audio (libsndfile): the label chunk must not trip it
  # (libsndfile's RF64 reader does not skip odd-size pad bytes)
  case "$got" in *audio_error*) bad "$s: labelled file does not decode: $got" ;;
                 *) expect_contains "$s: labelled file decodes" "$got" '"audible":[' ;; esac
  expect_eq "$s: ExifTool reads RIFF:AIGC" "$(exiftool13 -s3 -RIFF:AIGC "$out")" \
    "$(bare_label "$PRODUCER" "wav-$s")"
  expect_eq "$s: one AIGC chunk" "$(aigc_count "$out")" 1
  expect_eq "$s: decoded audio unchanged" "$(media_md5 "$out")" "$(media_md5 "$in")"
  expect_eq "$s: other RIFF metadata unchanged" "$(riff_tags "$out")" "$(riff_tags "$in")"
  expect_eq "$s: container kind kept" "$(head -c 4 "$out")" "$(head -c 4 "$in")"
done

# BWF: the bext chunk and the LIST/INFO comment survive byte for byte.
bext_of() { python3 - "$1" <<'PY'
import struct, sys, hashlib
d = open(sys.argv[1], 'rb').read()
p, out = 12, []
while p + 8 <= len(d):
    cid, n = d[p:p+4], struct.unpack('<I', d[p+4:p+8])[0]
    if cid in (b'bext', b'LIST', b'fmt '):
        out.append(cid.decode() + ':' + hashlib.md5(d[p:p+8+n]).hexdigest())
    if cid == b'data':
        break
    p += 8 + n + (n & 1)
print(' '.join(out))
PY
}
expect_eq "bwf: fmt/bext/LIST chunks byte-exact" "$(bext_of "$AIM_TMP/music-bwf.wav")" \
  "$(bext_of "$AIM_SAMPLES/music-bwf.wav")"
expect_eq "bwf: ffprobe comment kept" \
  "$(ffprobe -v error -show_entries format_tags=comment -of default=nw=1:nk=1 "$AIM_TMP/music-bwf.wav")" \
  "bwf-sample"

# Relabel in place: still exactly one chunk, the new one.
cp "$AIM_TMP/music.wav" "$AIM_TMP/relabel.wav"
"$AIMARK" label --producer "$PRODUCER" --produce-id second-id --in-place "$AIM_TMP/relabel.wav" >/dev/null
expect_eq "relabel: one AIGC chunk" "$(aigc_count "$AIM_TMP/relabel.wav")" 1
expect_eq "relabel: ExifTool sees the new label" "$(exiftool13 -s3 -RIFF:AIGC "$AIM_TMP/relabel.wav")" \
  "$(bare_label "$PRODUCER" second-id)"
expect_eq "relabel: decoded audio unchanged" "$(media_md5 "$AIM_TMP/relabel.wav")" \
  "$(media_md5 "$AIM_SAMPLES/music.wav")"

# A chunk appended by hand after data (odd length, wrapped form): aimark
# and ExifTool both read it; relabelling moves the label before data.
hand="$AIM_TMP/hand.wav"
python3 - "$AIM_SAMPLES/speech.wav" "$hand" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
j = b'{"AIGC":{"Label":"1","ContentProducer":"hand-made","ProduceID":"by-python"}}'
c = b'AIGC' + struct.pack('<I', len(j)) + j + (b'\0' if len(j) % 2 else b'')
d = d + c
open(sys.argv[2], 'wb').write(d[:4] + struct.pack('<I', len(d) - 8) + d[8:])
PY
got=$(check_json "$hand")
expect_contains "hand-made: aimark reads it" "$got" '"ProduceID":"by-python"'
expect_contains "hand-made: wrapped form" "$got" '"form":"wrapped"'
expect_contains "hand-made: ExifTool reads it" "$(exiftool13 -s3 -RIFF:AIGC "$hand")" 'by-python'
"$AIMARK" label --producer "$PRODUCER" --produce-id replaced --in-place "$hand" >/dev/null
expect_eq "hand-made: replaced, one chunk" "$(aigc_count "$hand")" 1
expect_contains "hand-made: new label read" "$(check_json "$hand")" '"ProduceID":"replaced"'
expect_eq "hand-made: decoded audio unchanged" "$(media_md5 "$hand")" "$(media_md5 "$AIM_SAMPLES/speech.wav")"

# A recording cut short (data size runs past the end): labelled, still decodable.
head -c 100001 "$AIM_SAMPLES/music.wav" > "$AIM_TMP/cut.wav"
if "$AIMARK" label --producer "$PRODUCER" --produce-id cut -o "$AIM_TMP/cut-l.wav" "$AIM_TMP/cut.wav" >/dev/null; then
  ok "cut: labelled"
  expect_eq "cut: decoded audio unchanged" "$(media_md5 "$AIM_TMP/cut-l.wav")" "$(media_md5 "$AIM_TMP/cut.wav")"
  expect_eq "cut: ExifTool reads it" "$(exiftool13 -s3 -RIFF:AIGC "$AIM_TMP/cut-l.wav")" \
    "$(bare_label "$PRODUCER" cut)"
else
  bad "cut: aimark label failed"
fi

finish
