"""The common signal chain every clip goes through, bona fide and spoof alike,
and the augmentations (codecs, noise) applied equally to both classes.

Why each step: the reference experiment found that sample rate/bandwidth is a
shortcut (asterisk is 8 kHz only), and ASVspoof 2019 showed that leading and
trailing silence and level are shortcuts too. So: everything is decoded,
mixed to mono, resampled to 16 kHz, passed through an 8 kHz-rate bottleneck
(band 150-3800 Hz), trimmed, level-normalised, raised to a common noise floor (digital-zero
pauses in TTS, or a studio's quiet floor, would otherwise tell the classes
apart) and written as 16-bit mono WAV at 16 kHz.

CHAIN_VERSION changes whenever the output of the chain changes; the builder
refuses to mix clips of two versions in one folder.
"""
import hashlib
import os
import subprocess
import tempfile

import numpy as np
import soundfile as sf
from scipy import signal

SR = 16000
BAND_LO = 150.0    # Hz, high-pass: v2's 70 Hz left a low-frequency share that
                   # alone separated eval at 35 % EER (recording chains differ there)
BAND_HI = 3800.0   # Hz, low-pass: the 8 kHz-rate bottleneck (telephone band)
TARGET_DBFS = -26.0  # active-speech RMS level
PEAK_DBFS = -1.0
CHAIN_VERSION = 3
FLOOR_DBFS = -60.0   # every clip's quiet frames are raised to at least this level
WIDE_FLOOR_DBFS = -75.0  # full-band white floor: fills the 3.8-8 kHz stopband the
                         # same way for every clip (else its residue is a cue)
FLOOR_PCT = 10       # "quiet frames": the 10th percentile of 10 ms frame levels
TRIM_DB = 40.0       # frames quieter than (loudest frame - TRIM_DB) are silence
PAD_S = 0.05         # keep this much around the active region
MIN_S = 0.25         # clips shorter than this after trimming are dropped


def seed_of(*parts):
    """A deterministic 32-bit seed from strings (Python's hash() is salted)."""
    h = hashlib.sha256("\x00".join(parts).encode()).digest()
    return int.from_bytes(h[:4], "little")


def load(path):
    """Any file libsndfile reads; else decode with ffmpeg. Returns float mono, rate."""
    try:
        x, sr = sf.read(path, dtype="float64", always_2d=True)
    except Exception:
        r = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-f", "f32le",
                            "-ac", "1", "-ar", str(SR), "-"], capture_output=True, check=True)
        return np.frombuffer(r.stdout, dtype="<f4").astype(np.float64), SR
    return x.mean(axis=1), sr


def resample(x, sr_in, sr_out):
    if sr_in == sr_out:
        return x
    g = np.gcd(int(sr_in), int(sr_out))
    return signal.resample_poly(x, sr_out // g, sr_in // g)


_SOS = None


def bandlimit(x):
    """16 kHz -> 8 kHz-rate bottleneck: a steep 3.8 kHz low-pass and 70 Hz high-pass,
    zero-phase so that no clip gets a different group delay."""
    global _SOS
    if _SOS is None:
        lp = signal.ellip(10, 0.1, 80, BAND_HI, "low", fs=SR, output="sos")
        hp = signal.butter(4, BAND_LO, "high", fs=SR, output="sos")
        _SOS = np.vstack([hp, lp])
    if len(x) < 64:
        return x
    return signal.sosfiltfilt(_SOS, x)


def frame_db(x, n=160):
    m = len(x) // n
    if m == 0:
        return np.array([-200.0])
    e = (x[: m * n].reshape(m, n) ** 2).mean(axis=1)
    return 10 * np.log10(e + 1e-20)


def trim(x):
    db = frame_db(x)
    act = np.nonzero(db > db.max() - TRIM_DB)[0]
    if len(act) == 0:
        return x[:0]
    pad = int(PAD_S * SR)
    a = max(0, act[0] * 160 - pad)
    b = min(len(x), (act[-1] + 1) * 160 + pad)
    return x[a:b]


def normalise(x):
    db = frame_db(x)
    active = db > db.max() - 30.0
    e = np.mean(10 ** (db[active] / 10)) if active.any() else 1e-20
    g = 10 ** ((TARGET_DBFS - 10 * np.log10(e + 1e-20)) / 20)
    y = x * g
    peak = np.max(np.abs(y)) if len(y) else 0.0
    lim = 10 ** (PEAK_DBFS / 20)
    if peak > lim:
        y *= lim / peak
    return y


def common_chain(x, sr, key):
    """Raw audio -> the corpus form (float at 16 kHz), or None if too short."""
    x = resample(np.asarray(x, dtype=np.float64), sr, SR)
    x = bandlimit(x)
    x = trim(x)
    if len(x) < MIN_S * SR:
        return None
    x = normalise(x)
    return floor_fill(x, key)


def floor_fill(x, key):
    x = raise_floor(x, key)
    rng = np.random.default_rng(seed_of("wide", key))
    return x + rng.standard_normal(len(x)) * 10 ** (WIDE_FLOOR_DBFS / 20)


def raise_floor(x, key):
    """Add band-limited white noise so that the quiet frames sit at FLOOR_DBFS at
    least: TTS (digital silence) and clean studio prompts get the same floor as
    noisier recordings, so the floor level stops being a class cue (v1 used a
    fixed -72 dBFS floor: a floor-level threshold alone gave 32 % EER on train)."""
    floor = np.percentile(frame_db(x), FLOOR_PCT)
    want = 10 ** (FLOOR_DBFS / 10)
    have = 10 ** (floor / 10)
    if have >= want:
        return x
    rng = np.random.default_rng(seed_of("floor", key))
    n = bandlimit(rng.standard_normal(len(x)))
    n *= np.sqrt((want - have) / (np.mean(n ** 2) + 1e-20))
    return x + n


def write_wav(path, x):
    """16-bit PCM mono, written to a temp file and renamed (resumable builds never
    see a half-written clip)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".part"
    y = np.clip(np.round(np.asarray(x) * 32767.0), -32768, 32767).astype("<i2")
    sf.write(tmp, y, SR, subtype="PCM_16", format="WAV")
    os.replace(tmp, path)


# ---- augmentation -----------------------------------------------------------

# (name, ffmpeg encoder args, container extension, rate used inside the codec)
CODECS = {
    "mp3": (["-c:a", "libmp3lame", "-b:a", "32k"], "mp3", 16000),
    "opus": (["-c:a", "libopus", "-b:a", "12k", "-application", "voip"], "ogg", 16000),
    "aac": (["-c:a", "aac", "-b:a", "24k"], "m4a", 16000),
    "g711": (["-c:a", "pcm_mulaw"], "wav", 8000),
}
AUGS = ["mp3", "opus", "aac", "g711", "noise"]


def codec_roundtrip(x, codec):
    args, ext, rate = CODECS[codec]
    with tempfile.TemporaryDirectory(prefix="aimcorpus") as d:
        src = os.path.join(d, "in.wav")
        enc = os.path.join(d, "enc." + ext)
        write_wav(src, x)
        subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-y", "-i", src, "-ar", str(rate),
                        "-ac", "1", *args, "-fflags", "+bitexact", "-flags:a", "+bitexact",
                        "-threads", "1", enc], check=True, capture_output=True)
        r = subprocess.run(["ffmpeg", "-v", "error", "-nostdin", "-i", enc, "-f", "f32le", "-ac",
                            "1", "-ar", str(SR), "-threads", "1", "-"], check=True,
                           capture_output=True)
    return np.frombuffer(r.stdout, dtype="<f4").astype(np.float64)


def codec_batch(clips, codec, gap_s=0.5):
    """Round-trip many clips through one encoder and decoder run (process start
    dominated the per-clip cost): clips are joined with silent gaps, the decoded
    stream is re-aligned to the input by cross-correlation (codec delay) and cut
    at the same offsets. Codec state cannot leak across the 0.5 s gaps."""
    gap = np.zeros(int(gap_s * SR))
    parts, offs, pos = [], [], len(gap)
    parts.append(gap)
    for x in clips:
        offs.append((pos, len(x)))
        parts += [x, gap]
        pos += len(x) + len(gap)
    joined = np.concatenate(parts)
    y = codec_roundtrip(joined, codec)
    # delay: the lag (0..4000 samples either way) maximising the correlation
    m = min(len(joined), len(y), 30 * SR)
    a, b = joined[:m], y[:m]
    nfft = 1 << int(np.ceil(np.log2(2 * m)))
    xc = np.fft.irfft(np.fft.rfft(b, nfft) * np.conj(np.fft.rfft(a, nfft)), nfft)
    lags = np.concatenate([np.arange(0, 4001), np.arange(-4000, 0)])
    lag = int(lags[np.argmax(xc[lags])])
    out = []
    for o, n in offs:
        s0 = o + lag
        seg = y[max(0, s0):max(0, s0 + n)]
        out.append(seg if len(seg) == n else None)
    return out


def finish_aug(y, key):
    """An augmented signal back into corpus form (None when too short)."""
    y = bandlimit(y)
    y = trim(y)
    if len(y) < MIN_S * SR:
        return None
    return floor_fill(normalise(y), key + ":aug")


def add_noise(x, key):
    """White or brown-ish noise at 5-20 dB SNR (seeded by the clip id)."""
    rng = np.random.default_rng(seed_of("noise", key))
    snr = rng.uniform(5.0, 20.0)
    n = rng.standard_normal(len(x))
    if rng.random() < 0.5:
        n = signal.lfilter([1.0], [1.0, -0.95], n)  # low-frequency weighted
    n = bandlimit(n)
    px = np.mean(x ** 2) + 1e-20
    pn = np.mean(n ** 2) + 1e-20
    return x + n * np.sqrt(px / pn / 10 ** (snr / 10))


def augment(x, kind, key):
    """Clip in corpus form -> augmented copy, back in corpus form (same chain, so an
    augmented file differs from the clean one only by the degradation)."""
    if kind == "noise":
        y = add_noise(x, key)
    else:
        y = codec_roundtrip(x, kind)
    return finish_aug(y, key)
