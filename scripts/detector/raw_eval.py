#!/usr/bin/python3
"""Raw-input check of the shipped detector: files as users upload them, not
through the corpus chain. Bona fide: the original package files behind eval
bona fide clips (mostly 8 kHz Asterisk prompts); spoof: espeak-ng rendered
afresh at its native 22.05 kHz, full band, for eval espeak voices and texts.
Writes OUTDIR/audio/*.wav and OUTDIR/protocol.txt (ASVspoof format); then:

  aimark eval --protocol OUTDIR/protocol.txt --audio OUTDIR/audio [--model M]

  raw_eval.py [CORPUS=data/detector] [OUTDIR=build-model/raw-eval] [N=150]
"""
import csv
import os
import random
import subprocess
import sys

corpus = sys.argv[1] if len(sys.argv) > 1 else "data/detector"
out = sys.argv[2] if len(sys.argv) > 2 else "build-model/raw-eval"
N = int(sys.argv[3]) if len(sys.argv) > 3 else 150
rows = list(csv.DictReader(open(os.path.join(corpus, "manifest.csv"))))
ev = [r for r in rows if r["split"] == "eval" and r["condition"] == "clean"]
os.makedirs(os.path.join(out, "audio"), exist_ok=True)
rnd = random.Random(1)
prot = []
bona = [r for r in ev if r["key"] == "bonafide"]
rnd.shuffle(bona)
for r in bona:
    if len([p for p in prot if p.endswith("bonafide")]) >= N:
        break
    src = r["source"]
    if not (os.path.exists(src) and src.endswith(".wav")):
        continue
    fid = "RB_%04d" % len(prot)
    dst = os.path.join(out, "audio", fid + ".wav")
    if not os.path.lexists(dst):
        os.symlink(src, dst)
    prot.append("%s %s - - bonafide" % (r["speaker"], fid))
sp = [r for r in ev if r["attack"] == "espeak" and r["source"].startswith("espeak:")]
rnd.shuffle(sp)
for i, r in enumerate(sp[:N]):
    _, voice, text = r["source"].split(":", 2)
    fid = "RS_%04d" % i
    subprocess.run(["espeak-ng", "-v", voice, "-w", os.path.join(out, "audio", fid + ".wav"), text],
                   check=True, stderr=subprocess.DEVNULL)
    prot.append("espeak-%s %s - espeak spoof" % (voice, fid))
with open(os.path.join(out, "protocol.txt"), "w") as f:
    f.write("\n".join(prot) + "\n")
print("raw-eval: %d files in %s" % (len(prot), out))
