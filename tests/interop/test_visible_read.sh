#!/usr/bin/env bash
# `aimark check` notices visible labels (OCR with tesseract chi_sim): images
# labelled by `aimark label --visible` at every corner/edge on light, dark,
# busy, gradient and fractal pictures, as PNG, JPEG and WebP, and an MP4.
#  - labelled files: confirmed (metadata) and "visible" in the right region;
#  - the same files with the metadata stripped by an ffmpeg re-encode (what
#    a platform's transcoder does): no label, visible found, class suspected;
#  - the sources, and pictures with other text ("HELLO", 你好世界, 生成
#    alone) drawn the same way: visible null, class none;
#  - --no-ocr and --meta-only leave "visible" out; cut and damaged files give
#    an error, never a crash.
# Prints the detection rate, false alarms and time per image it measured.
source "$(dirname "$0")/lib.sh"
tesseract --list-langs 2>/dev/null | grep -qx chi_sim ||
  { echo "FAIL tesseract with chi_sim missing: run scripts/deps.sh"; exit 1; }
T=$AIM_TMP
ff() { ffmpeg -nostdin -loglevel error -y "$@"; }
lab() { "$AIMARK" label --visible --producer "$PRODUCER" --produce-id vr-1 "$@" >/dev/null; }
mkdir -p "$T/src" "$T/lab" "$T/strip" "$T/other"

# Backgrounds (sizes vary so the label's pixel size does too).
ff -f lavfi -i "color=c=0xF4F4F0:s=640x480" -frames:v 1 "$T/light.png"
ff -f lavfi -i "color=c=0x101418:s=640x480" -frames:v 1 "$T/dark.png"
ff -f lavfi -i "testsrc2=s=640x480" -vf "noise=alls=40:allf=t" -frames:v 1 "$T/busy.png"
ff -f lavfi -i "gradients=s=1280x720:n=5:seed=3" -frames:v 1 "$T/gradient.png"
ff -f lavfi -i "mandelbrot=s=800x600" -frames:v 1 "$T/fractal.png"
places=(br tl tr bl top bottom)
declare -A region=([br]=bottom-right [bl]=bottom-left [tr]=top-right [tl]=top-left [top]=top [bottom]=bottom)
declare -A want
i=0
for bg in light dark busy gradient fractal; do
  for ext in png jpg webp; do
    src="$T/src/$bg.$ext"
    case $ext in
      png) cp "$T/$bg.png" "$src" ;;
      jpg) ff -i "$T/$bg.png" -q:v 3 "$src" ;;
      webp) ff -i "$T/$bg.png" -c:v libwebp -quality 85 "$src" ;;
    esac
    p=${places[$((i % 6))]}
    i=$((i + 1))
    lab --corner "$p" -o "$T/lab/$bg.$ext" "$src" || bad "$bg.$ext: label --visible failed"
    # Strip the metadata: decode and re-encode the pixels only.
    case $ext in
      png) ff -i "$T/lab/$bg.$ext" -map_metadata -1 "$T/strip/$bg.$ext" ;;
      jpg) ff -i "$T/lab/$bg.$ext" -map_metadata -1 -q:v 3 "$T/strip/$bg.$ext" ;;
      webp) ff -i "$T/lab/$bg.$ext" -map_metadata -1 -c:v libwebp -quality 85 "$T/strip/$bg.$ext" ;;
    esac
    want[$bg.$ext]=${region[$p]}
  done
done
# Other text drawn the same way, metadata stripped: not a label.
for bg in light busy; do
  n=0
  for text in HELLO 你好世界 生成; do
    n=$((n + 1))
    lab --text "$text" -o "$T/other/tmp-$bg-$n.png" "$T/$bg.png"
    ff -i "$T/other/tmp-$bg-$n.png" -map_metadata -1 "$T/other/$bg-$n.png"
    rm -f "$T/other/tmp-$bg-$n.png"
  done
done
# Video: 3 s, labelled on its first 2 s.
ff -f lavfi -i "testsrc=s=320x240:r=25:d=3" -f lavfi -i "sine=f=440:d=3" \
   -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest "$T/src/clip.mp4"
lab -o "$T/lab/clip.mp4" "$T/src/clip.mp4" || bad "mp4: label --visible failed"
ff -i "$T/lab/clip.mp4" -map_metadata -1 -c copy "$T/strip/clip.mp4"

# One check per set; python3 turns the JSON lines into "name class label visible region time".
summ() {
  python3 -c '
import json, os, sys
for line in sys.stdin:
    o = json.loads(line)
    v = o.get("visible", "absent")
    print(os.path.basename(o["file"]), o.get("class", "error"), "label" if o.get("label") else "nolabel",
          "absent" if v == "absent" else "null" if v is None else "found",
          (v or {}).get("region", "-") if isinstance(v, dict) else "-",
          (v or {}).get("time_s", "-") if isinstance(v, dict) else "-", o.get("error", o.get("visible_error", "")) != "")'
}
now() { date +%s%N; }
t0=$(now); "$AIMARK" check --json -j 1 "$T/lab" > "$T/lab.json" || true; t1=$(now)
"$AIMARK" check --json "$T/strip" > "$T/strip.json" || true
"$AIMARK" check --json "$T/src" > "$T/src.json" || true; t2=$(now)
"$AIMARK" check --json "$T/other" > "$T/other.json" || true

found=0 total=0
while read -r name cls lbl vis reg ts err; do
  total=$((total + 1))
  [ "$vis" = found ] && [ "$reg" = "${want[$name]:-$reg}" ] && found=$((found + 1))
  expect_eq "labelled $name: class" "$cls" confirmed
  expect_eq "labelled $name: visible" "$vis $reg" "found ${want[$name]:-$reg}"
done < <(summ < "$T/lab.json")
while read -r name cls lbl vis reg ts err; do
  total=$((total + 1))
  [ "$vis" = found ] && [ "$reg" = "${want[$name]:-$reg}" ] && found=$((found + 1))
  expect_eq "stripped $name: no metadata label" "$lbl" nolabel
  expect_eq "stripped $name: visible" "$vis $reg" "found ${want[$name]:-$reg}"
  expect_eq "stripped $name: class" "$cls" suspected
done < <(summ < "$T/strip.json")
alarms=0 clean=0
while read -r name cls lbl vis reg ts err; do
  clean=$((clean + 1))
  [ "$vis" = found ] && alarms=$((alarms + 1))
  expect_eq "source $name: nothing" "$cls $vis" "none null"
done < <(summ < "$T/src.json")
while read -r name cls lbl vis reg ts err; do
  clean=$((clean + 1))
  [ "$vis" = found ] && alarms=$((alarms + 1))
  expect_eq "other text $name: not a label" "$cls $vis" "none null"
done < <(summ < "$T/other.json")
expect_eq "mp4: visible time in the opening 2 s" \
  "$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o["file"].endswith("clip.mp4"): print(0 <= o["visible"]["time_s"] < 2.0)' "$T/strip.json")" True
expect_contains "warning names the visible label" "$(cat "$T/strip.json")" "a visible AI-generation label was read"
nlab=$(wc -l < "$T/lab.json")
echo "# detection: $found of $total labelled files (region right), false alarms: $alarms of $clean"
echo "# time: $(( (t1 - t0) / 1000000 / nlab )) ms per labelled file (-j 1, incl. metadata);" \
     "$(( (t2 - t1) / 1000000 / (nlab * 2) )) ms per stripped/unlabelled file (-j auto)"

# The terminal table shows it; --no-ocr and --meta-only do not read.
expect_contains "table: visible column" "$("$AIMARK" check "$T/strip/busy.png")" "visible=${want[busy.png]}"
expect_contains "table: location visible" "$("$AIMARK" check "$T/strip/busy.png")" "suspected"
out=$("$AIMARK" check --json --no-ocr "$T/strip/busy.png" || true)
case "$out" in *'"visible"'*) bad "--no-ocr still reads [$out]" ;; *) ok "--no-ocr: no visible member" ;; esac
expect_contains "--no-ocr: class none" "$out" '"class":"none"'
out=$("$AIMARK" check --json --meta-only "$T/strip/clip.mp4" || true)
case "$out" in *'"visible"'*) bad "--meta-only still reads [$out]" ;; *) ok "--meta-only: no visible member" ;; esac
expect_contains "help mentions --no-ocr" "$("$AIMARK" check --help)" "--no-ocr"
# No chi_sim data: a clear message, the file still checked.
out=$(TESSDATA_PREFIX=/nonexistent "$AIMARK" check --json "$T/strip/light.png" 2>&1 || true)
expect_contains "missing tessdata: says so" "$out" "chi_sim"
expect_contains "missing tessdata: visible_error" "$out" '"visible_error"'

# Hostile input: cut and damaged pictures give errors, not crashes.
head -c 3000 "$T/lab/busy.png" > "$T/cut.png"
head -c 5000 "$T/lab/busy.jpg" > "$T/cut.jpg"
head -c 20000 "$T/lab/clip.mp4" > "$T/cut.mp4"
python3 - "$T/lab/light.png" "$T/bad-idat.png" <<'PY'
import sys, zlib
d = bytearray(open(sys.argv[1], 'rb').read())
i = d.find(b'IDAT')
for k in range(i + 20, min(i + 400, len(d) - 16)):
    d[k] ^= 0x5A
open(sys.argv[2], 'wb').write(d)
PY
for f in cut.png cut.jpg cut.mp4 bad-idat.png; do
  set +e; out=$("$AIMARK" check --json "$T/$f" 2>&1); rc=$?; set -e
  if [ $rc -ge 0 ] && [ $rc -le 3 ]; then ok "$f: exit $rc, no crash"; else bad "$f: exit $rc [$out]"; fi
  case "$out" in *'"error"'*|*'"visible_error"'*) ok "$f: error reported" ;;
                 *'"visible":{'*) bad "$f: a label read from damaged data [$out]" ;;
                 *) ok "$f: nothing read [$out]" ;; esac
done
finish
