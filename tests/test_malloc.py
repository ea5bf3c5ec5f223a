"""fastconv._malloc: raising glibc's thresholds works on Linux and is harmless elsewhere."""
import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_keep_freed_memory_reports_success_on_linux():
    # in a child process: the setting is process-wide and must not leak into the test run
    code = ("from fastconv._malloc import keep_freed_memory; import numpy as np; "
            "assert keep_freed_memory(); a = np.ones(10_000_000); del a; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
