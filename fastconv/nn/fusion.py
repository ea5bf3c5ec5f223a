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

from ..autograd import Tensor
from ..functional.conv import conv2d_relu, conv2d_relu_max_pool2d
from .activation import ReLU
from .conv import Conv2d
from .module import Module
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


register_fusion((Conv2d, ReLU, MaxPool2d), _conv_relu_max_pool)
register_fusion((Conv2d, ReLU), _conv_relu)
