"""Array-generic batch normalisation (the native kernels' oracle; csrc/include/fastconv/norm.h).

x is viewed as (n, c, s); statistics are taken in float64, the affine map alpha = weight *
invstd, beta = bias - mean * alpha from the element-type mean and invstd, as natively.
"""
from ._common import _store, _xp


def _per_channel(xp, a, default: float):
    """a as a float64 (1, c, 1) column, or `default` when a is None."""
    if a is None:
        return xp.asarray(default, dtype=xp.float64)
    return a.astype(xp.float64)[None, :, None]


def _affine(xp, mean, invstd, weight, bias, dtype):
    """(alpha, beta) as (1, c, 1) arrays of the element type."""
    a = invstd.astype(xp.float64)[None, :, None] * _per_channel(xp, weight, 1.0)
    b = _per_channel(xp, bias, 0.0) - mean.astype(xp.float64)[None, :, None] * a
    return a.astype(dtype), b.astype(dtype)


def _normalise(xp, x3, alpha, beta, relu):
    v = x3 * alpha + beta
    if relu:
        v = xp.where(v <= 0, xp.zeros((), dtype=v.dtype), v)   # NaN kept
    return v


def batch_norm_forward_train(geom, x, weight, bias, eps, momentum, running_mean,
                             running_var, relu, y, mean, invstd, nthreads=1):
    """Batch statistics into mean / invstd, y = normalised x (+ ReLU), running stats
    updated in place (unbiased variance)."""
    xp = _xp(x)
    n, c, s = geom
    x3 = x.reshape(n, c, s)
    xd = x3.astype(xp.float64)
    mu = xd.mean(axis=(0, 2))
    var = ((xd - mu[None, :, None]) ** 2).mean(axis=(0, 2))
    mean[...] = mu.astype(x.dtype)
    invstd[...] = (1.0 / xp.sqrt(var + eps)).astype(x.dtype)
    m = n * s
    if running_mean is not None:
        running_mean[...] = ((1.0 - momentum) * running_mean.astype(xp.float64)
                             + momentum * mu).astype(x.dtype)
        running_var[...] = ((1.0 - momentum) * running_var.astype(xp.float64)
                            + momentum * (var * m / (m - 1))).astype(x.dtype)
    alpha, beta = _affine(xp, mean, invstd, weight, bias, x.dtype)
    return _store(y, _normalise(xp, x3, alpha, beta, relu))


def batch_norm_forward_eval(geom, x, mean, invstd, weight, bias, relu, y, nthreads=1):
    """y = x * alpha + beta (+ ReLU) with the given statistics."""
    xp = _xp(x)
    alpha, beta = _affine(xp, mean, invstd, weight, bias, x.dtype)
    return _store(y, _normalise(xp, x.reshape(geom), alpha, beta, relu))


def batch_norm_backward(geom, dy, x, mean, invstd, weight, bias, relu, training, dx, dweight,
                        dbias, nthreads=1):
    """Gradients of either forward into dx, dweight, dbias (each may be None); returns dx."""
    xp = _xp(dy)
    n, c, s = geom
    x3, g = x.reshape(geom), dy.reshape(geom)
    if relu:
        alpha, beta = _affine(xp, mean, invstd, weight, bias, x.dtype)
        g = xp.where(x3 * alpha + beta > 0, g, xp.zeros((), dtype=g.dtype))
    g = g.astype(xp.float64)
    d = x3.astype(xp.float64) - mean.astype(xp.float64)[None, :, None]
    sum_g, sum_gd = g.sum(axis=(0, 2)), (g * d).sum(axis=(0, 2))
    inv = invstd.astype(xp.float64)
    if dbias is not None:
        dbias[...] = sum_g.astype(dbias.dtype)
    if dweight is not None:
        dweight[...] = (sum_gd * inv).astype(dweight.dtype)
    if dx is not None:
        a = (inv if weight is None else weight.astype(xp.float64) * inv)[None, :, None]
        grad = a * g
        if training:
            m = n * s
            grad = grad - a * (sum_g / m)[None, :, None] \
                - a * (inv * inv * sum_gd / m)[None, :, None] * d
        _store(dx, grad.astype(dx.dtype))
    return dx
