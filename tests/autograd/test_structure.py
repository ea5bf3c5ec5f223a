"""The autograd package's shape: no import cycles between its modules, and Tensor's methods
defined in class bodies (mixins), where readers and type checkers find them."""
import ast
import inspect
import pathlib

import fastconv.autograd as fca
from fastconv.autograd.tensor_base import TensorBase

PACKAGE = pathlib.Path(fca.__file__).parent


def _local_imports(path: pathlib.Path):
    """Names of the sibling modules that `path` imports (relative imports, level 1)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                names.add(node.module.split(".")[0])
            else:
                names.update(alias.name for alias in node.names)
    return names


def test_the_modules_of_autograd_import_each_other_without_cycles():
    graph = {p.stem: _local_imports(p) for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    done, visiting = set(), []

    def visit(name):
        if name in done:
            return
        assert name not in visiting, "import cycle: %s" % " -> ".join(visiting + [name])
        visiting.append(name)
        for dep in sorted(graph.get(name, ())):
            visit(dep)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
    assert "tensor" not in graph["function"] and "tensor" not in graph["tensor_base"]


def test_tensor_methods_live_in_class_bodies():
    """Every public method of Tensor is an attribute of a class in its MRO, defined in the
    source of one of the autograd modules (nothing attached from outside at import)."""
    owners = {}
    for cls in fca.Tensor.__mro__[:-1]:
        for name in vars(cls):
            owners.setdefault(name, cls)
    for name in ("__add__", "__mul__", "__getitem__", "__setitem__", "sum", "reshape",
                 "matmul", "add_", "to", "numpy", "backward", "exp", "max"):
        cls = owners[name]
        assert cls.__module__.startswith("fastconv.autograd."), (name, cls)
        assert name in inspect.getsource(cls), (name, cls)
    assert issubclass(fca.Tensor, TensorBase)


def test_ops_on_a_tensor_subclass_return_plain_tensors():
    class Sub(fca.Tensor):
        __slots__ = ()

    s = Sub(fca.tensor([1.0, 2.0]).numpy(), requires_grad=True)
    out = s * 2
    assert type(out) is fca.Tensor and type(s.detach()) is fca.Tensor
    out.sum().backward()
    assert type(s.grad) is fca.Tensor
