"""One SGD training step of LeNet-5 (batch 64 and 256) and a small VGG (batch 64)."""
import pytest

from fastconv.bench import NETWORK_CASES, fastconv_train_step, torch_train_step


@pytest.mark.parametrize("label,net,batch,shape", NETWORK_CASES,
                         ids=[c[0] for c in NETWORK_CASES])
def test_train_step(benchmark, label, net, batch, shape, impl, threads):
    make = fastconv_train_step if impl == "fastconv" else torch_train_step
    step = make(net, batch, shape)
    benchmark.group = "%s %dthr" % (label, threads)
    benchmark(step)
