"""Nested checkpoints as a JSON index beside the arrays: no pickle, no code, only data.

A checkpoint such as {"net": model.state_dict(), "acc": 91.2, "epoch": 7,
"optimizer": opt.state_dict()} is split into arrays (stored as .npy members) and a JSON
tree that says where each value goes. The tree keeps what JSON alone would lose:
dict key types and order (optimizer state is keyed by int), tuples, and whether an
array leaf was a Tensor, a numpy array or a numpy scalar.

    {"dict": [[key, node], ...]}   a dict (keys: str, int, float, bool or None)
    {"list": [node, ...]}          a list
    {"tuple": [node, ...]}         a tuple
    {"tensor": member}             a fastconv Tensor (member: the array's name)
    {"ndarray": member}            a numpy array
    {"scalar": member}             a numpy scalar (np.float32(1.5), np.int64(3), ...)
    {"value": v}                   None, bool, int, finite float or str
    {"float": "nan"}               a non-finite float ("nan", "inf" or "-inf")
"""
import math
from typing import Any, Callable, Dict, List, Tuple

import numpy as np

from .._xp import is_cupy

_KEY_TYPES = (str, int, float, bool, type(None))


def flatten(obj: Any, is_tensor: Callable[[Any], bool], to_host: Callable[[Any], np.ndarray]
            ) -> Tuple[Any, Dict[str, np.ndarray]]:
    """(tree, arrays): obj as a JSON-able tree and the arrays it refers to by name."""
    arrays: Dict[str, np.ndarray] = {}

    def member(path: List[str], array: np.ndarray) -> str:
        base = "/".join(path) or "value"
        name, i = base, 1
        while name in arrays:
            i += 1
            name = "%s~%d" % (base, i)
        arrays[name] = array
        return name

    def walk(value: Any, path: List[str], seen: Tuple[int, ...]) -> Any:
        if is_tensor(value):
            return {"tensor": member(path, to_host(value))}
        if isinstance(value, np.ndarray) or is_cupy(value):
            return {"ndarray": member(path, to_host(value))}
        if isinstance(value, np.generic):
            return {"scalar": member(path, np.asarray(value))}
        if value is None or isinstance(value, (bool, int, str)):
            return {"value": value}
        if isinstance(value, float):
            return {"value": value} if math.isfinite(value) else {"float": repr(value)}
        if id(value) in seen:
            raise ValueError("save: the object refers to itself at %s" % _where(path))
        inner = seen + (id(value),)
        if isinstance(value, dict):
            items = []
            for key, item in value.items():
                if not isinstance(key, _KEY_TYPES):
                    raise TypeError("save: dict keys must be str, int, float, bool or None, "
                                    "got %s at %s" % (type(key).__name__, _where(path)))
                items.append([key, walk(item, path + [str(key)], inner)])
            return {"dict": items}
        if isinstance(value, (list, tuple)):
            kind = "list" if isinstance(value, list) else "tuple"
            return {kind: [walk(item, path + [str(i)], inner) for i, item in enumerate(value)]}
        raise TypeError("save: cannot store a %s at %s without pickle (checkpoints hold "
                        "tensors, arrays, numbers, strings, None, and dicts, lists and "
                        "tuples of them)" % (type(value).__name__, _where(path)))

    return walk(obj, [], ()), arrays


def unflatten(tree: Any, arrays: Dict[str, np.ndarray], make_tensor: Callable[[np.ndarray], Any]
              ) -> Any:
    """The object flatten() took apart. A malformed tree raises ValueError."""
    def build(node: Any, depth: int) -> Any:
        if depth > 1000:
            raise ValueError("checkpoint index nests deeper than 1000 levels")
        if not isinstance(node, dict) or len(node) != 1:
            raise ValueError("malformed checkpoint index node %r" % (_short(node),))
        (kind, body), = node.items()
        if kind in ("tensor", "ndarray", "scalar"):
            if not isinstance(body, str) or body not in arrays:
                raise ValueError("checkpoint index refers to a missing array %r"
                                 % (_short(body),))
            array = arrays[body]
            if kind == "tensor":
                return make_tensor(array)
            return array if kind == "ndarray" else array[()]
        if kind == "value":
            if body is not None and not isinstance(body, (bool, int, float, str)):
                raise ValueError("malformed checkpoint value %r" % (_short(body),))
            return body
        if kind == "float":
            if body not in ("nan", "inf", "-inf"):
                raise ValueError("malformed checkpoint float %r" % (_short(body),))
            return float(body)
        if kind == "dict":
            out = {}
            for pair in _sequence(body):
                if not isinstance(pair, list) or len(pair) != 2 \
                        or not isinstance(pair[0], _KEY_TYPES):
                    raise ValueError("malformed checkpoint dict entry %r" % (_short(pair),))
                out[pair[0]] = build(pair[1], depth + 1)
            return out
        if kind == "list":
            return [build(item, depth + 1) for item in _sequence(body)]
        if kind == "tuple":
            return tuple(build(item, depth + 1) for item in _sequence(body))
        raise ValueError("unknown checkpoint index node kind %r" % (_short(kind),))

    return build(tree, 0)


def _sequence(body: Any) -> list:
    if not isinstance(body, list):
        raise ValueError("malformed checkpoint index: expected a list, got %r" % (_short(body),))
    return body


def _where(path: List[str]) -> str:
    return "[" + "][".join(repr(p) for p in path) + "]" if path else "the top level"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
