"""IDX reader/writer: round trips, and clear errors for truncated, corrupt or foreign files."""
import gzip
import struct

import numpy as np
import pytest

from fastconv.data import parse_idx, read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


def idx_bytes(code, shape, payload):
    """An IDX file built by hand from the format's definition."""
    return bytes([0, 0, code, len(shape)]) + struct.pack(">%dI" % len(shape), *shape) + payload


def test_reads_a_hand_written_file(tmp_path):
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a").write_bytes(idx_bytes(0x08, images.shape, images.tobytes()))
    out = read_idx(tmp_path / "a")
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out, images)


def test_reads_big_endian_multibyte_values(tmp_path):
    values = np.array([1, -2, 70000], dtype=">i4")
    path = tmp_path / "b.gz"
    path.write_bytes(gzip.compress(idx_bytes(0x0C, (3,), values.tobytes())))
    out = read_idx(path)
    assert out.dtype == np.int32 and out.dtype.isnative
    np.testing.assert_array_equal(out, [1, -2, 70000])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["x-idx", "x-idx.gz"])
def test_round_trip(tmp_path, dtype, name):
    rng = np.random.default_rng(0)
    arr = (rng.standard_normal((5, 3, 2)) * 50).astype(dtype)
    write_idx(tmp_path / name, arr)
    out = read_idx(tmp_path / name)
    assert out.dtype == np.dtype(dtype) and out.shape == arr.shape
    np.testing.assert_array_equal(out, arr)
    out[0] = 0  # a writable copy, not a view of the file's bytes


def test_gzip_detected_by_content_not_name(tmp_path):
    arr = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "raw.gz", arr, compress=False)
    write_idx(tmp_path / "packed", arr, compress=True)
    assert (tmp_path / "packed").read_bytes()[:2] == b"\x1f\x8b"
    np.testing.assert_array_equal(read_idx(tmp_path / "raw.gz"), arr)
    np.testing.assert_array_equal(read_idx(tmp_path / "packed"), arr)


def test_write_is_deterministic(tmp_path):
    arr = np.arange(1000, dtype=np.uint8).reshape(10, 100)
    write_idx(tmp_path / "1.gz", arr)
    write_idx(tmp_path / "2.gz", arr)
    assert (tmp_path / "1.gz").read_bytes() == (tmp_path / "2.gz").read_bytes()


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="int64"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))


def test_truncated_raw_file_names_the_file(tmp_path):
    path = tmp_path / "short-idx3-ubyte"
    path.write_bytes(idx_bytes(0x08, (4, 28, 28), bytes(4 * 28 * 28 - 1)))
    with pytest.raises(ValueError, match="short-idx3-ubyte.*truncated"):
        read_idx(path)


def test_truncated_gzip_file_names_the_file(tmp_path):
    good = gzip.compress(idx_bytes(0x08, (100, 28, 28), np.random.default_rng(1).integers(
        0, 256, 100 * 28 * 28, dtype=np.uint8).tobytes()))
    path = tmp_path / "cut.gz"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(ValueError, match="cut.gz"):
        read_idx(path)


def test_corrupt_gzip_file(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + bytes(range(200)))
    with pytest.raises(ValueError, match="bad.gz"):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = tmp_path / "h"
    path.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">I", 5))
    with pytest.raises(ValueError, match="truncated IDX header"):
        read_idx(path)


def test_trailing_bytes(tmp_path):
    path = tmp_path / "t"
    path.write_bytes(idx_bytes(0x08, (3,), b"abcd"))
    with pytest.raises(ValueError, match="trailing"):
        read_idx(path)


@pytest.mark.parametrize("content, message", [
    (b"", "not an IDX file"),
    (b"\x00\x00", "not an IDX file"),
    (b"\x89PNG\r\n\x1a\n" + bytes(32), "magic number"),
    (b"hello, world\n", "magic number"),
    (bytes([0, 0, 0x07, 1]) + struct.pack(">I", 1) + b"x", "type code 0x07"),
    (bytes([0, 0, 0x08, 0]), "0 dimensions"),
])
def test_foreign_files(tmp_path, content, message):
    path = tmp_path / "foreign.bin"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=message) as info:
        read_idx(path)
    assert "foreign.bin" in str(info.value)


def test_huge_declared_shape_is_an_error_not_an_allocation():
    data = idx_bytes(0x0E, (0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), bytes(16))
    with pytest.raises(ValueError, match="more than max_bytes"):
        parse_idx(data, "huge")
    with pytest.raises(ValueError, match="truncated"):
        parse_idx(idx_bytes(0x08, (1000,), bytes(16)), "short")


def test_gzip_bomb_stops_at_the_declared_size(tmp_path):
    """A 16-byte header followed by 256 MB of compressed zeros: refused after reading the
    declared 16 bytes and one more block, never decompressed whole."""
    import gzip
    import tracemalloc
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(idx_bytes(0x08, (16,), bytes(16)))
        chunk = bytes(1 << 20)
        for _ in range(256):
            f.write(chunk)
    assert path.stat().st_size < 1 << 20
    tracemalloc.start()
    with pytest.raises(ValueError, match="trailing bytes"):
        read_idx(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 8 << 20      # bounded memory


def test_declared_size_beyond_max_bytes_is_refused(tmp_path):
    path = tmp_path / "big.idx"
    path.write_bytes(idx_bytes(0x08, (1000, 1000), b""))
    with pytest.raises(ValueError, match="max_bytes=1000"):
        read_idx(path, max_bytes=1000)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "nope.gz")
