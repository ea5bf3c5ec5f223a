"""fastconv.ops resampling on raw arrays: the kernels' own guards (index maps, geometry,
buffers), NaN and far-away grid coordinates, out= buffers, non-contiguous inputs, and
PyTorch's coordinate rules on the sizes where rounding decides."""
import numpy as np
import pytest

from fastconv import _cpu, ops
from fastconv.ops._dispatch import use_backend
from fastconv.ops.resample import linear_index_map, nearest_index_map, pad_index_map


def test_kernels_refuse_index_maps_outside_the_planes():
    x = np.zeros((2, 4, 5), np.float32)
    y = np.zeros((2, 3, 3), np.float32)
    rows = np.array([0, 1, 4], np.int64)          # 4 is outside h = 4
    cols = np.array([0, -1, 2], np.int64)
    with pytest.raises(ValueError, match=r"rows\[2\] = 4 is outside"):
        _cpu.gather2d_forward((2, 4, 5, 3, 3), rows, cols, 0.0, x, y)
    with pytest.raises(ValueError, match=r"cols\[0\] = -2"):
        _cpu.gather2d_backward((2, 4, 5, 3, 3), np.zeros(3, np.int64),
                               np.array([-2, 0, 0], np.int64), y, x)
    with pytest.raises(ValueError, match="rows"):   # wrong length
        _cpu.gather2d_forward((2, 4, 5, 3, 3), np.zeros(2, np.int64), cols, 0.0, x, y)
    with pytest.raises(ValueError, match="rows"):   # wrong type
        _cpu.gather2d_forward((2, 4, 5, 3, 3), np.zeros(3, np.int32), cols, 0.0, x, y)
    idx = np.zeros((3, 2), np.int64)
    w = np.zeros((3, 2), np.float32)
    with pytest.raises(ValueError, match=r"cols\[1\] = -1"):   # linear taps: no -1
        _cpu.linear2d_forward((2, 4, 5, 3, 3), idx, np.array([[0, -1]] * 3, np.int64),
                              w, w, x, y)
    with pytest.raises(ValueError, match="invalid resample geometry"):
        _cpu.gather2d_forward((2, 4, 0, 3, 3), rows, cols, 0.0, x, y)
    with pytest.raises(ValueError, match="has 40 elements"):   # x too small for geom
        _cpu.linear2d_forward((3, 4, 5, 3, 3), idx, idx, w, w, x, np.zeros((3, 3, 3),
                                                                           np.float32))
    with pytest.raises(ValueError, match="mode"):
        _cpu.grid_sample2d_forward((1, 1, 2, 2, 1, 1), 2, 0, False, np.zeros((1, 1, 2, 2)),
                                   np.zeros((1, 1, 1, 2)), np.zeros((1, 1, 1, 1)))


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
def test_grid_sample_nan_and_far_coordinates_read_nothing_wrong(mode, padding_mode):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 2, 4, 5))
    grid = np.array([[[[np.nan, 0.0], [1e30, -1e30], [np.inf, 0.5], [-np.inf, np.nan],
                       [3e9, 7.0]]]])
    for backend in ("native", "generic"):
        with use_backend(backend):
            y = ops.grid_sample_forward(x, grid, mode, padding_mode)
            dx, dgrid = ops.grid_sample_backward(np.ones_like(y), x, grid, mode, padding_mode)
        assert y.shape == (1, 2, 1, 5)
        assert np.isfinite(dx).all()
        assert y[0, :, 0, 0].tolist() == [0.0, 0.0]   # a NaN coordinate samples zero
        if padding_mode == "zeros":   # every coordinate is outside the image
            assert not y.any() and not dx.any() and not dgrid.any()


def test_grid_sample_backward_computes_only_what_is_asked():
    x = np.ones((1, 1, 3, 3), np.float32)
    grid = np.zeros((1, 2, 2, 2), np.float32)
    dy = np.ones((1, 1, 2, 2), np.float32)
    dx, dgrid = ops.grid_sample_backward(dy, x, grid, input_grad=False)
    assert dx is None and dgrid.shape == (1, 2, 2, 2)
    dx, dgrid = ops.grid_sample_backward(dy, x, grid, grid_grad=False)
    assert dgrid is None and dx.sum() == 4
    nothing = ops.grid_sample_backward(dy, x, grid, input_grad=False, grid_grad=False)
    assert nothing == (None, None)


def test_out_buffers_and_non_contiguous_inputs():
    rng = np.random.default_rng(1)
    base = rng.standard_normal((2, 3, 8, 10))
    x = base[:, :, ::2, ::2]                     # non-contiguous view
    expected = ops.upsample_bilinear2d_forward(np.ascontiguousarray(x), (7, 9))
    out = np.empty((2, 3, 7, 9))
    assert ops.upsample_bilinear2d_forward(x, (7, 9), out=out) is out
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ValueError, match="out must have shape"):
        ops.upsample_nearest2d_forward(x, (7, 9), out=np.empty((2, 3, 7, 8)))
    padded = ops.pad_forward(x, (1, 1, 2, 0), "replicate")
    np.testing.assert_array_equal(padded[:, :, 2:, 1:-1], x)


def test_constant_pad_of_leading_dims_and_its_gradient():
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    y = ops.pad_forward(x, (0, 0, 1, 0, 0, 2), value=-1.0)
    assert y.shape == (4, 4, 4)
    np.testing.assert_array_equal(y[:2, 1:], x)
    assert (y[2:] == -1).all() and (y[:, 0] == -1).all()
    dx = ops.pad_backward(np.ones_like(y), x.shape, (0, 0, 1, 0, 0, 2))
    np.testing.assert_array_equal(dx, np.ones_like(x))


def test_index_maps_follow_pytorchs_rounding():
    # nearest: the shortcuts for equal and doubled sizes, then floor(dst * float32 scale)
    np.testing.assert_array_equal(nearest_index_map(4, 8), [0, 0, 1, 1, 2, 2, 3, 3])
    np.testing.assert_array_equal(nearest_index_map(5, 3), [0, 1, 3])
    np.testing.assert_array_equal(nearest_index_map(3, 5, exact=True), [0, 0, 1, 2, 2])
    # a user scale sets the ratio (1 / 1.7), not the sizes (5 / 8)
    np.testing.assert_array_equal(nearest_index_map(5, 8, 1.7), [0, 0, 1, 1, 2, 2, 3, 4])
    # bilinear, half-pixel centres clamped at 0, the last index repeated at the edge
    index, weight = linear_index_map(2, 4, False, None, np.dtype(np.float64))
    np.testing.assert_array_equal(index, [[0, 1], [0, 1], [0, 1], [1, 1]])
    np.testing.assert_allclose(weight, [[1, 0], [0.75, 0.25], [0.25, 0.75], [0.75, 0.25]])
    index, weight = linear_index_map(3, 5, True, None, np.dtype(np.float32))
    np.testing.assert_array_equal(index[:, 0], [0, 0, 1, 1, 2])
    np.testing.assert_allclose(weight[:, 1], [0, 0.5, 0, 0.5, 0])
    # pads: reflect mirrors without the edge, circular wraps what a crop keeps
    np.testing.assert_array_equal(pad_index_map(4, 2, 2, "reflect"), [2, 1, 0, 1, 2, 3, 2, 1])
    np.testing.assert_array_equal(pad_index_map(4, 1, 1, "constant"), [-1, 0, 1, 2, 3, -1])
    np.testing.assert_array_equal(pad_index_map(5, -1, 2, "circular"), [1, 2, 3, 4, 1, 2])


def test_affine_grid_identity_is_the_pixel_centres():
    theta = np.array([[[1.0, 0, 0], [0, 1.0, 0]]])
    grid = ops.affine_grid_forward(theta, (1, 1, 2, 4), align_corners=False)
    np.testing.assert_allclose(grid[0, 0, :, 0], [-0.75, -0.25, 0.25, 0.75])
    np.testing.assert_allclose(grid[0, :, 0, 1], [-0.5, 0.5])
    x = np.random.default_rng(2).standard_normal((1, 3, 2, 4))
    for ac in (False, True):   # the identity grid samples every pixel exactly
        g = ops.affine_grid_forward(theta, (1, 3, 2, 4), align_corners=ac)
        np.testing.assert_allclose(ops.grid_sample_forward(x, g, align_corners=ac), x,
                                   atol=1e-12)
