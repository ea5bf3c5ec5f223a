"""cross_entropy, nll_loss and mse_loss against PyTorch, gradcheck, bad targets."""
import warnings

import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv.autograd import gradcheck

from ._compare import DTYPES, assert_close, leaf

torch = pytest.importorskip("torch")
REDUCTIONS = ["mean", "sum", "none"]


def _class_case(input_shape, seed=0, ignore=False):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(input_shape) * 2
    classes = input_shape[0] if len(input_shape) == 1 else input_shape[1]
    t_shape = () if len(input_shape) == 1 else (input_shape[0],) + input_shape[2:]
    t = rng.integers(0, classes, size=t_shape).astype(np.int64)
    if ignore and t.ndim:
        t.reshape(-1)[::3] = -100
    return x, t


def _compare_class_loss(name, input_shape, dtype, reduction, weighted=False, ignore=False,
                        ignore_index=-100):
    x, t = _class_case(input_shape, ignore=ignore)
    if ignore_index != -100:
        t = np.where(t == -100, ignore_index, t)
    if name == "nll_loss":
        x = x - np.log(np.exp(x).sum(axis=0 if x.ndim == 1 else 1, keepdims=True))
    classes = x.shape[0] if x.ndim == 1 else x.shape[1]
    w = np.linspace(0.5, 2.0, classes).astype(dtype) if weighted else None
    ours_x = fc.tensor(x.astype(dtype), requires_grad=True)
    theirs_x = torch.tensor(x.astype(dtype), requires_grad=True)
    kw = dict(reduction=reduction, ignore_index=ignore_index)
    out = getattr(F, name)(ours_x, fc.tensor(t), None if w is None else fc.tensor(w), **kw)
    ref = getattr(torch.nn.functional, name)(theirs_x, torch.tensor(t),
                                             None if w is None else torch.tensor(w), **kw)
    assert out.shape == tuple(ref.shape) and out.dtype == np.dtype(dtype)
    assert_close(out.detach().numpy(), ref.detach().numpy(), dtype)
    g = np.random.default_rng(9).standard_normal(ref.shape).astype(dtype)
    out.backward(g)
    ref.backward(torch.from_numpy(g))
    assert_close(ours_x.grad.numpy(), theirs_x.grad.numpy(), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("input_shape", [(6, 4), (1, 3), (2, 3, 4, 5), (5,)])
def test_class_losses_match_torch(dtype, reduction, name, input_shape):
    _compare_class_loss(name, input_shape, dtype, reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
@pytest.mark.parametrize("weighted,ignore,ignore_index", [
    (True, False, -100), (False, True, -100), (True, True, -100), (True, True, 2)])
def test_weights_and_ignore_index_match_torch(reduction, name, weighted, ignore,
                                              ignore_index):
    _compare_class_loss(name, (7, 4), np.float64, reduction, weighted, ignore, ignore_index)
    _compare_class_loss(name, (2, 4, 3), np.float64, reduction, weighted, ignore,
                        ignore_index)


def test_cross_entropy_is_stable_for_huge_logits():
    x = np.array([[1e4, 0.0, -1e4], [0.0, 5e4, 0.0]])
    t = np.array([0, 2])
    ours = F.cross_entropy(fc.tensor(x), fc.tensor(t), reduction="none").numpy()
    theirs = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(t),
                                               reduction="none").numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((2, 3, 4), (2, 3, 4))])
def test_mse_loss_matches_torch(dtype, reduction, shapes):
    rng = np.random.default_rng(2)
    a, b = (rng.standard_normal(s).astype(dtype) for s in shapes)
    ours = [fc.tensor(v, requires_grad=True) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    out = F.mse_loss(*ours, reduction=reduction)
    ref = torch.nn.functional.mse_loss(*theirs, reduction=reduction)
    assert_close(out.detach().numpy(), ref.detach().numpy(), dtype)
    g = rng.standard_normal(ref.shape).astype(dtype)
    out.backward(g)
    ref.backward(torch.from_numpy(g))
    for o, r in zip(ours, theirs):
        assert_close(o.grad.numpy(), r.grad.numpy(), dtype)


def test_mse_loss_broadcasts_like_torch():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    ours = [fc.tensor(v, requires_grad=True) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = F.mse_loss(*ours)
        ref = torch.nn.functional.mse_loss(*theirs)
    out.backward()
    ref.backward()
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-12)
    for o, r in zip(ours, theirs):
        np.testing.assert_allclose(o.grad.numpy(), r.grad.numpy(), rtol=1e-12)


def test_loss_gradchecks():
    x, t = _class_case((4, 3, 2), seed=4, ignore=True)
    w = fc.tensor(np.array([0.5, 1.0, 2.0]))
    for name in ("cross_entropy", "nll_loss"):
        for reduction in REDUCTIONS:
            assert gradcheck(lambda v: getattr(F, name)(v, fc.tensor(t), w,
                                                        reduction=reduction), [leaf(x)])
    a, b = leaf(np.random.default_rng(5).standard_normal((3, 4))), leaf(np.ones((3, 4)))
    assert gradcheck(F.mse_loss, [a, b])


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_bad_targets_name_target(name):
    fn = getattr(F, name)
    x = leaf(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="target contains class index 4, out of range"):
        fn(x, fc.tensor(np.array([0, 4, 1])))
    with pytest.raises(ValueError, match="target contains class index -1"):
        fn(x, fc.tensor(np.array([0, -1, 1])))
    if name == "nll_loss":
        with pytest.raises(TypeError, match="target must hold int64 class indices"):
            fn(x, fc.tensor(np.array([0.0, 1.0, 2.0])))
    else:   # a float target means class probabilities, shaped like the input
        with pytest.raises(ValueError, match="probability target must have the input's"):
            fn(x, fc.tensor(np.array([0.0, 1.0, 2.0])))
    with pytest.raises(ValueError, match=r"target must have shape \(3,\)"):
        fn(x, fc.tensor(np.array([0, 1])))
    with pytest.raises(ValueError, match=r"target must have shape \(3,\)"):
        fn(x, fc.tensor(np.array([[0], [1], [2]])))
    with pytest.raises(ValueError, match="reduction"):
        fn(x, fc.tensor(np.array([0, 1, 2])), reduction="avg")
    with pytest.raises(ValueError, match="weight must have shape"):
        fn(x, fc.tensor(np.array([0, 1, 2])), fc.tensor(np.ones(3)))


def test_mse_loss_errors():
    with pytest.raises(TypeError, match="target"):
        F.mse_loss(leaf(np.zeros(3)), leaf(np.zeros(3), dtype=np.float32))
    with pytest.raises(ValueError, match="broadcast"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        F.mse_loss(leaf(np.zeros(3)), leaf(np.zeros(4)))


def _ce_both_paths(monkeypatch, x, t, **kw):
    """(loss, input gradient) from the native kernels and from the numpy path."""
    from fastconv.functional import loss as loss_module
    results = []
    for native in (True, False):
        if not native:
            monkeypatch.setattr(loss_module, "_native_cross_entropy", lambda *a: False)
        xt = fc.tensor(x, requires_grad=True)
        with np.errstate(all="ignore"):   # the numpy path on inf and NaN rows
            out = F.cross_entropy(xt, fc.tensor(t), **kw)
            out.backward()
        results.append((out.detach().numpy(), xt.grad.numpy()))
        monkeypatch.undo()
    return results


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("case", ["plain", "ignored", "all_ignored", "nonfinite", "unbatched"])
def test_native_cross_entropy_matches_numpy_path(monkeypatch, dtype, reduction, case):
    rng = np.random.default_rng(11)
    x = (rng.standard_normal((9, 7)) * 4).astype(dtype)
    t = rng.integers(0, 7, 9)
    kw = dict(reduction=reduction)
    if case in ("ignored", "all_ignored"):
        t[::3] = 5 if case == "ignored" else t[::3]
        t[:] = 5 if case == "all_ignored" else t
        kw["ignore_index"] = 5
    elif case == "nonfinite":
        x[1, 2], x[3, :], x[4, 0], x[5, :] = np.nan, -np.inf, np.inf, 1e30
    elif case == "unbatched":
        x, t = x[0], t[0]
    (ours, g_ours), (ref, g_ref) = _ce_both_paths(monkeypatch, x, t, **kw)
    assert ours.dtype == ref.dtype == dtype and ours.shape == ref.shape == ()
    assert g_ours.dtype == dtype and g_ours.shape == x.shape
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours, ref, **tol)
    np.testing.assert_allclose(g_ours, g_ref, **tol)
