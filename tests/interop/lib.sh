# Shared helpers for the shell tests. Sourced; expects from ctest:
#   AIMARK (the CLI), AIM_SAMPLES (sample media), AIM_SRC (source tree),
#   AIM_TMP (a scratch folder for this test).
set -euo pipefail
: "${AIMARK:?}" "${AIM_SAMPLES:?}" "${AIM_SRC:?}" "${AIM_TMP:?}"
rm -rf "$AIM_TMP"
mkdir -p "$AIM_TMP"
EXIFTOOL="$AIM_SRC/.deps/node_modules/exiftool-vendored.pl/bin/exiftool"
TC260_CONFIG="$AIM_SRC/tests/interop/exiftool-tc260.config"
PRODUCER=001191110102MACQD9K64010000

t_pass=0
t_fail=0
ok() { t_pass=$((t_pass + 1)); echo "ok   $*"; }
bad() { t_fail=$((t_fail + 1)); echo "FAIL $*"; }
# expect_eq WHAT GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got [$2] want [$3]"; fi; }
# expect_contains WHAT HAYSTACK NEEDLE
expect_contains() { case "$2" in *"$3"*) ok "$1" ;; *) bad "$1: [$2] lacks [$3]" ;; esac; }
need_exiftool() { [ -x "$EXIFTOOL" ] || { echo "FAIL ExifTool 13 missing: run scripts/deps.sh"; exit 1; }; }
exiftool13() { "$EXIFTOOL" -config "$TC260_CONFIG" "$@"; }
# The label JSON a producer-only label serialises to (bare form).
bare_label() { # PRODUCER ID
  printf '{"Label":"1","ContentProducer":"%s","ProduceID":"%s","ReservedCode1":"","ContentPropagator":"","PropagateID":"","ReservedCode2":""}' "$1" "$2"
}
# Decoded media hash via ffmpeg (audio samples or video/image pixels).
media_md5() { ffmpeg -nostdin -loglevel error -i "$1" -map 0 -f md5 - 2>/dev/null; }
# Print the summary line and exit non-zero on any failure.
finish() { echo "$t_pass passed, $t_fail failed"; [ "$t_fail" -eq 0 ]; }
