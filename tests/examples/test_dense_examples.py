"""The dense-prediction examples: detect.py's VOC-style mAP on hand-made cases, the
segmentation IoU, the detector's target encoding and decoding, and a tiny run of each
script (its last line, its plot)."""
import importlib
import os
import sys

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "examples")


def _example(name):
    if EXAMPLES not in sys.path:
        sys.path.insert(0, EXAMPLES)
    return importlib.import_module(name)


@pytest.fixture(scope="module")
def detect():
    return _example("detect")


@pytest.fixture(scope="module")
def segment():
    return _example("segment")


def _scene(boxes, classes):
    return np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(classes, np.int64)


def _dets(boxes, scores, classes):
    return (np.asarray(boxes, np.float64).reshape(-1, 4), np.asarray(scores, np.float64),
            np.asarray(classes, np.int64))


A, B, C = [0, 0, 10, 10], [20, 20, 30, 30], [40, 0, 50, 10]


def test_map_perfect_and_empty(detect):
    truths = [_scene([A, B], [0, 1]), _scene([C], [1])]
    perfect = [_dets([A, B], [0.9, 0.8], [0, 1]), _dets([C], [0.7], [1])]
    m, aps = detect.mean_average_precision(perfect, truths)
    assert m == 1.0 and aps[0] == aps[1] == 1.0 and np.isnan(aps[2:]).all()
    m, aps = detect.mean_average_precision([_dets([], [], []), _dets([], [], [])], truths)
    assert m == 0.0


def test_map_ranked_false_positive_between_hits(detect):
    # class 0: two true boxes; detections by score: hit, miss, hit
    # precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1 -> AP = 1/2 * 1 + 1/2 * 2/3
    truths = [_scene([A, B], [0, 0])]
    dets = [_dets([A, C, B], [0.9, 0.8, 0.7], [0, 0, 0])]
    m, aps = detect.mean_average_precision(dets, truths)
    assert aps[0] == pytest.approx(0.5 + 0.5 * 2 / 3)
    assert m == pytest.approx(aps[0])


def test_map_interpolates_precision_from_higher_recall(detect):
    # miss, hit, hit: precision 0, 1/2, 2/3 at recall 0, 1/2, 1; the envelope gives
    # 2/3 at recall 1/2 too -> AP = 2/3
    truths = [_scene([A, B], [0, 0])]
    dets = [_dets([C, A, B], [0.9, 0.8, 0.7], [0, 0, 0])]
    assert detect.mean_average_precision(dets, truths)[1][0] == pytest.approx(2 / 3)


def test_map_duplicates_wrong_classes_and_other_scenes(detect):
    truths = [_scene([A], [0]), _scene([B], [2])]
    # a duplicate of A is a false positive; the right box with the wrong class is a
    # false positive of that class; a box of scene 0 never matches scene 1's truth
    dets = [_dets([A, A, B], [0.9, 0.8, 0.95], [0, 0, 2]), _dets([B], [0.6], [1])]
    m, aps = detect.mean_average_precision(dets, truths)
    assert aps[0] == 1.0            # the duplicate ranks after the only hit
    assert aps[2] == 0.0            # scene 0's box B is not scene 1's box B
    assert np.isnan(aps[1])         # class 1 has no true boxes: left out of the mean
    assert m == pytest.approx(0.5)


def test_map_iou_threshold_is_inclusive(detect):
    truths = [_scene([[0, 0, 10, 10]], [0])]
    half = _dets([[0, 0, 10, 20]], [0.9], [0])          # IoU exactly 0.5
    below = _dets([[0, 0, 10, 20.5]], [0.9], [0])
    assert detect.mean_average_precision([half], truths)[0] == 1.0
    assert detect.mean_average_precision([below], truths)[0] == 0.0


def test_average_precision_all_points(detect):
    assert detect.average_precision(np.array([0.25, 0.5, 0.5, 1.0]),
                                    np.array([1.0, 1.0, 2 / 3, 0.5])) == pytest.approx(
        0.5 * 1.0 + 0.5 * 0.5)


def test_detector_targets_round_trip(detect):
    boxes = np.zeros((1, 4, 4), np.float32)
    labels = np.full((1, 4), -1, np.int64)
    boxes[0, 0], labels[0, 0] = [10, 12, 40, 36], 3     # centre (25, 24): cell (3, 3)
    boxes[0, 1], labels[0, 1] = [30, 5, 62, 45], 7      # centre (46, 25): cell (3, 5)
    obj, deltas, cls = detect.encode_targets(boxes, labels, 8)
    assert np.flatnonzero(obj[0]).tolist() == [3 * 8 + 3, 3 * 8 + 5]
    assert cls[0, 27] == 3 and cls[0, 29] == 7 and (cls[0][obj[0] == 0] == -1).all()
    # a network output that says exactly this decodes to the same boxes
    out = np.full((1, detect.OUTPUTS, 8, 8), -20.0)
    for c, k in ((27, 3), (29, 7)):
        row, col = divmod(c, 8)
        out[0, 0, row, col] = 20.0
        out[0, 1:5, row, col] = deltas[0, c]
        out[0, 5 + k, row, col] = 20.0
    found_boxes, scores, classes = detect.decode(out)[0]
    order = np.argsort(classes)
    np.testing.assert_allclose(found_boxes[order], boxes[0, :2], atol=1e-4)
    assert classes[order].tolist() == [3, 7] and (scores > 0.99).all()


def test_segmentation_iou(segment):
    true = np.array([[0, 0, 1, 1], [0, 2, 2, 1]])
    pred = np.array([[0, 1, 1, 1], [0, 2, 0, 1]])
    iou = segment.iou_per_class(segment.confusion(pred, true, 4), )
    # class 0: TP 2 (of 3 true, 3 predicted) -> 2 / 4; class 1: 3 / 4; class 2: 1 / 2
    np.testing.assert_allclose(iou[:3], [0.5, 0.75, 0.5])
    assert np.isnan(iou[3])


def test_flip_scenes_keeps_masks_and_boxes_together():
    import fastconv
    from fastconv.data.scenes import make_scene
    common = _example("_common")
    rng = np.random.default_rng(5)
    items = rng.integers(0, 256, (20, 28, 28)).astype(np.uint8)
    scenes = [make_scene(np.random.default_rng(i), items, np.arange(20) % 10)
              for i in range(16)]
    images = np.stack([s.image[None] for s in scenes])
    masks = np.stack([s.mask for s in scenes])
    boxes = np.zeros((16, 4, 4), np.float32)
    labels = np.full((16, 4), -1, np.int64)
    for i, s in enumerate(scenes):
        boxes[i, :len(s.labels)], labels[i, :len(s.labels)] = s.boxes, s.labels
    batch = tuple(fastconv.tensor(a) for a in (images, masks, boxes, labels))
    out = [t.numpy() for t in common.flip_scenes(batch, np.random.default_rng(0))]
    flipped = np.array([not np.array_equal(a, b) for a, b in zip(out[0], images)])
    assert 0 < flipped.sum() < 16
    for i, s in enumerate(scenes):
        mirror = (lambda a: a[..., ::-1]) if flipped[i] else (lambda a: a)
        np.testing.assert_array_equal(out[0][i], mirror(images[i]))
        np.testing.assert_array_equal(out[1][i], mirror(masks[i]))
        np.testing.assert_array_equal(out[3][i], labels[i])
        for k, own in enumerate(mirror(s.object_masks)):
            rows, cols = np.nonzero(own)         # the tight box of the (mirrored) object
            np.testing.assert_array_equal(
                out[2][i, k], [cols.min(), rows.min(), cols.max() + 1, rows.max() + 1])
        assert (out[2][i, len(s.labels):] == 0).all()


@pytest.mark.slow
@pytest.mark.parametrize("script,args,last", [
    ("segment", ["--train-scenes", "64", "--test-scenes", "16", "--epochs", "1", "--fresh",
                 "--width", "4"], "mean IoU "),
    ("detect", ["--train-scenes", "64", "--test-scenes", "16", "--epochs", "1"], "mAP@0.5 "),
    ("stn", ["--train-limit", "128", "--test-limit", "64", "--epochs", "1"], "plain "),
])
def test_examples_run_and_plot(script, args, last, tmp_path, capsys):
    pytest.importorskip("matplotlib")
    module = _example(script)
    png = tmp_path / "out.png"
    module.main(args + ["--data", "subset", "--no-progress", "--plot", str(png)])
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith(last), lines[-1]
    assert png.stat().st_size > 1000
