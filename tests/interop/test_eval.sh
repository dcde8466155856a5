#!/usr/bin/env bash
# aimark eval: hand-checked numbers on a tiny protocol, a differential check
# against an independent re-implementation of the ASVspoof 5 evaluation
# package (eval_ref.py) on 2000 random trials, parser errors with line
# numbers, and a well-formed DET SVG.
. "$AIM_SRC/tests/interop/lib.sh"
T=$AIM_TMP
py=$(command -v python3)

# --- tiny set: bona 0.9 0.8 0.4, spoof 0.5 (A01) 0.3 0.1 (A02) ---------------
cat > "$T/p.txt" <<'P'
S1 B1 - - bonafide
S1 B2 - - bonafide
S2 B3 - - bonafide
S3 X1 - A01 spoof
S3 X2 - A02 spoof
S3 X3 - A02 spoof
P
printf 'B1 0.9\nB2 0.8\nB3 0.4\nX1 0.5\nX2 0.3\nX3 0.1\n' > "$T/s.txt"
out=$("$AIMARK" eval --protocol "$T/p.txt" --scores "$T/s.txt" --json --det "$T/det.svg")
get() { "$py" -c 'import json,sys; d=json.loads(sys.argv[1]); 
for k in sys.argv[2].split("."): d=d[k]
print(d)' "$out" "$1"; }
expect_eq "EER of the known set (1/3)" "$(get eer)" "33.3333"
expect_eq "minDCF of the known set (1/3)" "$(get min_dcf)" "0.333333"
expect_eq "actDCF (all accepted at -ln 1.9)" "$(get act_dcf)" "1"
expect_eq "counts" "$(get n_bonafide)/$(get n_spoof)/$(get missing)" "3/3/0"
expect_eq "per-attack A01: bona fide vs 0.5 -> EER (1/3 + 0)/2" "$(get per_attack.A01.eer)" "16.6667"
expect_eq "per-attack A02: perfectly separated" "$(get per_attack.A02.eer)" "0"
expect_eq "per-attack A02 count" "$(get per_attack.A02.n_spoof)" "2"
if "$py" -c 'import sys, xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); assert r.tag.endswith("svg"); assert len(r.findall(".//{http://www.w3.org/2000/svg}polyline")) == 3' "$T/det.svg"; then
  ok "DET SVG parses as XML, pooled + 2 attack curves"
else bad "DET SVG"; fi

# polarity: the same scores negated, read with --higher-is-spoof
awk '{print $1, -$2}' "$T/s.txt" > "$T/neg.txt"
out=$("$AIMARK" eval --protocol "$T/p.txt" --scores "$T/neg.txt" --higher-is-spoof --json)
expect_eq "--higher-is-spoof negates" "$(get eer)" "33.3333"

# missing scores are counted and left out
head -n 5 "$T/s.txt" > "$T/s5.txt"
out=$("$AIMARK" eval --protocol "$T/p.txt" --scores "$T/s5.txt" --json 2>"$T/err")
expect_eq "missing counted" "$(get missing)/$(get n_spoof)" "1/2"
expect_contains "missing warned" "$(cat "$T/err")" "1 of 6 trials have no score"

# text mode
txt=$("$AIMARK" eval --protocol "$T/p.txt" --scores "$T/s.txt")
expect_contains "text table: EER line" "$txt" "EER         33.33 %"
expect_contains "text table: A02 row" "$txt" "A02"

# --- differential: 2000 random trials vs the Python reference ----------------
"$py" - "$T" <<'PY'
import random, sys
r = random.Random(7)
d = sys.argv[1]
with open(d + "/rp.txt", "w") as p, open(d + "/rs.txt", "w") as s:
    for i in range(2000):
        spoof = i % 3 == 0
        att = "A%02d" % (i % 4) if spoof else "-"
        p.write("SPK%d F%05d - %s %s\n" % (i % 17, i, att, "spoof" if spoof else "bonafide"))
        s.write("F%05d %.9f\n" % (i, r.gauss(-1.0 if spoof else 1.5, 1.7)))
PY
ref=$("$py" "$AIM_SRC/tests/interop/eval_ref.py" "$T/rp.txt" "$T/rs.txt")
out=$("$AIMARK" eval --protocol "$T/rp.txt" --scores "$T/rs.txt" --json)
mine=$("$py" -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.4f %.5f %.5f %.5f" % (d["eer"], d["min_dcf"], d["act_dcf"], d["cllr"]))' "$out")
expect_eq "EER/minDCF/actDCF/Cllr match the ASVspoof reference" "$mine" "$ref"

# --- --audio: the detector on a tiny espeak-ng/sox set ------------------------
# Labels here are arbitrary (all clips are synthetic); what is checked is the
# plumbing: every file found and scored, the saved scores are exactly the
# negated 'aimark detect' scores, and --scores on them reproduces the result.
A=$T/audio
mkdir -p "$A"
i=0
for v in en-us+m1 en+f2 de fr+m3 es; do
  i=$((i + 1))
  espeak-ng -v "$v" -w "$A/raw$i.wav" "the quick brown fox jumps over the lazy dog number $i"
done
sox -R "$A/raw1.wav" -r 16000 "$A/C1.wav"
sox -R "$A/raw2.wav" -r 44100 "$A/C2.flac"
sox -R "$A/raw3.wav" -r 8000 "$A/C3.wav"
sox -R "$A/raw4.wav" -r 16000 "$A/C4.wav"
sox -R "$A/raw5.wav" -r 22050 "$A/C5.ogg"
rm -f "$A"/raw*.wav
printf 'S1 C1 - - bonafide\nS1 C2 - - bonafide\nS2 C3 - A01 spoof\nS2 C4 - A02 spoof\nS2 C5 - A02 spoof\nS2 C6 - A02 spoof\n' > "$T/ap.txt"
out=$("$AIMARK" eval --protocol "$T/ap.txt" --audio "$A" --json --save-scores "$T/saved.txt" -j 2 2>"$T/err")
expect_eq "audio: 5 scored, C6 missing" "$(get n_bonafide)/$(get n_spoof)/$(get missing)" "2/3/1"
expect_contains "audio: missing file reported" "$(cat "$T/err")" "left out 1 trials without an audio file"
expect_eq "audio: saved scores" "$(wc -l < "$T/saved.txt")" 5
ok_all=1
for f in C1.wav C2.flac C3.wav C4.wav C5.ogg; do
  j=$("$AIMARK" detect --json "$A/$f" || true) # exit 1 = synthetic found
  # Both print the same double at different precisions (detect's JSON rounds
  # to fewer digits), so compare within the coarser one's rounding step.
  det=$("$py" -c 'import json,sys; print(repr(-json.loads(sys.argv[1])["score"]))' "$j")
  sav=$(awk -v id="${f%.*}" '$1 == id {print $2}' "$T/saved.txt")
  "$py" -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); sys.exit(0 if abs(a - b) <= 1e-3 else 1)' "$det" "${sav:-nan}" \
    || { ok_all=0; echo "  $f: detect $det, eval $sav"; }
done
[ $ok_all = 1 ] && ok "audio: eval scores = negated detect scores" || bad "audio: eval vs detect scores"
out2=$("$AIMARK" eval --protocol "$T/ap.txt" --scores "$T/saved.txt" --json 2>/dev/null)
expect_eq "audio: --scores on the saved scores gives the same EER" \
  "$("$py" -c 'import json,sys; print(json.loads(sys.argv[1])["eer"])' "$out2")" "$(get eer)"
set +e
"$AIMARK" eval --protocol "$T/ap.txt" --audio "$A" --scores "$T/saved.txt" 2>/dev/null; rc=$?
expect_eq "--audio with --scores is a usage error" "$rc" 2
set -e

# --- errors: line numbers, clear messages, exit 3 / 2 ------------------------
printf 'S1 B1 - - bonafide\nS1 B2 - - maybe\n' > "$T/bad.txt"
set +e
"$AIMARK" eval --protocol "$T/bad.txt" --scores "$T/s.txt" 2>"$T/err"; rc=$?
expect_eq "bad protocol exit" "$rc" 3
expect_contains "bad protocol names the line" "$(cat "$T/err")" "protocol line 2"
printf 'B1 0.9\nB2 zero\n' > "$T/bads.txt"
"$AIMARK" eval --protocol "$T/p.txt" --scores "$T/bads.txt" 2>"$T/err"; rc=$?
expect_eq "bad scores exit" "$rc" 3
expect_contains "bad scores names the line" "$(cat "$T/err")" "scores line 2"
printf 'S1 B1 - - bonafide\n' > "$T/onlybona.txt"
"$AIMARK" eval --protocol "$T/onlybona.txt" --scores "$T/s.txt" 2>"$T/err"; rc=$?
expect_eq "no spoof trials exit" "$rc" 3
expect_contains "no spoof trials message" "$(cat "$T/err")" "no spoof trials"
"$AIMARK" eval --scores "$T/s.txt" 2>/dev/null; rc=$?
expect_eq "missing --protocol is a usage error" "$rc" 2
echo keep > "$T/keep.svg"
"$AIMARK" eval --protocol "$T/onlybona.txt" --scores "$T/s.txt" --det "$T/keep.svg" 2>/dev/null
expect_eq "failed run leaves an existing SVG untouched" "$(cat "$T/keep.svg")" "keep"
set -e
finish
