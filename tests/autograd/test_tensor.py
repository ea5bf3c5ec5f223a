"""Tensor semantics: the tape (accumulation, retain_graph, no_grad, diamonds, long chains),
errors, dtype promotion, construction and conversion, in-place ops."""
import sys

import numpy as np
import pytest

import fastconv.autograd as fca
from fastconv.autograd import no_grad, tensor

DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]


# ---------------------------------------------------------------- the tape

def test_gradients_accumulate_over_two_backward_calls():
    x = tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2 + 2 * 1.0, 2 + 2 * 2.0])


def test_retain_graph_allows_a_second_backward_and_its_absence_forbids_it():
    x = tensor([3.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [12.0])
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_no_grad_blocks_recording_and_restores_the_mode():
    x = tensor([1.0], requires_grad=True)
    with no_grad():
        y = x * 2 + 1
        assert not fca.is_grad_enabled()
    assert fca.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None and y.is_leaf

    @no_grad()
    def f(t):
        return t.exp()
    assert not f(x).requires_grad
    with no_grad(), fca.enable_grad():
        assert (x * 2).requires_grad


def test_diamond_graph_sums_both_paths_like_torch():
    torch = pytest.importorskip("torch")
    a = np.array([0.5, -1.0, 2.0])
    x, tx = tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    for t in (x, tx):
        b, c = t * 2, t.exp()
        (b * c + b - c).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_long_chain_does_not_hit_the_recursion_limit():
    n = max(10_000, 2 * sys.getrecursionlimit())
    x = tensor([1.0], requires_grad=True, dtype=np.float64)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.0
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0001 ** n], rtol=1e-9)
    del y   # freeing the 2n-node graph must not recurse either


def test_non_leaf_gradients_are_kept_only_with_retain_grad():
    x = tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    h.retain_grad()
    k = x * 4
    (h * k).sum().backward()
    np.testing.assert_array_equal(h.grad.numpy(), k.detach().numpy())
    assert k.grad is None


def test_backward_on_a_non_scalar_needs_a_gradient():
    x = tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 20.0])
    with pytest.raises(ValueError, match="shape"):
        (x * 2).backward(np.ones(3))
    with pytest.raises(RuntimeError, match="does not require grad"):
        tensor([1.0]).sum().backward()


def test_inputs_without_requires_grad_get_no_gradient():
    x, c = tensor([1.0], requires_grad=True), tensor([2.0])
    (x * c).sum().backward()
    assert c.grad is None and x.grad is not None


def test_detach_cuts_the_tape_and_shares_memory():
    x = tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = x.detach()
    with no_grad():
        y[0] = 5.0
    assert x.detach().numpy()[0] == 5.0


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("expr,error,message", [
    (lambda a, b: a + b, ValueError, r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"),
    (lambda a, b: a * b, ValueError, "mul: shapes"),
    (lambda a, b: a @ b, ValueError, r"matmul: shapes \(2, 3\) and \(4,\) cannot be multiplied"),
    (lambda a, b: a @ a, ValueError, r"\(3 != 2\)"),
    (lambda a, b: a.sum() @ b, ValueError, "at least 1 dimension"),
    (lambda a, b: a @ 2.0, TypeError, "unsupported operand"),
    (lambda a, b: a.reshape(4, -1), ValueError, r"shape \(4, -1\) is invalid .* \(2, 3\)"),
    (lambda a, b: a.reshape(-1, -1), ValueError, "invalid"),
    (lambda a, b: a.view(7), ValueError, "invalid"),
    (lambda a, b: a.sum(dim=2), IndexError, "Dimension out of range"),
    (lambda a, b: a.sum(dim=(0, 0)), ValueError, "more than once"),
    (lambda a, b: a.permute(0, 0), ValueError, "not a permutation"),
    (lambda a, b: a.transpose(0, 3), IndexError, "out of range"),
    (lambda a, b: a.expand(4, 3), ValueError, r"\(2, 3\) cannot be expanded"),
    (lambda a, b: fca.cat([a, b]), ValueError, r"tensor 1 has shape \(4,\)"),
    (lambda a, b: fca.cat([a, a.T], dim=1), ValueError, "must match except in dim 1"),
    (lambda a, b: fca.cat([]), TypeError, "non-empty"),
    (lambda a, b: fca.stack([a, a.T]), ValueError, "same shape"),
    (lambda a, b: fca.where(a, a, b), TypeError, "bool Tensor"),
    (lambda a, b: a.clamp(), ValueError, "at least one"),
    (lambda a, b: fca.exp(a.numpy()), TypeError, "expected a Tensor"),
    (lambda a, b: fca.sum([1, 2]), TypeError, "expected a Tensor"),
    (lambda a, b: a + "x", TypeError, "unsupported operand"),
    (lambda a, b: a.long().mean(), TypeError, "floating point"),
    (lambda a, b: fca.zeros(0).max(), ValueError, "empty"),
    (lambda a, b: fca.zeros(2, 2, 2).T, ValueError, "use permute"),
])
def test_shape_and_type_errors_are_clear(expr, error, message):
    a = tensor(np.arange(6.0).reshape(2, 3))
    b = tensor(np.arange(4.0))
    with pytest.raises(error, match=message):
        expr(a, b)


def test_ops_refuse_mixed_devices_and_foreign_scalars():
    with pytest.raises(TypeError):
        tensor([1.0]) + 1j


# ---------------------------------------------------------------- dtype rules

def _torch_value(torch, kind, dtype):
    if kind == "scalar":
        return {"bool": True, "uint8": 2, "int32": 3, "int64": 4, "float32": 2.5,
                "float64": 1.5}[dtype]
    shape = (2,) if kind == "1d" else ()
    return torch.ones(shape, dtype=getattr(torch, dtype))


def _fc_value(value):
    if isinstance(value, (bool, int, float)):
        return value
    return tensor(value.numpy())


@pytest.mark.parametrize("kind_b", ["1d", "0d", "scalar"])
@pytest.mark.parametrize("kind_a", ["1d", "0d"])
def test_result_type_matches_torch(kind_a, kind_b):
    """Tensor-tensor ops promote like torch.result_type; Python scalars only ever raise the
    category (float32 * 2.5 stays float32, int64 * 2.5 becomes float32)."""
    torch = pytest.importorskip("torch")
    for da in DTYPES:
        for db in DTYPES:
            ta, tb = _torch_value(torch, kind_a, da), _torch_value(torch, kind_b, db)
            expected = str(torch.result_type(ta, tb)).replace("torch.", "")
            a, b = _fc_value(ta), _fc_value(tb)
            assert fca.result_type(a, b).name == expected, (da, kind_a, db, kind_b)
            assert (a * b).dtype.name == str((ta * tb).dtype).replace("torch.", "")
            assert (a / b).dtype.name == str((ta / tb).dtype).replace("torch.", "")


def test_python_scalars_keep_float_dtypes_and_float64_wins_between_tensors():
    f32 = tensor([1.0, 2.0])
    assert f32.dtype == np.float32
    for expr in (lambda t: t * 2.5, lambda t: 1e-3 + t, lambda t: t ** 2, lambda t: 2 ** t,
                 lambda t: t / 3, lambda t: 1 - t, lambda t: t * np.float64(2.0)):
        assert expr(f32).dtype == np.float32
    f64 = tensor(np.array([1.0, 2.0]))
    assert f64.dtype == np.float64
    assert (f32 + f64).dtype == np.float64


def test_gradient_of_a_mixed_dtype_graph_has_each_leafs_dtype():
    a = tensor([1.0, 2.0], requires_grad=True)
    b = tensor(np.array([3.0, 4.0]), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 4.0])


def test_dtype_conversions():
    x = tensor([1.7, -2.2], requires_grad=True)
    assert x.float() is x and x.contiguous() is x and x.to(np.float32) is x
    d = x.double()
    assert d.dtype == np.float64 and d.requires_grad
    (d * 2).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
    n = x.long()
    assert n.dtype == np.int64 and not n.requires_grad
    np.testing.assert_array_equal(n.numpy(), [1, -2])
    assert x.int().dtype == np.int32 and x.bool().dtype == np.bool_
    assert x.to("cpu") is x and x.to("cpu", np.float64).dtype == np.float64
    assert x.to(tensor(np.zeros(1))).dtype == np.float64
    assert x.is_floating_point() and not n.is_floating_point()


def test_requires_grad_needs_a_float_dtype():
    with pytest.raises(TypeError, match="floating point"):
        tensor([1, 2], requires_grad=True)


# ---------------------------------------------------------------- construction, conversion

def test_tensor_and_from_numpy_semantics():
    assert tensor([1.0, 2.0]).dtype == np.float32
    assert tensor([1, 2]).dtype == np.int64
    assert tensor([True, False]).dtype == np.bool_
    assert tensor([1, 2.5]).dtype == np.float32
    assert tensor(3.0).shape == () and tensor(3.0).dtype == np.float32
    assert tensor(np.zeros(2)).dtype == np.float64          # numpy arrays keep their dtype
    assert tensor([1, 2], dtype=np.float64).dtype == np.float64
    a = np.arange(4.0)
    copied, shared = tensor(a), fca.from_numpy(a)
    a[0] = 7.0
    assert copied.numpy()[0] == 0.0 and shared.numpy()[0] == 7.0
    assert shared.numpy() is a
    t = fca.from_numpy(np.arange(6.0).reshape(2, 3).T)     # non-contiguous views work
    np.testing.assert_array_equal((t * 1).numpy(), np.arange(6.0).reshape(2, 3).T)
    with pytest.raises(TypeError):
        fca.from_numpy([1.0])


def test_numpy_item_tolist_repr():
    x = tensor([[1.5, 2.0]], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert isinstance(x.detach().numpy(), np.ndarray)
    assert x.sum().item() == 3.5 and isinstance(x.sum().item(), float)
    assert tensor([3]).item() == 3 and isinstance(tensor([3]).item(), int)
    with pytest.raises(ValueError, match="one-element"):
        x.item()
    assert x.tolist() == [[1.5, 2.0]]
    assert repr(x) == "tensor([[1.5, 2. ]], requires_grad=True)"
    assert repr(x * 2).endswith("grad_fn=<MulBackward>)")
    assert repr(tensor(np.array([1.0]))) == "tensor([1.], dtype=float64)"
    assert float(x.sum()) == 3.5 and bool(tensor([1.0]))


def test_iteration_and_len():
    x = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    rows = list(x)
    assert len(rows) == len(x) == 2
    (rows[0] * rows[1]).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[3.0, 4.0], [1.0, 2.0]])
    with pytest.raises(TypeError):
        iter(tensor(1.0)).__next__()


def test_iterating_a_1d_tensor_gives_0d_tensors_that_index_and_compare():
    labels = tensor(np.array([2, 0, 1]))
    items = list(labels)
    assert all(t.shape == () and isinstance(t.numpy(), np.ndarray) for t in items)
    names = ("a", "b", "c")
    assert [names[t] for t in items] == ["c", "a", "b"]            # __index__
    assert [bool(t == u) for t, u in zip(items, tensor(np.array([2, 1, 1])))] == [
        True, False, True]
    x = tensor([1.0, 2.0], requires_grad=True)
    a, b = x.unbind(0)
    (a * 3 + b * 5).backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 5.0])


def test_numpy_operands_on_either_side():
    x = tensor([1.0, 2.0], requires_grad=True)
    a = np.array([3.0, 4.0], dtype=np.float32)
    for out in (a + x, x + a, a * x, a - x, a / x, np.float32(2) * x, a @ x):
        assert isinstance(out, fca.Tensor) and out.requires_grad
    assert (a @ x).item() == 11.0


# ---------------------------------------------------------------- in place

def test_in_place_helpers_under_no_grad():
    w = tensor([1.0, 2.0, 3.0], requires_grad=True)
    with no_grad():
        assert w.zero_() is w
        w.fill_(2.0)
        w.add_(tensor([1.0, 1.0, 1.0]), alpha=0.5)
        w.mul_(2)
        w.sub_(1.0)
        w.div_(2)
        np.testing.assert_array_equal(w.detach().numpy(), [2.0, 2.0, 2.0])
        w.copy_(np.array([5.0, 6.0, 7.0]))        # float64 source, cast into float32
        assert w.dtype == np.float32
        w.clamp_(max=6.0)
        np.testing.assert_array_equal(w.detach().numpy(), [5.0, 6.0, 6.0])
        w[1] = 0.0
        w[tensor([True, False, False])] = -1.0
    np.testing.assert_array_equal(w.detach().numpy(), [-1.0, 0.0, 6.0])
    assert w.requires_grad and w.is_leaf


def test_augmented_assignment_updates_parameters_in_place():
    """The classic SGD step: `w -= lr * w.grad` under no_grad keeps the same object."""
    w = tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    alias = w
    with no_grad():
        w -= 0.5 * w.grad
        w *= 2
    assert w is alias and w.requires_grad and w.is_leaf
    np.testing.assert_array_equal(w.detach().numpy(), [0.0, 0.0])


def test_in_place_ops_needing_the_tape_raise_like_torch():
    w = tensor([1.0, 2.0], requires_grad=True)
    for op in (lambda: w.zero_(), lambda: w.add_(1), lambda: w.mul_(2), lambda: w.fill_(0),
               lambda: w.uniform_(), lambda: w.normal_(), lambda: w.copy_(np.zeros(2))):
        with pytest.raises(RuntimeError, match="no_grad"):
            op()
    with pytest.raises(RuntimeError, match="in-place"):
        w += 1
    with pytest.raises(RuntimeError, match="in-place"):
        w[0] = 3.0
    c = tensor([0.0, 0.0])
    with pytest.raises(RuntimeError, match="in-place"):
        c.add_(w)             # the gradient to w would be lost


def test_augmented_assignment_on_recorded_tensors_stays_differentiable():
    """Where torch records an in-place op, t += x rebinds t to a recorded result instead."""
    torch = pytest.importorskip("torch")
    a = np.array([1.0, 2.0])
    x, tx = tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    results = []
    for t, lib in ((x, fca), (tx, torch)):
        y = t * 2
        y += t
        y *= t
        y /= 3
        acc = lib.zeros(2, dtype=t.dtype)
        acc += y
        acc.sum().backward()
        results.append(t.grad.detach().numpy().copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-12)


def test_in_place_dtype_and_shape_rules():
    n = tensor([1, 2])
    with pytest.raises(TypeError, match="cannot be stored"):
        n.add_(1.5)
    with pytest.raises(TypeError, match="cannot be stored"):
        n += 1.5
    n.fill_(2.7)               # fill_/copy_ cast, like torch
    np.testing.assert_array_equal(n.numpy(), [2, 2])
    f = tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="does not broadcast"):
        f.add_(tensor([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="does not broadcast"):
        f.copy_(np.zeros((2, 2)))
    f.add_(tensor([[1.0, 1.0]])[0])
    np.testing.assert_array_equal(f.numpy(), [2.0, 3.0])
    with pytest.raises(TypeError):
        n.uniform_()


def test_named_arithmetic_methods():
    x = tensor([1.0, 2.0], requires_grad=True)
    out = x.add(1).mul(x).sub(x.div(2)).pow(2)
    out.sum().backward()
    assert out.requires_grad and x.grad is not None
    with pytest.raises(TypeError, match="unsupported operand"):
        x.add("1")


def test_gradcheck_handles_non_contiguous_inputs_and_catches_wrong_gradients():
    base = np.random.default_rng(0).standard_normal((3, 2))
    x = fca.from_numpy(base.T).requires_grad_()          # a transposed view
    assert fca.gradcheck(lambda t: (t * t).sum(dim=0), [x])

    class WrongSquare(fca.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, grad):
            return grad * ctx.saved_tensors[0]         # should be 2 * a

    y = tensor(np.array([0.5, -1.0]), requires_grad=True)
    with pytest.raises(fca.GradcheckError, match="input 0"):
        fca.gradcheck(WrongSquare.apply, [y])
    assert fca.gradcheck(WrongSquare.apply, [y], raise_exception=False) is False


def test_tensor_keeps_float16_and_native_ops_refuse_it():
    """No silent cast: a float16 array stays float16, and conv2d names the bad dtype."""
    import fastconv.functional as F
    x = tensor(np.ones((1, 1, 4, 4), dtype=np.float16))
    assert x.dtype == np.float16
    w = tensor(np.ones((1, 1, 3, 3), dtype=np.float16))
    with pytest.raises(TypeError, match="input must have dtype float32 or float64"):
        F.conv2d(x, w)
