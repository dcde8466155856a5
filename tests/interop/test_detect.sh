#!/usr/bin/env bash
# aimark detect: espeak-ng speech is flagged synthetic (most of several
# clips, not one borderline clip), JSON shape, segments, live mode, errors.
. "$(dirname "$0")/lib.sh"
PY=python3; [ -x /usr/bin/python3 ] && PY=/usr/bin/python3
cd "$AIM_TMP"

# four espeak-ng clips, different voices and sentences, native 22.05 kHz
i=0
for v in en-us+m3 en-gb+f2 de+m1 en-us+f4; do
  case $i in
    0) t="The quarterly report shows steady growth in every region we serve." ;;
    1) t="Please remember to bring your passport and two photographs tomorrow." ;;
    2) t="Der Zug nach Berlin hat heute leider zwanzig Minuten Verspaetung." ;;
    3) t="If you would like to hear these options again, please press nine." ;;
  esac
  espeak-ng -v "$v" -w "tts$i.wav" "$t"
  i=$((i + 1))
done
# one as 44.1 kHz stereo 24-bit (the resampling and decoding paths)
sox -R tts0.wav -r 44100 -c 2 -b 24 tts0-44k.wav

set +e
"$AIMARK" detect --json --segments tts0.wav tts1.wav tts2.wav tts3.wav tts0-44k.wav > out.jsonl
rc=$?
set -e
expect_eq "exit status 1 when something is synthetic" "$rc" 1
flagged=$($PY - out.jsonl <<'PYEOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert isinstance(o["file"], str)
    assert isinstance(o["score"], float), o
    assert isinstance(o["synthetic"], bool)
    assert o["model"].startswith("aimark-")
    assert o["synthetic"] == (o["score"] > o["threshold"])
    assert o["windows"] >= 1 and o["seconds"] > 1
    seg = o["segments"]
    assert len(seg) == o["windows"]
    for s in seg:
        assert 0 <= s["start"] < s["end"] <= o["seconds"] + 0.02 and isinstance(s["score"], float)
    mean = sum(s["score"] for s in seg) / len(seg)
    assert abs(mean - o["score"]) < 1e-3, (mean, o["score"])
    n += o["synthetic"]
print(n)
PYEOF
)
[ "$flagged" -ge 4 ] && ok "espeak-ng clips flagged synthetic ($flagged of 5)" || bad "only $flagged of 5 espeak-ng clips flagged"
expect_eq "one JSON line per file" "$(wc -l < out.jsonl)" 5

# the threshold option decides the verdict
set +e
"$AIMARK" detect --threshold 1e6 tts1.wav > /dev/null; rc=$?
set -e
expect_eq "threshold above every score: exit 0" "$rc" 0
out=$("$AIMARK" detect --threshold -1e6 tts1.wav || true)
expect_contains "threshold below: SYNTHETIC" "$out" "SYNTHETIC"

# compressed input through the audio layer (MP3 via lame)
lame --quiet -b 64 tts1.wav tts1.mp3
out=$("$AIMARK" detect --json tts1.mp3 || true)
expect_contains "MP3 decoded and scored" "$out" '"windows":'

# the GMM baseline model from a path
out=$("$AIMARK" detect --json --model "$AIM_SRC/models/aimark-gmm.aimdet" tts1.wav || true)
expect_contains "--model loads the GMM" "$out" '"model":"aimark-gmm'

# live: raw s16le on stdin, window lines then a summary
sox -R tts0.wav -t raw -r 16000 -c 1 -e signed -b 16 - | "$AIMARK" detect --live --rate 16000 --json > live.jsonl || true
ok_live=$($PY - live.jsonl <<'PYEOF'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
assert L[-1]["live"] is True and L[-1]["windows"] == len(L) - 1 >= 1
assert all("running" in o and isinstance(o["score"], float) for o in L[:-1])
print("yes")
PYEOF
)
expect_eq "live JSON lines" "$ok_live" yes

# silence: no speech, not synthetic
sox -R -n -r 16000 -c 1 -b 16 silence.wav trim 0 3
out=$("$AIMARK" detect --json silence.wav)
expect_contains "silence has no windows" "$out" '"windows":0'
expect_contains "silence score null" "$out" '"score":null'

# errors: missing file, not audio, corrupt model, bad usage
set +e
"$AIMARK" detect --json missing.wav > err.json; rc=$?
set -e
expect_eq "missing file: exit 3" "$rc" 3
expect_contains "missing file: error in JSON" "$(cat err.json)" '"error":'
echo "hello" > notaudio.wav
set +e
"$AIMARK" detect notaudio.wav > /dev/null 2>&1; rc=$?
expect_eq "not audio: exit 3" "$rc" 3
head -c 1000 "$AIM_SRC/models/aimark-gmm.aimdet" > bad.aimdet
"$AIMARK" detect --model bad.aimdet tts1.wav > /dev/null 2> bad.err; rc=$?
expect_eq "truncated model: exit 3" "$rc" 3
expect_contains "truncated model: says why" "$(cat bad.err)" "model"
"$AIMARK" detect --live > /dev/null 2>&1; rc=$?
expect_eq "--live without --rate: usage" "$rc" 2
"$AIMARK" detect > /dev/null 2>&1; rc=$?
expect_eq "no file: usage" "$rc" 2
set -e
finish
