"""Embedding: a lookup table of learned vectors, one row per integer id."""
from typing import Optional

from .. import functional as F
from ..autograd import Tensor, no_grad
from ..functional.sparse import padding_index
from . import init
from ._utils import new_parameter, positive_int
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """weight (num_embeddings, embedding_dim) initialised N(0, 1), the padding_idx row
    zeroed (and never updated: it gets no gradient), as torch.nn.Embedding. forward(ids)
    of any shape gives ids.shape + (embedding_dim,). sparse=True is not supported."""

    def __init__(self, num_embeddings: int, embedding_dim: int,
                 padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, _weight: Optional[Tensor] = None,
                 _freeze: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        self.num_embeddings = positive_int(num_embeddings, "num_embeddings", 0)
        self.embedding_dim = positive_int(embedding_dim, "embedding_dim", 0)
        self.padding_idx = padding_index(padding_idx, self.num_embeddings)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        if sparse:
            raise NotImplementedError("sparse embedding gradients are not supported")
        self.sparse = False
        if _weight is None:
            self.weight = new_parameter((self.num_embeddings, self.embedding_dim), dtype,
                                        device)
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (self.num_embeddings, self.embedding_dim):
                raise ValueError("_weight must have shape (%d, %d), got %s" % (
                    self.num_embeddings, self.embedding_dim, tuple(_weight.shape)))
            self.weight = Parameter(_weight.detach())
        self.weight.requires_grad_(not _freeze)

    def reset_parameters(self) -> None:
        """N(0, 1) weights, the padding row zeroed."""
        init.normal_(self.weight)
        self._fill_padding_idx_with_zero()

    def _fill_padding_idx_with_zero(self) -> None:
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm,
                           self.norm_type, self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings: Tensor, freeze: bool = True,
                        padding_idx: Optional[int] = None, max_norm: Optional[float] = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> "Embedding":
        """An Embedding holding a copy of the 2-D `embeddings`; frozen unless freeze=False."""
        if not isinstance(embeddings, Tensor) or embeddings.ndim != 2:
            raise ValueError("Embeddings parameter is expected to be 2-dimensional")
        rows, cols = embeddings.shape
        return cls(rows, cols, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings.clone().detach(), _freeze=freeze)

    def extra_repr(self) -> str:
        s = "{}, {}".format(self.num_embeddings, self.embedding_dim)
        if self.padding_idx is not None:
            s += ", padding_idx={}".format(self.padding_idx)
        if self.max_norm is not None:
            s += ", max_norm={}".format(self.max_norm)
        if self.norm_type != 2:
            s += ", norm_type={}".format(self.norm_type)
        if self.scale_grad_by_freq is not False:
            s += ", scale_grad_by_freq={}".format(self.scale_grad_by_freq)
        return s
