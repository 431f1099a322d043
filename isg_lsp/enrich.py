"""Semantic enrichment (the seeds' "level 3"): what a compiler knows that the syntax does not, added to the ISG.

``isg-lsp enrich PATH --rustdoc-json FILE`` reads rustdoc's JSON of a crate of the workspace
(`RUSTC_BOOTSTRAP=1 cargo rustdoc -- -Z unstable-options --output-format json --document-private-items`) and writes
``PATH/.isg/enrich/rust.json``: the IMPL relations the compiler sees (impls written by macros, derives, impls whose
names only resolve through re-exports), each as a pair of absolute paths. ``load(graph, root)`` turns that file into
one more ``FileFacts`` of the workspace (path ``.isg/enrich/rust.json``, lang ``rust``) whose references carry those
absolute paths: the Rust resolver settles them like any other reference, as ``exact`` edges between the workspace's
nodes (or to an external node with the compiler's path), and graph surgery keeps working, since the enrichment is
an ordinary file's facts: replacing or removing it replaces or removes exactly its edges, and an edit that removes
a node an enrichment edge pointed at re-resolves it through the usual dependency tracking. Nothing of this runs on
the edit path: the file is read once, when the workspace is loaded or the command is run again.

The rustdoc JSON format changes between versions; the reader accepts the old shape (``{"kind": K, "inner": ...}``,
string ids) and the new one (``{"inner": {K: ...}}``, integer ids).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .model import EdgeKind, FileFacts, Reference

ENRICH_PATH = ".isg/enrich/rust.json"
VERSION = 1
# marker traits the compiler adds next to derives: not written anywhere
COMPILER_MARKERS = frozenset({"StructuralPartialEq", "StructuralEq", "TrivialClone"})


def _variant(obj):
    if isinstance(obj, dict):
        kind = obj.get("kind")
        if isinstance(kind, str) and "inner" in obj:
            return kind, obj["inner"]
        if len(obj) == 1:
            key = next(iter(obj))
            return key, obj[key]
    return None, obj


def _item_kind(item: dict):
    if isinstance(item.get("kind"), str):
        return item["kind"], item.get("inner") or {}
    return _variant(item.get("inner"))


def _path(obj) -> dict | None:
    if not isinstance(obj, dict):
        return None
    if "id" in obj and ("path" in obj or "name" in obj):
        return obj
    kind, inner = _variant(obj)
    return inner if kind == "resolved_path" and isinstance(inner, dict) else None


def _head(type_) -> dict | None:
    """The named type an impl is for (`&Foo<T>` gives Foo); None for generics, primitives, tuples."""
    for _ in range(8):
        kind, inner = _variant(type_)
        if kind == "resolved_path":
            return _path(type_)
        if kind == "borrowed_ref":
            type_ = inner.get("type")
        elif kind in ("slice",):
            type_ = inner
        elif kind == "array":
            type_ = inner.get("type")
        else:
            return None
    return None


def impl_pairs(doc: dict) -> list[dict]:
    """The IMPL relations of a rustdoc JSON document, as absolute paths: [{"src", "dst", "derived"}]. Impls the
    compiler makes up (auto traits, blanket impls shown on each type) and negative impls are left out."""
    index = {str(k): v for k, v in doc.get("index", {}).items()}
    paths = {str(k): v for k, v in doc.get("paths", {}).items()}

    def fqp(path: dict) -> str | None:
        entry = paths.get(str(path.get("id")))
        if entry and entry.get("path"):
            return "::".join(entry["path"])
        return None

    found: dict[tuple[str, str], dict] = {}
    for item in index.values():
        if item.get("crate_id", 0) != 0:
            continue
        kind, inner = _item_kind(item)
        if kind != "impl" or not isinstance(inner, dict) or not inner.get("trait"):
            continue
        if inner.get("is_synthetic") or inner.get("synthetic") or inner.get("blanket_impl") is not None \
                or inner.get("is_negative") or inner.get("negative"):
            continue
        head = _head(inner.get("for"))
        trait = _path(inner.get("trait"))
        if head is None or trait is None:
            continue
        src, dst = fqp(head), fqp(trait)
        if src is None or dst is None or dst.rsplit("::", 1)[-1] in COMPILER_MARKERS:
            continue
        derived = "automatically_derived" in json.dumps(item.get("attrs") or [])
        found[(src, dst)] = {"src": src, "dst": dst, "derived": derived}
    return [found[k] for k in sorted(found)]


def build(root: Path, rustdoc_json: Path, graph=None) -> dict:
    """The enrichment record of a workspace from rustdoc's JSON; with a ``graph``, only relations it lacks (by the
    source's FQP and the trait's last path segment) are kept."""
    doc = json.loads(Path(rustdoc_json).read_text("utf-8"))
    pairs = impl_pairs(doc)
    if graph is not None:
        known = set()
        for edge in graph.edges():
            if edge.kind is EdgeKind.IMPL:
                src, dst = graph.nodes[edge.src], graph.nodes[edge.dst]
                known.add((src.fqp, dst.fqp.rsplit("::", 1)[-1]))
        pairs = [p for p in pairs if (p["src"], p["dst"].rsplit("::", 1)[-1]) not in known]
    return {"version": VERSION, "lang": "rust", "source": "rustdoc", "format_version": doc.get("format_version"),
            "crate": doc.get("index", {}).get(str(doc.get("root")), {}).get("name")
            if isinstance(doc.get("index"), dict) else None,
            "impls": pairs}


def write(root: Path, record: dict) -> Path:
    target = Path(root) / ENRICH_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", "utf-8")
    tmp.replace(target)
    return target


def facts(record: dict) -> FileFacts:
    """The enrichment as one file's facts: references from absolute paths, resolved as `exact` by the resolver."""
    text = json.dumps(record, sort_keys=True).encode("utf-8")
    out = FileFacts(path=ENRICH_PATH, lang=record.get("lang", "rust"),
                    content_hash=hashlib.blake2b(text, digest_size=16).digest())
    for pair in record.get("impls", []):
        src = tuple(pair["src"].split("::"))
        dst = tuple(pair["dst"].split("::"))
        out.references.append(Reference(EdgeKind.IMPL, src[0], "trait", ("", *dst), src_path=("", *src),
                                        derived=bool(pair.get("derived"))))
    return out


def load(graph, root: Path) -> FileFacts | None:
    """Adds the workspace's enrichment file (when there is one) to a graph, by graph surgery."""
    path = Path(root) / ENRICH_PATH
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if record.get("version") != VERSION:
        return None
    enrichment = facts(record)
    graph.replace_file(enrichment)
    return enrichment
