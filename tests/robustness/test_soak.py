"""A bounded soak: minutes of edits, disk changes and queries against one server; memory and latency stay flat.

`ISG_SOAK_SECONDS` sets the length (30 s by default, as CI runs it; an hour on demand)."""

from __future__ import annotations

import os
import random
import statistics
import time

import pytest

from tests.robustness.rawlsp import RawServer, copy_demo

SECONDS = float(os.environ.get("ISG_SOAK_SECONDS", "30"))


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@pytest.mark.slow
def test_soak(tmp_path):
    root = copy_demo(tmp_path)
    for i in range(30):
        (root / "src" / f"s{i}.rs").write_text(f"pub struct S{i};\nimpl crate::shapes::Shape for S{i} {{"
                                                f" fn area(&self) -> f64 {{ {i}.0 }} }}\n")
    with (root / "src/lib.rs").open("a") as f:
        f.write("".join(f"pub mod s{i};\n" for i in range(30)))
    rng = random.Random(5)
    with RawServer(tmp_path / "server.log") as server:
        server.initialize(root)
        uri = server.open(root / "src/util.rs")
        lib = server.open(root / "src/lib.rs")
        pid = server.proc.pid
        version, lines = 1, 0
        samples: list[tuple[float, float]] = []          # (time, RSS MB)
        latencies: list[tuple[float, float]] = []        # (time, seconds)
        started = time.monotonic()
        next_sample = started
        requests = edits = disk = 0
        queries = [
            ("isg/callers", {"fqp": "demo_crate::shapes::Shape::area"}),
            ("isg/blastRadius", {"fqp": "demo_crate::shapes::Shape", "depth": 3}),
            ("textDocument/hover", {"textDocument": {"uri": lib}, "position": {"line": 8, "character": 12}}),
            ("workspace/symbol", {"query": "S1"}),
            ("isg/query", {"query": "who-implements demo_crate::shapes::Shape"}),
            ("textDocument/codeLens", {"textDocument": {"uri": lib}}),
        ]
        while time.monotonic() - started < SECONDS:
            now = time.monotonic()
            if now >= next_sample:
                samples.append((now - started, _rss_mb(pid)))
                next_sample = now + 1.0
            version += 1
            if lines > 20 or (lines and rng.random() < 0.4):
                change = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
                          "text": ""}
                lines -= 1
            else:
                change = {"range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
                          "text": f"pub fn soak{version}(x: crate::shapes::Circle) -> u32 {{ crate::helper() }}\n"}
                lines += 1
            server.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version},
                                                     "contentChanges": [change]})
            edits += 1
            if rng.random() < 0.05:
                i = rng.randrange(30)
                path = root / "src" / f"s{i}.rs"
                path.write_text(f"pub struct S{i};\npub fn changed{version}() {{}}\n")
                server.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": path.as_uri(), "type": 2}]})
                disk += 1
            method, params = queries[requests % len(queries)]
            t0 = time.monotonic()
            response = server.request(method, params, timeout=30)
            latencies.append((t0 - started, time.monotonic() - t0))
            assert "error" not in response, response
            requests += 1
            time.sleep(0.005)
        assert server.shutdown() == 0
        log = server.log_text()
    assert "Traceback" not in log
    warm = [mb for t, mb in samples if t >= SECONDS * 0.25]
    growth = warm[-1] - warm[0] if len(warm) > 1 else 0.0
    first = [s for t, s in latencies if SECONDS * 0.1 <= t < SECONDS * 0.4]
    last = [s for t, s in latencies if t >= SECONDS * 0.7]
    p95 = lambda xs: statistics.quantiles(xs, n=20)[18] * 1000 if len(xs) > 20 else 0.0   # noqa: E731
    print(f"\nsoak: {SECONDS:.0f} s, {edits} edits, {disk} disk changes, {requests} requests; RSS "
          f"{samples[0][1]:.0f} → {samples[-1][1]:.0f} MB (after warm-up {growth:+.1f} MB); query p95 "
          f"{p95(first):.1f} ms early, {p95(last):.1f} ms late")
    assert growth < 15.0, f"memory grew by {growth:.1f} MB"
    assert p95(last) < 3 * p95(first) + 10, (p95(first), p95(last))
