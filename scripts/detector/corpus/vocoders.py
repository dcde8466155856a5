"""Three vocoders written here in numpy/scipy, used to make "vocoded copies"
of bona fide speech (the hardest spoofs: real prosody, synthetic waveform).

  gl   mel-spectrogram (80 bands) -> pseudo-inverse -> Griffin-Lim (32 it.)
  lpc  LPC-10-style: order-16 all-pole filter per 10 ms, pulse/noise excitation
  hnm  harmonic-plus-noise: f0 + cepstral envelope -> sum of harmonics with
       continuous phase, plus envelope-shaped noise (a WORLD-like source-filter
       resynthesis without aperiodicity analysis)

All take and return float mono at 16 kHz. Deterministic given `seed`.
"""
import numpy as np
from scipy import linalg, signal

SR = 16000


def stft(x, n_fft, hop):
    w = np.hanning(n_fft + 1)[:-1]
    pad = n_fft // 2
    xp = np.pad(x, (pad, pad + n_fft))
    m = 1 + (len(xp) - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(m)[:, None]
    return np.fft.rfft(xp[idx] * w, axis=1), w


def istft(X, w, hop, n):
    n_fft = len(w)
    frames = np.fft.irfft(X, n=n_fft, axis=1) * w
    m = X.shape[0]
    out = np.zeros(n_fft + hop * (m - 1))
    norm = np.zeros_like(out)
    for i in range(m):
        out[i * hop:i * hop + n_fft] += frames[i]
        norm[i * hop:i * hop + n_fft] += w ** 2
    out /= np.maximum(norm, 1e-8)
    pad = n_fft // 2
    return out[pad:pad + n]


def mel_fb(n_mels, n_fft, sr, fmin=0.0, fmax=None):
    fmax = fmax or sr / 2
    hz2mel = lambda f: 2595.0 * np.log10(1 + f / 700.0)
    mel2hz = lambda m: 700.0 * (10 ** (m / 2595.0) - 1)
    pts = mel2hz(np.linspace(hz2mel(fmin), hz2mel(fmax), n_mels + 2))
    freqs = np.linspace(0, sr / 2, n_fft // 2 + 1)
    fb = np.zeros((n_mels, len(freqs)))
    for i in range(n_mels):
        lo, c, hi = pts[i], pts[i + 1], pts[i + 2]
        fb[i] = np.maximum(0, np.minimum((freqs - lo) / (c - lo), (hi - freqs) / (hi - c)))
    return fb


def griffin_lim(x, seed, n_fft=1024, hop=256, n_mels=80, iters=32):
    X, w = stft(x, n_fft, hop)
    fb = mel_fb(n_mels, n_fft, SR)
    mel = np.abs(X) ** 2 @ fb.T
    mag = np.sqrt(np.maximum(mel @ np.linalg.pinv(fb).T, 0.0))
    rng = np.random.default_rng(seed)
    ph = np.exp(2j * np.pi * rng.random(mag.shape))
    y = istft(mag * ph, w, hop, len(x))
    for _ in range(iters):
        Y, _ = stft(y, n_fft, hop)
        Y = Y[:mag.shape[0]]
        y = istft(mag * np.exp(1j * np.angle(Y)), w, hop, len(x))
    return y


def pitch_track(x, hop=160, win=640, fmin=60.0, fmax=400.0):
    """Per-hop f0 in Hz (0 = unvoiced) by normalised autocorrelation."""
    lp = signal.butter(4, 1000, "low", fs=SR, output="sos")
    y = signal.sosfilt(lp, x)
    m = max(1, len(x) // hop)
    f0 = np.zeros(m)
    e = np.zeros(m)
    lmin, lmax = int(SR / fmax), int(SR / fmin)
    yp = np.pad(y, (win // 2, win))
    for i in range(m):
        seg = yp[i * hop:i * hop + win]
        seg = seg - seg.mean()
        e[i] = np.sum(seg ** 2)
        if e[i] <= 0:
            continue
        ac = np.correlate(seg, seg, "full")[win - 1:]
        ac = ac / (ac[0] + 1e-12)
        if lmax >= len(ac):
            continue
        lag = lmin + int(np.argmax(ac[lmin:lmax]))
        if ac[lag] > 0.45:
            f0[i] = SR / lag
    edb = 10 * np.log10(e + 1e-20)
    f0[edb < edb.max() - 35] = 0.0
    # median smoothing removes octave jumps on single frames
    return signal.medfilt(f0, 5)


def lpc_vocoder(x, seed, order=16, hop=160, win=400):
    f0 = pitch_track(x, hop)
    m = len(f0)
    rng = np.random.default_rng(seed)
    w = np.hamming(win)
    xp = np.pad(signal.lfilter([1, -0.9], [1], x), (win // 2, win))
    out = np.zeros(m * hop)
    zi = np.zeros(order)
    phase = 0.0
    for i in range(m):
        seg = xp[i * hop:i * hop + win] * w
        r = np.correlate(seg, seg, "full")[win - 1:win + order]
        if r[0] <= 1e-10:
            continue
        r[0] *= 1.0001
        a = linalg.solve_toeplitz(r[:order], -r[1:order + 1])
        err = max(r[0] + np.dot(a, r[1:order + 1]), 1e-12) / win
        g = np.sqrt(err)
        if f0[i] > 0:
            exc = np.zeros(hop)
            period = SR / f0[i]
            while phase < hop:
                exc[int(phase)] = np.sqrt(period)
                phase += period
            phase -= hop
        else:
            exc = rng.standard_normal(hop)
            phase = 0.0
        seg_out, zi = signal.lfilter([g], np.concatenate([[1.0], a]), exc, zi=zi)
        out[i * hop:(i + 1) * hop] = seg_out
    out = signal.lfilter([1], [1, -0.9], out)
    return out[:len(x)]


def cepstral_envelope(X, n_lifter=30):
    """Smooth amplitude envelope per frame from log-magnitude cepstrum."""
    logm = np.log(np.abs(X) + 1e-9)
    c = np.fft.irfft(logm, axis=1)
    c[:, n_lifter:-n_lifter] = 0.0
    return np.exp(np.fft.rfft(c, axis=1).real)


def hnm_vocoder(x, seed, hop=160, n_fft=1024, fmax=3800.0):
    f0 = pitch_track(x, hop)
    X, w = stft(x, n_fft, hop)
    m = min(len(f0), X.shape[0])
    f0, X = f0[:m], X[:m]
    env = cepstral_envelope(X) * 2.0 / w.sum()  # sinusoid amplitude scale
    freqs = np.linspace(0, SR / 2, n_fft // 2 + 1)
    n = len(x)
    t_frames = np.arange(m) * hop
    ts = np.arange(n)
    f0s = np.interp(ts, t_frames, f0)
    voiced = f0s > 0
    f0_fill = np.where(voiced, f0s, 100.0)
    ph = 2 * np.pi * np.cumsum(f0_fill) / SR
    y = np.zeros(n)
    vmask = np.interp(ts, t_frames, (f0 > 0).astype(float))
    kmax = int(fmax / 60.0)
    for k in range(1, kmax + 1):
        fk = k * f0  # per frame
        ok = (f0 > 0) & (fk < fmax)
        if not ok.any():
            break
        amp_f = np.where(ok, [np.interp(fk[j], freqs, env[j]) for j in range(m)], 0.0)
        amp = np.interp(ts, t_frames, amp_f)
        y += amp * np.cos(k * ph)
    y *= vmask
    # noise part: full envelope when unvoiced, above 2.5 kHz and -15 dB when voiced
    rng = np.random.default_rng(seed)
    N, _ = stft(rng.standard_normal(n), n_fft, hop)
    N = N[:m] / np.sqrt(np.sum(w ** 2))
    vf = (f0 > 0)[:, None]
    shape = np.where(vf, np.where(freqs[None, :] > 2500, 0.5, 0.18), 1.0)
    noise = istft(N * env * w.sum() / 2.0 * shape, w, hop, n)
    return y + noise


VOCODERS = {"gl": griffin_lim, "lpc": lpc_vocoder, "hnm": hnm_vocoder}
