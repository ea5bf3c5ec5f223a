"""Array-generic ReLU and pointwise activations (NaN kept, as the native kernels and
PyTorch do)."""
import math

import numpy as np

from ._common import _store, _xp


def _relu(xp, x):
    """max(x, 0) with NaN kept (x where x > 0 or x is NaN, else +0)."""
    keep = (x > 0) | (x != x)
    return xp.where(keep, x, xp.zeros((), dtype=x.dtype))


def relu_forward(x, y, nthreads=1):
    """y = max(x, 0), NaN kept; y may be x."""
    return _store(y, _relu(_xp(x), x))


def add_relu_forward(a, b, y, nthreads=1):
    """y = max(a + b, 0), NaN kept; y may be a or b."""
    return _store(y, _relu(_xp(a), a + b))


def relu_backward(dy, y, dx, nthreads=1):
    """dx = dy where the forward output y > 0, else 0; dx may be dy."""
    xp = _xp(dy)
    return _store(dx, xp.where(y > 0, dy, xp.zeros((), dtype=dy.dtype)))


# ------------------------------------------------------------------ pointwise activations
# Written from the definitions in float64 (float32 inputs are widened, the results rounded
# once), with numpy/cupy functions only: the oracle the native kernels are tested against.

_SQRT_2PI = math.sqrt(2 * math.pi)
_GELU_BETA = math.sqrt(2 / math.pi)
_GELU_KAPPA = 0.044715


def _erfc_pos(xp, a):
    """erfc(a) for a >= 0 to about 1e-14 relative (numpy has no erf): below 1, 1 - erf(a)
    from erf's series of positive terms, 2/sqrt(pi) e^(-a^2) sum 2^n a^(2n+1) / (2n+1)!!;
    from 1 on, Laplace's continued fraction e^(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a +
    (3/2)/(a + ...)))) evaluated from 200 terms up."""
    small = xp.minimum(a, 1.0)
    term, total = small, small
    for n in range(1, 40):
        term = term * 2 * small * small / (2 * n + 1)
        total = total + term
    erfc_small = 1 - 2 / math.sqrt(math.pi) * xp.exp(-small * small) * total
    big = xp.maximum(a, 1.0)
    f = big
    for k in range(200, 0, -1):
        f = big + (k / 2) / f
    erfc_big = xp.exp(-big * big) / math.sqrt(math.pi) / f
    return xp.where(a < 1, erfc_small, erfc_big)


def _normal_cdf(xp, x):
    """Phi(x) = erfc(-x / sqrt 2) / 2, from erfc of |x| in both tails."""
    c = _erfc_pos(xp, xp.abs(x) / math.sqrt(2))
    return xp.where(x < 0, 0.5 * c, 1 - 0.5 * c)


def _sigmoid(xp, x):
    e = xp.exp(-xp.abs(x))
    return xp.where(x < 0, e / (1 + e), 1 / (1 + e))


def _clamp(xp, x, low, high):
    """torch.clamp: the lower bound first, NaN kept."""
    return xp.minimum(xp.maximum(x, low), high)


def _hard_gate(xp, x):
    return _clamp(xp, x + 3, 0.0, 6.0) / 6


def _mish_tanh(xp, x):
    return xp.tanh(xp.logaddexp(0.0, x))


# kind code (fastconv.ops.ACTIVATIONS) -> f(xp, x, alpha, beta)
_FORWARD = {
    0: lambda xp, x, a, b: xp.where(x > 0, x, x * a),
    1: lambda xp, x, a, b: xp.where(x <= 0, a * xp.expm1(xp.minimum(x, 0.0)), x),
    2: lambda xp, x, a, b: x * _normal_cdf(xp, x),
    3: lambda xp, x, a, b: 0.5 * x * (1 + xp.tanh(_GELU_BETA * (x + _GELU_KAPPA * x ** 3))),
    4: lambda xp, x, a, b: x * _sigmoid(xp, x),
    5: lambda xp, x, a, b: _sigmoid(xp, x),
    6: lambda xp, x, a, b: xp.tanh(x),
    7: lambda xp, x, a, b: xp.where(a * x > b, x, xp.logaddexp(0.0, a * x) / a),
    8: lambda xp, x, a, b: _clamp(xp, x, a, b),
    9: lambda xp, x, a, b: x * _clamp(xp, x + 3, 0.0, 6.0) / 6,
    10: lambda xp, x, a, b: _hard_gate(xp, x),
    11: lambda xp, x, a, b: x * _mish_tanh(xp, x),
}


def _d_gelu_tanh(xp, x):
    t = xp.tanh(_GELU_BETA * (x + _GELU_KAPPA * x ** 3))
    return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * _GELU_BETA * (1 + 3 * _GELU_KAPPA * x * x)


def _d_elu(xp, s, a, b):
    if a >= 0:     # s is the output: its sign is the input's; NaN stays NaN
        return xp.where(s > 0, 1.0, s + a)
    return xp.where(s > 0, 1.0, xp.where(s <= 0, a * xp.exp(xp.minimum(s, 0.0)), s))


def _d_mish(xp, x):
    t = _mish_tanh(xp, x)
    return t + x * _sigmoid(xp, x) * (1 - t * t)


# kind code -> f'(xp, s, alpha, beta), s being what activation_backward_reads names
_DERIVATIVE = {
    0: lambda xp, s, a, b: xp.where(s > 0, 1.0, a),
    1: _d_elu,
    2: lambda xp, s, a, b: _normal_cdf(xp, s) + s * xp.exp(-0.5 * s * s) / _SQRT_2PI,
    3: lambda xp, s, a, b: _d_gelu_tanh(xp, s),
    4: lambda xp, s, a, b: _sigmoid(xp, s) * (1 + s * (1 - _sigmoid(xp, s))),
    5: lambda xp, s, a, b: (1 - s) * s,
    6: lambda xp, s, a, b: 1 - s * s,
    7: lambda xp, s, a, b: xp.where(a * s > b, 1.0, _sigmoid(xp, a * s)),
    8: lambda xp, s, a, b: xp.where((s > a) & (s < b), 1.0, 0.0),
    9: lambda xp, s, a, b: xp.where(s >= 3, 1.0, xp.where(s <= -3, 0.0, s / 3 + 0.5)),
    10: lambda xp, s, a, b: xp.where((s > -3) & (s < 3), 1 / 6, 0.0),
    11: lambda xp, s, a, b: _d_mish(xp, s),
}


def activation_forward(kind, x, y, alpha, beta, nthreads=1):
    """y = activation `kind` of x (definitions: csrc/include/fastconv/act.h)."""
    xp = _xp(x)
    with np.errstate(all="ignore"):   # inf and NaN are inputs like any other
        value = _FORWARD[int(kind)](xp, x.astype(np.float64), alpha, beta)
    return _store(y, value.astype(y.dtype))


def activation_backward(kind, src, dy, dx, alpha, beta, nthreads=1):
    """dx = dy * f'(...) from src, the forward's input or output as the kind needs."""
    xp = _xp(dy)
    with np.errstate(all="ignore"):
        slope = _DERIVATIVE[int(kind)](xp, src.astype(np.float64), alpha, beta)
        value = dy.astype(np.float64) * slope
    return _store(dx, value.astype(dx.dtype))
