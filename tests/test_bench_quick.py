"""The benchmark's CI-sized run: ``python -m bench run --quick`` ends, prints its table and writes JSON with every
measure (figures are not asserted: timings belong to the benchmark, never to a unit test)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(240)
def test_bench_quick_runs_and_reports_every_measure(tmp_path):
    out = tmp_path / "quick.json"
    run = subprocess.run([sys.executable, "-m", "bench", "run", "--quick", "--out", str(out)], cwd=REPO,
                         capture_output=True, text=True, timeout=230)
    assert run.returncode == 0, run.stderr[-2000:]
    for heading in ("## Cold index", "## Warm restart", "## The in-memory representation",
                    "## Edit → query-ready through LSP", "## Goals"):
        assert heading in run.stdout
    results = json.loads(out.read_text())
    assert results["machine"]["python"]
    names = [r["corpus"]["name"] for r in results["corpora"]]
    assert names == ["rust-10k", "synthetic-10k"]
    for r in results["corpora"]:
        assert not r["corpus"].get("error"), r["corpus"]
        assert r["corpus"]["loc"] > 5000
        for measure in ("parse", "parse_query", "ctags", "cold"):
            assert measure in r and "error" not in r[measure], (measure, r.get(measure))
        cold = r["cold"]
        for key in ("index_s", "cpu_s", "peak_rss_mb", "db_bytes", "nodes", "edges", "map_share", "source_bytes"):
            assert key in cold, key
        assert cold["nodes"] > 0 and cold["edges"] > 0
    deep = results["corpora"][0]
    for measure in ("warm", "warm_1pct", "edit", "mixed", "representation"):
        assert measure in deep and "error" not in deep[measure], (measure, deep.get(measure))
    assert deep["warm"]["parsed"] == 0 and deep["warm_1pct"]["parsed"] >= 1
    for kind in ("body", "signature", "impl", "all"):
        assert {"p50", "p95", "p99"} <= set(deep["edit"][kind])
    for cls in ("simple_us", "multi_us", "cycles_us"):
        assert "p99" in deep["mixed"][cls]
    # measures owned by other modules: present, as figures or as "n/a (why)"
    for measure in ("lsp", "queries"):
        assert measure in deep
        assert isinstance(deep[measure], dict)
    assert results["verdicts"]
