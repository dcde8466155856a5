#!/usr/bin/env bash
# Rebuild the shipped detector models, start to end:
#   corpus -> LFCC features -> GMM + LCNN training -> Platt calibration on
#   dev -> threshold (<= 1% bona fide false alarms on dev) -> export blobs
#   -> parity vectors for the unit tests -> EER/minDCF per eval group.
#
#   scripts/detector/build-model.sh [CORPUS=data/detector] [train.py options]
#
# Writes models/aimark-lcnn.aimdet (the default, compiled into the library),
# models/aimark-gmm.aimdet, models/results.json and tests/data/detect/parity_*.
# Needs Debian's python3-torch, -numpy, -scipy, -sklearn, -soundfile (visible
# to /usr/bin/python3 only). Builds the corpus first when it is missing.
# CPU only, seeded; about 20-40 min on 2 cores. See docs/DETECTOR.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${1:-$root/data/detector}
shift || true
pkgs=(python3-torch python3-numpy python3-scipy python3-sklearn python3-soundfile)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -f "$corpus/protocols/train.txt" ] || "$root/scripts/detector/make-corpus.sh" "$corpus"
cd "$root"
nice -n 10 /usr/bin/python3 scripts/detector/train.py --corpus "$corpus" --out models \
  --work build-model --tests tests/data/detect "$@"
# the fuzz corpus carries a valid GMM blob as a seed
cp models/aimark-gmm.aimdet fuzz/corpus/model/gmm.bin
echo "build-model: done; rebuild the library (scripts/build.sh) to compile the new default in"
