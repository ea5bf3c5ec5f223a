"""embedding: rows of a weight matrix looked up by integer ids, forward next to backward."""
from typing import Optional

import numpy as np

from ..autograd import Function, Tensor, increment_version, no_grad
from ._util import array_module, check_tensor


class IdOutOfRangeError(IndexError, ValueError):
    """An id outside the embedding's rows: an IndexError as torch raises, and a
    ValueError as fastconv raises for bad arguments."""


class Embedding(Function):
    """weight[ids]; backward adds each output row's gradient into its id's row (ids
    repeat, so the rows are summed), none into padding_idx, and with
    scale_grad_by_freq divided by how often the id occurs in the batch."""

    fresh_gradients = True

    @staticmethod
    def forward(ctx, weight, ids, padding_idx, scale_grad_by_freq):
        ctx.ids, ctx.rows = ids, weight.shape[0]
        ctx.padding_idx, ctx.scale = padding_idx, scale_grad_by_freq
        return weight[ids]

    @staticmethod
    def backward(ctx, grad):
        xp = array_module(grad)
        ids = ctx.ids.reshape(-1)
        g = grad.reshape(ids.shape[0], -1)
        if ctx.scale:
            counts = xp.bincount(ids, minlength=ctx.rows)
            g = g / counts[ids][:, None].astype(g.dtype)
        dw = xp.zeros((ctx.rows, g.shape[1]), dtype=grad.dtype)
        if xp is np:
            np.add.at(dw, ids, g)
        else:
            import cupyx
            cupyx.scatter_add(dw, ids, g)
        if ctx.padding_idx is not None:
            dw[ctx.padding_idx] = 0
        return dw, None, None, None


def _ids(input, num: int):
    """The ids of `input` (an integer Tensor) as an int64 array, each in [0, num)."""
    check_tensor(input, "input")
    if input.dtype.kind not in "iu":
        raise TypeError("input of embedding must hold integer ids (int64 like torch's "
                        "LongTensor), got dtype %s" % input.dtype)
    ids = input._data.astype(np.int64, copy=False)
    if ids.size:
        low, high = int(ids.min()), int(ids.max())
        if low < 0 or high >= num:
            bad = low if low < 0 else high
            raise IdOutOfRangeError("input holds id %d, out of range for an embedding of %d "
                                    "rows (valid ids are 0 .. %d)" % (bad, num, num - 1))
    return ids


def padding_index(padding_idx: Optional[int], num: int) -> Optional[int]:
    """padding_idx as a row in [0, num) (negative counts from the end), or None."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, (int, np.integer)):
        raise TypeError("padding_idx must be an int or None, got %r" % (padding_idx,))
    if not -num <= padding_idx < num:
        raise ValueError("padding_idx must be within num_embeddings (%d), got %d"
                         % (num, padding_idx))
    return int(padding_idx) % num


def renorm_(weight: Tensor, ids, max_norm: float, norm_type: float = 2.0) -> None:
    """Scale in place the rows of weight looked up by ids whose norm exceeds max_norm
    down to max_norm (torch.embedding_renorm_; not recorded by autograd)."""
    xp = array_module(weight._data)
    rows = xp.unique(xp.asarray(ids).reshape(-1))
    with no_grad():
        w = weight._data
        norms = (xp.abs(w[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        w[rows] = w[rows] * scale[:, None].astype(w.dtype)
    increment_version(weight)   # an in-place change, as torch.embedding_renorm_


def embedding(input: Tensor, weight: Tensor, padding_idx: Optional[int] = None,
              max_norm: Optional[float] = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Rows of weight (num_embeddings, embedding_dim) for integer ids of any shape: the
    output has shape input.shape + (embedding_dim,), as torch.nn.functional.embedding.

    padding_idx's row gets no gradient; max_norm renormalises the looked-up rows of
    weight in place first. sparse gradients are not supported (sparse=True raises).
    """
    check_tensor(weight, "weight")
    if weight.ndim != 2:
        raise ValueError("weight must be 2-D (num_embeddings, embedding_dim), got shape %s"
                         % (weight.shape,))
    if sparse:
        raise NotImplementedError("sparse embedding gradients are not supported; use "
                                  "sparse=False")
    ids = _ids(input, weight.shape[0])
    padding_idx = padding_index(padding_idx, weight.shape[0])
    if max_norm is not None:
        renorm_(weight, ids, float(max_norm), float(norm_type))
    return Embedding.apply(weight, ids=ids, padding_idx=padding_idx,
                           scale_grad_by_freq=bool(scale_grad_by_freq))
