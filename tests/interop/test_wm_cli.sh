#!/usr/bin/env bash
# Watermark on files through the CLI: keygen; label --watermark on WAV
# (16/24-bit), FLAC, MP3, Ogg Vorbis, Ogg Opus and M4A made by sox/ffmpeg/
# espeak-ng; wm detect finds the ProduceID's payload with the right key
# only; ExifTool/ffprobe still read the metadata label; after stripping
# metadata and re-encoding to MP3 128k, check --key reports confirmed with
# the identifier; --json shapes; originals untouched; live embed/detect.
source "$(dirname "$0")/lib.sh"
need_exiftool
T=$AIM_TMP
q() { "$@" >/dev/null 2>&1 || { bad "tool failed: $*"; finish; }; }
ff() { q ffmpeg -nostdin -hide_banner -loglevel error -y "$@"; }
# Exit 1 means "found" for check and wm detect: expected here.
run1() { "$@" || [ $? -eq 1 ]; }
payload_of() { python3 -c 'import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest()[:16])' "$1"; }
ffprobe_tag() { ffprobe -v error -show_entries "format_tags=$2" -of default=nw=1:nk=1 "$1"; }
stream_tags() { ffprobe -v error -show_format -show_streams "$1" | grep '^TAG:' || true; }

# ---- keys -------------------------------------------------------------------
"$AIMARK" wm keygen "$T/k1.key" && "$AIMARK" wm keygen "$T/k2.key" && ok "keygen" || bad "keygen"
expect_eq "key mode 0600" "$(stat -c %a "$T/k1.key")" 600
expect_eq "key text form" "$(head -c 17 "$T/k1.key")" "aimark-wm-key-v1 "
k1=$(cat "$T/k1.key")
set +e; "$AIMARK" wm keygen "$T/k1.key" 2>/dev/null; rc=$?; set -e
expect_eq "keygen refuses to overwrite" "$rc:$(cat "$T/k1.key")" "3:$k1"
cp "$T/k2.key" "$T/k3.key"
"$AIMARK" wm keygen --force "$T/k3.key"
[ "$(cat "$T/k3.key")" != "$(cat "$T/k2.key")" ] && ok "keygen --force replaces" || bad "keygen --force"

# ---- sources: 11 s of espeak-ng speech, 12 s of sox music -------------------
q espeak-ng -v en-us -s 140 -w "$T/sp-raw.wav" "This recording was produced by a speech synthesiser. \
It carries an inaudible watermark that identifies the content, even after the file is converted \
or its metadata is removed. The quick brown fox jumps over the lazy dog."
ff -i "$T/sp-raw.wav" -ar 16000 -ac 1 -t 11 "$T/speech16.wav"
q sox -R -n -r 44100 -c 2 -b 16 "$T/music-raw.wav" synth 12 pluck C3 pluck E3 pluck G3 pluck C4 \
  tremolo 2 40 fade 0 12 0.3 norm -3
S=$T/src
mkdir -p "$S"
cp "$T/speech16.wav" "$S/speech16.wav"
ff -i "$T/music-raw.wav" -c:a pcm_s24le "$S/music24.wav"
ff -i "$T/music-raw.wav" -metadata title=FlacTitle "$S/music.flac"
ff -i "$T/music-raw.wav" -c:a libmp3lame -b:a 192k -metadata title=Mp3Title "$S/music.mp3"
ff -i "$T/speech16.wav" -c:a libmp3lame -b:a 64k "$S/speech.mp3"
ff -i "$T/music-raw.wav" -c:a libvorbis -q:a 5 "$S/music.ogg"
ff -i "$T/speech16.wav" -c:a libopus -b:a 48k "$S/speech.opus"
ff -i "$T/music-raw.wav" -c:a aac -b:a 160k -metadata title=M4aTitle "$S/music.m4a"
(cd "$S" && md5sum ./* > "$T/src.md5")

# ---- label --watermark --------------------------------------------------------
O=$T/out
if "$AIMARK" label --watermark --key "$T/k1.key" --producer "$PRODUCER" --produce-id wm-ID-1 \
     -o "$O/" "$S/speech16.wav" "$S/music24.wav" "$S/music.flac" "$S/music.mp3" "$S/speech.mp3" \
     "$S/music.ogg" "$S/speech.opus" "$S/music.m4a" > "$T/label.txt"; then
  ok "label --watermark (8 files)"
else
  bad "label --watermark: $(cat "$T/label.txt")"
fi
want=$(payload_of wm-ID-1)
expect_eq "label reports the payload" "$(grep -c "wm=$want" "$T/label.txt")" 8
(cd "$S" && md5sum -c --quiet "$T/src.md5") && ok "sources untouched" || bad "sources changed"
expect_eq "wav 24-bit kept" "$(ffprobe -v error -show_entries stream=codec_name -of default=nw=1:nk=1 "$O/music24.wav")" pcm_s24le
expect_eq "flac stays flac" "$(ffprobe -v error -show_entries stream=codec_name -of default=nw=1:nk=1 "$O/music.flac")" flac
expect_eq "opus stays opus" "$(ffprobe -v error -show_entries stream=codec_name -of default=nw=1:nk=1 "$O/speech.opus")" opus
expect_eq "m4a stays aac" "$(ffprobe -v error -show_entries stream=codec_name -of default=nw=1:nk=1 "$O/music.m4a")" aac
expect_eq "mp3 title copied" "$(ffprobe_tag "$O/music.mp3" title)" Mp3Title
expect_eq "flac title copied" "$(ffprobe_tag "$O/music.flac" title)" FlacTitle
expect_eq "m4a title copied" "$(ffprobe_tag "$O/music.m4a" title)" M4aTitle
br=$(ffprobe -v error -show_entries format=bit_rate -of default=nw=1:nk=1 "$O/music.mp3")
[ "$br" -ge 180000 ] && ok "mp3 re-encoded at the source bitrate ($br)" || bad "mp3 bitrate $br"

# Other tools still read the metadata label.
J=$(bare_label "$PRODUCER" wm-ID-1)
expect_eq "ExifTool reads RIFF:AIGC" "$(exiftool13 -s3 -RIFF:AIGC "$O/speech16.wav")" "$J"
expect_eq "ffprobe reads mp3 AIGC" "$(ffprobe_tag "$O/music.mp3" AIGC)" "$J"
expect_eq "ffprobe reads flac AIGC" "$(ffprobe_tag "$O/music.flac" AIGC)" "$J"
expect_eq "ffprobe reads m4a AIGC" "$(ffprobe_tag "$O/music.m4a" AIGC)" "$J"
expect_eq "ExifTool reads m4a Keys:AIGC" "$(exiftool13 -s3 -Keys:AIGC "$O/music.m4a")" "$J"
expect_contains "ffprobe reads opus AIGC" "$(stream_tags "$O/speech.opus")" "TAG:AIGC=$J"
expect_eq "ExifTool reads Vorbis:Aigc" "$(exiftool13 -s3 -Vorbis:Aigc "$O/music.ogg")" "$J"

# ---- wm detect ------------------------------------------------------------------
run1 "$AIMARK" wm detect --json --key "$T/k2.key" --key "$T/k1.key" "$O"/* > "$T/detect.json"
python3 - "$T/detect.json" "$want" <<'PY' && ok "detect: every file, right key, right payload" || bad "detect: $(cat "$T/detect.json")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 8, len(lines)
for l in lines:
    o = json.loads(l)
    assert set(o) >= {"file", "found", "payload", "key", "segments"}, o
    assert o["found"] is True and o["payload"] == sys.argv[2] and o["key"] == "k1", o
    assert o["segments"] and all(len(s) == 2 and 0 <= s[0] < s[1] for s in o["segments"]), o
    assert o["segments"][0][0] < 2.0, o  # localisation quality is tested in test_wm
PY
set +e; "$AIMARK" wm detect --json --key "$T/k2.key" "$O"/* > "$T/wrong.json"; rc=$?; set -e
python3 - "$T/wrong.json" <<'PY' && ok "detect: wrong key finds nothing" || bad "wrong key: $(cat "$T/wrong.json")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 8
for l in lines:
    o = json.loads(l)
    assert o["found"] is False and o["payload"] is None and o["key"] is None and o["segments"] == [], o
PY
expect_eq "detect exit 0 when nothing found" "$rc" 0
set +e; "$AIMARK" wm detect --key "$T/k1.key" "$S/music.flac" > /dev/null; rc=$?; set -e
expect_eq "unmarked source: none" "$rc" 0

# ---- metadata stripped and re-encoded -------------------------------------------
ff -i "$O/music.flac" -map_metadata -1 -c:a libmp3lame -b:a 128k "$T/stripped.mp3"
ff -i "$O/speech16.wav" -map_metadata -1 -c:a libmp3lame -b:a 128k "$T/stripped-speech.mp3"
set +e; "$AIMARK" check "$T/stripped.mp3" > /dev/null; rc=$?; set -e
expect_eq "stripped: no label without a key" "$rc" 0
run1 "$AIMARK" check --json --key "$T/k1.key" "$T/stripped.mp3" "$T/stripped-speech.mp3" > "$T/check.json"
python3 - "$T/check.json" "$want" <<'PY' && ok "check --key: confirmed by the watermark" || bad "check: $(cat "$T/check.json")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2
for l in lines:
    o = json.loads(l)
    assert o["label"] is None and o["class"] == "confirmed", o
    w = o["watermark"]
    assert w["found"] is True and w["payload"] == sys.argv[2] and w["key"] == "k1" and w["segments"], o
    assert o["identifier"] == sys.argv[2] and o["confirmed_by"] == "watermark", o
PY
# tempo changed with the pitch kept, and pitch shifted with the tempo kept
# (sox: WSOLA), metadata stripped, re-encoded: found, with both factors
q sox -R "$O/speech16.wav" "$T/tempo.wav" tempo 1.04
ff -i "$T/tempo.wav" -map_metadata -1 -c:a libmp3lame -b:a 64k "$T/tempo.mp3"
q sox -R "$O/music24.wav" "$T/pitch.wav" pitch -40
ff -i "$T/pitch.wav" -map_metadata -1 -c:a libmp3lame -b:a 128k "$T/pitch.mp3"
run1 "$AIMARK" wm detect --json --key "$T/k1.key" "$T/tempo.mp3" "$T/pitch.mp3" > "$T/tp.json"
python3 - "$T/tp.json" "$want" <<'PY' && ok "detect after sox tempo 1.04 / pitch -40 cents" || bad "tempo/pitch: $(cat "$T/tp.json")"
import json, sys
o = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert len(o) == 2 and all(x["found"] and x["payload"] == sys.argv[2] for x in o), o
t = next(x for x in o if x["file"].endswith("tempo.mp3")); p = next(x for x in o if x["file"].endswith("pitch.mp3"))
assert abs(t["speed"] - 1.04) < 0.003 and abs(t["pitch"] - 1.0) < 0.003, t
assert abs(p["speed"] - 1.0) < 0.003 and abs(p["pitch"] - 2 ** (-40 / 1200)) < 0.003, p
PY
run1 "$AIMARK" check --json --key "$T/k1.key" "$O/music.mp3" > "$T/check2.json"
python3 - "$T/check2.json" <<'PY' && ok "check --key: label and matching watermark" || bad "check2: $(cat "$T/check2.json")"
import json, sys
o = json.loads(open(sys.argv[1]).read())
assert o["class"] == "confirmed" and o["label"]["ProduceID"] == "wm-ID-1", o
assert o["watermark"]["found"] and o["watermark"]["matches_label"] is True, o
PY

# ---- wm embed, --payload, in place, failures ------------------------------------
"$AIMARK" wm embed --key "$T/k2.key" --payload 0123456789abcdef "$S/music.ogg" "$T/e.ogg" >/dev/null
expect_contains "wm embed --payload" "$(run1 "$AIMARK" wm detect --key "$T/k2.key" "$T/e.ogg")" "0123456789abcdef"
cp "$S/music.flac" "$T/inplace.flac"
"$AIMARK" label --watermark --key "$T/k1.key" --payload fedcba9876543210 --producer "$PRODUCER" \
  --produce-id X --in-place "$T/inplace.flac" >/dev/null
expect_contains "label --in-place --payload" "$(run1 "$AIMARK" wm detect --key "$T/k1.key" "$T/inplace.flac")" fedcba9876543210
head -c 3000 "$S/music.mp3" > "$T/trunc.mp3"
printf 'RIFF\x24\x00\x00\x00WAVEfmt garbage-garbage-garbage' > "$T/junk.wav"
cp "$T/junk.wav" "$T/junk.bak"
set +e
"$AIMARK" label --watermark --key "$T/k1.key" --producer "$PRODUCER" --produce-id X --in-place "$T/junk.wav" > /dev/null 2>&1
rc=$?
set -e
expect_eq "garbage: error exit" "$rc" 3
cmp -s "$T/junk.wav" "$T/junk.bak" && ok "garbage: file untouched" || bad "garbage file changed"
expect_eq "no temp files left" "$(ls -a "$T" "$O" | grep -c aimark- || true)" 0
set +e; "$AIMARK" label --watermark --producer P --produce-id X -o "$T/x.wav" "$S/speech16.wav" 2>/dev/null; rc=$?; set -e
expect_eq "--watermark without --key: usage" "$rc" 2
set +e; "$AIMARK" wm detect --key "$T/k1.key" --json "$T/junk.wav" > "$T/err.json"; rc=$?; set -e
expect_eq "detect on garbage: exit 3" "$rc" 3
python3 -c 'import json,sys; o=json.loads(open(sys.argv[1]).read()); assert o["found"] is False and o["error"]' "$T/err.json" \
  && ok "detect error JSON" || bad "detect error JSON: $(cat "$T/err.json")"

# a video with no audio track: the watermark is not applicable (null), not an error
ff -f lavfi -i testsrc=size=160x120:rate=10:duration=1 -c:v libx264 -pix_fmt yuv420p "$T/silent-video.mp4"
set +e; "$AIMARK" check --json --no-ocr --key "$T/k1.key" "$T/silent-video.mp4" > "$T/sv.json"; rc=$?; set -e
expect_eq "video without audio: exit 0" "$rc" 0
expect_contains "video without audio: watermark null" "$(cat "$T/sv.json")" '"watermark":null'
expect_eq "video without audio: no warning" "$(grep -c 'watermark detection failed' "$T/sv.json" || true)" 0

# ---- presence from 3 s: wm detect --produce-id, check with a label ---------------
# 3 s clips of the marked speech through MP3 24k: too short and too damaged
# to decode the payload at every offset, but the ProduceID's mark is present.
# A fixed key, so that which clips still decode does not change from run to run.
P=$T/presence
mkdir -p "$P"
echo "aimark-wm-key-v1 $(printf '5eed%.0s' $(seq 16))" > "$P/fixed.key"
q "$AIMARK" wm embed --key "$P/fixed.key" --produce-id wm-ID-1 "$S/speech16.wav" "$P/marked.wav"
for off in 0.5 3.9 7.2; do
  ff -ss "$off" -t 3 -i "$P/marked.wav" -map_metadata -1 "$P/c$off.wav"
  q lame --quiet -b 24 "$P/c$off.wav" "$P/c$off.mp3"
  ff -i "$P/c$off.mp3" "$P/mp3-$off.wav"
done
ff -ss 2 -t 3 -i "$S/speech16.wav" "$P/unmarked.wav"
run1 "$AIMARK" wm detect --json --key "$T/k2.key" --key "$P/fixed.key" --produce-id wm-ID-1 \
  "$P"/mp3-*.wav "$P/unmarked.wav" > "$T/presence.json"
python3 - "$T/presence.json" "$want" <<'PY' && ok "wm detect --produce-id: present from 3 s after MP3 24k" || bad "presence: $(cat "$T/presence.json")"
import json, sys
rows = {r["file"].rsplit("/", 1)[1]: r for r in map(json.loads, open(sys.argv[1]).read().splitlines())}
want = sys.argv[2]
only = 0
for name, r in rows.items():
    if name == "unmarked.wav":
        assert r["found"] is False and r["present"] is False and "presence" not in r, r
        continue
    assert r["present"] is True, r
    if r["found"]:
        assert r["payload"] == want and r["key"] == "fixed", r
    else:
        p = r["presence"]
        assert p["key"] == "fixed" and p["payload"] == want and p["pfa"] <= 1e-12, r
        assert 0 <= p["window"][0] < p["window"][1] <= 3.1, r
        only += 1
assert only >= 1, "every clip decoded: the presence path was not exercised"
PY
set +e
"$AIMARK" wm detect --json --key "$P/fixed.key" --produce-id wm-ID-2 "$P"/mp3-*.wav "$P/marked.wav" \
  > "$T/pres-other.json"; rc_id=$?
"$AIMARK" wm detect --json --key "$T/k2.key" --produce-id wm-ID-1 "$P"/mp3-*.wav > "$T/pres-key.json"; rc_key=$?
"$AIMARK" wm detect --key "$P/fixed.key" --produce-id wm-ID-1 "$P/unmarked.wav" > /dev/null; rc_un=$?
set -e
python3 - "$T/pres-other.json" "$want" <<'PY' && ok "presence: another ProduceID is not present (a decode still reports its own payload)" || bad "presence other id: $(cat "$T/pres-other.json")"
import json, sys
rows = list(map(json.loads, open(sys.argv[1]).read().splitlines()))
assert len(rows) == 4, rows
for r in rows:
    assert r["present"] is False and "presence" not in r, r
    assert r["found"] == r["file"].endswith("/marked.wav"), r   # the whole 11 s decodes
    assert not r["found"] or (r["payload"] == sys.argv[2] and r["key"] == "fixed"), r
PY
expect_eq "presence: a decode of another payload still exits 1" "$rc_id" 1
expect_eq "presence: wrong key finds nothing" "$rc_key:$(grep -c '"present":true' "$T/pres-key.json" || true)" "0:0"
expect_eq "presence: unmarked clip exits 0" "$rc_un" 0
expect_contains "presence: text form" "$(run1 "$AIMARK" wm detect --key "$P/fixed.key" --payload "$want" "$P"/mp3-*.wav)" "present  "
# a long file (two analysis windows): the presence window is in file time
first=$(python3 -c 'import json,sys
for r in map(json.loads, open(sys.argv[1]).read().splitlines()):
    if not r["found"] and r["present"]: print(r["file"]); break' "$T/presence.json")
q sox -R "$P/unmarked.wav" "$T/src/speech16.wav" "$T/src/speech16.wav" "$T/src/speech16.wav" "$T/src/speech16.wav" \
  "$T/src/speech16.wav" "$T/src/speech16.wav" "$first" "$P/long.wav"
run1 "$AIMARK" wm detect --json --key "$P/fixed.key" --produce-id wm-ID-1 "$P/long.wav" > "$T/pres-long.json"
python3 - "$T/pres-long.json" <<'PY' && ok "presence in the second window of a 72 s file, in file time" || bad "presence long: $(cat "$T/pres-long.json")"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r["present"] is True and not r["found"], r
w = r["presence"]["window"]
assert 66.0 <= w[0] < w[1] <= 72.2, r
PY
# check: a label on a clip whose mark no longer decodes; its own payload is present
for off in 0.5 3.9 7.2; do
  q "$AIMARK" label --producer "$PRODUCER" --produce-id wm-ID-1 -o "$P/lab-$off.wav" "$P/mp3-$off.wav"
done
run1 "$AIMARK" check --json --no-ocr --meta-only --key "$P/fixed.key" "$P"/lab-*.wav > "$T/pres-check.json"
python3 - "$T/pres-check.json" <<'PY' && ok "check: label's own mark present on 3 s clips (matches_label)" || bad "check presence: $(cat "$T/pres-check.json")"
import json, sys
only = 0
for r in map(json.loads, open(sys.argv[1]).read().splitlines()):
    w = r["watermark"]
    assert r["class"] == "confirmed" and w["matches_label"] is True, r
    if not w["found"]:
        assert w["present"] is True and w["presence"]["pfa"] <= 1e-12, r
        only += 1
assert only >= 1, r
PY

# ---- live forms -------------------------------------------------------------------
ff -i "$T/speech16.wav" -f s16le -ac 1 -ar 16000 "$T/live.raw"
"$AIMARK" wm embed --live --rate 16000 --channels 1 --key "$T/k1.key" --payload 00000000c0ffee00 \
  < "$T/live.raw" > "$T/live-marked.raw"
expect_eq "live embed: same length" "$(stat -c %s "$T/live-marked.raw")" "$(stat -c %s "$T/live.raw")"
cat "$T/live.raw" "$T/live-marked.raw" "$T/live.raw" "$T/live.raw" \
  | run1 "$AIMARK" wm detect --live --rate 16000 --channels 1 --key "$T/k1.key" --json > "$T/live.json"
python3 - "$T/live.json" <<'PY' && ok "live detect: mark appears then is lost" || bad "live: $(cat "$T/live.json")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert ev and ev[0]["event"] == "mark" and ev[0]["payload"] == "00000000c0ffee00" and ev[0]["key"] == "k1", ev
assert 11 < ev[0]["t"] < 23, ev
assert any(e["event"] == "lost" and e["t"] > ev[0]["t"] for e in ev), ev
PY
# 4 s of marked speech between unmarked stretches: with --payload the mark
# is reported present within ~4 s of its start, before it can decode
dd if="$T/live-marked.raw" of="$T/live-4s.raw" bs=32000 skip=3 count=4 2>/dev/null
cat "$T/live.raw" "$T/live-4s.raw" "$T/live.raw" "$T/live.raw" \
  | run1 "$AIMARK" wm detect --live --rate 16000 --channels 1 --key "$T/k2.key" --key "$T/k1.key" \
      --payload 00000000c0ffee00 --json > "$T/live-p.json"
python3 - "$T/live-p.json" <<'PY' && ok "live detect --payload: present from 4 s, then lost" || bad "live presence: $(cat "$T/live-p.json")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert ev and ev[0]["event"] == "present" and ev[0]["found"] is False, ev
p = ev[0]["presence"]
assert p["key"] == "k1" and p["payload"] == "00000000c0ffee00" and p["pfa"] <= 1e-12, ev
assert 11 < ev[0]["t"] <= 16.5, ev
assert any(e["event"] == "lost" and e["t"] > ev[0]["t"] for e in ev), ev
PY
set +e
"$AIMARK" wm detect --live --rate 16000 --channels 1 --key "$T/k1.key" --payload 00000000c0ffee01 \
  < "$T/live.raw" > "$T/live-none.json"; rc=$?
set -e
expect_eq "live detect --payload on unmarked audio: nothing" "$rc:$(wc -c < "$T/live-none.json")" "0:0"
finish
