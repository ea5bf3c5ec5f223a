"""The losses declared for the op harness: float64 references written plainly, gradcheck,
PyTorch (values and gradients), every reduction; plus their bad-input errors."""
import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv import nn
from tests.harness import BadCall, Input, OpCase, error_tests, op_tests

REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    return loss.mean() if reduction == "mean" else loss.sum() if reduction == "sum" else loss


# ------------------------------------------------------------------ references

def ref_log_softmax(x, axis=1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def ref_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean",
                      label_smoothing=0.0):
    """Class targets: per element -(1-s) w[t] logp[t] - s/C sum_c w[c] logp[c]."""
    logp = ref_log_softmax(x)
    n, c = x.shape[:2]
    w = np.ones(c) if weight is None else weight
    loss = np.zeros(t.shape)
    nll_den, smooth = 0.0, np.zeros(t.shape)
    for idx in np.ndindex(*t.shape):
        k = t[idx]
        if k == ignore_index:
            continue
        row = logp[(idx[0], slice(None)) + idx[1:]]
        loss[idx] = -w[k] * row[k]
        smooth[idx] = -(w * row).sum()
        nll_den += w[k]
    if reduction == "mean":
        nll, sm = loss.sum() / nll_den, smooth.sum() / nll_den
    elif reduction == "sum":
        nll, sm = loss.sum(), smooth.sum()
    else:
        nll, sm = loss, smooth
    return (1 - label_smoothing) * nll + label_smoothing / c * sm


def ref_cross_entropy_probs(x, p, weight=None, reduction="mean", label_smoothing=0.0):
    c = x.shape[1]
    p = p * (1 - label_smoothing) + label_smoothing / c
    w = np.ones(c) if weight is None else weight
    w = w.reshape((1, c) + (1,) * (x.ndim - 2))
    per = -(ref_log_softmax(x) * p * w).sum(axis=1)
    return _reduce(per, reduction)


def ref_pointwise(kind, param=None):
    def f(d):
        a = np.abs(d)
        if kind == "mse":
            return d * d
        if kind == "l1":
            return a
        if kind == "smooth_l1":
            return np.where(a < param, 0.5 * d * d / param, a - 0.5 * param)
        return np.where(a < param, 0.5 * d * d, param * (a - 0.5 * param))   # huber

    def ref(x, y, reduction="mean", **_):
        return _reduce(f(x - y), reduction)
    return ref


def ref_bce(p, t, reduction="mean"):
    loss = -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))
    return _reduce(loss, reduction)


def ref_bce_logits(x, t, reduction="mean", pos_weight=None):
    pw = 1.0 if pos_weight is None else pos_weight.data
    sig = 1 / (1 + np.exp(-x))
    loss = -(pw * t * np.log(sig) + (1 - t) * np.log(1 - sig))
    return _reduce(loss, reduction)


# ------------------------------------------------------------------ cases

def _ce_torch(torch, x, t, **kw):
    return torch.nn.functional.cross_entropy(x, t, **kw)


CLASS_W = np.array([1.0, 2.0, 0.5, 1.5])
CASES = []
for r in REDUCTIONS:
    for smoothing in (0.0, 0.2):
        CASES.append(OpCase("ce-%s-s%g" % (r, smoothing), F.cross_entropy,
                            [Input((6, 4)), Input((6,), "int", low=0, high=4)],
                            kwargs=dict(reduction=r, label_smoothing=smoothing),
                            ref=ref_cross_entropy, torch_fn=_ce_torch, native=False))
    CASES.append(OpCase("ce-spatial-weighted-ignore-smooth-%s" % r,
                        lambda x, t, **kw: F.cross_entropy(x, t, weight=fc.tensor(
                            CLASS_W.astype(x.dtype)), **kw),
                        [Input((2, 4, 3, 2)), Input((2, 3, 2), "int", low=0, high=4)],
                        kwargs=dict(reduction=r, label_smoothing=0.1, ignore_index=2),
                        ref=lambda x, t, **kw: ref_cross_entropy(x, t, CLASS_W, **kw),
                        torch_fn=lambda torch, x, t, **kw: _ce_torch(
                            torch, x, t, weight=torch.tensor(CLASS_W, dtype=x.dtype), **kw),
                        native=False))
    CASES.append(OpCase("ce-probs-%s" % r, F.cross_entropy,
                        [Input((5, 4)), Input((5, 4), "probs")],
                        kwargs=dict(reduction=r, label_smoothing=0.1),
                        ref=ref_cross_entropy_probs, torch_fn=_ce_torch, native=False))
    CASES.append(OpCase("ce-probs-spatial-weighted-%s" % r,
                        lambda x, t, **kw: F.cross_entropy(x, t, weight=fc.tensor(
                            CLASS_W.astype(x.dtype)), **kw),
                        [Input((2, 4, 3)), Input((2, 4, 3), "probs")],
                        kwargs=dict(reduction=r),
                        ref=lambda x, p, **kw: ref_cross_entropy_probs(x, p, CLASS_W, **kw),
                        torch_fn=lambda torch, x, t, **kw: _ce_torch(
                            torch, x, t, weight=torch.tensor(CLASS_W, dtype=x.dtype), **kw),
                        native=False))
    for name, fn, param, torch_name in (("mse", F.mse_loss, None, "mse_loss"),
                                        ("l1", F.l1_loss, None, "l1_loss"),
                                        ("smooth_l1", F.smooth_l1_loss, 0.7, "smooth_l1_loss"),
                                        ("huber", F.huber_loss, 0.7, "huber_loss")):
        extra = {} if param is None else {"beta" if name == "smooth_l1" else "delta": param}
        CASES.append(OpCase(
            "%s-%s" % (name, r), fn, [Input((3, 4, 2)), Input((3, 4, 2))],
            kwargs=dict(reduction=r, **extra), ref=ref_pointwise(name, param),
            torch_fn=lambda torch, x, y, _n=torch_name, **kw: getattr(
                torch.nn.functional, _n)(x, y, **kw), native=False))
    CASES.append(OpCase("bce-%s" % r, F.binary_cross_entropy,
                        [Input((4, 3), "uniform", low=0.05, high=0.95),
                         Input((4, 3), "uniform")],
                        kwargs=dict(reduction=r), ref=ref_bce,
                        torch_fn=lambda torch, p, t, **kw:
                            torch.nn.functional.binary_cross_entropy(p, t, **kw),
                        native=False))
    CASES.append(OpCase("bce-logits-%s" % r, F.binary_cross_entropy_with_logits,
                        [Input((4, 3)), Input((4, 3), "uniform")],
                        kwargs=dict(reduction=r), ref=ref_bce_logits,
                        torch_fn=lambda torch, x, t, **kw:
                            torch.nn.functional.binary_cross_entropy_with_logits(x, t, **kw),
                        native=False))

POS_W = np.array([0.5, 2.0, 3.0])
CASES.append(OpCase("bce-logits-pos-weight",
                    lambda x, t, **kw: F.binary_cross_entropy_with_logits(
                        x, t, pos_weight=fc.tensor(POS_W.astype(x.dtype)), **kw),
                    [Input((4, 3)), Input((4, 3), "uniform")],
                    ref=lambda x, t: ref_bce_logits(x, t, pos_weight=fc.tensor(POS_W)),
                    torch_fn=lambda torch, x, t: torch.nn.functional
                    .binary_cross_entropy_with_logits(
                        x, t, pos_weight=torch.tensor(POS_W, dtype=x.dtype)),
                    native=False))

test_losses = op_tests(CASES)


# ------------------------------------------------------------------ bad input

def _x(shape=(3, 4)):
    return fc.tensor(np.zeros(shape))


test_loss_bad_input = error_tests([
    BadCall("ce smoothing > 1", lambda: F.cross_entropy(_x(), fc.tensor(np.array([0, 1, 2])),
                                                        label_smoothing=1.5),
            ValueError, "label_smoothing"),
    BadCall("ce probs shape", lambda: F.cross_entropy(_x(), _x((3, 5))), ValueError,
            "probability target"),
    BadCall("ce probs dtype", lambda: F.cross_entropy(_x(), fc.tensor(np.zeros((3, 4),
                                                                               np.float32))),
            TypeError, "target"),
    BadCall("smooth_l1 negative beta", lambda: F.smooth_l1_loss(_x(), _x(), beta=-1.0),
            ValueError, "beta"),
    BadCall("huber zero delta", lambda: F.huber_loss(_x(), _x(), delta=0.0), ValueError,
            "delta"),
    BadCall("bce outside [0, 1]", lambda: F.binary_cross_entropy(_x() + 2, _x()),
            ValueError, "between 0 and 1"),
    BadCall("bce shape", lambda: F.binary_cross_entropy(_x(), _x((3, 1))), ValueError,
            "target size"),
    BadCall("bce-logits pos_weight shape", lambda: F.binary_cross_entropy_with_logits(
        _x(), _x(), pos_weight=fc.tensor(np.ones(5))), ValueError, "pos_weight"),
    BadCall("l1 reduction", lambda: F.l1_loss(_x(), _x(), reduction="avg"), ValueError,
            "reduction"),
])


@pytest.mark.parametrize("size_average,reduce,expected", [
    (None, False, "none"), (False, None, "sum"), (True, True, "mean"), (False, True, "sum")])
def test_legacy_reduction_arguments_map_as_torch(size_average, reduce, expected):
    torch = pytest.importorskip("torch")
    with pytest.warns(UserWarning):
        ours = nn.L1Loss(size_average, reduce)
    with pytest.warns(UserWarning):
        theirs = torch.nn.L1Loss(size_average, reduce)
    assert ours.reduction == theirs.reduction == expected


def test_loss_modules_match_functional_and_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((4, 3)), rng.uniform(size=(4, 3))
    pw = np.array([1.0, 2.0, 0.5])
    pairs = [(nn.L1Loss(), torch.nn.L1Loss()),
             (nn.SmoothL1Loss(beta=0.5), torch.nn.SmoothL1Loss(beta=0.5)),
             (nn.HuberLoss(delta=0.3, reduction="sum"),
              torch.nn.HuberLoss(reduction="sum", delta=0.3)),
             (nn.BCEWithLogitsLoss(pos_weight=fc.tensor(pw)),
              torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(pw))),
             (nn.BCELoss(reduction="none"), torch.nn.BCELoss(reduction="none"))]
    for ours, theirs in pairs:
        inp = 1 / (1 + np.exp(-x)) if isinstance(ours, nn.BCELoss) else x
        a = ours(fc.tensor(inp), fc.tensor(y)).numpy()
        b = theirs(torch.tensor(inp), torch.tensor(y)).numpy()
        np.testing.assert_allclose(a, b, rtol=1e-12)
        assert list(ours.state_dict()) == list(theirs.state_dict())
