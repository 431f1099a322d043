"""Python: packages and modules from the folders, extraction from `queries/python.scm`, name resolution.

FQPs follow ISG-SPEC §2: the dotted module path from the source root (the folder above the topmost package, so
`src/` layouts need nothing special), members `{module}.{Class}.{member}`. A package's `__init__.py` is the package
module itself. A class is S, T when it derives `Protocol` or `ABC` (or has `metaclass=ABCMeta`), E when it derives
an `Enum` class; every base gives an EXTENDS edge (Python has one inheritance mechanism; who-implements queries follow
EXTENDS as well as IMPL). Methods of a T class are DEFINES, other members CONTAINS.

Imports are recorded per module as local name → dotted target (`from ..m import Y as Z` gives `Z` → `pkg.m.Y`), star
imports as globs, so that `resolve` follows `__init__.py` re-exports the way the Rust resolver follows `pub use`. A
class's bases are recorded as the globs of the class's own scope, so that `self.m()` finds a method that a base
class in the workspace declares, through the same tracked lookups.
"""

from __future__ import annotations

import builtins
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter

from ..graph import SymbolView, Target
from ..model import EdgeKind, FileFacts, NodeKind, Reference, Resolution
from . import query
from .common import FileExtraction, dispatch, sorted_matches

LANG = "python"

CLASS_KINDS = frozenset({NodeKind.STRUCT, NodeKind.TRAIT, NodeKind.ENUM})
FN_KINDS = frozenset({NodeKind.FUNCTION})
MODULE_KINDS = frozenset({NodeKind.MODULE})
TARGET_KINDS = {"type": CLASS_KINDS, "call": FN_KINDS, "module": MODULE_KINDS}
MAX_HEURISTIC_CANDIDATES = 5

TRAIT_BASES = frozenset({"Protocol", "ABC"})
ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum"})
NO_EDGE_BASES = frozenset({"object", "Generic"})
BUILTIN_NAMES = frozenset(dir(builtins))
# Annotation names that are not nodes: builtin scalar and container types, and typing's special forms.
PRIMITIVES = frozenset({"int", "str", "float", "bool", "bytes", "bytearray", "complex", "None", "object", "Any",
                        "list", "dict", "tuple", "set", "frozenset", "type", "Optional", "Union", "Literal",
                        "ClassVar", "Final", "Annotated", "TypeAlias", "Self", "NoReturn", "Never", "TypeGuard",
                        "TypeIs", "Required", "NotRequired", "ReadOnly", "Unpack", "LiteralString"})
_IDENT_PATH = re.compile(r"[A-Za-z_][\w.]*")


# ---- layout: source roots and packages ----------------------------------------------------------------------

@dataclass
class PyLayout:
    """The packages of the workspace: folders holding an `__init__.py` (or `.pyi`). A file's module path starts
    below the topmost package folder above it, which makes `src/` layouts and several source roots work alike."""

    packages: tuple[str, ...] = ()
    _set: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)

    def is_package(self, folder: str) -> bool:
        if self._set is None:
            self._set = frozenset(self.packages)
        return folder in self._set

    def module_of(self, path: str) -> tuple[str, bool]:
        """(dotted module path, is it a package's `__init__`) of a workspace-relative `.py` / `.pyi` path."""
        folders = path.split("/")[:-1]
        stem = posixpath.basename(path).rsplit(".", 1)[0]
        top = len(folders)
        while top > 0 and self.is_package("/".join(folders[:top])):
            top -= 1
        parts = folders[top:]
        is_init = stem == "__init__"
        if not is_init:
            parts = parts + [stem]
        if not parts:
            parts = [stem]
        return ".".join(parts), is_init and bool(folders[top:])

    def parent_package(self, module: str, is_package: bool, path: str) -> str | None:
        """The package a module stands in, when its folder is a package."""
        if "." not in module:
            return None
        folder = posixpath.dirname(path)
        if is_package:
            folder = posixpath.dirname(folder)
        return module.rsplit(".", 1)[0] if self.is_package(folder) else None


def build_layout(root: Path, files: list[str]) -> PyLayout:
    packages = sorted({posixpath.dirname(f) for f in files
                       if posixpath.basename(f) in ("__init__.py", "__init__.pyi") and "/" in f})
    return PyLayout(tuple(packages))


# ---- extraction -----------------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Scope:
    kind: str                          # "module", "class", "fn"
    module: str
    node_id: bytes | None = None
    fqp: str = ""
    receivers: tuple[str, ...] = ()    # `self.m()` / `cls.m()`: the enclosing class
    bases: tuple[str, ...] = ()        # `super().m()`: its bases, as dotted paths
    generics: frozenset[str] = frozenset()
    is_trait: bool = False
    class_id: bytes | None = None      # a method's class (for `self.x: T` fields)


class PyExtraction(FileExtraction):
    def __init__(self, path, lang, source, tree, content_hash, layout: PyLayout):
        super().__init__(path, LANG, source, tree, content_hash)
        layout = layout if layout is not None else PyLayout()
        self.module, self.is_package = layout.module_of(path)
        self.scopes: dict[int, _Scope] = {}
        self.typevars: set[str] = set()
        self.types_cursor = tree_sitter.QueryCursor(query(LANG, "python-types"))
        name = self.module.rsplit(".", 1)[-1]
        signature = f"package {self.module}" if self.is_package else f"module {self.module}"
        module_node = self.add_node(NodeKind.MODULE, name, self.module, None, signature)
        module_node.span = self.whole_file_span()
        self.file_scope = _Scope("module", self.module, module_node.id, self.module)
        parent = layout.parent_package(self.module, self.is_package, path)
        if parent is not None:
            self.add_reference(Reference(EdgeKind.CONTAINS, self.module, "module", src_path=("", parent),
                                         dst=module_node.id))

    def run(self) -> FileFacts:
        matches = sorted_matches(query(LANG, "python"), self.tree.root_node)
        dispatch(matches, {"import": self.on_import, "import.from": self.on_import_from,
                           "definition.typevar": self.on_typevar})
        dispatch(matches, {
            "definition.class": self.on_class, "definition.function": self.on_function,
            "definition.field": self.on_field, "reference.call": self.on_call,
        })
        return self.finish()

    def scope_of(self, node) -> _Scope:
        parent = node.parent
        scopes = self.scopes
        while parent is not None:
            scope = scopes.get(parent.id)
            if scope is not None:
                return scope
            parent = parent.parent
        return self.file_scope

    # ---- imports ----

    def imports(self) -> dict[str, str]:
        return self.facts.imports.setdefault(self.module, {})

    def on_import(self, node, caps):
        """`import a.b.c` binds `a`; `import a.b as c` binds `c` to `a.b`. Imports anywhere in the file count (a
        function's lazy import resolves the calls in that function)."""
        imports = self.imports()
        for name_node in node.children_by_field_name("name"):
            if name_node.type == "aliased_import":
                target = _dotted(self.text(name_node.child_by_field_name("name")))
                imports[self.text(name_node.child_by_field_name("alias"))] = target
            else:
                first = _dotted(self.text(name_node)).split(".")[0]
                imports.setdefault(first, first)

    def on_import_from(self, node, caps):
        module_node = node.child_by_field_name("module_name")
        if module_node is None:
            return
        if module_node.type == "relative_import":
            prefix = next((c for c in module_node.named_children if c.type == "import_prefix"), None)
            rest = next((c for c in module_node.named_children if c.type == "dotted_name"), None)
            level = self.text(prefix).count(".") if prefix is not None else 1
            base = self.relative_base(level)
            if rest is not None:
                base = base + _dotted(self.text(rest)).split(".")
            base_fqp = ".".join(base)
        else:
            base_fqp = _dotted(self.text(module_node))
        if any(c.type == "wildcard_import" for c in node.named_children):
            if base_fqp:
                self.facts.glob_imports.setdefault(self.module, []).append(base_fqp)
            return
        imports = self.imports()
        for name_node in node.children_by_field_name("name"):
            if name_node.type == "aliased_import":
                name = _dotted(self.text(name_node.child_by_field_name("name")))
                alias = self.text(name_node.child_by_field_name("alias"))
            else:
                name = _dotted(self.text(name_node))
                alias = name.split(".")[0]
            imports[alias] = f"{base_fqp}.{name}" if base_fqp else name

    def relative_base(self, level: int) -> list[str]:
        parts = self.module.split(".")
        package = parts if self.is_package else parts[:-1]
        up = level - 1
        if up > 0:
            package = package[:-up] if up < len(package) else []
        return package

    def on_typevar(self, node, caps):
        self.typevars.add(self.text(caps["name"][0]))

    def local_target(self, path: tuple[str, ...]) -> str:
        imported = self.facts.imports.get(self.module, {}).get(path[0])
        if imported is not None:
            return ".".join((imported, *path[1:]))
        return ".".join((self.module, *path))

    # ---- declarations ----

    def outer(self, node):
        parent = node.parent
        return parent if parent is not None and parent.type == "decorated_definition" else node

    def signature(self, node) -> str:
        return self.head(self.outer(node), node.child_by_field_name("body")).rstrip(":").rstrip()

    def on_class(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind not in ("module", "class"):
            return                                     # a class inside a function: its calls are the function's
        name = self.text(caps["name"][0])
        fqp = f"{scope.fqp}.{name}"
        kind = NodeKind.STRUCT
        base_paths: list[tuple[str, ...]] = []
        superclasses = node.child_by_field_name("superclasses")
        for arg in superclasses.named_children if superclasses is not None else ():
            if arg.type == "keyword_argument":
                key = self.text(arg.child_by_field_name("name"))
                value = _dotted(self.text(arg.child_by_field_name("value")))
                if key == "metaclass" and value.split(".")[-1] == "ABCMeta":
                    kind = NodeKind.TRAIT
                continue
            head = arg.child_by_field_name("value") if arg.type == "subscript" else arg
            path = _name_path(self, head)
            if not path:
                continue
            last = path[-1]
            if last in TRAIT_BASES:
                kind = NodeKind.TRAIT
            elif last in ENUM_BASES and kind is NodeKind.STRUCT:
                kind = NodeKind.ENUM
            if last in NO_EDGE_BASES:
                continue
            base_paths.append(path)
        item = self.add_node(kind, name, fqp, self.outer(node), self.signature(node))
        self.add_edge(scope.node_id, EdgeKind.CONTAINS, item.id)
        bases = []
        for path in base_paths:
            self.add_reference(Reference(EdgeKind.EXTENDS, scope.module, "type", path, src=item.id))
            bases.append(self.local_target(path))
        if bases:
            self.facts.glob_imports[fqp] = bases
        self.scopes[node.id] = _Scope("class", scope.module, item.id, fqp, (fqp,), tuple(bases),
                                      is_trait=kind is NodeKind.TRAIT)

    def on_function(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind not in ("module", "class"):
            return                                     # a nested function: its calls are the enclosing function's
        name = self.text(caps["name"][0])
        fqp = f"{scope.fqp}.{name}"
        item = self.add_node(NodeKind.FUNCTION, name, fqp, self.outer(node), self.signature(node))
        in_class = scope.kind == "class"
        self.add_edge(scope.node_id, EdgeKind.DEFINES if in_class and scope.is_trait else EdgeKind.CONTAINS, item.id)
        generics = set(scope.generics)
        type_params = node.child_by_field_name("type_parameters")
        if type_params is not None:                    # PEP 695 `def f[T](x: T)`: names bound here, not types
            for ident in _identifiers(type_params):
                generics.add(self.text(ident))
        generics = frozenset(generics)
        params = node.child_by_field_name("parameters")
        for param in params.named_children if params is not None else ():
            type_node = param.child_by_field_name("type")
            if type_node is not None:
                self.type_refs(type_node, item.id, EdgeKind.ACCEPTS, scope.module, generics)
        returns = node.child_by_field_name("return_type")
        if returns is not None:
            self.type_refs(returns, item.id, EdgeKind.RETURNS, scope.module, generics)
        self.scopes[node.id] = _Scope("fn", scope.module, item.id, fqp,
                                      scope.receivers if in_class else (), scope.bases if in_class else (),
                                      generics, class_id=scope.node_id if in_class else None)

    def on_field(self, node, caps):
        """`x: Foo` in a class body, `self.x: Foo = ...` in a method: the class USES Foo."""
        scope = self.scope_of(node)
        target = caps["field.target"][0]
        if scope.kind == "class" and target.type == "identifier":
            owner = scope.node_id
        elif scope.kind == "fn" and scope.class_id is not None and target.type == "attribute" \
                and self.text(target.child_by_field_name("object")) == "self":
            owner = scope.class_id
        else:
            return
        self.type_refs(caps["field.type"][0], owner, EdgeKind.USES, scope.module, scope.generics)

    # ---- types ----

    def named_types(self, node) -> list[tuple[str, ...]]:
        captures = self.types_cursor.captures(node)
        found: list[tuple[int, tuple[str, ...]]] = []
        for t in captures.get("type", ()):
            parent = t.parent
            if parent is not None and parent.type == "attribute":
                continue                               # a segment of a dotted name, captured with it
            if _excluded(self, t, node):
                continue
            path = _name_path(self, t)
            if path:
                found.append((t.start_byte, path))
        for s in captures.get("type.string", ()):
            if _excluded(self, s, node, strings=True):
                continue
            content = "".join(self.text(c) for c in s.named_children if c.type == "string_content")
            for match in _IDENT_PATH.finditer(content):
                path = tuple(p for p in match.group(0).split(".") if p)
                if path:
                    found.append((s.start_byte + match.start(), path))
        found.sort()
        return [path for _, path in found]

    def type_refs(self, type_node, src: bytes, kind: EdgeKind, module: str, generics: frozenset[str]) -> None:
        seen = set()
        for path in self.named_types(type_node):
            if path in seen or (len(path) == 1 and path[0] in PRIMITIVES) or path[0] in generics \
                    or path[0] in self.typevars:
                continue
            seen.add(path)
            self.add_reference(Reference(kind, module, "type", path, src=src))

    # ---- bodies ----

    def on_call(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "fn":
            return
        callee = caps["reference.callee"][0]
        if callee.type == "identifier":
            name = self.text(callee)
            if name in BUILTIN_NAMES and name not in self.facts.imports.get(self.module, {}):
                return
            self.add_reference(Reference(EdgeKind.CALLS, scope.module, "call", (name,), src=scope.node_id))
            return
        if callee.type != "attribute":
            return
        name = self.text(callee.child_by_field_name("attribute"))
        obj = callee.child_by_field_name("object")
        receivers: tuple[str, ...] = ()
        if obj.type == "identifier" and self.text(obj) in ("self", "cls") and scope.receivers:
            receivers = scope.receivers
        elif obj.type == "call" and self.text(obj.child_by_field_name("function")) == "super":
            if not scope.bases:
                return
            receivers = scope.bases
        else:
            if obj.type == "call":                     # `Foo().m()`: a method of Foo when Foo is a class
                obj = obj.child_by_field_name("function")
            path = _name_path(self, obj)
            if path:
                self.add_reference(Reference(EdgeKind.CALLS, scope.module, "call", (*path, name), src=scope.node_id))
                return
        self.add_reference(Reference(EdgeKind.CALLS, scope.module, "call", (name,), src=scope.node_id,
                                     receiver=receivers))


def _dotted(text: str) -> str:
    return "".join(text.split())


def _name_path(extraction: FileExtraction, node) -> tuple[str, ...]:
    """`a.b.C` as ("a", "b", "C") when the expression is a plain (dotted) name, else ()."""
    if node is None:
        return ()
    if node.type == "identifier":
        return (extraction.text(node),)
    if node.type == "attribute":
        parts = []
        while node.type == "attribute":
            parts.append(extraction.text(node.child_by_field_name("attribute")))
            node = node.child_by_field_name("object")
        if node.type != "identifier":
            return ()
        parts.append(extraction.text(node))
        return tuple(reversed(parts))
    return ()


def _identifiers(node):
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier":
            yield current
        else:
            stack.extend(current.named_children)


def _excluded(extraction: FileExtraction, node, root, strings: bool = False) -> bool:
    """Names in an annotation that refer to no type: inside a call or keyword argument, `Literal[...]` values,
    `Annotated[T, ...]` metadata, and (unless asked for) anything inside a string."""
    child = node
    current = node.parent
    while current is not None:
        kind = current.type
        if kind in ("call", "keyword_argument", "argument_list"):
            return True
        if kind == "string" and not strings:
            return True
        if kind in ("type_parameter", "subscript") and current.parent is not None:
            holder = current.parent if kind == "type_parameter" else current
            head = holder.named_children[0] if holder.named_children else None
            head_name = extraction.text(head).rsplit(".", 1)[-1] if head is not None else ""
            if head_name == "Literal":
                return True
            if head_name == "Annotated":
                args = [c for c in current.named_children if c.type != "comment"]
                if kind == "subscript":
                    args = args[1:]
                if args and child.id != args[0].id:
                    return True
        if current.id == root.id:
            break
        child = current
        current = current.parent
    return False


def extract(path: str, source: bytes, tree: tree_sitter.Tree, layout: PyLayout, content_hash: bytes,
            lang: str = LANG) -> FileFacts:
    return PyExtraction(path, lang, source, tree, content_hash, layout).run()


# ---- resolution ---------------------------------------------------------------------------------------------

def resolve(ref: Reference, view: SymbolView, facts: FileFacts) -> tuple[Target | None, Target | None]:
    src = None
    if ref.src is None and ref.src_path is not None:
        ids = lookup_absolute(ref.src_path[1:], MODULE_KINDS, view)
        src = Target(ids, Resolution.EXACT) if ids else None
    if ref.dst is not None:
        return src, None
    if ref.receiver is not None:
        return src, resolve_method(ref.path[-1], ref.receiver, view)
    return src, resolve_path(ref.path, ref.target, ref.scope, view)


def _split(fqp: str) -> tuple[str, ...]:
    return tuple(fqp.split("."))


def _join(path: tuple[str, ...]) -> str:
    return ".".join(path)


def resolve_path(path: tuple[str, ...], target: str, scope: str, view: SymbolView) -> Target | None:
    first = path[0]
    imported = view.imports(scope).get(first)
    if imported is not None:
        expanded = _split(imported) + path[1:]
        ids = lookup_target(expanded, target, view)
        if ids:
            return Target(ids, Resolution.IMPORT)
        if target == "type":
            return Target([], Resolution.IMPORT, external_fqp=_join(expanded), external_kind=NodeKind.STRUCT)
        return None
    ids = lookup_target((*_split(scope), *path), target, view)
    if ids:
        return Target(ids, Resolution.EXACT)
    for glob in view.globs(scope):
        ids = lookup_target((*_split(glob), *path), target, view)
        if ids:
            return Target(ids, Resolution.IMPORT)
    if len(path) > 1:
        ids = lookup_target(path, target, view)            # a full dotted path
        if ids:
            return Target(ids, Resolution.EXACT)
    if target == "call":
        if len(path) > 1:                                  # `value.method()` on a local value: by the method's name
            return resolve_method(path[-1], (), view)
        return None
    if target != "type":
        return None
    if len(path) == 1 and first in BUILTIN_NAMES:
        return Target([], Resolution.IMPORT, external_fqp=first, external_kind=NodeKind.STRUCT)
    return Target([], Resolution.HEURISTIC, 0, external_fqp=_join(path), external_kind=NodeKind.STRUCT)


def lookup_target(path: tuple[str, ...], target: str, view: SymbolView) -> list[bytes]:
    """For calls: the function at the path, else the `__init__` of the class at the path."""
    if target != "call":
        return lookup_absolute(path, TARGET_KINDS[target], view)
    ids = lookup_absolute(path, FN_KINDS, view)
    if ids:
        return ids
    found: set[bytes] = set()
    for class_id in lookup_absolute(path, CLASS_KINDS, view):
        found.update(lookup_absolute((*_split(view.node(class_id).fqp), "__init__"), FN_KINDS, view))
    return sorted(found)


def lookup_absolute(path: tuple[str, ...], kinds: frozenset[NodeKind], view: SymbolView, depth: int = 0
                    ) -> list[bytes]:
    """Nodes at a dotted path, following the imports of the modules along it (`__init__.py` re-exports), star
    imports, and for members the bases of classes (recorded as the globs of their scope)."""
    if not path:
        return []
    ids = view.lookup(_join(path), kinds)
    if ids or depth > 8 or len(path) < 2:
        return ids
    parent, name = path[:-1], path[-1]
    parent_fqp = _join(parent)
    reexport = view.imports(parent_fqp).get(name)
    if reexport is not None and reexport != _join(path):
        ids = lookup_absolute(_split(reexport), kinds, view, depth + 1)
        if ids:
            return ids
    for glob in view.globs(parent_fqp):
        if glob != parent_fqp:
            ids = lookup_absolute((*_split(glob), name), kinds, view, depth + 1)
            if ids:
                return ids
    if len(parent) >= 2:
        # the parent is itself imported under this name (`requests.Session` for `requests.sessions.Session`)
        for owner in lookup_absolute(parent, CLASS_KINDS | MODULE_KINDS, view, depth + 1):
            owner_fqp = view.node(owner).fqp
            if owner_fqp != parent_fqp:
                ids = lookup_absolute((*_split(owner_fqp), name), kinds, view, depth + 1)
                if ids:
                    return ids
    return []


def resolve_method(name: str, receivers: tuple[str, ...], view: SymbolView) -> Target | None:
    if receivers:
        for receiver in receivers:
            ids = lookup_absolute((*_split(receiver), name), FN_KINDS, view)
            if ids:
                return Target(ids, Resolution.EXACT)
        return None
    candidates = [n for n in view.by_name(name, FN_KINDS, LANG) if _is_method(n.fqp, view)]
    if 1 <= len(candidates) <= MAX_HEURISTIC_CANDIDATES:
        return Target([n.id for n in candidates], Resolution.HEURISTIC, len(candidates))
    return None


def _is_method(fqp: str, view: SymbolView) -> bool:
    owner = fqp.rpartition(".")[0]
    return bool(owner) and bool(view.lookup(owner, CLASS_KINDS))


__all__ = ["PyLayout", "build_layout", "extract", "resolve"]
