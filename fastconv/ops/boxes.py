"""Box helpers for detection on raw arrays: areas, pairwise IoU, non-maximum suppression
(torchvision's semantics) and the centre-size box encoding of detection codebases.

Boxes are (x1, y1, x2, y2) rows with x1 <= x2 and y1 <= y2, in any float dtype (numpy
or cupy); widths are x2 - x1 (no +1). Everything here is a few vectorised array
operations: the arrays are small (boxes per image), so no native kernel is needed.
"""
import math
from typing import Sequence, Tuple

import numpy as np

from . import _args

# torchvision's bbox_xform_clip: the largest log-scale a decoded box may grow by
BBOX_XFORM_CLIP = math.log(1000.0 / 16)


def _boxes(a, name: str):
    """Check an (N, 4) float array of boxes; return it C-contiguous."""
    a = _args.float_array(a, name, 2)
    if a.shape[1] != 4:
        raise ValueError("%s must have shape (N, 4) (x1, y1, x2, y2), got %s"
                         % (name, tuple(a.shape)))
    return a


def box_area(boxes):
    """(x2 - x1) * (y2 - y1) of each box, shape (N,)."""
    boxes = _boxes(boxes, "boxes")
    return (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])


def box_iou(boxes1, boxes2):
    """(N, M) intersection over union of every pair (torchvision.ops.box_iou). Two empty
    boxes give 0 / 0 = NaN, as there."""
    xp = _args.array_module(boxes1, boxes2)
    boxes1 = _boxes(boxes1, "boxes1")
    boxes2 = _boxes(boxes2, "boxes2")
    _args.same_dtype("boxes1", boxes1, "boxes2", boxes2)
    area1, area2 = box_area(boxes1), box_area(boxes2)
    lt = xp.maximum(boxes1[:, None, :2], boxes2[None, :, :2])
    rb = xp.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    wh = xp.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        return inter / (area1[:, None] + area2[None, :] - inter)


def _scores(scores, n: int, name: str = "scores"):
    scores = _args.float_array(scores, name, 1)
    if scores.shape[0] != n:
        raise ValueError("%s must have shape (%d,) like the boxes, got %s"
                         % (name, n, tuple(scores.shape)))
    return scores


def _threshold(iou_threshold) -> float:
    try:
        t = float(iou_threshold)
    except (TypeError, ValueError):
        raise TypeError("iou_threshold must be a number, got %r" % (iou_threshold,)) from None
    if math.isnan(t):
        raise ValueError("iou_threshold must not be NaN")
    return t


def nms(boxes, scores, iou_threshold: float):
    """Indices (int64) of the boxes kept by greedy non-maximum suppression, in
    decreasing score order (torchvision.ops.nms): the best remaining box is kept and
    every box overlapping it with IoU > iou_threshold is dropped. Equal scores keep
    their input order."""
    xp = _args.array_module(boxes, scores)
    boxes = _boxes(boxes, "boxes")
    scores = _scores(scores, boxes.shape[0])
    t = _threshold(iou_threshold)
    order = xp.argsort(-scores, kind="stable") if xp is np else xp.argsort(-scores)
    if boxes.shape[0] == 0:
        return order.astype(np.int64)
    iou = box_iou(boxes[order], boxes[order])
    over = np.asarray(iou > t if xp is np else (iou > t).get())
    suppressed = np.zeros(len(over), dtype=bool)
    keep = []
    for i in range(len(over)):
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= over[i]
    return order[xp.asarray(np.asarray(keep, dtype=np.int64))].astype(np.int64)


def batched_nms(boxes, scores, idxs, iou_threshold: float):
    """nms run separately within each category idxs[i] (boxes of different categories
    never suppress each other); indices kept, in decreasing score order."""
    xp = _args.array_module(boxes, scores)
    boxes = _boxes(boxes, "boxes")
    scores = _scores(scores, boxes.shape[0])
    idxs = xp.asarray(idxs)
    if idxs.shape != (boxes.shape[0],) or idxs.dtype.kind not in "iu":
        raise ValueError("idxs must be an integer array of shape (%d,), got %s %s"
                         % (boxes.shape[0], idxs.dtype, tuple(idxs.shape)))
    if boxes.shape[0] == 0:
        return xp.zeros(0, dtype=np.int64)
    # shift each category's boxes apart so that no two categories overlap (torchvision's
    # trick), then one suppression pass
    span = float(boxes.max() - boxes.min()) + 1
    offsets = (idxs - idxs.min()).astype(boxes.dtype) * boxes.dtype.type(span)
    return nms(boxes + offsets[:, None], scores, iou_threshold)


def _weights(weights) -> Tuple[float, float, float, float]:
    items = tuple(float(v) for v in weights)
    if len(items) != 4 or not all(v > 0 for v in items):
        raise ValueError("weights must be 4 positive numbers (wx, wy, ww, wh), got %r"
                         % (weights,))
    return items


def _centres(boxes):
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return boxes[:, 0] + 0.5 * w, boxes[:, 1] + 0.5 * h, w, h


def box_encode(boxes, anchors, weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0)):
    """Deltas (dx, dy, dw, dh) that turn each anchor into its box (torchvision's
    BoxCoder.encode): dx = wx * (cx - acx) / aw, dw = ww * log(w / aw), and likewise
    for y and h. boxes and anchors are (N, 4) with positive widths and heights."""
    xp = _args.array_module(boxes, anchors)
    boxes = _boxes(boxes, "boxes")
    anchors = _boxes(anchors, "anchors")
    _args.same_dtype_and_shape("boxes", boxes, "anchors", anchors)
    wx, wy, ww, wh = _weights(weights)
    cx, cy, w, h = _centres(boxes)
    acx, acy, aw, ah = _centres(anchors)
    return xp.stack([wx * (cx - acx) / aw, wy * (cy - acy) / ah,
                     ww * xp.log(w / aw), wh * xp.log(h / ah)], axis=1).astype(boxes.dtype)


def box_decode(deltas, anchors, weights: Sequence[float] = (1.0, 1.0, 1.0, 1.0),
               clip: float = BBOX_XFORM_CLIP):
    """The boxes that deltas (N, 4) describe relative to anchors (N, 4): the inverse of
    box_encode (torchvision's BoxCoder.decode_single), with dw and dh clamped to `clip`
    so that exp() cannot overflow."""
    xp = _args.array_module(deltas, anchors)
    deltas = _boxes(deltas, "deltas")
    anchors = _boxes(anchors, "anchors")
    _args.same_dtype_and_shape("deltas", deltas, "anchors", anchors)
    wx, wy, ww, wh = _weights(weights)
    acx, acy, aw, ah = _centres(anchors)
    dx, dy = deltas[:, 0] / wx, deltas[:, 1] / wy
    dw = xp.minimum(deltas[:, 2] / ww, clip)
    dh = xp.minimum(deltas[:, 3] / wh, clip)
    cx, cy = dx * aw + acx, dy * ah + acy
    w, h = xp.exp(dw) * aw, xp.exp(dh) * ah
    return xp.stack([cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h],
                    axis=1).astype(deltas.dtype)
