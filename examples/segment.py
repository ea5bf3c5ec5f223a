"""Semantic segmentation of Fashion-MNIST scenes with a small encoder-decoder FCN.

Each 64x64 scene (fastconv.data.scenes) holds 1-4 clothing items; the network labels
every pixel with one of 11 classes (background + the 10 Fashion-MNIST classes). The
encoder halves the resolution three times (64 -> 8), with more channels and
convolutions where the resolution is low; the decoder doubles it back with transposed
convolutions, each step joined by the encoder's features at that resolution (skip
connections, as in U-Net) and mixed by one convolution, and a 1x1 convolution scores
the classes. Training
minimises per-pixel cross-entropy; the metric is the mean over the 11 classes of the
intersection over union of predicted and true masks on held-out scenes (made from the
Fashion-MNIST test items).

    python examples/segment.py                 # trains, prints "mean IoU 0.XXXX" last
    python examples/segment.py --plot seg.png  # and draws image / true / predicted masks
"""
import time

import numpy as np

import fastconv
import fastconv.functional as F
from fastconv import nn, optim
from fastconv.data import DataLoader
from fastconv.data.scenes import SCENE_CLASSES, Scenes

import _common

CLASSES = len(SCENE_CLASSES)


def build_fcn(nn, cat, width: int = 16, classes: int = CLASSES):
    """The FCN, written against a torch.nn-like module `nn` and its `cat` (so that the
    benchmark builds the same network in PyTorch)."""

    def conv(c_in, c_out):
        return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                nn.ReLU()]

    def block(c_in, c_out, convs=2):
        layers = conv(c_in, c_out)
        for _ in range(convs - 1):
            layers += conv(c_out, c_out)
        return nn.Sequential(*layers)

    w = width

    class FCN(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc1, self.enc2 = block(1, w, 1), block(w, 2 * w)
            self.enc3, self.mid = block(2 * w, 4 * w), block(4 * w, 8 * w, 3)
            self.pool = nn.MaxPool2d(2)
            self.up3 = nn.ConvTranspose2d(8 * w, 4 * w, 2, stride=2)
            self.dec3 = block(8 * w, 4 * w, 1)
            self.up2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
            self.dec2 = block(4 * w, 2 * w, 1)
            self.up1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2)
            self.dec1 = block(2 * w, w, 1)
            self.head = nn.Conv2d(w, classes, 1)

        def forward(self, x):
            e1 = self.enc1(x)                       # 64 x 64
            e2 = self.enc2(self.pool(e1))           # 32 x 32
            e3 = self.enc3(self.pool(e2))           # 16 x 16
            m = self.mid(self.pool(e3))             # 8 x 8
            d3 = self.dec3(cat([self.up3(m), e3], 1))
            d2 = self.dec2(cat([self.up2(d3), e2], 1))
            d1 = self.dec1(cat([self.up1(d2), e1], 1))
            return self.head(d1)

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


def predict(model, loader):
    """(predicted masks, true masks, images) over a loader, in evaluation mode."""
    model.eval()
    preds, trues, images = [], [], []
    with fastconv.no_grad():
        for x, mask, _, _ in loader:
            preds.append(model(x).numpy().argmax(axis=1))
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
    p = _common.parser(__doc__.splitlines()[0], epochs=6, batch_size=32, lr=3e-3)
    p.add_argument("--train-scenes", type=int, default=8000)
    p.add_argument("--test-scenes", type=int, default=1000)
    p.add_argument("--width", type=int, default=16, help="channels of the first level")
    args = p.parse_args(argv)
    root = _common.setup(args)
    start = time.perf_counter()
    train_set = Scenes(args.train_scenes, seed=args.seed, train=True, root=root)
    test_set = Scenes(args.test_scenes, seed=args.seed + 1, train=False, root=root)
    print("scenes: %d train, %d test (%.0f s)"
          % (len(train_set), len(test_set), time.perf_counter() - start))
    model = build_fcn(nn, fastconv.cat, width=args.width)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True,
                        seed=args.seed)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr,
                                              total_steps=args.epochs * len(loader))
    seconds = _common.train(model, loader, optimizer,
                            lambda batch: pixel_loss(model(batch[0]), batch[1]),
                            args.epochs, scheduler=scheduler,
                            progress=not args.no_progress)
    preds, trues, images = predict(model, DataLoader(test_set, batch_size=100))
    ious = iou_per_class(confusion(preds, trues))
    print("training: %.0f s; IoU per class: %s" % (
        seconds, " ".join("%s %.3f" % (name.split("/")[0], v)
                          for name, v in zip(SCENE_CLASSES, ious))))
    print("mean IoU %.4f" % np.nanmean(ious))
    if args.plot:
        plot(args.plot, images, trues, preds)


if __name__ == "__main__":
    main()
