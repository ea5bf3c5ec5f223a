"""nn.init: eye_, dirac_, orthogonal_ and sparse_ (their defining properties, and the
deterministic ones equal to torch's), and the deprecated aliases without the underscore,
which warn as torch's do and give what the underscore versions give."""
import math
import warnings

import numpy as np
import pytest

import fastconv as fc
from fastconv import nn
from fastconv.nn import init

torch = pytest.importorskip("torch")


def _empty(*shape, dtype=np.float32):
    return nn.Parameter(fc.tensor(np.zeros(shape, dtype=dtype)))


@pytest.mark.parametrize("shape", [(3, 5), (4, 4), (6, 2)])
def test_eye_matches_torch(shape):
    t = _empty(*shape)
    assert init.eye_(t) is t
    np.testing.assert_array_equal(t.detach().numpy(), torch.nn.init.eye_(torch.empty(shape)).numpy())


@pytest.mark.parametrize("shape,groups", [((4, 4, 3, 3), 1), ((6, 3, 3, 5), 1),
                                          ((2, 5, 3), 1), ((4, 2, 3, 3, 3), 2),
                                          ((6, 1, 5, 5), 3)])
def test_dirac_matches_torch(shape, groups):
    t = _empty(*shape)
    init.dirac_(t, groups)
    np.testing.assert_array_equal(t.detach().numpy(),
                                  torch.nn.init.dirac_(torch.empty(shape), groups).numpy())


def test_dirac_weight_passes_the_input_through_a_convolution():
    import fastconv.functional as F
    conv_w = _empty(3, 3, 3, 3, dtype=np.float64)
    init.dirac_(conv_w)
    x = fc.tensor(np.random.default_rng(0).standard_normal((2, 3, 6, 6)))
    np.testing.assert_allclose(F.conv2d(x, conv_w, padding=1).detach().numpy(), x.detach().numpy(), atol=1e-15)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 2, 3), (6, 6)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    fc.manual_seed(3)
    t = _empty(*shape, dtype=np.float64)
    assert init.orthogonal_(t, gain=2.0) is t
    flat = t.detach().numpy().reshape(shape[0], -1) / 2.0
    rows, cols = flat.shape
    gram = flat @ flat.T if rows <= cols else flat.T @ flat
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-12)


def test_sparse_zeroes_the_same_count_in_every_column():
    fc.manual_seed(0)
    t = _empty(200, 30, dtype=np.float64)
    init.sparse_(t, sparsity=0.25, std=0.5)
    zeros_per_column = (t.detach().numpy() == 0).sum(axis=0)
    assert np.all(zeros_per_column == math.ceil(0.25 * 200))
    nonzero = t.detach().numpy()[t.detach().numpy() != 0]
    assert abs(nonzero.std() - 0.5) < 0.02 and abs(nonzero.mean()) < 0.02


@pytest.mark.parametrize("call,message", [
    (lambda: init.eye_(_empty(2, 2, 2)), "2 dimensions"),
    (lambda: init.dirac_(_empty(2, 2)), "3, 4, or 5 dimensions"),
    (lambda: init.dirac_(_empty(3, 2, 3, 3), groups=2), "divisible by groups"),
    (lambda: init.orthogonal_(_empty(4)), "2 or more dimensions"),
    (lambda: init.sparse_(_empty(2, 2, 2), 0.1), "2 dimensions"),
    (lambda: init.sparse_(_empty(4, 2), 1.5), "sparsity"),
])
def test_bad_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


ALIASES = [("uniform", (), {"a": -0.5, "b": 0.5}), ("normal", (0.0, 0.2), {}),
           ("constant", (0.3,), {}), ("eye", (), {}), ("dirac", (), {}),
           ("xavier_uniform", (), {"gain": 1.5}), ("xavier_normal", (), {}),
           ("kaiming_uniform", (), {"a": 0.1}), ("kaiming_normal", (), {"mode": "fan_out"}),
           ("orthogonal", (), {}), ("sparse", (0.5,), {})]


@pytest.mark.parametrize("name,args,kwargs", ALIASES)
def test_deprecated_aliases_warn_as_torch_and_act_as_the_underscore_version(name, args,
                                                                          kwargs):
    shape = (4, 3, 3) if name == "dirac" else (4, 3)
    assert hasattr(torch.nn.init, name)
    with pytest.warns(FutureWarning) as ours:
        fc.manual_seed(7)
        a = getattr(init, name)(_empty(*shape), *args, **kwargs)
    with pytest.warns(FutureWarning) as theirs:
        getattr(torch.nn.init, name)(torch.empty(shape), *args, **kwargs)
    assert str(ours[0].message) == str(theirs[0].message)
    assert ours[0].filename == __file__   # attributed to the caller, as torch does
    fc.manual_seed(7)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        b = getattr(init, name + "_")(_empty(*shape), *args, **kwargs)
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    assert getattr(init, name).__name__ == name
