#!/usr/bin/env python3
"""Dump the output of every native kernel, and compare two dumps bit for bit.

A refactor of the C kernels must not change one bit of any result. This tool runs every
entry point of fastconv._cpu (gemm; conv2d forward, data, weight and bias gradients on
each path: direct, blocked stride 2, Winograd, implicit GEMM, the fused conv + ReLU +
2x2 pool; max_pool2d, the 2x2 pool and its ReLU backward; relu; the SGD update; cross
entropy) over the geometries of the tests and of `fastconv bench`, in float32 and
float64, under every instruction-set cap the CPU allows (generic, avx2, avx512), with
the direct kernels on, off and forced, and Winograd on and off. Each configuration runs
in its own interpreter with the environment set both ways (FASTCONV_ISA of the current
build and the variables the old build read: FASTCONV_GEMM_KERNEL, FASTCONV_POOL_KERNEL,
FASTCONV_CONV_DIRECT), so one tool dumps the builds before and after the refactor.

    python tools/check_bitwise.py --out /tmp/bitwise-before.npz [--build /tmp/fc-before]
    python tools/check_bitwise.py --compare /tmp/bitwise-before.npz /tmp/bitwise-after.npz

The dump holds, for every output, a hash per 4096-element chunk and, for outputs up to
65536 elements, the array itself (whole dumps of the bench layers would take gigabytes).
--compare reports missing outputs and every output whose bytes differ (elements that
differ and the largest difference where the arrays are stored, else chunks that
differ); it exits 1 on any difference.
"""
import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import zlib

import numpy as np

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHUNK = 4096
STORE_MAX = 1 << 16
DTYPES = (np.float32, np.float64)
NTHREADS = 2

# ------------------------------------------------------------------ geometries

# (n, c_in, c_out, h, w, (kh, kw), stride, padding, dilation, groups), as tests/ops write
# them; copied here (not imported) so that every dump runs the very same set.
CONV_CASES = [
    # tests/ops/test_conv.py
    (1, 1, 1, 5, 5, (3, 3), 1, 0, 1, 1), (2, 3, 4, 7, 9, (3, 3), 1, 1, 1, 1),
    (2, 3, 5, 8, 11, (2, 3), (3, 4), 0, 1, 1), (1, 2, 3, 10, 9, (3, 3), (2, 1), (1, 0), (2, 1), 1),
    (2, 4, 6, 7, 8, (3, 3), 1, 1, 1, 2), (2, 5, 5, 6, 7, (3, 3), 1, 1, 1, 5),
    (1, 3, 6, 6, 6, (3, 3), 2, 1, 1, 3), (2, 3, 4, 7, 8, (4, 2), 1, "same", 1, 1),
    (1, 2, 3, 9, 8, (3, 4), 1, "same", (2, 3), 1), (2, 2, 3, 6, 7, (3, 3), 1, "valid", 1, 1),
    (2, 6, 4, 5, 5, (1, 1), 1, 0, 1, 1), (1, 4, 3, 6, 6, (1, 1), 2, 0, 1, 1),
    (1, 4, 3, 5, 6, (1, 1), 1, 1, 1, 1), (1, 2, 2, 4, 5, (3, 3), 1, 3, 1, 1),
    (2, 3, 2, 5, 6, (5, 5), 1, 2, 1, 1), (1, 7, 20, 6, 5, (3, 3), 1, 1, 1, 1),
    (3, 1, 1, 1, 1, (1, 1), 1, 0, 1, 1), (1, 1, 2, 4, 4, (4, 4), 1, 0, 1, 1),
    (2, 2, 3, 3, 3, (3, 3), 2, 2, 1, 1), (1, 4, 4, 9, 10, (3, 3), (2, 3), (1, 2), (2, 2), 2),
    (1, 2, 3, 5, 5, (2, 2), 1, (0, 3), 1, 1), (1, 32, 8, 5, 6, (3, 3), 1, 1, 1, 1),
    (1, 3, 150, 4, 4, (3, 3), 1, 1, 1, 1), (1, 2, 3, 40, 3, (3, 3), (1, 1), (1, 1), 1, 1),
    (1, 2, 3, 5, 4, (2, 3), 1, (30, 40), (60, 40), 1),
    # tests/ops/test_conv_winograd.py
    (2, 32, 32, 16, 16, (3, 3), 1, 1, 1, 1), (2, 33, 37, 17, 19, (3, 3), 1, 1, 1, 1),
    (2, 40, 36, 18, 19, (3, 3), 1, 0, 1, 1), (1, 48, 32, 17, 19, (3, 3), 1, 2, 1, 1),
    (1, 32, 65, 16, 18, (3, 3), 1, (1, 0), 1, 1), (2, 36, 34, 17, 16, (3, 3), 1, "same", 1, 1),
    (4, 48, 40, 30, 29, (3, 3), 1, 1, 1, 1), (2, 32, 36, 9, 11, (3, 3), 1, 1, 1, 1),
    # tests/ops/test_conv_strided.py
    (3, 5, 7, 28, 29, (3, 3), 2, 1, 1, 1), (2, 4, 13, 23, 40, (3, 3), 2, 0, 1, 1),
    (2, 6, 9, 17, 19, (5, 3), (2, 3), (2, 1), (1, 2), 3),
    (2, 3, 4, 21, 22, (3, 4), (3, 2), (0, 3), (2, 1), 1), (1, 8, 8, 30, 31, (3, 3), 4, 2, 3, 2),
    (2, 4, 6, 26, 25, (1, 1), 2, 0, 1, 1), (2, 4, 6, 20, 21, (2, 2), 2, 0, 1, 2),
    (1, 3, 5, 27, 26, (4, 4), 2, 3, 1, 1), (2, 4, 5, 31, 33, (3, 3), 5, 1, 1, 1),
    (8, 16, 24, 30, 30, (3, 3), 2, 1, 1, 1), (4, 10, 14, 21, 19, (3, 3), 2, 1, 1, 2),
    (3, 9, 26, 25, 23, (3, 3), 3, (1, 2), 1, 1), (2, 12, 30, 28, 27, (5, 5), 2, 2, 1, 3),
    # tests/ops/test_conv_dgrad_rows.py
    (3, 6, 16, 14, 14, (5, 5), 1, 0, 1, 1), (2, 4, 5, 9, 11, (3, 3), 1, 4, 1, 1),
    (2, 4, 4, 7, 7, (3, 3), 1, (5, 1), 2, 2), (1, 3, 2, 5, 6, (2, 4), 1, (3, 3), 1, 1),
    (2, 3, 3, 6, 5, (5, 1), 1, (6, 0), 1, 1), (1, 2, 3, 20, 3, (7, 3), 1, (2, 1), (2, 1), 1),
    (2, 20, 24, 14, 14, (5, 5), 1, 0, 1, 1),
    # tests/ops/test_conv_wgrad_direct.py
    (64, 1, 6, 28, 28, (5, 5), 1, 2, 1, 1), (3, 1, 7, 9, 8, (3, 3), 1, 0, 1, 1),
    (5, 2, 7, 9, 13, (3, 3), 1, 1, 1, 1), (17, 3, 5, 12, 9, (3, 3), 1, (1, 2), 1, 1),
    (7, 4, 6, 12, 11, (3, 3), 1, 1, 1, 2), (33, 2, 5, 9, 9, (2, 4), 1, (1, 0), 1, 1),
    (4, 1, 3, 10, 20, (1, 7), 1, (0, 3), 1, 1),
    # tests/ops/test_conv_direct.py: wide channels, few taps, fused pool, row-vectorised,
    # padded and strided, channel-blocked stride 2, not covered, blocked weight gradient
    (2, 3, 32, 9, 30, (3, 3), 1, 0, 1, 1), (1, 2, 16, 3, 17, (3, 4), 1, 0, 1, 1),
    (2, 1, 32, 7, 13, (3, 5), 1, 0, 1, 1), (2, 4, 16, 6, 6, (2, 2), 1, 0, 1, 1),
    (1, 3, 32, 7, 9, (5, 5), 1, 0, 1, 1), (5, 2, 16, 5, 4, (3, 3), 1, 0, 1, 1),
    (3, 1, 6, 28, 28, (5, 5), 1, 2, 1, 1), (2, 1, 4, 9, 17, (3, 3), 1, 1, 1, 1),
    (2, 2, 7, 12, 33, (3, 3), 1, 0, 1, 1), (1, 1, 1, 10, 12, (3, 7), 1, 1, 1, 1),
    (2, 3, 5, 16, 24, (3, 3), 1, 1, 1, 1),
    (1, 2, 16, 5, 17, (3, 4), 1, 0, 1, 1), (2, 4, 16, 8, 15, (3, 3), 1, 0, 1, 1),
    (1, 2, 32, 4, 4, (3, 3), 1, 0, 1, 1), (2, 3, 16, 11, 30, (3, 3), 1, 0, 1, 1),
    (2, 2, 4, 9, 13, (3, 3), 1, 1, 1, 1), (1, 3, 5, 7, 20, (3, 3), 1, 0, 1, 1),
    (2, 1, 1, 6, 31, (2, 3), 1, (1, 2), 1, 1), (1, 2, 3, 5, 5, (3, 3), 1, 2, 1, 1),
    (2, 5, 16, 9, 13, (3, 3), 2, 1, 1, 1), (1, 4, 32, 11, 7, (3, 3), 2, 2, 1, 1),
    (2, 3, 48, 10, 12, (5, 5), 2, 2, 1, 1), (2, 6, 256, 13, 17, (3, 3), 2, 1, 1, 1),
    (1, 2, 16, 12, 30, (3, 3), 2, 0, 1, 1), (2, 3, 16, 9, 9, (3, 3), 2, (2, 0), 1, 1),
    (1, 2, 32, 3, 3, (3, 3), 2, 1, 1, 1), (2, 5, 16, 9, 13, (3, 3), 1, 1, 1, 1),
    (1, 4, 32, 11, 7, (5, 5), 1, 2, 1, 1), (1, 3, 16, 8, 10, (4, 4), 1, "same", 1, 1),
    (2, 3, 48, 29, 27, (3, 3), 1, (0, 1), 1, 1),
    (2, 16, 32, 9, 13, (3, 3), 2, 1, 1, 1), (1, 32, 64, 11, 31, (3, 3), 2, 2, 1, 1),
    (2, 16, 256, 29, 29, (3, 3), 2, 1, 1, 1), (1, 16, 32, 3, 3, (3, 3), 2, 1, 1, 1),
    (2, 48, 32, 10, 8, (3, 3), 2, 0, 1, 1), (1, 16, 64, 9, 9, (3, 3), 2, (2, 0), 1, 1),
    (2, 16, 48, 9, 13, (3, 3), 2, 1, 1, 1), (1, 32, 80, 11, 31, (3, 3), 2, 2, 1, 1),
    (1, 3, 16, 11, 11, (3, 3), 3, 1, 1, 1), (1, 3, 16, 11, 11, (3, 3), (2, 1), 1, 1, 1),
    (1, 3, 24, 11, 11, (3, 3), 2, 1, 1, 1), (1, 3, 16, 11, 11, (3, 3), 2, 3, 1, 1),
    (1, 3, 16, 11, 11, (3, 3), 2, 1, 2, 1), (1, 4, 32, 11, 11, (3, 3), 2, 1, 1, 2),
    (1, 3, 16, 11, 11, (2, 2), 2, 1, 1, 1),
    (3, 16, 14, 9, 13, (3, 3), 2, 1, 1, 1), (2, 32, 28, 11, 12, (3, 3), 2, 2, 1, 1),
    (5, 48, 18, 7, 7, (3, 3), 2, 0, 1, 1), (1, 16, 4, 3, 3, (3, 3), 2, 1, 1, 1),
    (3, 16, 256, 28, 28, (3, 3), 2, 1, 1, 1), (2, 32, 30, 9, 11, (3, 3), 2, (2, 0), 1, 1),
    (2, 64, 32, 9, 9, (3, 3), 1, 1, 1, 1), (2, 64, 32, 9, 9, (3, 3), 2, 1, 1, 1),
    (2, 32, 28, 48, 48, (3, 3), 2, 1, 1, 1),
    # fastconv bench: its layers, LeNet-5 at batch 64 and 256, the small VGG at batch 64
    (64, 1, 6, 28, 28, (5, 5), 1, 2, 1, 1), (64, 6, 16, 14, 14, (5, 5), 1, 0, 1, 1),
    (32, 64, 64, 32, 32, (3, 3), 1, 1, 1, 1), (32, 128, 128, 16, 16, (3, 3), 1, 1, 1, 1),
    (8, 64, 64, 56, 56, (3, 3), 1, 1, 1, 1), (8, 256, 64, 56, 56, (1, 1), 1, 0, 1, 1),
    (8, 128, 256, 28, 28, (3, 3), 2, 1, 1, 1),
    (256, 1, 6, 28, 28, (5, 5), 1, 2, 1, 1), (256, 6, 16, 14, 14, (5, 5), 1, 0, 1, 1),
    (64, 3, 32, 32, 32, (3, 3), 1, 1, 1, 1), (64, 32, 32, 32, 32, (3, 3), 1, 1, 1, 1),
    (64, 32, 64, 16, 16, (3, 3), 1, 1, 1, 1), (64, 64, 64, 16, 16, (3, 3), 1, 1, 1, 1),
    (64, 64, 128, 8, 8, (3, 3), 1, 1, 1, 1),
]

# (x shape, kernel, stride, padding, dilation, ceil_mode): tests/ops/test_pool.py, then
# the pools of LeNet-5 and the small VGG
POOL_CASES = [
    ((2, 3, 8, 8), 2, None, 0, 1, False), ((2, 3, 7, 9), 2, None, 0, 1, False),
    ((2, 3, 7, 9), 2, None, 0, 1, True), ((1, 1, 5, 6), 2, 2, 1, 1, False),
    ((2, 2, 9, 8), 3, 2, 1, 1, True), ((1, 2, 9, 10), 2, 3, 0, 1, False),
    ((1, 2, 10, 9), (3, 2), (1, 2), (1, 1), 1, False), ((2, 2, 9, 9), 3, None, 0, 2, False),
    ((1, 2, 9, 8), (2, 3), 2, (1, 1), (2, 1), True), ((3, 1, 5, 5), 5, None, 0, 1, False),
    ((2, 1, 6, 6), 4, 1, 2, 1, False), ((1, 1, 1, 1), 1, None, 0, 1, False),
    ((2, 3, 11, 37), 3, 2, 1, 1, False), ((1, 2, 9, 40), 3, 1, 1, 1, False),
    ((1, 1, 9, 13), 3, 1, 1, 1, False), ((1, 2, 12, 29), (3, 2), (1, 2), (1, 1), 1, False),
    ((1, 2, 10, 45), 3, 1, 0, 2, False), ((1, 2, 11, 44), (2, 3), 2, (1, 1), (2, 1), True),
    ((1, 1, 6, 40), 7, 1, 3, 1, False), ((1, 1, 5, 60), (1, 4), (1, 3), 0, 1, False),
    ((64, 6, 28, 28), 2, None, 0, 1, False), ((64, 16, 10, 10), 2, None, 0, 1, False),
    ((64, 32, 32, 32), 2, None, 0, 1, False), ((64, 128, 8, 8), 2, None, 0, 1, False),
]
POOL_VALUES = ["normal", "ties", "nan", "inf", "neginf"]
# tests/ops/test_pool2x2.py, then the pools of LeNet-5 and the small VGG
POOL2X2_SHAPES = [(2, 3, 8, 8), (2, 3, 7, 9), (1, 1, 2, 2), (1, 2, 3, 2), (2, 2, 5, 70),
                  (1, 2, 4, 33), (1, 1, 6, 64), (3, 6, 28, 28), (3, 16, 10, 10),
                  (64, 6, 28, 28), (64, 16, 10, 10), (64, 32, 32, 32), (64, 64, 16, 16),
                  (64, 128, 8, 8)]
# (m, n, k): tests/ops/test_gemm.py, the linear layers of LeNet-5 and the small VGG
# (forward, data and weight gradients at batch 64 and 256) and the bench's peak
GEMM_SIZES = [(1, 1, 1), (1, 17, 5), (13, 1, 7), (5, 9, 1), (6, 16, 8), (7, 17, 33),
              (25, 31, 19), (12, 48, 260), (300, 257, 129), (23, 37, 300), (7, 19, 5),
              (64, 70, 300), (150, 120, 130), (100, 70, 300)]
GEMM_LAYERS = [(400, 120), (120, 84), (84, 10), (2048, 10)]
RELU_SIZES = [1, 7, 15, 120, 65536, 100_003, 64 * 6 * 28 * 28]
SGD_SIZES = [1, 7, 150, 2416, 48_120, 100_003]
CE_SHAPES = [(1, 1), (1, 10), (5, 10), (64, 10), (256, 10), (3, 1000)]


def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def conv_geometry(case):
    """(geom tuple of fastconv._cpu, x shape, w shape, y shape) of a conv case."""
    n, ci, co, h, w, k, s, p, d, g = case
    kh, kw = k
    sh, sw = _pair(s)
    dh, dw = _pair(d)
    if p == "valid":
        top = bottom = left = right = 0
    elif p == "same":
        th, tw = dh * (kh - 1), dw * (kw - 1)
        top, bottom, left, right = th // 2, th - th // 2, tw // 2, tw - tw // 2
    else:
        top, left = _pair(p)
        bottom, right = top, left
    oh = (h + top + bottom - dh * (kh - 1) - 1) // sh + 1
    ow = (w + left + right - dw * (kw - 1) - 1) // sw + 1
    geom = (n, ci, h, w, co, kh, kw, oh, ow, sh, sw, top, left, dh, dw, g)
    return geom, (n, ci, h, w), (co, ci // g, kh, kw), (n, co, oh, ow)


def pool_geometry(case):
    """(geom tuple of fastconv._cpu, y shape) of a pool case, PyTorch's output size."""
    shape, k, s, p, d, ceil = case
    n, c, h, w = shape
    kh, kw = _pair(k)
    sh, sw = _pair(s if s is not None else k)
    ph, pw = _pair(p)
    dh, dw = _pair(d)

    def out(size, kk, ss, pp, dd):
        span = size + 2 * pp - dd * (kk - 1) - 1
        o = (-(-span // ss) if ceil else span // ss) + 1
        if ceil and (o - 1) * ss >= size + pp:
            o -= 1
        return o

    oh, ow = out(h, kh, sh, ph, dh), out(w, kw, sw, pw, dw)
    return (n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw), (n, c, oh, ow)


def _rng(*key):
    return np.random.default_rng(zlib.crc32(repr(key).encode()))


def _pool_input(rng, shape, values, dtype):
    """The inputs of tests/ops/test_pool.py's _input."""
    if values == "ties":
        return rng.integers(0, 3, size=shape).astype(dtype)
    x = rng.standard_normal(shape).astype(dtype)
    if values == "nan":
        x.reshape(-1)[rng.integers(0, x.size, size=max(1, x.size // 5))] = np.nan
    elif values == "inf":
        x.reshape(-1)[::3] = -np.inf
        x.reshape(-1)[1::7] = np.inf
    elif values == "neginf":
        x[...] = -np.inf
        x.reshape(-1)[rng.integers(0, x.size, size=max(1, x.size // 10))] = 1.0
    return x


# ------------------------------------------------------------------ one configuration

class Recorder:
    """Collects the outputs of one configuration under keys prefix|name."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.out = {}

    def __call__(self, name, a):
        a = np.ascontiguousarray(np.asarray(a))
        key = "%s|%s" % (self.prefix, name)
        raw = a.view(np.uint8).reshape(-1) if a.size else np.zeros(0, np.uint8)
        step = CHUNK * a.itemsize
        self.out[key + "|hash"] = np.array(
            [int.from_bytes(hashlib.blake2b(raw[i:i + step].tobytes(), digest_size=8)
                            .digest(), "little") for i in range(0, max(len(raw), 1), step)],
            dtype=np.uint64)
        self.out[key + "|meta"] = np.array("%s %s" % (a.dtype.str, a.shape))
        if a.size <= STORE_MAX:
            self.out[key + "|data"] = a


def run_conv(_cpu, rec, dtypes, fused_too=True, only_forward_weight=False):
    """conv2d forward (bias, no ReLU; no bias, ReLU), data, weight and bias gradients and
    the fused conv + ReLU + 2x2 pool of every conv case."""
    for case in CONV_CASES:
        geom, xs, ws, ys = conv_geometry(case)
        cid = "conv" + repr(case).replace(" ", "")
        for dtype in dtypes:
            dt = np.dtype(dtype).name
            rng = _rng(cid, dt)
            x = rng.standard_normal(xs).astype(dtype)
            w = rng.standard_normal(ws).astype(dtype)
            b = rng.standard_normal(ws[0]).astype(dtype)
            dy = rng.standard_normal(ys).astype(dtype)
            y = np.empty(ys, dtype)
            rec("%s|%s|forward_bias" % (cid, dt),
                _cpu.conv2d_forward(geom, x, w, b, y, False, NTHREADS))
            rec("%s|%s|forward_relu" % (cid, dt),
                _cpu.conv2d_forward(geom, x, w, None, np.empty(ys, dtype), True, NTHREADS))
            rec("%s|%s|weight" % (cid, dt),
                _cpu.conv2d_backward_weight(geom, x, dy, np.empty(ws, dtype), NTHREADS))
            if fused_too:
                ps = ys[:2] + (ys[2] // 2, ys[3] // 2)
                pooled = np.zeros(ps, dtype)
                pos = np.zeros(ps, np.uint8)
                done = ys[2] >= 2 and ys[3] >= 2 and _cpu.conv2d_relu_max_pool2x2(
                    geom, x, w, b, pooled, pos, NTHREADS)
                rec("%s|%s|fused_ran" % (cid, dt), np.array(bool(done)))
                if done:
                    rec("%s|%s|fused_pooled" % (cid, dt), pooled)
                    rec("%s|%s|fused_pos" % (cid, dt), pos)
            if only_forward_weight:
                continue
            rec("%s|%s|data" % (cid, dt),
                _cpu.conv2d_backward_data(geom, dy, w, np.empty(xs, dtype), NTHREADS))
            rec("%s|%s|bias" % (cid, dt),
                _cpu.conv2d_backward_bias(geom, dy, np.empty(ws[0], dtype), NTHREADS))


def run_gemm(_cpu, rec):
    sizes = [(m, n, k, ta, tb) for m, n, k in GEMM_SIZES for ta in (0, 1) for tb in (0, 1)]
    for i, o in GEMM_LAYERS:
        for batch in (64, 256):
            sizes += [(batch, o, i, 0, 1), (batch, i, o, 0, 0), (o, i, batch, 1, 0)]
    for m, n, k, ta, tb in sizes:
        for dtype in DTYPES:
            dt = np.dtype(dtype).name
            for alpha, beta in ((1.0, 0.0), (2.5, 0.0), (-0.5, 0.75), (1.0, 1.0)):
                key = "gemm(%d,%d,%d,%d,%d,%g,%g)|%s" % (m, n, k, ta, tb, alpha, beta, dt)
                rng = _rng(key)
                a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
                b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
                c = rng.standard_normal((m, n)).astype(dtype)
                rec(key, _cpu.gemm(bool(ta), bool(tb), a, b, c, alpha, beta, NTHREADS))
    # the bench's peak problem, float32 only (as the bench runs it)
    rng = _rng("gemm2048")
    a, b = (rng.standard_normal((2048, 2048), dtype=np.float32) for _ in range(2))
    c = np.empty((2048, 2048), np.float32)
    rec("gemm(2048,2048,2048,0,0,1,0)|float32",
        _cpu.gemm(False, False, a, b, c, 1.0, 0.0, NTHREADS))


def run_pools(_cpu, rec):
    for case in POOL_CASES:
        geom, ys = pool_geometry(case)
        cid = "pool" + repr(case).replace(" ", "")
        for dtype in DTYPES:
            dt = np.dtype(dtype).name
            for values in POOL_VALUES:
                rng = _rng(cid, dt, values)
                x = _pool_input(rng, case[0], values, dtype)
                y = np.empty(ys, dtype)
                idx = np.empty(ys, np.int64)
                _cpu.max_pool2d_forward(geom, x, y, idx, NTHREADS)
                rec("%s|%s|%s|y" % (cid, dt, values), y)
                rec("%s|%s|%s|idx" % (cid, dt, values), idx)
                rec("%s|%s|%s|y_noidx" % (cid, dt, values),
                    _cpu.max_pool2d_forward(geom, x, np.empty(ys, dtype), None, NTHREADS))
                dy = rng.standard_normal(ys).astype(dtype)
                rec("%s|%s|%s|dx" % (cid, dt, values),
                    _cpu.max_pool2d_backward(geom, dy, idx, np.empty(x.shape, dtype),
                                             NTHREADS))
    for shape in POOL2X2_SHAPES:
        n, c, h, w = shape
        geom = (n, c, h, w, h // 2, w // 2, 2, 2, 2, 2, 0, 0, 1, 1)
        ys = (n, c, h // 2, w // 2)
        cid = "pool2x2" + repr(shape).replace(" ", "")
        for dtype in DTYPES:
            dt = np.dtype(dtype).name
            for values in POOL_VALUES:
                rng = _rng(cid, dt, values)
                x = _pool_input(rng, shape, values, dtype)
                x = np.where(x < -0.5, dtype(0), x).astype(dtype)   # a ReLU'd conv output
                x.reshape(-1)[::11] = -0.0
                y = np.empty(ys, dtype)
                pos = np.empty(ys, np.uint8)
                _cpu.max_pool2x2_forward(geom, x, y, pos, NTHREADS)
                rec("%s|%s|%s|y" % (cid, dt, values), y)
                rec("%s|%s|%s|pos" % (cid, dt, values), pos)
                dy = rng.standard_normal(ys).astype(dtype)
                dy.reshape(-1)[::3] = -0.0
                dy.reshape(-1)[1::13] = np.nan
                rec("%s|%s|%s|dx" % (cid, dt, values),
                    _cpu.max_pool2x2_relu_backward(geom, dy, y, pos,
                                                   np.empty(shape, dtype), NTHREADS))


def run_elementwise(_cpu, rec):
    for size in RELU_SIZES:
        for dtype in DTYPES:
            dt = np.dtype(dtype).name
            rng = _rng("relu", size, dt)
            x = rng.standard_normal(size).astype(dtype)
            x[::13] = np.nan
            x[1::7] = -0.0
            y = _cpu.relu_forward(x, np.empty(size, dtype), NTHREADS)
            rec("relu(%d)|%s|y" % (size, dt), y)
            dy = rng.standard_normal(size).astype(dtype)
            rec("relu(%d)|%s|dx" % (size, dt),
                _cpu.relu_backward(dy, y, np.empty(size, dtype), NTHREADS))
    for size in SGD_SIZES:
        for dtype in DTYPES:
            dt = np.dtype(dtype).name
            for momentum, first in ((0.0, False), (0.9, True), (0.9, False)):
                rng = _rng("sgd", size, dt, momentum, first)
                p = rng.standard_normal(size).astype(dtype)
                g = rng.standard_normal(size).astype(dtype)
                buf = rng.standard_normal(size).astype(dtype) if momentum else None
                _cpu.sgd_update(p, g, buf, 0.01, momentum, first)
                key = "sgd(%d,%g,%d)|%s" % (size, momentum, first, dt)
                rec(key + "|p", p)
                if buf is not None:
                    rec(key + "|buf", buf)
    for n, c in CE_SHAPES:
        for dtype in DTYPES:
            dt = np.dtype(dtype).name
            rng = _rng("ce", n, c, dt)
            x = (rng.standard_normal((n, c)) * 5).astype(dtype)
            t = rng.integers(0, c, n).astype(np.int64)
            t[::4] = -100
            key = "cross_entropy(%d,%d)|%s" % (n, c, dt)
            rec(key + "|target_error", np.array(_cpu.class_target_error(t, c, -100)))
            logp = np.empty((n, c), dtype)
            total, count = _cpu.cross_entropy_forward(x, t, -100, logp)
            rec(key + "|total", np.array(total, np.float64))
            rec(key + "|count", np.array(count, np.int64))
            rec(key + "|logp", logp)
            rec(key + "|dx", _cpu.cross_entropy_backward(logp, t, -100, 0.7,
                                                         float(max(count, 1)),
                                                         np.empty((n, c), dtype)))


def worker(build, isa, direct, out_path):
    """Run one (ISA cap, direct mode) configuration of the build at `build`."""
    sys.path.insert(0, os.path.abspath(build))
    from fastconv import _cpu
    kernel = _cpu.gemm_kernel_name()
    rec = Recorder("%s|direct=%s|winograd=1" % (isa, direct))
    rec.out["meta|%s|direct=%s|gemm_kernel" % (isa, direct)] = np.array(kernel)
    if direct == "default":
        run_gemm(_cpu, rec)
        run_pools(_cpu, rec)
        run_elementwise(_cpu, rec)
        run_conv(_cpu, rec, DTYPES)
        previous = _cpu.set_conv2d_winograd(False)
        rec.prefix = "%s|direct=%s|winograd=0" % (isa, direct)
        run_conv(_cpu, rec, DTYPES, fused_too=False)
        _cpu.set_conv2d_winograd(previous)
    else:   # the direct kernels only touch float32 forward, fused and weight gradient
        run_conv(_cpu, rec, (np.float32,), only_forward_weight=True)
    np.savez(out_path, **rec.out)


# ------------------------------------------------------------------ driver

ISA_ENV = {   # the current build's variable, and the old build's for the same cap
    "generic": dict(FASTCONV_ISA="generic", FASTCONV_GEMM_KERNEL="generic",
                    FASTCONV_POOL_KERNEL="generic"),
    "avx2": dict(FASTCONV_ISA="avx2", FASTCONV_GEMM_KERNEL="avx2"),
    "avx512": dict(FASTCONV_ISA="avx512"),
}
CLEARED = ("FASTCONV_ISA", "FASTCONV_GEMM_KERNEL", "FASTCONV_POOL_KERNEL",
           "FASTCONV_CONV_DIRECT", "FASTCONV_WINOGRAD", "FASTCONV_BACKEND")


def machine_isas():
    """The ISA caps this CPU can run: generic always, avx2 with AVX2+FMA, avx512 with
    AVX-512F (read from /proc/cpuinfo; x86 Linux only, else generic)."""
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((set(line.split(":", 1)[1].split()) for line in f
                          if line.startswith("flags")), set())
    except OSError:
        flags = set()
    isas = ["generic"]
    if {"avx2", "fma"} <= flags:
        isas.append("avx2")
        if "avx512f" in flags:
            isas.append("avx512")
    return isas


def dump(build, out, isas):
    merged = {}
    with tempfile.TemporaryDirectory(prefix="fc-bitwise-") as tmp:
        for isa in isas:
            for direct in ("default", "0", "force"):
                env = {k: v for k, v in os.environ.items() if k not in CLEARED}
                env.update(ISA_ENV[isa])
                if direct != "default":
                    env["FASTCONV_CONV_DIRECT"] = direct
                path = os.path.join(tmp, "%s-%s.npz" % (isa, direct))
                t0 = time.perf_counter()
                subprocess.run([sys.executable, os.path.abspath(__file__), "--worker",
                                build, isa, direct, path], env=env, check=True)
                with np.load(path) as z:
                    merged.update({k: z[k] for k in z.files})
                print("%-7s direct=%-7s %6.1f s" % (isa, direct, time.perf_counter() - t0),
                      flush=True)
    np.savez_compressed(out, **merged)
    n = sum(1 for k in merged if k.endswith("|hash"))
    print("%d outputs of %s written to %s" % (n, os.path.abspath(build), out))


def _describe(za, zb, base):
    """How the output `base` differs between the two dumps."""
    if base + "|data" in za.files and base + "|data" in zb.files:
        a, b = za[base + "|data"], zb[base + "|data"]
        if a.shape != b.shape or a.dtype != b.dtype:
            return "shape/dtype %s %s vs %s %s" % (a.shape, a.dtype, b.shape, b.dtype)
        ne = a.reshape(-1).view(np.uint8).reshape(a.size, -1) != \
            b.reshape(-1).view(np.uint8).reshape(b.size, -1)
        bad = ne.any(axis=1)
        diff = ""
        if a.dtype.kind == "f":
            with np.errstate(invalid="ignore"):
                d = np.abs(a.astype(np.float64) - b.astype(np.float64)).reshape(-1)[bad]
            diff = ", max |difference| %.3g" % np.nanmax(d) if np.isfinite(d).any() else ""
        return "%d of %d elements differ%s" % (bad.sum(), a.size, diff)
    ha, hb = za[base + "|hash"], zb[base + "|hash"]
    if ha.shape != hb.shape:
        return "different sizes (%s vs %s)" % (za[base + "|meta"], zb[base + "|meta"])
    return "%d of %d chunks of %d elements differ" % ((ha != hb).sum(), ha.size, CHUNK)


def compare(path_a, path_b, limit):
    za, zb = np.load(path_a), np.load(path_b)
    bases_a = {k[:-5] for k in za.files if k.endswith("|hash")}
    bases_b = {k[:-5] for k in zb.files if k.endswith("|hash")}
    for k in sorted(k for k in za.files if k.startswith("meta|")):
        other = str(zb[k]) if k in zb.files else "-"
        print("%s: %s | %s" % (k[5:], za[k], other))
    only_a, only_b = sorted(bases_a - bases_b), sorted(bases_b - bases_a)
    differ = []
    for base in sorted(bases_a & bases_b):
        if not np.array_equal(za[base + "|hash"], zb[base + "|hash"]) or \
                str(za[base + "|meta"]) != str(zb[base + "|meta"]):
            differ.append(base)
    for title, keys in (("only in " + path_a, only_a), ("only in " + path_b, only_b)):
        if keys:
            print("%d outputs %s, e.g.:" % (len(keys), title))
            for k in keys[:limit]:
                print("  " + k)
    if differ:
        print("%d outputs differ:" % len(differ))
        for k in differ[:limit]:
            print("  %s: %s" % (k, _describe(za, zb, k)))
        if len(differ) > limit:
            print("  ... and %d more" % (len(differ) - limit))
    same = len(bases_a & bases_b) - len(differ)
    print("%d outputs bit-identical, %d differ, %d missing on one side"
          % (same, len(differ), len(only_a) + len(only_b)))
    return 1 if differ or only_a or only_b else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="write a dump of --build to this .npz")
    ap.add_argument("--build", default=HERE, help="checkout to dump, built in place "
                    "(default: this one)")
    ap.add_argument("--isa", nargs="+", choices=sorted(ISA_ENV),
                    help="ISA caps to run (default: every one this CPU has)")
    ap.add_argument("--compare", nargs=2, metavar=("A", "B"), help="compare two dumps")
    ap.add_argument("--limit", type=int, default=40, help="differences listed (--compare)")
    ap.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(*args.worker)
    if args.compare:
        return compare(*args.compare, args.limit)
    if not args.out:
        ap.error("give --out FILE to dump, or --compare A B")
    dump(args.build, args.out, args.isa or machine_isas())
    return 0


if __name__ == "__main__":
    sys.exit(main())
