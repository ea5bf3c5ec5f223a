"""The data-parallel checks, run by test_mpi.py as `mpiexec -n 2 python mpi_worker.py OUT`.

Each check runs on every rank; the ranks then agree on its outcome, and rank 0 writes
{check name: {"ok": bool, "error": text, ...measurements}} as JSON to OUT, which the
pytest side asserts on one test per check. References are computed in the same run:
one process on the whole global batch (rank 0 computes it while rank 1 waits).
"""
import copy
import json
import sys
import traceback

import numpy as np

import fastconv
import fastconv.distributed as dist
import fastconv.functional as F
from fastconv import nn, optim
from fastconv.data import DataLoader, FashionMNIST, TensorDataset

CHECKS = {}
STEPS, GLOBAL_BATCH = 50, 64


def check(fn):
    CHECKS[fn.__name__] = fn
    return fn


def flat_params(module):
    return np.concatenate([p._data.ravel().astype(np.float64) for p in module.parameters()])


def fashion_batches(dtype, count, batch):
    """`count` global batches of `batch` shipped-subset images (a fixed shuffled order)."""
    data = FashionMNIST(normalize=True)
    order = np.random.default_rng(0).permutation(len(data))[:count * batch]
    images = data.data[order].astype(dtype)
    labels = data.targets[order].astype(np.int64)
    return [(images[i * batch:(i + 1) * batch], labels[i * batch:(i + 1) * batch])
            for i in range(count)]


def step(model, opt, x, y):
    loss = F.cross_entropy(model(fastconv.from_numpy(x)), fastconv.from_numpy(y))
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.item())


def compare_lenet(dtype):
    """2 ranks x 32 against 1 process x 64, 50 steps of SGD: the largest parameter
    difference, and whether the ranks were bit-identical after every step."""
    rank, world = dist.get_rank(), dist.get_world_size()
    fastconv.manual_seed(100 + rank)      # different weights on each rank before wrapping
    model = fastconv.models.lenet5()
    model = model.double() if dtype == np.float64 else model
    ddp = dist.DistributedDataParallel(model, bucket_mb=0.02)
    reference = copy.deepcopy(ddp.module)                   # rank 0's weights, on every rank
    events = []
    reducer = ddp.reducer
    launch = reducer._launch_ready

    def logged_launch():
        before = reducer._next_launch
        launch()
        if reducer._next_launch != before or reducer._next_launch == 0:
            events.append("launch")
    reducer._launch_ready = logged_launch
    ddp.module[0].weight.register_post_accumulate_grad_hook(
        lambda p: events.append("conv1.weight ready"))
    opt = optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)
    identical = True
    half = GLOBAL_BATCH // world
    batches = fashion_batches(dtype, STEPS, GLOBAL_BATCH)
    for x, y in batches:
        step(ddp, opt, x[rank * half:(rank + 1) * half], y[rank * half:(rank + 1) * half])
        everyone = dist.all_gather_array(flat_params(ddp.module))
        identical &= all(np.array_equal(everyone[0], row) for row in everyone[1:])
    result = {"identical_every_step": bool(identical), "buckets": len(reducer.buckets),
              "launch_before_conv1_grad": events.index("launch")
              < events.index("conv1.weight ready"),
              "reductions": reducer.stats.reductions}
    if rank == 0:
        ref_opt = optim.SGD(reference.parameters(), lr=0.01, momentum=0.9)
        for x, y in batches:
            step(reference, ref_opt, x, y)
        a, b = flat_params(ddp.module), flat_params(reference)
        result["max_abs_diff"] = float(np.abs(a - b).max())
        result["max_abs_param"] = float(np.abs(b).max())
    dist.barrier()
    return result


@check
def lenet_float64():
    return compare_lenet(np.float64)


@check
def lenet_float32():
    return compare_lenet(np.float32)


@check
def progress_thread_changes_nothing_but_timing():
    """The same steps with the progress thread (default) and without it (allreduces then
    advance only when hooks test them): bit-identical parameters."""
    rank = dist.get_rank()
    finals = []
    for progress in (True, False):
        fastconv.manual_seed(1)
        ddp = dist.DistributedDataParallel(fastconv.models.lenet5(), bucket_mb=0.01,
                                           progress_thread=progress)
        opt = optim.SGD(ddp.parameters(), lr=0.05, momentum=0.9)
        for x, y in fashion_batches(np.float32, 5, 32):
            step(ddp, opt, x[rank * 16:(rank + 1) * 16], y[rank * 16:(rank + 1) * 16])
        finals.append(flat_params(ddp.module))
        threaded = ddp.reducer.progress is not None
        if progress:
            with_thread = threaded
    return {"identical": bool(np.array_equal(*finals)), "thread_used": with_thread,
            "thread_off": not threaded}


@check
def no_sync_accumulates_then_averages_once():
    rank = dist.get_rank()
    fastconv.manual_seed(7)
    model = fastconv.models.lenet5().double()
    ddp = dist.DistributedDataParallel(model, bucket_mb=0.05)
    reference = copy.deepcopy(ddp.module)
    (x1, y1), (x2, y2) = fashion_batches(np.float64, 2, 16)
    mine = slice(rank * 8, rank * 8 + 8)
    with ddp.no_sync():
        F.cross_entropy(ddp(fastconv.from_numpy(x1[mine])), fastconv.from_numpy(y1[mine])).backward()
    after_no_sync = ddp.reducer.stats.reductions
    F.cross_entropy(ddp(fastconv.from_numpy(x2[mine])), fastconv.from_numpy(y2[mine])).backward()
    grads = np.concatenate([p.grad._data.ravel() for p in ddp.parameters()])
    everyone = dist.all_gather_array(grads)
    result = {"reductions_in_no_sync": after_no_sync,
              "reductions_after": ddp.reducer.stats.reductions,
              "ranks_equal": bool(np.array_equal(everyone[0], everyone[1]))}
    # one process: the mean-of-means over both micro-batches of both ranks
    for xs, ys in ((x1, y1), (x2, y2)):
        for r in range(2):
            part = slice(r * 8, r * 8 + 8)
            (F.cross_entropy(reference(fastconv.from_numpy(xs[part])),
                             fastconv.from_numpy(ys[part])) / 2).backward()
    expected = np.concatenate([p.grad._data.ravel() for p in reference.parameters()])
    result["max_abs_diff"] = float(np.abs(grads - expected).max())
    return result


@check
def sync_batchnorm_matches_batchnorm_on_the_global_batch():
    rank = dist.get_rank()
    fastconv.manual_seed(3)
    single = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                           nn.Flatten(), nn.Linear(8 * 6 * 6, 5)).double()
    synced = nn.SyncBatchNorm.convert_sync_batchnorm(copy.deepcopy(single))
    kinds = [type(m).__name__ for m in synced]
    ddp = dist.DistributedDataParallel(synced, bucket_mb=0.001)
    rng = np.random.default_rng(11)
    x = rng.standard_normal((16, 3, 6, 6)) * 2 + 1
    y = rng.integers(0, 5, 16)
    opt_s = optim.SGD(single.parameters(), lr=0.1)
    opt_d = optim.SGD(ddp.parameters(), lr=0.1)
    mine = slice(rank * 8, rank * 8 + 8)
    out_diff = 0.0
    for _ in range(3):
        out = ddp(fastconv.from_numpy(x[mine]))
        F.cross_entropy(out, fastconv.from_numpy(y[mine])).backward()
        opt_d.step()
        opt_d.zero_grad()
        ref = single(fastconv.from_numpy(x))
        F.cross_entropy(ref, fastconv.from_numpy(y)).backward()
        opt_s.step()
        opt_s.zero_grad()
        out_diff = max(out_diff, float(np.abs(out._data - ref._data[mine]).max()))
    state_d, state_s = ddp.module.state_dict(), single.state_dict()
    diffs = {k: float(np.abs(state_d[k]._data.astype(np.float64)
                             - state_s[k]._data.astype(np.float64)).max()) for k in state_s}
    ddp.eval()                              # evaluation: plain BatchNorm on running stats
    with fastconv.no_grad():
        eval_diff = float(np.abs(ddp(fastconv.from_numpy(x))._data
                                 - single.eval()(fastconv.from_numpy(x))._data).max())
    return {"kinds": kinds, "same_keys": sorted(state_d) == sorted(state_s),
            "output_diff": out_diff, "state_diffs": diffs, "eval_diff": eval_diff}


@check
def sync_batch_norm_gradcheck_on_one_rank():
    """The forward/backward pair against finite differences (on MPI.COMM_SELF, where the
    statistics are this rank's own: perturbing one rank's input while the other's also
    moves would mix the two)."""
    from mpi4py import MPI
    from fastconv.autograd import gradcheck
    from fastconv.distributed import sync_batch_norm

    rng = np.random.default_rng(5 + dist.get_rank())
    checked = []
    for shape in ((3, 2, 2, 3), (5, 3)):
        x = fastconv.tensor(rng.standard_normal(shape), requires_grad=True,
                            dtype=fastconv.float64)
        w = fastconv.tensor(rng.standard_normal(shape[1]), requires_grad=True,
                            dtype=fastconv.float64)
        b = fastconv.tensor(rng.standard_normal(shape[1]), requires_grad=True,
                            dtype=fastconv.float64)
        fn = lambda x, w, b: sync_batch_norm(x, None, None, w, b, 0.1, 1e-5, MPI.COMM_SELF)
        checked.append(bool(gradcheck(fn, [x, w, b])))
    return {"checked": checked}


@check
def wrapping_broadcasts_rank0_weights_and_buffers():
    rank = dist.get_rank()
    fastconv.manual_seed(rank)
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    model[1].running_mean._data[...] = rank + 1
    before = dist.all_gather_array(flat_params(model))
    ddp = dist.DistributedDataParallel(model)
    after = dist.all_gather_array(np.concatenate([flat_params(ddp.module),
                                                  ddp.module[1].running_mean._data]))
    return {"differed_before": not np.array_equal(before[0], before[1]),
            "equal_after": bool(np.array_equal(after[0], after[1])),
            "running_mean": after[1][-3:].tolist()}


@check
def unused_parameters():
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.used, self.unused = nn.Linear(4, 4), nn.Linear(4, 2), nn.Linear(4, 2)

        def forward(self, x):
            return self.used(self.body(x))

    x = fastconv.randn(6, 4)
    ddp = dist.DistributedDataParallel(TwoHeads(), find_unused_parameters=True)
    for _ in range(2):
        ddp(x).sum().backward()
    found = ddp.reducer.stats.reductions
    strict = dist.DistributedDataParallel(TwoHeads())
    strict(x).sum().backward()
    try:
        strict(x)
        message = ""
    except RuntimeError as e:
        message = str(e)
    return {"reductions_with_detection": found, "error_without": message[:120]}


@check
def collectives_and_metrics():
    rank, world = dist.get_rank(), dist.get_world_size()
    t = fastconv.tensor([1.0, 2.0]) * (rank + 1)
    dist.all_reduce(t)
    a = np.arange(6.0).reshape(2, 3)[:, ::2] * (rank + 1)    # non-contiguous
    dist.all_reduce(a, op=dist.ReduceOp.MAX)
    m = np.full(3, float(rank), dtype=np.float32)
    dist.all_reduce(m, op="avg")
    b = fastconv.full((2,), float(rank))
    dist.broadcast(b, src=1)
    gathered = [fastconv.zeros(2, dtype=fastconv.int64) for _ in range(world)]
    dist.all_gather(gathered, fastconv.tensor([rank, 10 * rank]))
    work = dist.all_reduce(np.array([rank], dtype=np.int64), async_op=True)
    work.wait()
    from fastconv.train import EvalStats
    stats = dist.reduce_eval_stats(EvalStats(loss=1.0 + rank, accuracy=0.5 * rank,
                                             images=10 * (rank + 1), seconds=rank + 0.5))
    errors = []
    for call in (lambda: dist.all_reduce([1.0, 2.0]),
                 lambda: dist.all_reduce(np.zeros(2, np.int64), op=dist.ReduceOp.AVG),
                 lambda: dist.all_reduce(np.zeros(2), op="median"),
                 lambda: dist.broadcast(np.zeros(2), src=world),
                 lambda: dist.all_gather([np.zeros(2)], np.zeros(2))):
        try:
            call()
            errors.append("no error")
        except (TypeError, ValueError) as e:
            errors.append("%s: %s" % (type(e).__name__, e))
    return {"errors": errors,
            "sum": t.tolist(), "max": a.tolist(), "avg": m.tolist(), "bcast": b.tolist(),
            "gather": [g.tolist() for g in gathered],
            "mean": dist.all_reduce_mean(rank, weight=rank + 1),
            "stats": [stats.loss, stats.accuracy, stats.images, stats.seconds]}


@check
def sampler_shards_with_a_dataloader():
    rank = dist.get_rank()
    data = TensorDataset(np.arange(103))
    sampler = dist.DistributedSampler(data, shuffle=True, seed=5)
    loader = DataLoader(data, batch_size=10, sampler=sampler)
    epochs = []
    for epoch in range(2):
        sampler.set_epoch(epoch)
        seen = np.concatenate([b[0].numpy() for b in loader])
        epochs.append(dist.all_gather_array(seen).tolist())
    return {"epochs": epochs, "rank": rank}


@check
def training_processes_shard_and_reduce():
    """The pieces `fastconv train --distributed` uses."""
    from fastconv.distributed.training import TrainingProcesses
    from fastconv.train import EpochStats, EvalStats

    procs = TrainingProcesses(enabled=True)
    data = TensorDataset(np.arange(70.0), np.arange(70))
    train = procs.train_loader(DataLoader(data, batch_size=8, shuffle=True, seed=4))
    test = procs.test_loader(DataLoader(data, batch_size=16))
    procs.set_epoch(1)
    train_seen = np.concatenate([b[1].numpy() for b in train])
    batches = [len(b[1]) for b in train]
    test_seen = np.concatenate([b[1].numpy() for b in test])
    try:
        procs.batch_per_process(7)
        odd_batch = ""
    except ValueError as e:
        odd_batch = str(e)
    epoch = procs.reduce_epoch(EpochStats(loss=1.0 + procs.rank, images=35,
                                          seconds=1.0 + procs.rank))
    return {"rank": procs.rank, "world": procs.world, "local_world": procs.local_world,
            "batches": batches, "train": dist.all_gather_array(train_seen).tolist(),
            "test": sorted(np.concatenate([test_seen, _other(test_seen)]).tolist()),
            "odd_batch": odd_batch,
            "epoch": [epoch.loss, epoch.images, epoch.seconds],
            "describe": procs.describe()}


def _other(values):
    """The other rank's `values` (lengths may differ: gathered with padding)."""
    n = np.array([len(values)])
    sizes = dist.all_gather_array(n).ravel()
    padded = np.full(sizes.max(), -1, dtype=values.dtype)
    padded[:len(values)] = values
    rows = dist.all_gather_array(padded)
    other = 1 - dist.get_rank()
    return rows[other][:sizes[other]]


def main(out_path):
    dist.init()
    fastconv.set_num_threads(1)
    rank = dist.get_rank()
    results = {}
    for name, fn in CHECKS.items():
        try:
            detail, error = fn(), ""
        except Exception:
            detail, error = {}, traceback.format_exc()[-3000:]
        ok = np.array([0 if error else 1], dtype=np.int64)
        everyone = dist.all_gather_array(ok)
        if not everyone.all() and not error:
            error = "failed on rank(s) %s" % np.flatnonzero(everyone == 0).tolist()
        results[name] = dict(detail, ok=not error, error=error)
    if rank == 0:
        with open(out_path, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
