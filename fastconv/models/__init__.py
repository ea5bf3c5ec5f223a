"""fastconv.models: ready-made networks."""
from .lenet import lenet5

__all__ = ["lenet5"]
