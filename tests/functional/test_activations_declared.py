"""The pointwise activations declared for the op harness (tests/harness.py): float64
references written plainly from the definitions, gradcheck, PyTorch (values and
gradients), native vs generic, 1 vs 2 threads; NaN and infinities as PyTorch; the ISA
builds of the float kernels; inplace=; the modules against torch's; bad input."""
import math

import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv import nn, ops
from fastconv.ops._dispatch import use_backend
from tests.harness import BadCall, Input, OpCase, error_tests, op_tests


# ------------------------------------------------------------------ references

def _map(f):
    """An elementwise float64 reference from a scalar formula (a loop: plain and slow)."""
    return lambda x, **kw: np.vectorize(lambda v: f(float(v), **kw), otypes=[float])(x)


def _sigmoid(v):
    return 1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v))


def _softplus(v, beta=1.0, threshold=20.0):
    if beta * v > threshold:
        return v
    return (max(beta * v, 0) + math.log1p(math.exp(-abs(beta * v)))) / beta


def _gelu(v, approximate="none"):
    if approximate == "tanh":
        return 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)))
    return 0.5 * v * math.erfc(-v / math.sqrt(2))


REFERENCES = {
    "leaky_relu": _map(lambda v, negative_slope=0.01: v if v > 0 else negative_slope * v),
    "elu": _map(lambda v, alpha=1.0: v if v > 0 else alpha * math.expm1(v)),
    "gelu": _map(_gelu),
    "silu": _map(lambda v: v * _sigmoid(v)),
    "sigmoid": _map(_sigmoid),
    "tanh": _map(math.tanh),
    "softplus": _map(_softplus),
    "hardtanh": _map(lambda v, min_val=-1.0, max_val=1.0: min(max(v, min_val), max_val)),
    "relu6": _map(lambda v: min(max(v, 0.0), 6.0)),
    "hardswish": _map(lambda v: v * min(max(v + 3, 0.0), 6.0) / 6),
    "hardsigmoid": _map(lambda v: min(max(v + 3, 0.0), 6.0) / 6),
    "mish": _map(lambda v: v * math.tanh(_softplus(v))),
}

# (name, kwargs): every activation with its defaults, and its options varied
VARIANTS = [
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("leaky_relu", {"negative_slope": -0.5}),
    ("elu", {}), ("elu", {"alpha": 0.5}), ("elu", {"alpha": -0.7}),   # < 0: backward from x
    ("gelu", {}), ("gelu", {"approximate": "tanh"}),
    ("silu", {}), ("sigmoid", {}), ("tanh", {}),
    ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 3.0}),
    ("softplus", {"beta": 0.5, "threshold": 1.0}),
    ("hardtanh", {}), ("hardtanh", {"min_val": -0.5, "max_val": 2.0}),
    ("relu6", {}), ("hardswish", {}), ("hardsigmoid", {}), ("mish", {}),
]

# torch's float64 hardsigmoid gradient multiplies by 1/6 rounded to float (2e-8 off)
_RTOL = {"hardsigmoid": {np.float64: 1e-7}}


def _torch_fn(name):
    return lambda t, x, **kw: getattr(t.nn.functional, name)(x, **kw)


def _cases():
    cases = []
    for i, (name, kwargs) in enumerate(VARIANTS):
        fn, ref = getattr(F, name), REFERENCES[name]
        tag = "%s-%d" % (name, i)
        # small, for gradcheck too: the middle and the tails
        cases.append(OpCase(tag, fn, [Input((3, 4, 7), "uniform", low=-10, high=10)],
                            kwargs=kwargs, ref=ref, torch_fn=_torch_fn(name),
                            rtol=_RTOL.get(name)))
        # large: the multi-threaded and vectorised paths, odd length (a vector tail)
        cases.append(OpCase(tag + "-large", fn, [Input((3, 8, 37, 41), "uniform", low=-8,
                                                       high=8)],
                            kwargs=kwargs, ref=ref, torch_fn=_torch_fn(name), gradcheck=False,
                            rtol=_RTOL.get(name)))
    return cases


# the thread check only on the large cases (small arrays run on one thread)
test_activations = op_tests([c for c in _cases() if c.gradcheck],
                            ("reference", "gradcheck", "torch", "generic", "cuda"))
test_activations_large = op_tests([c for c in _cases() if not c.gradcheck])


# ------------------------------------------------------------------ NaN and infinities

SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -1e-40, 1e-40, 3.0, -3.0, 6.0, 1e30,
                    -1e30, 20.0, -87.5, -104.0, 0.5])


@pytest.mark.parametrize("backend", ["native", "generic"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,kwargs", VARIANTS, ids=["%s-%d" % (v[0], i)
                                                       for i, v in enumerate(VARIANTS)])
def test_special_values_as_torch(name, kwargs, dtype, backend):
    """NaN propagates, infinities and kinks give PyTorch's values and gradients. The
    reference is torch in float64 on 64 elements, which its vectorised kernels run (its
    scalar tail loops treat NaN differently in places; its float32 gelu(inf) is NaN)."""
    torch = pytest.importorskip("torch")
    x = np.tile(SPECIAL, 4).astype(dtype)
    t = torch.tensor(x.astype(np.float64), requires_grad=True)
    getattr(torch.nn.functional, name)(t, **kwargs).backward(torch.ones(len(x),
                                                                        dtype=torch.float64))
    with use_backend(backend):
        ours = fc.tensor(x, requires_grad=True)
        y = getattr(F, name)(ours, **kwargs)
        y.backward(fc.tensor(np.ones(len(x), dtype=dtype)))
    expected = getattr(torch.nn.functional, name)(t.detach(), **kwargs).numpy()
    rtol, atol = (1e-5, 1e-6) if dtype == np.float32 else (1e-12, 1e-15)
    rtol = max(rtol, _RTOL.get(name, {}).get(np.float64, 0))
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=rtol, atol=atol)
    np.testing.assert_allclose(ours.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=atol)


# ------------------------------------------------------------------ ISA builds

def _isa_outputs(isa):
    """Every activation's forward and backward over awkward float32 values, under an
    instruction-set cap (switched in process through the capability record)."""
    from fastconv import _caps, ops
    x = np.random.default_rng(0).uniform(-30, 30, 100003).astype(np.float32)
    x[:6] = [np.nan, np.inf, -np.inf, 0.0, -0.0, -100.0]
    out = {}
    with _caps.override(isa=isa):
        for kind in ops.ACTIVATIONS:
            y = ops.activation_forward(x, kind, 0.3, 2.0)
            saved = y if ops.activation_backward_reads(kind, 0.3) == "output" else x
            out[kind] = y
            out[kind + "-grad"] = ops.activation_backward(np.ones_like(x), saved, kind, 0.3,
                                                          2.0)
    return out


def test_float_kernels_of_every_isa_agree():
    """The AVX-512 and AVX2 builds give the same bits (NaN payloads aside), the portable
    build the same values within an ulp or so (it has no fused multiply-adds)."""
    from fastconv import _caps
    levels = [isa for isa in ("avx512", "avx2", "generic") if _caps.isa_available(isa)]
    best = _isa_outputs(levels[0])
    for isa in levels[1:]:
        other = _isa_outputs(isa)
        exact = isa != "generic"
        for key in best:
            a, b = best[key], other[key]
            assert np.array_equal(np.isnan(a), np.isnan(b)), (isa, key)
            if exact:
                np.testing.assert_array_equal(a, b, err_msg="%s %s" % (isa, key))
            else:
                np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7,
                                           err_msg="%s %s" % (isa, key))


# ------------------------------------------------------------------ inplace=

def test_inplace_without_grad_writes_into_the_input():
    x = np.linspace(-3, 3, 13)
    for name, kwargs in (("elu", {}), ("leaky_relu", {"negative_slope": 0.1}),
                         ("hardtanh", {}), ("relu6", {}), ("silu", {}), ("mish", {}),
                         ("hardswish", {}), ("hardsigmoid", {})):
        t = fc.tensor(x.copy())
        with fc.no_grad():
            out = getattr(F, name)(t, inplace=True, **kwargs)
        assert out is t
        np.testing.assert_allclose(t.numpy(), REFERENCES[name](x, **kwargs), rtol=1e-12)


def test_inplace_on_a_strided_input_without_grad():
    base = fc.tensor(np.linspace(-3, 3, 24).reshape(4, 6))
    view = fc.from_numpy(base.numpy()[:, ::2])
    assert not view.numpy().flags.c_contiguous and view.numpy().base is not None
    with fc.no_grad():
        F.elu(view, inplace=True)
    np.testing.assert_allclose(base.numpy()[:, ::2],
                               REFERENCES["elu"](np.linspace(-3, 3, 24).reshape(4, 6)[:, ::2]))


def test_inplace_with_grad_keeps_the_gradient_right():
    x = fc.tensor(np.linspace(-2, 2, 9), requires_grad=True)
    h = x * 2.0                                   # a non-leaf: not changed in place
    y = F.elu(h, alpha=0.5, inplace=True)
    y.sum().backward()
    v = np.linspace(-2, 2, 9) * 2
    np.testing.assert_allclose(y.detach().numpy(), REFERENCES["elu"](v, alpha=0.5))
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.where(v > 0, 1.0, 0.5 * np.exp(v)))


def test_inplace_on_a_leaf_that_requires_grad_raises():
    x = fc.tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        F.leaky_relu(x, inplace=True)


def test_modules_match_torch_reprs_values_and_gradients():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).uniform(-5, 5, (2, 3, 7)).astype(np.float32)
    pairs = [(nn.LeakyReLU(0.2, inplace=True), torch.nn.LeakyReLU(0.2, inplace=True)),
             (nn.ELU(0.5), torch.nn.ELU(0.5)), (nn.GELU("tanh"), torch.nn.GELU("tanh")),
             (nn.GELU(), torch.nn.GELU()), (nn.SiLU(True), torch.nn.SiLU(True)),
             (nn.Sigmoid(), torch.nn.Sigmoid()), (nn.Tanh(), torch.nn.Tanh()),
             (nn.Softplus(2, 10), torch.nn.Softplus(2, 10)),
             (nn.Hardtanh(-2, 3), torch.nn.Hardtanh(-2, 3)), (nn.ReLU6(), torch.nn.ReLU6()),
             (nn.Hardswish(), torch.nn.Hardswish()), (nn.Hardsigmoid(), torch.nn.Hardsigmoid()),
             (nn.Mish(), torch.nn.Mish())]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        a = fc.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        ya, yb = ours(a * 1.0), theirs(b * 1.0)     # non-leaf inputs (inplace modules)
        ya.sum().backward()
        yb.sum().backward()
        np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-5,
                                   atol=1e-6, err_msg=repr(ours))
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=repr(ours))


# ------------------------------------------------------------------ bad input

def _x(dtype=np.float32):
    return fc.tensor(np.zeros((2, 3), dtype=dtype))


test_activation_bad_input = error_tests([
    BadCall("gelu approximate", lambda: F.gelu(_x(), approximate="exact"), ValueError,
            "approximate"),
    BadCall("leaky_relu slope", lambda: F.leaky_relu(_x(), negative_slope="0.1"), TypeError,
            "negative_slope"),
    BadCall("elu alpha", lambda: F.elu(_x(), alpha=None), TypeError, "alpha"),
    BadCall("softplus beta", lambda: F.softplus(_x(), beta=[1.0]), TypeError, "beta"),
    BadCall("softplus threshold", lambda: F.softplus(_x(), threshold="20"), TypeError,
            "threshold"),
    BadCall("hardtanh min_val", lambda: F.hardtanh(_x(), min_val=True), TypeError, "min_val"),
    BadCall("Hardtanh max_val below min_val", lambda: nn.Hardtanh(1.0, -1.0), ValueError,
            "max_val"),
    BadCall("integer input", lambda: F.silu(fc.tensor(np.zeros(3, dtype=np.int64))),
            TypeError, "float32 or float64"),
    BadCall("array input", lambda: F.tanh(np.zeros(3)), TypeError,
            "input must be a fastconv Tensor"),
    BadCall("unknown kind", lambda: ops.activation_forward(np.zeros(3), "swish"), ValueError,
            "kind must be one of"),
    BadCall("backward shapes", lambda: ops.activation_backward(np.zeros(3), np.zeros(4),
                                                               "mish"),
            ValueError, "same shape"),
    BadCall("backward dtypes", lambda: ops.activation_backward(
        np.zeros(3), np.zeros(3, dtype=np.float32), "mish"), TypeError, "same dtype"),
])
