"""The "2 conv + pooling + BatchNorm" Fashion-MNIST network of the dataset's benchmark
table (test accuracy 0.934 listed there)."""
from .. import nn


def cnn_bn(num_classes: int = 10) -> nn.Sequential:
    """conv(32, 5x5, pad 2)-BN-ReLU-pool, conv(64, 5x5, pad 2)-BN-ReLU-pool, flatten,
    fc1024-ReLU-dropout(0.5)-fc(num_classes), for 1x28x28 images: an nn.Sequential of
    13 modules whose indices (and so state_dict keys) match the same torch.nn.Sequential.
    """
    return nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 7 * 7, 1024), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(1024, num_classes),
    )
