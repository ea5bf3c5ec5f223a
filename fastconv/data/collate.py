"""default_collate and default_convert: samples to batches, numpy arrays to Tensors.

Collating is done on numpy arrays (`collate_arrays`, what loader workers run and send
back); `arrays_to_tensors` then wraps the arrays as fastconv Tensors without copying.
default_collate is the two together, with torch's rules: Tensors, numpy arrays and
numpy scalars are stacked, Python floats become float64 and ints int64, strings stay a
list, and tuples, lists, named tuples and dicts are collated field by field.
"""
import collections.abc
from typing import Any, List, Sequence

import numpy as np

from ._tensors import is_tensor, to_numpy, to_tensor

__all__ = ["default_collate", "default_convert", "collate_arrays", "arrays_to_tensors"]


def _numeric(array: np.ndarray) -> bool:
    return array.dtype.kind in "biuf"


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def collate_arrays(batch: Sequence[Any]) -> Any:
    """Samples -> one batch with numpy arrays at the leaves (see default_collate)."""
    if len(batch) == 0:
        raise ValueError("default_collate: the batch is empty")
    elem = batch[0]
    if is_tensor(elem) or isinstance(elem, np.ndarray):
        arrays = [to_numpy(b) for b in batch]
        if not _numeric(arrays[0]):
            raise TypeError("default_collate: arrays of dtype %s cannot be batched"
                            % arrays[0].dtype)
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise RuntimeError("default_collate: stack expects each array to be equal size, "
                               "got shapes %s" % sorted(shapes))
        return np.stack(arrays)
    if isinstance(elem, np.generic) and _numeric(np.asarray(elem)):
        return np.asarray(batch)
    if isinstance(elem, bool):
        return np.asarray(batch, dtype=bool)
    if isinstance(elem, float):
        return np.asarray(batch, dtype=np.float64)
    if isinstance(elem, int):
        return np.asarray(batch, dtype=np.int64)
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: collate_arrays([d[key] for d in batch]) for key in elem}
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               "equal size")
        fields = [collate_arrays(list(samples)) for samples in zip(*batch)]
        if _is_namedtuple(elem):
            return type(elem)(*fields)
        return tuple(fields) if isinstance(elem, tuple) else fields
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, "
                    "dicts or lists; found %s" % type(elem).__name__)


def arrays_to_tensors(data: Any) -> Any:
    """`data` with every numeric numpy array (or numpy scalar) wrapped as a Tensor,
    recursing into tuples, lists and dicts; anything else is left as it is."""
    if isinstance(data, np.ndarray):
        return to_tensor(data) if _numeric(data) else data
    if isinstance(data, np.generic) and _numeric(np.asarray(data)):
        return to_tensor(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        return {key: arrays_to_tensors(value) for key, value in data.items()}
    if _is_namedtuple(data):
        return type(data)(*(arrays_to_tensors(v) for v in data))
    if isinstance(data, tuple):
        return tuple(arrays_to_tensors(v) for v in data)
    if isinstance(data, list):
        return [arrays_to_tensors(v) for v in data]
    return data


def default_collate(batch: List[Any]) -> Any:
    """A list of samples -> one batch of fastconv Tensors (torch's default_collate).

    Samples that are tuples give a tuple of batched fields (torch gives a list; both
    unpack the same way); dicts give a dict; lists give a list.
    """
    return arrays_to_tensors(collate_arrays(batch))


def default_convert(data: Any) -> Any:
    """numpy arrays (at any depth of tuples, lists and dicts) to Tensors, nothing
    stacked: what DataLoader does to each item when batch_size=None."""
    return arrays_to_tensors(data)
