"""Gradient clipping, as torch.nn.utils: by the total norm of all gradients, or by value.

Everything here is Tensor arithmetic under no_grad: the per-gradient norms are computed
in each gradient's dtype, the total norm in the widest of them, and the scale factor is
rounded to each gradient's dtype before the in-place multiply (torch's order).
"""
import math
import types
import warnings
from typing import Iterable, List, Optional, Union

import numpy as np

from ...autograd import Tensor, no_grad, stack, tensor

TensorOrTensors = Union[Tensor, Iterable[Tensor]]


def _as_list(parameters: TensorOrTensors) -> List[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    is_generator = isinstance(parameters, types.GeneratorType)
    parameters = list(parameters)
    if is_generator and not parameters:
        warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                      stacklevel=3)
    return parameters


def _vector_norm(t: Tensor, norm_type: float) -> Tensor:
    """The norm of t's elements taken as one vector, in t's dtype (a 0-d Tensor)."""
    if t.numel() == 0:
        return tensor(np.zeros((), dtype=t.dtype)).to(t.device)
    magnitude = t.abs()
    if norm_type == math.inf:
        return magnitude.max()
    if norm_type == -math.inf:
        return magnitude.min()
    if norm_type == 0:
        return (t != 0).to(dtype=t.dtype).sum()
    if norm_type == 1:
        return magnitude.sum()
    if norm_type == 2:
        return (t * t).sum().sqrt()
    return (magnitude ** norm_type).sum() ** (1.0 / norm_type)


def get_total_norm(tensors: TensorOrTensors, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False,
                   foreach: Optional[bool] = None) -> Tensor:
    """The norm of the norms of `tensors` (so the norm of all their elements together):
    a 0-d Tensor on the first tensor's device, in the widest of their dtypes
    (tensor(0.) for none). foreach is accepted and changes nothing."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    with no_grad():
        device = tensors[0].device
        dtype = np.result_type(*[t.dtype for t in tensors])
        norms = [_vector_norm(t, norm_type).to(device=device, dtype=dtype) for t in tensors]
        total = _vector_norm(stack(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError("The total norm of order %s for gradients from `parameters` is "
                           "non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`" % norm_type)
    return total


def clip_grads_with_norm_(parameters: TensorOrTensors, max_norm: float, total_norm: Tensor,
                          foreach: Optional[bool] = None) -> None:
    """Scale every gradient in place by min(1, max_norm / (total_norm + 1e-6))."""
    grads = [p.grad for p in _as_list(parameters) if p.grad is not None]
    max_norm = float(max_norm)
    if not grads:
        return
    with no_grad():
        coef = (max_norm / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(device=g.device, dtype=g.dtype))


def clip_grad_norm_(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False,
                    foreach: Optional[bool] = None) -> Tensor:
    """Scale the gradients of `parameters` in place so that their total norm (of order
    norm_type, inf for the largest magnitude) is at most about max_norm; returns the
    total norm before clipping, a 0-d Tensor. error_if_nonfinite raises a RuntimeError
    for a NaN or infinite total instead of scaling by it."""
    parameters = _as_list(parameters)
    grads = [p.grad for p in parameters if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total, foreach)
    return total


def clip_grad_norm(parameters: TensorOrTensors, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False,
                   foreach: Optional[bool] = None) -> Tensor:
    """Deprecated name of clip_grad_norm_ (warns, as torch does)."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: TensorOrTensors, clip_value: float,
                     foreach: Optional[bool] = None) -> None:
    """Clamp every gradient of `parameters` in place to [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters):
            if p.grad is not None:
                p.grad.clamp_(min=-clip_value, max=clip_value)
