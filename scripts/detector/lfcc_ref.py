#!/usr/bin/python3
"""Independent numpy reference of the LFCC front-end (ASVspoof 2019 B02).

Written from the recipe (Sahidullah's extract_lfcc.m as used by the 2019
baseline), vectorised in float64, sharing no code with src/detect/lfcc.c:
pre-emphasis [1 -0.97], 320-sample symmetric Hamming frames every 160
samples (full frames only), |rfft(., 512)|^2, 20 triangular filters on
linspace(0, fs/2, 22), log10(. + eps), orthonormal DCT-II (20 kept, c0
included), deltas(x, 3) twice -> (T, 60). Also the voiced-frame flags
(mean square of the raw frame >= 1e-6).

  lfcc_ref.py golden OUTDIR   writes the golden vectors for the C unit test
"""
import sys

import numpy as np
import scipy.fft

FS = 16000
WIN, HOP, NFFT, NFILT, NCEP = 320, 160, 512, 20, 20
VOICE_MS = 1e-6


def filterbank(fs=FS, nfft=NFFT, nfilt=NFILT):
    f = np.linspace(0, fs / 2, nfft // 2 + 1)
    e = np.linspace(0, fs / 2, nfilt + 2)
    fb = np.zeros((nfilt, f.size))
    for i in range(nfilt):
        a, b, c = e[i], e[i + 1], e[i + 2]
        up = (f - a) / (b - a)
        down = (c - f) / (c - b)
        fb[i] = np.maximum(0.0, np.minimum(up, down))
    return fb


def deltas(x):
    """deltas(x, 3) of Dan Ellis's deltas.m along time: x[t+1] - x[t-1], edges repeated."""
    p = np.concatenate([x[:1], x, x[-1:]], axis=0)
    return p[2:] - p[:-2]


def frames_of(x):
    n = len(x)
    T = 0 if n < WIN else 1 + (n - WIN) // HOP
    idx = np.arange(WIN)[None, :] + HOP * np.arange(T)[:, None]
    return idx


def lfcc(x):
    """x: 16 kHz mono float array -> (features (T, 60) float64, voiced (T,) bool)."""
    x = np.asarray(x, dtype=np.float64)
    idx = frames_of(x)
    if idx.shape[0] == 0:
        return np.zeros((0, 3 * NCEP)), np.zeros(0, dtype=bool)
    y = np.empty_like(x)
    y[0] = x[0]
    y[1:] = x[1:] - 0.97 * x[:-1]
    fr = y[idx] * np.hamming(WIN)[None, :]
    p = np.abs(np.fft.rfft(fr, NFFT, axis=1)) ** 2
    lg = np.log10(p @ filterbank().T + np.finfo(np.float64).eps)
    c = scipy.fft.dct(lg, type=2, norm="ortho", axis=1)[:, :NCEP]
    d = deltas(c)
    dd = deltas(d)
    voiced = np.mean(x[idx] ** 2, axis=1) >= VOICE_MS
    return np.concatenate([c, d, dd], axis=1), voiced


FLOOR_DBFS = -75.0
FRONTEND = 1  # the model blob's front-end field: 1 = condition() before lfcc()


def band_sos():
    """The conditioning band-pass (src/detect/cond.c holds the same numbers):
    Butterworth(4) high-pass at 150 Hz, then ellip(10, 0.1 dB, 80 dB) low-pass at
    3800 Hz: the corpus chain's band (scripts/detector/corpus/chain.py v3)."""
    from scipy import signal
    hp = signal.butter(4, 150.0, "high", fs=FS, output="sos")
    lp = signal.ellip(10, 0.1, 80, 3800.0, "low", fs=FS, output="sos")
    return np.vstack([hp, lp])


def condition(x, seed=0):
    """Front-end 1 (src/detect/cond.h): causal band-pass, then a -75 dBFS white
    floor, so that training clips and real uploads (full band, digital
    silence) reach the LFCC in the same form. The C noise comes from another
    generator: same distribution, different samples."""
    from scipy import signal
    y = signal.sosfilt(band_sos(), np.asarray(x, dtype=np.float64))
    rng = np.random.default_rng(seed)
    return (y + rng.standard_normal(len(y)) * 10 ** (FLOOR_DBFS / 20)).astype(np.float32)


def golden(outdir):
    """A deterministic 0.8 s test signal (harmonics + chirp + noise) and its
    features, as raw little-endian float32 files (small: ~20 kB)."""
    import os
    rng = np.random.default_rng(20250514)
    n = 12800
    t = np.arange(n) / FS
    x = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.1 * np.sin(2 * np.pi * 1375 * t)
    x += 0.05 * np.sin(2 * np.pi * (300 + 2500 * t) * t) + 0.02 * rng.standard_normal(n)
    x[6000:6400] *= 0.001  # a quiet stretch: unvoiced flags
    x = x.astype(np.float32)
    f, v = lfcc(x.astype(np.float64))
    os.makedirs(outdir, exist_ok=True)
    x.astype("<f4").tofile(os.path.join(outdir, "lfcc_in.f32"))
    f.astype("<f4").tofile(os.path.join(outdir, "lfcc_out.f32"))
    v.astype(np.uint8).tofile(os.path.join(outdir, "lfcc_voiced.u8"))
    print("golden: %d samples -> %d frames x 60" % (n, f.shape[0]))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "golden":
        golden(sys.argv[2])
    else:
        sys.exit(__doc__)
