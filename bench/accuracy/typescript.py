"""TypeScript ground truth: the TypeScript compiler API (npm `typescript`, pinned) over the `.ts` sources an npm
package ships (`typescript_truth.js`): declarations (interfaces T, classes S, enums E, functions, methods,
constructors and arrow functions bound to top-level `const`s F, type aliases A, type parameters G), heritage clauses
(IMPL, EXTENDS), annotated parameter, return, property and alias types (ACCEPTS, RETURNS, USES, each named type a
reference mentions, resolved by the checker), type parameter constraints (BOUND_BY) and calls resolved by the
checker to a declaration of the workspace (CALLS, from the function that encloses the call in the source).

ISG-SPEC §1 Clarifications: overloads are one symbol, so one node (our nodes beyond the first of an FQP count as false
positives: `one_per_fqp`); class properties initialised with an arrow function or function expression are F nodes;
constructor parameter properties give USES; `namespace N {}`, `declare global {}` and `declare module "x" {}` are M
nodes (`{module}::N`, `{module}::global`, `{module}::x`) holding their declarations.
"""

from __future__ import annotations

import json
import shutil
import tarfile
from pathlib import Path

from .common import HERE, Truth, Unavailable, converter_hash, log, run, which

LANG = "typescript"
TYPESCRIPT = "typescript@5.4.5"
PACKAGES_FULL = [("immer@10.1.1", "src"), ("mobx@6.13.1", "src")]
PACKAGES_QUICK = [("immer@10.1.1", "src")]
EDGE_KINDS = ("CONTAINS", "DEFINES", "IMPL", "EXTENDS", "BOUND_BY", "ACCEPTS", "RETURNS", "USES", "CALLS")


def tools(work: Path) -> Path:
    folder = work / "typescript" / "tools"
    module = folder / "node_modules" / "typescript"
    if not (module / "package.json").is_file():
        npm = which("npm")
        if npm is None or which("node") is None:
            raise Unavailable("node and npm are needed for the TypeScript compiler API")
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "package.json").write_text('{"private": true}\n')
        log(f"typescript: npm install {TYPESCRIPT}")
        run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error", TYPESCRIPT], cwd=folder, timeout=900)
    return module


def fetch(spec: str, sub: str, work: Path) -> Path:
    name = spec.rsplit("@", 1)[0].replace("/", "-")
    version = spec.rsplit("@", 1)[1]
    workspace = work / "typescript" / "src" / f"{name}-{version}"
    if (workspace / ".ready").is_file():
        return workspace
    downloads = work / "typescript" / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    tarballs = sorted(downloads.glob(f"{name}-{version}.tgz"))
    if not tarballs:
        log(f"typescript: npm pack {spec}")
        run([which("npm") or "npm", "pack", "--silent", spec], cwd=downloads, timeout=600)
        tarballs = sorted(downloads.glob(f"{name}-{version}.tgz"))
    if not tarballs:
        raise Unavailable(f"npm pack {spec} gave no tarball")
    if workspace.exists():
        shutil.rmtree(workspace)
    (workspace / sub).mkdir(parents=True)
    prefix = f"package/{sub}/"
    with tarfile.open(tarballs[0]) as archive:
        for member in archive.getmembers():
            if member.isfile() and member.name.startswith(prefix) and member.name.endswith((".ts", ".tsx")) \
                    and not member.name.endswith(".d.ts"):
                target = workspace / sub / member.name[len(prefix):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.extractfile(member).read())
    if not any((workspace / sub).rglob("*.ts")):
        raise Unavailable(f"{spec} ships no .ts sources under {sub}/")
    (workspace / ".ready").write_text("ok")
    return workspace


def run_lang(quick: bool, work: Path) -> list[dict]:
    module = tools(work)
    out = []
    for spec, sub in PACKAGES_QUICK if quick else PACKAGES_FULL:
        try:
            workspace = fetch(spec, sub, work)
        except (Unavailable, RuntimeError) as error:
            log(f"typescript: skipping {spec}: {error}")
            continue
        truth_path = work / "typescript" / f"{workspace.name}.truth.jsonl"
        stamp = work / "typescript" / f"{workspace.name}.stamp"
        stamp_text = f"{TYPESCRIPT}\n{converter_hash('typescript')}"
        if not (truth_path.is_file() and stamp.is_file() and stamp.read_text() == stamp_text):
            log(f"typescript: compiler API over {workspace.name}")
            proc = run(["node", str(HERE / "typescript_truth.js"), str(module), str(workspace)], timeout=1800)
            to_truth(proc.stdout).write(truth_path)
            stamp.write_text(stamp_text)
        out.append({"label": workspace.name, "workspace": workspace, "truth": truth_path, "scope": "",
                    "edge_kinds": EDGE_KINDS, "local_roots": (sub,), "meta": {"compiler": TYPESCRIPT},
                    "one_per_fqp": True})
    return out


def to_truth(text: str) -> Truth:
    truth = Truth(LANG)
    ids = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if record["type"] == "node":
            ids[(record["kind"], record["fqp"])] = truth.node(record["kind"], record["fqp"],
                                                              external=record["external"])
    for line in text.splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        if record["type"] == "edge":
            src = ids.get(tuple(record["src"])) or truth.node(*record["src"])
            dst = ids.get(tuple(record["dst"])) or truth.node(*record["dst"])
            truth.edge(src, record["kind"], dst)
    return truth
