"""ResNet-20 for 32x32 images (He et al. 2016, section 4.2: the CIFAR-10 networks).

Three stages of three basic blocks (16, 32 and 64 channels, the last two starting
with a stride-2 block), a 3x3 stem, global average pooling and one linear layer:
0.27M parameters with 10 classes. Shortcuts are option A, as in the paper's CIFAR
experiments: identity, or where a stage changes size, every second row and column
with zero channels added (no parameters). Names follow the common PyTorch CIFAR
implementations (`conv1`, `bn1`, `layer1.0.conv1`, ..., `linear`), so their weights
load as they are.
"""
from .. import functional as F
from .. import nn
from ..autograd import Tensor, cat, zeros
from ..nn.fusion import batch_norm_relu_of

RESNET20_STAGES = ((16, 1), (32, 2), (64, 2))   # (channels, stride of the first block)
BLOCKS_PER_STAGE = 3                             # 6n + 2 layers with n = 3: ResNet-20


def shortcut_a(x: Tensor, stride: int, planes: int) -> Tensor:
    """Option A: x itself, or x subsampled by `stride` with zero channels added on both
    sides (half before, half after) up to `planes` channels."""
    extra = planes - x.shape[1]
    if stride == 1 and extra == 0:
        return x
    x = x[:, :, ::stride, ::stride]
    if extra == 0:
        return x
    n, _, h, w = x.shape
    before, after = extra // 2, extra - extra // 2
    return cat([zeros(n, before, h, w, dtype=x.dtype), x,
                zeros(n, after, h, w, dtype=x.dtype)], 1)


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, plus the option A shortcut, then ReLU."""

    def __init__(self, in_planes: int, planes: int, stride: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.stride = stride
        self.planes = planes

    def forward(self, x: Tensor) -> Tensor:
        out = batch_norm_relu_of(self.bn1, self.conv1(x))
        out = self.bn2(self.conv2(out))
        return F.add_relu(out, shortcut_a(x, self.stride, self.planes))


class ResNet(nn.Module):
    """The CIFAR ResNet family (6n + 2 layers) with option A shortcuts."""

    def __init__(self, num_classes: int = 10, in_channels: int = 3,
                 blocks_per_stage: int = BLOCKS_PER_STAGE) -> None:
        super().__init__()
        width = RESNET20_STAGES[0][0]
        self.conv1 = nn.Conv2d(in_channels, width, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        for i, (planes, stride) in enumerate(RESNET20_STAGES, 1):
            blocks = []
            for b in range(blocks_per_stage):
                blocks.append(BasicBlock(width, planes, stride if b == 0 else 1))
                width = planes
            self.add_module("layer%d" % i, nn.Sequential(*blocks))
        self.linear = nn.Linear(width, num_classes)
        for m in self.modules():   # Kaiming-normal (fan_in, ReLU gain) as the CIFAR code
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)

    def forward(self, x: Tensor) -> Tensor:
        out = batch_norm_relu_of(self.bn1, self.conv1(x))
        out = self.layer3(self.layer2(self.layer1(out)))
        return self.linear(out.mean((2, 3)))   # global average pooling: any input size


def resnet20(num_classes: int = 10, in_channels: int = 3) -> ResNet:
    """ResNet-20 (0.27M parameters). Built for 3x32x32 CIFAR images; the global average
    pooling lets it take other sizes too, e.g. 1x28x28 Fashion-MNIST (in_channels=1:
    28 -> 14 -> 7 pixels through the stages)."""
    return ResNet(num_classes, in_channels)
