"""fastconv.train: LeNet-5 learns on the shipped Fashion-MNIST subset."""
import numpy as np

import fastconv
from fastconv import models, optim
from fastconv.data import DataLoader, FashionMNIST, Subset
from fastconv.train import EpochStats, evaluate, train_epoch


def test_lenet5_learns_on_the_subset():
    fastconv.manual_seed(0)
    train = Subset(FashionMNIST(normalize=True), range(2000))
    test = FashionMNIST(train=False, normalize=True)
    model = models.lenet5()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loader = DataLoader(train, batch_size=64, shuffle=True, seed=0)
    test_loader = DataLoader(test, batch_size=250)
    before = evaluate(model, test_loader)
    first = train_epoch(model, loader, opt)
    second = train_epoch(model, loader, opt, progress=True)
    after = evaluate(model, test_loader)
    assert isinstance(first, EpochStats) and first.images == second.images == 2000
    assert np.isfinite(first.loss) and second.loss < first.loss
    assert after.loss < before.loss
    assert after.images == 1000
    assert after.accuracy > 0.6  # chance is 0.1
