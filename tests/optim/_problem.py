"""A small deterministic problem for optimizer tests: parameters of a few shapes and a
gradient that depends on the current values (a curved quadratic plus a sine term, so the
gradient changes sign and size from step to step), computed the same way for fastconv,
torch and the float64 references written in the tests."""
import numpy as np

_RNG = np.random.default_rng(0)
SHAPES = [(3, 4), (4,), (2, 1, 3)]
CURVATURE = [_RNG.uniform(0.5, 3.0, s) for s in SHAPES]
TARGET = [_RNG.standard_normal(s) for s in SHAPES]
START = [_RNG.standard_normal(s) for s in SHAPES]


def gradient(i: int, value: np.ndarray) -> np.ndarray:
    """d/dp of sum(0.5 * a * (p - t)^2 - 0.3 * cos(2 p)), in value's dtype."""
    v = value.astype(np.float64)
    return (CURVATURE[i] * (v - TARGET[i]) + 0.6 * np.sin(2 * v)).astype(value.dtype)


def fresh_fastconv(dtype=np.float64):
    import fastconv as fc
    from fastconv import nn
    return [nn.Parameter(fc.tensor(p.astype(dtype))) for p in START]


def fresh_torch(dtype=np.float64):
    import torch
    return [torch.nn.Parameter(torch.tensor(p.astype(dtype))) for p in START]


def set_fastconv_grads(params, skip=()):
    import fastconv as fc
    for i, p in enumerate(params):
        p.grad = None if i in skip else fc.tensor(gradient(i, p.detach().numpy()))


def set_torch_grads(params, skip=()):
    import torch
    for i, p in enumerate(params):
        p.grad = None if i in skip else torch.tensor(gradient(i, p.detach().numpy()))


def split_groups(params, second_lr=None):
    """Two parameter groups (the second with its own lr when given)."""
    second = {"params": params[1:]}
    if second_lr is not None:
        second["lr"] = second_lr
    return [{"params": params[:1]}, second]


def tolerance(dtype):
    """(rtol, atol) for fastconv against torch after a dozen steps: float64 to ~1e-12,
    float32 to a few roundings (each op of either library rounds to float32)."""
    return (1e-12, 1e-13) if np.dtype(dtype) == np.float64 else (2e-6, 2e-6)
