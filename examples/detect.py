"""Object detection on Fashion-MNIST scenes with a single-stage grid detector (as YOLO).

A small CNN turns each 64x64 scene (fastconv.data.scenes) into an 8x8 grid of cells of
8x8 pixels. Every cell predicts whether an object's centre lies in it (objectness), the
object's box as offsets from an anchor box centred on the cell (box_encode's centre-size
deltas), and its class. At test time each cell's score is objectness x class
probability; boxes are decoded, and non-maximum suppression per class keeps the best
of overlapping boxes. The metric is the VOC-style mean average precision at IoU 0.5
over the 10 classes on held-out scenes (made from the Fashion-MNIST test items).

    python examples/detect.py                 # trains, prints "mAP@0.5 0.XXXX" last
    python examples/detect.py --plot det.png  # and draws the predicted boxes with labels
"""

import numpy as np

import fastconv
from fastconv import nn, ops, optim
from fastconv.data import DataLoader
from fastconv.data.fashion_mnist import CLASSES

import _common

CELL = 8                      # pixels per grid cell
ANCHOR = 32.0                 # the anchor box's side, in pixels
WEIGHTS = (10.0, 10.0, 5.0, 5.0)   # box_encode weights (wx, wy, ww, wh)
NUM_CLASSES = len(CLASSES)
OUTPUTS = 1 + 4 + NUM_CLASSES      # objectness, box deltas, class scores


def build_detector(nn, outputs: int = OUTPUTS):
    """The detector, written against a torch.nn-like module `nn` (so that the benchmark
    builds the same network in PyTorch): 64x64 -> 8x8 cells of `outputs` scores."""

    def conv(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                nn.ReLU()]

    return nn.Sequential(
        *conv(1, 16), nn.MaxPool2d(2),                     # 32 x 32
        *conv(16, 32), *conv(32, 32), nn.MaxPool2d(2),     # 16 x 16
        *conv(32, 64), *conv(64, 64), nn.MaxPool2d(2),     # 8 x 8
        *conv(64, 128), *conv(128, 128), *conv(128, 128),
        nn.Conv2d(128, outputs, 1))


def anchors(grid: int) -> np.ndarray:
    """(grid * grid, 4) anchor boxes centred on the cells, row-major."""
    centres = (np.arange(grid) + 0.5) * CELL
    cy, cx = np.meshgrid(centres, centres, indexing="ij")
    half = ANCHOR / 2
    return np.stack([cx - half, cy - half, cx + half, cy + half], -1).reshape(-1, 4)


def encode_targets(boxes: np.ndarray, labels: np.ndarray, grid: int):
    """Per cell of each scene: (objectness 0/1 (N, G*G), box deltas (N, G*G, 4), class
    (N, G*G), -1 where no object). An object belongs to the cell holding its centre
    (the larger object when two centres share a cell)."""
    n = len(boxes)
    cells = grid * grid
    obj = np.zeros((n, cells), np.float32)
    deltas = np.zeros((n, cells, 4), np.float32)
    cls = np.full((n, cells), -1, np.int64)
    area = np.zeros((n, cells), np.float32)
    anchor = anchors(grid).astype(np.float32)
    for b, k in zip(*np.nonzero(labels >= 0)):
        x1, y1, x2, y2 = boxes[b, k]
        col = min(int((x1 + x2) / 2 // CELL), grid - 1)
        row = min(int((y1 + y2) / 2 // CELL), grid - 1)
        c = row * grid + col
        size = (x2 - x1) * (y2 - y1)
        if obj[b, c] and area[b, c] >= size:
            continue
        obj[b, c], area[b, c], cls[b, c] = 1, size, labels[b, k]
        deltas[b, c] = ops.box_encode(boxes[b, k][None], anchor[c][None], WEIGHTS)[0]
    return obj, deltas, cls


def detection_loss(out, boxes, labels, lib=fastconv):
    """Objectness (binary cross-entropy over every cell) + box deltas (smooth L1) and
    class (cross-entropy) over the cells that hold an object, per scene. `lib` is
    fastconv (or torch, for the benchmark: the same code runs on either)."""
    F = fastconv.functional if lib is fastconv else lib.nn.functional
    tensor = lib.tensor
    n, _, g, _ = out.shape
    obj, deltas, cls = encode_targets(np.asarray(boxes.numpy()), np.asarray(labels.numpy()), g)
    cells = out.permute(0, 2, 3, 1).reshape(n * g * g, OUTPUTS)
    positive = np.flatnonzero(obj.reshape(-1))
    loss = F.binary_cross_entropy_with_logits(cells[:, 0], tensor(obj.reshape(-1)),
                                              reduction="sum") / n
    if len(positive):
        picked = cells[tensor(positive)]
        loss = loss + 2 * F.smooth_l1_loss(picked[:, 1:5], tensor(deltas.reshape(-1, 4)[positive]),
                                           reduction="sum") / n
        loss = loss + F.cross_entropy(picked[:, 5:], tensor(cls.reshape(-1)[positive]),
                                      reduction="sum") / n
    return loss


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def decode(out: np.ndarray, score_threshold: float = 0.05, iou_threshold: float = 0.5,
           max_detections: int = 50):
    """Detections of each scene from the network's output (N, OUTPUTS, G, G): a list of
    (boxes (k, 4), scores (k,), classes (k,)), after per-class NMS."""
    n, _, g, _ = out.shape
    cells = out.transpose(0, 2, 3, 1).reshape(n, g * g, OUTPUTS).astype(np.float64)
    anchor = anchors(g)
    logits = cells[..., 5:]
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    results = []
    for b in range(n):
        scores = _sigmoid(cells[b, :, 0])[:, None] * probs[b]      # (cells, classes)
        cell, klass = np.nonzero(scores > score_threshold)
        boxes = ops.box_decode(cells[b, cell, 1:5], anchor[cell], WEIGHTS)
        score = scores[cell, klass]
        keep = ops.batched_nms(boxes, score, klass, iou_threshold)[:max_detections]
        results.append((boxes[keep], score[keep], klass[keep]))
    return results


# ------------------------------------------------------------------ VOC-style mAP

def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """Area under the precision-recall curve with precision made monotone (each point
    takes the best precision at any higher recall), summed where recall changes: the
    all-point interpolation of PASCAL VOC 2010 and later."""
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[0.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]
    steps = np.flatnonzero(r[1:] != r[:-1])
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


def mean_average_precision(detections, truths, num_classes: int = NUM_CLASSES,
                           iou_threshold: float = 0.5):
    """(mAP, AP per class) over scenes. detections: per scene (boxes, scores, classes);
    truths: per scene (boxes, classes). A detection is a true positive when its IoU with
    a not yet matched true box of its class in its scene is >= iou_threshold (the best
    such box; detections are matched in decreasing score order across all scenes), a
    false positive otherwise. Classes without true boxes are left out of the mean."""
    aps = np.full(num_classes, np.nan)
    for c in range(num_classes):
        gt = [np.asarray(b)[np.asarray(k) == c] for b, k in truths]
        total = sum(len(g) for g in gt)
        if total == 0:
            continue
        found = [(float(s), i, np.asarray(b, np.float64))
                 for i, (boxes, scores, classes) in enumerate(detections)
                 for b, s, k in zip(boxes, scores, classes) if k == c]
        found.sort(key=lambda d: -d[0])
        used = [np.zeros(len(g), bool) for g in gt]
        tp = np.zeros(len(found))
        for j, (_, i, box) in enumerate(found):
            if len(gt[i]):
                iou = ops.box_iou(box[None], gt[i].astype(np.float64))[0]
                iou[used[i]] = -1
                best = int(np.argmax(iou))
                if iou[best] >= iou_threshold:
                    tp[j], used[i][best] = 1, True
        hits = np.cumsum(tp)
        recall = hits / total
        precision = hits / np.arange(1, len(found) + 1)
        aps[c] = average_precision(recall, precision)
    return float(np.nanmean(aps)), aps


def evaluate(model, loader):
    """(mAP, AP per class, detections, truths, images) on a loader of scenes."""
    model.eval()
    detections, truths, images = [], [], []
    with fastconv.no_grad():
        for x, _, boxes, labels in loader:
            detections += decode(model(x).numpy())
            for b, k in zip(boxes.numpy(), labels.numpy()):
                truths.append((b[k >= 0], k[k >= 0]))
            images.append(x.numpy()[:, 0])
    m, aps = mean_average_precision(detections, truths)
    return m, aps, detections, truths, np.concatenate(images)


def plot(path, images, detections, count: int = 8, min_score: float = 0.3):
    plt = _common.pyplot(path)
    cols = 4
    rows = -(-count // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3 * cols, 3 * rows))
    for i, ax in enumerate(np.ravel(axes)):
        ax.axis("off")
        if i >= count:
            continue
        ax.imshow(images[i], cmap="gray", vmin=0, vmax=1)
        boxes, scores, classes = detections[i]
        for (x1, y1, x2, y2), s, k in zip(boxes, scores, classes):
            if s < min_score:
                continue
            ax.add_patch(plt.Rectangle((x1 - 0.5, y1 - 0.5), x2 - x1, y2 - y1, fill=False,
                                       color="lime", linewidth=1.5))
            ax.text(x1, y1 - 1, "%s %.2f" % (CLASSES[k], s), color="lime", fontsize=7,
                    va="bottom")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    p = _common.parser(__doc__.splitlines()[0], epochs=10, batch_size=32, lr=3e-3)
    _common.scene_arguments(p, train_scenes=16000, fresh=False)
    args = p.parse_args(argv)
    root = _common.setup(args)
    loader, test_set = _common.scene_loaders(args, root)
    model = build_detector(nn)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr,
                                              total_steps=args.epochs * len(loader))
    flips = np.random.default_rng(args.seed)

    def step_loss(batch):
        x, _, boxes, labels = _common.flip_scenes(batch, flips)
        return detection_loss(model(x), boxes, labels)

    seconds = _common.train(model, loader, optimizer, step_loss, args.epochs,
                            scheduler=scheduler,
                            progress=not args.no_progress)
    m, aps, detections, _, images = evaluate(model, DataLoader(test_set, batch_size=100))
    print("training: %.0f s; AP per class: %s" % (
        seconds, " ".join("%s %.3f" % (name.split("/")[0], v)
                          for name, v in zip(CLASSES, aps))))
    print("mAP@0.5 %.4f" % m)
    if args.plot:
        plot(args.plot, images, detections)


if __name__ == "__main__":
    main()
