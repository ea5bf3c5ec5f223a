"""fastconv.ops box helpers on hand-made cases and against plain-loop references:
box_iou, nms and batched_nms (torchvision's semantics), box_encode/box_decode."""
import math

import numpy as np
import pytest

from fastconv import ops


def ref_iou(a, b):
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def ref_nms(boxes, scores, threshold):
    order = sorted(range(len(boxes)), key=lambda i: -scores[i])   # stable on ties
    keep = []
    for i in order:
        if all(ref_iou(boxes[i], boxes[k]) <= threshold for k in keep):
            keep.append(i)
    return keep


def _random_boxes(rng, n, dtype=np.float64):
    xy = rng.uniform(0, 20, (n, 2))
    wh = rng.uniform(1, 10, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(dtype)


def test_box_iou_hand_made():
    a = np.array([[0, 0, 2, 2], [0, 0, 1, 1]], np.float32)
    b = np.array([[1, 1, 3, 3], [0, 0, 2, 2], [5, 5, 6, 6]], np.float32)
    iou = ops.box_iou(a, b)
    np.testing.assert_allclose(iou, [[1 / 7, 1, 0], [0, 0.25, 0]], rtol=1e-6)
    assert iou.dtype == np.float32
    np.testing.assert_allclose(ops.box_area(b), [4, 4, 1])


def test_box_iou_against_loops(rng):
    a, b = _random_boxes(rng, 7), _random_boxes(rng, 5)
    expected = [[ref_iou(p, q) for q in b] for p in a]
    np.testing.assert_allclose(ops.box_iou(a, b), expected, rtol=1e-12)


def test_nms_hand_made():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 10.5],
                      [21, 21, 29, 29]], np.float64)
    scores = np.array([0.9, 0.8, 0.7, 0.95, 0.6])
    # box 3 (best) suppresses 0 (IoU 0.95) and 1 (IoU 85.5 / 119.5 = 0.72); box 2
    # suppresses 4 (IoU 0.64) at 0.5 but not at 0.7
    np.testing.assert_array_equal(ops.nms(boxes, scores, 0.5), [3, 2])
    np.testing.assert_array_equal(ops.nms(boxes, scores, 0.7), [3, 2, 4])
    np.testing.assert_array_equal(ops.nms(boxes, scores, 0.75), [3, 1, 2, 4])
    assert ops.nms(boxes, scores, 0.5).dtype == np.int64


def test_nms_iou_equal_to_the_threshold_is_kept():
    boxes = np.array([[0, 0, 2, 2], [1, 0, 3, 2]], np.float64)   # IoU exactly 1/3
    scores = np.array([0.9, 0.8])
    np.testing.assert_array_equal(ops.nms(boxes, scores, 1 / 3), [0, 1])
    np.testing.assert_array_equal(ops.nms(boxes, scores, 0.3), [0])


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.9])
def test_nms_against_the_greedy_loop(rng, threshold):
    boxes = _random_boxes(rng, 40)
    scores = rng.uniform(0, 1, 40)
    np.testing.assert_array_equal(ops.nms(boxes, scores, threshold),
                                  ref_nms(boxes, scores, threshold))


def test_nms_empty_and_ties():
    assert ops.nms(np.zeros((0, 4)), np.zeros(0), 0.5).shape == (0,)
    boxes = np.array([[0, 0, 1, 1], [5, 5, 6, 6], [0, 0, 1, 1]], np.float64)
    np.testing.assert_array_equal(ops.nms(boxes, np.ones(3), 0.5), [0, 1])


def test_batched_nms_keeps_other_categories(rng):
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [0, 0, 10, 10]], np.float64)
    scores = np.array([0.9, 0.8, 0.7])
    np.testing.assert_array_equal(ops.batched_nms(boxes, scores, np.array([0, 0, 1]), 0.5),
                                  [0, 2])
    boxes = _random_boxes(rng, 30)
    scores = rng.uniform(0, 1, 30)
    idxs = rng.integers(0, 3, 30)
    expected = []
    for c in range(3):
        members = np.flatnonzero(idxs == c)
        expected += [members[k] for k in ref_nms(boxes[members], scores[members], 0.4)]
    expected.sort(key=lambda i: -scores[i])
    np.testing.assert_array_equal(ops.batched_nms(boxes, scores, idxs, 0.4), expected)


def test_box_encode_decode():
    anchors = np.array([[0, 0, 10, 20], [5, 5, 9, 7]], np.float64)
    boxes = np.array([[2, 4, 12, 14], [5, 5, 9, 7]], np.float64)
    deltas = ops.box_encode(boxes, anchors, weights=(10, 10, 5, 5))
    # centre (7, 9) vs (5, 10), size (10, 10) vs (10, 20)
    np.testing.assert_allclose(deltas[0], [10 * 2 / 10, 10 * -1 / 20, 0, 5 * math.log(0.5)])
    np.testing.assert_allclose(deltas[1], 0, atol=1e-15)
    np.testing.assert_allclose(ops.box_decode(deltas, anchors, weights=(10, 10, 5, 5)), boxes)
    huge = ops.box_decode(np.array([[0, 0, 100.0, 100.0]]), anchors[:1])
    assert np.isfinite(huge).all()   # dw, dh clamped to log(1000 / 16)
    np.testing.assert_allclose(huge[0, 2] - huge[0, 0], 10 * 1000 / 16)


def test_box_helpers_bad_input():
    with pytest.raises(ValueError, match=r"boxes must have shape \(N, 4\)"):
        ops.nms(np.zeros((3, 5)), np.zeros(3), 0.5)
    with pytest.raises(ValueError, match="scores must have shape"):
        ops.nms(np.zeros((3, 4)), np.zeros(2), 0.5)
    with pytest.raises(TypeError, match="iou_threshold"):
        ops.nms(np.zeros((3, 4)), np.zeros(3), "high")
    with pytest.raises(ValueError, match="idxs"):
        ops.batched_nms(np.zeros((3, 4)), np.zeros(3), np.zeros(2, np.int64), 0.5)
    with pytest.raises(ValueError, match="weights"):
        ops.box_encode(np.ones((1, 4)), np.ones((1, 4)), weights=(1, 1, 0, 1))
    with pytest.raises(TypeError, match="dtype"):
        ops.box_iou(np.zeros((1, 4), np.int64), np.zeros((1, 4)))
