"""Batch-1 inference of LeNet-5 in evaluation mode: fastconv (no_grad), PyTorch, and ONNX
Runtime on the model that fastconv.onnx exports (benchmarks/onnx_latency.py prints the
same comparison as medians of interleaved runs)."""
import numpy as np
import pytest

from onnx_latency import _torch_twin  # benchmarks/ is on sys.path (no package)


@pytest.mark.parametrize("runner", ["fastconv", "torch", "onnxruntime"])
def test_lenet5_batch1_latency(benchmark, runner, threads, tmp_path):
    import fastconv
    import fastconv.models
    fastconv.manual_seed(0)
    model = fastconv.models.lenet5().eval()
    x = np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32)
    benchmark.group = "lenet5 batch-1 inference %dthr" % threads
    if runner == "fastconv":
        xt = fastconv.tensor(x)

        def step():
            with fastconv.no_grad():
                return model(xt)
    elif runner == "torch":
        torch = pytest.importorskip("torch")
        twin, xt = _torch_twin(model), torch.from_numpy(x)

        def step():
            with torch.no_grad():
                return twin(xt)
    else:
        ort = pytest.importorskip("onnxruntime")
        pytest.importorskip("onnx")
        import fastconv.onnx
        path = tmp_path / "lenet5.onnx"
        fastconv.onnx.export(model, fastconv.tensor(x), path)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

        def step():
            return session.run(None, {"input": x})
    benchmark(step)
