#!/usr/bin/env bash
# Robustness at several clip offsets: runs bench_wm.sh once per offset of
# the 10 s clip (CLIP_OFF) on the attack rows matching ATTACK_REGEX, and
# prints per attack and signal how many offsets decode the exact payload
# ("k/n"), with "+p" for those not decoded but present with the payload
# known (pfa <= 1e-12). One offset is one sample of the host under the
# mark; three give a less lucky picture than one.
# Usage: bench/wm/offsets.sh [BUILD_DIR] [ATTACK_REGEX] [OFFSET...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build}
re=${2:-'^(none|mp3_.*|aac_64|vorbis_.*|opus_.*|libopus_12|mp3_aac|resample|noise_.*|reverb|echo)$'}
shift $(( $# > 2 ? 2 : $# ))
offs=("$@"); [ ${#offs[@]} -gt 0 ] || offs=(3.3 23.37 41.9)
out="$root/out/bench-wm/offsets"; mkdir -p "$out"
for o in "${offs[@]}"; do
  CLIP_OFF=$o "$root/bench/wm/bench_wm.sh" "$build" "$re" > "$out/table-$o.md"
done
cat "$out"/table-*.md | awk -F'|' -v n=${#offs[@]} '
  /^\| attack/ { if (!hdr) { hdr = $0 } next }
  /^\|---/ || !/^\| / { next }
  $2 ~ /cut_at/ { next }
  { a = $2; gsub(/ /, "", a); if (!(a in seen)) { seen[a] = 1; order[++na] = a }
    for (i = 3; i <= 6; i++) { c = $i; gsub(/^ +| +$/, "", c)
      if (c == "Y") y[a, i]++; else if (c ~ / P$/) p[a, i]++ } }
  END { print hdr; print "|---|---|---|---|---|"
    for (k = 1; k <= na; k++) { a = order[k]; printf "| %s |", a
      for (i = 3; i <= 6; i++) { printf " %d/%d", y[a, i], n; if (p[a, i]) printf " +%dp", p[a, i]; printf " |" }
      print "" } }'
echo
echo "k/n: exact payload at k of n clip offsets (${offs[*]} s); +p: present, not decoded."
