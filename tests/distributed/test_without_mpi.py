"""What works in one process without MPI: importing, the errors before init(), the
sampler's shards (against torch's DistributedSampler), SyncBatchNorm as BatchNorm."""
import copy
import subprocess
import sys

import numpy as np
import pytest

import fastconv
import fastconv.distributed as dist
from fastconv import nn


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


def test_importing_fastconv_never_starts_mpi():
    proc = _python("import sys, fastconv, fastconv.distributed, fastconv.nn\n"
                   "print('mpi4py' in sys.modules)")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_missing_mpi4py_gives_an_error_naming_the_extra():
    proc = _python("import sys; sys.modules['mpi4py'] = None\n"
                   "import fastconv.distributed as dist\n"
                   "assert not dist.is_available()\n"
                   "print(dist.mpi_status())\n"
                   "try:\n    dist.init()\nexcept ImportError as e:\n    print(e)\n")
    assert proc.returncode == 0, proc.stderr
    status, error = proc.stdout.splitlines()
    assert status == "unavailable: mpi4py is not installed (pip install 'fastconv[mpi]')"
    assert "pip install 'fastconv[mpi]'" in error


def test_functions_that_need_init_say_so():
    if dist.is_initialized():
        pytest.skip("initialised by another test in this process")
    with pytest.raises(RuntimeError, match="init"):
        dist.get_rank()
    with pytest.raises(RuntimeError, match="num_replicas and rank"):
        dist.DistributedSampler(range(10))


@pytest.mark.parametrize("n, replicas", [(10, 2), (10, 3), (11, 4), (2, 3), (7, 1)])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_shards_equal_torchs_in_order(n, replicas, drop_last):
    torch = pytest.importorskip("torch")
    from torch.utils.data.distributed import DistributedSampler as TorchSampler

    for rank in range(replicas):
        ours = dist.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                       drop_last=drop_last)
        theirs = TorchSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(theirs)
        assert len(ours) == len(theirs) == ours.num_samples
        assert ours.total_size == theirs.total_size
    del torch


@pytest.mark.parametrize("n, replicas", [(100, 4), (103, 4), (5, 8)])
def test_shuffled_shards_are_one_permutation_split(n, replicas):
    shards = [dist.DistributedSampler(range(n), replicas, r, seed=3).index_array()
              for r in range(replicas)]
    together = np.concatenate(shards)
    assert all(len(s) == -(-n // replicas) for s in shards)
    assert sorted(set(together.tolist())) == list(range(n))        # covers the set
    assert len(together) == len(set(together.tolist())) + (-n) % replicas  # torch's padding
    dropped = [dist.DistributedSampler(range(n), replicas, r, seed=3, drop_last=True)
               .index_array() for r in range(replicas)]
    flat = np.concatenate(dropped)
    assert len(flat) == len(set(flat.tolist())) == n - n % replicas   # disjoint


def test_set_epoch_reshuffles_and_seed_reproduces():
    a = dist.DistributedSampler(range(50), 2, 0, seed=1)
    first = list(a)
    assert list(a) == first                          # same epoch, same order
    a.set_epoch(1)
    assert list(a) != first
    b = dist.DistributedSampler(range(50), 2, 0, seed=1)
    b.set_epoch(1)
    assert list(a) == list(b)
    with pytest.raises(TypeError, match="epoch"):
        a.set_epoch(1.5)


def test_sampler_rejects_bad_arguments():
    with pytest.raises(ValueError, match="Invalid rank 2"):
        dist.DistributedSampler(range(4), 2, 2)
    with pytest.raises(ValueError, match="num_replicas"):
        dist.DistributedSampler(range(4), 0, 0)
    with pytest.raises(TypeError, match="rank"):
        dist.DistributedSampler(range(4), 2, 0.5)


def test_eval_shard_has_no_padding():
    parts = [dist.eval_shard(range(11), 3, r) for r in range(3)]
    seen = sorted(i for part in parts for i in part)
    assert seen == list(range(11))


def test_sync_batchnorm_in_one_process_is_batchnorm(rng):
    fastconv.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 4, 3), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.Sequential(nn.BatchNorm2d(4)))
    synced = nn.SyncBatchNorm.convert_sync_batchnorm(copy.deepcopy(model))
    assert [type(m).__name__ for m in synced] == ["Conv2d", "SyncBatchNorm", "ReLU",
                                                  "Sequential"]
    assert type(synced[3][0]).__name__ == "SyncBatchNorm"
    assert list(synced.state_dict()) == list(model.state_dict())
    x = fastconv.tensor(rng.standard_normal((5, 2, 6, 6)).astype(np.float32))
    for _ in range(2):
        a, b = model(x), synced(x)
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model[1].running_var.numpy(), synced[1].running_var.numpy(),
                               rtol=1e-6)


def test_convert_sync_batchnorm_shares_parameters_and_loads_torch_state():
    bn = nn.BatchNorm2d(3)
    synced = dist.convert_sync_batchnorm(bn)
    assert isinstance(synced, nn.SyncBatchNorm)
    assert synced.weight is bn.weight and synced.running_mean is bn.running_mean
    torch = pytest.importorskip("torch")
    reference = torch.nn.SyncBatchNorm(3)
    with torch.no_grad():
        reference.running_mean.fill_(0.5)
    synced.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
    np.testing.assert_array_equal(synced.running_mean.numpy(), np.full(3, 0.5, np.float32))


def test_ddp_rejects_bad_arguments_before_communicating():
    with pytest.raises(TypeError, match="fastconv.nn.Module"):
        dist.DistributedDataParallel(object())
    with pytest.raises(ValueError, match="bucket_cap_mb"):
        dist.DistributedDataParallel(nn.Linear(2, 2), bucket_mb=0)


def test_training_processes_for_one_process_change_nothing():
    from fastconv.data import DataLoader, TensorDataset
    from fastconv.distributed.training import TrainingProcesses
    from fastconv.train import EpochStats, EvalStats

    procs = TrainingProcesses(enabled=False)
    assert (procs.rank, procs.world, procs.is_main) == (0, 1, True)
    model = nn.Linear(2, 2)
    loader = DataLoader(TensorDataset(np.zeros((6, 2))), batch_size=3, shuffle=True, seed=1)
    assert procs.wrap(model) is model
    assert procs.train_loader(loader) is loader and procs.test_loader(loader) is loader
    assert procs.default_threads() is None and procs.batch_per_process(7) == 7
    stats = EpochStats(loss=1.0, images=6, seconds=0.5)
    assert procs.reduce_epoch(stats) is stats
    test = EvalStats(loss=1.0, accuracy=0.5, images=6, seconds=0.1)
    assert procs.reduce_eval(test) is test
    procs.set_epoch(3)
    from fastconv.distributed.training import abort_after_failure
    abort_after_failure(2)      # not initialised: nothing to abort
