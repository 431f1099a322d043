"""Go ground truth: `go/types` (the standard library's type checker, offline) over Debian-packaged Go modules
(`go_truth.go`, run with Debian's `golang-go`), in ISG-SPEC's vocabulary (§1 Clarifications, Go):

- nodes: packages M (import paths), interfaces T, structs S, other defined types and aliases A, functions, methods and
  interface methods F (`{package}.{Type}.{Method}`), type parameters G (`{owner}.<T>`; a method's receiver type
  parameters are its type's); `init` functions are not items;
- CONTAINS (package → items, parent package → package, type → methods), DEFINES (interface → methods);
- EXTENDS from embedding (struct → embedded field's type, interface → embedded interface);
- IMPL from `types.Implements` (a type or a pointer to it; promoted methods included) against the workspace's
  interfaces that have methods and are not generic, and `error` / `fmt.Stringer` (the external interfaces a
  syntactic tool can know); generic types and empty interfaces are left out;
- USES (struct fields; the definitions of other defined types and aliases), ACCEPTS, RETURNS: the named types a type
  expression mentions, as `types.Info.Uses` resolves them; predeclared basic types, `any` and `unsafe.Pointer` are
  primitives, `error` and `comparable` external interfaces;
- BOUND_BY: what a constraint is made of (union terms, `~T`'s T, the generic type of an instantiation, embedded
  interfaces; not type arguments or element types);
- CALLS: call expressions (`F[T](x)` included) whose function `types.Info.Uses` resolves to a workspace function,
  method or interface method, from the function or method whose body holds them (function literals included).

The workspace is a copy of the module's non-test files that go/build selects for this platform (files excluded by
build constraints are removed from the copy, so both sides see the same files).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .common import HERE, Truth, Unavailable, apt_install, converter_hash, log, run, which

LANG = "go"
GOCODE = Path("/usr/share/gocode/src")
# (Debian package, module path): go-cmp (small, generic-free), yaml.v3 (larger; no dependencies outside the standard
# library)
MODULES_FULL = [("golang-github-google-go-cmp-dev", "github.com/google/go-cmp"),
                ("golang-gopkg-yaml.v3-dev", "gopkg.in/yaml.v3")]
MODULES_QUICK = [("golang-github-google-go-cmp-dev", "github.com/google/go-cmp")]
EDGE_KINDS = ("CONTAINS", "DEFINES", "IMPL", "EXTENDS", "BOUND_BY", "ACCEPTS", "RETURNS", "USES", "CALLS")


def go_tool() -> str:
    found = which("go", ["/usr/lib/go/bin"])
    if found is None:
        apt_install(["golang-go"])
        found = which("go", ["/usr/lib/go/bin"])
    if found is None:
        raise Unavailable("the Go toolchain (Debian's golang-go) is not installed")
    return found


def workspace_of(package: str, module: str, work: Path) -> Path:
    source = GOCODE / module
    if not (source / "go.mod").is_file() and not any(source.rglob("*.go")):
        apt_install([package])
    if not source.is_dir():
        raise Unavailable(f"{package} is not installed ({source} is missing)")
    label = module.rsplit("/", 1)[-1]
    workspace = work / "go" / "src" / label
    stamp = workspace / ".ready"
    if stamp.is_file() and stamp.read_text() == str(source.stat().st_mtime):
        return workspace
    if workspace.exists():
        shutil.rmtree(workspace)
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if "testdata" in rel.parts or any(p.startswith((".", "_")) for p in rel.parts):
            continue
        if path.is_file() and (path.name == "go.mod" or (path.suffix == ".go" and not path.name.endswith("_test.go"))):
            target = workspace / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
    if not (workspace / "go.mod").is_file():
        (workspace / "go.mod").write_text(f"module {module}\n")
    stamp.write_text(str(source.stat().st_mtime))
    return workspace


def run_lang(quick: bool, work: Path) -> list[dict]:
    go = go_tool()
    version = run([go, "version"], check=False).stdout.strip()
    out = []
    for package, module in MODULES_QUICK if quick else MODULES_FULL:
        try:
            workspace = workspace_of(package, module, work)
        except Unavailable as error:
            log(f"go: skipping {module}: {error}")
            continue
        label = workspace.name
        truth_path = work / "go" / f"{label}.truth.jsonl"
        stamp = work / "go" / f"{label}.stamp"
        stamp_text = f"{version}\n{converter_hash('go')}"
        if not (truth_path.is_file() and stamp.is_file() and stamp.read_text() == stamp_text):
            log(f"go: go/types over {module}")
            cache = work / "go" / "gocache"
            cache.mkdir(parents=True, exist_ok=True)
            proc = run([go, "run", str(HERE / "go_truth.go"), str(workspace), module], cwd=work / "go",
                       env={"GO111MODULE": "off", "GOCACHE": str(cache), "GOFLAGS": "", "CGO_ENABLED": "0"},
                       timeout=1800)
            truth, excluded = to_truth(proc.stdout)
            (work / "go" / f"{label}.excluded.json").write_text(json.dumps(excluded))
            truth.write(truth_path)
            stamp.write_text(stamp_text)
        excluded_path = work / "go" / f"{label}.excluded.json"
        for rel in json.loads(excluded_path.read_text()) if excluded_path.is_file() else ():
            (workspace / rel).unlink(missing_ok=True)      # build-constrained files the compiler did not see
        out.append({"label": label, "workspace": workspace, "truth": truth_path, "scope": "",
                    "edge_kinds": EDGE_KINDS, "local_roots": (module,), "meta": {"go": version},
                    "one_per_fqp": True})
    return out


def to_truth(text: str) -> tuple[Truth, list[str]]:
    truth = Truth(LANG)
    ids: dict[tuple[str, str], str] = {}
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    for record in records:
        if record["type"] == "node":
            ids[(record["kind"], record["fqp"])] = truth.node(record["kind"], record["fqp"],
                                                              external=record["external"])
    for record in records:
        if record["type"] == "edge":
            src = ids.get(tuple(record["src"])) or truth.node(*record["src"])
            dst = ids.get(tuple(record["dst"])) or truth.node(*record["dst"])
            truth.edge(src, record["kind"], dst)
    return truth, [r["file"] for r in records if r["type"] == "excluded"]

