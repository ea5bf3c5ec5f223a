"""fastconv predict: images become the inputs the networks were trained on, and the
command prints the classes the model gives them."""
import re

import numpy as np
import pytest

import fastconv as fc
from fastconv import cli, predict
from fastconv.data import FashionMNIST
from fastconv.data.fashion_mnist import CLASSES
from fastconv.models import lenet5

Image = pytest.importorskip("PIL.Image")


@pytest.fixture(scope="module")
def items():
    test = FashionMNIST(None, train=False)
    return test.data[:5], test.targets[:5]


def _save(path, grey01, mode="L"):
    Image.fromarray(np.round(grey01 * 255).astype(np.uint8), mode).save(path)
    return str(path)


def test_a_28x28_png_becomes_the_normalised_dataset_image(tmp_path, items):
    data, _ = items
    path = _save(tmp_path / "a.png", data[0, 0])
    expected = (data[0] - 0.2860) / 0.3530
    np.testing.assert_allclose(predict.image_to_input(path), expected, atol=1e-6)


def test_light_background_is_inverted_when_auto(tmp_path, items):
    data, _ = items
    dark_on_light = _save(tmp_path / "inv.png", 1.0 - data[1, 0])
    plain = predict.image_to_input(_save(tmp_path / "plain.png", data[1, 0]))
    np.testing.assert_allclose(predict.image_to_input(dark_on_light), plain, atol=1e-5)
    assert not np.allclose(predict.image_to_input(dark_on_light, "no"), plain, atol=1e-2)
    with pytest.raises(ValueError, match="invert"):
        predict.image_to_input(dark_on_light, "maybe")


def test_other_sizes_and_colour_are_fitted_into_28x28(tmp_path):
    rgb = np.zeros((40, 80, 3), np.uint8)
    rgb[10:30, 20:60] = (200, 100, 50)
    path = tmp_path / "wide.jpg"
    Image.fromarray(rgb, "RGB").save(path)
    x = predict.image_to_input(str(path))
    assert x.shape == (1, 28, 28) and x.dtype == np.float32
    background = (0 - 0.2860) / 0.3530
    np.testing.assert_allclose(x[0, :7], background, atol=1e-6)    # letterboxed rows
    assert x[0, 14].max() > background + 1


@pytest.mark.parametrize("as_checkpoint", [False, True])
def test_cli_prints_the_models_top_classes(tmp_path, items, capsys, as_checkpoint):
    data, _ = items
    fc.manual_seed(3)
    model = lenet5()
    weights = model.state_dict()
    fc.save({"format": "fastconv.train checkpoint", "model": weights} if as_checkpoint
            else weights, str(tmp_path / "w.npz"))
    paths = [_save(tmp_path / ("%d.png" % i), data[i, 0]) for i in range(3)]
    assert cli.main(["predict", str(tmp_path / "w.npz"), *paths, "--top", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    model.eval()
    with fc.no_grad():
        probs = fc.functional.softmax(model(fc.from_numpy((data[:3] - 0.2860) / 0.3530)),
                                      dim=1).numpy()
    for line, path, p in zip(lines, paths, probs):
        shown = re.findall(r"\d\. (.+?) (\d\.\d{3})", line[len(path) + 2:])
        best = np.argsort(-p, kind="stable")[:2]
        assert line.startswith(path + ": ")
        assert [name for name, _ in shown] == [CLASSES[c] for c in best]
        np.testing.assert_allclose([float(v) for _, v in shown], p[best], atol=1e-3)


def test_cli_errors_name_the_file(tmp_path, capsys):
    fc.save(lenet5().state_dict(), str(tmp_path / "w.npz"))
    (tmp_path / "not.png").write_bytes(b"not an image")
    assert cli.main(["predict", str(tmp_path / "missing.npz"), "x.png"]) == 2
    assert "missing.npz: no such file" in capsys.readouterr().err
    assert cli.main(["predict", str(tmp_path / "w.npz"), str(tmp_path / "not.png")]) == 2
    assert "not.png: cannot read the image" in capsys.readouterr().err
    assert cli.main(["predict", str(tmp_path / "w.npz"), "--model", "cnn_bn",
                     str(tmp_path / "not.png")]) == 2
    assert "not weights of cnn_bn" in capsys.readouterr().err
