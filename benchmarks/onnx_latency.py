"""Batch-1 inference latency of LeNet-5: fastconv (model.eval() + no_grad) vs PyTorch vs
ONNX Runtime on the model fastconv.onnx exported, medians of interleaved single calls;
and the time of export + onnx.checker + an ONNX Runtime session + one checked run.

    python benchmarks/onnx_latency.py [--rounds 2000] [--threads 1]
"""
import argparse
import os
import statistics
import tempfile
import time

import numpy as np


def _torch_twin(model):
    import torch
    twin = torch.nn.Sequential(
        torch.nn.Conv2d(1, 6, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(6, 16, 5), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(400, 120), torch.nn.ReLU(),
        torch.nn.Linear(120, 84), torch.nn.ReLU(), torch.nn.Linear(84, 10))
    twin.load_state_dict({k: torch.from_numpy(np.array(v)) for k, v in
                          model.state_dict().items()})
    return twin.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    t_import = time.perf_counter()
    import onnx  # noqa: F401  (imported once by export; timed apart: seconds on a busy box)
    t_import = time.perf_counter() - t_import
    import onnxruntime as ort
    import fastconv
    import fastconv.models
    import fastconv.onnx

    fastconv.set_num_threads(args.threads)
    fastconv.manual_seed(0)
    model = fastconv.models.lenet5().eval()
    x = np.random.default_rng(0).standard_normal((1, 1, 28, 28)).astype(np.float32)
    xt = fastconv.tensor(x)
    load_before = os.getloadavg()

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "lenet5.onnx")
        t0 = time.perf_counter()
        fastconv.onnx.export(model, xt, path)           # includes onnx.checker
        t1 = time.perf_counter()
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        y_ort = session.run(None, {"input": x})[0]
        t2 = time.perf_counter()
    with fastconv.no_grad():
        y_fc = model(xt).numpy()
    err = float(np.abs(y_ort - y_fc).max() / max(1.0, np.abs(y_fc).max()))

    runners = {}

    def run_fastconv():
        with fastconv.no_grad():
            model(xt)
    runners["fastconv"] = run_fastconv
    try:
        import torch
        torch.set_num_threads(args.threads)
        twin = _torch_twin(model)
        x_torch = torch.from_numpy(x)

        def run_torch():
            with torch.no_grad():
                twin(x_torch)
        runners["torch"] = run_torch
    except ImportError:
        pass
    feed = {"input": x}
    runners["onnxruntime"] = lambda: session.run(None, feed)

    for fn in runners.values():     # warm up
        for _ in range(50):
            fn()
    times = {name: [] for name in runners}
    clock = time.perf_counter_ns
    for _ in range(args.rounds):    # interleaved: fastconv, torch, ort, fastconv, ...
        for name, fn in runners.items():
            start = clock()
            fn()
            times[name].append(clock() - start)
    load_after = os.getloadavg()

    print("LeNet-5, batch 1, float32, %d thread(s), %d interleaved rounds; load average "
          "%.1f before, %.1f after (%d cores)" % (args.threads, args.rounds, load_before[0],
                                                 load_after[0], os.cpu_count()))
    print("import onnx: %.0f ms (once per process); export + checker: %.1f ms; ORT session "
          "+ first run: %.1f ms; max rel. error %.1e" % (t_import * 1e3, (t1 - t0) * 1e3,
                                                         (t2 - t1) * 1e3, err))
    base = statistics.median(times["fastconv"])
    for name, ts in times.items():
        ts = sorted(ts)
        med = statistics.median(ts)
        print("%-12s median %7.1f us   p10 %7.1f us   p90 %7.1f us   (%.2fx fastconv's "
              "median)" % (name, med / 1e3, ts[len(ts) // 10] / 1e3,
                           ts[9 * len(ts) // 10] / 1e3, med / base))


if __name__ == "__main__":
    main()
