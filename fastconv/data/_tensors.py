"""The one place fastconv.data meets fastconv Tensors: detect, unwrap and wrap them.

fastconv.data works on numpy arrays; Tensors appear only at its edges (a Tensor handed to
a transform or a TensorDataset, the batches a DataLoader yields). The autograd layer is
imported late, so that fastconv.data has no import cycle with the package root.
"""
from typing import Any

import numpy as np


def is_tensor(x: Any) -> bool:
    """Whether `x` is a fastconv Tensor."""
    from ..autograd.tensor import Tensor
    return isinstance(x, Tensor)


def to_numpy(x: Any) -> np.ndarray:
    """`x` as a numpy array: a Tensor's data (shared, not copied), an array as it is."""
    if isinstance(x, np.ndarray):
        return x
    if is_tensor(x):
        return np.asarray(x.detach())
    return np.asarray(x)


def to_tensor(x: np.ndarray) -> Any:
    """A fastconv Tensor sharing memory with numpy array `x`."""
    from ..autograd.tensor import from_numpy
    return from_numpy(np.asarray(x))
