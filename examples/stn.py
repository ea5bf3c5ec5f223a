"""A spatial transformer network on distorted Fashion-MNIST.

Every image of fastconv.data.scenes.DistortedFashionMNIST is rotated (up to +-60
degrees), scaled (0.7-1.2) and shifted on a 42x42 canvas. The same small CNN is trained
twice on them: once on its own, and once behind a spatial transformer (Jaderberg et
al., 2015): a localisation network looks at the image and predicts an affine matrix
(initialised to the identity), F.affine_grid turns it into a sampling grid and
F.grid_sample resamples the image through it, so that the classifier sees the item
turned and scaled back towards a canonical pose. Both are trained end to end with the
same schedule; the metric is their accuracy on the distorted test set.

    python examples/stn.py                 # prints "plain 0.XXXX stn 0.XXXX" last
    python examples/stn.py --plot stn.png  # and draws inputs beside the STN's output
"""
import time

import numpy as np

import fastconv
import fastconv.functional as F
from fastconv import nn, optim
from fastconv.data import DataLoader
from fastconv.data.scenes import DistortedFashionMNIST

import _common


def build_classifier(nn, side: int = 42):
    """The small CNN both runs train: two conv + batch norm + ReLU + pool stages and two
    linear layers."""
    flat = 32 * (side // 4) * (side // 4)
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(flat, 128), nn.ReLU(), nn.Linear(128, 10))


def build_stn(nn, F, side: int = 42):
    """The classifier behind a spatial transformer, written against a torch.nn-like
    module `nn` and functional `F` (so that the benchmark builds it in PyTorch too). The
    localisation network looks at the image at half resolution."""
    loc_side = side // 2 // 4                      # 42 -> 21 -> 10 -> 5

    class STN(nn.Module):
        def __init__(self):
            super().__init__()
            self.classifier = build_classifier(nn, side)   # first: seeded as the plain one
            self.localization = nn.Sequential(
                nn.MaxPool2d(2),
                nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                nn.Linear(16 * loc_side * loc_side, 32), nn.ReLU())
            self.theta = nn.Linear(32, 6)
            with _no_grad(nn):   # start from the identity transform
                self.theta.weight.zero_()
                self.theta.bias.copy_(_tensor_like(self.theta.bias, [1, 0, 0, 0, 1, 0]))

        def transform(self, x):
            theta = self.theta(self.localization(x)).reshape(-1, 2, 3)
            grid = F.affine_grid(theta, list(x.shape), align_corners=False)
            return F.grid_sample(x, grid, align_corners=False)

        def forward(self, x):
            return self.classifier(self.transform(x))

    return STN()


def _no_grad(nn):
    """fastconv.no_grad or torch.no_grad, whichever library `nn` belongs to."""
    if nn is fastconv.nn:
        return fastconv.no_grad()
    import torch
    return torch.no_grad()


def _tensor_like(t, values):
    if isinstance(t, fastconv.Tensor):
        return fastconv.tensor(np.asarray(values, dtype=t.dtype))
    import torch
    return torch.tensor(values, dtype=t.dtype)


def accuracy(model, loader) -> float:
    model.eval()
    correct = total = 0
    with fastconv.no_grad():
        for x, y in loader:
            correct += int((model(x).numpy().argmax(1) == y.numpy()).sum())
            total += len(y)
    return correct / total


def fit(model, train_set, args, label: str) -> float:
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, drop_last=True,
                        seed=args.seed)
    optimizer = optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr,
                                              total_steps=args.epochs * len(loader))
    print("training the %s network" % label)
    return _common.train(model, loader, optimizer,
                         lambda batch: F.cross_entropy(model(batch[0]), batch[1]),
                         args.epochs, scheduler=scheduler, progress=not args.no_progress)


def plot(path, model, images, count: int = 10):
    plt = _common.pyplot(path)
    model.eval()
    with fastconv.no_grad():
        out = model.transform(fastconv.tensor(images[:count])).numpy()
    fig, axes = plt.subplots(2, count, figsize=(1.6 * count, 3.6))
    for i in range(count):
        for row, picture in enumerate((images[i, 0], out[i, 0])):
            axes[row, i].imshow(picture, cmap="gray", vmin=0, vmax=1)
            axes[row, i].axis("off")
    axes[0, 0].set_title("distorted input", loc="left", fontsize=10)
    axes[1, 0].set_title("after the spatial transformer", loc="left", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None):
    p = _common.parser(__doc__.splitlines()[0], epochs=6, batch_size=64, lr=2e-3)
    p.add_argument("--train-limit", type=int, default=30000,
                   help="training images used (0: all)")
    p.add_argument("--test-limit", type=int, default=0, help="test images used (0: all)")
    args = p.parse_args(argv)
    root = _common.setup(args)
    start = time.perf_counter()
    train_set = DistortedFashionMNIST(train=True, root=root, seed=args.seed,
                                      limit=args.train_limit or None)
    test_set = DistortedFashionMNIST(train=False, root=root, seed=args.seed,
                                     limit=args.test_limit or None)
    print("distorted Fashion-MNIST: %d train, %d test (%.0f s)"
          % (len(train_set), len(test_set), time.perf_counter() - start))
    test_loader = DataLoader(test_set, batch_size=500)
    results = {}
    for label in ("plain", "stn"):
        fastconv.manual_seed(args.seed)   # the same initial classifier for both
        model = build_classifier(nn) if label == "plain" else build_stn(nn, F)
        seconds = fit(model, train_set, args, label)
        results[label] = accuracy(model, test_loader)
        print("%s: test accuracy %.4f (%.0f s of training)"
              % (label, results[label], seconds))
    print("plain %.4f stn %.4f" % (results["plain"], results["stn"]))
    if args.plot:
        plot(args.plot, model, test_set.get_batch(np.arange(10))[0])


if __name__ == "__main__":
    main()
