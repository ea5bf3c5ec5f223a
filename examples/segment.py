"""Semantic segmentation of Fashion-MNIST scenes with a small encoder-decoder FCN.

Each 64x64 scene (fastconv.data.scenes) holds 1-4 clothing items; the network labels
every pixel with one of 11 classes (background + the 10 Fashion-MNIST classes). The
encoder halves the resolution three times (64 -> 8), with more channels and
convolutions where the resolution is low; the decoder (FCN-8s-like) scores the classes
with a 1x1 convolution at every level and adds each coarse score map, upsampled
bilinearly, to the next finer one (skip connections); the finest score also reads the
image. Training minimises per-pixel cross-entropy on new scenes every epoch, mirrored at
random; the metric is the mean over the 11 classes of the intersection over union of
predicted and true masks on held-out scenes (made from the Fashion-MNIST test items).

    python examples/segment.py                 # trains, prints "mean IoU 0.XXXX" last
    python examples/segment.py --plot seg.png  # and draws image / true / predicted masks
"""
import argparse

import numpy as np

import fastconv
import fastconv.functional as F
from fastconv import nn, optim
from fastconv.data import DataLoader
from fastconv.data.scenes import SCENE_CLASSES

import _common

CLASSES = len(SCENE_CLASSES)


def build_fcn(nn, cat, width: int = 16, classes: int = CLASSES):
    """The FCN, written against a torch.nn-like module `nn` and its `cat` (so that the
    benchmark builds the same network in PyTorch).

    The encoder halves the resolution three times (64 -> 8); where it is lowest, three
    convolutions see a whole item. Its first two levels are wider than the width doubling
    would make them (1.5x and 3x `width`, two convolutions at full resolution): small
    items lose their detail there (with 1x and 2x, items under 30 pixels got their class
    right 79% of the time, items over 42 pixels 89%). The decoder is FCN-8s-like: a 1x1 convolution scores
    the classes at every level, and the coarse scores, upsampled bilinearly, are added to
    the next finer level's. So the class of a pixel comes from the deep features (smooth
    over an item, as a classifier's decision) and the finer levels only move boundaries,
    at a small fraction of a U-Net decoder's cost. The finest score (3x3) reads the first
    level's features and the image, so that boundaries can follow the pixels exactly."""

    def conv(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                nn.ReLU()]

    def block(c_in, c_out, convs=2):
        layers = conv(c_in, c_out)
        for _ in range(convs - 1):
            layers += conv(c_out, c_out)
        return nn.Sequential(*layers)

    w = width
    c1, c2 = 3 * w // 2, 3 * w      # the wider first levels

    class FCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc1, self.enc2 = block(1, c1, 2), block(c1, c2)
            self.enc3, self.mid = block(c2, 4 * w), block(4 * w, 8 * w, 3)
            self.pool = nn.MaxPool2d(2)
            self.score8, self.score16 = nn.Conv2d(8 * w, classes, 1), nn.Conv2d(4 * w, classes, 1)
            self.score32 = nn.Conv2d(c2, classes, 1)
            # the finest level also sees the image itself: boundaries follow its pixels
            self.score64 = nn.Conv2d(c1 + 1, classes, 3, padding=1)
            self.up = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)

        def forward(self, x):
            e1 = self.enc1(x)                       # 64 x 64
            e2 = self.enc2(self.pool(e1))           # 32 x 32
            e3 = self.enc3(self.pool(e2))           # 16 x 16
            m = self.mid(self.pool(e3))             # 8 x 8
            s = self.up(self.score8(m)) + self.score16(e3)
            s = self.up(s) + self.score32(e2)
            return self.up(s) + self.score64(cat([e1, x], 1))

    return FCN()


def pixel_loss(logits, masks):
    """Mean cross-entropy over every pixel of the batch."""
    return F.cross_entropy(logits, masks)


def confusion(pred: np.ndarray, true: np.ndarray, classes: int = CLASSES) -> np.ndarray:
    """(classes, classes) pixel counts: rows true class, columns predicted class."""
    index = true.reshape(-1).astype(np.int64) * classes + pred.reshape(-1)
    return np.bincount(index, minlength=classes * classes).reshape(classes, classes)


def iou_per_class(conf: np.ndarray) -> np.ndarray:
    """TP / (TP + FP + FN) of each class from a confusion matrix (NaN for a class that
    appears in neither the truth nor the predictions)."""
    tp = np.diag(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return tp / union


def predict(model, loader, mirror: bool = True):
    """(predicted masks, true masks, images) over a loader, in evaluation mode. With
    `mirror`, each scene's scores are averaged with those of its mirror image (mirrored
    back), as the training saw both."""
    model.eval()
    preds, trues, images = [], [], []
    with fastconv.no_grad():
        for x, mask, _, _ in loader:
            scores = model(x).numpy()
            if mirror:
                flipped = fastconv.tensor(np.ascontiguousarray(x.numpy()[..., ::-1]))
                scores = scores + model(flipped).numpy()[..., ::-1]
            preds.append(scores.argmax(axis=1))
            trues.append(mask.numpy())
            images.append(x.numpy()[:, 0])
    return np.concatenate(preds), np.concatenate(trues), np.concatenate(images)


def plot(path, images, trues, preds, count: int = 6):
    plt = _common.pyplot(path)
    fig, axes = plt.subplots(3, count, figsize=(2 * count, 6.3))
    for i in range(count):
        for row, (picture, cmap, vmax) in enumerate(((images[i], "gray", 1),
                                                     (trues[i], "tab20", 19),
                                                     (preds[i], "tab20", 19))):
            axes[row, i].imshow(picture, cmap=cmap, vmin=0, vmax=vmax,
                                interpolation="nearest")
            axes[row, i].axis("off")
    for row, title in enumerate(("image", "true mask", "predicted mask")):
        axes[row, 0].set_title(title, loc="left", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    p = _common.parser(__doc__.splitlines()[0], epochs=15, batch_size=32, lr=6e-3)
    _common.scene_arguments(p, train_scenes=16000, fresh=True)
    p.add_argument("--width", type=int, default=16,
                   help="channel unit: levels of 1.5, 3, 4 and 8 times it")
    p.add_argument("--mirror-test", action=argparse.BooleanOptionalAction, default=True,
                   help="average each held-out scene's scores with its mirror image's")
    p.add_argument("--save", metavar="FILE", help="save the trained weights (fastconv.save)")
    args = p.parse_args(argv)
    root = _common.setup(args)
    loader, test_set = _common.scene_loaders(args, root)
    model = build_fcn(nn, fastconv.cat, width=args.width)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr,
                                              total_steps=args.epochs * len(loader))
    flips = np.random.default_rng(args.seed)

    def step_loss(batch):
        x, masks, _, _ = _common.flip_scenes(batch, flips)
        return pixel_loss(model(x), masks)

    seconds = _common.train(model, loader, optimizer, step_loss, args.epochs,
                            scheduler=scheduler,
                            progress=not args.no_progress)
    if args.save:
        fastconv.save(model.state_dict(), args.save)
    preds, trues, images = predict(model, DataLoader(test_set, batch_size=100),
                                   mirror=args.mirror_test)
    ious = iou_per_class(confusion(preds, trues))
    items = trues > 0
    print("pixels: item or background right %.4f, class right on item pixels %.4f"
          % (np.mean((preds > 0) == items), np.mean(preds[items] == trues[items])))
    print("training: %.0f s; IoU per class: %s" % (
        seconds, " ".join("%s %.3f" % (name.split("/")[0], v)
                          for name, v in zip(SCENE_CLASSES, ious))))
    print("mean IoU %.4f" % np.nanmean(ious))
    if args.plot:
        plot(args.plot, images, trues, preds)


if __name__ == "__main__":
    main()
