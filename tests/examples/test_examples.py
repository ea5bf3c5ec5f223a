"""The recurrent examples: the number-word rules of translate.py on known cases, and
short runs of both scripts. Their full runs, which must reach the issue's targets, are
marked slow and run only with FASTCONV_SLOW=1 (minutes each)."""
import importlib.util
import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / ("%s.py" % name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


translate = load("translate")
gru_fashion = load("gru_fashion")

KNOWN = [
    (0, "zero", "null"),
    (1, "one", "eins"),
    (7, "seven", "sieben"),
    (10, "ten", "zehn"),
    (11, "eleven", "elf"),
    (12, "twelve", "zwölf"),
    (13, "thirteen", "dreizehn"),
    (16, "sixteen", "sechzehn"),
    (17, "seventeen", "siebzehn"),
    (20, "twenty", "zwanzig"),
    (21, "twenty one", "ein und zwanzig"),
    (30, "thirty", "dreißig"),
    (42, "forty two", "zwei und vierzig"),
    (99, "ninety nine", "neun und neunzig"),
    (100, "one hundred", "ein hundert"),
    (101, "one hundred one", "ein hundert eins"),
    (111, "one hundred eleven", "ein hundert elf"),
    (342, "three hundred forty two", "drei hundert zwei und vierzig"),
    (700, "seven hundred", "sieben hundert"),
    (1000, "one thousand", "ein tausend"),
    (1001, "one thousand one", "ein tausend eins"),
    (1997, "one thousand nine hundred ninety seven",
     "ein tausend neun hundert sieben und neunzig"),
    (2021, "two thousand twenty one", "zwei tausend ein und zwanzig"),
    (3050, "three thousand fifty", "drei tausend fünfzig"),
    (7016, "seven thousand sixteen", "sieben tausend sechzehn"),
    (9999, "nine thousand nine hundred ninety nine",
     "neun tausend neun hundert neun und neunzig"),
]


@pytest.mark.parametrize("n,en,de", KNOWN)
def test_number_words_on_known_cases(n, en, de):
    assert translate.english(n) == en
    assert translate.german(n) == de


def test_every_number_has_distinct_words_from_a_small_vocabulary():
    english = {translate.english(n) for n in range(10000)}
    german = {translate.german(n) for n in range(10000)}
    assert len(english) == len(german) == 10000
    assert len({w for s in english for w in s.split()}) == 30
    assert len({w for s in german for w in s.split()}) == 32
    with pytest.raises(ValueError, match="0..9999"):
        translate.german(10000)


def test_task_holds_out_a_fifth_of_the_numbers():
    train, test, src, tgt = translate.make_task(0)
    assert len(test) == 2000 and len(set(train) | set(test)) == 10000
    assert src.decode(src.encode("four hundred two") + [2, 5]) == "four hundred two"
    with pytest.raises(KeyError, match="fourty"):
        src.encode("fourty two")


def _last_line(capsys):
    return capsys.readouterr().out.strip().splitlines()[-1]


def test_translate_runs_briefly(capsys):
    assert translate.main(["--epochs", "1", "--no-progress", "--hidden", "32",
                           "--embed", "16", "--train-limit", "1000"]) == 0
    assert re.fullmatch(r"held-out exact match 0\.\d{4}|held-out exact match 1\.0000",
                        _last_line(capsys))


def test_gru_fashion_runs_briefly(capsys):
    assert gru_fashion.main(["--epochs", "1", "--no-progress", "--train-limit", "512",
                             "--hidden", "16"]) == 0
    assert re.fullmatch(r"test accuracy 0\.\d{4}", _last_line(capsys))


slow = [pytest.mark.slow, pytest.mark.skipif(os.environ.get("FASTCONV_SLOW") != "1",
                                             reason="a full training run: FASTCONV_SLOW=1")]


@slow[0]
@slow[1]
def test_translate_reaches_the_target(capsys):
    translate.main(["--no-progress"])
    assert float(_last_line(capsys).split()[-1]) >= 0.95


@slow[0]
@slow[1]
def test_gru_fashion_reaches_the_target_on_the_full_set(capsys):
    from fastconv.data import find_fashion_mnist
    if find_fashion_mnist() is None:
        pytest.skip("the full Fashion-MNIST is not installed")
    gru_fashion.main(["--data", "full", "--no-progress"])
    assert float(_last_line(capsys).split()[-1]) >= 0.88
