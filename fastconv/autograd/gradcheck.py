"""gradcheck: compare backward() with central finite differences, for users' own ops too."""
from typing import Callable, Sequence

import numpy as np

from .grad_mode import no_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    """Raised by gradcheck when an analytical gradient disagrees with finite differences."""


def gradcheck(fn: Callable[..., Tensor], inputs: Sequence[Tensor], eps: float = 1e-6,
              atol: float = 1e-5, rtol: float = 1e-3, seed: int = 0,
              raise_exception: bool = True) -> bool:
    """Check the gradients of `fn(*inputs)` for every input with requires_grad=True.

    The output is projected on a fixed random vector v; backward(v) must match the
    central difference (v . fn(x + eps e_i) - v . fn(x - eps e_i)) / 2 eps for every
    element i of every input. Use float64 inputs: float32 differences are too coarse.
    Returns True, or raises GradcheckError (returns False when raise_exception=False).
    """
    inputs = tuple(inputs)
    if not any(isinstance(t, Tensor) and t.requires_grad for t in inputs):
        raise ValueError("gradcheck: at least one input must be a Tensor with requires_grad")
    for t in inputs:
        if isinstance(t, Tensor) and t.requires_grad and t.dtype != np.float64:
            raise TypeError("gradcheck: inputs must be float64 for finite differences to be "
                            "meaningful, got %s" % t.dtype)
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError("gradcheck: fn must return a Tensor, got %s" % type(out).__name__)
    v = np.random.default_rng(seed).standard_normal(out.shape)
    for t in inputs:
        if isinstance(t, Tensor):
            t.grad = None
    out.backward(v.astype(out.dtype))

    def projected() -> float:
        with no_grad():
            return float(np.sum(np.asarray(fn(*inputs)._data, dtype=np.float64) * v))

    for position, t in enumerate(inputs):
        if not (isinstance(t, Tensor) and t.requires_grad):
            continue
        analytical = np.zeros(t.shape) if t.grad is None else np.asarray(t.grad._data)
        numerical = np.empty(t.shape)
        for i in np.ndindex(*t.shape):   # index t.data itself: reshape(-1) may be a copy
            original = t._data[i]
            t._data[i] = original + eps
            plus = projected()
            t._data[i] = original - eps
            minus = projected()
            t._data[i] = original
            numerical[i] = (plus - minus) / (2 * eps)
        if not np.allclose(analytical, numerical, atol=atol, rtol=rtol):
            worst = np.unravel_index(np.argmax(np.abs(analytical - numerical)), t.shape)
            message = ("gradcheck: gradient of input %d disagrees with finite differences; "
                       "largest gap at index %s: analytical %.8g vs numerical %.8g"
                       % (position, tuple(int(i) for i in worst), analytical[worst],
                          numerical[worst]))
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True
