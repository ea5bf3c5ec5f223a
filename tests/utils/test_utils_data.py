"""fastconv.utils.data as training scripts use torch.utils.data: the names, the
DataLoader's keywords (checked against torch's where installed), and a script written
the way PyTorch's "Training a classifier" tutorial writes its data pipeline."""
import inspect

import pytest

import fastconv
import fastconv.data.transforms as transforms
import fastconv.utils.data
from fastconv.data.transforms import bench

NAMES = ["Dataset", "DataLoader", "TensorDataset", "Subset", "random_split", "ConcatDataset",
         "default_collate", "Sampler", "RandomSampler", "SequentialSampler", "BatchSampler",
         "SubsetRandomSampler", "get_worker_info", "default_convert"]


def test_names_are_there_and_reachable_as_attributes():
    for name in NAMES:
        assert hasattr(fastconv.utils.data, name), name
    assert fastconv.utils.data.DataLoader is fastconv.data.DataLoader


def test_names_and_keywords_match_torch():
    torch_data = pytest.importorskip("torch.utils.data")
    for name in NAMES:
        assert hasattr(torch_data, name), name
    ours = inspect.signature(fastconv.utils.data.DataLoader).parameters
    theirs = inspect.signature(torch_data.DataLoader).parameters
    missing = [p for p in theirs if p not in ours]
    assert missing == []
    positional = [p for p, v in theirs.items() if v.kind == v.POSITIONAL_OR_KEYWORD]
    assert list(ours)[:len(positional)] == positional
    for p in positional:
        assert ours[p].default == theirs[p].default or p == "generator", p


def test_tutorial_style_pipeline():
    """Shaped like the tutorial: Compose(ToTensor, Normalize), a dataset with
    transform=, torch.utils.data.DataLoader(..., shuffle=True, num_workers=2)."""
    torch = fastconv
    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((0.5,), (0.5,))])
    trainset = torch.data.FashionMNIST(train=False, transform=transform)
    trainloader = torch.utils.data.DataLoader(trainset, batch_size=4, shuffle=True,
                                              num_workers=2)
    torch.manual_seed(0)
    dataiter = iter(trainloader)
    images, labels = next(dataiter)
    assert tuple(images.shape) == (4, 1, 28, 28) and tuple(labels.shape) == (4,)
    del dataiter
    raw = torch.data.FashionMNIST(train=False)
    lo, hi = float(images.numpy().min()), float(images.numpy().max())
    assert -1.0 <= lo and hi <= 1.0   # (x - 0.5) / 0.5 of pixels in [0, 1]
    seen = set()
    for i, (inputs, targets) in enumerate(trainloader):
        seen.update(targets.tolist())
        if i == 20:
            break
    assert seen <= set(range(10)) and len(seen) > 3
    assert len(trainloader) == len(raw) // 4


def test_transforms_bench_runs():
    rows = bench.run(batch=4, repeats=1)
    assert len(rows) == len(bench.cases(4))
    for r in rows:
        assert r["batched_ms"] > 0 and r["loop_ms"] > 0
