"""The ISG's vocabulary: node and edge kinds, SigHash ids, nodes, edges and per-file facts.

Everything here is plain data with no dependency on tree-sitter, SQLite or LSP, so that every other module can
share it. The contract is ``ISG-SPEC.md`` (§1 and §2).
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class NodeKind(str, Enum):
    TRAIT = "T"
    STRUCT = "S"
    ENUM = "E"
    FUNCTION = "F"
    MODULE = "M"
    ASSOC_TYPE = "A"
    GENERIC = "G"

    @property
    def long_name(self) -> str:
        return _KIND_NAMES[self]

    @classmethod
    def parse(cls, text: str) -> "NodeKind":
        """Accepts a code (``T``) or a long name (``trait``), case-insensitively."""
        upper = text.strip().upper()
        for kind in cls:
            if kind.value == upper or kind.long_name.upper() == upper:
                return kind
        raise ValueError(f"unknown node kind {text!r}")


_KIND_NAMES = {
    NodeKind.TRAIT: "trait",
    NodeKind.STRUCT: "struct",
    NodeKind.ENUM: "enum",
    NodeKind.FUNCTION: "function",
    NodeKind.MODULE: "module",
    NodeKind.ASSOC_TYPE: "assoc_type",
    NodeKind.GENERIC: "generic",
}


class EdgeKind(str, Enum):
    CONTAINS = "CONTAINS"
    DEFINES = "DEFINES"
    IMPL = "IMPL"
    EXTENDS = "EXTENDS"
    BOUND_BY = "BOUND_BY"
    CALLS = "CALLS"
    ACCEPTS = "ACCEPTS"
    RETURNS = "RETURNS"
    USES = "USES"


class Resolution(str, Enum):
    EXACT = "exact"
    IMPORT = "import"
    HEURISTIC = "heuristic"


# A node is a type-like thing when edges such as ACCEPTS and USES may point at it.
TYPE_KINDS = frozenset({NodeKind.TRAIT, NodeKind.STRUCT, NodeKind.ENUM, NodeKind.ASSOC_TYPE, NodeKind.GENERIC})


def sighash(lang: str, kind: str, fqp: str, signature: str) -> bytes:
    """The node id of the spec (§2): BLAKE2b-128 over ``lang\\0kind\\0fqp\\0signature``."""
    data = "\0".join((lang, kind, fqp, signature)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).digest()


def fold_whitespace(text: str) -> str:
    return " ".join(text.split())


Span = tuple[int, int, int, int]
"""An LSP range: start line, start UTF-16 character, end line, end UTF-16 character (all 0-based)."""


@dataclass(slots=True)
class Node:
    id: bytes
    kind: NodeKind
    name: str
    fqp: str
    lang: str
    file: str | None
    span: Span | None
    signature: str
    visibility: str | None = None
    external: bool = False

    @classmethod
    def make(
        cls,
        kind: NodeKind,
        name: str,
        fqp: str,
        lang: str,
        file: str | None,
        span: Span | None,
        signature: str,
        visibility: str | None = None,
        external: bool = False,
    ) -> "Node":
        signature = fold_whitespace(signature)
        return cls(
            sighash(lang, kind.value, fqp, signature),
            kind,
            name,
            fqp,
            lang,
            file,
            span,
            signature,
            visibility,
            external,
        )

    @property
    def hex(self) -> str:
        return self.id.hex()


@dataclass(slots=True, frozen=True)
class Edge:
    src: bytes
    kind: EdgeKind
    dst: bytes
    resolution: Resolution = Resolution.EXACT
    candidates: int | None = None
    derived: bool = False

    @property
    def key(self) -> tuple[bytes, str, bytes]:
        # the kind itself, not `.value`: an EdgeKind is a str equal (and hashing equal) to its value, and reading
        # `.value` costs an enum descriptor call on the hot path of graph surgery
        return (self.src, self.kind, self.dst)


@dataclass(slots=True)
class Reference:
    """A relation found in one file with at least one end still a name, resolved against the whole workspace.

    The destination is ``dst`` when it is already known (an id of this file), else the name ``path`` as written,
    split into segments (``("fmt", "Display")``; a leading ``""`` marks a path that extraction already made absolute).
    The source is ``src`` unless ``src_path`` is given (a type named in an ``impl`` header, say), which is then
    resolved as a type. ``scope`` is the FQP of the module the reference stands in, whose imports and items are
    searched first; ``target`` says what the path may name: ``"type"``, ``"trait"``, ``"fn"`` or ``"module"``.
    For method calls ``receiver`` holds the FQPs of the receiver's possible types (``self.m()`` in an impl), or is
    empty when the receiver's type is unknown (the call is then resolved by name, as a heuristic).
    """

    kind: EdgeKind
    scope: str
    target: str
    path: tuple[str, ...] = ()
    src: bytes | None = None
    dst: bytes | None = None
    src_path: tuple[str, ...] | None = None
    receiver: tuple[str, ...] | None = None
    derived: bool = False


@dataclass(slots=True)
class FileFacts:
    """What extraction learns from one file: its nodes, the edges it can settle by itself, and its references.

    This is the unit of graph surgery: replacing a file replaces exactly its facts.
    """

    path: str  # workspace-relative, '/'-separated
    lang: str
    content_hash: bytes
    loc: int = 0
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    imports: dict[str, dict[str, str]] = field(default_factory=dict)  # scope FQP -> local name -> target FQP
    glob_imports: dict[str, list[str]] = field(default_factory=dict)  # scope FQP -> module FQPs imported with *
    errors: list[Span] = field(default_factory=list)  # syntax error ranges tree-sitter recovered from
    macro_calls: int = 0  # macro invocations whose bodies were skipped
    module_files: list[tuple[str, str]] = field(default_factory=list)  # modules this file places in other files
    # (Rust `#[path = "x.rs"] mod m;`): (module FQP, workspace-relative file)
    error: str | None = None  # set when the file could not be read or parsed at all
    docs: dict[bytes, str] = field(default_factory=dict)  # node id → the first paragraph of its doc comment
    # what the file names through other files (naming.py): extraction's requests (Rust: the type and trait paths of
    # its impls), and, once the workspace named them, what was renamed (to name again when a re-export changes)
    names: dict[str, Any] = field(default_factory=dict)

    def share_strings(self, tuples: dict[tuple[str, ...], tuple[str, ...]] | None = None) -> None:
        """Makes the names these facts repeat from other files' (path segments, receivers, node names, imports) one
        object each (``sys.intern``), and with ``tuples`` (one dict for a whole load) equal paths one tuple: facts that
        come from a worker process or the database hold copies of their own (rust-100k: 47,000 path segments of 2,600
        distinct names; rust-500k: 233,000 path tuples, 12 MB). Values are unchanged."""
        intern = sys.intern
        share = tuples.setdefault if tuples is not None else None
        for node in self.nodes:
            node.name = intern(node.name)
            if node.visibility is not None:
                node.visibility = intern(node.visibility)
        for ref in self.references:
            path = tuple(map(intern, ref.path))
            ref.path = share(path, path) if share is not None else path
            if ref.receiver:
                receiver = tuple(map(intern, ref.receiver))
                ref.receiver = share(receiver, receiver) if share is not None else receiver
            if ref.src_path:
                src_path = tuple(map(intern, ref.src_path))
                ref.src_path = share(src_path, src_path) if share is not None else src_path
        for scope, names in self.imports.items():
            self.imports[scope] = {
                intern(name): intern(target) if type(target) is str else target for name, target in names.items()
            }


_TEST_DIRS = frozenset({"tests", "test", "__tests__", "examples", "benches", "benchmarks", "testdata"})
_TEST_SEGMENTS = frozenset({"tests", "test"})
_TEST_FILE = re.compile(
    r"(^test_.*\.py$|_test\.(py|go)$|^conftest\.py$|\.(test|spec)\.[cm]?[jt]sx?$|"
    r"Tests?\.java$|_tests?\.rs$)"
)


def is_test(node: Node) -> bool:
    """Tests, examples and benches: by folder (`tests/`, `examples/`, `benches/`, ...), file name (`test_*.py`,
    `*.test.ts`, `FooTest.java`, ...) or an inline module named `tests`/`test`."""
    path = node.file or ""
    parts = path.split("/")
    if any(p in _TEST_DIRS for p in parts[:-1]) or _TEST_FILE.search(parts[-1] if parts else ""):
        return True
    if node.lang == "rust" and any(seg in _TEST_SEGMENTS for seg in node.fqp.split("::")[1:]):
        return True
    return False


# Bumped when extraction gives other facts for the same files (stored facts of another version are extracted again):
# 2 = the first paragraph of doc comments (FileFacts.docs); 3 = what a file names through others (FileFacts.names);
# 4 = a TypeScript or Python module's loop variables bind where they are written, not when first used (the item
# cache replays a module's bindings), and a one-line Python `def` no longer takes the docstring of the next header;
# 5 = a Java `package` or `import` counts only at the top of the file (the grammar also takes one inside a block).
FACTS_VERSION = 5

EDGE_KINDS_FOR_IMPACT = (
    EdgeKind.CALLS,
    EdgeKind.IMPL,
    EdgeKind.EXTENDS,
    EdgeKind.ACCEPTS,
    EdgeKind.RETURNS,
    EdgeKind.USES,
    EdgeKind.BOUND_BY,
)
