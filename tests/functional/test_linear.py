"""functional.linear against PyTorch for any leading shape, gradcheck, errors."""
import numpy as np
import pytest

import fastconv.functional as F
from fastconv.autograd import gradcheck

from ._compare import DTYPES, compare_with_torch, leaf

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("x_shape", [(5, 4), (2, 3, 4), (4,), (1, 4)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(dtype, x_shape, bias):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal((3, 4)),
              rng.standard_normal(3) if bias else None]
    compare_with_torch(F.linear, torch.nn.functional.linear, arrays, dtype)


def test_linear_gradcheck():
    rng = np.random.default_rng(1)
    x, w, b = leaf(rng.standard_normal((2, 3, 4))), leaf(rng.standard_normal((5, 4))), \
        leaf(rng.standard_normal(5))
    assert gradcheck(F.linear, [x, w, b])
    assert gradcheck(lambda x, w: F.linear(x, w), [x, w])


def test_feature_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="input has 4 features"):
        F.linear(leaf(np.zeros((2, 4))), leaf(np.zeros((3, 5))))
    with pytest.raises(ValueError, match="bias must have shape"):
        F.linear(leaf(np.zeros((2, 4))), leaf(np.zeros((3, 4))), leaf(np.zeros(2)))
    with pytest.raises(ValueError, match="weight must be 2-D"):
        F.linear(leaf(np.zeros((2, 4))), leaf(np.zeros(4)))
