#!/usr/bin/env bash
# Build the synthetic-speech detection corpus from Debian packages:
#   scripts/detector/make-corpus.sh [OUTDIR=data/detector] [--scale S] [--jobs N]
# Installs the corpus packages (~500 MB, not needed by the normal test suite),
# then runs the deterministic, resumable builder under nice. Re-running skips
# finished clips; a larger --scale grows the corpus (the smaller one is a
# subset). See scripts/detector/README.md and docs/EVALUATION.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/data/detector}
shift || true

pkgs=(asterisk-core-sounds-en-wav asterisk-core-sounds-es-wav asterisk-core-sounds-fr-wav
      asterisk-core-sounds-it-wav asterisk-core-sounds-ru-wav klettres-data alsa-utils
      fillets-ng-data-cs fillets-ng-data-nl
      espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
      festvox-ca-ona-hts festvox-czech-dita festvox-czech-machac festvox-italp16k
      festvox-itapc16k festvox-ru festvox-suopuhe-lj
      ffmpeg sox python3-numpy python3-scipy python3-soundfile)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "make-corpus: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's numpy/scipy are only visible to the system interpreter.
exec nice -n 10 /usr/bin/python3 "$root/scripts/detector/corpus/build.py" --out "$out" "$@"
