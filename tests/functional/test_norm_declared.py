"""batch_norm (and its fused ReLU form) declared for the op harness: a float64 reference
written plainly, gradcheck through the training statistics, PyTorch (values and
gradients), native vs generic, 1 vs 2 threads; plus the bad-input errors."""
import numpy as np

import fastconv as fc
import fastconv.functional as F
from fastconv.functional.norm import batch_norm_relu
from tests.harness import BadCall, Input, OpCase, error_tests, op_tests


# ------------------------------------------------------------------ reference

def ref_batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
                   momentum=0.1, eps=1e-5):
    """Per channel c: (x - mean) / sqrt(var + eps) * weight + bias, with the batch's mean
    and biased variance in training, the running ones otherwise."""
    y = np.empty_like(x)
    for c in range(x.shape[1]):
        v = x[:, c]
        if training:
            mean = v.mean()
            var = ((v - mean) ** 2).mean()
        else:
            mean, var = running_mean[c], running_var[c]
        w = 1.0 if weight is None else weight[c]
        b = 0.0 if bias is None else bias[c]
        y[:, c] = (v - mean) / np.sqrt(var + eps) * w + b
    return y


def ref_batch_norm_relu(*args, **kwargs):
    return np.maximum(ref_batch_norm(*args, **kwargs), 0)


# ------------------------------------------------------------------ cases

def _torch_bn(torch, *args, **kwargs):
    return torch.nn.functional.batch_norm(*args, **kwargs)


def _torch_bn_relu(torch, *args, **kwargs):
    return torch.relu(torch.nn.functional.batch_norm(*args, **kwargs))


def _inputs(shape, affine=True):
    c = shape[1]
    stats = [Input((c,), requires_grad=False), Input((c,), "positive", requires_grad=False)]
    return [Input(shape)] + stats + ([Input((c,)), Input((c,))] if affine else [])


# (name, input shape, gradcheck): small ones are gradchecked; the "threads" ones are large
# enough to run on 2 threads; (4, 2, 16, 16), (16, 3, 32, 32) and (40, 20, 9) have few
# channel groups, whose sums the kernels split over batch chunks; (N, C) and short rows
# (L < 16) are summed across the batch by channel groups
SHAPES = [
    ("nchw", (4, 3, 5, 5), True),
    ("nc", (6, 4), True),
    ("ncl", (3, 2, 7), True),
    ("one-image", (1, 3, 4, 4), True),
    ("chunked", (4, 2, 16, 16), True),
    ("threads", (8, 16, 16, 16), False),
    ("threads-chunked", (16, 3, 32, 32), False),
    ("short-rows-chunked", (40, 20, 9), False),
    ("threads-nc", (512, 300), False),
]

CASES = []
for name, shape, small in SHAPES:
    for training in (True, False):
        mode = "train" if training else "eval"
        kwargs = dict(training=training, momentum=0.3, eps=1e-3)
        CASES.append(OpCase("bn-%s-%s" % (name, mode), F.batch_norm, _inputs(shape),
                            kwargs=kwargs, ref=ref_batch_norm, torch_fn=_torch_bn,
                            gradcheck=small))
        CASES.append(OpCase("bn-relu-%s-%s" % (name, mode), batch_norm_relu, _inputs(shape),
                            kwargs=kwargs, ref=ref_batch_norm_relu, torch_fn=_torch_bn_relu,
                            gradcheck=small))
CASES.append(OpCase("bn-no-affine-train", F.batch_norm, _inputs((5, 3, 2, 3), affine=False),
                    kwargs=dict(training=True), ref=ref_batch_norm, torch_fn=_torch_bn))
CASES.append(OpCase("bn-bias-only-eval",
                    lambda x, rm, rv, b, **kw: F.batch_norm(x, rm, rv, None, b, **kw),
                    _inputs((3, 4, 3))[:3] + [Input((4,))], kwargs=dict(training=False),
                    ref=lambda x, rm, rv, b, **kw: ref_batch_norm(x, rm, rv, None, b, **kw),
                    torch_fn=lambda t, x, rm, rv, b, **kw: _torch_bn(t, x, rm, rv, None, b,
                                                                     **kw)))
CASES.append(OpCase("bn-no-running-stats-train",
                    lambda x, w, b, **kw: F.batch_norm(x, None, None, w, b, **kw),
                    [Input((4, 3, 3, 2)), Input((3,)), Input((3,))], kwargs=dict(training=True),
                    ref=lambda x, w, b, **kw: ref_batch_norm(x, None, None, w, b, **kw),
                    torch_fn=lambda t, x, w, b, **kw: _torch_bn(t, x, None, None, w, b, **kw)))

test_batch_norm = op_tests(CASES)


# ------------------------------------------------------------------ bad input

def _t(*shape):
    return fc.tensor(np.ones(shape, np.float32))


test_batch_norm_bad_input = error_tests([
    BadCall("rank 1 input", lambda: F.batch_norm(_t(4), _t(4), _t(4)), ValueError, "input"),
    BadCall("running_mean channels", lambda: F.batch_norm(_t(2, 3, 4), _t(4), _t(3)),
            ValueError, "running_mean should contain 3 elements"),
    BadCall("running_var channels", lambda: F.batch_norm(_t(2, 3, 4), _t(3), _t(2)),
            ValueError, "running_var"),
    BadCall("weight channels", lambda: F.batch_norm(_t(2, 3), _t(3), _t(3), _t(4)),
            ValueError, "weight"),
    BadCall("bias channels", lambda: F.batch_norm(_t(2, 3), _t(3), _t(3), _t(3), _t(5)),
            ValueError, "bias"),
    BadCall("negative momentum", lambda: F.batch_norm(_t(2, 3), _t(3), _t(3), training=True,
                                                      momentum=-0.1), ValueError, "momentum"),
    BadCall("one value per channel", lambda: F.batch_norm(_t(1, 3), _t(3), _t(3),
                                                          training=True),
            ValueError, "Expected more than 1 value per channel when training"),
    BadCall("one value per channel 4-D", lambda: F.batch_norm(_t(1, 3, 1, 1), None, None,
                                                              training=True),
            ValueError, "more than 1 value per channel"),
    BadCall("empty batch in training", lambda: F.batch_norm(_t(0, 3, 2, 2), _t(3), _t(3),
                                                            training=True),
            ValueError, "empty batch"),
    BadCall("eval without running stats", lambda: F.batch_norm(_t(2, 3), None, None),
            ValueError, "running_mean must be defined"),
    BadCall("only running_mean", lambda: F.batch_norm(_t(2, 3), _t(3), None, training=True),
            ValueError, "running_var"),
    BadCall("zero eps in training", lambda: F.batch_norm(_t(2, 3), None, None, training=True,
                                                         eps=0.0), ValueError, "eps"),
    BadCall("mixed dtypes", lambda: F.batch_norm(fc.tensor(np.ones((2, 3))), _t(3), _t(3),
                                                 training=True), TypeError, "running_mean"),
    BadCall("int input", lambda: F.batch_norm(fc.tensor(np.ones((2, 3), np.int64)), None,
                                              None, training=True), TypeError, "input"),
    BadCall("array instead of tensor", lambda: F.batch_norm(np.ones((2, 3)), None, None,
                                                            training=True),
            TypeError, "input"),
    BadCall("running stats requiring grad",
            lambda: F.batch_norm(_t(2, 3), fc.zeros(3, requires_grad=True), _t(3),
                                 training=True), ValueError, "running_mean"),
])
