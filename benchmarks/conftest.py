"""Shared parameters of the benchmark suites: thread counts and implementations."""
import pytest

THREADS = [1, 2]


@pytest.fixture(params=THREADS, ids=lambda t: "%dthr" % t)
def threads(request):
    """Set both libraries to the same thread count for one benchmark."""
    import fastconv
    previous = fastconv.get_num_threads()
    fastconv.set_num_threads(request.param)
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch_previous = torch.get_num_threads()
        torch.set_num_threads(request.param)
    yield request.param
    fastconv.set_num_threads(previous)
    if torch is not None:
        torch.set_num_threads(torch_previous)


@pytest.fixture(params=["fastconv", "torch"])
def impl(request):
    """Which library a benchmark times; torch cases skip where PyTorch is not installed."""
    if request.param == "torch":
        pytest.importorskip("torch")
    return request.param
