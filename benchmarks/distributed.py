"""Data-parallel training on one machine: 1 process x 2 threads against 2 MPI ranks x 1
thread, and how much of the gradient allreduce is hidden behind backward; PyTorch's
DistributedDataParallel (gloo on loopback) on the same networks side by side.

    python benchmarks/distributed.py [--models lenet5,small_vgg] [--batch 64]
                                     [--steps 20] [--rounds 3] [--bucket-mb 25]
                                     [--no-progress-thread] [--no-torch]

For each model it runs, in turn and --rounds times, fresh jobs on the same global batch
of synthetic data (SGD with momentum; throughput does not depend on the values):

- single: one process, OMP_NUM_THREADS=2, the whole batch;
- ddp: `mpiexec -n 2`, OMP_NUM_THREADS=1, half the batch per rank, DistributedDataParallel.
  Inside this job three kinds of step alternate: overlapped (DDP as it is: each
  bucket's Iallreduce starts during backward), blocking (the same buckets, allreduced
  one after the other once backward is over) and local (no_sync: no communication);
- torch-single and torch-ddp: the same two in PyTorch (fastconv.models.torch_twins, or
  `fastconv bench`'s LeNet-5 where that module is absent;
  DDP over gloo on 127.0.0.1, ranks from the MPI launcher), where torch is installed.

and prints medians: images/s of each job (the global batch over the slowest rank's
step); per step, the allreduce time when nothing overlaps it (time inside the blocking
Allreduce calls), the wait left after backward in the overlapped steps, and two
measures of the share hidden: 1 - wait / allreduce, and (blocking - overlapped) /
(blocking - local) from whole-step times. The load average of the machine (1 minute)
is printed before and after every job: on a shared machine the figures mean little
without it.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

INPUTS = {"lenet5": (1, 28, 28), "cnn_bn": (1, 28, 28), "resnet20": (3, 32, 32),
          "vgg11_bn": (3, 32, 32), "small_vgg": (3, 32, 32)}


def fastconv_model(model_name: str):
    """fastconv.models.<name>(), or `fastconv bench`'s small VGG (5 convolutions, 3x3);
    None when neither has it."""
    import fastconv.models
    from fastconv import bench, nn
    if hasattr(fastconv.models, model_name):
        return getattr(fastconv.models, model_name)()
    return bench.small_vgg(nn) if model_name == "small_vgg" else None


def load_average() -> float:
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def build(model_name: str, batch: int, seed: int):
    """The model, an SGD optimizer and one fixed synthetic batch."""
    import numpy as np

    import fastconv
    from fastconv import optim

    fastconv.manual_seed(seed)
    model = fastconv_model(model_name)
    rng = np.random.default_rng(seed)
    x = fastconv.from_numpy(rng.standard_normal((batch,) + INPUTS[model_name],
                                                dtype=np.float32))
    y = fastconv.from_numpy(rng.integers(0, 10, batch).astype(np.int64))
    return model, optim.SGD(model.parameters(), lr=0.01, momentum=0.9), x, y


def forward_backward(model, opt, x, y) -> None:
    import fastconv.functional as F

    opt.zero_grad()
    F.cross_entropy(model(x), y).backward()


def child_single(args) -> dict:
    """One process, the whole batch: seconds per step (median)."""
    model, opt, x, y = build(args.model, args.batch, 0)
    model.train()
    for _ in range(3):
        forward_backward(model, opt, x, y)
        opt.step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        forward_backward(model, opt, x, y)
        opt.step()
        times.append(time.perf_counter() - start)
    return {"step_s": statistics.median(times)}


def child_ddp(args) -> dict:
    """Two ranks, half the batch each, the three kinds of step interleaved."""
    import numpy as np

    import fastconv.distributed as dist
    from fastconv.distributed.reducer import Bucket

    dist.init()
    world = dist.get_world_size()
    model, opt, x, y = build(args.model, args.batch // world, dist.get_rank())
    ddp = dist.DistributedDataParallel(model, bucket_mb=args.bucket_mb,
                                       progress_thread=not args.no_progress_thread)
    ddp.train()
    comm = ddp.process_group
    from mpi4py import MPI

    def overlapped():
        forward_backward(ddp, opt, x, y)
        opt.step()

    def local():
        with ddp.no_sync():
            forward_backward(ddp, opt, x, y)
        opt.step()

    allreduce_s = []

    def blocking():
        with ddp.no_sync():
            forward_backward(ddp, opt, x, y)
        spent = 0.0
        for bucket in ddp.reducer.buckets:   # the same flat buffers, one at a time
            pack(bucket)
            start = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, bucket.flat, op=MPI.SUM)
            spent += time.perf_counter() - start
            unpack(bucket, world)
        allreduce_s.append(spent)
        opt.step()

    kinds = {"overlapped": overlapped, "blocking": blocking, "local": local}
    times = {k: [] for k in kinds}
    waits = []
    for _ in range(2):
        for run in kinds.values():
            run()
    for _ in range(args.steps):
        for name, run in kinds.items():
            comm.Barrier()
            wait_before = ddp.comm_stats.wait_seconds
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
            if name == "overlapped":
                waits.append(ddp.comm_stats.wait_seconds - wait_before)
    # every rank's median, the slowest rank counts
    mine = np.array([statistics.median(times["overlapped"]), statistics.median(times["blocking"]),
                     statistics.median(times["local"]), statistics.median(allreduce_s),
                     statistics.median(waits)])
    slowest = dist.all_gather_array(mine).max(axis=0)
    return {"step_s": slowest[0], "blocking_s": slowest[1], "local_s": slowest[2],
            "allreduce_s": slowest[3], "wait_s": slowest[4],
            "buckets": len(ddp.reducer.buckets),
            "grad_bytes": sum(b.nbytes for b in ddp.reducer.buckets),
            "rank": dist.get_rank()}


def torch_model(model_name: str):
    """The same network in PyTorch: fastconv.models.torch_twins where that module exists,
    else `fastconv bench`'s LeNet-5 twin; None when there is none."""
    try:
        from fastconv.models import torch_twins
    except ImportError:
        from fastconv import bench as torch_twins
    if model_name == "small_vgg":
        import torch
        from fastconv import bench
        return bench.small_vgg(torch.nn)
    make = getattr(torch_twins, model_name + "_torch", None)
    return None if make is None else make()


def child_torch(args, world: int, rank: int) -> dict:
    """PyTorch on the same model and batch: one process (world 1) or DDP over gloo on
    loopback (ranks from the MPI launcher's environment)."""
    import numpy as np
    import torch

    torch.manual_seed(rank)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    model = torch_model(args.model)
    if world > 1:
        import torch.distributed as tdist
        tdist.init_process_group("gloo", init_method="tcp://127.0.0.1:%d" % args.port,
                                 rank=rank, world_size=world)
        model = torch.nn.parallel.DistributedDataParallel(model,
                                                          bucket_cap_mb=args.bucket_mb)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(rank)
    batch = args.batch // world
    x = torch.from_numpy(rng.standard_normal((batch,) + INPUTS[args.model],
                                             dtype=np.float32))
    y = torch.from_numpy(rng.integers(0, 10, batch).astype(np.int64))
    times = []
    for i in range(args.steps + 3):
        start = time.perf_counter()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        if i >= 3:
            times.append(time.perf_counter() - start)
    if world > 1:   # an orderly teardown: left to exit, gloo's threads can abort the job
        tdist.barrier()
        tdist.destroy_process_group()
    return {"step_s": statistics.median(times), "rank": rank}


def launcher_rank() -> tuple:
    """(world, rank) from the MPI launcher's environment (MPICH's PMI, Open MPI's)."""
    for size, rank in (("PMI_SIZE", "PMI_RANK"),
                       ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK")):
        if size in os.environ:
            return int(os.environ[size]), int(os.environ[rank])
    return 1, 0


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pack(bucket) -> None:
    for p, offset in zip(bucket.params, bucket.offsets):
        bucket.flat[offset:offset + p._data.size] = p.grad._data.reshape(-1)


def unpack(bucket, world: int) -> None:
    import numpy as np

    np.divide(bucket.flat, world, out=bucket.flat)
    for p, offset in zip(bucket.params, bucket.offsets):
        p.grad._data[...] = bucket.flat[offset:offset + p._data.size].reshape(p._data.shape)


def run_job(args, kind: str, model: str) -> dict:
    """One fresh job; its JSON result plus the load average around it."""
    here = os.path.abspath(__file__)
    common = ["--child", kind, "--model", model, "--batch", str(args.batch), "--steps",
              str(args.steps), "--bucket-mb", str(args.bucket_mb)] + (
                  ["--no-progress-thread"] if args.no_progress_thread else [])
    if kind.startswith("torch"):
        common += ["--port", str(free_port())]
    env = dict(os.environ, PYTHONPATH=ROOT)
    if kind in ("single", "torch-single"):
        env["OMP_NUM_THREADS"] = "2"
        command = [sys.executable, here] + common
    else:
        env["OMP_NUM_THREADS"] = "1"
        mpiexec = os.path.join(os.path.dirname(sys.executable), "mpiexec")
        command = [mpiexec if os.path.exists(mpiexec) else "mpiexec", "-n", "2",
                   sys.executable, here] + common
    before = load_average()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise SystemExit("%s job failed:\n%s\n%s" % (kind, proc.stdout, proc.stderr))
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    result = json.loads(lines[0])
    result["load"] = (before, load_average())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="lenet5,small_vgg,cnn_bn,resnet20")
    parser.add_argument("--batch", type=int, default=64, help="global batch (default 64)")
    parser.add_argument("--steps", type=int, default=20, help="timed steps per job and kind")
    parser.add_argument("--rounds", type=int, default=3, help="jobs of each kind per model")
    parser.add_argument("--bucket-mb", type=float, default=25.0)
    parser.add_argument("--no-progress-thread", action="store_true",
                        help="DDP(progress_thread=False): allreduces advance between layers only")
    parser.add_argument("--no-torch", action="store_true", help="fastconv only")
    parser.add_argument("--child", choices=["single", "ddp", "torch-single", "torch-ddp"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.child.startswith("torch"):
            world, rank = launcher_rank()
            result = child_torch(args, world, rank)
        else:
            import fastconv
            fastconv.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
            result = child_single(args) if args.child == "single" else child_ddp(args)
        if result.get("rank", 0) == 0:
            print(json.dumps(result), flush=True)
        return

    names = [m for m in args.models.split(",") if m in INPUTS and fastconv_model(m) is not None]
    skipped = [m for m in args.models.split(",") if m not in names]
    print("global batch %d, %d timed steps per job, %d rounds (fastconv 1x2, 2x1, torch "
          "1x2, 2x1, ...), bucket %.3g MiB, progress thread %s; machine: %d cores%s"
          % (args.batch, args.steps, args.rounds, args.bucket_mb,
             "off" if args.no_progress_thread else "on", os.cpu_count(),
             "; not in fastconv.models here: " + ", ".join(skipped) if skipped else ""))
    header = ("model     grad MB bkts | fastconv img/s: 1x2thr  2x1thr  gain | torch img/s: "
              "1x2thr  2x1thr | allreduce ms  wait ms  hidden  hidden(e2e) | load 1-min")
    print(header)
    print("-" * len(header))
    for name in names:
        use_torch = not args.no_torch and _has_torch_twin(name)
        jobs = {"single": [], "ddp": [], "torch-single": [], "torch-ddp": []}
        for _ in range(args.rounds):
            for kind in jobs:
                if use_torch or not kind.startswith("torch"):
                    jobs[kind].append(run_job(args, kind, name))
        med = lambda rows, key: statistics.median(r[key] for r in rows)  # noqa: E731
        ips = {kind: args.batch / med(rows, "step_s") if rows else float("nan")
               for kind, rows in jobs.items()}
        ddps = jobs["ddp"]
        allreduce, wait = med(ddps, "allreduce_s"), med(ddps, "wait_s")
        blocking, overlapped, local = (med(ddps, k) for k in ("blocking_s", "step_s",
                                                               "local_s"))
        e2e = (blocking - overlapped) / (blocking - local) if blocking > local else float("nan")
        loads = [v for rows in jobs.values() for r in rows for v in r["load"]]
        print("%-9s %7.2f %4d | %22.0f %7.0f %4.2fx | %19.0f %7.0f | %12.2f %8.2f  %5.0f%%  "
              "%10.0f%% | %.1f-%.1f"
              % (name, ddps[0]["grad_bytes"] / 1e6, ddps[0]["buckets"], ips["single"],
                 ips["ddp"], ips["ddp"] / ips["single"], ips["torch-single"], ips["torch-ddp"],
                 allreduce * 1e3, wait * 1e3,
                 100 * (1 - wait / allreduce) if allreduce > 0 else float("nan"),
                 100 * e2e, min(loads), max(loads)), flush=True)


def _has_torch_twin(name: str) -> bool:
    try:
        return torch_model(name) is not None
    except ImportError:   # no torch
        return False


if __name__ == "__main__":
    main()
