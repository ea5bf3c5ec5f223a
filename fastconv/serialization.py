"""save / load: state dicts as .npz files, written atomically and read without pickle."""
import os
import uuid
import zipfile
from typing import Any, Dict, Mapping, Union

import numpy as np

from ._xp import is_cupy
from .autograd import Tensor

PathLike = Union[str, "os.PathLike[str]"]


def _host_array(key: str, value: Any) -> np.ndarray:
    """A value of a state dict as a numpy array (Tensors and cupy arrays copied to host)."""
    if isinstance(value, Tensor):
        value = value.detach().to("cpu").data
    elif is_cupy(value):
        value = value.get()
    if not isinstance(value, (np.ndarray, np.generic)):
        raise TypeError("save: state_dict[%r] must be a Tensor or an array, got %s"
                        % (key, type(value).__name__))
    value = np.asarray(value)
    if value.dtype.hasobject:
        raise TypeError("save: state_dict[%r] has dtype object, which would need pickle"
                        % (key,))
    return value


def save(state_dict: Mapping[str, Any], path: PathLike) -> None:
    """Write name -> Tensor/array to `path` as an .npz archive, atomically.

    The archive goes to a temporary file in the same directory, is flushed and fsynced,
    then renamed over `path`: readers see the old file or the new one, never a partial
    one, and a failure leaves no temporary file behind. `path` is used as given (no
    '.npz' suffix is added).
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError("save: state_dict must be a mapping of name -> Tensor, got %s"
                        % type(state_dict).__name__)
    arrays = {}
    for key, value in state_dict.items():
        if not isinstance(key, str):
            raise TypeError("save: state_dict keys must be str, got %r" % (key,))
        arrays[key] = _host_array(key, value)
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    temp = os.path.join(directory, ".%s.%s.tmp" % (os.path.basename(path), uuid.uuid4().hex))
    # O_EXCL: never clobber; mode 0o666 so the umask decides, as for any new file
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        raise
    _fsync_directory(directory)


def _write_npz(f, arrays: Dict[str, np.ndarray]) -> None:
    """The .npz layout numpy reads: one '<name>.npy' member per array, stored uncompressed."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for key, array in arrays.items():
            with zf.open(key + ".npy", mode="w", force_zip64=True) as member:
                if not array.flags.c_contiguous:
                    array = array.copy(order="C")      # (ascontiguousarray would make 0-d 1-d)
                np.lib.format.write_array(member, array, allow_pickle=False)


def _fsync_directory(directory: str) -> None:
    """Make the rename durable where the platform allows syncing a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path: PathLike) -> Dict[str, Tensor]:
    """Read a file written by save(): name -> Tensor, in the saved order.

    Never unpickles. A missing file raises FileNotFoundError; a truncated, corrupt or
    foreign file raises ValueError naming the path.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError("load: no such file: %r" % (path,))
    try:
        return _read_npz(path)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except Exception as error:  # zipfile, zlib, numpy format errors: all mean "bad file"
        raise ValueError("load: %r is not a valid fastconv checkpoint (.npz archive): %s"
                         % (path, error)) from error


def _read_npz(path: str) -> Dict[str, Tensor]:
    archive = np.load(path, allow_pickle=False)
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ValueError("it holds a single %s, not an archive of named arrays"
                         % type(archive).__name__)
    with archive:
        out = {}
        for key in archive.files:
            value = archive[key]
            if not isinstance(value, np.ndarray):
                raise ValueError("member %r is not a .npy array" % (key,))
            out[key] = Tensor(value)
        return out
