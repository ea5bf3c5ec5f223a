"""DataLoader with worker processes: order, seeding, errors raised in the parent with the
worker's traceback, dead and slow workers, and clean shutdown. Datasets are tiny."""
import gc
import os
import time

import numpy as np
import pytest

import fastconv
import fastconv.data.transforms as T
from fastconv.data import DataLoader, FashionMNIST, TensorDataset, get_worker_info


class Items:
    """Item i is (i as a float array, i); optional faults for index `bad`."""

    def __init__(self, n=20, bad=None, fault=None):
        self.n, self.bad, self.fault = n, bad, fault

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            if self.fault == "raise":
                raise_from_a_named_function(i)
            if self.fault == "exit":
                os._exit(3)
            if self.fault == "sleep":
                time.sleep(1.0)
            if self.fault == "local":
                class LocalError(Exception):
                    pass
                raise LocalError("a local exception type")
            if self.fault == "key":
                raise KeyError("missing %d" % i)
        return np.full((2,), i, np.float32), i


def raise_from_a_named_function(i):
    raise ValueError("item %d is broken" % i)


class Draws:
    """Item i is (a draw from fastconv's generator, the worker's id)."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        info = get_worker_info()
        return fastconv.random.generator().random(), -1 if info is None else info.id


def labels(loader):
    return [int(v) for _, y in loader for v in y.numpy()]


def alive(processes):
    return [p for p in processes if p.is_alive()]


def test_batches_come_back_in_order():
    loader = DataLoader(Items(23), batch_size=3, num_workers=2)
    assert labels(loader) == list(range(23))
    x, y = next(iter(loader))
    assert isinstance(x, fastconv.Tensor) and tuple(x.shape) == (3, 2)


def test_shuffle_matches_the_single_process_loader():
    def run(workers):
        fastconv.manual_seed(0)
        loader = DataLoader(Items(30), batch_size=4, shuffle=True, num_workers=workers,
                            drop_last=True)
        return [labels(loader) for _ in range(2)]

    single = run(0)
    assert run(2) == single and single[0] != single[1]
    seeded = DataLoader(Items(30), batch_size=4, shuffle=True, seed=5, num_workers=2)
    assert labels(seeded) == labels(DataLoader(Items(30), batch_size=4, shuffle=True, seed=5))


def test_workers_are_seeded_reproducibly_and_differently():
    def run():
        fastconv.manual_seed(1)
        return [(x.tolist(), w.tolist()) for x, w in DataLoader(Draws(), batch_size=2,
                                                               num_workers=3)]

    first, again = run(), run()
    assert first == again
    workers = [w for _, ws in first for w in ws]
    assert workers == [0, 0, 1, 1, 2, 2] * 2
    draws = [d for ds, _ in first for d in ds]
    assert len(set(draws)) == len(draws)   # no two workers repeat each other's stream
    assert get_worker_info() is None


def test_batched_random_transform_in_workers_is_reproducible():
    ds = FashionMNIST(train=False, transform=T.RandomAffine(15, translate=(0.1, 0.1)))

    def run():
        fastconv.manual_seed(3)
        loader = DataLoader(ds, batch_size=100, num_workers=2, shuffle=True)
        return np.concatenate([x.numpy() for x, _ in loader])

    a, b = run(), run()
    np.testing.assert_array_equal(a, b)
    assert a.shape == (1000, 1, 28, 28)


def test_worker_init_fn_runs_in_each_worker(tmp_path):
    def init(worker_id):
        info = get_worker_info()
        (tmp_path / ("w%d" % worker_id)).write_text("%d %d" % (info.id, info.num_workers))

    assert labels(DataLoader(Items(6), batch_size=2, num_workers=2, worker_init_fn=init)) \
        == list(range(6))
    assert sorted(p.read_text() for p in tmp_path.iterdir()) == ["0 2", "1 2"]


def test_an_exception_in_a_worker_is_raised_with_its_traceback():
    loader = DataLoader(Items(20, bad=13, fault="raise"), batch_size=2, num_workers=2)
    it = iter(loader)
    seen = []
    with pytest.raises(ValueError) as info:
        for _, y in it:
            seen.extend(y.tolist())
    message = str(info.value)
    assert seen == list(range(12))   # every batch before the bad one, in order
    assert "Caught ValueError in DataLoader worker process 0" in message
    assert "raise_from_a_named_function" in message and "item 13 is broken" in message
    workers = list(it._workers)
    del it, info   # the traceback refers to the iterator too
    gc.collect()
    assert not alive(workers)


@pytest.mark.parametrize("fault, error, text", [
    ("key", KeyError, "missing 3"), ("local", RuntimeError, "a local exception type")])
def test_exception_types(fault, error, text):
    with pytest.raises(error, match=text):
        list(DataLoader(Items(6, bad=3, fault=fault), batch_size=2, num_workers=1))


def test_worker_init_fn_error_is_raised():
    def init(worker_id):
        raise OSError("no device for worker %d" % worker_id)

    with pytest.raises(OSError, match="no device for worker 0"):
        list(DataLoader(Items(4), batch_size=2, num_workers=1, worker_init_fn=init))


def test_a_worker_that_dies_is_reported():
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(DataLoader(Items(8, bad=5, fault="exit"), batch_size=2, num_workers=2))


def test_timeout():
    loader = DataLoader(Items(4, bad=0, fault="sleep"), batch_size=2, num_workers=1,
                        timeout=0.2)
    with pytest.raises(RuntimeError, match="timed out after 0.2 seconds"):
        next(iter(loader))


def test_workers_stop_when_exhausted_or_deleted():
    loader = DataLoader(Items(12), batch_size=2, num_workers=2)
    it = iter(loader)
    workers = list(it._workers)
    assert len(alive(workers)) == 2
    assert len(list(it)) == 6
    assert not alive(workers)
    it = iter(loader)
    next(it)
    workers = list(it._workers)
    del it
    gc.collect()
    assert not alive(workers)


def test_persistent_workers_survive_epochs_and_drop_stale_batches():
    loader = DataLoader(Items(16), batch_size=2, num_workers=2, persistent_workers=True,
                        prefetch_factor=3)
    it = iter(loader)
    next(it)   # stop early: batches of this epoch are still in flight
    pids = [p.pid for p in it._workers]
    assert labels(loader) == list(range(16))
    assert labels(loader) == list(range(16))
    assert [p.pid for p in loader._iterator._workers] == pids
    workers = list(loader._iterator._workers)
    del loader, it
    gc.collect()
    assert not alive(workers)


def test_custom_collate_in_workers_sends_tensors():
    def collate(items):
        return fastconv.from_numpy(np.stack([x for x, _ in items]) * 2)

    out = list(DataLoader(Items(4), batch_size=2, num_workers=2, collate_fn=collate))
    assert isinstance(out[1], fastconv.Tensor)
    np.testing.assert_array_equal(out[1].numpy()[:, 0], [4, 6])


def test_spawn_context():
    ds = TensorDataset(np.arange(10, dtype=np.float32), np.arange(10))
    loader = DataLoader(ds, batch_size=4, num_workers=1, multiprocessing_context="spawn")
    assert labels(loader) == list(range(10))
