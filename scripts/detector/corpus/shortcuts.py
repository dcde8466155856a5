#!/usr/bin/python3
"""Shortcut audit: how well does each trivial clip property (length, pauses,
level, band edges, noise floor) separate bona fide from spoof on its own?
A property with a low EER would let a detector "cheat" instead of learning
speech artefacts, so the common chain should leave each of them near 50 %.

  /usr/bin/python3 scripts/detector/corpus/shortcuts.py data/detector [split]

Prints, for each property, the EER on the split (default eval, clean clips),
taking whichever polarity is better (so 50 % = useless, 0 % = perfect)."""
import csv
import os
import sys

import numpy as np
import soundfile as sf


def eer(bona, spoof):
    s = np.concatenate([bona, spoof])
    y = np.concatenate([np.ones(len(bona)), np.zeros(len(spoof))])
    o = np.argsort(s, kind="mergesort")
    y = y[o]
    frr = np.concatenate([[0], np.cumsum(y) / len(bona)])
    far = np.concatenate([[1], (len(spoof) - np.cumsum(1 - y)) / len(spoof)])
    i = np.argmin(np.abs(frr - far))
    e = (frr[i] + far[i]) / 2
    return min(e, 1 - e)


def props(x, sr=16000):
    n = 160
    m = len(x) // n
    fr = x[: m * n].reshape(m, n)
    db = 10 * np.log10((fr ** 2).mean(axis=1) + 1e-12)
    X = np.abs(np.fft.rfft(x * np.hanning(len(x)))) ** 2
    f = np.fft.rfftfreq(len(x), 1 / sr)
    tot = X.sum() + 1e-20
    return {
        "duration": len(x) / sr,
        "pause_share(<max-30dB)": float(np.mean(db < db.max() - 30)),
        "noise_floor(p5 dB)": float(np.percentile(db, 5)),
        "rms_dB": float(10 * np.log10(np.mean(x ** 2) + 1e-12)),
        "peak_to_rms": float(np.max(np.abs(x)) / (np.sqrt(np.mean(x ** 2)) + 1e-12)),
        "energy_<150Hz": float(X[f < 150].sum() / tot),
        "energy_3-3.8kHz": float(X[(f > 3000) & (f < 3800)].sum() / tot),
        "energy_>3.9kHz": float(X[f > 3900].sum() / tot),
        "spectral_centroid": float((X * f).sum() / tot),
    }


def main():
    root = sys.argv[1]
    split = sys.argv[2] if len(sys.argv) > 2 else "eval"
    rows = [r for r in csv.DictReader(open(os.path.join(root, "manifest.csv")))
            if r["split"] == split and r["condition"] == "clean"]
    vals = {}
    keys = []
    for r in rows:
        x, _ = sf.read(os.path.join(root, "wav", r["file_id"] + ".wav"))
        p = props(x)
        for k, v in p.items():
            vals.setdefault(k, ([], []))[0 if r["key"] == "bonafide" else 1].append(v)
        keys = list(p)
    nb = len(vals[keys[0]][0])
    ns = len(vals[keys[0]][1])
    print("split %s: %d bona fide, %d spoof clips (clean)" % (split, nb, ns))
    print("%-24s %8s %12s %12s" % ("property", "EER %", "median bona", "median spoof"))
    for k in keys:
        b, s = map(np.asarray, vals[k])
        print("%-24s %8.1f %12.4g %12.4g" % (k, 100 * eer(b, s), np.median(b), np.median(s)))


if __name__ == "__main__":
    main()
