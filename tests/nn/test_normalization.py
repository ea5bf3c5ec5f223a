"""BatchNorm1d / BatchNorm2d layers: PyTorch's constructor, buffers, state_dict names and
num_batches_tracked, the running statistics over several training steps (momentum, None
= cumulative average), train/eval, track_running_stats=False, affine=False, and the
layer's bad-input errors."""
import numpy as np
import pytest

import fastconv as fc
from fastconv import nn

STEPS = 4


def _pair(torch, cls_name, c, dtype, **kwargs):
    """(ours, theirs): the same layer in both libraries with the same random affine."""
    ours = getattr(nn, cls_name)(c, **kwargs).to(dtype=dtype)
    theirs = getattr(torch.nn, cls_name)(c, **kwargs).to(getattr(torch, np.dtype(dtype).name))
    rng = np.random.default_rng(c)
    if ours.weight is not None:
        w, b = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
        ours.weight.data[...] = w
        with torch.no_grad():
            theirs.weight.copy_(torch.from_numpy(w))
        if ours.bias is not None:
            ours.bias.data[...] = b
            with torch.no_grad():
                theirs.bias.copy_(torch.from_numpy(b))
    return ours, theirs


def _close(ours, theirs, dtype, what):
    tol = 2e-5 if dtype == np.float32 else 1e-12
    expected = theirs.detach().numpy() if hasattr(theirs, "detach") else np.asarray(theirs)
    scale = max(1.0, float(np.max(np.abs(expected), initial=0)))
    np.testing.assert_allclose(np.asarray(ours), expected, rtol=tol, atol=tol * scale,
                               err_msg=what)


CONFIGS = [
    ("BatchNorm2d", (6, 3, 5, 4), {}),
    ("BatchNorm2d", (4, 5, 3, 3), dict(momentum=None)),
    ("BatchNorm2d", (5, 2, 4, 4), dict(affine=False, momentum=0.5, eps=1e-3)),
    ("BatchNorm2d", (4, 3, 2, 5), dict(bias=False)),
    ("BatchNorm2d", (3, 4, 3, 3), dict(track_running_stats=False)),
    ("BatchNorm1d", (8, 6), {}),
    ("BatchNorm1d", (5, 3, 7), dict(momentum=None, eps=1e-4)),
    ("BatchNorm1d", (7, 4), dict(track_running_stats=False, affine=False)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cls_name,shape,kwargs", CONFIGS)
def test_training_steps_then_eval_match_torch(cls_name, shape, kwargs, dtype):
    torch = pytest.importorskip("torch")
    ours, theirs = _pair(torch, cls_name, shape[1], dtype, **kwargs)
    rng = np.random.default_rng(7)
    for step in range(STEPS + 1):
        if step == STEPS:   # last pass in evaluation mode
            ours.eval()
            theirs.eval()
        x = (rng.standard_normal(shape) * (1 + step) + step).astype(dtype)
        g = rng.standard_normal(shape).astype(dtype)
        xo = fc.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        yo, yt = ours(xo), theirs(xt)
        yo.backward(fc.tensor(g))
        yt.backward(torch.from_numpy(g))
        _close(yo.data, yt, dtype, "output, step %d" % step)
        _close(xo.grad.data, xt.grad, dtype, "input gradient, step %d" % step)
        for name in ("weight", "bias"):
            p = getattr(ours, name)
            if p is not None:
                _close(p.grad.data, getattr(theirs, name).grad, dtype, name + " gradient")
                p.grad = None
                getattr(theirs, name).grad = None
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for key, value in theirs_state.items():
        assert ours_state[key].shape == tuple(value.shape), key
        if key == "num_batches_tracked":
            assert ours_state[key].dtype == np.int64
            assert int(ours_state[key].data) == int(value) == STEPS
        else:
            _close(ours_state[key].data, value, dtype, key)


def test_state_dict_names_and_dtypes_are_torch_s():
    bn = nn.BatchNorm2d(3)
    state = bn.state_dict()
    assert list(state) == ["weight", "bias", "running_mean", "running_var",
                           "num_batches_tracked"]
    assert state["num_batches_tracked"].shape == () and state["num_batches_tracked"].dtype \
        == np.int64
    assert list(nn.BatchNorm1d(3, track_running_stats=False).state_dict()) == ["weight",
                                                                                "bias"]
    assert list(nn.BatchNorm1d(3, affine=False).state_dict()) == [
        "running_mean", "running_var", "num_batches_tracked"]
    bn.double()
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64


def test_torch_state_dict_loads_and_gives_torch_s_eval_output():
    torch = pytest.importorskip("torch")
    theirs = torch.nn.BatchNorm2d(4)
    theirs.train()
    for _ in range(3):
        theirs(torch.randn(5, 4, 3, 3) * 2 + 1)
    theirs.eval()
    ours = nn.BatchNorm2d(4).eval()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert int(ours.num_batches_tracked.data) == 3
    x = np.random.default_rng(0).standard_normal((2, 4, 3, 3)).astype(np.float32)
    _close(ours(fc.tensor(x)).data, theirs(torch.from_numpy(x)), np.float32, "eval output")


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    for kwargs in ({}, dict(momentum=None, affine=False), dict(eps=1e-3, bias=False),
                   dict(track_running_stats=False)):
        assert repr(nn.BatchNorm2d(8, **kwargs)) == repr(torch.nn.BatchNorm2d(8, **kwargs))
        assert repr(nn.BatchNorm1d(8, **kwargs)) == repr(torch.nn.BatchNorm1d(8, **kwargs))


def test_eval_mode_does_not_touch_the_running_statistics():
    bn = nn.BatchNorm2d(2).eval()
    bn(fc.tensor(np.ones((3, 2, 2, 2), np.float32) * 5))
    np.testing.assert_array_equal(bn.running_mean.data, 0)
    np.testing.assert_array_equal(bn.running_var.data, 1)
    assert int(bn.num_batches_tracked.data) == 0


def test_reset_running_stats():
    bn = nn.BatchNorm1d(3)
    bn(fc.tensor(np.arange(12, dtype=np.float32).reshape(4, 3)))
    bn.reset_running_stats()
    np.testing.assert_array_equal(bn.running_mean.data, 0)
    np.testing.assert_array_equal(bn.running_var.data, 1)
    assert int(bn.num_batches_tracked.data) == 0


@pytest.mark.parametrize("make,shape,match", [
    (lambda: nn.BatchNorm2d(3), (2, 3, 4), "expected 4D input"),
    (lambda: nn.BatchNorm1d(3), (2, 3, 4, 5), "expected 2D or 3D input"),
    (lambda: nn.BatchNorm2d(3), (2, 4, 2, 2), "num_features"),
    (lambda: nn.BatchNorm1d(3, affine=False, track_running_stats=False), (2, 5),
     "num_features"),
    (lambda: nn.BatchNorm2d(3), (1, 3, 1, 1), "more than 1 value per channel"),
    (lambda: nn.BatchNorm2d(3), (0, 3, 2, 2), "empty batch"),
])
def test_bad_input_names_the_problem(make, shape, match):
    with pytest.raises(ValueError, match=match):
        make()(fc.tensor(np.ones(shape, np.float32)))


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(momentum=-0.1), ValueError, "momentum"),
    (dict(momentum="fast"), TypeError, "momentum"),
    (dict(eps=-1.0), ValueError, "eps"),
    (dict(num_features=0), ValueError, "num_features"),
])
def test_bad_constructor_arguments(kwargs, error, match):
    kwargs = dict(dict(num_features=3), **kwargs)
    with pytest.raises(error, match=match):
        nn.BatchNorm2d(**kwargs)
