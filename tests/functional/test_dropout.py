"""dropout, dropout1d, dropout2d and their layers: the mask against a plain reference of
the counter-based generator (fastconv/random.h), declared for the op harness (reference,
gradcheck, native vs generic, 1 vs 2 threads); reproducibility under manual_seed, mask
statistics, the exact gradient, evaluation identity and PyTorch's edge cases."""
import warnings

import numpy as np
import pytest

import fastconv as fc
import fastconv.functional as F
from fastconv import nn, ops
from tests.harness import BadCall, Input, OpCase, error_tests, op_tests

SEED = 1234


# ------------------------------------------------------------------ reference

def ref_draw32(seed, j):
    """High 32 bits of SplitMix64's (j + 1)-th output from state `seed`, in Python ints."""
    m = (1 << 64) - 1
    z = (seed + (j + 1) * 0x9E3779B97F4A7C15) & m
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & m
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & m
    return (z ^ (z >> 31)) >> 32


def ref_seed(seed):
    """The seed fastconv draws right after manual_seed(seed): one uint64 from PCG64."""
    return int(np.random.Generator(np.random.PCG64(seed)).integers(0, 2 ** 64,
                                                                   dtype=np.uint64))


def ref_dropout(x, p, feature_dims=0, seed=SEED):
    """x * keep / (1 - p), keep drawn per unit of the leading ndim - feature_dims dims."""
    lead = x.shape[:x.ndim - feature_dims]
    s = ref_seed(seed)
    keep = np.array([ref_draw32(s, j) >= int(p * 2 ** 32) for j in range(int(np.prod(lead)))],
                    dtype=bool).reshape(lead + (1,) * feature_dims)
    return np.where(keep, x / (1 - p), 0.0)


def _seeded(fn):
    """fn with fastconv re-seeded first: every call draws the same mask."""
    def call(*args, **kwargs):
        fc.manual_seed(SEED)
        return fn(*args, **kwargs)
    return call


# ------------------------------------------------------------------ declared cases

CASES = [
    OpCase("dropout", _seeded(F.dropout), [Input((5, 7))], kwargs=dict(p=0.4),
           ref=ref_dropout),
    OpCase("dropout-4d", _seeded(F.dropout), [Input((2, 3, 4, 5))], kwargs=dict(p=0.25),
           ref=ref_dropout),
    OpCase("dropout2d", _seeded(F.dropout2d), [Input((3, 4, 3, 3))], kwargs=dict(p=0.5),
           ref=lambda x, p: ref_dropout(x, p, 2)),
    OpCase("dropout1d", _seeded(F.dropout1d), [Input((3, 5, 4))], kwargs=dict(p=0.3),
           ref=lambda x, p: ref_dropout(x, p, 1)),
    OpCase("dropout1d-unbatched", _seeded(F.dropout1d), [Input((6, 4))], kwargs=dict(p=0.3),
           ref=lambda x, p: ref_dropout(x, p, 1)),
    # large enough for two threads
    OpCase("dropout-threads", _seeded(F.dropout), [Input((64, 2048))], kwargs=dict(p=0.5),
           ref=ref_dropout, gradcheck=False),
    OpCase("dropout2d-threads", _seeded(F.dropout2d), [Input((16, 32, 16, 16))],
           kwargs=dict(p=0.2), ref=lambda x, p: ref_dropout(x, p, 2), gradcheck=False),
]

test_dropout_declared = op_tests(CASES)


# ------------------------------------------------------------------ behaviour

def test_a_seed_reproduces_the_mask_and_calls_draw_new_ones():
    x = fc.ones(1000)
    fc.manual_seed(3)
    a, b = F.dropout(x).detach().numpy(), F.dropout(x).detach().numpy()
    fc.manual_seed(3)
    np.testing.assert_array_equal(F.dropout(x).detach().numpy(), a)
    assert not np.array_equal(a, b)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_kept_fraction_is_within_five_standard_deviations(p):
    n = 1 << 20
    fc.manual_seed(11)
    y = F.dropout(fc.ones(n), p).detach().numpy()
    kept = np.count_nonzero(y) / n
    assert abs(kept - (1 - p)) < 5 * np.sqrt(p * (1 - p) / n)


def test_dropout2d_drops_whole_channels_at_rate_p():
    fc.manual_seed(5)
    y = F.dropout2d(fc.ones(64, 256, 3, 3), 0.3).detach().numpy()
    per_channel = y.reshape(64 * 256, 9)
    assert np.all((per_channel == 0).all(axis=1) | (per_channel != 0).all(axis=1))
    kept = (per_channel[:, 0] != 0).mean()
    assert abs(kept - 0.7) < 5 * np.sqrt(0.21 / (64 * 256))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_gradient_is_exactly_mask_times_scale(p, dtype):
    x = fc.tensor(np.ones((50, 40), dtype), requires_grad=True)
    fc.manual_seed(2)
    y = F.dropout(x, p)
    g = np.random.default_rng(0).standard_normal((50, 40)).astype(dtype)
    y.backward(fc.tensor(g))
    scale = dtype(1) / dtype(1 - p)
    mask = y.detach().numpy() != 0
    np.testing.assert_array_equal(y.detach().numpy(), np.where(mask, scale, dtype(0)))
    np.testing.assert_array_equal(x.grad.detach().numpy(), g * np.where(mask, scale, dtype(0)))


@pytest.mark.parametrize("fn", [F.dropout, F.dropout1d, F.dropout2d])
def test_evaluation_mode_and_p_zero_return_the_input(fn):
    x = fc.randn(2, 3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert fn(x, 0.5, training=False) is x
        assert fn(x, 0.0) is x


def test_layers_are_the_identity_in_eval_mode():
    x4, x3 = fc.randn(4, 3, 2, 2), fc.randn(4, 3, 2)
    for layer, x in ((nn.Dropout(0.5), x4), (nn.Dropout2d(0.5), x4), (nn.Dropout1d(0.5), x3)):
        assert layer.eval()(x) is x
        assert layer.train()(x) is not x


def test_p_one_gives_zeros_and_keeps_nan_as_torch():
    x = fc.tensor(np.array([1.0, -2.0, np.nan, np.inf], np.float32), requires_grad=True)
    y = F.dropout(x, 1.0)
    np.testing.assert_array_equal(y.detach().numpy(), [0, 0, np.nan, np.nan])
    y.backward(fc.ones(4))
    np.testing.assert_array_equal(x.grad.detach().numpy(), 0)


def test_a_dropped_nan_stays_nan_as_in_torch():
    fc.manual_seed(0)
    y = F.dropout(fc.tensor(np.full(64, np.nan, np.float32)), 0.5).detach().numpy()
    assert np.isnan(y).all()


@pytest.mark.parametrize("p", [0.1, 0.3, 0.7])
def test_scale_is_rounded_as_torch_rounds_it(p):
    torch = pytest.importorskip("torch")
    theirs = torch.nn.functional.dropout(torch.ones(4096), p)
    ours = F.dropout(fc.ones(4096), p).detach().numpy()
    np.testing.assert_array_equal(np.unique(ours[ours != 0]),
                                  np.unique(theirs[theirs != 0].numpy()))


def test_inplace_is_accepted_and_leaves_the_input_as_it_was():
    x = fc.ones(100)
    fc.manual_seed(1)
    y = nn.Dropout(0.5, inplace=True)(x)
    np.testing.assert_array_equal(x.detach().numpy(), 1)
    fc.manual_seed(1)
    np.testing.assert_array_equal(F.dropout(x, 0.5).detach().numpy(), y.detach().numpy())


def test_dropout2d_warns_for_3d_input_and_drops_channels_of_n_c_l():
    fc.manual_seed(4)
    with pytest.warns(UserWarning, match="3D input"):
        y = F.dropout2d(fc.ones(8, 16, 5), 0.5).detach().numpy()
    assert np.all((y == 0).all(axis=2) | (y != 0).all(axis=2))


def test_repr_matches_torch():
    torch = pytest.importorskip("torch")
    for cls in ("Dropout", "Dropout1d", "Dropout2d"):
        assert repr(getattr(nn, cls)(0.3, True)) == repr(getattr(torch.nn, cls)(0.3, True))


def test_raw_op_mask_has_one_byte_per_unit():
    y, mask = ops.dropout_forward(np.ones((4, 6, 5, 5), np.float32), 0.5, seed=9,
                                  feature_dims=2)
    assert mask.shape == (4, 6) and mask.dtype == np.uint8
    np.testing.assert_array_equal(y, np.broadcast_to((mask * 2.0)[:, :, None, None],
                                                     y.shape))
    empty, m = ops.dropout_forward(np.ones((0, 3), np.float32), 0.5, seed=1)
    assert empty.shape == (0, 3) and m.shape == (0, 3)


test_dropout_bad_input = error_tests([
    BadCall("p above 1", lambda: F.dropout(fc.ones(3), 1.5), ValueError, "p"),
    BadCall("p below 0", lambda: F.dropout2d(fc.ones(2, 3, 2, 2), -0.1), ValueError, "p"),
    BadCall("layer p above 1", lambda: nn.Dropout(1.01), ValueError, "p"),
    BadCall("layer p below 0", lambda: nn.Dropout2d(-0.5), ValueError, "p"),
    BadCall("p not a number", lambda: nn.Dropout("half"), TypeError, "p"),
    BadCall("raw op p", lambda: ops.dropout_forward(np.ones(3, np.float32), 2.0),
            ValueError, "p"),
    BadCall("dropout1d rank", lambda: F.dropout1d(fc.ones(2, 3, 4, 5)), ValueError,
            "2D or 3D"),
    BadCall("integer input", lambda: F.dropout(fc.tensor(np.ones(3, np.int64))), TypeError,
            "input"),
    BadCall("mask shape", lambda: ops.dropout_backward(np.ones((3, 4)),
                                                       np.ones(4, np.uint8), 0.5),
            ValueError, "mask"),
])


@pytest.mark.parametrize("feature_dims", [0, 2])
def test_masks_are_the_same_for_any_thread_count(feature_dims):
    x = np.random.default_rng(0).standard_normal((16, 32, 16, 16)).astype(np.float32)
    saved = fc.get_num_threads()
    try:
        outs = []
        for threads in (1, 2, 3, 4):
            fc.set_num_threads(threads)
            outs.append(ops.dropout_forward(x, 0.3, seed=77, feature_dims=feature_dims))
    finally:
        fc.set_num_threads(saved)
    for y, mask in outs[1:]:
        np.testing.assert_array_equal(y, outs[0][0])
        np.testing.assert_array_equal(mask, outs[0][1])
