"""Every backend provides every kernel of the contract, with the contract's parameters."""
import inspect

import pytest

from fastconv import _cpu, ops
from fastconv.backends import cuda, generic
from fastconv.ops._contract import KERNELS

BACKENDS = {"native": _cpu, "generic": generic, "cuda": cuda}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_backend_defines_kernel_with_contract_parameters(backend, kernel):
    module = BACKENDS[backend]
    assert hasattr(module, kernel), "%s backend lacks %s" % (backend, kernel)
    params = tuple(inspect.signature(getattr(module, kernel)).parameters)
    assert params == KERNELS[kernel]


def test_generic_exports_exactly_the_contract():
    assert sorted(generic.__all__) == sorted(KERNELS)


def test_ops_reaches_native_code_only_through_dispatch():
    """No module of fastconv outside the binding and dispatch layers imports _cpu's
    kernels (the CLI's `info` reads build facts only)."""
    import pathlib
    root = pathlib.Path(ops.__file__).parent.parent
    allowed = {"ops/_dispatch.py", "cli.py", "bench.py", "_caps.py", "_threads.py"}
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root).as_posix()
        if rel in allowed:
            continue
        text = path.read_text()
        if "import _cpu" in text or "_cpu." in text:
            offenders.append(rel)
    assert offenders == []
