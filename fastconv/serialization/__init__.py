"""save / load: checkpoints written atomically and read without pickle, within a budget.

`fastconv.save(obj, path)` takes what training scripts save: a state dict, or a nested
checkpoint such as {"net": model.state_dict(), "acc": 91.2, "epoch": 7, "optimizer":
opt.state_dict()} (dicts, lists, tuples, numbers, strings, None, Tensors and arrays).
The file is an ordinary .npz archive: one .npy member per array and, for anything but a
flat state dict, a JSON index of the structure. `fastconv.load(path)` returns the same
structure. Nothing is ever unpickled, whatever `weights_only` says, and a load refuses
to materialise more than `max_bytes`.
"""
import io
import json
import os
from typing import Any, Mapping, Optional, Union

import numpy as np

from .._xp import is_cupy
from ..autograd import Tensor
from . import _npz, _tree
from ._atomic import PathLike, atomic_write

DEFAULT_MAX_BYTES = 16 << 30   # 16 GiB: more than any model here, less than a bomb's claim
FORMAT_VERSION = 1


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor)


def _host(value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.detach().to("cpu").data
    elif is_cupy(value):
        value = value.get()
    array = np.asarray(value)
    if array.dtype.kind not in _npz.ALLOWED_KINDS or array.dtype.fields is not None:
        raise TypeError("save: arrays must be bool, integer or float, got dtype %s "
                        "(anything else would need pickle or could not be a tensor)"
                        % array.dtype)
    return array


def _flat_state_dict(obj: Any) -> bool:
    """True for a mapping of str -> Tensor/array: stored as plain named members."""
    return isinstance(obj, Mapping) and all(
        isinstance(k, str) and (isinstance(v, (Tensor, np.ndarray)) or is_cupy(v))
        for k, v in obj.items())


def save(obj: Any, f: Union[PathLike, io.BufferedIOBase]) -> None:
    """Write `obj` (a state dict or a nested checkpoint) to a path, atomically, or to a
    binary file object. Raises TypeError, before writing anything, for values a
    checkpoint cannot hold without pickle."""
    if _flat_state_dict(obj):
        arrays = {key: _host(value) for key, value in obj.items()}
        index = None
    else:
        tree, arrays = _tree.flatten(obj, _is_tensor, _host)
        index = json.dumps({"fastconv_checkpoint": FORMAT_VERSION, "tree": tree},
                           allow_nan=False).encode()

    def write(stream) -> None:
        _npz.write(stream, arrays, index)

    if hasattr(f, "write"):
        write(f)
    else:
        atomic_write(f, write)


def load(f: Union[PathLike, io.BufferedIOBase], map_location: Any = None,
         weights_only: Optional[bool] = None, *, max_bytes: int = DEFAULT_MAX_BYTES,
         mmap: Optional[bool] = None) -> Any:
    """Read what save() wrote (or any .npz of plain numeric arrays): a flat state dict
    comes back as name -> Tensor in the saved order, a nested checkpoint as the same
    structure.

    map_location: None or "cpu" keeps tensors on the CPU; "cuda" moves them to the GPU
    (also a `fastconv.device` or a {"from": "to"} dict, as torch accepts). weights_only
    is accepted for torch compatibility: loading never unpickles either way. max_bytes
    bounds the memory a load may materialise (MemoryError beyond it). A missing file
    raises FileNotFoundError; a truncated, corrupt or foreign file ValueError naming it.
    """
    if mmap:
        raise ValueError("load: mmap=True is not supported (checkpoints are read into "
                         "memory, within max_bytes)")
    device = _device(map_location)
    name = repr(getattr(f, "name", f)) if hasattr(f, "read") else repr(os.fspath(f))
    if not hasattr(f, "read") and not os.path.exists(f):
        raise FileNotFoundError("load: no such file: %s" % name)
    try:
        arrays, index = _npz.read(f, _npz.Budget(max_bytes))
        obj = _assemble(arrays, index)
    except (FileNotFoundError, IsADirectoryError, PermissionError, MemoryError):
        raise
    except Exception as error:  # zipfile, zlib, header and index errors: all "bad file"
        raise ValueError("load: %s is not a valid fastconv checkpoint (.npz archive): %s"
                         % (name, error)) from error
    return obj if device == "cpu" else _move(obj, device)


def _assemble(arrays, index: Optional[bytes]) -> Any:
    if index is None:
        return {key: Tensor(value) for key, value in arrays.items()}
    try:
        header = json.loads(index.decode())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError("its index is not valid JSON (%s)" % error) from None
    if not isinstance(header, dict) or header.get("fastconv_checkpoint") != FORMAT_VERSION \
            or "tree" not in header:
        raise ValueError("its index is not a fastconv checkpoint index of version %d"
                         % FORMAT_VERSION)
    return _tree.unflatten(header["tree"], arrays, Tensor)


def _device(map_location: Any) -> str:
    if map_location is None:
        return "cpu"
    if isinstance(map_location, Mapping):
        targets = set(str(v).split(":")[0] for v in map_location.values())
        if len(targets) != 1:
            raise ValueError("map_location: a dict must map every device to one target, "
                             "got %r" % (map_location,))
        map_location = targets.pop()
    kind = str(getattr(map_location, "type", map_location)).split(":")[0]
    if kind not in ("cpu", "cuda"):
        raise ValueError("map_location must be 'cpu', 'cuda', a device or a dict of them, "
                         "got %r" % (map_location,))
    return kind


def _move(obj: Any, device: str) -> Any:
    if isinstance(obj, Tensor):
        return obj.to(device)
    if isinstance(obj, dict):
        return {k: _move(v, device) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(v, device) for v in obj)
    return obj
