#!/usr/bin/env bash
# The audible prompt through the CLI, in every audio container label
# --audible re-encodes: the output decodes (ffmpeg), is longer by exactly the
# inserted prompts (or as long, when mixed), 'aimark check' hears the rhythm
# where it was put, and the metadata label is there. The tuning options
# (--tone-hz, --unit-ms, --prompt-*) are checked against an independent
# analysis of the decoded audio (Goertzel per 10 ms), bad values against
# exit 2, and the spoken prompt against the speech energy it adds.
. "$(dirname "$0")/lib.sh"
S=$AIM_SAMPLES; T=$AIM_TMP
PAD=0.25 RHYTHM=1.1 # defaults: 250 ms of silence each side, 11 units of 100 ms

# Analysis helpers (python3 + ffmpeg; the first channel decoded to 16 kHz float).
cat > "$T/an.py" <<'PY'
import array, json, math, subprocess, sys

RATE = 16000

def pcm(path):
    # The first channel (prompts are the same in every channel; -ac 1 would
    # mix stereo down at -3 dB per channel and move peaks).
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", path, "-af", "pan=mono|c0=c0", "-ar", str(RATE),
                          "-f", "f32le", "-"], check=True, capture_output=True).stdout
    return array.array("f", raw)

def rms_db(x, t0, t1):
    s = x[int(t0 * RATE):int(t1 * RATE)]
    p = sum(v * v for v in s) / max(len(s), 1)
    return 10 * math.log10(p) if p > 0 else -200.0

def goertzel(x, i0, n, hz, win):
    w = 2 * math.pi * hz / RATE
    c, s1, s2 = 2 * math.cos(w), 0.0, 0.0
    for k in range(n):
        s0 = x[i0 + k] * win[k] + c * s1 - s2
        s2, s1 = s1, s0
    return s1 * s1 + s2 * s2 - c * s1 * s2

def tones(x, t1, hz):
    """Runs of 10 ms Hann blocks whose power at hz is within 20 dB of the
    loudest, up to t1 s: [(start_s, end_s, mean power at hz, at 1 kHz)]."""
    n = RATE // 100
    win = [0.5 - 0.5 * math.cos(2 * math.pi * (k + 0.5) / n) for k in range(n)]
    blocks = [(goertzel(x, b * n, n, hz, win), goertzel(x, b * n, n, 1000.0, win))
              for b in range(int(t1 * 100))]
    top = max(p for p, _ in blocks)
    runs, cur = [], None
    for b, (p, q) in enumerate(blocks + [(0.0, 0.0)]):
        if p > top / 100:
            cur = cur or [b, []]
            cur[1].append((p, q))
        elif cur:
            ps = cur[1]
            runs.append((cur[0] / 100, b / 100, sum(a for a, _ in ps) / len(ps), sum(c for _, c in ps) / len(ps)))
            cur = None
    return runs

def envelope(x, t0, t1, hop):
    n = int(hop * RATE)
    return [rms_db(x, t0 + k * hop, t0 + (k + 1) * hop) for k in range(int((t1 - t0) / hop))]

def corr(a, b):
    ma, mb = sum(a) / len(a), sum(b) / len(b)
    num = sum((u - ma) * (v - mb) for u, v in zip(a, b))
    den = math.sqrt(sum((u - ma) ** 2 for u in a) * sum((v - mb) ** 2 for v in b))
    return num / den if den else 0.0

cmd = sys.argv[1]
if cmd == "rms":  # FILE T0 T1 -> dBFS
    print("%.1f" % rms_db(pcm(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])))
elif cmd == "rhythm":  # FILE TONE_HZ UNIT_MS PAD_MS: the first prompt's timing and tone
    hz, u, pad = float(sys.argv[3]), float(sys.argv[4]) / 1000, float(sys.argv[5]) / 1000
    want = [(0, 1), (2, 5), (8, 9), (10, 11)]  # dot, dash, dot, dot in units
    got = tones(pcm(sys.argv[2]), pad + 11 * u + pad / 2, hz)
    assert len(got) == 4, got
    for (a, b), (s, e, p, q) in zip(want, got):
        assert abs(s - (pad + a * u)) <= 0.02 and abs(e - (pad + b * u)) <= 0.02, (got, pad, u)
        if hz != 1000:
            assert p > 100 * q, ("1 kHz within 20 dB of the tone", got)
    print("tones at %s" % " ".join("%.2f-%.2f" % (s, e) for s, e, _, _ in got))
elif cmd == "peak":  # FILE T0 T1 -> dBFS
    x = pcm(sys.argv[2])
    p = max(abs(v) for v in x[int(float(sys.argv[3]) * RATE):int(float(sys.argv[4]) * RATE)])
    print("%.1f" % (20 * math.log10(p) if p > 0 else -200.0))
elif cmd == "envcorr":  # A A0 B B0 LEN: best correlation of the 20 ms RMS envelopes, lag +-100 ms
    a, b = pcm(sys.argv[2]), pcm(sys.argv[4])
    a0, b0, n = float(sys.argv[3]), float(sys.argv[5]), float(sys.argv[6])
    ea = envelope(a, a0, a0 + n, 0.02)
    best = max(corr(ea, envelope(b, b0 + lag / 100, b0 + lag / 100 + n, 0.02)) for lag in range(-10, 11)
               if b0 + lag / 100 >= 0)
    print("%.3f" % best)
PY
an() { /usr/bin/python3 "$T/an.py" "$@"; }
dur() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"; }
codec() { ffprobe -v error -select_streams a:0 -show_entries stream=codec_name -of csv=p=0 "$1"; }
decodes() { [ -z "$(ffmpeg -nostdin -v error -i "$1" -f null - 2>&1)" ]; }
# close A B TOL
close() { /usr/bin/python3 -c 'import sys; a, b, t = map(float, sys.argv[1:]); sys.exit(abs(a - b) > t)' "$1" "$2" "$3"; }
# The top-level RIFF chunk AIGC of a WAV file (an independent reader).
riff_aigc() {
  /usr/bin/python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
assert d[:4] == b"RIFF" and d[8:12] == b"WAVE"
o = 12
while o + 8 <= len(d):
    cid, n = d[o:o + 4], struct.unpack("<I", d[o + 4:o + 8])[0]
    if cid == b"AIGC":
        print(d[o + 8:o + 8 + n].rstrip(b"\0").decode())
    o += 8 + n + (n & 1)
PY
}
# ffprobe's view of the AIGC tag (format or stream tags, per container).
probe_aigc() {
  ffprobe -v error -show_entries format_tags=AIGC:stream_tags=AIGC -of default=nw=1:nk=1 "$1" | head -1
}

# ---- the rhythm prompt at start and end, into each container --------------------
# input, codec, label location
set -- music.wav:pcm_s16le:riff:AIGC music.flac:flac:flac:vorbis-comment:AIGC \
  music.mp3:mp3:id3v2.4:TXXX:AIGC music.ogg:vorbis:ogg:vorbis-comment:AIGC \
  speech.opus:opus:ogg:opus-tags:AIGC
mkdir -p "$T/out"
for spec in "$@"; do
  f=${spec%%:*}; rest=${spec#*:}; want_codec=${rest%%:*}; loc=${rest#*:}
  in=$S/$f; out=$T/out/$f
  "$AIMARK" label --audible rhythm --audible-at start,end --producer X --produce-id "Y-$f" -o "$T/out/" "$in" >/dev/null
  decodes "$out" && ok "$f: output decodes" || bad "$f: ffmpeg reports errors decoding the output"
  expect_eq "$f: same codec" "$(codec "$out")" "$want_codec"
  din=$(dur "$in"); dout=$(dur "$out")
  # two prompts, each 1.1 s of tones with 250 ms of silence either side
  close "$dout" "$(echo "$din + 2 * ($RHYTHM + 2 * $PAD)" | bc -l)" 0.05 &&
    ok "$f: longer by two prompts ($din -> $dout s)" || bad "$f: length $din -> $dout s, want +3.2 s"
  set +e; j=$("$AIMARK" check --no-detect --json "$out"); rc=$?; set -e
  expect_eq "$f: check exit 1 (labelled)" "$rc" 1
  /usr/bin/python3 - "$j" "$dout" "$PAD" "$RHYTHM" <<'PY' && ok "$f: check hears the prompt at start and end" || bad "$f: audible hits: $j"
import json, sys
j, d, pad, r = json.loads(sys.argv[1]), *map(float, sys.argv[2:])
h = j["audible"]
assert len(h) == 2, h
assert abs(h[0][0] - pad) < 0.1 and abs(h[0][1] - h[0][0] - r) < 0.05, h
assert abs(h[1][1] - (d - pad)) < 0.1 and abs(h[1][1] - h[1][0] - r) < 0.05, h
PY
  expect_contains "$f: class confirmed" "$j" '"class":"confirmed"'
  expect_contains "$f: location $loc" "$j" "\"location\":\"$loc\""
  expect_contains "$f: the label written" "$j" "\"label\":$(bare_label X "Y-$f")"
  case $f in
    *.wav) tag=$(riff_aigc "$out") ;;
    *) tag=$(probe_aigc "$out") ;;
  esac
  expect_eq "$f: label read independently" "$tag" "$(bare_label X "Y-$f")"
done

# ---- mix mode: as long as the input, prompts heard over the content -------------
"$AIMARK" label --audible rhythm --audible-mode mix --mix-duck-db -20 --audible-at start,end \
  --producer X --produce-id mix -o "$T/mix.flac" "$S/music.flac" >/dev/null
expect_eq "mix: same length in frames" "$(soxi -s "$T/mix.flac")" "$(soxi -s "$S/music.flac")"
set +e; j=$("$AIMARK" check --no-detect --json "$T/mix.flac"); set -e
/usr/bin/python3 - "$j" "$(dur "$T/mix.flac")" <<'PY' && ok "mix: heard at 0 and at the end" || bad "mix: audible hits: $j"
import json, sys
h, d = json.loads(sys.argv[1])["audible"], float(sys.argv[2])
assert len(h) == 2 and h[0][0] < 0.05 and abs(h[1][1] - d) < 0.05, h
PY

# ---- tuning options ---------------------------------------------------------
# Level and pad with the default tone and unit: check still hears it, 400 ms in,
# and the tones are 14 dB quieter than at the default level (silent content:
# both are set from the fallback loudness, no peak cap reached).
sox -R -n -r 44100 -c 1 -b 16 "$T/silence.wav" trim 0 3
"$AIMARK" label --audible rhythm --producer X --produce-id t0 -o "$T/lvl0.wav" "$T/silence.wav" >/dev/null
"$AIMARK" label --audible rhythm --prompt-level-db -20 --prompt-pad-ms 400 --producer X --produce-id t1 \
  -o "$T/lvl1.wav" "$T/silence.wav" >/dev/null
close "$(dur "$T/lvl1.wav")" "$(echo "3 + $RHYTHM + 0.8" | bc -l)" 0.002 && ok "--prompt-pad-ms 400: length" ||
  bad "--prompt-pad-ms 400: length $(dur "$T/lvl1.wav")"
set +e; j=$("$AIMARK" check --no-detect --json "$T/lvl1.wav"); set -e
/usr/bin/python3 -c 'import json,sys; h=json.loads(sys.argv[1])["audible"]; sys.exit(not (len(h)==1 and abs(h[0][0]-0.4)<0.03))' "$j" &&
  ok "--prompt-level-db -20 --prompt-pad-ms 400: heard at 0.4 s" || bad "quiet prompt not heard at 0.4 s: $j"
l0=$(an rms "$T/lvl0.wav" 0.25 1.35); l1=$(an rms "$T/lvl1.wav" 0.4 1.5)
close "$(echo "$l0 - $l1" | bc -l)" 14 0.5 && ok "--prompt-level-db -20 is 14 dB under the default -6 ($l0 / $l1 dBFS)" ||
  bad "level: default $l0, -20 gives $l1 dBFS"
"$AIMARK" label --audible rhythm --prompt-fallback-dbfs -33 --producer X --produce-id t2 -o "$T/lvl2.wav" "$T/silence.wav" >/dev/null
l2=$(an rms "$T/lvl2.wav" 0.25 1.35)
close "$(echo "$l0 - $l2" | bc -l)" 10 0.5 && ok "--prompt-fallback-dbfs -33: 10 dB under the default -23 over silence ($l2 dBFS)" ||
  bad "fallback: default $l0, -33 gives $l2 dBFS"
an rhythm "$T/lvl1.wav" 1000 100 400 >/dev/null && ok "default rhythm timing, independently" || bad "default rhythm timing"

# Another tone and unit: the prompt has them (Goertzel on the decoded output,
# WAV and Opus), and is 11 units long. 'aimark check' listens for the default
# 1 kHz / 100 ms prompt only (its detector runs without search_tones and with
# the default timing), so it reports nothing here: asserted, as documented.
for f in music.wav speech.opus; do
  "$AIMARK" label --audible rhythm --tone-hz 1500 --unit-ms 80 --audible-at start,end --producer X \
    --produce-id tune -o "$T/tune-$f" "$S/$f" >/dev/null
  close "$(dur "$T/tune-$f")" "$(echo "$(dur "$S/$f") + 2 * (0.88 + 2 * $PAD)" | bc -l)" 0.05 &&
    ok "tune $f: longer by two 880 ms prompts" || bad "tune $f: length $(dur "$T/tune-$f")"
  r=$(an rhythm "$T/tune-$f" 1500 80 250) && ok "tune $f: 1500 Hz, 80 ms units ($r)" ||
    bad "tune $f: tone/timing not found"
  set +e; j=$("$AIMARK" check --no-detect --json "$T/tune-$f"); set -e
  expect_contains "tune $f: check (default detector) hears no prompt" "$j" '"audible":[]'
  expect_contains "tune $f: still labelled" "$j" '"class":"confirmed"'
done

# Bad values and misplaced options: exit 2 naming the option, nothing written.
bad_run() { # WHAT ARGS...
  local what=$1; shift
  set +e; err=$("$AIMARK" label "$@" --producer X --produce-id b -o "$T/bad/" "$S/music.wav" 2>&1 >/dev/null); rc=$?; set -e
  expect_eq "$what: exit 2" "$rc" 2
  opt=$(printf '%s\n' "$@" | grep -E '^--(tone|unit|prompt|mix)' | tail -1 | cut -d= -f1)
  expect_contains "$what: message names $opt" "$err" "$opt"
}
bad_run "--tone-hz 50" --audible rhythm --tone-hz 50
bad_run "--tone-hz 4000" --audible rhythm --tone-hz=4000
bad_run "--tone-hz 1k" --audible rhythm --tone-hz 1k
bad_run "--unit-ms 20" --audible rhythm --unit-ms 20
bad_run "--tone-ramp-ms over unit/4" --audible rhythm --unit-ms 60 --tone-ramp-ms 20
bad_run "--prompt-level-db 20" --audible rhythm --prompt-level-db 20
bad_run "--prompt-level-db nan" --audible voice --prompt-level-db nan
bad_run "--prompt-pad-ms 0" --audible rhythm --prompt-pad-ms 0
bad_run "--mix-duck-db 3" --audible rhythm --audible-mode mix --mix-duck-db 3
bad_run "--tone-hz with voice" --audible voice --tone-hz 800
bad_run "--tone-hz without --audible" --tone-hz 800
bad_run "--prompt-pad-ms with mix" --audible rhythm --audible-mode mix --prompt-pad-ms 100
bad_run "--mix-duck-db with insert" --audible rhythm --mix-duck-db -20
[ ! -e "$T/bad" ] && ok "bad values: nothing written" || bad "bad values: $T/bad was created"

# ---- the spoken prompt into MP3 ------------------------------------------------
# The input starts with 1.5 s of digital silence; after labelling, those
# seconds carry speech energy whose 20 ms envelope follows the built-in prompt
# (as rendered into a lossless WAV). --prompt-level-db moves its level (set
# from the music in the 3 s lookahead), --prompt-peak-dbfs caps its peak.
sox -R "$S/music.wav" "$T/late.wav" pad 1.5 0
lame --quiet -b 128 "$T/late.wav" "$T/late.mp3"
vo() { "$AIMARK" label --audible voice "${@:2}" --producer X --produce-id v -o "$T/$1" "$T/late.mp3" >/dev/null; }
vo voice.mp3; vo voice-10.mp3 --prompt-level-db -10; vo voice-20.mp3 --prompt-level-db -20
vo voice-pk.mp3 --prompt-peak-dbfs -12
"$AIMARK" label --audible voice --producer X --produce-id vr -o "$T/voice-ref.wav" "$T/silence.wav" >/dev/null
vlen=$(echo "$(dur "$T/voice-ref.wav") - 3 - 2 * $PAD" | bc -l) # the prompt itself
vend=$(echo "$PAD + $vlen" | bc -l)
close "$vlen" 4.2 0.3 && ok "built-in prompt is ~4.2 s ($vlen)" || bad "built-in prompt length $vlen"
decodes "$T/voice.mp3" && ok "voice mp3 decodes" || bad "voice mp3: decode errors"
close "$(dur "$T/voice.mp3")" "$(echo "$(dur "$T/late.mp3") + $vlen + 2 * $PAD" | bc -l)" 0.05 &&
  ok "voice mp3: longer by the prompt and its pads" || bad "voice mp3: length $(dur "$T/voice.mp3")"
q=$(an rms "$T/late.mp3" 0 1.4); v=$(an rms "$T/voice.mp3" $PAD 1.5)
/usr/bin/python3 -c 'import sys; sys.exit(not (float(sys.argv[1]) < -80 and float(sys.argv[2]) > -35))' "$q" "$v" &&
  ok "voice mp3: silent input start ($q dBFS) now carries speech ($v dBFS)" || bad "voice mp3: input $q, output $v dBFS"
c=$(an envcorr "$T/voice-ref.wav" $PAD "$T/voice.mp3" $PAD "$vlen")
/usr/bin/python3 -c 'import sys; sys.exit(float(sys.argv[1]) < 0.9)' "$c" &&
  ok "voice mp3: envelope follows the built-in prompt (r=$c)" || bad "voice mp3: envelope correlation $c"
v10=$(an rms "$T/voice-10.mp3" $PAD "$vend"); v20=$(an rms "$T/voice-20.mp3" $PAD "$vend")
close "$(echo "$v10 - $v20" | bc -l)" 10 0.5 && ok "voice --prompt-level-db -10 / -20: 10 dB apart ($v10 / $v20)" ||
  bad "voice level: -10 gives $v10, -20 gives $v20 dBFS"
p0=$(an peak "$T/voice.mp3" $PAD "$vend"); p12=$(an peak "$T/voice-pk.mp3" $PAD "$vend")
/usr/bin/python3 -c 'import sys; a, b = map(float, sys.argv[1:]); sys.exit(not (a <= 0 and -13 <= b <= -11))' "$p0" "$p12" &&
  ok "voice peak capped: default $p0, --prompt-peak-dbfs -12 gives $p12 dBFS" || bad "voice peak: default $p0, -12 cap gives $p12"
set +e; j=$("$AIMARK" check --no-detect --json "$T/voice.mp3"); set -e
expect_contains "voice mp3: labelled" "$j" '"location":"id3v2.4:TXXX:AIGC"'
expect_contains "voice mp3: no rhythm heard (spoken prompts are not detected)" "$j" '"audible":[]'

# The user's own prompt file (--audible-voice): the espeak sentence, 6 s.
"$AIMARK" label --audible voice --audible-voice "$S/speech.wav" --producer X --produce-id vu \
  -o "$T/own.ogg" "$S/music.ogg" >/dev/null
close "$(dur "$T/own.ogg")" "$(echo "$(dur "$S/music.ogg") + $(dur "$S/speech.wav") + 2 * $PAD" | bc -l)" 0.05 &&
  ok "--audible-voice: longer by the user's prompt" || bad "--audible-voice: length $(dur "$T/own.ogg")"
c=$(an envcorr "$S/speech.wav" 0 "$T/own.ogg" $PAD "$(dur "$S/speech.wav")")
/usr/bin/python3 -c 'import sys; sys.exit(float(sys.argv[1]) < 0.9)' "$c" &&
  ok "--audible-voice: envelope follows the user's file (r=$c)" || bad "--audible-voice: envelope correlation $c"
finish
