#!/usr/bin/env bash
# The CLI as scripts call it: exact forms, JSON shape, exit codes, folders,
# output paths, propagate rules, atomicity and file modes.
. "$(dirname "$0")/lib.sh"
S=$AIM_SAMPLES; T=$AIM_TMP
cp "$S/speech.wav" "$S/image.png" "$S/music.mp3" "$T/"
printf 'not media\n' > "$T/notes.txt"

# usage errors -> 2
set +e
"$AIMARK" label --producer P "$T/speech.wav" 2>/dev/null; expect_eq "label without --produce-id" $? 2
"$AIMARK" label --producer P --produce-id I "$T/speech.wav" 2>/dev/null; expect_eq "label without -o/--in-place" $? 2
"$AIMARK" label --producer 'has space' --produce-id I --in-place "$T/speech.wav" 2>/dev/null; expect_eq "invalid producer" $? 2
"$AIMARK" check 2>/dev/null; expect_eq "check without files" $? 2
"$AIMARK" frobnicate 2>/dev/null; expect_eq "unknown command" $? 2
"$AIMARK" check --meta-only --json "$T/speech.wav" > "$T/none.json"; expect_eq "check --meta-only unlabelled -> 0" $? 0
# with content analysis (the default for audio) the espeak-ng speech is flagged
"$AIMARK" check --json "$T/speech.wav" > "$T/deep.json"; expect_eq "check unlabelled synthetic speech -> 1" $? 1
"$AIMARK" check --no-detect --json "$T/speech.wav" > "$T/nodet.json"; expect_eq "check --no-detect unlabelled -> 0" $? 0
set -e
expect_contains "detector makes it suspected" "$(cat "$T/deep.json")" '"class":"suspected"'
expect_contains "detector result reported" "$(cat "$T/deep.json")" '"synthetic":true'
expect_contains "no rhythm prompt heard" "$(cat "$T/deep.json")" '"audible":[]'
expect_contains "--no-detect: no detector" "$(cat "$T/nodet.json")" '"class":"none","audible":[]}'
# the audible prompt: label --audible rhythm, then check hears it where it was put
"$AIMARK" label --producer P --produce-id aud-1 --audible rhythm --audible-at start,end -o "$T/aud.wav" "$T/speech.wav" >/dev/null
"$AIMARK" label --producer P --produce-id aud-2 --audible voice -o "$T/voice.wav" "$T/speech.wav" >/dev/null
"$AIMARK" check --no-detect --json "$T/aud.wav" > "$T/aud.json" || true
/usr/bin/python3 - "$T/aud.json" "$(soxi -D "$T/speech.wav")" "$(soxi -D "$T/aud.wav")" "$(soxi -D "$T/voice.wav")" <<'PY' && ok "audible prompt round trip" || bad "audible prompt round trip"
import json, sys
j = json.loads(open(sys.argv[1]).read())
src, aud, voice = (float(a) for a in sys.argv[2:5])
hits = j["audible"]
assert len(hits) == 2, hits
assert abs(hits[0][0] - 0.25) < 0.05, hits          # after the 250 ms pad
assert abs((hits[0][1] - hits[0][0]) - 1.1) < 0.05, hits  # dot-dash-dot-dot lasts 1.1 s
assert abs(hits[1][1] - (aud - 0.25)) < 0.05, (hits, aud)
assert abs(aud - src - 2 * 1.6) < 0.02, (aud, src)  # two prompts of 1.1 s + 2 x 250 ms pads
assert voice - src > 3.5, (voice, src)               # the built-in spoken prompt is ~4.2 s
PY
expect_eq "unlabelled json" "$(cat "$T/none.json")" \
  "{\"file\":\"$T/speech.wav\",\"format\":\"wav\",\"label\":null,\"location\":null,\"form\":null,\"class\":\"none\"}"

# label to an output file: input untouched, output labelled
before=$(md5sum < "$T/speech.wav")
"$AIMARK" label --producer "$PRODUCER" --produce-id id-1 -o "$T/out.wav" "$T/speech.wav" >/dev/null
expect_eq "input untouched with -o" "$(md5sum < "$T/speech.wav")" "$before"
set +e; line=$("$AIMARK" check --meta-only --json "$T/out.wav"); rc=$?; set -e
expect_eq "check labelled -> 1" "$rc" 1
expect_eq "labelled json" "$line" \
  "{\"file\":\"$T/out.wav\",\"format\":\"wav\",\"label\":$(bare_label "$PRODUCER" id-1),\"location\":\"riff:AIGC\",\"form\":\"bare\",\"class\":\"confirmed\",\"valid\":true}"

# in place keeps the mode; relabel replaces (one label per file)
chmod 640 "$T/image.png"
"$AIMARK" label --producer "$PRODUCER" --produce-id id-2 --in-place "$T/image.png" >/dev/null
"$AIMARK" label --producer "$PRODUCER" --produce-id id-3 --in-place "$T/image.png" >/dev/null
expect_eq "mode kept" "$(stat -c %a "$T/image.png")" 640
set +e; line=$("$AIMARK" check --json "$T/image.png"); set -e
expect_contains "relabel replaces" "$line" '"ProduceID":"id-3"'
case "$line" in *label_count*) bad "second label left behind: $line" ;; *) ok "one label after relabel" ;; esac
expect_eq "no temp files left" "$(ls -a "$T" | grep -c aimark- || true)" 0

# folders: recursive, unknown formats skipped there, reported when named
mkdir -p "$T/tree/a/b"
cp "$S/speech.wav" "$T/tree/a/one.wav"; cp "$S/image.jpg" "$T/tree/a/b/two.jpg"; cp "$T/notes.txt" "$T/tree/a/"
"$AIMARK" label --producer "$PRODUCER" --produce-id tree -o "$T/tree-out" "$T/tree" >/dev/null
expect_eq "mirrored output tree" "$(cd "$T/tree-out" && find . -type f | sort | tr '\n' ' ')" "./a/b/two.jpg ./a/one.wav "
set +e; n=$("$AIMARK" check --json -j 2 "$T/tree-out" | grep -c '"class":"confirmed"'); set -e
expect_eq "folder check finds both" "$n" 2
set +e; "$AIMARK" check "$T/notes.txt" >/dev/null 2>&1; rc=$?; set -e
expect_eq "named unknown file -> 3" "$rc" 3
set +e; out=$("$AIMARK" check --json "$T/notes.txt"); set -e
expect_contains "error member" "$out" '"error":'

# propagate: keeps producer fields, adds platform fields
"$AIMARK" propagate --propagator PLAT01 --propagate-id up-1 -o "$T/prop.wav" "$T/out.wav" >/dev/null
set +e; line=$("$AIMARK" check --json "$T/prop.wav"); set -e
expect_contains "propagate keeps producer" "$line" "\"ContentProducer\":\"$PRODUCER\",\"ProduceID\":\"id-1\""
expect_contains "propagate adds platform" "$line" '"ContentPropagator":"PLAT01","PropagateID":"up-1"'
expect_contains "Label 1 kept over --declared" "$("$AIMARK" propagate --propagator P --propagate-id x --declared --json -o "$T/p2.wav" "$T/out.wav")" '"Label":"1"'
# unlabelled: skipped unless declared / suspected
cp "$S/music.mp3" "$T/plain.mp3"
out=$("$AIMARK" propagate --propagator P --propagate-id x --json --in-place "$T/plain.mp3")
expect_contains "unlabelled, undeclared -> skipped" "$out" '"status":"skipped"'
expect_eq "skipped file untouched" "$(md5sum < "$T/plain.mp3")" "$(md5sum < "$S/music.mp3")"
"$AIMARK" propagate --propagator P --propagate-id x --declared --in-place "$T/plain.mp3" >/dev/null
set +e; line=$("$AIMARK" check --json "$T/plain.mp3"); set -e
expect_contains "declared -> possible" "$line" '"class":"possible"'
"$AIMARK" propagate --propagator P --propagate-id y --suspected -o "$T/susp.mp3" "$S/music.mp3" >/dev/null
set +e; line=$("$AIMARK" check --json "$T/susp.mp3"); set -e
expect_contains "suspected -> Label 3" "$line" '"Label":"3"'

# wrapped form on request, read back as wrapped
"$AIMARK" label --producer "$PRODUCER" --produce-id w --form wrapped -o "$T/wrapped.wav" "$S/speech.wav" >/dev/null
set +e; line=$("$AIMARK" check --json "$T/wrapped.wav"); set -e
expect_contains "wrapped form reported" "$line" '"form":"wrapped"'

# a failed write leaves the original byte-identical: corrupt input, read-only folder
head -c 3000 "$S/music.mp3" > "$T/trunc.flac"; printf 'fLaC\x00\x00\x00\x22' | cat - "$T/trunc.flac" > "$T/bad.flac"
cp "$T/bad.flac" "$T/bad-orig.flac"
set +e; "$AIMARK" label --producer P --produce-id I --in-place "$T/bad.flac" >/dev/null 2>&1; rc=$?; set -e
expect_eq "corrupt input -> 3" "$rc" 3
expect_eq "corrupt input untouched" "$(md5sum < "$T/bad.flac")" "$(md5sum < "$T/bad-orig.flac")"
if [ "$(id -u)" != 0 ]; then
  mkdir "$T/ro"; cp "$S/speech.wav" "$T/ro/"; chmod 555 "$T/ro"
  set +e; "$AIMARK" label --producer P --produce-id I --in-place "$T/ro/speech.wav" >/dev/null 2>&1; rc=$?; set -e
  expect_eq "read-only folder -> 3" "$rc" 3
  chmod 755 "$T/ro"
fi

# a kill at any moment leaves either the original or a complete labelled file
sox -R -n -r 48000 -c 2 -b 16 "$T/big.wav" synth 300 sine 440 vol 0.1 2>/dev/null
orig=$(md5sum < "$T/big.wav"); media=$(media_md5 "$T/big.wav")
for delay in 0.01 0.05 0.2; do
  cp "$T/big.wav" "$T/kill.wav"
  timeout -s KILL "$delay" "$AIMARK" label --producer P --produce-id k --in-place "$T/kill.wav" >/dev/null 2>&1 || true
  now=$(md5sum < "$T/kill.wav")
  if [ "$now" = "$orig" ]; then ok "killed after ${delay}s: original intact"
  else
    set +e; l=$("$AIMARK" check --json "$T/kill.wav"); set -e
    case "$l" in *'"ProduceID":"k"'*) [ "$(media_md5 "$T/kill.wav")" = "$media" ] && ok "killed after ${delay}s: complete labelled file" || bad "killed: media changed" ;;
      *) bad "killed after ${delay}s: file is neither original nor labelled: $l" ;; esac
  fi
  rm -f "$T"/.kill.wav.aimark-*
done
# the visible label through the CLI: same size, label drawn in the chosen
# corner (pixels there change, the opposite corner does not), implicit label in
cp "$S/image.png" "$T/vsrc.png"
line=$("$AIMARK" label --producer P --produce-id vis-1 --visible --corner tl --json -o "$T/vis.png" "$T/vsrc.png")
expect_contains "label --visible json" "$line" '"visible":{"text":"AI生成","corner":"tl"}'
set +e; line=$("$AIMARK" check --json "$T/vis.png"); set -e
expect_contains "visible output carries the implicit label" "$line" '"ProduceID":"vis-1"'
crop_md5() { ffmpeg -nostdin -v error -i "$1" -vf "crop=$2" -f md5 - 2>/dev/null; }
dims() { ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0 "$1"; }
expect_eq "visible keeps the size" "$(dims "$T/vis.png")" "$(dims "$T/vsrc.png")"
h=$(dims "$T/vsrc.png" | cut -d, -f2); w=$(dims "$T/vsrc.png" | cut -d, -f1)
q="$((w / 4)):$((h / 4))"
[ "$(crop_md5 "$T/vis.png" "$q:0:0")" != "$(crop_md5 "$T/vsrc.png" "$q:0:0")" ] && ok "top-left corner drawn" || bad "top-left corner unchanged"
expect_eq "bottom-right corner untouched" "$(crop_md5 "$T/vis.png" "$q:$((w - w / 4)):$((h - h / 4))")" \
  "$(crop_md5 "$T/vsrc.png" "$q:$((w - w / 4)):$((h - h / 4))")"
set +e; "$AIMARK" label --producer P --produce-id x --corner tl -o "$T/x.png" "$T/vsrc.png" 2>/dev/null
expect_eq "--corner without --visible" $? 2; set -e
finish
