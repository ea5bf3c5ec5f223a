"""One test harness for every op: declare the op's cases, the harness runs the checks.

A test module declares what an op is and lets the harness generate the tests:

    CASES = [
        OpCase("k3s2", F.avg_pool2d, [Input((2, 3, 7, 7))], kwargs=dict(kernel_size=3,
               stride=2), ref=ref_avg_pool2d, torch_fn=lambda t, x, **kw:
               t.nn.functional.avg_pool2d(x, **kw)),
        ...
    ]
    test_avg_pool2d = op_tests(CASES)
    test_avg_pool2d_bad_input = error_tests([BadCall("negative stride", lambda: ...,
                                                     ValueError, "stride")])

For every case op_tests runs, each where the declaration allows it:

- reference: the op in float32 and float64 against a float64 numpy reference;
- gradcheck: backward against central finite differences, in float64;
- torch: values and gradients (for one random upstream gradient) against PyTorch,
  skipped where torch is not installed;
- generic: the native backend against the array-generic one (fastconv.backends.generic),
  values and gradients;
- threads: 1 and 2 threads give bit-identical values and gradients;
- cuda: the CuPy backend against numpy, skipped where no GPU is usable.

Inputs are drawn from a generator seeded by the case's name, so every failure
reproduces. Shared geometry lists live in tests/geometries.py.
"""
import dataclasses
import zlib
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import pytest

import fastconv as fc
from fastconv.autograd import gradcheck
from fastconv.ops._dispatch import use_backend

DTYPES = (np.float32, np.float64)
CHECKS = ("reference", "gradcheck", "torch", "generic", "threads", "cuda")

# relative tolerances per dtype (scaled by the largest magnitude of the expected values)
TOLERANCE = {np.dtype(np.float32): 2e-5, np.dtype(np.float64): 1e-12}


@dataclasses.dataclass(frozen=True)
class Input:
    """How to draw one argument of an op.

    kind: "normal" (standard normal), "distinct" (a permutation of evenly spaced values
    in [-0.5, 0.5): no ties, for max-like ops), "positive" (uniform in [0.5, 1.5]),
    "uniform" (uniform in [low, high)), "int" (integers in [low, high), never
    differentiated) or "probs" (rows along dim 1 that sum to 1).
    """

    shape: Tuple[int, ...]
    kind: str = "normal"
    requires_grad: bool = True
    low: float = 0
    high: float = 1

    def draw(self, rng: np.random.Generator) -> np.ndarray:
        shape, kind = self.shape, self.kind
        if kind == "normal":
            return rng.standard_normal(shape)
        if kind == "distinct":
            size = int(np.prod(shape))
            return rng.permutation(size).reshape(shape) / max(size, 1) - 0.5
        if kind == "positive":
            return rng.uniform(0.5, 1.5, shape)
        if kind == "uniform":
            return rng.uniform(self.low, self.high, shape)
        if kind == "int":
            return rng.integers(int(self.low), int(self.high), shape).astype(np.int64)
        if kind == "probs":
            raw = rng.uniform(0.1, 1.0, shape)
            return raw / raw.sum(axis=1, keepdims=True)
        raise ValueError("unknown Input kind %r" % kind)

    @property
    def differentiable(self) -> bool:
        return self.requires_grad and self.kind != "int"


@dataclasses.dataclass(frozen=True)
class OpCase:
    """One declared case of an op: its inputs, options and the references to meet.

    fn(*tensors, **kwargs) is the fastconv op (a functional form); when it returns a
    tuple, its first element is the one checked and differentiated. ref(*arrays,
    **kwargs) is an independent float64 numpy reference of that output.
    torch_fn(torch, *tensors, **kwargs) computes the same in PyTorch. native=False
    skips the native-only checks (generic, threads) for ops that are compositions.
    """

    name: str
    fn: Callable[..., Any]
    inputs: Sequence[Union[Input, Tuple[int, ...]]]
    kwargs: Dict[str, Any] = dataclasses.field(default_factory=dict)
    ref: Optional[Callable[..., np.ndarray]] = None
    torch_fn: Optional[Callable[..., Any]] = None
    gradcheck: bool = True
    native: bool = True
    dtypes: Tuple[type, ...] = DTYPES
    rtol: Optional[Dict[Any, float]] = None      # overrides TOLERANCE per dtype
    gradcheck_atol: float = 1e-5

    def specs(self) -> List[Input]:
        return [i if isinstance(i, Input) else Input(tuple(i)) for i in self.inputs]

    def arrays(self) -> List[np.ndarray]:
        """The case's inputs in float64 (ints stay int64), the same on every call."""
        rng = np.random.default_rng(zlib.crc32(self.name.encode()))
        return [spec.draw(rng) for spec in self.specs()]

    def tolerance(self, dtype) -> float:
        table = dict(TOLERANCE)
        if self.rtol:
            table.update({np.dtype(k): v for k, v in self.rtol.items()})
        return table[np.dtype(dtype)]


@dataclasses.dataclass(frozen=True)
class BadCall:
    """A call that must raise `error` with a message matching `match` (names the argument)."""

    name: str
    call: Callable[[], Any]
    error: type
    match: str


# ------------------------------------------------------------------ running one case

def _first(out):
    return out[0] if isinstance(out, tuple) else out


def _tensors(case: OpCase, dtype, device: str = "cpu") -> List[fc.Tensor]:
    tensors = []
    for spec, array in zip(case.specs(), case.arrays()):
        if spec.kind == "int":
            t = fc.tensor(array)
        else:
            t = fc.tensor(array.astype(dtype), requires_grad=spec.differentiable)
        tensors.append(t.to(device) if device != "cpu" else t)
    return tensors


def _upstream(shape, dtype, seed: int = 7) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def run(case: OpCase, dtype, device: str = "cpu"):
    """(output as numpy, [gradient of each differentiable input as numpy or None]) for one
    random upstream gradient."""
    tensors = _tensors(case, dtype, device)
    out = _first(case.fn(*tensors, **case.kwargs))
    value = np.asarray(out.detach().to("cpu").data)
    grads: List[Optional[np.ndarray]] = []
    if out.requires_grad:
        g = fc.tensor(_upstream(out.shape, out.dtype))
        out.backward(g.to(device) if device != "cpu" else g)
        for t in tensors:
            grads.append(None if t.grad is None else np.asarray(t.grad.to("cpu").data))
    return value, grads


def assert_close(actual, expected, rtol: float, what: str = "values") -> None:
    expected = np.asarray(expected, dtype=np.float64)
    actual = np.asarray(actual, dtype=np.float64)
    assert actual.shape == expected.shape, "%s: shape %s, expected %s" % (
        what, actual.shape, expected.shape)
    finite = np.isfinite(expected)
    scale = max(1.0, float(np.max(np.abs(expected[finite]), initial=0.0)))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale,
                               err_msg=what)


def check_reference(case: OpCase, dtype) -> None:
    arrays = case.arrays()
    expected = case.ref(*arrays, **case.kwargs)
    value, _ = run(case, dtype)
    assert value.dtype == np.dtype(dtype), "output dtype %s, expected %s" % (value.dtype,
                                                                              dtype)
    assert_close(value, expected, case.tolerance(dtype))


def check_gradcheck(case: OpCase, dtype) -> None:
    tensors = _tensors(case, np.float64)
    assert gradcheck(lambda *ts: _first(case.fn(*ts, **case.kwargs)), tensors,
                     atol=case.gradcheck_atol)


def check_torch(case: OpCase, dtype) -> None:
    torch = pytest.importorskip("torch")
    value, grads = run(case, dtype)
    theirs = []
    for spec, array in zip(case.specs(), case.arrays()):
        if spec.kind == "int":
            theirs.append(torch.from_numpy(array))
        else:
            theirs.append(torch.tensor(array.astype(dtype), requires_grad=spec.differentiable))
    out = _first(case.torch_fn(torch, *theirs, **case.kwargs))
    tol = case.tolerance(dtype)
    assert_close(value, out.detach().numpy(), tol)
    if out.requires_grad:
        out.backward(torch.from_numpy(_upstream(tuple(out.shape), value.dtype)))
        for i, (ours, t) in enumerate(zip(grads, theirs)):
            if t.grad is not None:
                assert ours is not None, "input %d got no gradient" % i
                assert_close(ours, t.grad.numpy(), tol, "gradient of input %d" % i)


def check_generic(case: OpCase, dtype) -> None:
    native, native_grads = run(case, dtype)
    with use_backend("generic"):
        generic, generic_grads = run(case, dtype)
    tol = case.tolerance(dtype)
    assert_close(native, generic, tol)
    for i, (a, b) in enumerate(zip(native_grads, generic_grads)):
        assert (a is None) == (b is None)
        if a is not None:
            assert_close(a, b, tol, "gradient of input %d" % i)


def check_threads(case: OpCase, dtype) -> None:
    saved = fc.get_num_threads()
    try:
        fc.set_num_threads(1)
        one, one_grads = run(case, dtype)
        fc.set_num_threads(2)
        two, two_grads = run(case, dtype)
    finally:
        fc.set_num_threads(saved)
    np.testing.assert_array_equal(one, two)
    for a, b in zip(one_grads, two_grads):
        np.testing.assert_array_equal(a, b)


def check_cuda(case: OpCase, dtype) -> None:
    from fastconv.backends import cuda
    if not cuda.available():
        pytest.skip(cuda.unavailable_reason())
    host, host_grads = run(case, dtype)
    dev, dev_grads = run(case, dtype, device="cuda")
    tol = case.tolerance(dtype)
    assert_close(dev, host, tol)
    for a, b in zip(dev_grads, host_grads):
        if b is not None:
            assert_close(a, b, tol)


RUNNERS = {"reference": check_reference, "gradcheck": check_gradcheck,
           "torch": check_torch, "generic": check_generic, "threads": check_threads,
           "cuda": check_cuda}


def _applies(case: OpCase, check: str) -> bool:
    if check == "reference":
        return case.ref is not None
    if check == "torch":
        return case.torch_fn is not None
    if check == "gradcheck":
        return case.gradcheck and any(s.differentiable for s in case.specs())
    if check in ("generic", "threads"):
        return case.native
    if check == "cuda":   # generated only where a GPU can run them
        from fastconv.backends import cuda
        return cuda.available()
    return True


def _params(cases: Sequence[OpCase], checks: Sequence[str]):
    names = [c.name for c in cases]
    if len(set(names)) != len(names):
        raise ValueError("OpCase names must be unique, got %s" % names)
    params = []
    for case in cases:
        for check in checks:
            if not _applies(case, check):
                continue
            dtypes = (np.float64,) if check == "gradcheck" else case.dtypes
            for dtype in dtypes:
                params.append(pytest.param(case, check, dtype, id="%s-%s-%s" % (
                    case.name, check, np.dtype(dtype).name)))
    return params


def op_tests(cases: Sequence[OpCase], checks: Sequence[str] = CHECKS):
    """A pytest test function running every applicable check of every case."""
    for check in checks:
        if check not in RUNNERS:
            raise ValueError("unknown check %r (known: %s)" % (check, CHECKS))

    @pytest.mark.parametrize("case,check,dtype", _params(cases, checks))
    def test(case, check, dtype):
        RUNNERS[check](case, dtype)

    return test


def error_tests(calls: Sequence[BadCall]):
    """A pytest test function checking that each bad call raises its clear error."""

    @pytest.mark.parametrize("bad", [pytest.param(b, id=b.name) for b in calls])
    def test(bad):
        with pytest.raises(bad.error, match=bad.match):
            bad.call()

    return test
