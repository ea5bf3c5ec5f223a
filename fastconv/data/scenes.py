"""Synthetic scenes made of Fashion-MNIST items, for the dense-prediction examples.

`make_scene` places 1-4 items (at random positions and scales, later ones on top) on a
larger black canvas and returns the image with everything a segmentation or detection
network learns from: a per-pixel class mask (0 background, label + 1 for the item
there), the index of the object seen at each pixel, and a tight box and class per
object. `Scenes` is a Dataset of such scenes; `DistortedFashionMNIST` is Fashion-MNIST
with each item rotated, scaled and shifted on a 42x42 canvas (the spatial transformer's
benchmark). Both are deterministic for a seed: scene (or image) i depends only on the
seed and i.

The pixels of an item are its resized grey values; its own mask (what it covers) is
where they exceed `threshold`. An item is pasted on the canvas at its mask's pixels
only, so the class mask, the object map and the image agree everywhere.
"""
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np

from .. import ops
from .dataset import Dataset
from .fashion_mnist import CLASSES, find_fashion_mnist, load_fashion_mnist

SCENE_CLASSES = ["background"] + list(CLASSES)   # mask values 0..10
MAX_OBJECTS = 4

Root = Union[None, str, os.PathLike]


def resolve_root(root: Root) -> Optional[Path]:
    """None (the shipped subset), 'full' (Debian's full set, FileNotFoundError when it is
    missing) or a directory of the four IDX files."""
    if root is None:
        return None
    if isinstance(root, str) and root == "full":
        found = find_fashion_mnist()
        if found is None:
            raise FileNotFoundError("the full Fashion-MNIST set is not installed "
                                    "(apt-get install dataset-fashion-mnist)")
        return found
    return Path(root)


@dataclass
class Scene:
    """One scene of k objects on an (H, W) canvas.

    image: float32 (H, W) grey values in [0, 1]; mask: int64 (H, W), 0 for background
    and label + 1 where an item is seen; objects: int64 (H, W), 0 for background and
    j + 1 where object j (in paint order) is seen; boxes: float32 (k, 4) tight
    (x1, y1, x2, y2) around each object's own mask, in pixels, x2 and y2 exclusive;
    labels: int64 (k,) Fashion-MNIST classes; object_masks: bool (k, H, W), each
    object's whole mask (also where later objects hide it).
    """

    image: np.ndarray
    mask: np.ndarray
    objects: np.ndarray
    boxes: np.ndarray
    labels: np.ndarray
    object_masks: np.ndarray


def _resized(item: np.ndarray, size: int) -> np.ndarray:
    """A 28x28 float item resized to size x size (bilinear, pixel areas aligned)."""
    x = np.ascontiguousarray(item, dtype=np.float32).reshape(1, 1, *item.shape)
    return ops.upsample_bilinear2d_forward(x, (size, size))[0, 0]


def make_scene(rng: np.random.Generator, items: np.ndarray, item_labels: np.ndarray,
               canvas: int = 64, objects: Tuple[int, int] = (1, MAX_OBJECTS),
               scale: Tuple[float, float] = (1.0, 1.6), min_visible: float = 0.75,
               threshold: float = 0.2, tries: int = 20) -> Scene:
    """One scene drawn with `rng` from `items` (N, 28, 28) uint8 and their labels.

    The number of objects is uniform in objects[0]..objects[1]; each is a random item,
    resized by a factor uniform in `scale` and placed uniformly inside the canvas. A
    placement that would leave an earlier object with less than `min_visible` of its
    mask in view is drawn again (up to `tries` times; then the scene keeps the objects
    it has, at least one).
    """
    want = int(rng.integers(objects[0], objects[1] + 1))
    image = np.zeros((canvas, canvas), np.float32)
    seen = np.zeros((canvas, canvas), np.int64)          # object index + 1
    full_masks, boxes, labels = [], [], []
    for _ in range(want):
        for _attempt in range(tries):
            k = int(rng.integers(len(items)))
            size = int(round(28 * rng.uniform(*scale)))
            size = min(max(size, 8), canvas)
            top = int(rng.integers(0, canvas - size + 1))
            left = int(rng.integers(0, canvas - size + 1))
            pixels = _resized(items[k] / np.float32(255), size)
            own = pixels > threshold
            if not own.any():
                continue
            mask = np.zeros((canvas, canvas), bool)
            mask[top:top + size, left:left + size] = own
            after = np.where(mask, len(full_masks) + 1, seen)
            if all((after == j + 1).sum() >= min_visible * m.sum()
                   for j, m in enumerate(full_masks)):
                break
        else:
            break
        region = image[top:top + size, left:left + size]
        region[own] = pixels[own]
        seen = after
        rows, cols = np.nonzero(mask)
        boxes.append([cols.min(), rows.min(), cols.max() + 1, rows.max() + 1])
        labels.append(int(item_labels[k]))
        full_masks.append(mask)
    labels_arr = np.asarray(labels, np.int64)
    class_of = np.concatenate([[0], labels_arr + 1])
    return Scene(image=np.clip(image, 0, 1), mask=class_of[seen], objects=seen,
                 boxes=np.asarray(boxes, np.float32).reshape(-1, 4), labels=labels_arr,
                 object_masks=np.asarray(full_masks, bool).reshape(-1, canvas, canvas))


def scene_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of scene `index` of a dataset seeded `seed`."""
    return np.random.default_rng([int(seed), int(index)])


class Scenes(Dataset):
    """`n` scenes (see make_scene) made once, as a Dataset for DataLoader.

    root: None for the Fashion-MNIST subset shipped with fastconv, 'full' for the full
    set (Debian's dataset-fashion-mnist), or a directory of the IDX files; train picks
    the training or test items (held-out scenes use test items). Items are
    (image float32 (1, H, W) in [0, 1], mask int64 (H, W), boxes float32 (4, 4),
    labels int64 (4,)): boxes and labels padded to MAX_OBJECTS with zeros and -1, so
    that batches stack. Images and masks are stored as uint8 (a quarter of the memory).
    """

    classes = SCENE_CLASSES

    def __init__(self, n: int = 10000, seed: int = 0, train: bool = True, root: Root = None,
                 canvas: int = 64, **scene_options) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError("Scenes: n must be an int >= 1, got %r" % (n,))
        if isinstance(canvas, bool) or not isinstance(canvas, int) or canvas < 28:
            raise ValueError("Scenes: canvas must be an int >= 28, got %r" % (canvas,))
        items, labels = load_fashion_mnist(resolve_root(root), train)
        self.n, self.seed, self.train, self.canvas = n, int(seed), bool(train), canvas
        self.images = np.zeros((n, 1, canvas, canvas), np.uint8)
        self.masks = np.zeros((n, canvas, canvas), np.uint8)
        self.boxes = np.zeros((n, MAX_OBJECTS, 4), np.float32)
        self.labels = np.full((n, MAX_OBJECTS), -1, np.int64)
        for i in range(n):
            scene = make_scene(scene_rng(seed, i), items, labels, canvas, **scene_options)
            self.images[i, 0] = np.rint(scene.image * 255).astype(np.uint8)
            self.masks[i] = scene.mask
            k = len(scene.labels)
            self.boxes[i, :k] = scene.boxes
            self.labels[i, :k] = scene.labels

    def __len__(self) -> int:
        return self.n

    def get_batch(self, indices: np.ndarray) -> Tuple[np.ndarray, ...]:
        """(images, masks, boxes, labels) of the scenes at `indices`, as new arrays."""
        images = np.take(self.images, indices, axis=0).astype(np.float32)
        images *= np.float32(1 / 255)
        return (images, np.take(self.masks, indices, axis=0).astype(np.int64),
                np.take(self.boxes, indices, axis=0), np.take(self.labels, indices, axis=0))

    def __getitem__(self, index: int) -> Tuple[np.ndarray, ...]:
        i = int(index)
        if not -self.n <= i < self.n:
            raise IndexError("Scenes index %d out of range for %d scenes" % (i, self.n))
        return tuple(a[0] for a in self.get_batch(np.array([i % self.n])))

    def __repr__(self) -> str:
        return "Scenes(n=%d, seed=%d, train=%r, canvas=%d)" % (self.n, self.seed, self.train,
                                                               self.canvas)


# ------------------------------------------------------------------ distorted Fashion-MNIST

def distortion_thetas(rng: np.random.Generator, n: int, max_degrees: float = 60.0,
                      scale: Tuple[float, float] = (0.7, 1.2), shift: float = 0.2
                      ) -> np.ndarray:
    """(n, 2, 3) affine_grid matrices that show an item rotated by up to +-max_degrees,
    scaled by a factor in `scale` and shifted by up to `shift` (a fraction of the canvas
    half-width) in x and y: each maps output coordinates to where they read the
    centred item."""
    angle = np.deg2rad(rng.uniform(-max_degrees, max_degrees, n))
    s = rng.uniform(scale[0], scale[1], n)
    t = rng.uniform(-shift, shift, (n, 2))
    cos, sin = np.cos(angle), np.sin(angle)
    inv = np.empty((n, 2, 2))                 # (s R(angle))^-1 = R(-angle) / s
    inv[:, 0, 0], inv[:, 0, 1] = cos / s, sin / s
    inv[:, 1, 0], inv[:, 1, 1] = -sin / s, cos / s
    theta = np.empty((n, 2, 3))
    theta[:, :, :2] = inv
    theta[:, :, 2] = -np.einsum("nij,nj->ni", inv, t)
    return theta


def distort(items: np.ndarray, thetas: np.ndarray, canvas: int = 42) -> np.ndarray:
    """Items (N, 28, 28) in [0, 1] centred on a canvas x canvas field and warped by
    thetas (affine_grid + bilinear grid_sample, zeros outside): float32 (N, canvas,
    canvas)."""
    n = len(items)
    pad = (canvas - items.shape[1]) // 2
    field = np.zeros((n, 1, canvas, canvas), np.float32)
    field[:, 0, pad:pad + items.shape[1], pad:pad + items.shape[2]] = items
    grid = ops.affine_grid_forward(thetas.astype(np.float32), (n, 1, canvas, canvas))
    return ops.grid_sample_forward(field, grid)[:, 0]


class DistortedFashionMNIST(Dataset):
    """Fashion-MNIST with every image rotated (up to +-max_degrees), scaled (by a factor
    in `scale`) and shifted (up to `shift` of the half-width) at random on a 42x42
    canvas, deterministic for `seed`. Items are (image float32 (1, 42, 42) in [0, 1],
    label int64); `limit` keeps the first images only. `thetas` (N, 2, 3) are the
    affine_grid matrices that made each image from the centred item."""

    classes = CLASSES

    def __init__(self, train: bool = True, root: Root = None, seed: int = 0,
                 limit: Optional[int] = None, canvas: int = 42, max_degrees: float = 60.0,
                 scale: Tuple[float, float] = (0.7, 1.2), shift: float = 0.2,
                 chunk: int = 4096) -> None:
        if isinstance(canvas, bool) or not isinstance(canvas, int) or canvas < 28:
            raise ValueError("DistortedFashionMNIST: canvas must be an int >= 28, got %r"
                             % (canvas,))
        items, labels = load_fashion_mnist(resolve_root(root), train)
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
                raise ValueError("DistortedFashionMNIST: limit must be an int >= 1, got %r"
                                 % (limit,))
            items, labels = items[:limit], labels[:limit]
        rng = np.random.default_rng([int(seed), 1 if train else 0])
        self.thetas = distortion_thetas(rng, len(items), max_degrees, scale, shift)
        self.images = np.empty((len(items), 1, canvas, canvas), np.uint8)
        for start in range(0, len(items), chunk):
            part = slice(start, start + chunk)
            warped = distort(items[part] / np.float32(255), self.thetas[part], canvas)
            self.images[part, 0] = np.rint(np.clip(warped, 0, 1) * 255).astype(np.uint8)
        self.targets = labels
        self.train = bool(train)

    def __len__(self) -> int:
        return len(self.targets)

    def get_batch(self, indices: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        images = np.take(self.images, indices, axis=0).astype(np.float32)
        images *= np.float32(1 / 255)
        return images, np.take(self.targets, indices, axis=0)

    def __getitem__(self, index: int) -> Tuple[np.ndarray, np.int64]:
        n = len(self)
        i = int(index)
        if not -n <= i < n:
            raise IndexError("DistortedFashionMNIST index %d out of range for %d images"
                             % (i, n))
        image, label = self.get_batch(np.array([i % n]))
        return image[0], label[0]
