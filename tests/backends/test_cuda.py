"""The CuPy backend shim: lazy import, a clear error without a GPU, results on a GPU."""
import os
import subprocess
import sys

import numpy as np
import pytest

from fastconv.backends import cuda, generic
from fastconv.ops import conv2d_geometry, max_pool2d_geometry

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_import_fastconv_never_imports_cupy():
    code = ("import sys, fastconv, fastconv.ops, fastconv.backends.cuda, "
            "fastconv.backends.generic\n"
            "assert 'cupy' not in sys.modules, 'cupy was imported'\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_same_kernel_names_as_native_backend():
    from fastconv import _cpu
    for name in generic.__all__:
        assert callable(getattr(_cpu, name)) and callable(getattr(cuda, name)), name


@pytest.fixture
def no_cupy(monkeypatch):
    """Make `import cupy` fail and forget any earlier availability check."""
    monkeypatch.setitem(sys.modules, "cupy", None)
    monkeypatch.setattr(cuda, "_checked", None)
    yield
    cuda._checked = None


def test_missing_cupy_gives_clear_runtime_error(no_cupy):
    assert not cuda.available()
    assert "CuPy" in cuda.unavailable_reason()
    with pytest.raises(RuntimeError, match="GPU backend unavailable: CuPy is not installed"):
        cuda.relu_forward(np.zeros(3), np.zeros(3), 1)


def test_cupy_without_device_gives_clear_runtime_error(monkeypatch):
    class FakeCupy:
        @staticmethod
        def is_available():
            return False
    monkeypatch.setitem(sys.modules, "cupy", FakeCupy)
    monkeypatch.setattr(cuda, "_checked", None)
    try:
        with pytest.raises(RuntimeError, match="no usable CUDA GPU"):
            cuda.max_pool2d_forward((1,) * 14, None, None, None, 1)
    finally:
        cuda._checked = None


def _cupy_or_skip():
    cupy = pytest.importorskip("cupy")
    try:
        usable = cupy.is_available()
    except Exception:
        usable = False
    if not usable:
        pytest.skip("no usable CUDA device")
    return cupy


@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gpu_kernels_match_numpy(dtype):
    cp = _cupy_or_skip()
    rng = np.random.default_rng(0)
    tol = dict(rtol=1e-4, atol=1e-4) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    # conv with groups, stride, dilation and asymmetric padding
    geom, oshape = conv2d_geometry((2, 4, 9, 8), (6, 2, 3, 2), stride=(2, 1), padding=(1, 0),
                                   dilation=(1, 2), groups=2)
    x = rng.standard_normal((2, 4, 9, 8)).astype(dtype)
    w = rng.standard_normal((6, 2, 3, 2)).astype(dtype)
    b = rng.standard_normal(6).astype(dtype)
    dy = rng.standard_normal(oshape).astype(dtype)
    g = cp.asarray
    pairs = [
        (cuda.conv2d_forward(geom, g(x), g(w), g(b), cp.empty(oshape, dtype), True),
         generic.conv2d_forward(geom, x, w, b, np.empty(oshape, dtype), True)),
        (cuda.conv2d_backward_data(geom, g(dy), g(w), cp.empty(x.shape, dtype)),
         generic.conv2d_backward_data(geom, dy, w, np.empty(x.shape, dtype))),
        (cuda.conv2d_backward_weight(geom, g(x), g(dy), cp.empty(w.shape, dtype)),
         generic.conv2d_backward_weight(geom, x, dy, np.empty(w.shape, dtype))),
        (cuda.conv2d_backward_bias(geom, g(dy), cp.empty(6, dtype)),
         generic.conv2d_backward_bias(geom, dy, np.empty(6, dtype))),
    ]
    for got, want in pairs:
        assert isinstance(got, cp.ndarray)
        np.testing.assert_allclose(cp.asnumpy(got), want, **tol)
    # pooling with NaN, ties and padding; relu; gemm
    pgeom, pshape = max_pool2d_geometry((2, 3, 7, 9), 3, 2, 1, ceil_mode=True)
    px = rng.integers(0, 3, (2, 3, 7, 9)).astype(dtype)
    px[0, 0, 0, :4] = np.nan
    yi = cp.empty(pshape, np.int64)
    yg = cuda.max_pool2d_forward(pgeom, g(px), cp.empty(pshape, dtype), yi)
    ny, ni = np.empty(pshape, dtype), np.empty(pshape, np.int64)
    generic.max_pool2d_forward(pgeom, px, ny, ni)
    np.testing.assert_array_equal(cp.asnumpy(yg), ny)
    np.testing.assert_array_equal(cp.asnumpy(yi), ni)
    pdy = rng.standard_normal(pshape).astype(dtype)
    np.testing.assert_allclose(
        cp.asnumpy(cuda.max_pool2d_backward(pgeom, g(pdy), yi, cp.empty(px.shape, dtype))),
        generic.max_pool2d_backward(pgeom, pdy, ni, np.empty(px.shape, dtype)), **tol)
    r = np.array([-1, 0, 2, np.nan, -np.inf], dtype)
    np.testing.assert_array_equal(cp.asnumpy(cuda.relu_forward(g(r), cp.empty(5, dtype))),
                                  generic.relu_forward(r, np.empty(5, dtype)))
    a = rng.standard_normal((5, 3)).astype(dtype)
    c = cp.empty((3, 3), dtype)
    cuda.gemm(True, False, g(a), g(a), c, 1.0, 0.0)
    np.testing.assert_allclose(cp.asnumpy(c), a.T @ a, **tol)
