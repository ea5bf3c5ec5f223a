"""The Tensor API that ported PyTorch scripts use (issues 10 and 15): each differentiable
method against PyTorch (values and gradients, float32 and float64) and a float64
gradcheck, from one table of expressions written once for both libraries; then the
non-differentiable methods (comparisons, logic, sorting indices, conversions) against
PyTorch's values and dtypes."""
import numpy as np
import pytest

import fastconv as fc
from .test_math_ops import AWAY, FC, POS, assert_gradcheck, assert_matches_torch, case


def _idx(L, values):
    """An int64 index tensor in either library."""
    return L.tensor(np.array(values, dtype=np.int64))


CASES = [
    # ---- elementwise
    case("add_alpha", lambda L, a, b: a.add(b, alpha=0.5), (2, 3), (3,)),
    case("sub_alpha", lambda L, a, b: a.sub(b, alpha=2), (2, 3), (2, 3)),
    case("maximum", lambda L, a, b: L.maximum(a, b), ((2, 3), AWAY), ((3,), AWAY)),
    case("minimum", lambda L, a, b: a.minimum(b), ((2, 3), AWAY), ((2, 1), AWAY)),
    case("max_of_two", lambda L, a, b: L.max(a, b), ((2, 3), AWAY), ((2, 3), AWAY)),
    case("remainder", lambda L, a, b: a % b, ((3, 4), POS), ((4,), POS)),
    case("remainder_scalar", lambda L, a: a.remainder(0.7), ((3, 4), POS)),
    case("fmod", lambda L, a, b: L.fmod(a, b), ((3, 4), AWAY), ((3, 4), POS)),
    case("reciprocal", lambda L, a: a.reciprocal(), ((2, 3), AWAY)),
    case("rsqrt", lambda L, a: L.rsqrt(a), ((2, 3), POS)),
    case("log2_log10_log1p", lambda L, a: a.log2() + L.log10(a) + a.log1p(), ((2, 3), POS)),
    case("expm1", lambda L, a: a.expm1(), (2, 3)),
    case("sin_cos", lambda L, a: a.sin() * L.cos(a), (2, 3)),
    case("relu", lambda L, a: a.relu(), ((2, 3), AWAY)),
    case("square", lambda L, a: L.square(a), (2, 3)),
    case("neg", lambda L, a: a.neg() + L.negative(a), (2, 3)),
    case("stepwise", lambda L, a: a * (a.sign() + a.floor() + a.ceil() + a.round()
                                       + a.trunc()), ((3, 4), AWAY)),
    case("frac", lambda L, a: (a * 3).frac(), ((3, 4), AWAY)),
    case("pow_scalar_half", lambda L, a: a.pow(0.5) + a ** 2 + a ** 3, ((2, 3), POS)),
    case("pow_tensor_tensor", lambda L, a, b: L.pow(a, b), ((2, 3), POS), (3,)),
    case("rpow_rdiv_rsub", lambda L, a: 2 ** a + 3 / a - (1 - a), ((2, 3), AWAY)),
    case("clamp_tensor_bounds", lambda L, a, lo, hi: a.clamp(lo, hi),
         ((3, 4), AWAY), ((4,), AWAY), ((3, 1), AWAY)),
    case("clamp_tensor_min", lambda L, a, lo: L.clamp(a, min=lo), ((3, 4), AWAY),
         ((3, 4), AWAY)),
    case("clamp_min_max", lambda L, a: a.clamp_min(-0.5) + a.clamp_max(0.5) + a.clip(-1, 1),
         ((3, 4), AWAY)),
    case("addcmul_addcdiv", lambda L, a, b, c: a.addcmul(b, c, value=0.5)
         + L.addcdiv(a, b, c, value=2), (2, 3), (2, 3), ((2, 3), POS)),
    case("lerp", lambda L, a, b, w: a.lerp(b, 0.3) + L.lerp(a, b, w), (2, 3), (2, 3), (2, 3)),
    case("where_method", lambda L, a, b: a.where(a > 0, b), ((2, 3), AWAY), (3,)),
    case("masked_fill", lambda L, a: a.masked_fill(a < 0, -9.0) * a, ((3, 4), AWAY)),
    case("masked_fill_tensor_value", lambda L, a, v: L.masked_fill(a, a > 0, v),
         ((3, 4), AWAY), ()),
    # ---- reductions
    case("prod_all", lambda L, a: a.prod(), ((2, 3), AWAY)),
    case("prod_dim", lambda L, a: L.prod(a, 1, keepdim=True), ((2, 3, 4), AWAY)),
    case("var_std", lambda L, a: a.var() + a.std(dim=1) .sum() + L.var(a, 0, keepdim=True)
         .sum(), (4, 5)),
    case("var_correction", lambda L, a: a.var(dim=(0, 2), correction=0)
         + a.std(1, unbiased=False).sum(), (3, 4, 2)),
    case("norm", lambda L, a: a.norm() + L.norm(a, dim=1).sum() + a.norm(p=1)
         + a.norm(p=3, dim=0, keepdim=True).sum(), ((3, 4), AWAY)),
    case("norm_inf", lambda L, a: a.norm(p=float("inf")) + a.norm(float("-inf"), dim=1).sum(),
         ((3, 4), AWAY)),
    case("amax_amin", lambda L, a: a.amax(dim=(0, 2)) + L.amin(a, 1).sum(), (2, 3, 4)),
    case("logsumexp", lambda L, a: a.logsumexp(1) + L.logsumexp(a, dim=(0, 1)), (3, 4)),
    case("softmax", lambda L, a: a.softmax(-1) * a.softmax(dim=0), (3, 4)),
    case("log_softmax", lambda L, a: a.log_softmax(1) + L.log_softmax(a, dim=0), (2, 3, 4)),
    case("cumsum", lambda L, a: a.cumsum(1) * L.cumsum(a, dim=0), (3, 4)),
    case("mean_dtype", lambda L, a: a.mean(dtype=L.float64) + a.sum(dim=0).mean(), (3, 4)),
    # ---- shapes
    case("t", lambda L, a: a.t() * 2 + L.t(a), (2, 3)),
    case("mT", lambda L, a: a.mT, (2, 3, 4)),
    case("repeat", lambda L, a: a.repeat(2, 1, 3), (3, 2)),
    case("tile", lambda L, a: L.tile(a, (2,)), (2, 3)),
    case("repeat_interleave", lambda L, a: a.repeat_interleave(2, dim=1)
         + L.repeat_interleave(a, _idx(L, [1, 2, 1]), dim=1).sum(1, keepdim=True), (2, 3)),
    case("flip_roll", lambda L, a: a.flip(0) * L.roll(a, 1, 1) + a.roll((1, -1), (0, 1)),
         (3, 4)),
    case("chunk", lambda L, a: (lambda p: p[0] * p[1] + p[2].sum())(a.chunk(3, dim=1)), (2, 6)),
    case("split_sizes", lambda L, a: (lambda p: p[0].sum(0) * p[1][:1].sum(0))(
        a.split([2, 1], dim=0)), (3, 4)),
    case("split_int_unused_piece", lambda L, a: L.split(a, 2)[1] * 3, (5, 2)),
    case("unbind", lambda L, a: sum(r * (i + 1) for i, r in enumerate(a.unbind(1))), (3, 4)),
    case("narrow_select", lambda L, a: a.narrow(1, 1, 2).sum(1) * L.select(a, 0, -1)[:3],
         (3, 4)),
    case("movedim_swapaxes", lambda L, a: a.movedim(0, -1) + L.swapaxes(a, 0, 2)
         .permute(2, 1, 0).movedim(0, 2), (2, 3, 2)),
    case("unflatten_ravel", lambda L, a: a.unflatten(1, (2, 3)).ravel() * 2, (2, 6)),
    case("reshape_view_as", lambda L, a, b: a.reshape_as(b) * b + a.view_as(b), (2, 6), (3, 4)),
    case("iteration", lambda L, a: sum(row * i for i, row in enumerate(a)), (3, 2)),
    # ---- indexing
    case("gather", lambda L, a: a.gather(1, _idx(L, [[0, 2, 2], [1, 0, 1]])), (2, 4)),
    case("gather_smaller_index", lambda L, a: L.gather(a, 0, _idx(L, [[2, 0], [2, 2]])), (3, 4)),
    case("scatter_src", lambda L, a, s: a.scatter(0, _idx(L, [[1, 2, 0]]), s), (3, 3), (1, 3)),
    case("scatter_add", lambda L, a, s: L.scatter_add(a, 1, _idx(L, [[0, 0, 2], [1, 1, 1]]), s),
         (2, 3), (2, 3)),
    case("index_select", lambda L, a: a.index_select(1, _idx(L, [2, 0, 2])), (2, 3)),
    case("masked_select", lambda L, a: L.masked_select(a, a > 0) * 2, ((3, 4), AWAY)),
    case("tril_triu", lambda L, a: a.tril() + L.triu(a, 1) * 2 + a.tril(-1), (2, 4, 4)),
    case("getitem_int_all_dims", lambda L, a: a[1, 2] * a[0], (2, 3)),
    # ---- sorting
    case("sort_values", lambda L, a: a.sort(dim=1, descending=True).values * 2, (3, 4)),
    case("sort_fn", lambda L, a: L.sort(a, 0)[0], (3, 4)),
    case("topk_values", lambda L, a: a.topk(2, dim=0).values + L.topk(a, 1, largest=False)[0]
         .sum(), (3, 4)),
    # ---- matrix products
    case("mm", lambda L, a, b: a.mm(b), (2, 3), (3, 4)),
    # on fastconv's GEMM (large enough): checked against torch only, gradcheck would take
    # 2 x 8,700 evaluations
    case("mm_gemm_path", lambda L, a, b: L.mm(a, b), (70, 64), (64, 66), gradcheck=False),
    case("bmm", lambda L, a, b: a.bmm(b), (2, 3, 4), (2, 4, 5)),
    case("matmul_batch_bcast_both", lambda L, a, b: a @ b, (2, 1, 3, 4), (1, 5, 4, 2)),
    case("matmul_3d_1d", lambda L, a, b: L.matmul(a, b), (2, 3, 4), (4,)),
    case("matmul_4d_2d", lambda L, a, b: a.matmul(b), (2, 2, 3, 4), (4, 5)),
    case("baddbmm", lambda L, i, a, b: i.baddbmm(a, b, beta=0.5, alpha=2), (2, 3, 5),
         (2, 3, 4), (2, 4, 5)),
    case("baddbmm_broadcast_input", lambda L, i, a, b: L.baddbmm(i, a, b), (5,), (2, 3, 4),
         (2, 4, 5)),
    case("addmm", lambda L, i, a, b: L.addmm(i, a, b, alpha=0.5) + i.addmm(a, b, beta=0),
         (3, 5), (3, 4), (4, 5)),
    case("addmm_gemm_path", lambda L, i, a, b: i.addmm(a, b, beta=0.5), (65,), (64, 66),
         (66, 65), gradcheck=False),
    case("dot_mv_outer", lambda L, a, b, m: a.dot(b) + L.mv(m, a).sum() + L.outer(a, b).sum(),
         (3,), (3,), (2, 3)),
]


@pytest.mark.parametrize("dtype,tol", [("float32", 3e-5), ("float64", 1e-12)])
@pytest.mark.parametrize("fn,specs,check", CASES)
def test_matches_torch(fn, specs, check, dtype, tol):
    assert_matches_torch(fn, specs, dtype, tol)


@pytest.mark.parametrize("fn,specs,check", [c for c in CASES if c.values[2]])
def test_gradcheck(fn, specs, check):
    assert_gradcheck(fn, specs)


# ---------------------------------------------------------------- without gradients

A = np.array([[1.5, -2.0, 0.0, 3.0], [2.0, 2.0, -1.0, np.nan]])
B = np.array([[1.5, 1.0, 0.0, -3.0], [0.5, 2.0, -1.0, 1.0]])
I = np.array([[5, -3, 0, 7], [2, 2, -9, 4]])

VALUE_CASES = [
    ("eq_ne", lambda L, a, b, i: (a.eq(b), a.ne(1.5), L.eq(a, b), a.not_equal(b))),
    ("lt_le_gt_ge", lambda L, a, b, i: (a.lt(b), a.le(0.0), a.gt(b), L.ge(a, b), a.greater(b),
                                        a.less_equal(b))),
    ("logic", lambda L, a, b, i: ((a > 0) & (b > 0), (a > 0) | (b < 0), (a > 0) ^ (b > 0),
                                  ~(a > 0), L.logical_and(a, b), a.logical_not(),
                                  a.logical_or(b), i & 6, i | 1)),
    ("all_any", lambda L, a, b, i: ((a > 0).all(), (b > -2).all(dim=1), L.any(a > 2),
                                    a.any(0, keepdim=True), i.all(), L.all(i > -10))),
    ("isnan_isinf_isfinite", lambda L, a, b, i: (a.isnan(), L.isinf(a / 0), a.isfinite())),
    ("argsort", lambda L, a, b, i: (b.argsort(dim=1), L.argsort(b, 0, descending=True),
                                    i.argsort(), i.argsort(descending=True))),
    ("sort_topk_indices", lambda L, a, b, i: (b.sort().indices, i.sort(0, True)[1],
                                              b.topk(2).indices, L.topk(b, 3, 1)[1])),
    ("sort_nan_and_ties", lambda L, a, b, i: (a.sort(1).values, a.sort(1, True).values,
                                              a.argsort(1, descending=True))),
    ("argmax_count", lambda L, a, b, i: (b.argmax(), i.argmin(1), L.count_nonzero(i),
                                         i.count_nonzero(dim=0))),
    ("nonzero", lambda L, a, b, i: (i.nonzero(), L.nonzero(b > 0, as_tuple=True)[1],
                                    L.argwhere(i < 0), L.where(i > 0)[0])),
    ("integer_arithmetic", lambda L, a, b, i: (i // 3, i % 4, -i // 2, L.floor_divide(i, 2),
                                               L.remainder(i, -3), i.sign(), i.abs())),
    ("float_floor_divide", lambda L, a, b, i: (b // 0.7, 5.0 // (b + 4))),
    ("conversions", lambda L, a, b, i: (b.long(), i.float(), i.double(), b.int(), b.bool(),
                                        i.type_as(b), b.type_as(i), b.half().float())),
    ("new_tensors", lambda L, a, b, i: (b.new_zeros(2, 3), b.new_ones((2,)),
                                        i.new_full((2, 2), 7), b.new_tensor([1, 2]),
                                        i.new_zeros(3, dtype=L.float64))),
    ("chunk_split_counts", lambda L, a, b, i: (
        tuple(L.arange(6).chunk(4)), tuple(L.arange(5).chunk(3)), tuple(L.arange(7).split(3)),
        tuple(i.unbind(1)))),
    ("stepwise_ints", lambda L, a, b, i: (i.floor(), i.round(), i.clamp(-2, 2), i.relu())),
    ("round_decimals", lambda L, a, b, i: (L.round(b * 1.234, decimals=2),)),
    ("min_max_of_two", lambda L, a, b, i: (L.max(i, i * 0), i.min(i.flip(0)))),
    ("unique_bincount", lambda L, a, b, i: (L.unique(i), i.unique(return_counts=True),
                                            L.unique(b, return_inverse=True),
                                            L.bincount(i.flatten().abs()),
                                            i.flatten().abs().bincount(minlength=12))),
    ("flips", lambda L, a, b, i: (b.fliplr(), L.flipud(i), reversed(i), abs(b - 1))),
]


def _values(L, fn):
    out = fn(L, L.tensor(A), L.tensor(B), L.tensor(I))
    flat = []
    for item in out:
        flat.extend(item if isinstance(item, tuple) else (item,))
    return [(np.asarray(t.detach().numpy()), str(t.dtype).replace("torch.", "")) for t in flat]


@pytest.mark.parametrize("fn", [pytest.param(f, id=n) for n, f in VALUE_CASES])
def test_values_and_dtypes_match_torch(fn):
    torch = pytest.importorskip("torch")
    ours, theirs = _values(FC, fn), _values(torch, fn)
    assert len(ours) == len(theirs)
    for (value, dtype), (ref, ref_dtype) in zip(ours, theirs):
        assert dtype == ref_dtype and value.shape == ref.shape
        np.testing.assert_array_equal(value, ref)


def test_python_protocols_and_properties_like_torch():
    torch = pytest.importorskip("torch")
    for L in (FC, torch):
        n, x = L.tensor(3), L.tensor([[1.0, 2.0], [3.0, 4.0]])
        assert list(range(n)) == [0, 1, 2] and [10, 11, 12, 13][n] == 13
        assert int(L.tensor([7])) == 7 and float(x[1, 1]) == 4.0 and bool(L.tensor(1.0))
        assert x.numel() == 4 == L.numel(x) and x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
        assert x.sum().item() == 10.0 and isinstance(x.sum().item(), float)
        assert x.reshape(np.int64(4), 1).shape == (4, 1) and x.view(-1).shape == (4,)
        assert x.is_cuda is False and x.dtype == L.float32 and n.dtype == L.int64
        assert x.element_size() == 4 and x.nelement() == 4 and x.ndimension() == 2
        assert x.stride() == (2, 1) and x.t().stride() == (1, 2) and x.get_device() == -1
        assert x.equal(x.clone()) and not x.equal(x * 2) and L.allclose(x, x + 1e-9)
        assert x.type() == "torch.FloatTensor" and x.type(L.float64).dtype == L.float64
        assert L.is_tensor(x) and not L.is_tensor(1.0) and L.is_floating_point(x)
        assert 3.0 in x and 5.0 not in x and x.is_same_size(x * 2)
        assert x.data_ptr() == x[0].data_ptr() != x.clone().data_ptr()
        with pytest.raises(TypeError):
            [1, 2][L.tensor(1.0)]                # only integer tensors are indices
        with pytest.raises((ValueError, RuntimeError)):
            x.item()


def test_deepcopy_copies_leaves_and_refuses_non_leaves():
    import copy
    w = fc.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    c = copy.deepcopy(w)
    assert c.requires_grad and c.is_leaf and c.tolist() == [1.0, 2.0]
    assert c.grad.tolist() == [2.0, 4.0] and not np.shares_memory(c.data, w.data)
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(w * 2)


def test_max_min_dim_return_namedtuples_and_elementwise_forms():
    x = fc.tensor([[1.0, 5.0], [7.0, 2.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 0]
    assert x.max(1).indices.dtype == fc.int64 and fc.min(x, dim=0).values.tolist() == [1, 2]
    assert type(x.max(1)).__name__ == "max" and type(x.sort()).__name__ == "sort"


def test_split_pieces_are_views_sharing_the_version_counter():
    x = fc.arange(6.0).reshape(2, 3)
    first, second = x.split([1, 1])
    with fc.no_grad():
        first.mul_(10)
    assert x.tolist() == [[0.0, 10.0, 20.0], [3.0, 4.0, 5.0]]
    assert x._version == first._version == second._version == 1
    rows = list(x)
    rows[1].zero_()
    assert x.tolist()[1] == [0.0, 0.0, 0.0]


def test_in_place_methods_match_torch():
    torch = pytest.importorskip("torch")
    steps = [lambda t, L: t.add_(L.tensor([1.0, 2.0, 3.0]), alpha=2),
             lambda t, L: t.masked_fill_(t > 4, 0.5), lambda t, L: t.pow_(2),
             lambda t, L: t.addcmul_(t, t, value=0.1), lambda t, L: t.addcdiv_(t, t + 1),
             lambda t, L: t.lerp_(L.tensor([0.0, 1.0, 2.0]), 0.25),
             lambda t, L: t.clamp_(max=2.0), lambda t, L: t.clamp_min_(0.3),
             lambda t, L: t.neg_(), lambda t, L: t.abs_(), lambda t, L: t.sqrt_(),
             lambda t, L: t.exp_(), lambda t, L: t.log_(), lambda t, L: t.tanh_(),
             lambda t, L: t.sigmoid_(), lambda t, L: t.sub_(0.6), lambda t, L: t.relu_(),
             lambda t, L: t.scatter_(0, L.tensor([2]), L.tensor([9.0])),
             lambda t, L: t.scatter_add_(0, L.tensor([0, 0]), L.tensor([1.0, 2.0])),
             lambda t, L: t.copy_(t * 3), lambda t, L: t.div_(4), lambda t, L: t.mul_(t),
             lambda t, L: t.sign_(), lambda t, L: t.fill_(2.5), lambda t, L: t.zero_()]
    ours, theirs = fc.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 2.0, 3.0])
    for step in steps:
        assert step(ours, fc) is ours
        step(theirs, torch)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
        assert ours._version == theirs._version


def test_clear_errors_for_bad_arguments():
    x = fc.tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match="index must be an integer Tensor"):
        x.gather(0, fc.tensor([[0.5]]))
    with pytest.raises(ValueError, match="larger than the input"):
        x.gather(1, fc.tensor([[0, 1, 1]]).expand(3, 3))
    with pytest.raises(TypeError, match="mask must be a bool Tensor"):
        x.masked_fill(x, 0.0)
    with pytest.raises(ValueError, match="does not broadcast"):
        x.masked_fill(fc.tensor([True, False, True]), 0.0)
    with pytest.raises(ValueError, match="bmm: input must be 3-D"):
        x.bmm(x)
    with pytest.raises(ValueError, match="batch sizes differ"):
        fc.bmm(fc.zeros(2, 2, 3), fc.zeros(3, 3, 2))
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 2\) and \(3,\)"):
        x @ fc.zeros(3)
    with pytest.raises(ValueError, match="do not add up"):
        x.split([1, 2])
    with pytest.raises(ValueError, match="topk: k=3"):
        x.topk(3)
    with pytest.raises(IndexError, match="narrow"):
        x.narrow(0, 1, 2)
    with pytest.raises(ValueError, match="t\\(\\) expects"):
        fc.zeros(2, 2, 2).t()
    with pytest.raises(TypeError, match="give either unbiased or correction"):
        x.var(0, unbiased=True, correction=0)
    with pytest.raises(ValueError, match="tril: input must have at least 2 dims"):
        fc.zeros(3).tril()
    with pytest.raises(TypeError, match="not defined for floating point"):
        x & x
