"""Shared by the ONNX tests: export a model, check it, run it in ONNX Runtime and compare
with fastconv's own forward."""
import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import fastconv  # noqa: E402
import fastconv.onnx  # noqa: E402

RTOL = 1e-5   # float32: max |ort - fastconv| <= RTOL * max(1, max |fastconv|)


def session(path):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def reference(model, x):
    """fastconv's eval-mode output on array x."""
    if hasattr(model, "eval"):
        model.eval()
    with fastconv.no_grad():
        y = model(fastconv.tensor(x))
    return [np.asarray(t.detach().numpy()) for t in (y if isinstance(y, (tuple, list)) else [y])]


def assert_close(got, ref, rtol=RTOL):
    assert got.shape == ref.shape, (got.shape, ref.shape)
    assert got.dtype == ref.dtype, (got.dtype, ref.dtype)
    scale = max(1.0, float(np.abs(ref).max()) if ref.size else 1.0)
    err = float(np.abs(got.astype(np.float64) - ref).max()) if ref.size else 0.0
    assert err <= rtol * scale, "max abs error %.3g > %.3g (scale %.3g)" % (
        err, rtol * scale, scale)


def export_and_compare(model, x, tmp_path, batches=(), rtol=RTOL, **kwargs):
    """Export model on x, check the graph, and compare ONNX Runtime with fastconv on x
    and on inputs of each batch size in `batches` (dynamic batch). Returns the proto."""
    path = tmp_path / "model.onnx"
    proto = fastconv.onnx.export(model, fastconv.tensor(x), path, **kwargs)
    onnx.checker.check_model(onnx.load(str(path)), full_check=True)
    sess = session(path)
    name = sess.get_inputs()[0].name
    rng = np.random.default_rng(7)
    inputs = [x] + [rng.standard_normal((b,) + x.shape[1:]).astype(x.dtype) for b in batches]
    for xi in inputs:
        got = sess.run(None, {name: xi})
        ref = reference(model, xi)
        assert len(got) == len(ref)
        for g, r in zip(got, ref):
            assert_close(g, r, rtol)
    return proto


def randomize_batch_norm(model, seed=0):
    """Give every BatchNorm non-trivial running statistics and affine parameters."""
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, (fastconv.nn.BatchNorm1d, fastconv.nn.BatchNorm2d)):
            c = m.num_features
            dt = m.running_mean.dtype
            m.running_mean._data[...] = rng.standard_normal(c).astype(dt) * 0.5
            m.running_var._data[...] = rng.uniform(0.5, 2.0, c).astype(dt)
            if m.weight is not None:
                m.weight._data[...] = rng.uniform(0.5, 1.5, c).astype(dt)
                m.bias._data[...] = rng.standard_normal(c).astype(dt) * 0.1
    return model
