"""The .npz container: named .npy members in a zip archive, written and read by hand.

Reading never unpickles and never materialises more than the caller allows: every
member's .npy header is parsed first (dtype, shape), refused when its dtype cannot be
a tensor or its size would pass the budget, and only then is the declared number of
bytes read, so a small archive cannot expand into gigabytes (a "zip bomb") and a
truncated member is reported as truncated.
"""
import zipfile
from typing import BinaryIO, Dict

import numpy as np

ALLOWED_KINDS = "biuf"   # bool, signed and unsigned integers, floats
INDEX_MEMBER = "__fastconv_index__.json"
MAX_INDEX_BYTES = 64 << 20


def write(f: BinaryIO, arrays: Dict[str, np.ndarray], index: bytes = None) -> None:
    """One uncompressed '<name>.npy' member per array (the layout numpy reads), and the
    JSON index member when given."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(name + ".npy", mode="w", force_zip64=True) as member:
                if not array.flags.c_contiguous:
                    array = array.copy(order="C")      # (ascontiguousarray would make 0-d 1-d)
                np.lib.format.write_array(member, array, allow_pickle=False)
        if index is not None:
            zf.writestr(INDEX_MEMBER, index)


class Budget:
    """Bytes still allowed to be materialised by one load."""

    def __init__(self, max_bytes: int):
        self.max_bytes = int(max_bytes)
        self.used = 0

    def take(self, nbytes: int, what: str) -> None:
        self.used += nbytes
        if self.used > self.max_bytes:
            raise MemoryError("load: %s would bring the data read to %d bytes, more than "
                              "max_bytes=%d; pass a larger max_bytes= if you trust this file"
                              % (what, self.used, self.max_bytes))


def read(f, budget: Budget):
    """(arrays by member name without '.npy', index bytes or None) of an archive."""
    arrays: Dict[str, np.ndarray] = {}
    index = None
    with zipfile.ZipFile(f) as zf:
        for info in zf.infolist():
            if info.filename == INDEX_MEMBER:
                if info.file_size > MAX_INDEX_BYTES:
                    raise ValueError("its index member declares %d bytes" % info.file_size)
                budget.take(info.file_size, "the index")
                with zf.open(info) as member:
                    index = member.read(MAX_INDEX_BYTES + 1)
                continue
            if not info.filename.endswith(".npy"):
                raise ValueError("member %r is not a .npy array" % (info.filename,))
            with zf.open(info) as member:
                arrays[info.filename[:-4]] = _read_npy(member, info, budget)
    return arrays, index


def _read_npy(member, info: zipfile.ZipInfo, budget: Budget) -> np.ndarray:
    name = info.filename
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError("unsupported .npy version %s" % (version,))
    except ValueError as error:
        raise ValueError("member %r has no valid .npy header (%s)" % (name, _plain(error)))
    if dtype.kind not in ALLOWED_KINDS or dtype.fields is not None or dtype.subdtype:
        raise ValueError("member %r has dtype %s, which a tensor cannot hold (checkpoints "
                         "hold bool, integer and float arrays)" % (name, dtype))
    count = 1
    for d in shape:
        count *= int(d)
    nbytes = count * dtype.itemsize
    budget.take(nbytes, "member %r (%s %s)" % (name, dtype, tuple(shape)))
    data = member.read(nbytes)
    if len(data) != nbytes:
        raise ValueError("member %r is truncated: %d of %d data bytes"
                         % (name, len(data), nbytes))
    if member.read(1):
        raise ValueError("member %r has data beyond its declared shape %s"
                         % (name, tuple(shape)))
    array = np.frombuffer(data, dtype=dtype, count=count)
    array = array.reshape(shape[::-1]).T if fortran else array.reshape(shape)
    return np.array(array, order="C")   # writable, owning its memory


def _plain(error: Exception) -> str:
    """numpy's message, without its advice about pickles (these files never hold any)."""
    return str(error).split("\n")[0]
