"""Sharded indexing for a CI matrix (docs/team-index.md): `index --shard K/N` on N machines, then `index --resolve`.

**Units.** Files are grouped by the nearest folder holding a manifest (``Cargo.toml``, ``go.mod``, ``package.json``,
``pyproject.toml``, ...), else by their top folder: a crate, package or folder is never split (Rust's ``#[path]``
placements stay inside their crate). Units go to shards largest first, each to the shard with the fewest bytes so
far: every machine computes the same assignment from the same checkout.

**A shard** walks the whole checkout (every manifest, so every crate's name is known and the layouts equal an
unsharded index's), extracts its own files, resolves them against its own files only, and writes them in one
transaction, marked ``scope = 'shard'``. A shard that is done is not redone (idempotent); a failed one leaves its
state ``running`` and is simply run again (restartable: its rows are replaced whole).

**The join** loads every shard's resolved files (no parsing) into one graph, then resolves again exactly the files
whose resolution looked up a key (an FQP, a name, a module's imports...) that another shard declares: only those
can answer differently with the whole workspace in view (graph.py's dependency tracking, the same rule graph surgery
uses). What files name through other files (Rust impl members by definition paths, naming.py) is named again with
every shard in view, as a warm start does. Files placed by a declaration in another shard are extracted again, files
no shard wrote are indexed, files gone are dropped. The result equals an unsharded index of the same files
(tests/postgres check it byte for byte).
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from pathlib import Path

from .engine import Engine
from .graph import FileState, _symbol_keys
from .model import FileFacts, Node
from .naming import Names
from .storage import StoreSpec
from .store import StoreError
from .workspace import walk

MANIFESTS = (
    "Cargo.toml",
    "go.mod",
    "package.json",
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "tsconfig.json",
)
MAX_SHARDS = 1024


class ShardError(Exception):
    """A sharded index that cannot go on; the message says why and what to do."""


def parse_shard(text: str) -> tuple[int, int]:
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise ValueError(f"{text!r} is not K/N (shard K of N, 1 <= K <= N)")
    k, n = int(match.group(1)), int(match.group(2))
    if not 1 <= k <= n <= MAX_SHARDS:
        raise ValueError(f"{text!r}: K must be between 1 and N, and N at most {MAX_SHARDS}")
    return k, n


def units_of(root: Path, files: list[str]) -> dict[str, str]:
    """Each file's unit: the nearest folder (workspace-relative, '' for the root) holding a manifest, else its top
    folder."""
    has_manifest: dict[str, bool] = {}

    def manifest_here(folder: str) -> bool:
        known = has_manifest.get(folder)
        if known is None:
            base = root / folder if folder else root
            known = has_manifest[folder] = any((base / name).is_file() for name in MANIFESTS)
        return known

    unit: dict[str, str] = {}
    for rel in files:
        parts = rel.split("/")[:-1]
        chosen = None
        for depth in range(len(parts), -1, -1):
            folder = "/".join(parts[:depth])
            if manifest_here(folder):
                chosen = folder
                break
        if chosen is None or (chosen == "" and parts):
            chosen = parts[0] if parts else ""
        unit[rel] = chosen
    return unit


def assign(root: Path, files: list[str], n: int) -> dict[str, int]:
    """Each file's shard (0-based): units largest first, each to the lightest shard so far."""
    unit = units_of(root, files)
    weight: dict[str, int] = {}
    for rel in files:
        try:
            size = os.stat(root / rel).st_size
        except OSError:
            size = 0
        weight[unit[rel]] = weight.get(unit[rel], 0) + size + 1
    loads = [0] * n
    shard_of_unit: dict[str, int] = {}
    for name in sorted(weight, key=lambda u: (-weight[u], u)):
        lightest = min(range(n), key=lambda i: (loads[i], i))
        shard_of_unit[name] = lightest
        loads[lightest] += weight[name]
    return {rel: shard_of_unit[unit[rel]] for rel in files}


def _placements(engine: Engine) -> str:
    placements = {}
    for family, layout in engine.layouts.items():
        overrides = getattr(layout, "path_overrides", None)
        if overrides:
            placements[family] = {path: [place[0], list(place[1])] for path, place in overrides.items()}
    return json.dumps(placements, sort_keys=True)


def _open(spec: StoreSpec, root: Path):
    from .store_pg import PgStore

    try:
        return PgStore.open(spec, root, write=True)
    except StoreError as error:
        raise ShardError(str(error)) from None


def index_shard(engine: Engine, spec: StoreSpec, k: int, n: int) -> dict:
    """Indexes shard ``k`` of ``n`` of the engine's workspace into the snapshot ``spec`` names."""
    started = time.perf_counter()
    files = walk(engine.root, engine.config)
    engine._build_layouts(files)
    fingerprint = engine.layout_fingerprint()
    shard_of = assign(engine.root, files, n)
    mine = sorted(rel for rel in files if shard_of[rel] == k - 1)
    store = _open(spec, engine.root)
    try:
        status = store.shard_status(k)
        if status is not None and status["state"] == "done" and status["of"] == n and status["layout"] == fingerprint:
            return {
                "shard": f"{k}/{n}",
                "snapshot": store.describe(),
                "files": status["files"],
                "state": "already done (nothing written)",
                "seconds": round(time.perf_counter() - started, 2),
            }
        store.shard_begin(k, n, fingerprint)
        extracted: dict[str, FileFacts] = {}
        for facts, size, mtime_ns in engine._extract_many(mine, None, len(mine), 0):
            engine.stats[facts.path] = (size, mtime_ns)
            extracted[facts.path] = facts
        changed: dict[str, FileFacts] = {}
        engine._reapply_module_files(list(extracted.values()), changed, {})
        for path, facts in changed.items():
            if path in extracted:  # a file of another shard placed from here: the join places it
                extracted[path] = facts
        # named as far as the shard sees (naming.py); the join names them again with every shard's files in view
        engine.graph.load(engine.names.load(extracted[path] for path in sorted(extracted)))
        rows, externals = engine.persist_rows(sorted(extracted), [])
        store.save_shard(
            k, n, rows, externals, fingerprint, _placements(engine), socket.gethostname(), time.perf_counter() - started
        )
        report = engine.report(time.perf_counter() - started, measure_map=False)
        return {
            "shard": f"{k}/{n}",
            "snapshot": store.describe(),
            "files": len(extracted),
            "lines": report.loc,
            "nodes": report.nodes,
            "edges": report.edges,
            "unresolved (within the shard)": report.unresolved,
            "state": "done",
            "seconds": round(time.perf_counter() - started, 2),
        }
    finally:
        store.close()


def resolve(engine: Engine, spec: StoreSpec) -> dict:
    """Joins the shards of the snapshot ``spec`` names: the whole graph, as an unsharded index would make it."""
    started = time.perf_counter()
    store = _open(spec, engine.root)
    try:
        shards = store.shard_rows()
        if not shards:
            raise ShardError(f"no shard of {store.describe()} was indexed: run `isg-lsp index --shard K/N` first")
        n = max(row["of"] for row in shards)
        by_k = {row["shard"]: row for row in shards if row["of"] == n}
        missing = [k for k in range(1, n + 1) if by_k.get(k, {}).get("state") != "done"]
        if missing:
            raise ShardError(
                f"shards {', '.join(f'{k}/{n}' for k in missing)} of {store.describe()} are not done: "
                f"run them (again), then --resolve"
            )
        files = walk(engine.root, engine.config)
        engine._build_layouts(files)
        fingerprint = engine.layout_fingerprint()
        if any(row["layout"] != fingerprint for row in by_k.values()):
            raise ShardError(
                "the shards were indexed with other module layouts or another isg-lsp version than this "
                "checkout's: run the shards and the join on the same commit with the same isg-lsp"
            )
        if store.state == "complete":
            nodes, edges = store.counts()
            return {
                "snapshot": store.describe(),
                "shards": n,
                "state": "already joined (nothing written)",
                "nodes (distinct)": nodes,
                "edges (distinct)": edges,
                "seconds": round(time.perf_counter() - started, 2),
            }
        loaded, externals, shard_scope = store.load_resolved_with_shards(include_shard_externals=True)
        loaded_at = time.perf_counter()
        graph = engine.graph
        graph.load_resolved(loaded, externals)
        before = {facts.path: set(edges) for facts, edges, _deps, _unresolved in loaded}
        unresolved_before = sum(u for *_rest, u in loaded)
        declared: dict[str, set[int]] = {}
        for facts, *_ in loaded:
            shard = shard_scope[facts.path][0]
            for key in _symbol_keys(facts):
                declared.setdefault(key, set()).add(shard)
        redo = []
        for facts, _edges, deps, _unresolved in loaded:
            shard, scope = shard_scope[facts.path]
            if scope == "shard" and any(declared.get(key, _NONE) - {shard} for key in deps):
                redo.append(facts.path)
        for path in sorted(redo):  # resolution reads symbols, never edges: any order gives the same
            previous = graph.files[path]
            state = graph.files[path] = FileState(previous.facts)
            graph._resolve_into(state, previous=previous)  # as graph surgery resolves a dependent again
        graph.version += 1
        graph.structure_version += 1
        # what files name through other shards' files (Rust impl members by their definition paths, naming.py):
        # named again with the whole workspace in view, as a warm start does (Engine.index)
        names = Names()
        touched: set[str] = set()
        for path in names.load_named(facts for facts, *_ in loaded):
            touched |= graph.replace_file(names.rename(graph.files[path].facts))
        # files the shards could not place, could not see, or that are gone
        engine.stats.update({facts.path: (0, 0) for facts, *_ in loaded})
        changed: dict[str, FileFacts] = {}
        engine._reapply_module_files([s.facts for s in graph.files.values()], changed, {})
        on_disk = set(files)
        absent = sorted(on_disk - set(graph.files))
        for facts, size, mtime_ns in engine._extract_many(absent, None, len(absent), 0):
            engine.stats[facts.path] = (size, mtime_ns)
            changed[facts.path] = facts
        for path in sorted(changed):
            touched |= engine._surgery(changed[path], path, graph, names)
        gone = sorted(set(graph.files) - on_disk - {p for p in graph.files if p.startswith(".isg/")})
        for path in gone:
            touched |= engine._surgery(None, path, graph, names)
        engine.names = names
        stored_sizes = store.stored_files()
        for path, stored in stored_sizes.items():
            if path not in changed:
                engine.stats[path] = (stored.size, stored.mtime_ns)
        rewrite = sorted(
            p
            for p in graph.files
            if p in changed or p in touched or set(graph.files[p].edges) != before.get(p, _NONE_EDGES)
        )
        redone = sorted(set(redo) - set(rewrite))
        rows, _ = engine.persist_rows(rewrite, gone)
        externals_now = sorted({node_id for state in graph.files.values() for node_id in state.external_ids()})
        final_externals = [graph.nodes[i] for i in externals_now if i in graph.nodes]
        updates = [
            (p, graph.files[p].unresolved, json.dumps(sorted(graph.files[p].deps), ensure_ascii=False)) for p in redone
        ]
        shard_of_path = {p: shard_scope.get(p, (-1, "all"))[0] for p in graph.files}
        store.save_join(rows, shard_of_path, updates, final_externals, n, fingerprint, _placements(engine))
        cross = _cross_shard_edges(graph, shard_of_path)
        report = engine.report(time.perf_counter() - started, measure_map=False)
        return {
            "snapshot": store.describe(),
            "shards": n,
            "files": report.files,
            "lines": report.loc,
            "nodes": report.nodes,
            "external nodes": report.external_nodes,
            "edges": report.edges,
            "cross-shard edges": cross,
            "files resolved again": len(redo),
            "files rewritten": len(rewrite),
            "files indexed by the join": len(absent),
            "files placed again": len([p for p in changed if p not in absent]),
            "files gone": len(gone),
            "unresolved before the join": unresolved_before,
            "unresolved": report.unresolved,
            "state": "complete",
            "seconds": round(time.perf_counter() - started, 2),
            "seconds loading": round(loaded_at - started, 2),
        }
    finally:
        store.close()


_NONE: frozenset = frozenset()
_NONE_EDGES: set = set()


def _cross_shard_edges(graph, shard_of_path: dict[str, int]) -> int:
    """Edges between workspace nodes declared in files of different shards."""
    home: dict[bytes, int] = {}
    for path, state in graph.files.items():
        for node in state.facts.nodes:
            home.setdefault(node.id, shard_of_path.get(path, -1))
    count = 0
    for edge in graph.edges():
        a, b = home.get(edge.src), home.get(edge.dst)
        if a is not None and b is not None and a != b:
            count += 1
    return count


def external_nodes(graph) -> list[Node]:
    return sorted((n for n in graph.nodes.values() if n.external), key=lambda n: n.id)
