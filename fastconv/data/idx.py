"""Read and write IDX files (the MNIST / Fashion-MNIST format), raw or gzip-compressed.

An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of
dimensions), one big-endian uint32 per dimension, then the data in C order, big-endian.
Reading validates every part and raises ValueError naming the file when something is off.
No pickle anywhere.
"""
import gzip
import math
import os
import struct
import zlib
from typing import Optional, Union

import numpy as np

PathLike = Union[str, "os.PathLike[str]"]

# IDX type code -> big-endian numpy dtype.
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}

_GZIP_MAGIC = b"\x1f\x8b"
MAX_DIMS = 8


def _read_bytes(path: PathLike) -> bytes:
    """The file's bytes, decompressed when the file is gzip (detected by content)."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:
        raise ValueError("%s: corrupt or truncated gzip data (%s)" % (os.fspath(path), e)) from None


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file into a native-endian numpy array."""
    if len(data) < 4:
        raise ValueError("%s: not an IDX file (only %d bytes; the header alone needs 4)"
                         % (name, len(data)))
    zero0, zero1, code, ndim = data[0], data[1], data[2], data[3]
    if zero0 != 0 or zero1 != 0:
        raise ValueError("%s: not an IDX file (magic number 0x%s; IDX files start with two "
                         "zero bytes)" % (name, data[:4].hex()))
    if code not in IDX_DTYPES:
        raise ValueError("%s: not an IDX file (unknown type code 0x%02x; expected one of %s)"
                         % (name, code, ", ".join("0x%02x" % c for c in sorted(IDX_DTYPES))))
    if not 1 <= ndim <= MAX_DIMS:
        raise ValueError("%s: not an IDX file (%d dimensions; expected 1 to %d)"
                         % (name, ndim, MAX_DIMS))
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError("%s: truncated IDX header (%d bytes, expected %d)"
                         % (name, len(data), header))
    shape = struct.unpack(">%dI" % ndim, data[4:header])
    dtype = IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    found = len(data) - header
    if found < expected:
        raise ValueError("%s: truncated IDX file: shape %s of %s needs %d bytes of data, "
                         "found %d" % (name, shape, dtype.newbyteorder("=").name, expected, found))
    if found > expected:
        raise ValueError("%s: IDX file has %d unexpected trailing bytes after the data of "
                         "shape %s" % (name, found - expected, shape))
    arr = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize, offset=header)
    return arr.reshape(shape).astype(dtype.newbyteorder("="))  # a writable native copy


def read_idx(path: PathLike) -> np.ndarray:
    """Read an IDX file (raw or .gz, detected by content) into a numpy array.

    Raises FileNotFoundError for a missing file and ValueError naming the file for a
    truncated, corrupt or foreign one.
    """
    return parse_idx(_read_bytes(path), os.fspath(path))


def write_idx(path: PathLike, array: np.ndarray, compress: Optional[bool] = None) -> None:
    """Write `array` as an IDX file; gzip it when `compress` (default: path ends in .gz).

    The gzip stream carries no timestamp or file name, so equal arrays give equal files.
    """
    array = np.ascontiguousarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        raise TypeError("write_idx: dtype %s has no IDX type code (use uint8, int8, int16, "
                        "int32, float32 or float64)" % array.dtype)
    if not 1 <= array.ndim <= MAX_DIMS:
        raise ValueError("write_idx: array must have 1 to %d dimensions, got %d"
                         % (MAX_DIMS, array.ndim))
    code = _CODES[native]
    payload = (bytes([0, 0, code, array.ndim]) + struct.pack(">%dI" % array.ndim, *array.shape)
               + array.astype(IDX_DTYPES[code], copy=False).tobytes())
    if compress is None:
        compress = os.fspath(path).endswith(".gz")
    if compress:
        payload = gzip.compress(payload, compresslevel=9, mtime=0)
    tmp = os.fspath(path) + ".tmp"
    with open(tmp, "wb") as f:
        f.write(payload)
    os.replace(tmp, path)
