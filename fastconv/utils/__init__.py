"""fastconv.utils: torch.utils's namespaces that training scripts import (utils.data)."""
from . import data

__all__ = ["data"]
