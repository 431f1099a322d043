"""``python -m bench.edits_ab``: two versions of the package take the same body edits in turn. A copy of this
checkout's package stands in for the other version (figures are not asserted: timings belong to the benchmark)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(240)
def test_both_versions_take_the_same_edits_and_the_ratios_are_reported(tmp_path):
    base = tmp_path / "base"
    shutil.copytree(REPO / "isg_lsp", base / "isg_lsp", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path / "ab.json"
    run = subprocess.run([sys.executable, "-m", "bench.edits_ab", "--base", str(base), "--corpus", "synthetic-10k",
                          "--edits", "20", "--json", str(out)], cwd=REPO, capture_output=True, text=True, timeout=230)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "synthetic-10k" in run.stdout and "per-edit ratio" in run.stdout
    result = json.loads(out.read_text())["synthetic-10k"]
    this, other = result["packages"]
    assert Path(this) == (REPO / "isg_lsp").resolve() and Path(other) == (base / "isg_lsp").resolve()
    assert result["edits"] == 20
    assert result["this_ms"]["n"] == result["base_ms"]["n"] == 20
    assert result["ratio_median"] > 0 and result["ratio_iqr"][0] <= result["ratio_median"] <= result["ratio_iqr"][1]


def test_a_base_without_the_package_is_refused(tmp_path):
    run = subprocess.run([sys.executable, "-m", "bench.edits_ab", "--base", str(tmp_path)], cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "holds no isg_lsp package" in run.stderr
