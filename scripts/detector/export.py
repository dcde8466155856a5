#!/usr/bin/python3
"""Write aimark detector model blobs (format: src/detect/model.h, docs/DETECTOR.md).

Used by train.py; also `export.py check FILE` prints a blob's header and
tensor table, and `export.py corrupt IN OUTDIR` writes damaged variants for
the fuzz corpus.
"""
import struct
import sys
import zlib

import numpy as np

MAGIC = b"AIMDETM\0"
FORMAT_VERSION = 1
TYPE_GMM, TYPE_NN = 1, 2
HEADER, ENTRY = 80, 52


def write_blob(path, mtype, name, mversion, calib_a, calib_b, threshold, tensors, frontend=0):
    """tensors: list of (name, ndarray float32 or int32); frontend: 0 LFCC of the
    raw 16 kHz input, 1 conditioned first (src/detect/cond.h)."""
    assert len(name) < 32 and name.isascii()
    n = len(tensors)
    off = HEADER + ENTRY * n
    table, data = b"", b""
    for tname, arr in tensors:
        arr = np.ascontiguousarray(arr)
        if arr.dtype.kind == "f":
            dtype, raw = 0, arr.astype("<f4").tobytes()
        else:
            dtype, raw = 1, arr.astype("<i4").tobytes()
        dims = list(arr.shape) + [1] * (4 - arr.ndim)
        assert 1 <= arr.ndim <= 4 and len(tname) < 16
        table += struct.pack("<16sII4IIII", tname.encode(), dtype, arr.ndim, *dims,
                             off + len(data), len(raw), zlib.crc32(raw) & 0xFFFFFFFF)
        data += raw
    total = off + len(data) + 4
    head = MAGIC + struct.pack("<IIII32sIfffII", FORMAT_VERSION, mtype, n, total,
                               name.encode(), mversion, calib_a, calib_b, threshold, frontend, 0)
    assert len(head) == HEADER
    body = head + table + data
    body += struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)
    with open(path + ".part", "wb") as f:
        f.write(body)
    import os
    os.replace(path + ".part", path)
    return len(body)


def read_blob(path):
    b = open(path, "rb").read()
    assert b[:8] == MAGIC, "not a model blob"
    ver, mtype, n, total = struct.unpack_from("<IIII", b, 8)
    name = b[24:56].split(b"\0")[0].decode()
    mver, a, c, thr = struct.unpack_from("<Ifff", b, 56)
    out = {"type": mtype, "name": name, "version": mver, "calib": (a, c), "threshold": thr,
           "tensors": {}}
    for i in range(n):
        e = struct.unpack_from("<16sII4IIII", b, HEADER + ENTRY * i)
        tname = e[0].split(b"\0")[0].decode()
        dims = e[3:3 + e[2]]
        arr = np.frombuffer(b, dtype="<f4" if e[1] == 0 else "<i4", count=int(np.prod(dims)),
                            offset=e[7]).reshape(dims)
        out["tensors"][tname] = arr
    return out


def corrupt(src, outdir):
    """Damaged variants of a valid blob: each must be rejected, none may crash."""
    import os
    os.makedirs(outdir, exist_ok=True)
    b = bytearray(open(src, "rb").read())
    variants = {
        "truncated": b[: len(b) // 2],
        "header-only": b[:HEADER],
        "bad-magic": b"X" + b[1:],
        "bad-crc": b[:-1] + bytes([b[-1] ^ 1]),
        "flip-data": b[:200] + bytes([b[200] ^ 0x40]) + b[201:],
    }
    for k, v in variants.items():
        open(os.path.join(outdir, k + ".bin"), "wb").write(bytes(v))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "check":
        m = read_blob(sys.argv[2])
        print(m["name"], m["version"], "type", m["type"], "calib", m["calib"], "thr", m["threshold"])
        for k, v in m["tensors"].items():
            print("  %-16s %s" % (k, v.shape))
    elif len(sys.argv) == 4 and sys.argv[1] == "corrupt":
        corrupt(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
