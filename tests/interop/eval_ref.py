#!/usr/bin/env python3
"""Independent reference for tests/interop/test_eval.sh: the ASVspoof 5
evaluation package's EER / minDCF / actDCF / Cllr (calculate_modules.py),
re-expressed in plain Python without numpy, so the suite needs no extra
package. Usage: eval_ref.py PROTOCOL SCORES  -> "eer min_dcf act_dcf cllr"
(EER in percent). Scores: FILE_ID score, higher = bona fide."""
import math
import sys


def det_curve(tar, non):
    # stable sort of (targets..., nontargets...) by score, as np.argsort(kind='mergesort')
    allv = [(s, 1) for s in tar] + [(s, 0) for s in non]
    order = sorted(range(len(allv)), key=lambda i: allv[i][0])
    frr, far, thr = [0.0], [1.0], [allv[order[0]][0] - 0.001]
    t = 0
    for k, i in enumerate(order, 1):
        t += allv[i][1]
        frr.append(t / len(tar))
        far.append((len(non) - (k - t)) / len(non))
        thr.append(allv[i][0])
    return frr, far, thr


def main():
    key = {}
    for line in open(sys.argv[1]):
        f = line.split()
        if f:
            key[f[1]] = f[4]
    tar, non = [], []
    for line in open(sys.argv[2]):
        f = line.split()
        (tar if key[f[0]] == "bonafide" else non).append(float(f[1]))
    frr, far, _ = det_curve(tar, non)
    i = min(range(len(frr)), key=lambda k: abs(frr[k] - far[k]))
    eer = (frr[i] + far[i]) / 2
    ps, cm, cf = 0.05, 1.0, 10.0
    cdef = min(cm * (1 - ps), cf * ps)
    mindcf = min(cm * frr[k] * (1 - ps) + cf * far[k] * ps for k in range(len(frr))) / cdef
    thr = -math.log(cm * (1 - ps) / (cf * ps))
    miss = sum(s < thr for s in tar) / len(tar)
    fa = sum(s >= thr for s in non) / len(non)
    act = (cm * (1 - ps) * miss + cf * ps * fa) / cdef
    nls = lambda x: math.log1p(math.exp(-x))
    cllr = 0.5 * (sum(nls(s) for s in tar) / len(tar) + sum(nls(-s) for s in non) / len(non)) / math.log(2)
    print("%.4f %.5f %.5f %.5f" % (eer * 100, mindcf, act, cllr))


if __name__ == "__main__":
    main()
