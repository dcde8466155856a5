#!/usr/bin/python3
"""Train, calibrate, evaluate and export the aimark synthetic-speech detectors.

  train.py --corpus data/detector --out models [--work build-model]

Reads the corpus in ASVspoof 2019 LA protocol form (protocols/{train,dev,
eval,eval_aug}.txt: `speaker file - attack bonafide|spoof`, audio in
wav/FILE.wav, 16 kHz mono). Steps:
  1. LFCC features (lfcc_ref.py, the same recipe as src/detect/lfcc.c)
  2. GMM baseline: two diagonal GMMs (bona, spoof) on voiced frames
  3. NN: causal dilated 1-D conv + max-feature-map (LCNN-style) on LFCC,
     mean+std pooling over a window, trained on random 2 s windows
  4. scores every file exactly as the C library does (2 s windows every
     0.5 s, tail window, windows with < 30 voiced frames skipped, file
     score = mean of window scores)
  5. Platt calibration on dev -> LLR; threshold at <= 1% bona fide false
     alarms on dev
  6. EER / minDCF on each held-out eval group; writes models/*.aimdet, the
     parity vectors for the C unit test, and a results file.
Everything is seeded; runs on CPU.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export  # noqa: E402
import lfcc_ref  # noqa: E402

W, H, MIN_VOICED = 200, 50, 30
MODEL_VERSION = 2  # 2: trained on corpus chain v3 through front-end 1


def log(*a):
    print(*a, flush=True)


# ---- data ---------------------------------------------------------------------

def read_protocol(path):
    rows = []
    if not os.path.exists(path):
        return rows
    for line in open(path):
        p = line.split()
        if len(p) >= 5:
            rows.append((p[0], p[1], p[3], 1 if p[4] == "spoof" else 0))
    return rows


def load_audio(path):
    import soundfile as sf
    x, fs = sf.read(path, dtype="float32", always_2d=True)
    x = x.mean(axis=1)
    if fs != 16000:
        from scipy.signal import resample_poly
        g = np.gcd(fs, 16000)
        x = resample_poly(x, 16000 // g, fs // g).astype(np.float32)
    return x


def features(corpus, rows, cache):
    if os.path.exists(cache):
        z = np.load(cache, allow_pickle=True)
        return list(z["feats"]), list(z["voiced"])
    feats, voiced = [], []
    t0 = time.time()
    for i, (_, fid, _, _) in enumerate(rows):
        x = load_audio(os.path.join(corpus, "wav", fid + ".wav"))
        # conditioned (front-end 1) as the C library does, float32 as it
        # sees it; features in float32
        x = lfcc_ref.condition(x, seed=i)
        f, v = lfcc_ref.lfcc(x.astype(np.float64))
        feats.append(f.astype(np.float32))
        voiced.append(v)
        if i % 2000 == 0:
            log("  features %d/%d (%.0f s)" % (i, len(rows), time.time() - t0))
    fo = np.empty(len(feats), dtype=object)
    vo = np.empty(len(feats), dtype=object)
    fo[:] = feats
    vo[:] = voiced
    np.savez(cache, feats=fo, voiced=vo)
    return feats, voiced


def windows(T):
    """The C library's windows over T frames (src/detect/detect.c)."""
    out, k = [], 0
    while k * H + W <= T:
        out.append((k * H, k * H + W))
        k += 1
    if not out and T > 0:
        out.append((0, T))
    elif out and out[-1][1] < T:
        out.append((T - W, T))
    return out


# ---- GMM ----------------------------------------------------------------------

def train_gmm(feats, voiced, labels, ncomp, seed, max_frames=150000, max_iter=40):
    from sklearn.mixture import GaussianMixture
    rng = np.random.default_rng(seed)
    gm = []
    for cls in (0, 1):
        X = np.concatenate([f[v] for f, v, y in zip(feats, voiced, labels) if y == cls and v.any()])
        if len(X) > max_frames:
            X = X[rng.choice(len(X), max_frames, replace=False)]
        log("  GMM class %d: %d frames, %d components" % (cls, len(X), ncomp))
        g = GaussianMixture(ncomp, covariance_type="diag", max_iter=max_iter, random_state=seed,
                            reg_covar=1e-3)
        g.fit(X.astype(np.float64))
        gm.append(g)
    return gm


def gmm_frame_llr(gm, f):
    return gm[1].score_samples(f.astype(np.float64)) - gm[0].score_samples(f.astype(np.float64))


def gmm_file_raw(gm, f, v):
    e = gmm_frame_llr(gm, f) if len(f) else np.zeros(0)
    raws = [e[a:b][v[a:b]].mean() for a, b in windows(len(f)) if v[a:b].sum() >= MIN_VOICED]
    return float(np.mean(raws)) if raws else None


def export_gmm(gm, path, a, b, thr, name):
    t = []
    for cls, g in zip(("bona", "spoof"), gm):
        t += [(cls + ".logw", np.log(g.weights_).astype(np.float32)),
              (cls + ".mu", g.means_.astype(np.float32)),
              (cls + ".ivar", (1.0 / g.covariances_).astype(np.float32))]
    return export.write_blob(path, export.TYPE_GMM, name, MODEL_VERSION, a, b, thr, t,
                              frontend=lfcc_ref.FRONTEND)


# ---- NN -----------------------------------------------------------------------

ARCH = [(3, 1), (3, 2), (3, 4), (3, 8)]  # (kernel, dilation) per layer
WIDTH, HEAD = 32, 32
RF = 1 + sum((k - 1) * d for k, d in ARCH)


def make_nn():
    import torch
    import torch.nn as nn

    class MFM(nn.Module):
        def forward(self, x):
            h = x.shape[1] // 2
            return torch.max(x[:, :h], x[:, h:])

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = nn.ModuleList()
            self.bns = nn.ModuleList()
            cin = 60
            for k, d in ARCH:
                self.convs.append(nn.Conv1d(cin, 2 * WIDTH, k, dilation=d))
                self.bns.append(nn.BatchNorm1d(2 * WIDTH))
                cin = WIDTH
            self.mfm = MFM()
            self.h1 = nn.Linear(2 * WIDTH, 2 * HEAD)
            self.drop = nn.Dropout(0.3)
            self.h2 = nn.Linear(HEAD, 1)
            self.register_buffer("mean", torch.zeros(60))
            self.register_buffer("istd", torch.ones(60))

        def frames(self, x):
            """x: (B, T, 60) raw LFCC -> (B, WIDTH, T) causal embeddings."""
            h = ((x - self.mean) * self.istd).transpose(1, 2)
            for (k, d), conv, bn in zip(ARCH, self.convs, self.bns):
                h = nn.functional.pad(h, ((k - 1) * d, 0))
                h = self.mfm(bn(conv(h)))
            return h

        def pool_head(self, e, m):
            """e: (B, C, T) embeddings, m: (B, T) float mask -> (B,) raw scores."""
            cnt = m.sum(1, keepdim=True).clamp(min=1)
            mu = (e * m[:, None]).sum(2) / cnt
            var = (((e - mu[:, :, None]) ** 2) * m[:, None]).sum(2) / cnt
            z = torch.cat([mu, torch.sqrt(var + 1e-5)], 1)
            return self.h2(self.drop(self.mfm(self.h1(z)))).squeeze(1)

    return Net()


def train_nn(feats, voiced, labels, dev, epochs, seed, threads, per_epoch=4000):
    import torch
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    rng = np.random.default_rng(seed)
    net = make_nn()
    X = np.concatenate([f[v] for f, v in zip(feats, voiced) if v.any()])
    net.mean.copy_(torch.tensor(X.mean(0)))
    net.istd.copy_(torch.tensor(1.0 / (X.std(0) + 1e-3)))
    idx = [i for i in range(len(feats)) if voiced[i].sum() >= MIN_VOICED]
    y = np.array(labels, dtype=np.float32)
    npos = y[idx].sum()
    pos_weight = torch.tensor((len(idx) - npos) / max(npos, 1))
    opt = torch.optim.Adam(net.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs)
    lossf = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
    B = 64
    best = (1e9, None)
    for ep in range(epochs):
        net.train()
        rng.shuffle(idx)
        tot, nb = 0.0, 0
        sub = idx[:per_epoch]  # a fresh random subset each epoch (CPU budget)
        for s in range(0, len(sub), B):
            bi = sub[s:s + B]
            L = RF - 1 + W
            xb = np.zeros((len(bi), L, 60), np.float32)
            fill = np.zeros((len(bi), L), bool)
            mb = np.zeros((len(bi), W), np.float32)
            for j, i in enumerate(bi):
                T = len(feats[i])
                st = int(rng.integers(0, T - W + 1)) if T > W else 0
                n = min(W, T - st)
                a = max(0, st - (RF - 1))
                seg = feats[i][a:st + n]
                # right-aligned: the last n rows are the window, with up to
                # RF-1 frames of real context before it
                xb[j, L - len(seg):] = seg
                fill[j, L - len(seg):] = True
                mb[j, W - n:] = voiced[i][st:st + n]
            # rows before the clip are zero after normalisation, as the C
            # library's causal zero padding
            xn = (torch.tensor(xb) - net.mean) * net.istd
            xn[torch.tensor(~fill)] = 0
            e = net_frames_norm(net, xn)[:, :, -W:]
            out = net.pool_head(e, torch.tensor(mb))
            loss = lossf(out, torch.tensor(y[bi]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            tot += float(loss)
            nb += 1
        sched.step()
        last = ep == epochs - 1
        dl = dev_loss(net, dev) if dev and (ep % 2 == 1 or last) else float("nan")
        log("  NN epoch %d: train loss %.4f, dev EER %.2f%%" % (ep + 1, tot / max(nb, 1), dl))
        if dev and not np.isnan(dl) and dl <= best[0]:
            best = (dl, {k: v.clone() for k, v in net.state_dict().items()})
    if best[1] is not None:
        net.load_state_dict(best[1])
    net.eval()
    return net


def net_frames_norm(net, xn):
    import torch.nn as nn
    h = xn.transpose(1, 2)
    for (k, d), conv, bn in zip(ARCH, net.convs, net.bns):
        h = nn.functional.pad(h, ((k - 1) * d, 0))
        h = net.mfm(bn(conv(h)))
    return h


def nn_file_raw(net, f, v):
    import torch
    if len(f) == 0:
        return None
    with torch.no_grad():
        e = net.frames(torch.tensor(f[None]))[0]  # (C, T)
        raws = []
        for a, b in windows(len(f)):
            m = torch.tensor(v[a:b].astype(np.float32))
            if m.sum() >= MIN_VOICED:
                raws.append(float(net.pool_head(e[None, :, a:b], m[None])[0]))
    return float(np.mean(raws)) if raws else None


def dev_loss(net, dev):
    net.eval()
    feats, voiced, labels = dev
    s, y = [], []
    for f, v, l in zip(feats, voiced, labels):
        r = nn_file_raw(net, f, v)
        if r is not None:
            s.append(r)
            y.append(l)
    net.train()
    return eer(np.array(s), np.array(y))


def export_nn(net, path, a, b, thr, name):
    sd = {k: v.detach().double().numpy() for k, v in net.state_dict().items()}
    arch = [len(ARCH)]
    for k, d in ARCH:
        arch += [k, d]
    t = [("arch", np.array(arch, np.int32)),
         ("norm.mean", sd["mean"].astype(np.float32)), ("norm.istd", sd["istd"].astype(np.float32))]
    for l, (k, d) in enumerate(ARCH):
        w = sd["convs.%d.weight" % l]  # (out2, in, k); torch tap j -> frame t-(k-1-j)d
        bias = sd["convs.%d.bias" % l]
        g, be = sd["bns.%d.weight" % l], sd["bns.%d.bias" % l]
        rm, rv = sd["bns.%d.running_mean" % l], sd["bns.%d.running_var" % l]
        sc = g / np.sqrt(rv + 1e-5)
        wf = w * sc[:, None, None]
        bf = (bias - rm) * sc + be
        wc = np.transpose(wf[:, :, ::-1], (2, 1, 0))  # (k, in, out2), tap j -> t - j d
        t += [("conv%d.w" % l, wc.astype(np.float32)), ("conv%d.b" % l, bf.astype(np.float32))]
    t += [("head1.w", sd["h1.weight"].T.astype(np.float32)), ("head1.b", sd["h1.bias"].astype(np.float32)),
          ("head2.w", sd["h2.weight"][0].astype(np.float32)), ("head2.b", sd["h2.bias"].astype(np.float32))]
    return export.write_blob(path, export.TYPE_NN, name, MODEL_VERSION, a, b, thr, t,
                              frontend=lfcc_ref.FRONTEND)


def nn_params(net):
    return sum(p.numel() for p in net.parameters())


# ---- metrics --------------------------------------------------------------------

def eer(scores, labels):
    """labels 1 = spoof; scores higher = spoof. Percent."""
    s, y = np.asarray(scores, float), np.asarray(labels)
    if y.sum() == 0 or (1 - y).sum() == 0:
        return float("nan")
    o = np.argsort(s, kind="mergesort")
    ys = y[o]
    # threshold after position i: accept as bona the first i+1 (lowest scores)
    miss_spoof = np.concatenate([[0], np.cumsum(ys)]) / ys.sum()  # spoof called bona
    fa_bona = 1 - np.concatenate([[0], np.cumsum(1 - ys)]) / (1 - ys).sum()  # bona called spoof
    i = np.argmin(np.abs(miss_spoof - fa_bona))
    return 100 * (miss_spoof[i] + fa_bona[i]) / 2


def min_dcf(scores, labels, p_spoof=0.05, c_miss=1.0, c_fa=10.0):
    """ASVspoof 5 minDCF: miss = bona rejected, fa = spoof accepted."""
    s, y = np.asarray(scores, float), np.asarray(labels)
    if y.sum() == 0 or (1 - y).sum() == 0:
        return float("nan")
    o = np.argsort(s, kind="mergesort")
    ys = y[o]
    p_fa = np.concatenate([[0], np.cumsum(ys)]) / ys.sum()
    p_miss = 1 - np.concatenate([[0], np.cumsum(1 - ys)]) / (1 - ys).sum()
    dcf = c_miss * p_miss * (1 - p_spoof) + c_fa * p_fa * p_spoof
    return float(dcf.min() / min(c_miss * (1 - p_spoof), c_fa * p_spoof))


def calibrate(raw, labels):
    """Platt scaling -> LLR (prior log-odds of dev removed)."""
    from sklearn.linear_model import LogisticRegression
    raw, y = np.asarray(raw, float), np.asarray(labels)
    # Platt's soft targets keep the slope finite when dev is separable
    npos, nneg = y.sum(), len(y) - y.sum()
    tp, tn = (npos + 1) / (npos + 2), 1 / (nneg + 2)
    t = np.where(y == 1, tp, tn)
    lr = LogisticRegression(C=1e6)
    lr.fit(np.concatenate([raw, raw])[:, None], np.concatenate([np.ones(len(y)), np.zeros(len(y))]),
           sample_weight=np.concatenate([t, 1 - t]))
    a, b = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    b -= np.log(y.sum() / (len(y) - y.sum()))
    if a <= 0:
        raise SystemExit("calibration slope <= 0: the model is worse than chance on dev")
    return a, b


def threshold_at(cal_bona, fa=0.01):
    s = np.sort(np.asarray(cal_bona))[::-1]
    k = int(np.floor(fa * len(s)))
    return float(s[k]) if k < len(s) else float(s[-1])


# ---- main -------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="data/detector")
    ap.add_argument("--out", default="models")
    ap.add_argument("--work", default="build-model")
    ap.add_argument("--tests", default="tests/data/detect")
    ap.add_argument("--gmm-comp", type=int, default=64)
    ap.add_argument("--gmm-frames", type=int, default=150000, help="frames per class (subsampled)")
    ap.add_argument("--gmm-iter", type=int, default=40)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--per-epoch", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    os.makedirs(a.out, exist_ok=True)
    P = {s: read_protocol(os.path.join(a.corpus, "protocols", s + ".txt"))
         for s in ("train", "dev", "eval", "eval_aug")}
    for s, r in P.items():
        log("%s: %d files (%d spoof)" % (s, len(r), sum(x[3] for x in r)))
    F = {}
    for s, rows in P.items():
        if rows:
            log("features: %s" % s)
            # the cache is keyed by the protocol's content: a grown corpus is re-read
            import hashlib
            key = hashlib.sha1(("fe%d" % lfcc_ref.FRONTEND + "".join(r[1] for r in rows)).encode()
                               ).hexdigest()[:12]
            F[s] = features(a.corpus, rows, os.path.join(a.work, "feats_%s_%s.npz" % (s, key)))
    lab = {s: [r[3] for r in P[s]] for s in P}
    t0 = time.time()
    gm = train_gmm(F["train"][0], F["train"][1], lab["train"], a.gmm_comp, a.seed, a.gmm_frames,
                   a.gmm_iter)
    t_gmm = time.time() - t0
    t0 = time.time()
    net = train_nn(F["train"][0], F["train"][1], lab["train"], (F["dev"][0], F["dev"][1], lab["dev"]),
                   a.epochs, a.seed, a.threads, a.per_epoch)
    t_nn = time.time() - t0
    results = {"corpus": a.corpus, "train_files": len(P["train"]), "dev_files": len(P["dev"]),
               "args": vars(a),
               "nn_params": nn_params(net), "gmm_components": a.gmm_comp,
               "train_seconds": {"gmm": round(t_gmm), "nn": round(t_nn)}, "models": {}}
    for kind, fn in (("gmm", lambda f, v: gmm_file_raw(gm, f, v)), ("lcnn", lambda f, v: nn_file_raw(net, f, v))):
        raw = {}
        for s in F:
            raw[s] = [fn(f, v) for f, v in zip(F[s][0], F[s][1])]
        ok = [i for i, r in enumerate(raw["dev"]) if r is not None]
        ca, cb = calibrate([raw["dev"][i] for i in ok], [lab["dev"][i] for i in ok])
        cal = {s: [None if r is None else ca * r + cb for r in raw[s]] for s in raw}
        thr = threshold_at([cal["dev"][i] for i in ok if lab["dev"][i] == 0])
        name = "aimark-" + kind
        path = os.path.join(a.out, name + ".aimdet")
        size = (export_gmm(gm, path, ca, cb, thr, name) if kind == "gmm"
                else export_nn(net, path, ca, cb, thr, name))
        res = {"blob": path, "bytes": size, "calib": [ca, cb], "threshold": thr, "groups": {}}
        for s in [x for x in ("dev", "eval", "eval_aug") if x in cal]:
            rows = P[s]
            sc = np.array([np.nan if c is None else c for c in cal[s]])
            y = np.array(lab[s])
            good = ~np.isnan(sc)
            bona = good & (y == 0)
            fa = float(np.mean(sc[bona] > thr)) * 100 if bona.any() else float("nan")
            g = {"pooled": {"eer": eer(sc[good], y[good]), "min_dcf": min_dcf(sc[good], y[good]),
                            "n_bona": int(bona.sum()), "n_spoof": int((good & (y == 1)).sum()),
                            "bona_false_alarm_pct": fa, "unscored": int((~good).sum())}}
            for att in sorted({r[2] for r in rows if r[3] == 1}):
                m = good & np.array([r[2] == att for r in rows])
                sel = bona | m
                g[att] = {"eer": eer(sc[sel], y[sel]), "min_dcf": min_dcf(sc[sel], y[sel]),
                          "n_spoof": int(m.sum()),
                          "miss_pct_at_threshold": float(np.mean(sc[m] <= thr)) * 100}
            res["groups"][s] = g
            log("%s %s: pooled EER %.2f%%, minDCF %.3f, bona FA at thr %.2f%%" %
                (kind, s, g["pooled"]["eer"], g["pooled"]["min_dcf"], fa))
        results["models"][kind] = res
    # parity vectors for tests/unit/test_detect_model.c: a fixed dev/eval clip's
    # features through torch / sklearn, in float32
    write_parity(a.tests, F, gm, net)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1, sort_keys=True, default=float)
    with open(os.path.join(a.out, "results.md"), "w") as f:
        f.write(results_md(results))
    log("wrote %s and results.md" % os.path.join(a.out, "results.json"))


def results_md(r):
    """Markdown tables of results.json for docs/DETECTOR.md."""
    out = []
    for kind, m in r["models"].items():
        out.append("**%s** (threshold %.3f, calibration a=%.4f b=%.4f)\n" %
                   (kind, m["threshold"], m["calib"][0], m["calib"][1]))
        out.append("| set | attack | spoof clips | EER % | minDCF | missed at threshold % |")
        out.append("|---|---|---|---|---|---|")
        for s, g in m["groups"].items():
            p = g["pooled"]
            out.append("| %s | **pooled** (%d bona fide; %.2f%% of them flagged) | %d | %.2f | %.3f | |" %
                       (s, p["n_bona"], p["bona_false_alarm_pct"], p["n_spoof"], p["eer"], p["min_dcf"]))
            for att, v in g.items():
                if att != "pooled":
                    out.append("| %s | %s | %d | %.2f | %.3f | %.1f |" %
                               (s, att, v["n_spoof"], v["eer"], v["min_dcf"], v["miss_pct_at_threshold"]))
        out.append("")
    return "\n".join(out) + "\n"


def write_parity(tdir, F, gm, net):
    import torch
    os.makedirs(tdir, exist_ok=True)
    feats, voiced = F["dev"]
    # the longest dev clip up to 4 s, so several windows and a tail are covered
    cand = [i for i in range(len(feats)) if len(feats[i]) <= 320 and voiced[i].sum() >= 60]
    i = max(cand, key=lambda j: len(feats[j]))
    f, v = feats[i].astype(np.float32), voiced[i]
    f.astype("<f4").tofile(os.path.join(tdir, "parity_feat.f32"))
    v.astype(np.uint8).tofile(os.path.join(tdir, "parity_voiced.u8"))
    gl = gmm_frame_llr(gm, f).astype(np.float32)
    gl.astype("<f4").tofile(os.path.join(tdir, "parity_gmm_llr.f32"))
    with torch.no_grad():
        e = net.frames(torch.tensor(f[None]))[0].T.numpy().astype(np.float32)
    e.astype("<f4").tofile(os.path.join(tdir, "parity_nn_emb.f32"))
    wr = []
    with torch.no_grad():
        et = net.frames(torch.tensor(f[None]))
        for a_, b_ in windows(len(f)):
            m = torch.tensor(v[a_:b_].astype(np.float32))
            nnr = float(net.pool_head(et[:, :, a_:b_], m[None])[0]) if m.sum() >= MIN_VOICED else np.nan
            gmr = float(gl[a_:b_][v[a_:b_]].mean()) if v[a_:b_].sum() >= MIN_VOICED else np.nan
            wr.append((a_, b_, gmr, nnr))
    np.array(wr, dtype="<f8").tofile(os.path.join(tdir, "parity_windows.f64"))
    log("parity: clip of %d frames, %d windows" % (len(f), len(wr)))


if __name__ == "__main__":
    main()
