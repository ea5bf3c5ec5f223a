"""The fusion table: runs of modules that nn.Sequential executes as one fused call.

Each entry names a run of module types and a builder. Given the matched modules, the
builder returns one callable doing all of them (same results and gradients as running
them one after the other), or None when these particular modules cannot be fused (say,
a MaxPool2d that must return its indices). Sequential tries the entries in table order
at each position, so longer patterns come first. A new fusion is one `register_fusion`
call next to the layers it fuses.
"""
import dataclasses
from typing import Callable, List, Optional, Sequence, Tuple

from .. import autograd, ops
from ..autograd import Tensor
from ..functional.conv import conv2d, conv2d_relu, conv2d_relu_max_pool2d
from ..functional.activation import relu
from ..functional.linear import linear_relu
from ..functional.pool import max_pool2x2_of_relu
from .activation import ReLU
from .conv import Conv2d
from .linear import Linear
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d
from .pooling import MaxPool2d

Call = Callable[[Tensor], Tensor]
Builder = Callable[[Sequence[Module]], Optional[Call]]


@dataclasses.dataclass(frozen=True)
class Fusion:
    """A run of module types (exact types, not subclasses) and how to fuse it."""

    pattern: Tuple[type, ...]
    build: Builder


FUSIONS: List[Fusion] = []


def register_fusion(pattern: Sequence[type], build: Builder) -> None:
    """Add a fusion; longer patterns are tried first, then in registration order."""
    FUSIONS.append(Fusion(tuple(pattern), build))
    FUSIONS.sort(key=lambda f: -len(f.pattern))   # stable: ties keep their order


def fused_run(modules: Sequence[Module], i: int) -> Tuple[Call, int]:
    """(call, count): one call doing modules[i:i + count], fused where the table has a
    matching entry (of modules without hooks, which must see their own calls), else
    modules[i] alone."""
    for fusion in FUSIONS:
        n = len(fusion.pattern)
        run = modules[i:i + n]
        if len(run) == n and all(type(m) is t and not m._has_call_hooks()
                                 for m, t in zip(run, fusion.pattern)):
            call = fusion.build(run)
            if call is not None:
                return call, n
    return modules[i], 1


def _conv_args(conv: Conv2d):
    return (conv.weight, conv.bias, conv.stride, conv.padding, conv.dilation, conv.groups)


def _folded_conv_args(conv: Conv2d, bn: BatchNorm2d):
    """_conv_args with an evaluation-mode BatchNorm2d folded into the weight and bias, or
    None when bn normalises with batch statistics or does not fit the conv.

    bn(conv(x)) = conv(x, w * s) + (b - running_mean) * s + beta per output channel,
    with s = gamma / sqrt(running_var + eps): exact up to rounding. Computed with Tensor
    ops on every call (a few per-channel products next to a convolution), so gradients
    reach the conv's and bn's parameters as through the unfused layers, and a parameter
    updated in place is never seen stale (Sequential builds its fused calls on every
    forward, so the fold is computed once per call).
    """
    if not bn.uses_running_stats() or bn.num_features != conv.out_channels:
        return None
    w, b = conv.weight, conv.bias
    if bn.running_var.dtype != w.dtype or (bn.weight is not None
                                           and bn.weight.dtype != w.dtype):
        return None   # the unfused layers raise the dtype error
    scale = 1.0 / autograd.sqrt(bn.running_var + bn.eps)
    if bn.weight is not None:
        scale = bn.weight * scale
    shift = -bn.running_mean if b is None else b - bn.running_mean
    bias = shift * scale if bn.bias is None else shift * scale + bn.bias
    weight = w * scale.reshape((-1,) + (1,) * (w.ndim - 1))
    return (weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups)


def _conv_relu(run) -> Call:
    conv = run[0]
    return lambda x: conv2d_relu(x, *_conv_args(conv))


def _conv_relu_max_pool(run) -> Optional[Call]:
    conv, _, pool = run
    if pool.return_indices:
        return None
    return lambda x: conv2d_relu_max_pool2d(x, *_conv_args(conv), pool.kernel_size,
                                            pool.stride, pool.padding, pool.dilation,
                                            pool.ceil_mode)


def _bn_relu(run) -> Call:
    """BatchNorm -> ReLU as one pass; the backward recomputes ReLU's mask from the input
    (nothing more is kept than for the BatchNorm alone)."""
    bn = run[0]
    return lambda x: bn._forward(x, relu=True)


def _conv_bn(run) -> Optional[Call]:
    """Evaluation mode: the BatchNorm folded into the conv (training: not fused)."""
    args = _folded_conv_args(*run)
    return None if args is None else (lambda x: conv2d(x, *args))


def _conv_bn_relu(run) -> Call:
    """Evaluation mode: BatchNorm folded into the conv, bias and ReLU fused into its store.
    Training: the conv, then BatchNorm + ReLU in one pass."""
    conv, bn, _ = run
    args = _folded_conv_args(conv, bn)
    if args is not None:
        return lambda x: conv2d_relu(x, *args)
    return lambda x: bn._forward(conv(x), relu=True)


def _pool_of_relu(pool: MaxPool2d, r: Tensor) -> Tensor:
    """pool(r) for r a ReLU's output: one-byte window positions and the ReLU mask in the
    pool's backward where the pool is a plain 2x2 one for this shape, else the module."""
    if (r.ndim == 4 and min(r.shape[2:]) >= 2 and r.dtype.kind == "f"
            and ops.max_pool2d_is_2x2(r.shape, pool.kernel_size, pool.stride, pool.padding,
                                      pool.dilation, pool.ceil_mode)):
        return max_pool2x2_of_relu(r)
    return pool(r)


def _conv_bn_relu_max_pool(run) -> Optional[Call]:
    """Evaluation mode: BatchNorm folded into the fused conv + ReLU + max-pool. Training:
    the conv, BatchNorm + ReLU in one pass, then the pool of a ReLU output."""
    conv, bn, _, pool = run
    if pool.return_indices:
        return None
    args = _folded_conv_args(conv, bn)
    if args is None:
        return lambda x: _pool_of_relu(pool, bn._forward(conv(x), relu=True))
    return lambda x: conv2d_relu_max_pool2d(x, *args, pool.kernel_size, pool.stride,
                                            pool.padding, pool.dilation, pool.ceil_mode)


def _bn_relu_max_pool(run) -> Optional[Call]:
    """BatchNorm + ReLU in one pass, then the pool of a ReLU output."""
    bn, _, pool = run
    if pool.return_indices:
        return None
    return lambda x: _pool_of_relu(pool, bn._forward(x, relu=True))


def batch_norm_relu_of(bn: Module, x: Tensor) -> Tensor:
    """relu(bn(x)) for a model whose forward is written out (ResNet's blocks): one pass,
    as Sequential fuses BatchNorm -> ReLU, where bn is a plain BatchNorm1d/2d without
    call hooks; else the two calls."""
    if type(bn) in (BatchNorm1d, BatchNorm2d) and not bn._has_call_hooks():
        return bn._forward(x, relu=True)
    return relu(bn(x))


def _linear_relu(run) -> Call:
    """ReLU in place on the GEMM's output, one tape node (the backward's mask is read
    from the output, so no pre-activation array is kept)."""
    linear = run[0]
    return lambda x: linear_relu(x, linear.weight, linear.bias)


register_fusion((Conv2d, ReLU, MaxPool2d), _conv_relu_max_pool)
register_fusion((Conv2d, ReLU), _conv_relu)
register_fusion((Conv2d, BatchNorm2d, ReLU, MaxPool2d), _conv_bn_relu_max_pool)
register_fusion((Conv2d, BatchNorm2d, ReLU), _conv_bn_relu)
register_fusion((Conv2d, BatchNorm2d), _conv_bn)
register_fusion((BatchNorm2d, ReLU, MaxPool2d), _bn_relu_max_pool)
register_fusion((BatchNorm2d, ReLU), _bn_relu)
register_fusion((BatchNorm1d, ReLU), _bn_relu)
register_fusion((Linear, ReLU), _linear_relu)
