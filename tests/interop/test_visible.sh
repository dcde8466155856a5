#!/usr/bin/env bash
# Visible labels read back by an independent OCR engine (tesseract with
# Simplified Chinese data, from Debian): "AI生成" drawn by aimark on light,
# dark and busy backgrounds in PNG, JPEG and WebP, and on the opening 2 s of
# an MP4 (not after). Also: the implicit label is there (aimark check),
# EXIF written by ExifTool survives, the video keeps its streams and its
# audio packets byte for byte.
# The labeller is the unit-test binary's helper mode (test_visible --label).
source "$(dirname "$0")/lib.sh"
VIS="$AIM_BUILD/tests/test_visible"
[ -x "$VIS" ] || { echo "FAIL $VIS missing"; exit 1; }
tesseract --list-langs 2>/dev/null | grep -qx chi_sim ||
  { echo "FAIL tesseract with chi_sim missing: run scripts/deps.sh"; exit 1; }
need_exiftool
T=$AIM_TMP
ff() { ffmpeg -nostdin -loglevel error -y "$@"; }

# OCR of the label's box (where a reader, or a platform, looks for it).
# Sans-serif "I" and "l" are the same glyph, so l/1/| count as I.
ocr_box() { # IMAGE X Y W H
  ff -i "$1" -vf "crop=$4:$5:$2:$3" -frames:v 1 "$T/crop.png"
  tesseract "$T/crop.png" - -l chi_sim --psm 7 2>/dev/null | tr -d ' \n' | sed 's/[l1|]/I/g'
}

W=640 H=480
read -r BX BY BW BH TPX < <("$VIS" --measure $W $H)
expect_eq "text height >= 5% of the shortest side" "$((TPX * 100 >= 5 * H))" 1

# Backgrounds: light, dark, busy (noise over colour bars), checkerboard,
# smooth colour gradients (photo-like).
ff -f lavfi -i "color=c=0xF4F4F0:s=${W}x$H" -frames:v 1 "$T/light.png"
ff -f lavfi -i "color=c=0x101418:s=${W}x$H" -frames:v 1 "$T/dark.png"
ff -f lavfi -i "testsrc2=s=${W}x$H" -vf "noise=alls=80:allf=t" -frames:v 1 "$T/busy.png"
ff -f lavfi -i "color=c=gray:s=${W}x$H" \
   -vf "format=gray,geq=lum='if(mod(floor(X/12)+floor(Y/12)\,2)\,235\,20)'" -frames:v 1 "$T/checker.png"
ff -f lavfi -i "gradients=s=${W}x$H:n=5:seed=3" -frames:v 1 "$T/gradient.png"

for bg in light dark busy checker gradient; do
  ff -i "$T/$bg.png" -q:v 3 "$T/$bg.jpg"
  ff -i "$T/$bg.png" -c:v libwebp -quality 85 "$T/$bg.webp"
  for ext in png jpg webp; do
    src="$T/$bg.$ext" out="$T/$bg-out.$ext"
    if ! "$VIS" --label "$src" "$out"; then bad "$bg.$ext: label failed"; continue; fi
    expect_contains "$bg.$ext: OCR reads the label" "$(ocr_box "$out" $BX $BY $BW $BH)" "AI生成"
    got=$(ocr_box "$src" $BX $BY $BW $BH)
    case "$got" in *生成*) bad "$bg.$ext: OCR sees a label in the unlabelled source [$got]" ;;
                   *) ok "$bg.$ext: no label in the source" ;; esac
    expect_contains "$bg.$ext: implicit label" "$("$AIMARK" check "$out" 2>&1)" "confirmed"
    expect_eq "$bg.$ext: size kept" "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 "$out")" "$W,$H"
  done
done

# Other corners and the outline style are read too.
for place in tl tr bl top bottom; do
  "$VIS" --label "$T/busy.png" "$T/busy-$place.png" --place $place
done
read -r _ _ TW TH _ < <("$VIS" --measure $W $H)
M=$(( (H * 2 + 50) / 100 ))
expect_contains "tl corner" "$(ocr_box "$T/busy-tl.png" $M $M $TW $TH)" "AI生成"
expect_contains "bottom edge" "$(ocr_box "$T/busy-bottom.png" $(( (W - TW) / 2 )) $((H - M - TH)) $TW $TH)" "AI生成"
read -r OX OY OW OH _ < <("$VIS" --measure $W $H outline)
for bg in light dark; do
  "$VIS" --label "$T/$bg.png" "$T/$bg-outline.png" --style outline
  expect_contains "outline style on $bg" "$(ocr_box "$T/$bg-outline.png" $OX $OY $OW $OH)" "AI生成"
done

# Metadata written by ExifTool survives the re-encode.
cp "$T/busy.jpg" "$T/exif.jpg"
exiftool13 -q -overwrite_original -Artist=aimark-tester -XMP-dc:Title=keep "$T/exif.jpg"
"$VIS" --label "$T/exif.jpg" "$T/exif-out.jpg"
expect_eq "jpeg: EXIF Artist kept" "$(exiftool13 -s3 -Artist "$T/exif-out.jpg")" "aimark-tester"
expect_eq "jpeg: XMP title kept" "$(exiftool13 -s3 -XMP-dc:Title "$T/exif-out.jpg")" "keep"
cp "$T/busy.png" "$T/exif.png"
exiftool13 -q -overwrite_original -Artist=aimark-tester "$T/exif.png"
"$VIS" --label "$T/exif.png" "$T/exif-out.png"
expect_eq "png: EXIF Artist kept" "$(exiftool13 -s3 -Artist "$T/exif-out.png")" "aimark-tester"
cp "$T/busy.webp" "$T/exif.webp"
exiftool13 -q -overwrite_original -Artist=aimark-tester "$T/exif.webp"
"$VIS" --label "$T/exif.webp" "$T/exif-out.webp"
expect_eq "webp: EXIF Artist kept" "$(exiftool13 -s3 -Artist "$T/exif-out.webp")" "aimark-tester"

# Video: 3 s testsrc + sine; the label is on the first 2 s only.
ff -f lavfi -i "testsrc=s=320x240:r=25:d=3" -f lavfi -i "sine=f=440:d=3" \
   -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest "$T/clip.mp4"
"$VIS" --label "$T/clip.mp4" "$T/clip-out.mp4" || bad "mp4: label failed"
probe() { ffprobe -v error -show_entries stream=codec_type,codec_name,width,height,r_frame_rate,nb_frames -of csv=p=0 "$1"; }
expect_eq "mp4: streams kept" "$(probe "$T/clip-out.mp4")" "$(probe "$T/clip.mp4")"
expect_eq "mp4: duration kept" "$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/clip-out.mp4")" \
  "$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$T/clip.mp4")"
amd5() { ffmpeg -nostdin -loglevel error -i "$1" -map 0:a -c copy -f md5 -; }
expect_eq "mp4: audio packets copied" "$(amd5 "$T/clip-out.mp4")" "$(amd5 "$T/clip.mp4")"
expect_contains "mp4: implicit label" "$("$AIMARK" check "$T/clip-out.mp4" 2>&1)" "confirmed"
read -r VX VY VW VH _ < <("$VIS" --measure 320 240)
frame() { ff -ss "$2" -i "$1" -frames:v 1 "$T/frame.png"; ocr_box "$T/frame.png" $VX $VY $VW $VH; }
expect_contains "mp4: label at 0.1 s" "$(frame "$T/clip-out.mp4" 0.1)" "AI生成"
expect_contains "mp4: label at 1.0 s" "$(frame "$T/clip-out.mp4" 1.0)" "AI生成"
expect_contains "mp4: label at 1.9 s" "$(frame "$T/clip-out.mp4" 1.9)" "AI生成"
got=$(frame "$T/clip-out.mp4" 2.5)
case "$got" in *生成*) bad "mp4: label still there at 2.5 s [$got]" ;; *) ok "mp4: no label at 2.5 s" ;; esac
"$VIS" --label "$T/clip.mp4" "$T/clip-tail.mp4" --tail 0.6
expect_contains "mp4: --tail label at 2.7 s" "$(frame "$T/clip-tail.mp4" 2.7)" "AI生成"
got=$(frame "$T/clip-tail.mp4" 2.2)
case "$got" in *生成*) bad "mp4: tail label too early [$got]" ;; *) ok "mp4: no label at 2.2 s with --tail" ;; esac

# Bad input: a cut file is refused and the original stays as it was.
head -c 3000 "$T/busy.png" > "$T/cut.png"
sum=$(md5sum < "$T/cut.png")
if "$VIS" --label "$T/cut.png" "$T/cut.png" 2>/dev/null; then bad "cut png accepted"; else ok "cut png refused"; fi
expect_eq "cut png untouched" "$(md5sum < "$T/cut.png")" "$sum"
head -c 20000 "$T/clip.mp4" > "$T/cut.mp4"
if "$VIS" --label "$T/cut.mp4" "$T/cut-out.mp4" 2>/dev/null; then bad "cut mp4 accepted"; else ok "cut mp4 refused"; fi
ffmpeg -nostdin -loglevel error -y -i "$T/clip.mp4" -c copy -movflags +faststart "$T/fast.mp4"
head -c 30000 "$T/fast.mp4" > "$T/cut-fast.mp4" # index first, media cut
if "$VIS" --label "$T/cut-fast.mp4" "$T/cut-out.mp4" 2>/dev/null; then bad "cut faststart mp4 accepted"; else ok "cut faststart mp4 refused"; fi
expect_eq "no output or temp file left" "$(ls -A "$T" | grep -c -e cut-out -e '\.aimark-')" 0
finish
