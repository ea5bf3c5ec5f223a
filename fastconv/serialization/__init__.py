"""save / load: checkpoints written atomically and read without pickle, within a budget.

`fastconv.save(obj, path)` takes what training scripts save: a state dict, or a nested
checkpoint such as {"net": model.state_dict(), "acc": 91.2, "epoch": 7, "optimizer":
opt.state_dict()} (dicts, lists, tuples, numbers, strings, None, Tensors and arrays).
The file is an ordinary .npz archive (one .npy member per array and, for anything but a
flat state dict, a JSON index of the structure) or, for paths ending in .safetensors or
with format="safetensors", a .safetensors file the `safetensors` library reads and
writes too (the index then lives in its metadata). `fastconv.load(path)` returns the same
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
from . import _npz, _safetensors, _tree
from ._atomic import PathLike, atomic_write

DEFAULT_MAX_BYTES = 16 << 30   # 16 GiB: more than any model here, less than a bomb's claim
FORMAT_VERSION = 1
FORMATS = ("npz", "safetensors")
INDEX_KEY = "fastconv_checkpoint"   # the index's key in safetensors metadata


def _is_tensor(value: Any) -> bool:
    return isinstance(value, Tensor)


def _host(value: Any) -> np.ndarray:
    if isinstance(value, Tensor):
        value = value.detach().to("cpu")._data
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


def _format(f: Any, format: Optional[str]) -> Optional[str]:
    """The format asked for, or implied by a path's extension (None: decide by content)."""
    if format is not None:
        if format not in FORMATS:
            raise ValueError("format must be one of %s, got %r" % (FORMATS, format))
        return format
    name = getattr(f, "name", f) if hasattr(f, "read") or hasattr(f, "write") else f
    if isinstance(name, (str, os.PathLike)) and os.fspath(name).endswith(".safetensors"):
        return "safetensors"
    return None


def save(obj: Any, f: Union[PathLike, io.BufferedIOBase], format: Optional[str] = None
         ) -> None:
    """Write `obj` (a state dict or a nested checkpoint) to a path, atomically, or to a
    binary file object: .npz, or .safetensors by extension or format="safetensors".
    Raises TypeError, before writing anything, for values a checkpoint cannot hold
    without pickle."""
    kind = _format(f, format) or "npz"
    if _flat_state_dict(obj):
        arrays = {key: _host(value) for key, value in obj.items()}
        index = None
    else:
        tree, arrays = _tree.flatten(obj, _is_tensor, _host)
        index = json.dumps({"fastconv_checkpoint": FORMAT_VERSION, "tree": tree},
                           allow_nan=False)

    def write(stream) -> None:
        if kind == "npz":
            _npz.write(stream, arrays, None if index is None else index.encode())
        else:
            _safetensors.write(stream, arrays, None if index is None else {INDEX_KEY: index})

    if hasattr(f, "write"):
        write(f)
    else:
        atomic_write(f, write)


def load(f: Union[PathLike, io.BufferedIOBase], map_location: Any = None,
         weights_only: Optional[bool] = None, *, max_bytes: int = DEFAULT_MAX_BYTES,
         mmap: Optional[bool] = None, format: Optional[str] = None) -> Any:
    """Read what save() wrote (or any .npz of plain numeric arrays): a flat state dict
    comes back as name -> Tensor in the saved order, a nested checkpoint as the same
    structure.

    map_location: None or "cpu" keeps tensors on the CPU; "cuda" moves them to the GPU
    (also a `fastconv.device` or a {"from": "to"} dict, as torch accepts). weights_only
    is accepted for torch compatibility: loading never unpickles either way. The format
    comes from `format`, the .safetensors extension, or the file's first bytes. max_bytes
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
    kind = _format(f, format)
    try:
        if hasattr(f, "read"):
            obj = _load_stream(f, kind, max_bytes)
        else:
            with open(f, "rb") as stream:
                obj = _load_stream(stream, kind, max_bytes)
    except (FileNotFoundError, IsADirectoryError, PermissionError, MemoryError):
        raise
    except Exception as error:  # zipfile, zlib, header and index errors: all "bad file"
        raise ValueError("load: %s is not a valid fastconv checkpoint (.npz archive): %s"
                         % (name, error)) from error
    return obj if device == "cpu" else _move(obj, device)


def _load_stream(stream, kind: Optional[str], max_bytes: int) -> Any:
    start = stream.tell()
    if kind is None:
        kind = "npz" if stream.read(2) == b"PK" else "safetensors"
        stream.seek(start)
    budget = _npz.Budget(max_bytes)
    if kind == "npz":
        arrays, index = _npz.read(stream, budget)
        return _assemble(arrays, index)
    size = stream.seek(0, os.SEEK_END) - start
    stream.seek(start)
    arrays, metadata = _safetensors.read(stream, size, budget)
    index = metadata.get(INDEX_KEY)
    return _assemble(arrays, None if index is None else index.encode())


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
