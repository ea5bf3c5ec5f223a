"""Adam (with decoupled weight decay), AdamW, RMSprop, Adagrad and Adadelta against torch.optim and
against plain float64 references written here from the papers' formulas.

Each run takes a dozen steps on tests/optim/_problem.py with the same gradients (computed
from each side's own current values) and compares after every step: float64 to ~1e-12,
float32 to rounding.
"""
import math

import numpy as np
import pytest

from fastconv import optim

from . import _problem as P

torch = pytest.importorskip("torch")

STEPS = 12


# ------------------------------------------------------------------ float64 references

def ref_adam(hyper):
    """Adam / AdamW as Kingma & Ba and Loshchilov & Hutter write them, per parameter."""
    lr, (b1, b2) = hyper.get("lr", 1e-3), hyper.get("betas", (0.9, 0.999))
    eps, wd = hyper.get("eps", 1e-8), hyper.get("weight_decay", 0.0)
    decoupled = hyper.get("decoupled_weight_decay", False)

    def step(p, g, s):
        if hyper.get("maximize"):
            g = -g
        if not s:
            s.update(t=0, m=np.zeros_like(p), v=np.zeros_like(p), vmax=np.zeros_like(p))
        s["t"] += 1
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        s["vmax"] = np.maximum(s["vmax"], s["v"])
        v = s["vmax"] if hyper.get("amsgrad") else s["v"]
        m_hat = s["m"] / (1 - b1 ** s["t"])
        v_hat = v / (1 - b2 ** s["t"])
        return p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return step


def ref_adamw(hyper):
    return ref_adam(dict({"weight_decay": 1e-2}, **hyper, decoupled_weight_decay=True))


def ref_rmsprop(hyper):
    """RMSprop (Hinton's lecture 6e; centered as Graves 2013), with heavy-ball momentum
    on the scaled gradient."""
    lr, alpha, eps = hyper.get("lr", 1e-2), hyper.get("alpha", 0.99), hyper.get("eps", 1e-8)
    wd, mom = hyper.get("weight_decay", 0.0), hyper.get("momentum", 0.0)

    def step(p, g, s):
        if hyper.get("maximize"):
            g = -g
        if not s:
            s.update(sq=np.zeros_like(p), ga=np.zeros_like(p), buf=np.zeros_like(p))
        g = g + wd * p
        s["sq"] = alpha * s["sq"] + (1 - alpha) * g * g
        if hyper.get("centered"):
            s["ga"] = alpha * s["ga"] + (1 - alpha) * g
            avg = np.sqrt(s["sq"] - s["ga"] ** 2) + eps
        else:
            avg = np.sqrt(s["sq"]) + eps
        if mom > 0:
            s["buf"] = mom * s["buf"] + g / avg
            return p - lr * s["buf"]
        return p - lr * g / avg
    return step


def ref_adagrad(hyper):
    """Adagrad (Duchi et al. 2011) with the learning-rate decay lr / (1 + (t-1) decay)."""
    lr, decay = hyper.get("lr", 1e-2), hyper.get("lr_decay", 0.0)
    wd, eps = hyper.get("weight_decay", 0.0), hyper.get("eps", 1e-10)
    init = hyper.get("initial_accumulator_value", 0.0)

    def step(p, g, s):
        if hyper.get("maximize"):
            g = -g
        if not s:
            s.update(t=0, sum=np.full_like(p, init))
        s["t"] += 1
        g = g + wd * p
        s["sum"] = s["sum"] + g * g
        return p - lr / (1 + (s["t"] - 1) * decay) * g / (np.sqrt(s["sum"]) + eps)
    return step


def ref_adadelta(hyper):
    """Adadelta (Zeiler 2012, algorithm 1) with a learning rate scaling the update."""
    lr, rho = hyper.get("lr", 1.0), hyper.get("rho", 0.9)
    eps, wd = hyper.get("eps", 1e-6), hyper.get("weight_decay", 0.0)

    def step(p, g, s):
        if hyper.get("maximize"):
            g = -g
        if not s:
            s.update(v=np.zeros_like(p), u=np.zeros_like(p))
        g = g + wd * p
        s["v"] = rho * s["v"] + (1 - rho) * g * g
        d = np.sqrt(s["u"] + eps) / np.sqrt(s["v"] + eps) * g
        s["u"] = rho * s["u"] + (1 - rho) * d * d
        return p - lr * d
    return step


# ------------------------------------------------------------------ cases

CASES = [
    ("Adam", ref_adam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("Adam", ref_adam, dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True,
                            amsgrad=True, maximize=True)),
    ("AdamW", ref_adamw, dict()),
    ("AdamW", ref_adamw, dict(lr=0.05)),
    ("AdamW", ref_adamw, dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("AdamW", ref_adamw, dict(lr=0.02, betas=(0.5, 0.9), eps=1e-6, maximize=True)),
    ("AdamW", ref_adamw, dict(lr=0.05, weight_decay=0.0)),
    ("RMSprop", ref_rmsprop, dict()),
    ("RMSprop", ref_rmsprop, dict(lr=0.01, alpha=0.9)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01, momentum=0.9)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01, centered=True)),
    ("RMSprop", ref_rmsprop, dict(lr=0.005, centered=True, momentum=0.5, weight_decay=0.1,
                                  eps=1e-4)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01, alpha=0.5, maximize=True)),
    ("Adagrad", ref_adagrad, dict()),
    ("Adagrad", ref_adagrad, dict(lr=0.1, lr_decay=0.05)),
    ("Adagrad", ref_adagrad, dict(lr=0.1, weight_decay=0.2, initial_accumulator_value=0.5)),
    ("Adagrad", ref_adagrad, dict(lr=0.1, eps=1e-3, maximize=True)),
    ("Adadelta", ref_adadelta, dict()),
    ("Adadelta", ref_adadelta, dict(lr=0.5, rho=0.8, eps=1e-4)),
    ("Adadelta", ref_adadelta, dict(lr=2.0, weight_decay=0.1, maximize=True)),
]
IDS = ["%s-%s" % (name, "-".join("%s=%s" % kv for kv in hyper.items()) or "defaults")
       for name, _, hyper in CASES]


def _run_pair(name, hyper, dtype, groups=False):
    ours, theirs = P.fresh_fastconv(dtype), P.fresh_torch(dtype)
    mine = getattr(optim, name)(P.split_groups(ours) if groups else ours, **hyper)
    ref = getattr(torch.optim, name)(P.split_groups(theirs) if groups else theirs, **hyper)
    rtol, atol = P.tolerance(dtype)
    for _ in range(STEPS):
        P.set_fastconv_grads(ours)
        P.set_torch_grads(theirs)
        mine.step()
        ref.step()
        for a, b in zip(ours, theirs):
            assert a.detach().numpy().dtype == dtype
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=rtol, atol=atol)
    return mine, ref


@pytest.mark.parametrize("name,reference,hyper", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_torch(name, reference, hyper, dtype):
    _run_pair(name, hyper, dtype)


@pytest.mark.parametrize("name,reference,hyper", CASES, ids=IDS)
def test_matches_float64_reference(name, reference, hyper):
    ours = P.fresh_fastconv(np.float64)
    opt = getattr(optim, name)(ours, **hyper)
    values = [p.copy() for p in P.START]
    states = [{} for _ in values]
    rule = reference(hyper)
    for _ in range(STEPS):
        P.set_fastconv_grads(ours)
        grads = [P.gradient(i, v) for i, v in enumerate(values)]
        opt.step()
        values = [rule(v, g, s) for v, g, s in zip(values, grads, states)]
        for a, v in zip(ours, values):
            np.testing.assert_allclose(a.detach().numpy(), v, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name,hyper", [("AdamW", dict(lr=0.1)),
                                        ("RMSprop", dict(lr=0.01, momentum=0.9,
                                                         centered=True)),
                                        ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
                                        ("Adadelta", dict(lr=0.7))])
def test_param_groups_and_params_without_grad(name, hyper):
    _run_pair(name, hyper, np.float64, groups=True)
    ours, theirs = P.fresh_fastconv(), P.fresh_torch()
    mine = getattr(optim, name)(ours, **hyper)
    ref = getattr(torch.optim, name)(theirs, **hyper)
    for step in range(6):
        skip = {step % 3}
        P.set_fastconv_grads(ours, skip)
        P.set_torch_grads(theirs, skip)
        mine.step()
        ref.step()
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_adamw_is_adam_with_decoupled_weight_decay():
    opt = optim.AdamW(P.fresh_fastconv())
    assert isinstance(opt, optim.Adam)
    group = opt.param_groups[0]
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"] is True
    assert optim.Adam(P.fresh_fastconv()).param_groups[0]["decoupled_weight_decay"] is False


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_hyper_parameter_keys_are_torchs(name):
    kwargs = dict(lr=0.1) if name == "SGD" else {}
    ours = getattr(optim, name)(P.fresh_fastconv(), **kwargs)
    theirs = getattr(torch.optim, name)(P.fresh_torch(), **kwargs)
    assert set(ours.param_groups[0]) == set(theirs.param_groups[0])
    assert set(ours.defaults) == set(theirs.defaults)
    for key, value in theirs.defaults.items():
        assert ours.defaults[key] == value, key


def test_adagrad_creates_its_state_up_front_as_torch_does():
    ours = optim.Adagrad(P.fresh_fastconv(), initial_accumulator_value=0.25)
    theirs = torch.optim.Adagrad(P.fresh_torch(), initial_accumulator_value=0.25)
    a, b = ours.state_dict()["state"], theirs.state_dict()["state"]
    assert set(a) == set(b) == {0, 1, 2}
    for i in a:
        assert set(a[i]) == set(b[i]) == {"step", "sum"}
        assert a[i]["step"] == 0
        np.testing.assert_array_equal(a[i]["sum"], b[i]["sum"].numpy())


@pytest.mark.parametrize("make,message", [
    (lambda p: optim.AdamW(p, lr=-1), "learning rate"),
    (lambda p: optim.AdamW(p, weight_decay=-1), "weight_decay"),
    (lambda p: optim.AdamW(p, betas=(1.0, 0.9)), "beta parameter at index 0"),
    (lambda p: optim.RMSprop(p, lr=-0.1), "learning rate"),
    (lambda p: optim.RMSprop(p, alpha=-0.5), "alpha"),
    (lambda p: optim.RMSprop(p, eps=-1.0), "epsilon"),
    (lambda p: optim.RMSprop(p, momentum=-0.1), "momentum"),
    (lambda p: optim.RMSprop(p, weight_decay=-0.1), "weight_decay"),
    (lambda p: optim.Adagrad(p, lr=-0.1), "learning rate"),
    (lambda p: optim.Adagrad(p, lr_decay=-0.1), "lr_decay"),
    (lambda p: optim.Adagrad(p, weight_decay=-0.1), "weight_decay"),
    (lambda p: optim.Adagrad(p, initial_accumulator_value=-0.1),
     "initial_accumulator_value"),
    (lambda p: optim.Adagrad(p, eps=-0.1), "epsilon"),
    (lambda p: optim.Adam(p, differentiable=True), "differentiable"),
])
def test_bad_hyper_parameters(make, message):
    with pytest.raises(ValueError, match=message):
        make(P.fresh_fastconv())


def test_adagrad_bias_free_learning_rate_decay_formula():
    """Adagrad's clr is lr / (1 + (t - 1) * lr_decay): one parameter, one-element check."""
    import fastconv as fc
    from fastconv import nn
    p = nn.Parameter(fc.tensor(np.array([1.0])))
    opt = optim.Adagrad([p], lr=0.5, lr_decay=1.0, eps=0.0)
    for t in range(1, 4):
        p.grad = fc.tensor(np.array([2.0]))
        before = p.detach().numpy()[0]
        opt.step()
        # sum = 4 t; the step is clr * 2 / sqrt(4 t) = clr / sqrt(t)
        assert math.isclose(before - p.detach().numpy()[0], 0.5 / t / math.sqrt(t), rel_tol=1e-15)


@pytest.mark.parametrize("kwargs, name", [(dict(rho=1.5), "rho"), (dict(lr=-1.0), "lr"),
                                          (dict(eps=-1e-6), "eps"),
                                          (dict(capturable=True), "capturable")])
def test_adadelta_refuses_bad_hyper_parameters_by_name(kwargs, name):
    with pytest.raises(ValueError, match=name):
        optim.Adadelta(P.fresh_fastconv(), **kwargs)
