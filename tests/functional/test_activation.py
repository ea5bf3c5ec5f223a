"""relu, softmax, log_softmax against PyTorch (incl. huge inputs), gradcheck."""
import warnings

import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv.autograd import gradcheck

from ._compare import DTYPES, compare_with_torch, leaf

torch = pytest.importorskip("torch")


def _away_from_zero(shape, seed=0):
    """Values with |x| >= 0.1 so finite differences never cross ReLU's kink."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return np.where(np.abs(x) < 0.1, 0.1 + np.abs(x), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 4, 5)])
def test_relu_matches_torch(dtype, shape):
    compare_with_torch(F.relu, torch.relu, [_away_from_zero(shape)], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(7,), (2, 3, 4, 5)])
def test_add_relu_matches_torch_for_both_inputs(dtype, shape):
    a, b = _away_from_zero(shape, 1), _away_from_zero(shape, 2) / 3
    compare_with_torch(F.add_relu, lambda x, y: torch.relu(x + y), [a, b], dtype)


def test_add_relu_gradcheck_and_broadcasting_fallback():
    a, b = _away_from_zero((2, 3, 4), 3), _away_from_zero((2, 3, 4), 4) / 3
    assert gradcheck(F.add_relu, (leaf(a), leaf(b)))
    # shapes that only broadcast, and one input without grad, take relu(a + b)
    x, row = leaf(a), leaf(b[0, 0], requires_grad=False)
    y = F.add_relu(x, row)
    np.testing.assert_array_equal(y.detach().numpy(), np.maximum(a + b[0, 0], 0))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (a + b[0, 0] > 0).astype(np.float64))


def test_add_relu_names_a_non_tensor_argument():
    with pytest.raises(TypeError, match="other"):
        F.add_relu(leaf([1.0]), np.ones(1))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), 0), ((2, 3, 4), -1),
                                       ((2, 3, 4, 2), 1)])
def test_softmaxes_match_torch(dtype, name, shape, dim):
    x = np.random.default_rng(1).standard_normal(shape) * 3
    compare_with_torch(lambda t: getattr(F, name)(t, dim),
                       lambda t: getattr(torch.nn.functional, name)(t, dim), [x], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmaxes_are_stable_for_huge_inputs(dtype, name):
    x = np.array([[1000.0, 0.0, -1000.0], [-5e4, -5e4 + 1, -5e4 - 1]])
    out, _ = compare_with_torch(lambda t: getattr(F, name)(t, 1),
                                lambda t: getattr(torch.nn.functional, name)(t, 1), [x], dtype)
    assert np.all(np.isfinite(out.detach().numpy()))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_implicit_dim_follows_torch(name):
    x = np.random.default_rng(2).standard_normal((3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = getattr(F, name)(fc.tensor(x)).numpy()
        theirs = getattr(torch.nn.functional, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_softmax_sums_to_one():
    y = F.softmax(fc.tensor(np.random.default_rng(3).standard_normal((4, 6))), dim=1)
    np.testing.assert_allclose(y.numpy().sum(axis=1), 1.0, rtol=1e-12)


def test_gradchecks():
    assert gradcheck(F.relu, [leaf(_away_from_zero((2, 3, 4), seed=4))])
    x = leaf(np.random.default_rng(5).standard_normal((3, 5)))
    assert gradcheck(lambda t: F.softmax(t, 1), [x])
    assert gradcheck(lambda t: F.log_softmax(t, 0), [x])


def test_errors():
    with pytest.raises(IndexError, match="dim"):
        F.softmax(leaf(np.zeros((2, 3))), 2)
    with pytest.raises(TypeError, match="floating point"):
        F.log_softmax(fc.tensor(np.zeros((2, 3), dtype=np.int64)), 1)
