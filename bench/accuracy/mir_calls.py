"""Rust CALLS truth from rustc's MIR (issue #16): rustdoc has no bodies, MIR has every call the compiler resolved.

For each crate of the Rust corpus (the same prepared copies and features as the rustdoc truth), `cargo rustc --lib --
-Zunpretty=mir -Zmir-include-spans=yes` (RUSTC_BOOTSTRAP=1, offline, Debian's registry as crates.io) prints every
function's MIR; each call terminator names the function rustc resolved (`Builder::<'_>::build`, `<Router as
Service>::call`, `<T as Trait>::method`) and the span of the call in the source.

- Only calls written as calls count: the call's span must be a call expression of the source (tree-sitter), which
  leaves out what the compiler adds (`?`'s `Try::branch`, `for`'s `IntoIterator`/`Iterator::next`, operators,
  derives) and what macros write (the span is then inside a macro call's tokens: counted apart, as **macro**).
- The caller is the function whose body holds the call (closures' calls are their function's, as the ISG's), the
  callee the function rustc named. Both are placed on the ISG's own F nodes (by file and line for the caller, by
  name for the callee: `Type::m` is the method `m` of a type named `Type`, inherent first; `<A as Tr>::m` the member
  of A's impl of Tr, or Tr's own method when A is a type parameter or the impl does not write it), so the figures
  measure calls, not names (node names are measured by the rustdoc truth). A callee that names no workspace
  function (std, another crate) is no edge; one that names several of ours is counted as **ambiguous** and left out.
"""

from __future__ import annotations

import re
from pathlib import Path

from .common import Truth, Unavailable, log, run

LANG = "rust"
_CALL = re.compile(r"^\s+(?:_\d+ = )?(?P<call>.+?) -> .*// scope \d+ at (?P<file>[^:]+):(?P<l1>\d+):(?P<c1>\d+): "
                   r"(?P<l2>\d+):(?P<c2>\d+)\s*$")


def corpora(rust: list[dict], work: Path) -> list[dict]:
    """One CALLS corpus per Rust corpus: [{label, workspace, truth, scope, edge_kinds, node_kinds, meta}]."""
    from . import rust as rust_truth

    cargo, version = rust_truth.toolchain()
    out = []
    for corpus in rust:
        crate_dir = Path(corpus["workspace"])
        label = f"{corpus['label']} calls"
        folder = work / "rust"
        mir_path = folder / f"{corpus['label']}.mir"
        if not mir_path.is_file():
            log(f"rust: MIR of {corpus['label']}")
            try:
                mir_path.write_text(mir(crate_dir, cargo, folder), "utf-8")
            except Unavailable as error:
                log(f"rust: no MIR for {corpus['label']}: {error}")
                continue
        truth_path = folder / f"{corpus['label']}.calls.truth.jsonl"
        truth, counts = build(mir_path.read_text("utf-8"), crate_dir, corpus["scope"])
        truth.write(truth_path)
        out.append({"label": label, "workspace": crate_dir, "truth": truth_path, "scope": corpus["scope"],
                    "edge_kinds": ("CALLS",), "node_kinds": (), "local_roots": corpus.get("local_roots", ()),
                    "gated": corpus.get("gated"),
                    "meta": {"toolchain": version, "calls": "MIR", **counts}})
    return out


def mir(crate_dir: Path, cargo: str, folder: Path) -> str:
    from isg_lsp import enrich

    from . import rust as rust_truth

    features = (crate_dir / ".features").read_text().strip() if (crate_dir / ".features").is_file() else ""
    args = ["--all-features"] if features in ("all", "--all-features") else []
    proc = run([cargo, "rustc", "--lib", "--offline", "-q", *args, "--target-dir", str(folder / "target-mir"), "--",
                "-Zunpretty=mir", "-Zmir-include-spans=yes"], cwd=crate_dir, check=False, timeout=1800,
               env={"CARGO_HOME": str(enrich.debian_cargo_home(folder, rust_truth.REGISTRY)), "RUSTC_BOOTSTRAP": "1"})
    if proc.returncode != 0 or not proc.stdout.strip():
        raise Unavailable((proc.stderr or "no output")[-300:])
    return proc.stdout


def build(text: str, crate_dir: Path, scope: str) -> tuple[Truth, dict]:
    """The truth's CALLS from MIR text, placed on the ISG's F nodes of the same crate."""
    from isg_lsp.engine import Engine
    from isg_lsp.languages import new_parser
    from isg_lsp.model import NodeKind

    engine = Engine(crate_dir, persist=False)
    engine.index()
    functions = [n for n in engine.graph.nodes.values() if n.kind is NodeKind.FUNCTION and not n.external
                 and n.lang == LANG and (n.file or "").startswith(scope)]
    by_file: dict[str, list] = {}
    by_name: dict[str, list] = {}
    for node in functions:
        by_file.setdefault(node.file, []).append(node)
        by_name.setdefault(node.name, []).append(node)
    parser = new_parser(LANG)
    trees: dict[str, tuple] = {}
    truth = Truth(LANG)
    counts = {"mir_calls": 0, "macro": 0, "implicit": 0, "outside": 0, "ambiguous": 0}
    for line in text.splitlines():
        match = _CALL.match(line)
        if match is None:
            continue
        file = match["file"]
        if not file.startswith(scope) or file not in by_file:
            continue
        callee = _callee(match["call"])
        if callee is None:
            continue
        counts["mir_calls"] += 1
        span = (int(match["l1"]), int(match["c1"]), int(match["l2"]), int(match["c2"]))
        if file not in trees:
            data = (crate_dir / file).read_bytes()
            trees[file] = (data, parser.parse(data))
        written = _written_call(*trees[file], span)
        if written != "call":
            counts["macro" if written == "macro" else "implicit"] += 1
            continue
        caller = _enclosing(by_file[file], span[0] - 1)
        targets = _targets(callee, by_name)
        if not targets:
            counts["outside"] += 1
            continue
        if len(targets) > 1 or caller is None:
            counts["ambiguous" if len(targets) > 1 else "outside"] += 1
            continue
        truth.edge(truth.node("F", caller.fqp), "CALLS", truth.node("F", targets[0].fqp))
    return truth, counts


def _callee(call: str) -> tuple[str, ...] | None:
    """The function a call terminator names, as (self type or "", trait or "", path segments...): generic
    arguments dropped. `<A as Tr>::m` → ("A", "Tr", "m"); `a::B::<T>::m` → ("", "", "a", "B", "m")."""
    depth, end = 0, -1
    for i, ch in enumerate(call):
        if ch == "<":
            depth += 1
        elif ch == ">" and call[i - 1:i] != "-":
            depth -= 1
        elif ch == "(" and depth == 0:
            end = i
            break
    if end <= 0:
        return None
    text = call[:end].strip()
    inherent = re.search(r"<impl (.+)>::(\w+)(?:::<.*>)?$", text)     # `error::<impl Error>::from_display`
    if inherent is not None:
        return ("", "", _last(inherent[1]), inherent[2])
    if text.startswith("<"):
        depth = 0
        for i, ch in enumerate(text):
            depth += 1 if ch == "<" else -1 if ch == ">" and text[i - 1:i] != "-" else 0
            if depth == 0:
                inner, rest = text[1:i], text[i + 1:]
                break
        else:
            return None
        self_type, _, trait = inner.partition(" as ")
        name = rest.lstrip(":").split("::")[0]
        return (_last(self_type), _last(trait), name) if name else None
    segments = [s for s in re.sub(r"::<.*?>(?=::|$)", "", _strip_generics(text)).split("::") if s]
    return ("", "", *segments) if segments else None


def _strip_generics(text: str) -> str:
    out, depth = [], 0
    for i, ch in enumerate(text):
        if ch == "<":
            depth += 1
        elif ch == ">" and text[i - 1:i] != "-":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out).replace("::::", "::")


def _last(text: str) -> str:
    text = _strip_generics(text.strip()).lstrip("&").replace("mut ", "").replace("dyn ", "").strip()
    return text.rsplit("::", 1)[-1]


def _targets(callee: tuple[str, ...], by_name: dict[str, list]) -> list:
    self_type, trait = callee[0], callee[1]
    path = callee[2:]
    name = path[-1]
    candidates = by_name.get(name, [])
    if trait:
        members = [n for n in candidates if n.fqp.startswith("<") and _impl_parts(n.fqp) == (self_type, trait)]
        if members:
            return members
        declared = [n for n in candidates if not n.fqp.startswith("<") and n.fqp.endswith(f"::{trait}::{name}")]
        return declared
    if len(path) >= 2:
        owner = path[-2]
        inherent = [n for n in candidates if not n.fqp.startswith("<") and n.fqp.endswith(f"::{owner}::{name}")]
        if inherent:
            return inherent
        return [n for n in candidates if n.fqp.startswith("<") and _impl_parts(n.fqp)[0] == owner]
    return [n for n in candidates if not n.fqp.startswith("<") and n.fqp.count("::") >= 1
            and not _owned_by_type(n.fqp)]


def _impl_parts(fqp: str) -> tuple[str, str]:
    """`<a::Foo as b::Tr>::m` → ("Foo", "Tr")."""
    inner = fqp[1:fqp.rfind(">::")]
    self_type, _, trait = inner.partition(" as ")
    return _last(self_type), _last(trait)


def _owned_by_type(fqp: str) -> bool:
    owner = fqp.rsplit("::", 2)
    return len(owner) == 3 and owner[-2][:1].isupper()


def _written_call(data: bytes, tree, span: tuple[int, int, int, int]) -> str:
    """"call" when the span is a call expression written in the source, "macro" when it lies in a macro call's
    tokens, else "implicit" (a call the compiler adds)."""
    lines = data.split(b"\n")
    l1, c1, l2, c2 = span
    try:
        start = sum(len(x) + 1 for x in lines[:l1 - 1]) + len(lines[l1 - 1].decode("utf-8", "replace")[:c1 - 1]
                                                                  .encode())
        end = sum(len(x) + 1 for x in lines[:l2 - 1]) + len(lines[l2 - 1].decode("utf-8", "replace")[:c2 - 1]
                                                                .encode())
    except IndexError:
        return "implicit"
    node = tree.root_node.descendant_for_byte_range(start, max(start, end - 1))
    while node is not None and (node.start_byte > start or node.end_byte < end):
        node = node.parent
    probe = node
    while probe is not None:
        if probe.type in ("token_tree", "macro_invocation"):
            return "macro"
        probe = probe.parent
    if node is not None and node.type == "call_expression" and node.start_byte == start and node.end_byte == end:
        return "call"
    return "implicit"


def _enclosing(nodes: list, line: int):
    """The innermost of a file's F nodes whose span holds a (0-based) line."""
    best = None
    for node in nodes:
        span = node.span
        if span is not None and span[0] <= line <= span[2]:
            if best is None or (span[2] - span[0]) < (best.span[2] - best.span[0]):
                best = node
    return best


__all__ = ["corpora", "build"]
