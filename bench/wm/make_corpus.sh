#!/usr/bin/env bash
# Deterministic watermark benchmark corpus: 60 s mono WAV (16 bit) of speech
# (espeak-ng, sentences concatenated, the voice changing per sentence) and
# music (sox synth mixes: plucked chords, bass, pad, noise hi-hat), each at
# 16 kHz and 44.1 kHz. Usage: bench/wm/make_corpus.sh OUTDIR [SET]
# SET (default 1) varies the text order, voices and chords, so several
# distinct corpora can be made (for the false-positive sweep).
set -euo pipefail
# sox in repeatable mode (-R): its dither and its synth noise/pluck
# generators are seeded, so a set is the same file on every run (without
# it the corpus differed by dither and noise from run to run, and the
# cases at the decoding edge with it)
sox() { command sox -R "$@"; }
out=$1; set_no=${2:-1}
mkdir -p "$out"; tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

sentences=(
 "The quick brown fox jumps over the lazy dog near the river bank."
 "Watermarks must survive compression, resampling and noise without being heard."
 "In the morning the market opens at nine and closes late in the evening."
 "She sells sea shells by the sea shore, and the shells she sells are surely seashells."
 "Please remember to bring your passport, your tickets and a warm coat."
 "Numbers like three hundred and forty two are read aloud by the synthesiser."
 "A gentle breeze moved through the tall grass as the sun began to set."
 "Scientists measured the signal to noise ratio in every frame of the recording."
 "Would you like a cup of tea, or perhaps some coffee with a little milk?"
 "The orchestra played the final movement slowly, then everyone stood up."
 "Trains to the airport leave every fifteen minutes from platform four."
 "History teaches us that every technology is used in ways nobody expected."
)
voices=(en-us en+f3 en-gb+m3 en+f2 en-us+m5 en+f4 en-gb en+m7)
i=0; total=0; files=()   # total: milliseconds so far (at least 61 s, then trimmed to 60)
while [ "$total" -lt 61000 ]; do
  s=${sentences[$(( (i * 5 + set_no * 3) % ${#sentences[@]} ))]}
  v=${voices[$(( (i + set_no) % ${#voices[@]} ))]}
  sp=$(( 140 + (i * 17 + set_no * 11) % 60 )); p=$(( 35 + (i * 13 + set_no * 7) % 30 ))
  espeak-ng -v "$v" -s "$sp" -p "$p" -w "$tmp/s$i.wav" "$s"
  sox "$tmp/s$i.wav" -r 44100 "$tmp/r$i.wav" pad 0 0.3
  files+=("$tmp/r$i.wav")
  total=$(( total + $(soxi -D "$tmp/r$i.wav" | awk '{ printf "%d", $1 * 1000 }') ))
  i=$((i + 1))
done
sox "${files[@]}" "$tmp/speech.wav" norm -3 trim 0 60

# music: 16 bars of 3.75 s, chord per bar from a progression
roots=(C3 A2 F2 G2 E3 D3 A2 G2)
thirds=(E3 C3 A2 B2 G3 F3 C3 B2)
fifths=(G3 E3 C3 D3 B3 A3 E3 D3)
bars=()
for b in $(seq 0 15); do
  k=$(( (b + set_no * 3) % 8 ))
  r=${roots[$k]}; t=${thirds[$k]}; f=${fifths[$k]}
  sox -n -r 44100 -c 1 "$tmp/ch$b.wav" synth 3.75 pluck "$r" pluck "$t" pluck "$f" pluck "%$((b % 5 + 12))" \
      remix - fade 0.01 3.75 0.2 vol 0.5
  sox -n -r 44100 -c 1 "$tmp/pad$b.wav" synth 3.75 sine "$t" sine "$f" tremolo 5 40 remix - vol 0.12
  sox -n -r 44100 -c 1 "$tmp/bass$b.wav" synth 3.75 square "$r" vol 0.3 lowpass 600 remix - vol 0.5
  # hi-hat: 8 short noise bursts
  sox -n -r 44100 -c 1 "$tmp/hat.wav" synth 0.05 whitenoise vol 0.5 highpass 6000 fade 0 0.05 0.04 pad 0 0.41875 vol 0.25
  sox "$tmp/hat.wav" "$tmp/hat.wav" "$tmp/hat.wav" "$tmp/hat.wav" "$tmp/hat.wav" "$tmp/hat.wav" "$tmp/hat.wav" "$tmp/hat.wav" "$tmp/hats$b.wav"
  sox -m "$tmp/ch$b.wav" "$tmp/pad$b.wav" "$tmp/bass$b.wav" "$tmp/hats$b.wav" "$tmp/bar$b.wav"
  bars+=("$tmp/bar$b.wav")
done
sox "${bars[@]}" "$tmp/music.wav" norm -3 trim 0 60

for sig in speech music; do
  sox "$tmp/$sig.wav" -r 44100 -b 16 "$out/${sig}44.wav"
  sox "$tmp/$sig.wav" -r 16000 -b 16 "$out/${sig}16.wav"
done
