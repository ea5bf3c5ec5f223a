"""Run one expression in fastconv and in PyTorch; compare values and gradients."""
import numpy as np
import pytest

import fastconv as fc

TOLERANCE = {
    np.dtype(np.float32): dict(rtol=1e-4, atol=1e-5),
    np.dtype(np.float64): dict(rtol=1e-10, atol=1e-12),
}
DTYPES = [np.float32, np.float64]


def assert_close(actual, expected, dtype, scale: float = 1.0):
    tol = TOLERANCE[np.dtype(dtype)]
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=tol["rtol"],
                               atol=tol["atol"] * scale)


def compare_with_torch(fc_fn, torch_fn, arrays, dtype, grad=True, seed=0, scale=1.0):
    """fc_fn(*fastconv tensors) vs torch_fn(*torch tensors): output, then every gradient
    for the same random upstream gradient. None entries pass through as None."""
    torch = pytest.importorskip("torch")
    ours = [None if a is None else fc.tensor(np.asarray(a, dtype=dtype), requires_grad=grad)
            for a in arrays]
    theirs = [None if a is None else torch.tensor(np.asarray(a, dtype=dtype),
                                                  requires_grad=grad) for a in arrays]
    out = fc_fn(*ours)
    ref = torch_fn(*theirs)
    assert out.shape == tuple(ref.shape)
    assert out.dtype == np.dtype(dtype)
    assert_close(out.detach().numpy(), ref.detach().numpy(), dtype, scale)
    if grad:
        g = np.random.default_rng(seed).standard_normal(ref.shape).astype(dtype)
        out.backward(g)
        ref.backward(torch.from_numpy(g))
        for a, b in zip(ours, theirs):
            if a is not None:
                assert a.grad is not None
                assert_close(a.grad.numpy(), b.grad.numpy(), dtype, scale)
    return out, ref


def leaf(array, dtype=np.float64, requires_grad=True):
    return fc.tensor(np.asarray(array, dtype=dtype), requires_grad=requires_grad)
