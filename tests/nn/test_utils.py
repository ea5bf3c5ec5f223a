"""fastconv.nn.utils against torch.nn.utils and float64 numpy references: gradient
clipping by norm (every norm order, inf included) and by value, and the
parameters/vector conversions."""
import math

import numpy as np
import pytest

import fastconv as fc
from fastconv import nn
from fastconv.nn import utils

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (2, 3, 2)]


def _pair(dtype, scale=1.0, seed=0):
    """(ours, theirs): parameters with the same random gradients."""
    rng = np.random.default_rng(seed)
    grads = [(scale * rng.standard_normal(s)).astype(dtype) for s in SHAPES]
    ours, theirs = [], []
    for g in grads:
        p = nn.Parameter(fc.tensor(np.zeros(g.shape, dtype)))
        p.grad = fc.tensor(g.copy())
        ours.append(p)
        torch_dtype = getattr(torch, np.dtype(dtype).name)
        t = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch_dtype))
        t.grad = torch.tensor(g.copy())
        theirs.append(t)
    return ours, theirs, grads


def _reference_norm(grads, norm_type):
    """The norm of all gradient elements as one vector; for order 0, as in torch, the
    norm of the per-gradient norms (the number of gradients that are not all zero)."""
    flat = np.concatenate([g.astype(np.float64).ravel() for g in grads])
    if norm_type == math.inf:
        return np.abs(flat).max()
    if norm_type == 0:
        return float(sum(bool(np.any(g)) for g in grads))
    return (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)


NORMS = [2.0, 1.0, 3.0, 0.5, math.inf, 0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("norm_type", NORMS)
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch_and_reference(dtype, norm_type, max_norm):
    ours, theirs, grads = _pair(dtype)
    total = utils.clip_grad_norm_((p for p in ours), max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    rtol = 1e-12 if dtype == np.float64 else 2e-6
    assert isinstance(total, fc.Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.item(), expected.item(), rtol=rtol)
    np.testing.assert_allclose(total.item(), _reference_norm(grads, norm_type), rtol=rtol)
    for p, t, g in zip(ours, theirs, grads):
        assert p.grad.dtype == dtype
        np.testing.assert_allclose(p.grad.detach().numpy(), t.grad.numpy(), rtol=rtol, atol=0)
        scale = min(1.0, max_norm / (_reference_norm(grads, norm_type) + 1e-6))
        np.testing.assert_allclose(p.grad.detach().numpy(), g * scale, rtol=rtol * 4)


def test_clipped_gradients_have_the_requested_norm():
    ours, _, _ = _pair(np.float64, scale=10.0)
    before = utils.clip_grad_norm_(ours, 1.0)
    assert before.item() > 1.0
    after = utils.get_total_norm([p.grad for p in ours])
    assert after.item() == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_single_tensor_and_no_grads():
    p = nn.Parameter(fc.tensor(np.zeros(4)))
    p.grad = fc.tensor(np.array([3.0, 4.0, 0.0, 0.0]))
    total = utils.clip_grad_norm_(p, max_norm=1.0)
    assert total.item() == 5.0
    np.testing.assert_allclose(p.grad.detach().numpy(), [3 / (5 + 1e-6), 4 / (5 + 1e-6), 0, 0], rtol=1e-15)
    q = nn.Parameter(fc.tensor(np.zeros(2)))
    none = utils.clip_grad_norm_([q], 1.0)
    assert none.item() == 0.0 and none.dtype == np.float32 and q.grad is None
    with pytest.warns(UserWarning, match="empty generator"):
        utils.clip_grad_norm_((x for x in []), 1.0)


def test_mixed_dtypes_total_norm_in_the_widest():
    a = nn.Parameter(fc.tensor(np.zeros(2, np.float32)))
    b = nn.Parameter(fc.tensor(np.zeros(2, np.float64)))
    a.grad = fc.tensor(np.array([3.0, 0.0], np.float32))
    b.grad = fc.tensor(np.array([0.0, 4.0]))
    total = utils.clip_grad_norm_([a, b], 1.0)
    assert total.dtype == np.float64 and total.item() == 5.0
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_nonfinite_norm():
    ours, theirs, _ = _pair(np.float64)
    ours[1].grad.data[2] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    ours[1].grad.data[2] = np.nan
    theirs[1].grad[2] = float("nan")
    total = utils.clip_grad_norm_(ours, 1.0)
    assert math.isnan(total.item())
    assert math.isnan(torch.nn.utils.clip_grad_norm_(theirs, 1.0).item())


def test_clip_grad_norm_is_not_recorded_and_deprecated_alias_warns():
    ours, _, _ = _pair(np.float64)
    total = utils.clip_grad_norm_(ours, 0.1)
    assert not total.requires_grad and total.grad_fn is None
    with pytest.warns(FutureWarning, match="clip_grad_norm_"):
        utils.clip_grad_norm(ours, 0.1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_clip_grad_value_matches_torch(dtype):
    ours, theirs, grads = _pair(dtype)
    assert utils.clip_grad_value_(ours, 0.5) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.5)
    for p, t, g in zip(ours, theirs, grads):
        np.testing.assert_array_equal(p.grad.detach().numpy(), t.grad.numpy())
        np.testing.assert_array_equal(p.grad.detach().numpy(), np.clip(g, -0.5, 0.5))
    single = nn.Parameter(fc.tensor(np.zeros(3)))
    single.grad = fc.tensor(np.array([-2.0, 0.1, 2.0]))
    utils.clip_grad_value_(single, 1)
    np.testing.assert_array_equal(single.grad.detach().numpy(), [-1.0, 0.1, 1.0])


def test_parameters_to_vector_and_back_match_torch():
    ours, theirs, _ = _pair(np.float64)
    rng = np.random.default_rng(5)
    for p, t in zip(ours, theirs):
        values = rng.standard_normal(p.shape)
        p.data[...] = values
        with torch.no_grad():
            t.copy_(torch.tensor(values))
    vec = utils.parameters_to_vector(ours)
    expected = torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(vec.detach().numpy(), expected.detach().numpy())
    assert vec.requires_grad   # differentiable with respect to the parameters
    for p in ours:
        p.grad = None
    (vec * fc.tensor(np.arange(vec.shape[0], dtype=np.float64))).sum().backward()
    offset = 0
    for p in ours:
        n = p.numel()
        np.testing.assert_array_equal(p.grad.detach().numpy().ravel(), np.arange(offset, offset + n))
        offset += n

    new = fc.tensor(np.arange(vec.shape[0] + 2, dtype=np.float64))
    utils.vector_to_parameters(new, ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(new.detach().numpy()), theirs)
    for p, t in zip(ours, theirs):
        np.testing.assert_array_equal(p.detach().numpy(), t.detach().numpy())
    new.data[0] = -7.0   # the parameters are views of vec, as in torch
    assert ours[0].detach().numpy()[0, 0] == -7.0


def test_vector_conversion_errors():
    ours, _, _ = _pair(np.float64)
    with pytest.raises(TypeError, match="expected a Tensor for vec"):
        utils.vector_to_parameters(np.zeros(29), ours)
    with pytest.raises(ValueError, match="vec has 3 elements but the parameters need 29"):
        utils.vector_to_parameters(fc.tensor(np.zeros(3)), ours)


def test_public_names():
    for name in ("clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
                 "vector_to_parameters", "get_total_norm", "clip_grads_with_norm_"):
        assert getattr(nn.utils, name) is getattr(utils, name)
        assert hasattr(torch.nn.utils, name)
