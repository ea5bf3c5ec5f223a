"""Every Tensor op: values and gradients against PyTorch running the same expression, and a
float64 finite-difference gradcheck that needs no PyTorch.

Each case is an expression `fn(lib, *inputs)` written once for both libraries: `lib` is
either torch or FC (fastconv.autograd plus its dtypes), so a case reads like user code.
"""
import types

import numpy as np
import pytest

import fastconv.autograd as fca
from fastconv.autograd import gradcheck

FC = types.SimpleNamespace(**{k: getattr(fca, k) for k in fca.__all__},
                           float32=np.float32, float64=np.float64, int64=np.int64)

POS = "positive"       # input drawn from [0.5, 2]: for log, sqrt, division, pow bases
AWAY = "away"          # |x| in [0.3, 2]: no kinks at 0 (abs) and distinct values


def case(name, fn, *specs, gradcheck=True):
    """specs: shapes, or (shape, POS|AWAY). gradcheck=False: the expression rounds through
    float32 on purpose, so finite differences in float64 cannot check it, or its inputs
    are too large for finite differences to be quick (torch still checks it)."""
    return pytest.param(fn, specs, gradcheck, id=name)


CASES = [
    # ---- binary arithmetic with broadcasting
    case("add", lambda L, a, b: a + b, (3, 4), (3, 4)),
    case("add_bcast_3x1_1x4", lambda L, a, b: a + b, (3, 1), (1, 4)),
    case("add_leading_dims", lambda L, a, b: a + b, (2, 3, 4), (4,)),
    case("add_0d", lambda L, a, b: a + b, (3, 4), ()),
    case("add_scalar", lambda L, a: 2.5 + a + 1, (3,)),
    case("sub_bcast", lambda L, a, b: a - b, (2, 1, 4), (3, 1)),
    case("rsub_scalar", lambda L, a: 1.5 - a, (2, 3)),
    case("mul_bcast", lambda L, a, b: a * b, (3, 1), (1, 4)),
    case("mul_scalar", lambda L, a: 3 * a * 0.5, (2, 3)),
    case("div_bcast", lambda L, a, b: a / b, (2, 3, 4), ((3, 1), POS)),
    case("rtruediv", lambda L, a: 2.0 / a, ((2, 3), POS)),
    case("neg", lambda L, a: -a, (2, 3)),
    case("pow_scalar", lambda L, a: a ** 3, (2, 3)),
    case("pow_half", lambda L, a: a ** 0.5, ((2, 3), POS)),
    case("pow_tensor", lambda L, a, b: a ** b, ((2, 3), POS), (1, 3)),
    case("pow_method", lambda L, a: a.pow(2), (4,)),
    case("rpow", lambda L, a: 2 ** a, (2, 3)),
    case("diamond", lambda L, a: (a * 2) * (a + 1) + a, (3,)),
    # ---- matmul: 2-D on fastconv's GEMM, others via xp.matmul
    case("matmul_2d", lambda L, a, b: a @ b, (3, 4), (4, 5)),
    case("matmul_2d_T", lambda L, a, b: a @ b.T, (3, 4), (5, 4)),
    case("matmul_1d_2d", lambda L, a, b: a @ b, (4,), (4, 5)),
    case("matmul_2d_1d", lambda L, a, b: a @ b, (3, 4), (4,)),
    case("matmul_1d_1d", lambda L, a, b: a @ b, (4,), (4,)),
    case("matmul_batched", lambda L, a, b: a @ b, (2, 3, 4), (4, 5)),
    case("matmul_batched_bcast", lambda L, a, b: a @ b, (2, 1, 3, 4), (3, 4, 2)),
    case("matmul_1d_batched", lambda L, a, b: a @ b, (4,), (2, 4, 3)),
    case("matmul_fn", lambda L, a, b: L.matmul(a, b), (2, 3), (3,)),
    # ---- unary
    case("exp", lambda L, a: a.exp(), (2, 3)),
    case("log", lambda L, a: a.log(), ((2, 3), POS)),
    case("sqrt", lambda L, a: a.sqrt(), ((2, 3), POS)),
    case("abs", lambda L, a: a.abs(), ((2, 3), AWAY)),
    case("tanh", lambda L, a: a.tanh(), (2, 3)),
    case("sigmoid", lambda L, a: a.sigmoid(), (2, 3)),
    case("sigmoid_large", lambda L, a: (a * 40).sigmoid(), ((2, 3), AWAY)),
    case("clamp", lambda L, a: a.clamp(-0.5, 0.5), ((3, 4), AWAY)),
    case("clamp_min", lambda L, a: a.clamp(min=0.6), ((3, 4), AWAY)),
    case("clamp_max", lambda L, a: L.clamp(a, max=-0.6), ((3, 4), AWAY)),
    case("functional_unary", lambda L, a: L.exp(L.tanh(a)) + L.log(L.sqrt(L.sigmoid(a)))
         + L.abs(a), ((2, 3), AWAY)),
    # ---- reductions
    case("sum_all", lambda L, a: a.sum(), (2, 3)),
    case("sum_dim", lambda L, a: a.sum(dim=1), (2, 3, 4)),
    case("sum_neg_dim_keep", lambda L, a: a.sum(-1, keepdim=True), (2, 3, 4)),
    case("sum_tuple_keep", lambda L, a: a.sum(dim=(0, 2), keepdim=True), (2, 3, 4)),
    case("sum_tuple", lambda L, a: L.sum(a, dim=(2, 0)), (2, 3, 4)),
    case("mean_all", lambda L, a: a.mean(), (2, 3)),
    case("mean_dim", lambda L, a: a.mean(dim=0), (2, 3, 4)),
    case("mean_tuple_keep", lambda L, a: L.mean(a, (1, 2), keepdim=True), (2, 3, 4)),
    case("max_all", lambda L, a: a.max(), (3, 4)),
    case("max_dim", lambda L, a: a.max(dim=1).values, (2, 3, 4)),
    case("max_dim_keep", lambda L, a: a.max(0, keepdim=True)[0], (3, 4)),
    case("min_all", lambda L, a: L.min(a), (3, 4)),
    case("min_dim", lambda L, a: L.min(a, dim=-1).values, (3, 4)),
    # ---- shape ops
    case("reshape", lambda L, a: a.reshape(6, -1), (3, 4)),
    case("reshape_tuple", lambda L, a: L.reshape(a, (2, 2, 3)), (3, 4)),
    case("view", lambda L, a: a.view(4, 3) * 2, (3, 4)),
    case("flatten", lambda L, a: a.flatten(), (2, 3, 4)),
    case("flatten_1", lambda L, a: L.flatten(a, 1), (2, 3, 4)),
    case("flatten_0_1", lambda L, a: a.flatten(0, 1), (2, 3, 4)),
    case("squeeze", lambda L, a: a.squeeze(), (3, 1, 4, 1)),
    case("squeeze_dim", lambda L, a: a.squeeze(1), (3, 1, 4, 1)),
    case("squeeze_tuple_noop", lambda L, a: L.squeeze(a, (0, 3)), (3, 1, 4, 1)),
    case("unsqueeze_fn", lambda L, a: L.unsqueeze(a, -2), (3, 4)),
    case("unsqueeze", lambda L, a: a.unsqueeze(0) + a.unsqueeze(-1), (3,)),
    case("transpose", lambda L, a: a.transpose(0, 2), (2, 3, 4)),
    case("transpose_fn", lambda L, a: L.transpose(a, -1, 0), (2, 3)),
    case("permute", lambda L, a: a.permute(2, 0, 1), (2, 3, 4)),
    case("permute_fn", lambda L, a: L.permute(a, (1, 2, 0)), (2, 3, 4)),
    case("T", lambda L, a: a.T * 2, (2, 3)),
    case("expand", lambda L, a: a.expand(2, 3, 4), (3, 1)),
    case("expand_minus1", lambda L, a: a.expand(-1, 4), (3, 1)),
    case("expand_as", lambda L, a, b: a.expand_as(b) * b, (1, 4), (3, 4)),
    case("broadcast_to", lambda L, a: a.broadcast_to((2, 3)), (3,)),
    # ---- indexing
    case("index_int", lambda L, a: a[1], (3, 4)),
    case("index_slices", lambda L, a: a[:, 1:3], (3, 4)),
    case("index_step_neg", lambda L, a: a[::2, -1], (3, 4)),
    case("index_none_ellipsis", lambda L, a: a[..., None, 1], (2, 3, 4)),
    case("index_mask", lambda L, a: a[a > 0], ((3, 4), AWAY)),
    case("index_tensor_repeated", lambda L, a: a[L.tensor([0, 2, 0])], (3, 4)),
    case("index_list_repeated", lambda L, a: a[[1, 1, 1]] * 2, (3, 4)),
    case("index_2d_tensor", lambda L, a: a[:, L.tensor([[0, 1], [1, 1]])], (3, 4)),
    case("index_pairs", lambda L, a: a[L.tensor([0, 1, 0]), L.tensor([2, 2, 2])], (3, 4)),
    case("index_mask_rows", lambda L, a: a[L.tensor([True, False, True])], (3, 4)),
    # ---- joining, selecting, copying, casting
    case("cat", lambda L, a, b: L.cat([a, b], dim=1), (2, 3), (2, 2)),
    case("cat_dim0_three", lambda L, a, b: L.cat((a, b, a)), (2, 3), (1, 3)),
    case("stack", lambda L, a, b: L.stack([a, b]), (2, 3), (2, 3)),
    case("stack_last", lambda L, a, b: L.stack([a, b, a], dim=-1), (2, 3), (2, 3)),
    case("where", lambda L, a, b: L.where(a > 0, a, b), ((3, 4), AWAY), (1, 4)),
    case("where_scalar", lambda L, a: L.where(a > 0, a * 2, 0.0), ((3, 4), AWAY)),
    case("clone", lambda L, a: a.clone() * a, (2, 3)),
    case("contiguous", lambda L, a: a.T.contiguous() * 2, (2, 3)),
    case("to_float32_and_back", lambda L, a: (a.float() * 3).double(), (2, 3), gradcheck=False),
    case("to_dtype", lambda L, a: a.to(L.float64) * 2, (2, 3)),
    case("mixed_dtype_graph", lambda L, a: a * L.tensor([1.5, 2.0, 3.0]), (3,)),
]


def _inputs(specs, seed):
    rng = np.random.default_rng(seed)
    arrays = []
    for spec in specs:
        shape, kind = (spec if len(spec) == 2 and isinstance(spec[0], tuple) else (spec, None))
        if kind == POS:
            arrays.append(rng.uniform(0.5, 2.0, shape))
        elif kind == AWAY:
            arrays.append(rng.uniform(0.3, 2.0, shape) * rng.choice([-1, 1], shape))
        else:
            arrays.append(rng.standard_normal(shape))
    return arrays


def _run(lib, fn, arrays, dtype):
    """Evaluate fn on leaves made from arrays, backward a fixed random vector; return the
    output (as numpy), its dtype name and the leaves' gradients."""
    torch = pytest.importorskip("torch") if lib != FC else None
    if torch is not None:
        leaves = [torch.tensor(a, dtype=getattr(torch, dtype), requires_grad=True)
                  for a in arrays]
    else:
        leaves = [fca.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    out = fn(lib, *leaves)
    v = np.random.default_rng(99).standard_normal(tuple(out.shape))
    out.backward(torch.tensor(v, dtype=out.dtype) if torch is not None else v)
    grads = [None if t.grad is None else np.asarray(t.grad.detach().numpy()) for t in leaves]
    name = str(out.dtype).replace("torch.", "")
    return np.asarray(out.detach().numpy()), name, grads


def assert_matches_torch(fn, specs, dtype, tol):
    """fn's output and input gradients equal PyTorch's (values, shapes and dtypes)."""
    torch = pytest.importorskip("torch")
    arrays = _inputs(specs, seed=len(specs))
    out, out_dtype, grads = _run(FC, fn, arrays, dtype)
    ref, ref_dtype, ref_grads = _run(torch, fn, arrays, dtype)
    assert out.shape == ref.shape
    assert out_dtype == ref_dtype
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    for g, r in zip(grads, ref_grads):
        assert (g is None) == (r is None)
        if g is not None:
            assert g.dtype == r.dtype
            np.testing.assert_allclose(g, r, rtol=tol, atol=tol)


def assert_gradcheck(fn, specs):
    """fn's gradients in float64 agree with central finite differences."""
    leaves = [fca.tensor(a, dtype=np.float64, requires_grad=True)
              for a in _inputs(specs, seed=len(specs))]
    assert gradcheck(lambda *xs: fn(FC, *xs), leaves)


@pytest.mark.parametrize("dtype,tol", [("float32", 2e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("fn,specs,check", CASES)
def test_matches_torch(fn, specs, check, dtype, tol):
    assert_matches_torch(fn, specs, dtype, tol)


@pytest.mark.parametrize("fn,specs,check", [c for c in CASES if c.values[2]])
def test_gradcheck(fn, specs, check):
    assert_gradcheck(fn, specs)


# ---------------------------------------------------------------- non-differentiable results

def test_max_min_with_dim_return_values_and_indices_like_torch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(0).standard_normal((3, 4, 5))
    for name in ("max", "min"):
        for dim, keep in ((0, False), (1, True), (-1, False)):
            ours = getattr(fca.tensor(a), name)(dim=dim, keepdim=keep)
            ref = getattr(torch.tensor(a), name)(dim=dim, keepdim=keep)
            np.testing.assert_array_equal(ours.values.numpy(), ref.values.numpy())
            np.testing.assert_array_equal(ours.indices.numpy(), ref.indices.numpy())
            assert ours.indices.dtype == np.int64
            values, indices = ours            # unpacks like torch's namedtuple
            assert values is ours.values and indices is ours.indices


def test_argmax_argmin_like_torch():
    torch = pytest.importorskip("torch")
    a = np.random.default_rng(1).standard_normal((3, 4))
    for name in ("argmax", "argmin"):
        for kw in ({}, {"dim": 0}, {"dim": 1, "keepdim": True}):
            ours = getattr(fca, name)(fca.tensor(a, requires_grad=True), **kw)
            ref = getattr(torch, name)(torch.tensor(a), **kw)
            np.testing.assert_array_equal(ours.numpy(), ref.numpy())
            assert ours.dtype == np.int64 and not ours.requires_grad


def test_comparisons_are_bool_tensors_without_grad():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 2.0, 3.0]])
    b = np.array([[2.0], [3.0]])
    x = fca.tensor(a, requires_grad=True)
    y = fca.tensor(b)
    tx, ty = torch.tensor(a), torch.tensor(b)
    for op in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__"):
        ours, ref = getattr(x, op)(y), getattr(tx, op)(ty)
        assert ours.dtype == np.bool_ and not ours.requires_grad and ours.grad_fn is None
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())
        np.testing.assert_array_equal(getattr(x, op)(2.0).numpy(), getattr(tx, op)(2.0).numpy())
    # reflected: a number or a numpy array on the left
    np.testing.assert_array_equal((2.0 < x).numpy(), [[False, False, True]])
    np.testing.assert_array_equal((a >= x).numpy(), [[True, True, True]])


def test_tensor_hash_is_identity_despite_eq():
    a, b = fca.tensor([1.0, 2.0]), fca.tensor([1.0, 2.0])
    assert hash(a) == id(a) and hash(a) != hash(b)
    seen = {a: "a", b: "b"}
    assert seen[a] == "a" and seen[b] == "b" and len({a, b, a}) == 2
    assert (a == None) is False  # noqa: E711  (unsupported operand: identity fallback)


# ---------------------------------------------------------------- ties and kinks

def test_max_tie_rules_match_torch():
    """Full max/min: tied extremes share the gradient evenly; with dim: the first one."""
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]])
    for expr in (lambda t: t.max(), lambda t: t.min(), lambda t: t.max(dim=1).values.sum(),
                 lambda t: t.min(dim=0).values.sum()):
        x = fca.tensor(a, requires_grad=True)
        tx = torch.tensor(a, requires_grad=True)
        expr(x).backward()
        expr(tx).backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())


def test_abs_clamp_gradients_at_kinks_match_torch():
    torch = pytest.importorskip("torch")
    a = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    for expr in (lambda t: t.abs(), lambda t: t.clamp(-0.5, 0.5), lambda t: t.clamp(min=0.0),
                 lambda t: t ** 2, lambda t: t ** 0, lambda t: t ** 0.5):
        x = fca.tensor(a, requires_grad=True)
        tx = torch.tensor(a, requires_grad=True)
        expr(x).sum().backward()
        expr(tx).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_pow_zero_base_tensor_exponent_matches_torch():
    torch = pytest.importorskip("torch")
    a, b = np.array([0.0, 0.0, 2.0]), np.array([0.0, 2.0, 0.0])
    x, y = fca.tensor(a, requires_grad=True), fca.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (x ** y).sum().backward()
    (tx ** ty).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_array_equal(y.grad.numpy(), ty.grad.numpy())


def test_edge_values_give_inf_nan_like_torch_without_warnings(recwarn):
    torch = pytest.importorskip("torch")
    a = np.array([-1.0, 0.0, 1000.0, -1000.0])
    for expr in (lambda t: t.log(), lambda t: t.sqrt(), lambda t: 1 / t, lambda t: t.sigmoid(),
                 lambda t: t.exp(), lambda t: t ** -1, lambda t: t ** 0.5):
        x = fca.tensor(a, requires_grad=True)
        tx = torch.tensor(a, requires_grad=True)
        out, ref = expr(x), expr(tx)
        out.sum().backward()
        ref.sum().backward()
        np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_index_repeated_indices_accumulate():
    x = fca.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[fca.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_matmul_2d_float_runs_on_fastconv_gemm_where_it_pays(monkeypatch):
    """2-D float matmul forward and both backward products go through fastconv.ops once
    the product is large enough (linalg.GEMM_MIN_WORK); tiny ones stay on numpy."""
    from fastconv import ops
    from fastconv.autograd.linalg import GEMM_MIN_WORK
    calls = []
    real_matmul, real_gemm = ops.matmul, ops.gemm
    monkeypatch.setattr(ops, "matmul", lambda *a, **k: calls.append("matmul")
                        or real_matmul(*a, **k))
    monkeypatch.setattr(ops, "gemm", lambda *a, **k: calls.append("gemm")
                        or real_gemm(*a, **k))
    n = round(GEMM_MIN_WORK ** (1 / 3))
    for size, expected in ((n, ["matmul", "gemm", "gemm"]), (3, [])):
        calls.clear()
        a = fca.tensor(np.ones((size, size)), requires_grad=True, dtype=np.float32)
        b = fca.tensor(np.ones((size, size)), requires_grad=True, dtype=np.float32)
        (a @ b).sum().backward()
        assert calls == expected
        np.testing.assert_array_equal(a.grad.numpy(), np.full((size, size), size))
        np.testing.assert_array_equal(b.grad.numpy(), np.full((size, size), size))


def test_integer_ops_stay_integer_and_match_torch():
    torch = pytest.importorskip("torch")
    a, b = np.array([[1, 2], [3, 4]]), np.array([[5, -6], [7, 8]])
    x, y = fca.tensor(a), fca.tensor(b)
    tx, ty = torch.tensor(a), torch.tensor(b)
    for expr in (lambda p, q: p + q, lambda p, q: p * q - 1, lambda p, q: p @ q,
                 lambda p, q: p ** 2, lambda p, q: p.sum(dim=0), lambda p, q: q.abs(),
                 lambda p, q: p / q, lambda p, q: p.exp(), lambda p, q: p.max(),
                 lambda p, q: q.clamp(min=0), lambda p, q: p > q, lambda p, q: p * 1.5,
                 lambda p, q: (p > 2).sum(), lambda p, q: p[p > 1], lambda p, q: -q):
        out, ref = expr(x, y), expr(tx, ty)
        assert out.dtype.name == str(ref.dtype).replace("torch.", "")
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
