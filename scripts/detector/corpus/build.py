#!/usr/bin/python3
"""Build the aimark synthetic-speech corpus from Debian packages.

  /usr/bin/python3 scripts/detector/corpus/build.py --out data/detector [--scale 1] [--jobs 2]

Deterministic (every random choice is seeded from file names) and resumable
(every clip is written to a temporary name and renamed; existing clips are
skipped; protocols and manifest are rewritten at the end from what exists).
See scripts/detector/README.md and docs/EVALUATION.md.
"""
import argparse
import collections
import csv
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import chain  # noqa: E402
import texts  # noqa: E402
import vocoders  # noqa: E402

AST = "/usr/share/asterisk/sounds"
KLETTRES = "/usr/share/klettres"
FILLETS = "/usr/share/games/fillets-ng/sound"
ALSA = "/usr/share/sounds/alsa"

# ---- the splits (documented in docs/EVALUATION.md) --------------------------
# Bona fide: by speaker. Spoof: by engine/vocoder; eval holds engines and
# vocoders that training never saw, plus unseen voices of seen engines.
AST_SPLIT = {"en_US_f_Allison": "train", "es_MX_f_Allison": "train",  # one voice
             "it_IT_m_Carlo": "dev", "fr_CA_f_June": "eval", "ru_RU_f_IvrvoiceRU": "eval"}
KL_SPLIT = {**{l: "train" for l in "ar cs da de en es fr he it".split()},
            **{l: "dev" for l in "hu lt nb ml".split()},
            **{l: "eval" for l in "en_GB nds nl pt_BR ru tn uk".split()}}
FILLETS_SPLIT = {"cs": "train", "nl": "eval"}

# espeak-ng: (voice, text language, split). Variants differ between splits.
ESPEAK = [
    ("en-us+m1", "en", "train"), ("en-us+f2", "en", "train"), ("en+m3", "en", "train"),
    ("es+f1", "es", "train"), ("fr+m2", "fr", "train"), ("it+f3", "it", "train"),
    ("de+klatt", "de", "train"), ("cs+m4", "cs", "train"), ("nl+f4", "nl", "train"),
    ("ru+klatt2", "ru", "train"), ("fi", "fi", "train"), ("pl+m5", "en", "train"),
    ("pt+f5", "en", "train"), ("sv+klatt3", "en", "train"), ("ar+m6", "en", "train"),
    ("da+f1", "en", "train"), ("he+m2", "en", "train"), ("hu+m1", "en", "train"),
    ("en-us+m7", "en", "dev"), ("es+klatt", "es", "dev"), ("it+m1", "it", "dev"),
    ("lt+f2", "en", "dev"), ("nb+m3", "en", "dev"),
    ("en+whisper", "en", "eval"), ("en-us+croak", "en", "eval"), ("fr+klatt4", "fr", "eval"),
    ("ru+f5", "ru", "eval"), ("nl+m8", "nl", "eval"), ("pt-br+klatt5", "en", "eval"),
    ("uk+m6", "en", "eval"), ("en-gb-x-rp+f4", "en", "eval"), ("de+klatt6", "de", "eval"),
]
# festival: (voice function, text language, encoding, attack, split)
FESTIVAL = [
    ("voice_kal_diphone", "en", "latin-1", "festival-diphone", "train"),
    ("voice_lp_diphone", "it", "latin-1", "festival-diphone", "train"),
    ("voice_ked_diphone", "en", "latin-1", "festival-diphone", "dev"),
    ("voice_pc_diphone", "it", "latin-1", "festival-diphone", "dev"),
    ("voice_czech_dita", "cs", "iso-8859-2", "festival-diphone", "eval"),
    ("voice_czech_machac", "cs", "iso-8859-2", "festival-diphone", "eval"),
    ("voice_suo_fi_lj_diphone", "fi", "latin-1", "festival-diphone", "eval"),
    ("voice_cmu_us_slt_arctic_hts", "en", "latin-1", "festival-hts", "eval"),
    ("voice_upc_ca_ona_hts", "ca", "latin-1", "festival-hts", "eval"),
    ("voice_msu_ru_nsh_clunits", "ru", "utf-8", "festival-clunits", "eval"),
]
FLITE = [("kal", "eval"), ("kal16", "eval"), ("awb", "eval"), ("rms", "eval"), ("slt", "eval")]
# vocoder -> splits whose bona fide speakers get vocoded copies
VOCODE = {"gl": ("train", "dev", "eval"), "lpc": ("eval",), "hnm": ("eval",)}
SPLIT_LETTER = {"train": "T", "dev": "D", "eval": "E"}


def h8(s):
    return hashlib.sha256(s.encode()).hexdigest()[:10]


def rng_for(*parts):
    return np.random.default_rng(chain.seed_of(*parts))


def take(items, n, key):
    """A deterministic subset of n items (stable when n grows: a prefix of one
    fixed permutation)."""
    items = sorted(items, key=lambda c: c.src if isinstance(c, Clip) else c)
    if len(items) <= n:
        return items
    perm = rng_for("take", key).permutation(len(items))
    return [items[i] for i in sorted(perm[:n])]


class Clip:
    __slots__ = ("fid", "split", "key", "attack", "speaker", "src", "make", "arg")

    def __init__(self, fid, split, key, attack, speaker, src, make, arg=None):
        self.fid, self.split, self.key, self.attack = fid, split, key, attack
        self.speaker, self.src, self.make, self.arg = speaker, src, make, arg


def plan_bonafide(scale):
    clips = []

    def add(split, spk, path):
        fid = "AIM_%s_%s" % (SPLIT_LETTER[split], h8("bona:" + path))
        clips.append(Clip(fid, split, "bonafide", "-", spk, path, "file"))

    for d, split in AST_SPLIT.items():
        root = os.path.join(AST, d)
        files = [os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs if f.endswith(".wav")]
        spk = "ast-allison" if "Allison" in d else "ast-" + d.split("_")[0] + "-" + d.split("_")[3].lower()
        for p in take(files, int(250 * scale), d):
            add(split, spk, p)
    for lang, split in KL_SPLIT.items():
        root = os.path.join(KLETTRES, lang)
        files = [os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs
                 if f.lower().endswith((".ogg", ".wav"))]
        for p in take(files, int(60 * scale), "kl" + lang):
            add(split, "kl-" + lang, p)
    for lang, split in FILLETS_SPLIT.items():
        files = []
        for dp, _, fs in os.walk(FILLETS):
            if os.path.basename(dp) == lang:
                files += [os.path.join(dp, f) for f in fs if f.endswith(".ogg")]
        for p in take(files, int(400 * scale), "fil" + lang):
            parts = os.path.basename(p).split("-")
            ch = parts[1] if len(parts) > 2 else "x"
            add(split, "fil-%s-%s" % (lang, ch), p)
    if os.path.isdir(ALSA):
        for f in sorted(os.listdir(ALSA)):
            if f.endswith(".wav") and f != "Noise.wav":
                add("eval", "alsa", os.path.join(ALSA, f))
    return clips


def plan_tts(scale):
    clips = []
    prompts = texts.prompt_phrases(AST)
    n = int(40 * scale)

    def add(engine, attack, voice, lang, split, extra=None):
        items = texts.items_for(lang, n, rng_for("text", engine, voice), prompts)
        for i, t in enumerate(items):
            k = "%s:%s:%d:%s" % (engine, voice, i, t)
            fid = "AIM_%s_%s" % (SPLIT_LETTER[split], h8(k))
            clips.append(Clip(fid, split, "spoof", attack, "%s-%s" % (engine, voice.replace("voice_", "")),
                              None, engine, (voice, t, extra)))

    for v, lang, split in ESPEAK:
        add("espeak", "espeak", v, lang, split)
    for v, lang, enc, attack, split in FESTIVAL:
        add("festival", attack, v, lang, split, enc)
    for v, split in FLITE:
        add("flite", "flite", v, "en", split)
    return clips


def plan_vocoded(bona, scale):
    clips = []
    per = {"train": int(300 * scale), "dev": int(100 * scale), "eval": int(150 * scale)}
    for voc, splits in VOCODE.items():
        for split in splits:
            pool = [c for c in bona if c.split == split]
            for c in take(pool, per[split], "voc" + voc + split):
                fid = "AIM_%s_%s" % (SPLIT_LETTER[split], h8("voc:%s:%s" % (voc, c.src)))
                clips.append(Clip(fid, split, "spoof", "voc-" + voc, c.speaker, c.src, "voc", voc))
    return clips


# ---- workers ----------------------------------------------------------------

def raw_tts(c, rawdir):
    """Synthesize one espeak/flite item into rawdir; festival goes in batches."""
    voice, text, _ = c.arg
    out = os.path.join(rawdir, c.fid + ".wav")
    if os.path.exists(out):
        return out
    tmp = out + ".part.wav"
    if c.make == "espeak":
        cmd = ["espeak-ng", "-v", voice, "-w", tmp, text]
    else:
        cmd = ["flite", "-voice", voice, "-t", text, "-o", tmp]
    r = subprocess.run(cmd, capture_output=True)
    if r.returncode != 0 or not os.path.exists(tmp):
        return None
    os.replace(tmp, out)
    return out


def festival_batch(voice, enc, items, rawdir):
    """One festival process per voice (startup dominates per-call synthesis)."""
    todo = [(fid, t) for fid, t in items if not os.path.exists(os.path.join(rawdir, fid + ".wav"))]
    if not todo:
        return
    with tempfile.TemporaryDirectory(prefix="aimfest") as d:
        lines = ["(%s)" % voice]
        for fid, t in todo:
            t = t.replace("\\", " ").replace('"', " ")
            part = os.path.join(d, fid + ".wav")
            lines.append('(utt.save.wave (utt.synth (Utterance Text "%s")) "%s" \'riff)' % (t, part))
        scm = os.path.join(d, "s.scm")
        with open(scm, "wb") as f:
            f.write(("\n".join(lines) + "\n").encode(enc, errors="replace"))
        subprocess.run(["festival", "-b", scm], capture_output=True, timeout=3600)
        for fid, _ in todo:
            part = os.path.join(d, fid + ".wav")
            if os.path.exists(part) and os.path.getsize(part) > 44:
                shutil.move(part, os.path.join(rawdir, fid + ".wav"))


def process(job):
    """Make one corpus clip (clean) from its raw source; returns (fid, ok, dur)."""
    c, out, rawdir = job
    dst = os.path.join(out, "wav", c.fid + ".wav")
    if os.path.exists(dst):
        return c.fid, True, None
    try:
        if c.make == "file":
            x, sr = chain.load(c.src)
        elif c.make == "voc":
            x, sr = chain.load(c.src)
            # vocode the source after the common chain's resampling and band limit,
            # so the vocoder sees exactly what the bona fide clip contains
            x = chain.bandlimit(chain.resample(x, sr, chain.SR))
            x = vocoders.VOCODERS[c.arg](x, chain.seed_of("voc", c.fid))
            sr = chain.SR
        else:
            p = os.path.join(rawdir, c.fid + ".wav")
            if not os.path.exists(p):
                return c.fid, False, None
            x, sr = chain.load(p)
        y = chain.common_chain(x, sr, c.fid)
        if y is None:
            return c.fid, False, None
        chain.write_wav(dst, y)
        return c.fid, True, len(y) / chain.SR
    except Exception as e:  # one bad source file must not stop the build
        print("corpus: %s (%s): %s" % (c.fid, c.src or c.make, e), file=sys.stderr)
        return c.fid, False, None


def augment_job(job):
    fid, kind, out = job
    dst = os.path.join(out, "wav", "%s_%s.wav" % (fid, kind))
    if os.path.exists(dst):
        return fid, kind, True
    src = os.path.join(out, "wav", fid + ".wav")
    try:
        x, sr = chain.load(src)
        y = chain.augment(x, kind, fid)
        if y is None:
            return fid, kind, False
        chain.write_wav(dst, y)
        return fid, kind, True
    except Exception as e:
        print("corpus: augment %s %s: %s" % (fid, kind, e), file=sys.stderr)
        return fid, kind, False


def augment_batch(job):
    """All clips of one (codec, bucket) group through one codec run. The groups
    are fixed by the plan (bucket = first hash digit of the clip id), so a
    resumed build redoes whole groups and gets the same bytes."""
    kind, fids, out = job
    dsts = [os.path.join(out, "wav", "%s_%s.wav" % (f, kind)) for f in fids]
    if all(os.path.exists(d) for d in dsts):
        return [(f, kind, True) for f in fids]
    try:
        xs = [chain.load(os.path.join(out, "wav", f + ".wav"))[0] for f in fids]
        ys = chain.codec_batch(xs, kind)
    except Exception as e:
        print("corpus: augment batch %s (%d clips): %s" % (kind, len(fids), e), file=sys.stderr)
        return [(f, kind, False) for f in fids]
    res = []
    for f, d, y in zip(fids, dsts, ys):
        y = chain.finish_aug(y, f) if y is not None else None
        if y is not None:
            chain.write_wav(d, y)
        res.append((f, kind, y is not None))
    return res


def wav_seconds(path):
    # 16-bit mono 16 kHz with a 44-byte header (written by chain.write_wav)
    return max(0, os.path.getsize(path) - 44) / 2 / chain.SR


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="data/detector")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-augment", action="store_true")
    ap.add_argument("--raw", help="raw TTS cache folder (default OUT/raw)")
    a = ap.parse_args()
    out = a.out
    rawdir = a.raw or os.path.join(out, "raw")
    vfile = os.path.join(out, "chain_version.txt")
    if os.path.exists(vfile) and open(vfile).read().strip() != str(chain.CHAIN_VERSION):
        sys.exit("corpus: %s holds clips of chain version %s, this is version %d: build into a "
                 "new folder (the raw TTS cache can be reused with --raw)"
                 % (out, open(vfile).read().strip(), chain.CHAIN_VERSION))
    if not os.path.exists(vfile) and os.path.isdir(os.path.join(out, "wav")) and \
            os.listdir(os.path.join(out, "wav")):
        sys.exit("corpus: %s/wav holds clips of an older chain version: build into a new folder"
                 % out)
    os.makedirs(out, exist_ok=True)
    with open(vfile, "w") as f:
        f.write("%d\n" % chain.CHAIN_VERSION)
    os.makedirs(rawdir, exist_ok=True)
    os.makedirs(os.path.join(out, "wav"), exist_ok=True)
    t0 = time.time()

    bona = plan_bonafide(a.scale)
    tts = plan_tts(a.scale)
    voc = plan_vocoded(bona, a.scale)
    print("corpus: plan %d bona fide, %d TTS, %d vocoded" % (len(bona), len(tts), len(voc)), flush=True)

    with Pool(a.jobs) as pool:
        # 1. raw TTS: espeak/flite one call per item; festival one process per voice
        pool.starmap(raw_tts, [(c, rawdir) for c in tts if c.make != "festival"], chunksize=16)
        fest = collections.defaultdict(list)
        for c in tts:
            if c.make == "festival":
                fest[(c.arg[0], c.arg[2])].append((c.fid, c.arg[1]))
        pool.starmap(festival_batch, [(v, enc, items, rawdir) for (v, enc), items in fest.items()])
        print("corpus: raw TTS done (%.0f s)" % (time.time() - t0), flush=True)
        # 2. the common chain for everything
        allc = bona + tts + voc
        res = pool.map(process, [(c, out, rawdir) for c in allc], chunksize=8)
        ok = {fid for fid, good, _ in res if good}
        print("corpus: %d/%d clips ready (%.0f s)" % (len(ok), len(allc), time.time() - t0), flush=True)
        # 3. augmentation: each clip gets one degraded copy, the kind chosen by a
        # seeded draw, so both classes get the same mix of codecs and noise
        aug = []
        if not a.no_augment:
            for c in allc:
                if c.fid in ok:
                    k = chain.AUGS[rng_for("aug", c.fid).integers(len(chain.AUGS))]
                    aug.append((c.fid, k, out))
        noise = [j for j in aug if j[1] == "noise"]
        groups = collections.defaultdict(list)
        for fid, k, _ in aug:
            if k != "noise":
                groups[(k, fid.split("_")[2][0])].append(fid)
        batches = [(k, sorted(f), out) for (k, _), f in sorted(groups.items())]
        ares = pool.map(augment_job, noise, chunksize=8)
        for r in pool.imap_unordered(augment_batch, batches):
            ares += r
        print("corpus: %d augmented copies (%.0f s)" % (sum(1 for r in ares if r[2]), time.time() - t0),
              flush=True)
    augok = {(f, k) for f, k, good in ares if good}

    # 4. protocols + manifest, from what exists
    pdir = os.path.join(out, "protocols")
    os.makedirs(pdir, exist_ok=True)
    rows = []
    for c in allc:
        if c.fid not in ok:
            continue
        rows.append((c, c.fid, "clean"))
        k = chain.AUGS[rng_for("aug", c.fid).integers(len(chain.AUGS))]
        if (c.fid, k) in augok:
            rows.append((c, "%s_%s" % (c.fid, k), k))
    files = {"train": [], "dev": [], "eval": [], "eval_aug": []}
    for c, fid, cond in rows:
        line = "%s %s - %s %s" % (c.speaker, fid, c.attack, c.key)
        if c.split == "eval":
            files["eval" if cond == "clean" else "eval_aug"].append(line)
        else:
            files[c.split].append(line)
    for name, lines in files.items():
        tmp = os.path.join(pdir, name + ".txt.part")
        with open(tmp, "w") as f:
            f.write("".join(l + "\n" for l in sorted(lines)))
        os.replace(tmp, os.path.join(pdir, name + ".txt"))

    groups = collections.defaultdict(lambda: [0, 0.0])
    man = os.path.join(out, "manifest.csv")
    with open(man + ".part", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file_id", "split", "key", "attack", "speaker", "condition", "seconds", "source"])
        for c, fid, cond in rows:
            sec = wav_seconds(os.path.join(out, "wav", fid + ".wav"))
            src = c.src or "%s:%s:%s" % (c.make, c.arg[0], c.arg[1])
            if c.make == "voc":
                src = "%s:%s" % (c.arg, c.src)
            w.writerow([fid, c.split, c.key, c.attack, c.speaker, cond, "%.3f" % sec, src])
            g = groups[(c.split, c.attack, "clean" if cond == "clean" else "aug")]
            g[0] += 1
            g[1] += sec
    os.replace(man + ".part", man)
    with open(os.path.join(out, "summary.txt.part"), "w") as f:
        f.write("%-6s %-18s %-5s %7s %7s\n" % ("split", "attack", "cond", "clips", "hours"))
        for (s, at, cond), (n, sec) in sorted(groups.items()):
            f.write("%-6s %-18s %-5s %7d %7.3f\n" % (s, at, cond, n, sec / 3600))
        tot = sum(v[0] for v in groups.values())
        hrs = sum(v[1] for v in groups.values()) / 3600
        f.write("total %d clips, %.2f hours; built in %.0f s (scale %g)\n" % (tot, hrs, time.time() - t0, a.scale))
    os.replace(os.path.join(out, "summary.txt.part"), os.path.join(out, "summary.txt"))
    print(open(os.path.join(out, "summary.txt")).read(), end="")


if __name__ == "__main__":
    main()
