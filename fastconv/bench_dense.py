"""`fastconv bench` rows of the dense-prediction ops, fastconv and PyTorch CPU side by side:
transposed convolution on decoder shapes, bilinear and nearest upsampling, and the
spatial transformer's affine_grid + grid_sample, each forward + backward.

bench.run calls dense_jobs() once; each job is (label, flops, fastconv step, PyTorch
step or None, winograd flag), the shape of bench.run's own jobs.
"""
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple

import numpy as np


@dataclass(frozen=True)
class ConvTransposeCase:
    """A decoder layer: (n, c_in, h, w) -> (n, c_out, 2h, 2w), kernel k, stride 2."""
    name: str
    n: int
    c_in: int
    c_out: int
    h: int
    k: int
    padding: int

    def flops(self) -> float:
        """Forward, data and weight gradients: 3 x 2 x the forward's multiply-adds."""
        return 3 * 2.0 * self.n * self.c_in * self.h * self.h * self.c_out * self.k * self.k


CONV_TRANSPOSE_CASES = [
    ConvTransposeCase("conv_transpose2d 64->32 k2 s2 16->32 N32", 32, 64, 32, 16, 2, 0),
    ConvTransposeCase("conv_transpose2d 64->32 k4 s2 p1 16->32 N32", 32, 64, 32, 16, 4, 1),
]

# (label, input shape, output size, mode)
INTERPOLATE_CASES = [
    ("interpolate bilinear N64 C32 32->64", (64, 32, 32, 32), (64, 64), "bilinear"),
    ("interpolate bilinear N64 C32 16->32", (64, 32, 16, 16), (32, 32), "bilinear"),
    ("interpolate nearest N64 C32 32->64", (64, 32, 32, 32), (64, 64), "nearest"),
]

GRID_SAMPLE_CASES = [
    ("affine_grid+grid_sample N64 C32 32x32", (64, 32, 32, 32)),
    ("affine_grid+grid_sample N64 C1 42x42 (stn)", (64, 1, 42, 42)),
]


def _step(lib, x, params, run, grad) -> Callable[[], object]:
    """Clear the gradients of x and params, run forward and backward with `grad`."""
    leaves = [x] + params

    def step():
        for t in leaves:
            t.grad = None
        run().backward(grad)
    return step


def _tensors(lib: str, arrays, grad_shape, seed: int = 1):
    """The arrays as leaf tensors needing gradients, and an upstream gradient."""
    g = np.random.default_rng(seed).standard_normal(grad_shape).astype(np.float32)
    if lib == "fastconv":
        import fastconv
        return ([fastconv.tensor(a, requires_grad=True) for a in arrays],
                fastconv.tensor(g))
    import torch
    return [torch.tensor(a, requires_grad=True) for a in arrays], torch.tensor(g)


def _functional(lib: str):
    if lib == "fastconv":
        import fastconv.functional as F
        return F
    import torch.nn.functional as F
    return F


def conv_transpose_step(lib: str, case: ConvTransposeCase, seed: int = 0):
    """conv_transpose2d forward + backward (input, weight and bias gradients)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((case.n, case.c_in, case.h, case.h)).astype(np.float32)
    w = (rng.standard_normal((case.c_in, case.c_out, case.k, case.k)) * 0.1).astype(np.float32)
    b = np.zeros(case.c_out, np.float32)
    (tx, tw, tb), g = _tensors(lib, (x, w, b), (case.n, case.c_out, 2 * case.h, 2 * case.h))
    F = _functional(lib)
    return _step(lib, tx, [tw, tb],
                 lambda: F.conv_transpose2d(tx, tw, tb, stride=2, padding=case.padding), g)


def interpolate_step(lib: str, shape, size, mode: str, seed: int = 0):
    """interpolate forward + backward."""
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    (tx,), g = _tensors(lib, (x,), tuple(shape[:2]) + tuple(size))
    F = _functional(lib)
    options = dict(align_corners=False) if mode == "bilinear" else {}
    return _step(lib, tx, [], lambda: F.interpolate(tx, size=size, mode=mode, **options), g)


def grid_sample_step(lib: str, shape, seed: int = 0):
    """affine_grid + bilinear grid_sample forward + backward (input and theta)."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape).astype(np.float32)
    angle = rng.uniform(-0.5, 0.5, shape[0])
    theta = np.zeros((shape[0], 2, 3), np.float32)
    theta[:, 0, 0] = theta[:, 1, 1] = np.cos(angle)
    theta[:, 0, 1], theta[:, 1, 0] = -np.sin(angle), np.sin(angle)
    theta[:, :, 2] = rng.uniform(-0.1, 0.1, (shape[0], 2))
    (tx, tt), g = _tensors(lib, (x, theta), shape)
    F = _functional(lib)

    def run():
        grid = F.affine_grid(tt, list(shape), align_corners=False)
        return F.grid_sample(tx, grid, align_corners=False)
    return _step(lib, tx, [tt], run, g)


def dense_jobs(have_torch: bool, only: Optional[str] = None
               ) -> List[Tuple[str, float, Callable, Optional[Callable], bool]]:
    """bench.run's jobs for the dense ops (those whose label contains `only`)."""
    jobs = []

    def add(label, flops, make):
        label += " fwd+bwd"
        if not only or only in label:
            jobs.append((label, flops, make("fastconv"), make("torch") if have_torch else None,
                         False))

    for case in CONV_TRANSPOSE_CASES:
        add(case.name, case.flops(), lambda lib, case=case: conv_transpose_step(lib, case))
    for label, shape, size, mode in INTERPOLATE_CASES:
        add(label, 0.0, lambda lib, s=shape, z=size, m=mode: interpolate_step(lib, s, z, m))
    for label, shape in GRID_SAMPLE_CASES:
        add(label, 0.0, lambda lib, s=shape: grid_sample_step(lib, s))
    return jobs
