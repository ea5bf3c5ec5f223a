"""LeNet-5 for 28x28 single-channel images (MNIST / Fashion-MNIST)."""
from .. import nn


def lenet5(num_classes: int = 10) -> nn.Sequential:
    """LeNet-5 with ReLU and max pooling, as commonly trained on 28x28 images:
    conv(6, 5x5, pad 2)-relu-pool-conv(16, 5x5)-relu-pool-fc120-relu-fc84-relu-fc(num_classes).

    Layer indices (and so state_dict keys) match the same torch.nn.Sequential.
    """
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, num_classes),
    )
