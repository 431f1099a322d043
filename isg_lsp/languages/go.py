"""Go: packages from go.mod, extraction from `queries/go.scm`, name resolution and structural IMPL.

FQPs (the spec's table has no Go row; this is the rule used here):

- a package is its import path: the `module` path of the nearest `go.mod` above the file, then `/` and the folder
  relative to that go.mod (`example.com/m/internal/x`); without a go.mod, the folder relative to the workspace root
  (the root's own name for files at the root). An external test package (`package x_test`) is `{path}_test`;
- package-level items are `{package}.{Name}` (`example.com/m/internal/x.Server`), methods and interface methods
  `{package}.{Type}.{Method}` (`example.com/m/internal/x.Server.Serve`), type parameters `{owner}.<T>`.

Node kinds (ISG-SPEC §1 Clarifications, Go): a package is a module (M, signature `package x`, declared by every file
of the package: one node); struct types are S, interface types are T, functions, methods and interface methods are
F, every other type declaration (defined types such as `type Celsius float64`, function types, aliases `type A = B`)
is A, type parameters are G; a method's receiver type parameters (`func (s Stream[T]) Next() T`) are its type's G
nodes (`Stream.<T>`, found by FQP). There are no E nodes (Go has no enums; `iota` constants are not items), and
`init` functions are not items (they are not declared names).

Edges: a package CONTAINS its items (and, best effort, its parent folder's package CONTAINS it); a type CONTAINS its
methods (methods may stand in any file of the package: a reference to `{package}.{Type}`); an interface DEFINES its
methods. Embedded struct fields and embedded interfaces give EXTENDS. Named fields give USES, the definitions of
other types USES, parameters ACCEPTS, results RETURNS. A constraint gives BOUND_BY to what it is made of (union
terms, `~T`'s T, the generic type of an instantiation, embedded interfaces), never to type arguments or element types
(`~map[K]V`, `~[]E` give none). Predeclared basic types, `any` and `unsafe.Pointer` are not nodes; `error` and
`comparable` become external interfaces with their bare names. `F[T](x)` is a call of F (when F is a function).

IMPL is structural: a workspace type (S or A) whose method set (value or pointer receivers; promoted methods of
embedded fields included, through the `go-embedders:{FQP}` glob tables each embedding publishes) has every method of
a workspace interface IMPLs it. Methods are compared by name and by their numbers of parameters and results; an
unexported method counts only when declared in the interface's own package (no other package can declare it). These
edges are `heuristic`, and their `candidates` is the number of workspace types that satisfy the interface (all of
them get an edge): 1 is a specific match, a large number says the interface is small and the match weak. An
interface with no methods (`any`-like, or type constraints only) gets no IMPL edges; one that embeds an interface
whose methods are unknown (outside the workspace, and not one of `error`, `fmt.Stringer`, `io.Reader`, `io.Writer`,
`io.Closer`) gets none either. A method `Error() string` also gives its type (and the types that embed it) an IMPL
edge to the external `error` (and `String() string` one to `fmt.Stringer`), `heuristic` with 1 candidate.

Incremental updates equal a fresh index because structural IMPL is resolved from the interface's side through the
``SymbolView``: the reference of an interface looks up each of its method names (``by_name``) and the owner type of
every same-named method (``lookup``); adding or removing a method anywhere changes one of those keys, so the
interface's file is resolved again. An interface's own method names and embedded interfaces are published for other
files in ``FileFacts.imports["go-iface:{FQP}"]`` (``methods`` and ``embeds``, one per line), whose reads are
dependencies too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter

from ..graph import SymbolView, Target
from ..model import EdgeKind, FileFacts, NodeKind, Reference, Resolution
from . import query
from .common import FileExtraction, dispatch, guess_methods, read_manifest

LANG = "go"
TYPE_KINDS = frozenset({NodeKind.STRUCT, NodeKind.TRAIT, NodeKind.ASSOC_TYPE})
CONCRETE_KINDS = frozenset({NodeKind.STRUCT, NodeKind.ASSOC_TYPE})
FN_KINDS = frozenset({NodeKind.FUNCTION})
MODULE_KINDS = frozenset({NodeKind.MODULE})
IFACE_KEY = "go-iface:"
EMBED_KEY = "go-embedders:"

PREDECLARED = frozenset({
    "bool", "byte", "complex64", "complex128", "float32", "float64", "int", "int8", "int16", "int32", "int64",
    "rune", "string", "uint", "uint8", "uint16", "uint32", "uint64", "uintptr", "any",
})
PREDECLARED_NODES = {"error": NodeKind.TRAIT, "comparable": NodeKind.TRAIT}
BUILTIN_FUNCTIONS = frozenset({
    "append", "cap", "clear", "close", "complex", "copy", "delete", "imag", "len", "make", "max", "min", "new",
    "panic", "print", "println", "real", "recover",
})
# Method sets of a few standard interfaces, so that workspace interfaces embedding them can still be matched.
KNOWN_INTERFACES = {
    "error": ("Error",), "fmt.Stringer": ("String",), "io.Reader": ("Read",), "io.Writer": ("Write",),
    "io.Closer": ("Close",),
}
# Methods whose name and shape say "this type implements that standard interface": (name, result) → interface.
KNOWN_METHODS = {("Error", "string"): "error", ("String", "string"): "fmt.Stringer"}
TYPE_KIND_OF = {"struct_type": NodeKind.STRUCT, "interface_type": NodeKind.TRAIT}


# ---- layout: packages from go.mod -----------------------------------------------------------------------------

@dataclass
class GoLayout:
    """Where each Go file's package stands: the module paths of the workspace's go.mod files."""

    root_name: str
    modules: dict[str, str] = field(default_factory=dict)    # workspace-relative folder of a go.mod → module path

    def package_of(self, path: str) -> tuple[str, str]:
        """(package import path, module path or "") of a workspace-relative `.go` file."""
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        probe = folder
        while True:
            module = self.modules.get(probe)
            if module is not None:
                rel = folder[len(probe):].lstrip("/")
                return (f"{module}/{rel}" if rel else module), module
            if not probe:
                break
            probe = probe.rsplit("/", 1)[0] if "/" in probe else ""
        return (folder or self.root_name or "main"), ""


_MODULE_LINE = re.compile(r"^[ \t]*module[ \t]+\"?([^\s\"]+)\"?", re.MULTILINE)   # [ \t]: linear on blank lines


def build_layout(root: Path, files: list[str]) -> GoLayout:
    """Reads the `module` line of every go.mod beside the indexed files and in their ancestor folders."""
    layout = GoLayout(root_name=root.name)
    seen: set[str] = set()
    for rel in files:
        folder = rel.rsplit("/", 1)[0] if "/" in rel else ""
        while folder not in seen:
            seen.add(folder)
            manifest = root / folder / "go.mod" if folder else root / "go.mod"
            if manifest.is_file():
                try:
                    match = _MODULE_LINE.search(read_manifest(manifest))
                except OSError:
                    match = None
                if match:
                    layout.modules[folder] = match.group(1)
            if not folder:
                break
            folder = folder.rsplit("/", 1)[0] if "/" in folder else ""
    return layout


# ---- extraction -----------------------------------------------------------------------------------------------

@dataclass(slots=True, eq=False)
class _Scope:
    kind: str                                   # "file", "interface", "fn", "local"
    fqp: str = ""
    node_id: bytes | None = None
    generics: dict[str, bytes] = field(default_factory=dict)
    locals: dict[str, str | None] = field(default_factory=dict)     # fn: variable → type FQP candidates (first)


class GoExtraction(FileExtraction):
    def __init__(self, path, lang, source, tree, content_hash, layout: GoLayout):
        super().__init__(path, lang, source, tree, content_hash)
        self.layout = layout
        self.package, self.module_path = layout.package_of(path)
        self.module_id: bytes | None = None
        self.imports: dict[str, str] = {}          # local name → import path
        self.dot_imports: list[str] = []
        self.file_scope = _Scope("file", self.package)
        self.scopes: dict[int, _Scope] = {}
        self.types_cursor = tree_sitter.QueryCursor(query(LANG, "go-types"))

    def run(self) -> FileFacts:
        cursor = tree_sitter.QueryCursor(query(LANG, "go"))
        matches = _document_order(cursor.matches(self.tree.root_node))
        dispatch(matches, {"definition.package": self.on_package, "import": self.on_import})
        # imports are settled here (a Go import names its package exactly): references carry candidate FQPs
        dispatch(matches, {
            "definition.type": self.on_type, "definition.type_alias": self.on_type,
            "definition.interface_method": self.on_interface_method,
            "definition.function": self.on_function, "definition.method": self.on_function,
            "local.definition": self.on_local, "reference.call": self.on_call,
        })
        return self.finish()


    # ---- package and imports ----

    def on_package(self, node, caps):
        if self.module_id is not None:
            return
        name = self.text(caps["name"][0])
        if name.endswith("_test") and not self.package.endswith("_test"):
            base = self.package.rsplit("/", 1)[-1]
            if name != base:                                # an external test package
                self.package += "_test"
                self.file_scope.fqp = self.package
        module = self.add_node(NodeKind.MODULE, name, self.package, node, f"package {name}")
        self.module_id = module.id
        self.file_scope.node_id = module.id
        if "/" in self.package and len(self.package.rsplit("/", 1)[0]) >= len(self.module_path):
            parent = self.package.rsplit("/", 1)[0]
            self.add_reference(Reference(EdgeKind.CONTAINS, self.package, "module", src_path=(parent,),
                                         dst=module.id))

    def on_import(self, node, caps):
        path = self.text(caps["import.path"][0]).strip("\"`")
        if not path:
            return
        name_node = node.child_by_field_name("name")
        name = self.text(name_node) if name_node is not None else _import_name(path)
        if name == ".":
            self.dot_imports.append(path)
        elif name != "_":
            self.imports[name] = path

    # ---- declarations ----

    def on_type(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "file":
            return                                         # types declared in functions are not items
        name = self.text(caps["name"][0])
        value = caps["definition.type.value"][0]
        is_alias = node.type == "type_alias"
        kind = NodeKind.ASSOC_TYPE if is_alias else TYPE_KIND_OF.get(value.type, NodeKind.ASSOC_TYPE)
        fqp = f"{self.package}.{name}"
        decl = node.parent if node.parent is not None and node.parent.type == "type_declaration" else node
        signature = "type " + self.head(node, value if kind is not NodeKind.ASSOC_TYPE else None)
        if kind is not NodeKind.ASSOC_TYPE:
            signature += " " + ("struct" if kind is NodeKind.STRUCT else "interface")
        item = self.add_node(kind, name, fqp, node if decl.named_child_count > 1 else decl, signature,
                             _visibility(name))
        self.attach(item.id)
        own = _Scope("interface" if kind is NodeKind.TRAIT else "type", fqp, item.id)
        own.generics = self.generics(node, fqp, own)
        self.scopes[node.id] = own
        if kind is NodeKind.STRUCT:
            self.struct_fields(value, own)
        elif kind is NodeKind.TRAIT:
            self.interface(value, own)
        else:
            self.type_refs(value, item.id, EdgeKind.USES, own, "type")

    def attach(self, item_id: bytes) -> None:
        if self.module_id is not None:
            self.add_edge(self.module_id, EdgeKind.CONTAINS, item_id)

    def struct_fields(self, struct, scope: _Scope) -> None:
        body = next((c for c in struct.named_children if c.type == "field_declaration_list"), None)
        if body is None:
            return
        for decl in body.named_children:
            if decl.type != "field_declaration":
                continue
            type_node = decl.child_by_field_name("type")
            if type_node is None:
                continue
            if decl.child_by_field_name("name") is None:       # an embedded field
                self.type_refs(type_node, scope.node_id, EdgeKind.EXTENDS, scope, "struct", head_only=True)
                self.publish_embedding(type_node, scope)
            else:
                self.type_refs(type_node, scope.node_id, EdgeKind.USES, scope, "type")

    def publish_embedding(self, type_node, scope: _Scope) -> None:
        """Who embeds a type, for structural IMPL through promoted methods: `go-embedders:{embedded FQP}` lists the
        embedding types (a glob table: every file adds its own)."""
        path = self.type_path(type_node, scope, deref=True)
        if isinstance(path, tuple):
            for candidate in path:
                self.facts.glob_imports.setdefault(EMBED_KEY + candidate, []).append(scope.fqp)

    def interface(self, iface, scope: _Scope) -> None:
        methods: list[str] = []
        shapes: list[str] = []
        embeds: list[str] = []
        for elem in iface.named_children:
            if elem.type == "method_elem":
                name = elem.child_by_field_name("name")
                if name is not None:
                    methods.append(self.text(name))
                    shape = _shape(self.text(elem), self.text(name))
                    shapes.append(f"{shape[0]}/{shape[1]}" if shape is not None else "")
            elif elem.type == "type_elem" and elem.named_child_count == 1 and elem.named_children[0].type in (
                    "type_identifier", "qualified_type"):
                path = self.type_path(elem.named_children[0], scope)
                if path is None:
                    continue
                if isinstance(path, bytes):
                    continue
                embeds.append(path[0])
                self.publish_embedding(elem.named_children[0], scope)
                self.add_reference(Reference(EdgeKind.EXTENDS, self.package, "interface", path, src=scope.node_id))
            elif elem.type == "type_elem":
                embeds.append("")                           # a constraint (`~int | ~string`): no IMPL
        record = {}
        if methods:
            record["methods"] = "\n".join(methods)
            record["shapes"] = "\n".join(shapes)
        if embeds:
            record["embeds"] = "\n".join(embeds)
        self.facts.imports[IFACE_KEY + scope.fqp] = record
        if methods or embeds:
            self.add_reference(Reference(EdgeKind.IMPL, self.package, "impl",
                                         tuple(f"{m}\t{sh}" for m, sh in zip(methods, shapes)),
                                         dst=scope.node_id, receiver=tuple(embeds)))

    def on_interface_method(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "interface":
            return
        name = self.text(caps["name"][0])
        item = self.add_node(NodeKind.FUNCTION, name, f"{scope.fqp}.{name}", node, self.head(node, None),
                             _visibility(name))
        self.add_edge(scope.node_id, EdgeKind.DEFINES, item.id)
        self.signature_types(node, item.id, scope)

    def on_function(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "file":
            return
        name = self.text(caps["name"][0])
        receiver = node.child_by_field_name("receiver")
        if receiver is None and name == "init":
            return                                 # `init` functions are not declared names: no items
        receiver_type = None
        receiver_name = None
        if receiver is not None:
            param = next((c for c in receiver.named_children if c.type == "parameter_declaration"), None)
            if param is None:
                return
            type_node = param.child_by_field_name("type")
            receiver_type = _base_type_name(self, type_node)
            if not receiver_type:
                return
            name_node = param.child_by_field_name("name")
            receiver_name = self.text(name_node) if name_node is not None else None
            fqp = f"{self.package}.{receiver_type}.{name}"
        else:
            fqp = f"{self.package}.{name}"
        body = node.child_by_field_name("body")
        item = self.add_node(NodeKind.FUNCTION, name, fqp, node, self.head(node, body), _visibility(name))
        own = _Scope("fn", fqp, item.id)
        if receiver_type is not None:
            owner = f"{self.package}.{receiver_type}"
            self.add_reference(Reference(EdgeKind.CONTAINS, self.package, "type", src_path=(owner,), dst=item.id))
            if receiver_name:
                own.locals[receiver_name] = owner
            own.generics = self.receiver_generics(receiver, owner, own)
            result = node.child_by_field_name("result")
            params = node.child_by_field_name("parameters")
            implemented = KNOWN_METHODS.get((name, self.text(result) if result is not None else ""))
            if implemented and params is not None and params.named_child_count == 0:
                self.add_reference(Reference(EdgeKind.IMPL, self.package, "known", (implemented,),
                                             src_path=(owner,)))
        else:
            self.attach(item.id)
        own.generics = self.generics(node, fqp, own)
        self.scopes[node.id] = own
        self.signature_types(node, item.id, own)

    def signature_types(self, node, item_id: bytes, scope: _Scope) -> None:
        params = node.child_by_field_name("parameters")
        if params is not None:
            for param in params.named_children:
                type_node = param.child_by_field_name("type")
                if type_node is None:
                    continue
                self.type_refs(type_node, item_id, EdgeKind.ACCEPTS, scope, "type")
                if scope.kind == "fn":
                    local = self.type_path(type_node, scope, deref=True)
                    for name in param.children_by_field_name("name"):
                        scope.locals[self.text(name)] = local[0] if isinstance(local, tuple) else None
        result = node.child_by_field_name("result")
        if result is not None:
            self.type_refs(result, item_id, EdgeKind.RETURNS, scope, "type")

    def receiver_generics(self, receiver, type_fqp: str, scope: _Scope) -> dict:
        """`func (s Stream[T]) Next() T`: the receiver's type parameters are the type's G nodes (`Stream.<T>`,
        ISG-SPEC §1), found by FQP (the type may stand in another file; a method that renames them, `Stream[U]`,
        names a G node the type does not have: no edge)."""
        generics = dict(scope.generics)
        for ident in _walk_types(receiver, "type_arguments"):
            name = self.text(ident)
            generics[name] = f"{type_fqp}.<{name}>"
        return generics

    def generics(self, node, owner_fqp: str, scope: _Scope) -> dict[str, bytes]:
        params = node.child_by_field_name("type_parameters")
        generics = dict(scope.generics)
        if params is None:
            return generics
        created = []
        for decl in params.named_children:
            constraint = decl.child_by_field_name("type")
            for name_node in decl.children_by_field_name("name"):
                name = self.text(name_node)
                text = f"{name} {self.text(constraint)}" if constraint is not None else name
                g = self.add_node(NodeKind.GENERIC, name, f"{owner_fqp}.<{name}>", decl, text)
                generics[name] = g.id
                created.append((g.id, constraint))
        scope.generics = generics
        for g_id, constraint in created:
            if constraint is not None:
                self.constraint_refs(constraint, g_id, scope)
        return generics

    # ---- bodies ----

    def on_local(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "fn":
            return
        path = self.type_path(caps["local.type"][0], scope, deref=True)
        for name in caps.get("local.name", []):
            scope.locals[self.text(name)] = path[0] if isinstance(path, tuple) else None

    def on_call(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "fn":
            return
        callee = caps["reference.callee"][0]
        while callee.type == "parenthesized_expression" and callee.named_child_count == 1:
            callee = callee.named_children[0]
        if callee.type == "generic_type" or callee.type == "index_expression":
            inner = callee.child_by_field_name("type") or callee.child_by_field_name("operand")
            callee = inner if inner is not None else callee
        if callee.type == "qualified_type":                         # `pkg.F[T](x)`
            imported = self.imports.get(self.text(callee.child_by_field_name("package")))
            if imported is not None:
                name = self.text(callee.child_by_field_name("name"))
                self.add_reference(Reference(EdgeKind.CALLS, self.package, "fn", (f"{imported}.{name}",),
                                             src=scope.node_id))
            return
        if callee.type in ("identifier", "type_identifier"):
            name = self.text(callee)
            if name in BUILTIN_FUNCTIONS or name in scope.locals or name in scope.generics:
                return
            candidates = (f"{self.package}.{name}", *(f"{d}.{name}" for d in self.dot_imports))
            self.add_reference(Reference(EdgeKind.CALLS, self.package, "fn", candidates, src=scope.node_id))
        elif callee.type == "selector_expression":
            operand = callee.child_by_field_name("operand")
            name = self.text(callee.child_by_field_name("field"))
            if operand is not None and operand.type == "identifier":
                word = self.text(operand)
                if word in scope.locals:
                    owner = scope.locals[word]
                    self.add_reference(Reference(EdgeKind.CALLS, self.package, "fn", (name,), src=scope.node_id,
                                                 receiver=(owner,) if owner else ()))
                    return
                imported = self.imports.get(word)
                if imported is not None:
                    self.add_reference(Reference(EdgeKind.CALLS, self.package, "fn", (f"{imported}.{name}",),
                                                 src=scope.node_id))
                    return
            self.add_reference(Reference(EdgeKind.CALLS, self.package, "fn", (name,), src=scope.node_id,
                                         receiver=()))

    # ---- types ----

    def type_path(self, node, scope: _Scope, deref: bool = False):
        """A type name's candidate FQPs (a tuple), a generic's node id (bytes), or None (predeclared, unnamed)."""
        while deref and node is not None and node.type in ("pointer_type", "generic_type", "parenthesized_type"):
            node = node.child_by_field_name("type") or (node.named_children[0] if node.named_children else None)
        if node is None:
            return None
        if node.type == "qualified_type":
            package = self.text(node.child_by_field_name("package"))
            name = self.text(node.child_by_field_name("name"))
            imported = self.imports.get(package)
            if imported == "unsafe" and name == "Pointer":
                return None                                # a primitive (ISG-SPEC §1)
            return (f"{imported}.{name}",) if imported is not None else (f"{package}.{name}",)
        if node.type != "type_identifier":
            return None
        name = self.text(node)
        generic = scope.generics.get(name)
        if generic is not None:
            return generic
        if name in PREDECLARED:
            return None
        if name in PREDECLARED_NODES:
            return (name,)
        return (f"{self.package}.{name}", *(f"{d}.{name}" for d in self.dot_imports))

    def type_refs(self, type_node, src: bytes, kind: EdgeKind, scope: _Scope, target: str,
                  head_only: bool = False) -> None:
        if head_only:
            nodes = [type_node]
            while nodes[0].type in ("pointer_type", "generic_type"):
                inner = nodes[0].child_by_field_name("type") or (
                    nodes[0].named_children[0] if nodes[0].named_children else None)
                if inner is None:
                    return
                nodes = [inner]
        else:
            nodes = []
            for t in sorted(self.types_cursor.captures(type_node).get("type", []), key=lambda n: n.start_byte):
                if t.parent is not None and t.parent.type == "qualified_type":
                    continue
                nodes.append(t)
        for t in nodes:
            path = self.type_path(t, scope)
            if path is None:
                continue
            if isinstance(path, bytes):
                if path and path != src:
                    self.add_edge(src, kind, path)
                continue
            if isinstance(path, str):                          # a receiver's type parameter: the type's G node
                self.add_reference(Reference(kind, self.package, "generic", (path,), src=src))
                continue
            self.add_reference(Reference(kind, self.package, target, path, src=src))

    def constraint_refs(self, constraint, src: bytes, scope: _Scope) -> None:
        """BOUND_BY to what a constraint is made of (ISG-SPEC §1): union terms, `~T`'s T, the generic type of an
        instantiation, embedded interfaces; never type arguments or element types (`~map[K]V`, `~[]E`: none)."""
        stack = [constraint]
        while stack:
            node = stack.pop()
            kind = node.type
            if kind in ("type_constraint", "negated_type", "type_elem", "union_type", "parenthesized_type",
                        "constraint_elem", "constraint_term"):
                stack.extend(reversed(node.named_children))
                continue
            if kind == "interface_type":
                stack.extend(reversed([c for c in node.named_children if c.type == "type_elem"]))
                continue
            if kind == "generic_type":
                node = node.child_by_field_name("type")
                if node is None:
                    continue
                kind = node.type
            if kind not in ("type_identifier", "qualified_type"):
                continue
            path = self.type_path(node, scope)
            if path is None:
                continue
            if isinstance(path, bytes):
                if path and path != src:
                    self.add_edge(src, EdgeKind.BOUND_BY, path)
            elif isinstance(path, str):
                self.add_reference(Reference(EdgeKind.BOUND_BY, self.package, "generic", (path,), src=src))
            else:
                self.add_reference(Reference(EdgeKind.BOUND_BY, self.package, "interface", path, src=src))


def _walk_types(node, under: str):
    """The type identifiers below the `under` children of a node (a receiver's `[T, U]`)."""
    stack = [node]
    inside = []
    while stack:
        current = stack.pop()
        if current.type == under:
            inside.append(current)
            continue
        stack.extend(current.named_children)
    found = []
    for holder in inside:
        stack = [holder]
        while stack:
            current = stack.pop()
            if current.type == "type_identifier":
                found.append(current)
            stack.extend(current.named_children)
    return found


def _base_type_name(extraction: FileExtraction, node) -> str | None:
    """The type named by a receiver: `*List[T]` gives `List`."""
    while node is not None and node.type in ("pointer_type", "generic_type", "parenthesized_type"):
        node = node.child_by_field_name("type") or (node.named_children[0] if node.named_children else None)
    if node is None or node.type != "type_identifier":
        return None
    return extraction.text(node)


def _import_name(path: str) -> str:
    """The name an import is used by without an alias: its last element, without a `/vN` suffix or `go-` prefix."""
    parts = [p for p in path.split("/") if p]
    if not parts:
        return path
    last = parts[-1]
    if re.fullmatch(r"v\d+", last) and len(parts) > 1:
        last = parts[-2]
    last = last.split(".")[0]
    for prefix in ("go-", "go_"):
        if last.startswith(prefix) and len(last) > len(prefix):
            last = last[len(prefix):]
    for suffix in ("-go", "_go"):
        if last.endswith(suffix) and len(last) > len(suffix):
            last = last[:-len(suffix)]
    return last.replace("-", "_")


def _visibility(name: str) -> str | None:
    return "exported" if name[:1].isupper() else None


def _document_order(matches):
    def key(match):
        nodes = [n for captured in match[1].values() for n in captured]
        return (min(n.start_byte for n in nodes), -max(n.end_byte for n in nodes))
    return sorted(matches, key=key)


def extract(path: str, source: bytes, tree: tree_sitter.Tree, layout: GoLayout, content_hash: bytes,
            lang: str = LANG) -> FileFacts:
    return GoExtraction(path, lang, source, tree, content_hash, layout).run()


# ---- resolution ---------------------------------------------------------------------------------------------

def _lookup(view: SymbolView, fqp: str, kinds: frozenset[NodeKind]) -> list[bytes]:
    ids = view.lookup(fqp, kinds)
    if not ids:
        return ids
    return [i for i in ids if view.node(i).lang == LANG and not view.node(i).external]


def resolve(ref: Reference, view: SymbolView, facts: FileFacts) -> tuple[Target | None, Target | None]:
    if ref.kind is EdgeKind.IMPL and ref.target == "impl":
        return _structural_impl(ref, view), None
    if ref.src_path is not None:
        kinds = MODULE_KINDS if ref.target == "module" else CONCRETE_KINDS
        ids = _lookup(view, ref.src_path[0], kinds)
        if ref.target == "known" and ids:                  # `String() string`: its embedders have it too
            for embedder in sorted(_embedders(view, {ref.src_path[0]}) - {ref.src_path[0]}):
                ids = ids + [i for i in _lookup(view, embedder, CONCRETE_KINDS) if i not in ids]
        src = Target(ids, Resolution.EXACT) if ids else None
        if ref.target == "known":
            return src, Target([], Resolution.HEURISTIC, 1, external_fqp=ref.path[0], external_kind=NodeKind.TRAIT)
        return src, None
    if ref.dst is not None:
        return None, None
    if ref.target == "fn":
        return None, _resolve_call(ref, view)
    return None, _resolve_type(ref, view)


def _resolution(fqp: str, scope: str) -> Resolution:
    return Resolution.EXACT if fqp.startswith(scope + ".") else Resolution.IMPORT


def _resolve_type(ref: Reference, view: SymbolView) -> Target | None:
    if ref.target == "generic":
        ids = _lookup(view, ref.path[0], frozenset({NodeKind.GENERIC}))
        return Target(ids, Resolution.EXACT) if ids else None
    kinds = frozenset({NodeKind.TRAIT}) if ref.target == "interface" else TYPE_KINDS
    for fqp in ref.path:
        ids = _lookup(view, fqp, kinds) or (_lookup(view, fqp, TYPE_KINDS) if ref.target == "interface" else [])
        if ids:
            return Target(ids, _resolution(fqp, ref.scope))
    external_kind = NodeKind.TRAIT if ref.target == "interface" else NodeKind.STRUCT
    first = ref.path[0]
    if "." not in first.rsplit("/", 1)[-1]:                        # a predeclared name (`error`)
        return Target([], Resolution.IMPORT, external_fqp=first, external_kind=PREDECLARED_NODES.get(first,
                                                                                                   external_kind))
    if len(ref.path) > 1:                                           # dot imports: where it comes from is a guess
        return Target([], Resolution.HEURISTIC, 0, external_fqp=first.rsplit(".", 1)[-1],
                      external_kind=external_kind)
    return Target([], _resolution(first, ref.scope), external_fqp=first, external_kind=external_kind)


def _resolve_call(ref: Reference, view: SymbolView) -> Target | None:
    receiver = ref.receiver
    if receiver is None:                                            # a function by its candidate FQPs
        for fqp in ref.path:
            ids = _lookup(view, fqp, FN_KINDS)
            if ids:
                return Target(ids, _resolution(fqp, ref.scope))
        return None
    name = ref.path[0]
    if receiver:                                                    # a variable of a known type
        owner = receiver[0]
        ids = _lookup(view, f"{owner}.{name}", FN_KINDS)
        return Target(ids, _resolution(owner, ref.scope)) if ids else None
    return guess_methods(view, name, FN_KINDS, "go", lambda n: _is_method(n, view))


def _is_method(node, view: SymbolView) -> bool:
    owner = node.fqp[:-len(node.name) - 1]
    return bool(_lookup(view, owner, TYPE_KINDS))


def _shape(signature: str, name: str) -> tuple[int, int] | None:
    """(parameters, results) of a method signature (`func (r *T) Name(a, b int) (x T, err error)` → (2, 2);
    an interface's `Name(p []byte) (int, error)` → (1, 2)), or None when it cannot be read."""
    match = re.search(rf"\b{re.escape(name)}\s*(?:\[[^\]]*\])?\s*\(", signature)
    if match is None:
        return None
    start = match.end() - 1
    depth = 0
    for i in range(start, len(signature)):
        ch = signature[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                params = _count_list(signature[start + 1:i])
                rest = signature[i + 1:].strip().rstrip("{").strip()
                if not rest:
                    return params, 0
                if rest.startswith("("):
                    return params, _count_list(rest[1:rest.rfind(")")])
                return params, 1
    return None


def _count_list(text: str) -> int:
    """Entries of a Go parameter or result list (`a, b int, c string` → 3)."""
    if not text.strip():
        return 0
    depth, count = 0, 1
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            count += 1
    return count


KNOWN_SHAPES = {"Error": (0, 1), "String": (0, 1), "Read": (1, 2), "Write": (1, 2), "Close": (0, 1)}


def _method_shapes(view: SymbolView, methods: tuple[str, ...], embeds: tuple[str, ...], depth: int = 0
                   ) -> dict[str, tuple[int, int] | None] | None:
    """An interface's whole method set: name → (parameters, results) or None when unknown; None when part of the
    set is unknown. ``methods`` are `name\tP/R` entries (or bare names)."""
    wanted: dict[str, tuple[int, int] | None] = {}
    for entry in methods:
        name, _, shape = entry.partition("\t")
        p, _, r = shape.partition("/")
        wanted[name] = (int(p), int(r)) if p.isdigit() and r.isdigit() else None
    for embedded in embeds:
        if not embedded or depth > 8:
            return None
        if _lookup(view, embedded, frozenset({NodeKind.TRAIT})):
            record = view.imports(IFACE_KEY + embedded)
            names = list(filter(None, record.get("methods", "").split("\n")))
            shapes = record.get("shapes", "").split("\n") if record.get("shapes") else [""] * len(names)
            inner = _method_shapes(view, tuple(f"{n}\t{sh}" for n, sh in zip(names, shapes)),
                                   tuple(record.get("embeds", "").split("\n")) if record.get("embeds") else (),
                                   depth + 1)
            if inner is None:
                return None
            wanted.update(inner)
            continue
        known = KNOWN_INTERFACES.get(embedded) or KNOWN_INTERFACES.get(embedded.rsplit("/", 1)[-1])
        if known is None:
            return None
        for name in known:
            wanted[name] = KNOWN_SHAPES.get(name)
    return wanted


def _embedders(view: SymbolView, owners: set[str]) -> set[str]:
    """The types that embed any of these (directly or through other embedders): they have their methods too."""
    found = set(owners)
    todo = list(owners)
    rounds = 0
    while todo and rounds < 64:
        rounds += 1
        owner = todo.pop()
        for embedder in view.globs(EMBED_KEY + owner):
            if embedder not in found:
                found.add(embedder)
                todo.append(embedder)
    return found


def _structural_impl(ref: Reference, view: SymbolView) -> Target | None:
    """The workspace types whose method sets (promoted methods of embedded fields included) have every method of an
    interface: by name and by the numbers of parameters and results; an unexported method only from a type of the
    interface's own package (no other package can declare it)."""
    wanted = _method_shapes(view, ref.path, ref.receiver or ())
    if not wanted:
        return None
    package = ref.scope
    owners: set[str] | None = None
    for name in sorted(wanted):
        shape = wanted[name]
        found = set()
        for node in view.by_name(name, FN_KINDS, "go"):
            if node.external or not node.fqp.endswith("." + name):
                continue
            owner = node.fqp[:-len(name) - 1]
            if not name[:1].isupper() and owner.rsplit(".", 1)[0] != package:
                continue
            if shape is not None and _shape(node.signature, name) not in (None, shape):
                continue
            found.add(owner)
        found = _embedders(view, found)
        owners = found if owners is None else owners & found
        if not owners:
            return None
    ids: list[bytes] = []
    for owner in sorted(owners):
        ids.extend(_lookup(view, owner, CONCRETE_KINDS))
    if not ids:
        return None
    return Target(ids, Resolution.HEURISTIC, len(ids))


