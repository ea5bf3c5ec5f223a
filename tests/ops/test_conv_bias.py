"""conv2d_backward_bias: the AVX-512 channel sums (four planes at a time) give exactly
the portable loop's result, and match a float64 reference sum."""
import numpy as np
import pytest

from fastconv import ops
from fastconv._caps import isa_available, override

# batch not a multiple of 4, planes with and without a tail of P % 8, one-pixel planes
SHAPES = [(1, 1, 1, 1), (3, 2, 5, 5), (4, 6, 28, 28), (7, 16, 10, 10), (9, 3, 4, 2),
          (64, 6, 3, 3)]
DTYPES = [np.float32, np.float64]


def _dy(shape, dtype):
    rng = np.random.default_rng(sum(shape))
    return (rng.standard_normal(shape) * 10 ** rng.uniform(-3, 3, shape)).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_matches_float64_reference(shape, dtype):
    dy = _dy(shape, dtype)
    db = ops.conv2d_backward_bias(dy)
    ref = dy.astype(np.float64).sum(axis=(0, 2, 3))
    assert db.dtype == dtype
    np.testing.assert_allclose(db, ref, rtol=1e-6 if dtype == np.float32 else 1e-12,
                               atol=1e-4 if dtype == np.float32 else 1e-9)


def _sums():
    return [ops.conv2d_backward_bias(_dy(s, d)).tobytes() for s in SHAPES for d in DTYPES]


def test_vector_and_portable_sums_are_bit_identical():
    """isa="avx512" takes the AVX-512 sums, isa="generic" the portable loop (switched in
    process): both must give the same bytes."""
    if not isa_available("avx512"):
        pytest.skip("this CPU does not run avx512")
    with override(isa="avx512"):
        vector = _sums()
    with override(isa="generic"):
        portable = _sums()
    assert vector == portable
