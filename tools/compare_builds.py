#!/usr/bin/env python3
"""Compare two builds of fastconv (and PyTorch) on a LeNet-5 SGD training step.

Speed: one long-lived worker process per build; the driver asks them in turn for a few
timed steps, round after round (the order alternates), so both see the same machine
noise; reported are the medians over all rounds of the step's wall time and of its
process CPU time (all threads; with one thread the least sensitive to other load).
Memory: each build (and torch) trains LeNet-5 for a few steps in a fresh process and
reports resource.getrusage's ru_maxrss, next to the same figure right after import.

    python3 tools/compare_builds.py --build before=/tmp/fc-before --build after=.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

SHAPE = (1, 28, 28)


def _import_path(path: str) -> None:
    """Put the checkout at `path` first on sys.path ('torch': this one, for fastconv.bench)."""
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, here if path == "torch" else os.path.abspath(path))


def _make_step(path: str, batch: int, threads: int):
    _import_path(path)
    import fastconv.bench as bench   # the checkout's own copy (torch's step lives there too)
    if path == "torch":
        import torch
        torch.set_num_threads(threads)
        return bench.torch_train_step("lenet5", batch, SHAPE)
    import fastconv
    fastconv.set_num_threads(threads)
    return bench.fastconv_train_step("lenet5", batch, SHAPE)


def speed_worker(path: str, batch: int, threads: int) -> None:
    """Serve 'k' requests on stdin: run k steps, print 'wall_ms,cpu_ms' for each."""
    step = _make_step(path, batch, threads)
    for _ in range(3):
        step()
    print("ready", flush=True)
    for line in sys.stdin:
        times = []
        for _ in range(int(line)):
            t0, c0 = time.perf_counter(), time.process_time()
            step()
            times.append("%.4f,%.4f" % ((time.perf_counter() - t0) * 1e3,
                                        (time.process_time() - c0) * 1e3))
        print(" ".join(times), flush=True)


def _vm_hwm_kib() -> int:
    """VmHWM (KiB): this process's own RSS high-water mark (ru_maxrss also counts the
    parent's RSS at fork, as Linux carries it over exec)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def memory_worker(path: str, batch: int, steps: int, threads: int) -> None:
    """Print ru_maxrss and VmHWM (KiB), each after import and after `steps` steps."""
    import resource
    _import_path(path)
    import fastconv  # noqa: F401  (imported by the torch step too, for fastconv.bench)
    if path == "torch":
        import torch  # noqa: F401
    after_import = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, _vm_hwm_kib())
    step = _make_step(path, batch, threads)
    for _ in range(steps):
        step()
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, _vm_hwm_kib())
    print(*after_import, *peak)


def _spawn(args):
    return subprocess.Popen([sys.executable, os.path.abspath(__file__)] + args,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def compare_speed(builds, batch: int, rounds: int, steps: int, threads: int):
    workers = {name: _spawn(["--speed-worker", path, "--batch", str(batch),
                             "--threads", str(threads)]) for name, path in builds}
    for proc in workers.values():
        assert proc.stdout.readline().strip() == "ready"
    times = {name: [] for name, _ in builds}
    names = [name for name, _ in builds]
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            proc = workers[name]
            proc.stdin.write("%d\n" % steps)
            proc.stdin.flush()
            times[name] += [tuple(map(float, t.split(","))) for t in
                            proc.stdout.readline().split()]
    for proc in workers.values():
        proc.stdin.close()
        proc.wait()
    return {name: tuple(statistics.median(x[i] for x in t) for i in (0, 1))
            for name, t in times.items()}


def compare_memory(builds, batch: int, steps: int, repeats: int, threads: int):
    result = {}
    for name, path in builds:
        runs = [subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-worker",
                                path, "--batch", str(batch), "--steps", str(steps),
                                "--threads", str(threads)],
                               check=True, capture_output=True, text=True).stdout.split()
                for _ in range(repeats)]
        result[name] = tuple(statistics.median(int(r[i]) for r in runs) / 1024
                             for i in range(4))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", action="append", default=[], metavar="NAME=PATH",
                    help="a fastconv checkout (built in place); 'torch' as PATH for PyTorch")
    ap.add_argument("--batch", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--steps", type=int, default=4, help="timed steps per worker per round")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-steps", type=int, default=10)
    ap.add_argument("--memory-repeats", type=int, default=3)
    ap.add_argument("--speed-worker", metavar="PATH")
    ap.add_argument("--memory-worker", metavar="PATH")
    args = ap.parse_args()
    if args.speed_worker:
        return speed_worker(args.speed_worker, args.batch[0], args.threads)
    if args.memory_worker:
        return memory_worker(args.memory_worker, args.batch[0], args.steps, args.threads)
    builds = [tuple(b.split("=", 1)) for b in args.build]
    for batch in args.batch:
        medians = compare_speed(builds, batch, args.rounds, args.steps, args.threads)
        print("LeNet-5 train step, batch %d, %d thread(s) (medians of %d steps):"
              % (batch, args.threads, args.rounds * args.steps))
        for name, (wall, cpu) in medians.items():
            print("  %-10s wall %8.2f ms   cpu %8.2f ms" % (name, wall, cpu))
    for batch in args.batch:
        if args.memory_steps <= 0:
            break
        mem = compare_memory(builds, batch, args.memory_steps, args.memory_repeats,
                             args.threads)
        print("peak RSS, %d LeNet-5 steps at batch %d (MiB; after import -> peak):"
              % (args.memory_steps, batch))
        for name, (base, hwm_base, peak, hwm_peak) in mem.items():
            print("  %-10s ru_maxrss %7.1f -> %7.1f (+%.1f)   VmHWM %7.1f -> %7.1f (+%.1f)"
                  % (name, base, peak, peak - base, hwm_base, hwm_peak, hwm_peak - hwm_base))


if __name__ == "__main__":
    main()
