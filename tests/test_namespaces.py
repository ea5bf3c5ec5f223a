"""The torch namespaces that ported scripts touch first: device, cuda, accelerator,
backends.cudnn, Generator."""
import numpy as np
import pytest

import fastconv
from fastconv.data import DataLoader, TensorDataset, random_split


def test_device_parses_and_compares_as_torch():
    torch = pytest.importorskip("torch")
    for spec in ("cpu", "cuda", "cuda:1"):
        ours, theirs = fastconv.device(spec), torch.device(spec)
        assert (ours.type, ours.index) == (theirs.type, theirs.index)
        assert str(ours) == str(theirs) and repr(ours) == repr(theirs)
        assert ours == spec and ours == fastconv.device(spec)
    assert fastconv.device("cuda", 1) == "cuda:1"
    assert fastconv.device("cpu") != "cuda"
    assert len({fastconv.device("cpu"), fastconv.device("cpu")}) == 1
    with pytest.raises(RuntimeError, match="Expected one of cpu, cuda"):
        fastconv.device("tpu")
    with pytest.raises(ValueError, match="index"):
        fastconv.device("cuda", -1)


def test_cuda_and_accelerator_report_no_gpu_consistently():
    available = fastconv.cuda.is_available()
    assert fastconv.accelerator.is_available() == available
    if not available:
        assert fastconv.cuda.device_count() == 0
        assert fastconv.accelerator.current_accelerator() is None
        fastconv.cuda.synchronize()          # harmless without a GPU
        fastconv.cuda.manual_seed_all(0)
    device = fastconv.device("cuda" if fastconv.cuda.is_available() else "cpu")
    assert device.type in ("cpu", "cuda")


def test_cudnn_flags_are_settable():
    fastconv.backends.cudnn.benchmark = True
    fastconv.backends.cudnn.deterministic = True
    assert fastconv.backends.cudnn.benchmark and not fastconv.backends.cudnn.is_available()
    fastconv.backends.cudnn.benchmark = False
    fastconv.backends.cudnn.deterministic = False


def test_generator_seeds_loaders_and_splits_reproducibly():
    data = TensorDataset(np.arange(20.0))
    a = [b[0].numpy().tolist() for b in DataLoader(
        data, batch_size=5, shuffle=True, generator=fastconv.Generator().manual_seed(42))]
    b = [b[0].numpy().tolist() for b in DataLoader(
        data, batch_size=5, shuffle=True, generator=fastconv.Generator().manual_seed(42))]
    assert a == b and sorted(sum(a, [])) == list(range(20))
    parts = random_split(data, [0.5, 0.5], generator=fastconv.Generator().manual_seed(1))
    again = random_split(data, [0.5, 0.5], generator=fastconv.Generator().manual_seed(1))
    assert list(parts[0].indices) == list(again[0].indices)
    g = fastconv.Generator()
    assert g.manual_seed(7) is g and g.initial_seed() == 7
    state = g.get_state()
    first = g.numpy_generator.random()
    g.set_state(state)
    assert g.numpy_generator.random() == first
    with pytest.raises(ValueError, match="seed"):
        g.manual_seed(-1)
