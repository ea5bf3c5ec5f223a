"""conv2d_backward_bias: the AVX-512 channel sums (four planes at a time) give exactly
the portable loop's result, and match a float64 reference sum."""
import json

import numpy as np
import pytest

from fastconv import ops

from ._helpers import run_script

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


_SCRIPT = r"""
import json, sys
import numpy as np
from fastconv import ops
from tests.ops.test_conv_bias import SHAPES, DTYPES, _dy
print(json.dumps([ops.conv2d_backward_bias(_dy(s, d)).tobytes().hex()
                  for s in SHAPES for d in DTYPES]))
"""


def _sums_with(kernel):
    out = run_script(_SCRIPT, timeout=120, FASTCONV_GEMM_KERNEL=kernel or None)
    return json.loads(out.strip().splitlines()[-1])


def test_vector_and_portable_sums_are_bit_identical():
    """FASTCONV_GEMM_KERNEL=generic forces the portable loop; the default picks AVX-512
    where the CPU has it. Both must give the same bytes."""
    assert _sums_with(None) == _sums_with("generic")
