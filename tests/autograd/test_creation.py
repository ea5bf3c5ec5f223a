"""Tensor creation functions and the process-wide random generator (fastconv.random)."""
import numpy as np
import pytest

import fastconv.autograd as fca
from fastconv import random as fcrandom


@pytest.fixture(autouse=True)
def _restore_rng():
    state = fcrandom.get_rng_state()
    yield
    fcrandom.set_rng_state(state)


@pytest.mark.parametrize("make,value", [(fca.zeros, 0.0), (fca.ones, 1.0)])
def test_zeros_ones_shapes_dtypes_requires_grad(make, value):
    for args in ((2, 3), ((2, 3),), ([2, 3],)):
        t = make(*args)
        assert t.shape == (2, 3) and t.dtype == np.float32 and not t.requires_grad
        assert np.all(t.numpy() == value)
    assert make(4, dtype=np.float64).dtype == np.float64
    assert make(4, dtype="int64").dtype == np.int64
    assert make(()).shape == () and make(0, 2).shape == (0, 2)
    w = make(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    with pytest.raises(ValueError, match=">= 0"):
        make(-1)
    with pytest.raises(TypeError, match="ints"):
        make(2.5)
    with pytest.raises(TypeError, match="floating point"):
        make(2, dtype=np.int64, requires_grad=True)


def test_full_infers_dtype_like_torch_and_empty():
    assert fca.full((2,), 1.5).dtype == np.float32
    assert fca.full((2,), 3).dtype == np.int64
    assert fca.full((2,), True).dtype == np.bool_
    assert fca.full(3, 2.0, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(fca.full((2, 2), 7.0).numpy(), np.full((2, 2), 7.0))
    e = fca.empty(2, 3)
    assert e.shape == (2, 3) and e.dtype == np.float32


def test_like_functions_follow_the_input():
    x = fca.tensor(np.zeros((2, 3)))                        # float64
    for make in (fca.zeros_like, fca.ones_like, fca.empty_like, fca.rand_like, fca.randn_like):
        t = make(x)
        assert t.shape == (2, 3) and t.dtype == np.float64 and not t.requires_grad
    assert fca.zeros_like(x, dtype=np.float32).dtype == np.float32
    f = fca.full_like(x, 4)
    assert f.dtype == np.float64 and np.all(f.numpy() == 4)
    assert fca.ones_like(x, requires_grad=True).requires_grad
    with pytest.raises(TypeError):
        fca.zeros_like(np.zeros(2))


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 10, 3), (10, 1, -2), (0, 1, 0.1),
                                  (0.5, 3), (-1.0, 1.0, 0.25), (3, 3), (1, 2.5, 0.5)])
def test_arange_matches_torch(args):
    torch = pytest.importorskip("torch")
    ours, ref = fca.arange(*args), torch.arange(*args)
    assert ours.dtype.name == str(ref.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6)
    assert fca.arange(*args, dtype=np.float64).dtype == np.float64


def test_arange_errors():
    with pytest.raises(ValueError, match="nonzero"):
        fca.arange(0, 3, 0)
    with pytest.raises(ValueError, match="away from end"):
        fca.arange(0, 3, -1)


@pytest.mark.parametrize("args", [(0, 1, 5), (-2.0, 3.0, 7), (1, 1, 1), (0, 1, 0)])
def test_linspace_matches_torch(args):
    torch = pytest.importorskip("torch")
    ours, ref = fca.linspace(*args), torch.linspace(*args)
    assert ours.dtype == np.float32 and ours.shape == tuple(ref.shape)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-6, atol=1e-7)


def test_eye():
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(fca.eye(3).numpy(), torch.eye(3).numpy())
    np.testing.assert_array_equal(fca.eye(2, 4).numpy(), torch.eye(2, 4).numpy())
    assert fca.eye(2).dtype == np.float32 and fca.eye(2, dtype=np.int64).dtype == np.int64


def test_manual_seed_makes_every_random_function_reproducible():
    def draws():
        x = fca.zeros(4)
        x.uniform_(-1, 1)
        y = fca.zeros(4, dtype=np.float64)
        y.normal_(2.0, 0.5)
        return [fca.rand(3).numpy(), fca.randn(2, 2).numpy(), fca.randint(0, 9, (5,)).numpy(),
                x.numpy(), y.numpy()]
    fcrandom.manual_seed(123)
    first = draws()
    fcrandom.manual_seed(123)
    second = draws()
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    fcrandom.manual_seed(124)
    assert not np.array_equal(fca.rand(3).numpy(), first[0])
    assert fcrandom.initial_seed() == 124


def test_generator_object_is_stable_across_reseeding():
    g = fcrandom.generator()
    assert isinstance(g, np.random.Generator)
    assert fcrandom.manual_seed(5) is g and fcrandom.generator() is g
    a = g.random(3)
    fcrandom.manual_seed(5)
    np.testing.assert_array_equal(g.random(3), a)
    seed = fcrandom.seed()
    assert fcrandom.initial_seed() == seed >= 0


def test_manual_seed_validates():
    with pytest.raises(TypeError):
        fcrandom.manual_seed(1.5)
    with pytest.raises(ValueError):
        fcrandom.manual_seed(-1)


def test_random_values_ranges_and_dtypes():
    fcrandom.manual_seed(0)
    r = fca.rand(1000)
    assert r.dtype == np.float32 and 0 <= r.numpy().min() and r.numpy().max() < 1
    assert fca.rand(2, dtype=np.float64).dtype == np.float64
    n = fca.randn(4000, dtype=np.float64).numpy()
    assert abs(n.mean()) < 0.1 and abs(n.std() - 1) < 0.1      # seeded: deterministic
    i = fca.randint(3, 7, (1000,))
    assert i.dtype == np.int64 and set(np.unique(i.numpy())) == {3, 4, 5, 6}
    assert fca.randint(4, (2, 3)).shape == (2, 3)
    assert fca.randint(0, 4, size=(2,), dtype=np.float32).dtype == np.float32
    u = fca.zeros(1000)
    u.uniform_(2.0, 3.0)
    assert 2.0 <= u.numpy().min() and u.numpy().max() <= 3.0
    assert fca.rand(3, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="floating point"):
        fca.rand(2, dtype=np.int64)
    with pytest.raises(ValueError, match="below high"):
        fca.randint(5, 5, (2,))
    with pytest.raises(TypeError):
        fca.randint(5)
