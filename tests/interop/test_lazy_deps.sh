#!/usr/bin/env bash
# FFmpeg's container/codec libraries and tesseract are opened at first use
# (src/deps): not linked, not mapped by a run on WAV/FLAC/PNG, mapped by the
# runs that need them, and the results are the same either way.
. "$(dirname "$0")/lib.sh"
: "${AIM_BUILD:?}"
S=$AIM_SAMPLES
T=$AIM_TMP
lib=$(find "$AIM_BUILD" -maxdepth 1 -name 'libaimark.so.*.*' | head -1)
needed=$(readelf -d "$lib" "$AIMARK" | awk '/NEEDED/ {print $5}' | tr -d '[]' | sort -u | tr '\n' ' ')
case "$needed" in
  *libavformat*|*libavcodec*|*libswscale*|*libswresample*|*libtesseract*|*liblept*)
    bad "heavy libraries are linked: $needed" ;;
  *) ok "not linked: libavformat/libavcodec/libswscale/libswresample/libtesseract" ;;
esac
# What the dynamic loader opened during one run (glibc's LD_DEBUG=files).
opened() { LD_DEBUG=files "$@" 2>&1 >/dev/null | grep -oE 'file=[^ ]+' | sort -u | tr '\n' ' ' || true; }
o=$(opened "$AIMARK" meta read "$S/music.wav")
case "$o" in *libavformat*|*libtesseract*) bad "meta read WAV loaded: $o" ;; *) ok "meta read WAV: nothing heavy loaded" ;; esac
o=$(opened "$AIMARK" check --json "$S/music.flac")
case "$o" in *libavformat*|*libtesseract*) bad "check FLAC loaded: $o" ;; *) ok "check FLAC: nothing heavy loaded" ;; esac
o=$(opened "$AIMARK" wm keygen "$T/k.key")
case "$o" in *libavformat*|*libtesseract*) bad "keygen loaded: $o" ;; *) ok "keygen: nothing heavy loaded" ;; esac
o=$(opened "$AIMARK" wm embed --key "$T/k.key" --payload 0123456789abcdef "$S/speech.wav" "$T/m.wav")
case "$o" in *libavformat*|*libtesseract*) bad "wm embed WAV loaded: $o" ;; *) ok "wm embed WAV: nothing heavy loaded" ;; esac
# The runs that need them load them, and work.
# (MP3 and Ogg go through libsndfile; MP4/AAC through FFmpeg.)
o=$(opened "$AIMARK" wm embed --key "$T/k.key" --payload 0123456789abcdef "$S/music.m4a" "$T/m.m4a")
expect_contains "wm embed on M4A loads libavformat" "$o" libavformat.so
expect_contains "M4A written and read back" "$("$AIMARK" wm detect --key "$T/k.key" "$T/m.m4a" || true)" 0123456789abcdef
o=$(opened "$AIMARK" meta read "$S/music.m4a")
case "$o" in *libavformat*) bad "meta read M4A (own MP4 parser) loaded FFmpeg" ;; *) ok "meta read M4A: own parser, no FFmpeg" ;; esac
o=$(opened "$AIMARK" check --json "$S/image.png")
expect_contains "check PNG loads tesseract (visible label OCR)" "$o" libtesseract.so
finish
