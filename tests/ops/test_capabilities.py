"""The capability record (csrc/core/caps.c) and the convolution chooser, from Python:
fastconv._cpu.capabilities / set_capabilities / conv2d_algorithm, fastconv._caps.override,
the FASTCONV_* variables read at start-up, and README's table of them."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from fastconv import _caps, _cpu, ops
from fastconv._caps import isa_available, override

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEVELS = ("generic", "avx2", "avx512")
LENET_CONV2 = ops.conv2d_geometry((4, 6, 14, 14), (16, 6, 5, 5))[0]
VGG_3X3 = ops.conv2d_geometry((2, 64, 16, 16), (64, 64, 3, 3), padding=1)[0]
RESNET_S2 = ops.conv2d_geometry((2, 128, 14, 14), (256, 128, 3, 3), stride=2,
                                padding=1)[0]
LENET_CONV1 = ops.conv2d_geometry((4, 1, 28, 28), (6, 1, 5, 5), padding=2)[0]


def test_record_fields():
    caps = _cpu.capabilities()
    assert set(caps) == {"isa", "cpu_isa", "cpu_features", "direct", "winograd"}
    assert caps["isa"] in LEVELS and caps["cpu_isa"] in LEVELS
    assert LEVELS.index(caps["isa"]) <= LEVELS.index(caps["cpu_isa"])
    assert caps["direct"] in ("off", "on", "force") and isinstance(caps["winograd"], bool)
    features = set(caps["cpu_features"])
    assert (caps["cpu_isa"] != "generic") == ({"avx", "avx2", "fma"} <= features)
    assert (caps["cpu_isa"] == "avx512") == ({"avx", "avx2", "fma", "avx512f"} <= features)
    assert _cpu.cpu_has_avx2_fma() == (caps["cpu_isa"] != "generic")


def test_set_returns_the_previous_settings_and_restores():
    before = _cpu.capabilities()
    previous = _cpu.set_capabilities(direct="force", winograd=False)
    try:
        assert previous == {k: before[k] for k in ("isa", "direct", "winograd")}
        now = _cpu.capabilities()
        assert now["direct"] == "force" and now["winograd"] is False
        assert now["isa"] == before["isa"]
        assert _cpu.set_capabilities(direct=False)["direct"] == "force"
        assert _cpu.capabilities()["direct"] == "off"
    finally:
        _cpu.set_capabilities(**previous)
    assert _cpu.capabilities() == before


def test_override_restores_after_an_exception():
    before = _cpu.capabilities()
    with pytest.raises(KeyError):
        with override(isa="generic", direct="off", winograd=False) as caps:
            assert caps["isa"] == "generic" and caps["direct"] == "off"
            raise KeyError("inside")
    assert _cpu.capabilities() == before


def test_bad_settings_raise_and_change_nothing():
    before = _cpu.capabilities()
    with pytest.raises(TypeError, match="unknown setting"):
        _cpu.set_capabilities(isa="generic", threads=2)
    with pytest.raises(ValueError, match="isa must be one of"):
        _cpu.set_capabilities(isa="sse2")
    with pytest.raises(ValueError, match="direct must be one of"):
        _cpu.set_capabilities(direct="sometimes")
    with pytest.raises(ValueError, match="winograd must be True or False"):
        _cpu.set_capabilities(winograd=1)
    above = LEVELS[LEVELS.index(before["cpu_isa"]) + 1:]
    for isa in above:   # an ISA this CPU lacks (none on AVX-512 machines)
        with pytest.raises(ValueError, match="above what this CPU runs"):
            _cpu.set_capabilities(isa=isa)
    assert _cpu.capabilities() == before


@pytest.mark.parametrize("isa", LEVELS)
def test_isa_selects_the_kernels(isa):
    if not isa_available(isa):
        pytest.skip("this CPU does not run %s" % isa)
    prefix = {"generic": "generic", "avx2": "avx2-fma", "avx512": "avx512f"}[isa]
    with override(isa=isa, direct="on", winograd=True):
        assert _cpu.gemm_kernel_name().startswith(prefix)
        # the direct kernels run on AVX-512 only; the few-tap weight gradient from AVX2
        direct = isa == "avx512"
        assert _cpu.conv2d_algorithm(LENET_CONV2, "forward") == \
            ("direct" if direct else "implicit_gemm")
        assert _cpu.conv2d_algorithm(LENET_CONV1, "forward") == \
            ("direct_rows" if direct else "implicit_gemm")
        assert _cpu.conv2d_algorithm(LENET_CONV1, "weight") == \
            ("implicit_gemm" if isa == "generic" else "direct_few_taps")
        assert _cpu.conv2d_algorithm(RESNET_S2, "forward") == \
            ("direct_blocked_s2" if direct else "implicit_gemm")
        assert _cpu.conv2d_algorithm(LENET_CONV2, "relu_pool2x2") == \
            ("direct" if direct else "unfused")
        assert _cpu.conv2d_algorithm(VGG_3X3, "forward") == "winograd"


def test_chooser_follows_the_switches():
    with override(direct="off", winograd=False):
        for geom in (LENET_CONV2, RESNET_S2, VGG_3X3):
            assert _cpu.conv2d_algorithm(geom, "forward") == "implicit_gemm"
            assert _cpu.conv2d_algorithm(geom, "weight", np.float64) == "implicit_gemm"
        assert _cpu.conv2d_algorithm(VGG_3X3, "data") == "implicit_gemm"
        assert _cpu.conv2d_algorithm(RESNET_S2, "data") == "gemm_col2im"
        assert _cpu.conv2d_algorithm(LENET_CONV2, "relu_pool2x2") == "unfused"
    with override(winograd=True):
        for pass_ in ("forward", "data", "weight"):
            assert _cpu.conv2d_algorithm(VGG_3X3, pass_, "float64") == "winograd"
    # float64 never runs the direct float kernels
    for pass_ in ("forward", "weight", "relu_pool2x2"):
        algorithm = _cpu.conv2d_algorithm(LENET_CONV2, pass_, np.float64)
        assert not algorithm.startswith("direct")


def test_padded_stride_1_runs_directly_only_when_forced():
    if not isa_available("avx512"):
        pytest.skip("the direct kernels need AVX-512")
    geom = ops.conv2d_geometry((2, 8, 12, 12), (16, 8, 3, 3), padding=1)[0]
    with override(isa="avx512", direct="on"):
        assert _cpu.conv2d_algorithm(geom, "forward") == "implicit_gemm"
    with override(isa="avx512", direct="force"):
        assert _cpu.conv2d_algorithm(geom, "forward") == "direct"


def test_fused_pool_runs_where_the_chooser_says():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 14, 14)).astype(np.float32)
    w = rng.standard_normal((16, 6, 5, 5)).astype(np.float32)
    pooled = np.empty((4, 16, 5, 5), np.float32)
    pos = np.empty((4, 16, 5, 5), np.uint8)
    for direct in ("on", "off"):
        with override(direct=direct):
            fused = _cpu.conv2d_algorithm(LENET_CONV2, "relu_pool2x2") != "unfused"
            ran = _cpu.conv2d_relu_max_pool2x2(LENET_CONV2, x, w, None, pooled, pos)
            assert ran == fused
    assert not _cpu.conv2d_relu_max_pool2x2(LENET_CONV2, x.astype(np.float64),
                                            w.astype(np.float64), None,
                                            pooled.astype(np.float64), pos)


def test_algorithm_bad_arguments():
    with pytest.raises(ValueError, match="pass_"):
        _cpu.conv2d_algorithm(LENET_CONV2, "backward")
    with pytest.raises(TypeError, match="float32 or float64"):
        _cpu.conv2d_algorithm(LENET_CONV2, "forward", np.float16)
    with pytest.raises(ValueError, match="16 integers"):
        _cpu.conv2d_algorithm(LENET_CONV2[:-1], "forward")


def test_old_winograd_names_are_aliases():
    with override(winograd=True):
        assert _cpu.conv2d_uses_winograd(VGG_3X3, "forward")
        assert _cpu.set_conv2d_winograd(False) is True
        assert _cpu.capabilities()["winograd"] is False
        assert not _cpu.conv2d_uses_winograd(VGG_3X3, "data")
        assert _cpu.set_conv2d_winograd(True) is False
    with pytest.raises(ValueError, match="pass_"):
        _cpu.conv2d_uses_winograd(VGG_3X3, "relu_pool2x2")


# ------------------------------------------------------------------ start-up settings

_SHOW = r"""
import json, warnings
warnings.simplefilter("always")
with warnings.catch_warnings(record=True) as w:
    import fastconv._cpu as c
    caps = c.capabilities()
print(json.dumps([caps["isa"], caps["cpu_isa"], caps["direct"], caps["winograd"],
                  [str(x.message) for x in w]]))
"""

CLEARED = ("FASTCONV_ISA", "FASTCONV_GEMM_KERNEL", "FASTCONV_POOL_KERNEL",
           "FASTCONV_CONV_DIRECT", "FASTCONV_WINOGRAD")


def _start_with(**env):
    """(isa, cpu_isa, direct, winograd, warnings) of a fresh interpreter given env: the
    settings are read once per process, which is what this tests."""
    import json
    full = {k: v for k, v in os.environ.items() if k not in CLEARED}
    full.update(env)
    full["PYTHONPATH"] = ROOT + os.pathsep + full.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", _SHOW], env=full, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _capped(isa, cpu):
    return LEVELS[min(LEVELS.index(isa), LEVELS.index(cpu))]


def test_environment_is_read_at_start_up():
    cpu = _cpu.capabilities()["cpu_isa"]
    assert _start_with() == [cpu, cpu, "on", True, []]
    assert _start_with(FASTCONV_ISA="generic", FASTCONV_CONV_DIRECT="force",
                       FASTCONV_WINOGRAD="0") == ["generic", cpu, "force", False, []]
    assert _start_with(FASTCONV_ISA="avx2", FASTCONV_CONV_DIRECT="0")[:3] == \
        [_capped("avx2", cpu), cpu, "off"]


def test_old_names_are_caps_and_bad_values_warn():
    cpu = _cpu.capabilities()["cpu_isa"]
    assert _start_with(FASTCONV_GEMM_KERNEL="avx2")[0] == _capped("avx2", cpu)
    assert _start_with(FASTCONV_POOL_KERNEL="generic")[0] == "generic"
    assert _start_with(FASTCONV_ISA="avx512", FASTCONV_GEMM_KERNEL="generic")[0] == cpu
    isa, _, direct, winograd, warned = _start_with(FASTCONV_ISA="sse",
                                                   FASTCONV_WINOGRAD="no")
    assert (isa, direct, winograd) == (cpu, "on", True)
    assert len(warned) == 1 and "FASTCONV_ISA=sse" in warned[0] and \
        "FASTCONV_WINOGRAD=no" in warned[0]


# ------------------------------------------------------------------ the settings table

_VARIABLE = re.compile(r"""["'](FASTCONV_[A-Z0-9_]+)["']""")


def _variables_in_code():
    """Every FASTCONV_* name the sources read: the ones in string literals of C, Cython,
    Python and setup.py (getenv("FASTCONV_ISA"), os.environ.get("FASTCONV_NATIVE"))."""
    names = set()
    for top in ("csrc", "fastconv"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith((".c", ".h", ".py", ".pyx", ".pxi", ".pxd")):
                    with open(os.path.join(dirpath, f), errors="replace") as fh:
                        names |= set(_VARIABLE.findall(fh.read()))
    with open(os.path.join(ROOT, "setup.py")) as fh:
        names |= set(_VARIABLE.findall(fh.read()))
    assert "FASTCONV_ISA" in names and "FASTCONV_NATIVE" in names   # the scan works
    return names


def test_every_variable_is_listed_and_in_readme():
    listed = {s.name for s in _caps.SETTINGS}
    assert _variables_in_code() <= listed, _variables_in_code() - listed
    with open(os.path.join(ROOT, "README.md")) as fh:
        readme = fh.read()
    section = readme[readme.index("## Settings"):]
    section = section[:section.index("\n## ", 3)]
    for name in listed:
        assert "`%s`" % name in section, name


def test_info_lists_the_capabilities_and_knobs(capsys):
    from fastconv.cli import main
    assert main(["info"]) == 0
    out = capsys.readouterr().out
    caps = _cpu.capabilities()
    assert "ISA" in out and caps["isa"] in out and "Winograd" in out
    for s in _caps.SETTINGS:
        assert s.name in out
