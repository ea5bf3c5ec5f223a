"""Transform, Compose, Lambda and the helpers every transform shares.

A fastconv transform works on one sample (C, H, W), as torchvision's tensor transforms
do, and on a whole batch (N, C, H, W) at once through `apply_batch`, drawing independent
random parameters for every sample in one vectorised step. Random draws come from
fastconv's process-wide generator (seeded by `fastconv.manual_seed`) unless the
transform was given its own numpy Generator.

Each random transform draws a fixed number of uniform doubles per sample, sample after
sample, so a batch of N consumes the generator exactly as N single-sample calls do and
gets the same parameters.
"""
import enum
import numbers
from typing import Any, Callable, Iterable, List, Optional

import numpy as np

from .._random import resolve_generator
from .._tensors import is_tensor, to_numpy, to_tensor

__all__ = ["Transform", "Compose", "Lambda", "InterpolationMode", "apply_batch"]


class InterpolationMode(enum.Enum):
    """How a geometric transform reads between pixels (torchvision's names)."""
    NEAREST = "nearest"
    BILINEAR = "bilinear"


def interpolation_name(value: Any, owner: str) -> str:
    """'nearest' or 'bilinear' for an InterpolationMode or its string value."""
    if isinstance(value, InterpolationMode):
        return value.value
    name = getattr(value, "value", value)   # torchvision's own InterpolationMode too
    if isinstance(name, str) and name.lower() in ("nearest", "bilinear"):
        return name.lower()
    raise ValueError("%s: interpolation must be InterpolationMode.NEAREST or BILINEAR "
                     "('nearest' or 'bilinear'), got %r" % (owner, value))


def check_probability(p: Any, owner: str) -> float:
    """p as a float in [0, 1]; ValueError naming `p` otherwise."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0:
        raise ValueError("%s: p must be a probability in [0, 1], got %r" % (owner, p))
    return float(p)


def check_images(batch: np.ndarray, owner: str, dtypes: str = "fiub") -> np.ndarray:
    """A batch (N, C, H, W) of a numeric dtype, else a clear ValueError/TypeError."""
    if batch.ndim != 4:
        raise ValueError("%s: expected a batch of images (N, C, H, W), got an array of "
                         "shape %s" % (owner, batch.shape))
    if batch.dtype.kind not in dtypes:
        raise TypeError("%s: unsupported image dtype %s" % (owner, batch.dtype))
    return batch


def fill_per_channel(fill: Any, channels: int, owner: str) -> np.ndarray:
    """`fill` (a number or one number per channel) as a float64 array (channels,)."""
    values = np.asarray(fill, dtype=np.float64).reshape(-1)
    if values.size == 1:
        return np.full(channels, values[0])
    if values.size != channels:
        raise ValueError("%s: fill has %d values but the images have %d channels"
                         % (owner, values.size, channels))
    return values


def check_fill(fill: Any, owner: str) -> Any:
    """`fill`: a real number or a sequence of them; TypeError naming `fill` otherwise."""
    values = fill if isinstance(fill, (list, tuple)) else [fill]
    if not values or not all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                             for v in values):
        raise TypeError("%s: fill must be a number or a sequence of numbers, got %r"
                        % (owner, fill))
    return fill


def _stack_samples(results: List[Any]) -> np.ndarray:
    return np.stack([to_numpy(r) for r in results])


def apply_batch(transform: Optional[Callable], batch: np.ndarray, *,
                tensors: bool = False) -> np.ndarray:
    """`transform` applied to every sample of `batch` (a numpy array, samples along
    axis 0), as one vectorised call when it is a fastconv Transform, else sample by
    sample (a plain function, a Lambda). tensors=True hands plain functions fastconv
    Tensors (as after ToTensor), otherwise numpy arrays; the result is numpy."""
    if transform is None:
        return batch
    if isinstance(transform, Compose):
        return transform._apply_composed(batch, tensors)
    if isinstance(transform, Lambda):
        transform = transform.lambd
    elif isinstance(transform, Transform):
        return transform.apply_batch(batch)
    if len(batch) == 0:
        return batch
    wrap = to_tensor if tensors else (lambda a: a)
    return _stack_samples([transform(wrap(sample)) for sample in batch])


def is_channel_last_uint8(batch: np.ndarray) -> bool:
    """Whether a batch holds uint8 images stored channels last, (N, H, W, C) with C in
    1, 3, 4 (how datasets store raw images, where torchvision has PIL images), rather
    than channels first (N, C, H, W)."""
    return (batch.ndim == 4 and batch.dtype == np.uint8 and batch.shape[-1] in (1, 3, 4)
            and batch.shape[1] not in (1, 3, 4))


class Transform:
    """Base of fastconv's transforms: `t(x)` for one image (C, H, W) or a batch
    (N, C, H, W), a numpy array or a fastconv Tensor (the result has the same kind);
    `t.apply_batch(batch)` for a numpy batch, every sample with its own random draws.
    Subclasses implement apply_batch, or `_apply` for an (N, C, H, W) batch when they
    set `channel_last_uint8`: then raw uint8 images stored channels last ((H, W, C),
    as CIFAR10 gives them before ToTensor, where torchvision has PIL images) are
    transformed too and stay channels last."""

    channel_last_uint8 = False

    def __call__(self, x: Any) -> Any:
        tensor_in = is_tensor(x)
        out = self._call_array(to_numpy(x))
        return to_tensor(out) if tensor_in else out

    def _call_array(self, array: np.ndarray) -> np.ndarray:
        if array.ndim == 3:
            return self.apply_batch(array[None])[0]
        if array.ndim == 4:
            return self.apply_batch(array)
        raise ValueError("%s: expected an image (C, H, W) or a batch (N, C, H, W), got an "
                         "array of shape %s" % (type(self).__name__, array.shape))

    def apply_batch(self, batch: np.ndarray) -> np.ndarray:
        """The transform on every sample of `batch`; returns a new numpy array."""
        if self.channel_last_uint8 and is_channel_last_uint8(batch):
            out = self._apply(np.moveaxis(batch, -1, 1))
            return np.ascontiguousarray(np.moveaxis(out, 1, -1))
        return self._apply(batch)

    def _apply(self, batch: np.ndarray) -> np.ndarray:
        raise NotImplementedError("%s must define apply_batch or _apply" % type(self).__name__)

    def __repr__(self) -> str:
        return "%s()" % type(self).__name__


class Compose(Transform):
    """Several transforms applied one after another (torchvision.transforms.Compose)."""

    def __init__(self, transforms: Iterable[Callable]) -> None:
        self.transforms = list(transforms)
        for k, t in enumerate(self.transforms):
            if not callable(t):
                raise TypeError("Compose: transforms[%d] is not callable (%r)" % (k, t))

    def __call__(self, x: Any) -> Any:
        for t in self.transforms:
            x = t(x)
        return x

    def apply_batch(self, batch: np.ndarray) -> np.ndarray:
        return self._apply_composed(batch, False)

    def _apply_composed(self, batch: np.ndarray, tensors: bool) -> np.ndarray:
        from .to_tensor import ToTensor
        for t in self.transforms:
            batch = apply_batch(t, batch, tensors=tensors)
            tensors = tensors or isinstance(t, ToTensor)
        return batch

    def __repr__(self) -> str:
        inner = "".join("\n    %r" % (t,) for t in self.transforms)
        return "Compose(%s\n)" % inner


class Lambda(Transform):
    """A user function as a transform (torchvision.transforms.Lambda). It sees one
    sample at a time, also inside a batch."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError("Lambda: lambd must be callable, got %s" % type(lambd).__name__)
        self.lambd = lambd

    def __call__(self, x: Any) -> Any:
        return self.lambd(x)

    def apply_batch(self, batch: np.ndarray) -> np.ndarray:
        return apply_batch(self, batch)


def uniform_draws(generator: Optional[np.random.Generator], n: int, k: int) -> np.ndarray:
    """(n, k) uniform doubles in [0, 1): sample after sample, k per sample, so that n
    single-sample calls and one call for n samples read the generator identically."""
    return resolve_generator(generator).random((n, k))
