"""The .safetensors container, written and read by hand (no dependency), checked hard.

Layout: an 8-byte little-endian header length N, N bytes of JSON {name: {"dtype",
"shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}} padded with spaces
to a multiple of 8, then the data buffer. We write what the `safetensors` library
writes for the same tensors (data ordered by its dtype order, then by name),
so files are byte-identical to its own. Reading checks the header length against the
file, the dtypes, the shapes against the offsets, and that the tensors tile the buffer
exactly (no overlaps, no holes, nothing past the end) before materialising anything.
"""
import json
import struct
from typing import BinaryIO, Dict, Optional, Tuple

import numpy as np

from ._npz import Budget

MAX_HEADER_BYTES = 100 << 20   # as the safetensors library

DTYPES = {"BOOL": np.dtype(np.bool_), "U8": np.dtype(np.uint8), "I8": np.dtype(np.int8),
          "I16": np.dtype("<i2"), "U16": np.dtype("<u2"), "I32": np.dtype("<i4"),
          "U32": np.dtype("<u4"), "I64": np.dtype("<i8"), "U64": np.dtype("<u8"),
          "F16": np.dtype("<f2"), "F32": np.dtype("<f4"), "F64": np.dtype("<f8")}
_CODES = {dt.newbyteorder("="): code for code, dt in DTYPES.items()}
# the library's dtype order (its Rust enum); it lays tensors out from the last down
_RANK = {code: i for i, code in enumerate(
    ["BOOL", "U8", "I8", "I16", "U16", "F16", "I32", "U32", "F32", "F64", "I64", "U64"])}


def write(f: BinaryIO, arrays: Dict[str, np.ndarray],
          metadata: Optional[Dict[str, str]] = None) -> None:
    """Write arrays (and string metadata) as a .safetensors file."""
    codes = {}
    for name, array in arrays.items():
        codes[name] = _CODES.get(array.dtype.newbyteorder("="))
        if codes[name] is None:
            raise TypeError("save: dtype %s has no safetensors code" % array.dtype)
    order = sorted(arrays, key=lambda k: (-_RANK[codes[k]], k))
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = dict(metadata)
    for name in order:
        array, code = arrays[name], codes[name]
        header[name] = {"dtype": code, "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    f.write(struct.pack("<Q", len(text)))
    f.write(text)
    for name in order:
        array = arrays[name]
        f.write(np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes())


def read(f: BinaryIO, size: int, budget: Budget) -> Tuple[Dict[str, np.ndarray],
                                                           Dict[str, str]]:
    """(arrays in file order, metadata) of a .safetensors stream of `size` bytes."""
    raw = f.read(8)
    if len(raw) < 8:
        raise ValueError("too short for a safetensors header (%d bytes)" % len(raw))
    (length,) = struct.unpack("<Q", raw)
    if length > MAX_HEADER_BYTES or 8 + length > size:
        raise ValueError("header length %d runs past the file (%d bytes) or the %d-byte "
                         "limit" % (length, size, MAX_HEADER_BYTES))
    budget.take(length, "the header")
    try:
        header = json.loads(f.read(length).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError("its header is not valid JSON (%s)" % error) from None
    if not isinstance(header, dict):
        raise ValueError("its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise ValueError("its __metadata__ must map strings to strings")
    entries = []
    for name, entry in header.items():
        dtype, shape, begin, end = _entry(name, entry)
        entries.append((begin, end, name, dtype, shape))
    data_size = size - 8 - length
    position = 0
    for begin, end, name, _, _ in sorted(entries):
        if begin != position:
            raise ValueError("tensor %r starts at byte %d of the data, expected %d (tensors "
                             "must tile the data without overlaps or holes)"
                             % (name, begin, position))
        position = end
    if position != data_size:
        raise ValueError("the tensors cover %d bytes of data but the file holds %d"
                         % (position, data_size))
    budget.take(data_size, "the tensor data")
    data = f.read(data_size)
    if len(data) != data_size:
        raise ValueError("truncated: %d of %d data bytes" % (len(data), data_size))
    arrays = {}
    for begin, end, name, dtype, shape in sorted(entries, key=lambda e: e[2]):
        array = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize,
                              offset=begin).reshape(shape)
        arrays[name] = array.astype(dtype.newbyteorder("="))   # a writable native copy
    return arrays, metadata


def _entry(name, entry):
    if not isinstance(entry, dict) or set(entry) != {"dtype", "shape", "data_offsets"}:
        raise ValueError("tensor %r: entry must hold exactly dtype, shape and data_offsets"
                         % (name,))
    code = entry["dtype"]
    if code not in DTYPES:
        raise ValueError("tensor %r has dtype %r, which fastconv cannot read (known: %s)"
                         % (name, code, ", ".join(sorted(DTYPES))))
    shape, offsets = entry["shape"], entry["data_offsets"]
    if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise ValueError("tensor %r has an invalid shape %r" % (name, shape))
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(
            isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets):
        raise ValueError("tensor %r has invalid data_offsets %r" % (name, offsets))
    dtype = DTYPES[code]
    count = 1
    for d in shape:
        count *= d
    begin, end = offsets
    if end - begin != count * dtype.itemsize:
        raise ValueError("tensor %r: data_offsets %r hold %d bytes, but shape %s of %s needs "
                         "%d" % (name, offsets, end - begin, shape, code,
                                 count * dtype.itemsize))
    return dtype, tuple(shape), begin, end
