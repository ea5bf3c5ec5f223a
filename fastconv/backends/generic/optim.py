"""Array-generic optimizer kernels: the same functions and arguments as fastconv._cpu's,
rounding exactly as the native ones (each product and sum a separate array operation in
the arrays' dtype, so nothing is contracted into a fused multiply-add)."""
from ._common import _xp


def sgd_update(p, g, buf, lr, momentum, first, nthreads=1):
    """One SGD step of p in place: with a buffer, buf = g (first) or buf * momentum + g,
    then p -= buf * lr; with buf None, p -= g * lr. lr and momentum are rounded to p's
    dtype first, as the C kernel's arguments are."""
    xp = _xp(p)
    scalar = p.dtype.type
    if buf is None:
        step = xp.multiply(g, scalar(lr))
    else:
        if first:
            buf[...] = g
        else:
            xp.multiply(buf, scalar(momentum), out=buf)
            xp.add(buf, g, out=buf)
        step = xp.multiply(buf, scalar(lr))
    xp.subtract(p, step, out=p)
