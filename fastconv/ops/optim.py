"""Optimizer updates on raw arrays, in place: the SGD step (fastconv.optim.SGD's plain
momentum rule) in one pass per parameter."""
import numbers

import numpy as np

from . import _args
from ._dispatch import backend, nthreads

_F32, _F64 = _args.FLOAT_DTYPES
_ndarray = np.ndarray


def sgd_update(param, grad, momentum_buffer=None, *, lr: float, momentum: float = 0.0,
               first: bool = False):
    """One SGD step of `param` in place; returns `param`.

    With a `momentum_buffer` (updated in place too): buf = grad when `first`, else
    buf * momentum + grad; then param -= buf * lr. Without one (momentum must then be 0):
    param -= grad * lr. Every product and sum is rounded to param's dtype (lr and
    momentum too, as numbers of that dtype), so the result is that of the same numpy
    expressions, bit for bit. param and momentum_buffer must be C-contiguous and
    writeable; grad may be any layout and may alias either of them.
    """
    buf = momentum_buffer
    # the optimizer's case, checked in a few hundred nanoseconds: plain numpy arrays of
    # one float dtype and shape, in separate memory, and Python float hyper-parameters
    if (type(param) is _ndarray and type(grad) is _ndarray and type(lr) is float
            and type(momentum) is float and (buf is None or type(buf) is _ndarray)):
        dtype, shape, flags = param.dtype, param.shape, param.flags
        if ((dtype is _F32 or dtype is _F64) and grad.dtype is dtype
                and grad.shape == shape and flags.c_contiguous and flags.writeable
                and grad.flags.c_contiguous and _apart(param, grad)):
            if buf is None:
                if momentum == 0.0:
                    backend(np).sgd_update(param, grad, None, lr, 0.0, first is True,
                                           nthreads())
                    return param
            else:
                flags = buf.flags
                if (buf.dtype is dtype and buf.shape == shape and flags.c_contiguous
                        and flags.writeable and _apart(buf, param) and _apart(buf, grad)):
                    backend(np).sgd_update(param, grad, buf, lr, momentum, first is True,
                                           nthreads())
                    return param
    return _sgd_update_checked(param, grad, buf, lr, momentum, first)


def _apart(a, b) -> bool:
    """True when numpy arrays a and b certainly share no memory (two arrays that each own
    their memory are apart unless they are one array; views need the bounds check)."""
    if a.base is None and b.base is None:
        return a is not b
    return not np.may_share_memory(a, b)


def _sgd_update_checked(param, grad, buf, lr, momentum, first):
    """sgd_update for any arguments: every check with its message, aliased grads copied."""
    xp = _args.array_module(param, grad, buf)
    param = _updated_in_place(param, "param")
    grad = _args.float_array(grad, "grad")
    _args.same_dtype("param", param, "grad", grad)
    if grad.shape != param.shape:
        raise ValueError("grad must have param's shape %s, got %s"
                         % (tuple(param.shape), tuple(grad.shape)))
    lr = _real(lr, "lr")
    momentum = _real(momentum, "momentum")
    if buf is None:
        if momentum != 0:
            raise ValueError("momentum=%r needs a momentum_buffer array" % (momentum,))
    else:
        checked = _args.float_array(buf, "momentum_buffer")
        _args.same_dtype("param", param, "momentum_buffer", checked)
        if checked.shape != param.shape:
            raise ValueError("momentum_buffer must have param's shape %s, got %s"
                             % (tuple(param.shape), tuple(checked.shape)))
        _updated_in_place(buf, "momentum_buffer")
        if xp.may_share_memory(buf, param):
            raise ValueError("momentum_buffer must not share memory with param")
        grad = _args.unaliased(grad, buf, xp)
    grad = _args.unaliased(grad, param, xp)
    backend(xp).sgd_update(param, grad, buf, lr, momentum, bool(first), nthreads())
    return param


def _real(value, name: str) -> float:
    """A real number (int or float, not bool or an array) as a Python float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError("%s must be a real number, got %r" % (name, value))
    return float(value)


def _updated_in_place(a, name: str):
    """`a` as an array the kernel may write: float32/float64, C-contiguous, writeable."""
    checked = _args.float_array(a, name)
    writeable = getattr(a.flags, "writeable", True)   # cupy arrays have no such flag
    if checked is not a or not writeable:
        raise ValueError("%s is updated in place, so it must be C-contiguous and "
                         "writeable" % name)
    return a
