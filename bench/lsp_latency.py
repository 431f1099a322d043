"""Edit → query-ready and query latency through the language server, over stdio, with a real LSP client.

    python -m bench.lsp_latency [--quick] [--file PATH] [--edits N] [--queries N] [--json OUT]

Starts `isg-lsp serve` on a copy of the crate that holds a large real Rust file (serde's de/mod.rs by default, from
Debian's librust-serde-dev), opens the file and makes hundreds of edits: body edits (a statement typed into a
function and removed), signature edits (a function renamed and renamed back) and an `impl` added and removed. Each
edit is followed at once by a request. Figures:

- server-side edit → query-ready: the server's own record of each update (applying the change to the text and the
  tree, incremental parse, extraction, graph surgery), read from `isg/stats` `latencyMs.update` (ISG-SPEC §4: p99
  under 3 ms is the goal);
- client-side edit + query round trip: from sending `didChange` to the answer of the request that follows it;
- query latency through the protocol (client round trip) for isg/whoImplements, isg/callers, isg/blastRadius and
  textDocument/definition (goal: p99 under 2 ms), and the server-side query time from `latencyMs.query`;
- as ISG-SPEC §4 asks, each figure also as a ratio to a bare tree-sitter parse of the same file, in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from pytest_lsp import client_capabilities

DEFAULT_CRATE_GLOB = "/usr/share/cargo/registry/serde-1.*"
DEFAULT_FILE = "src/de/mod.rs"


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "n": 0}
    ordered = sorted(values)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "n": len(ordered)}


def bare_parse_ms(data: bytes, repeat: int = 20, grammar: str = "rust") -> tuple[float, float]:
    """Median full parse and median incremental reparse (one-byte edit) of the file, in milliseconds."""
    from isg_lsp.engine import parser_for

    parser = parser_for(grammar)
    full, incremental = [], []
    middle = data.find(b"{", len(data) // 2) + 1
    for _ in range(repeat):
        started = time.perf_counter()
        tree = parser.parse(data)
        full.append((time.perf_counter() - started) * 1000)
        edited = data[:middle] + b" " + data[middle:]
        row = data.count(b"\n", 0, middle)
        col = middle - (data.rfind(b"\n", 0, middle) + 1)
        tree.edit(start_byte=middle, old_end_byte=middle, new_end_byte=middle + 1, start_point=(row, col),
                  old_end_point=(row, col), new_end_point=(row, col + 1))
        started = time.perf_counter()
        parser.parse(edited, tree)
        incremental.append((time.perf_counter() - started) * 1000)
    return statistics.median(full), statistics.median(incremental)


class RawClient:
    """A minimal JSON-RPC client over the server's stdio: plain JSON in and out, as an editor's client decodes it
    (pygls' own client turns every object into a named tuple, which would dominate the figures)."""

    def __init__(self) -> None:
        self.proc: asyncio.subprocess.Process | None = None
        self.pending: dict[int, asyncio.Future] = {}
        self.next_id = 0
        self.reader: asyncio.Task | None = None

    async def start(self, *cmd: str) -> None:
        self.proc = await asyncio.create_subprocess_exec(*cmd, stdin=asyncio.subprocess.PIPE,
                                                         stdout=asyncio.subprocess.PIPE, limit=1 << 24)
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        stdout = self.proc.stdout
        while True:
            length = 0
            while True:
                line = await stdout.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(await stdout.readexactly(length))
            if "method" in message:
                if "id" in message:                      # a request of the server: progress, registration, refresh
                    self._send({"jsonrpc": "2.0", "id": message["id"],
                                "result": [None] if message["method"] == "workspace/configuration" else None})
                continue
            future = self.pending.pop(message.get("id"), None)
            if future is not None and not future.done():
                if "error" in message:
                    future.set_exception(RuntimeError(message["error"].get("message")))
                else:
                    future.set_result(message.get("result"))

    def _send(self, payload: dict) -> None:
        body = json.dumps(payload).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params) -> object:
        self.next_id += 1
        future = asyncio.get_running_loop().create_future()
        self.pending[self.next_id] = future
        self._send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return await future

    def notify(self, method: str, params) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    async def stop(self) -> None:
        if self.proc is None or self.proc.returncode is not None:
            return
        try:
            await asyncio.wait_for(self.request("shutdown", None), 30)
            self.notify("exit", None)
            await asyncio.wait_for(self.proc.wait(), 10)
        except (asyncio.TimeoutError, OSError, RuntimeError):
            self.proc.kill()
            await self.proc.wait()
        if self.reader is not None:
            self.reader.cancel()


class Bench:
    def __init__(self, root: Path, rel: str) -> None:
        from . import edit_kinds
        from .measure import engine_language

        self.root = root
        self.rel = rel
        self.language = edit_kinds.language_of(rel) or edit_kinds.LANGUAGES["rust"]
        self.language_id = engine_language(rel, self.language.name)
        self.uri = (root / rel).as_uri()
        self.text = (root / rel).read_text()
        self.lines = self.text.split("\n")
        self.version = 1
        self.client = RawClient()

    async def start(self) -> float:
        """Starts the server, waits until its folder is indexed (seconds: start → ready), opens the file."""
        from lsprotocol.converters import get_converter

        await self.client.start(sys.executable, "-m", "isg_lsp", "serve")
        started = time.perf_counter()
        capabilities = get_converter().unstructure(client_capabilities("visual_studio_code"))
        await self.request("initialize", {"processId": None, "rootUri": self.root.as_uri(),
                                          "capabilities": capabilities,
                                          "workspaceFolders": [{"uri": self.root.as_uri(), "name": self.root.name}]})
        self.client.notify("initialized", {})
        while (await self.request("isg/stats", {}))["state"] != "ready":
            await asyncio.sleep(0.02)
        ready = time.perf_counter() - started
        self.client.notify("textDocument/didOpen", {"textDocument": {
            "uri": self.uri, "languageId": self.language_id, "version": 1, "text": self.text}})
        await self.request("isg/stats", {})
        return ready

    async def stop(self) -> None:
        await self.client.stop()

    def memory_mb(self) -> dict[str, float]:
        """The server process's resident memory now and at its peak (VmRSS, VmHWM), without its parser workers."""
        return server_memory_mb(self.client.proc.pid)

    async def request(self, method: str, params):
        return await self.client.request(method, params)

    def change(self, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
        self.version += 1
        self.client.notify("textDocument/didChange", {
            "textDocument": {"uri": self.uri, "version": self.version},
            "contentChanges": [{"range": {"start": {"line": start[0], "character": start[1]},
                                          "end": {"line": end[0], "character": end[1]}}, "text": text}]})


def server_memory_mb(pid: int) -> dict[str, float]:
    found = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    found["rss" if line.startswith("VmRSS") else "peak"] = int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return found


def edit_plan(language, text: str, count: int, trait: str) -> list[tuple[str, tuple, tuple, str]]:
    """Pairs of edits (do, undo) that leave the text as it was: a statement typed into a body, a parameter added
    to a signature, a type implementing ``trait`` appended (`bench/edit_kinds.py`, in the file's language)."""
    from . import edit_kinds

    data = text.encode()
    plan = []
    k = 0
    while len(plan) < count:
        kind = ("body", "body", "signature", "impl")[k % 4]
        pick = k * (11 if kind == "signature" else 7)
        new, start, old_end, new_end = edit_kinds.make_edit(language, data, kind, k, pick=pick, trait=trait)
        if new is None:
            raise SystemExit(f"the file has no function to edit ({language.name})")
        added = new[start:new_end].decode()
        plan.append((kind, _position(data, start), _position(data, old_end), added))
        plan.append((kind, _position(new, start), _position(new, new_end), ""))
        k += 1
    return plan[:count]


def _position(data: bytes, offset: int) -> tuple[int, int]:
    """An LSP position (line, UTF-16 column) of a byte offset."""
    line = data.count(b"\n", 0, offset)
    start = data.rfind(b"\n", 0, offset) + 1
    return line, len(data[start:offset].decode("utf-8", errors="replace").encode("utf-16-le")) // 2


def last_segment(fqp: str) -> str:
    return re.split(r"::|\.|/", fqp)[-1]


async def pick_targets(bench: Bench) -> tuple[str, str]:
    """The trait with the most implementors, preferring one the edited file names in a declaration (so that
    definition and references are asked at a place in it), else one of the file's own crate or package (so that
    the implementation the edits append names it), and the function with the most callers."""
    traits = (await bench.request("isg/search", {"pattern": "*", "kinds": ["T"], "limit": 300}))["nodes"]
    if not traits:                  # Python without ABCs or protocols: classes and their subclasses
        traits = (await bench.request("isg/search", {"pattern": "*", "kinds": ["S"], "limit": 300}))["nodes"]
    impl_lines = [(n, line) for n, line in enumerate(bench.lines) if bench.language.declaration.match(line)]
    package = bench.root.as_uri() + "/" + bench.rel.split("/", 1)[0] + "/"      # the edited file's crate or package
    best_trait, most = None, (False, False, -1)
    for node in traits:
        count = len((await bench.request("isg/whoImplements", {"id": node["id"]}))["implementors"])
        near = ((node.get("location") or {}).get("uri") or "").startswith(package)
        here = near and (True, True, count) > most and await _named_here(bench, impl_lines, node)
        if (here, near, count) > most:
            best_trait, most = node["fqp"], (here, near, count)
    functions = (await bench.request("isg/search", {"pattern": "*", "kinds": ["F"], "limit": 300}))["nodes"]
    best_function, most_calls = None, -1
    for node in functions:
        count = len((await bench.request("isg/callers", {"id": node["id"]}))["calls"])
        if count > most_calls:
            best_function, most_calls = node["fqp"], count
    if best_trait is None or best_function is None:
        raise SystemExit("the workspace has no trait or no function to query")
    return best_trait, best_function


async def _named_here(bench: Bench, impl_lines: list[tuple[int, str]], node: dict) -> bool:
    """Whether a declaration line of the edited file names ``node`` (its name there goes to its definition), so
    that a type appended to the file implements it by that name."""
    name = last_segment(node["fqp"])
    for number, line in impl_lines:
        named = re.search(rf"\b{re.escape(name)}\b", line)
        if named is None:
            continue
        found = await bench.request("textDocument/definition", {"textDocument": {"uri": bench.uri},
                                                                "position": {"line": number,
                                                                             "character": named.start()}})
        found = found if isinstance(found, list) else [found] if found else []
        uri = (node.get("location") or {}).get("uri")
        if uri and any((loc.get("uri") or loc.get("targetUri")) == uri for loc in found):
            return True
    return False


ISSUE_FILE_LINES = 1855      # issue #21 measured edits on a 1,855-line file of tokio: the corpus's nearest file


def run(root: Path, quick: bool = False, files: list[str] | None = None, **_ignored) -> dict:
    """For `python -m bench run`: the same measures on the file of the corpus's main language nearest to 1,855
    lines that has functions to edit (in a copy of the corpus), and the server's own figures: start → ready cold
    and warm (a second server on the database the first left), its resident memory after indexing."""
    from . import edit_kinds

    candidates = files if files is not None else [str(p.relative_to(root)) for p in Path(root).rglob("*")
                                                  if p.is_file()]
    candidates = [f for f in candidates if "/target/" not in f and "/node_modules/" not in f]
    language = edit_kinds.main_language(candidates)
    if language is None:
        return {"error": "n/a (no file in a language the benchmark edits)"}
    editable = [f for f in candidates if edit_kinds.language_of(f) is language and not f.endswith(".d.ts")]

    def lines(rel: str) -> int:
        return (Path(root) / rel).read_bytes().count(b"\n") + 1

    def has_functions(rel: str) -> bool:
        text = (Path(root) / rel).read_text(errors="replace").split("\n")
        return len(edit_kinds.function_lines(language, text)) >= 4

    editable = [f for f in sorted(editable, key=lambda f: (abs(lines(f) - ISSUE_FILE_LINES), f))[:40]
                if has_functions(f)]
    if not editable:
        return {"error": f"n/a (no {language.name} file with functions to edit)"}
    chosen = editable[0]
    args = argparse.Namespace(crate=str(root), file=chosen, edits=60 if quick else 400,
                              queries=40 if quick else 100, json=None, warm=True)
    return asyncio.run(measure(args))


async def measure(args) -> dict:
    from . import edit_kinds

    crate = Path(args.crate) if args.crate else Path(sorted(glob.glob(DEFAULT_CRATE_GLOB))[-1])
    work = Path(tempfile.mkdtemp(prefix="isg-lsp-bench-"))
    root = work / crate.name
    shutil.copytree(crate, root, ignore=shutil.ignore_patterns(".isg", "target", "debian", ".git"))
    data = (root / args.file).read_bytes()
    bench = Bench(root, args.file)
    full_parse, incremental_parse = bare_parse_ms(data, grammar=bench.language_id)
    warm: dict = {}
    try:
        ready_s = await bench.start()
        memory = bench.memory_mb()
        trait, function = await pick_targets(bench)
        found = await bench.request("isg/whoImplements", {"fqp": trait})

        before = (await bench.request("isg/stats", {}))["latencyMs"]["update"]["count"]
        implemented = ("crate::" + trait.split("::", 1)[1] if bench.language.name == "rust"
                       else last_segment(trait))
        plan = edit_plan(bench.language, bench.text, args.edits, implemented)
        round_trips: dict[str, list[float]] = {"all": []}
        impl_seen = False
        for kind, start, end, text in plan:
            started = time.perf_counter()
            bench.change(start, end, text)
            result = await bench.request("isg/whoImplements", {"fqp": trait})
            elapsed = (time.perf_counter() - started) * 1000
            round_trips["all"].append(elapsed)
            round_trips.setdefault(kind, []).append(elapsed)
            if kind == "impl" and text:
                impl_seen |= any(r["node"]["name"].startswith("BenchEdit") for r in result["implementors"])
        stats = await bench.request("isg/stats", {})
        update = stats["latencyMs"]["update"]
        assert update["count"] - before >= len(plan) * 0.9, "the server recorded fewer updates than edits"

        queries: dict[str, list[float]] = {}
        position = None         # the trait named in a declaration of the file, else anywhere in it (an import)
        for number, line in sorted(enumerate(bench.lines),
                                   key=lambda x: (not bench.language.declaration.match(x[1]), x[0])):
            named = re.search(rf"\b{re.escape(last_segment(trait))}\b", line)
            if named:
                position = {"line": number, "character": named.start() + 2}
                break
        if position is None:    # the trait is not named in the file: the name of the file's first function
            for number in edit_kinds.function_lines(bench.language, bench.lines):
                named = re.search(r"(\w+)\s*(<[^>]*>)?\s*\(", bench.lines[number])
                if named:
                    position = {"line": number, "character": named.start(1) + 1}
                    break
        asks = [
            ("isg/whoImplements", {"fqp": trait}),
            ("isg/callers", {"fqp": function}),
            ("isg/blastRadius", {"fqp": trait, "depth": 3}),
        ]
        for _ in range(args.queries):
            for method, params in asks:
                started = time.perf_counter()
                await bench.request(method, params)
                queries.setdefault(method, []).append((time.perf_counter() - started) * 1000)
            if position is not None:
                started = time.perf_counter()
                await bench.request("textDocument/definition", {"textDocument": {"uri": bench.uri},
                                                                "position": position})
                queries.setdefault("textDocument/definition", []).append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                await bench.request("textDocument/references", {"textDocument": {"uri": bench.uri},
                                                                "position": position,
                                                                "context": {"includeDeclaration": False}})
                queries.setdefault("textDocument/references", []).append((time.perf_counter() - started) * 1000)
        final = await bench.request("isg/stats", {})
        memory_after = bench.memory_mb()
        await bench.stop()
        if getattr(args, "warm", False):
            # a restart on the database the first server left, nothing changed: start → ready, and its memory
            again = Bench(root, args.file)
            try:
                warm = {"ready_s": round(await again.start(), 3), "memory_mb": again.memory_mb()}
            finally:
                await again.stop()
    except BaseException:
        try:
            await bench.stop()
        except Exception:  # noqa: BLE001 - already stopped or gone
            pass
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)

    return {
        "file": f"{crate.name}/{args.file}", "lines": data.count(b"\n") + 1, "bytes": len(data),
        "workspace": {"files": stats["files"], "nodes": stats["nodes"], "edges": stats["edges"],
                      "ready_s": round(ready_s, 3)},
        "server_memory_mb": {"after_index": memory, "after_run": memory_after},
        "warm_restart": warm,
        "bare_parse_ms": {"full": full_parse, "incremental": incremental_parse},
        "language": bench.language.name,
        "trait": trait, "function": function, "edits": len(plan), "impl_seen_at_once": impl_seen,
        "implementors_of_visitor": len(found["implementors"]),
        "server_update_ms": {"p50": update["p50"], "p95": update["p95"], "p99": update["p99"], "n": update["count"]},
        "client_edit_and_query_ms": {k: percentiles(v) for k, v in round_trips.items()},
        "client_query_ms": {k: percentiles(v) for k, v in queries.items()},
        "server_query_ms": {k.replace("count", "n"): v for k, v in final["latencyMs"]["query"].items()},
    }


def report(result: dict) -> str:
    full = result["bare_parse_ms"]["full"]
    out = [f"isg-lsp over stdio: {result['file']} ({result['lines']} lines, {result['bytes'] // 1024} KB); "
           f"workspace {result['workspace']['files']} files, {result['workspace']['nodes']} nodes, "
           f"{result['workspace']['edges']} edges, ready in {result['workspace']['ready_s']} s",
           f"bare tree-sitter parse of the file: {full:.2f} ms full, "
           f"{result['bare_parse_ms']['incremental']:.3f} ms incremental (ratios below are to the full parse)",
           f"{result['edits']} edits; an added impl was seen by the next request: {result['impl_seen_at_once']}",
           "",
           f"{'measure':44} {'p50':>9} {'p95':>9} {'p99':>9} {'n':>6}  {'p99/parse':>9}"]

    def row(label: str, figures: dict) -> None:
        n = figures.get("n", 0)
        out.append(f"{label:44} {figures['p50']:9.3f} {figures['p95']:9.3f} {figures['p99']:9.3f} {n:6d}  "
                   f"{figures['p99'] / full if full else 0:9.2f}")

    row("edit -> query-ready, server-side (ms)", result["server_update_ms"])
    for kind, figures in result["client_edit_and_query_ms"].items():
        row(f"edit + whoImplements round trip, {kind} (ms)", figures)
    for method, figures in result["client_query_ms"].items():
        row(f"query round trip {method} (ms)", figures)
    row("query, server-side, all requests (ms)", result["server_query_ms"])
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lsp_latency", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer edits and queries (CI)")
    parser.add_argument("--crate", default=None, help=f"the crate folder (default: the newest {DEFAULT_CRATE_GLOB})")
    parser.add_argument("--file", default=DEFAULT_FILE, help=f"the file to edit, in the crate (default {DEFAULT_FILE})")
    parser.add_argument("--edits", type=int, default=None, help="how many edits (default 400, quick 60)")
    parser.add_argument("--queries", type=int, default=None, help="rounds of queries (default 300, quick 40)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures as JSON to this file")
    args = parser.parse_args(argv)
    args.edits = args.edits or (60 if args.quick else 400)
    args.queries = args.queries or (40 if args.quick else 300)
    if not args.crate and not glob.glob(DEFAULT_CRATE_GLOB):
        print("librust-serde-dev is not installed (apt-get install librust-serde-dev), or give --crate",
              file=sys.stderr)
        return 2
    result = asyncio.run(measure(args))
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
