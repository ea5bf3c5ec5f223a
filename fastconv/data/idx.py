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


DEFAULT_MAX_BYTES = 4 << 30   # the full Fashion-MNIST training images take 47 MB


def _open(path: PathLike, f):
    """A binary stream of the file's content, decompressed when it is gzip (by content)."""
    if f.read(2) != _GZIP_MAGIC:
        f.seek(0)
        return f
    f.seek(0)
    return gzip.GzipFile(fileobj=f, mode="rb")


def _read_stream(stream, name: str, max_bytes: int) -> np.ndarray:
    """Header first, then exactly the declared data, then a check for trailing bytes: a
    compressed file is only decompressed as far as its header says it should be."""
    head = stream.read(4)
    if len(head) < 4:
        raise ValueError("%s: not an IDX file (only %d bytes; the header alone needs 4)"
                         % (name, len(head)))
    zero0, zero1, code, ndim = head
    if zero0 != 0 or zero1 != 0:
        raise ValueError("%s: not an IDX file (magic number 0x%s; IDX files start with two "
                         "zero bytes)" % (name, head.hex()))
    if code not in IDX_DTYPES:
        raise ValueError("%s: not an IDX file (unknown type code 0x%02x; expected one of %s)"
                         % (name, code, ", ".join("0x%02x" % c for c in sorted(IDX_DTYPES))))
    if not 1 <= ndim <= MAX_DIMS:
        raise ValueError("%s: not an IDX file (%d dimensions; expected 1 to %d)"
                         % (name, ndim, MAX_DIMS))
    dims = stream.read(4 * ndim)
    if len(dims) < 4 * ndim:
        raise ValueError("%s: truncated IDX header (%d bytes, expected %d)"
                         % (name, 4 + len(dims), 4 + 4 * ndim))
    shape = struct.unpack(">%dI" % ndim, dims)
    dtype = IDX_DTYPES[code]
    expected = math.prod(shape) * dtype.itemsize
    if expected > max_bytes:
        raise ValueError("%s: IDX header declares shape %s (%d bytes), more than "
                         "max_bytes=%d" % (name, shape, expected, max_bytes))
    data = stream.read(expected)
    if len(data) < expected:
        raise ValueError("%s: truncated IDX file: shape %s of %s needs %d bytes of data, "
                         "found %d" % (name, shape, dtype.newbyteorder("=").name, expected,
                                       len(data)))
    extra = len(stream.read(4096))
    if extra:
        raise ValueError("%s: IDX file has trailing bytes after the data of shape %s (at "
                         "least %d)" % (name, shape, extra))
    arr = np.frombuffer(data, dtype=dtype, count=expected // dtype.itemsize)
    return arr.reshape(shape).astype(dtype.newbyteorder("="))  # a writable native copy


def parse_idx(data: bytes, name: str = "<bytes>", max_bytes: int = DEFAULT_MAX_BYTES
              ) -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file into a native-endian numpy array."""
    import io
    return _read_stream(io.BytesIO(data), name, max_bytes)


def read_idx(path: PathLike, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Read an IDX file (raw or .gz, detected by content) into a numpy array.

    The header is read first and the data only as far as it declares, so a small
    compressed file cannot expand into gigabytes; a header declaring more than
    max_bytes is refused. Raises FileNotFoundError for a missing file and ValueError
    naming the file for a truncated, corrupt, oversized or foreign one.
    """
    name = os.fspath(path)
    with open(path, "rb") as f:
        try:
            return _read_stream(_open(path, f), name, max_bytes)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError("%s: corrupt or truncated gzip data (%s)" % (name, e)) from None


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
