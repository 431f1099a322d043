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
from typing import cast

import tree_sitter

from ..graph import SymbolView, Target
from ..model import EdgeKind, FileFacts, Node, NodeKind, Reference, Resolution
from . import infer, query
from .common import FileExtraction, dispatch, guess_methods, read_manifest
from .infer import Declared, Expr, Outcome, Ty

LANG = "go"
TYPE_KINDS = frozenset({NodeKind.STRUCT, NodeKind.TRAIT, NodeKind.ASSOC_TYPE})
CONCRETE_KINDS = frozenset({NodeKind.STRUCT, NodeKind.ASSOC_TYPE})
FN_KINDS = frozenset({NodeKind.FUNCTION})
MODULE_KINDS = frozenset({NodeKind.MODULE})
IFACE_KEY = "go-iface:"
EMBED_KEY = "go-embedders:"
FILE_KEY = "go-file:"  # a file's imports (name → import path; dot imports as globs), for reading its types
EMBEDDED = "^"  # a struct's field table: its embedded types' texts, one per line

PREDECLARED = frozenset(
    {
        "bool",
        "byte",
        "complex64",
        "complex128",
        "float32",
        "float64",
        "int",
        "int8",
        "int16",
        "int32",
        "int64",
        "rune",
        "string",
        "uint",
        "uint8",
        "uint16",
        "uint32",
        "uint64",
        "uintptr",
        "any",
    }
)
PREDECLARED_NODES = {"error": NodeKind.TRAIT, "comparable": NodeKind.TRAIT}
BUILTIN_FUNCTIONS = frozenset(
    {
        "append",
        "cap",
        "clear",
        "close",
        "complex",
        "copy",
        "delete",
        "imag",
        "len",
        "make",
        "max",
        "min",
        "new",
        "panic",
        "print",
        "println",
        "real",
        "recover",
    }
)
# Method sets of a few standard interfaces, so that workspace interfaces embedding them can still be matched.
KNOWN_INTERFACES = {
    "error": ("Error",),
    "fmt.Stringer": ("String",),
    "io.Reader": ("Read",),
    "io.Writer": ("Write",),
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
    modules: dict[str, str] = field(default_factory=dict)  # workspace-relative folder of a go.mod → module path

    def package_of(self, path: str) -> tuple[str, str]:
        """(package import path, module path or "") of a workspace-relative `.go` file."""
        folder = path.rsplit("/", 1)[0] if "/" in path else ""
        probe = folder
        while True:
            module = self.modules.get(probe)
            if module is not None:
                rel = folder[len(probe) :].lstrip("/")
                return (f"{module}/{rel}" if rel else module), module
            if not probe:
                break
            probe = probe.rsplit("/", 1)[0] if "/" in probe else ""
        return (folder or self.root_name or "main"), ""


_MODULE_LINE = re.compile(r"^[ \t]*module[ \t]+\"?([^\s\"]+)\"?", re.MULTILINE)  # [ \t]: linear on blank lines


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
    kind: str  # "file", "interface", "fn", "local"
    fqp: str = ""
    node_id: bytes | None = None
    generics: dict[str, bytes | str] = field(default_factory=dict)  # a G node's id, or a receiver's `T`: its FQP
    locals: dict[str, str | None] = field(default_factory=dict)  # fn: variable → type FQP candidates (first)
    env: infer.Env | None = None  # fn scopes: names → the expressions of their types (infer.py)
    fields: dict[str, str] = field(default_factory=dict)  # struct scopes: field → its type's text


class GoExtraction(FileExtraction):
    file_scope: _Scope

    def __init__(self, path, lang, source, tree, content_hash, layout: GoLayout):
        super().__init__(path, lang, source, tree, content_hash)
        self.layout = layout
        self.package, self.module_path = layout.package_of(path)
        self.module_id: bytes | None = None
        self.imports: dict[str, str] = {}  # local name → import path
        self.dot_imports: list[str] = []
        self.file_scope = _Scope("file", self.package)
        self.scopes: dict[int, _Scope] = {}
        self.types_cursor = tree_sitter.QueryCursor(query(LANG, "go-types"))

    def run(self) -> FileFacts:
        cursor = tree_sitter.QueryCursor(query(LANG, "go"))
        matches = _document_order(cursor.matches(self.tree.root_node))
        dispatch(matches, {"definition.package": self.on_package, "import": self.on_import})
        # imports are settled here (a Go import names its package exactly): references carry candidate FQPs
        dispatch(
            matches,
            {
                "definition.type": self.on_type,
                "definition.type_alias": self.on_type,
                "definition.interface_method": self.on_interface_method,
                "definition.function": self.on_function,
                "definition.method": self.on_function,
                "local.definition": self.on_local,
                "reference.call": self.on_call,
                "local.short": self.on_short,
                "local.range": self.on_range,
                "local.function": self.on_closure,
                "local.untyped": self.on_untyped,
            },
        )
        if self.imports:
            self.facts.imports[FILE_KEY + self.path] = dict(self.imports)
        if self.dot_imports:
            self.facts.glob_imports[FILE_KEY + self.path] = list(self.dot_imports)
        for scope in [self.file_scope, *self.scopes.values()]:
            if scope.fields and scope.kind in ("file", "type"):
                self.facts.imports[infer.fields_key(LANG, scope.fqp)] = {
                    infer.field_entry(n) if n != EMBEDDED else EMBEDDED: t for n, t in scope.fields.items()
                }
        return self.finish()

    # ---- package and imports ----

    def on_package(self, node, caps):
        if self.module_id is not None:
            return
        name = self.text(caps["name"][0])
        if name.endswith("_test") and not self.package.endswith("_test"):
            base = self.package.rsplit("/", 1)[-1]
            if name != base:  # an external test package
                self.package += "_test"
                self.file_scope.fqp = self.package
        module = self.add_node(NodeKind.MODULE, name, self.package, node, f"package {name}")
        self.module_id = module.id
        self.file_scope.node_id = module.id
        if "/" in self.package and len(self.package.rsplit("/", 1)[0]) >= len(self.module_path):
            parent = self.package.rsplit("/", 1)[0]
            self.add_reference(Reference(EdgeKind.CONTAINS, self.package, "module", src_path=(parent,), dst=module.id))

    def on_import(self, node, caps):
        path = self.text(caps["import.path"][0]).strip('"`')
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
            return  # types declared in functions are not items
        name = self.text(caps["name"][0])
        value = caps["definition.type.value"][0]
        is_alias = node.type == "type_alias"
        kind = NodeKind.ASSOC_TYPE if is_alias else TYPE_KIND_OF.get(value.type, NodeKind.ASSOC_TYPE)
        fqp = f"{self.package}.{name}"
        decl = node.parent if node.parent is not None and node.parent.type == "type_declaration" else node
        signature = "type " + self.head(node, value if kind is not NodeKind.ASSOC_TYPE else None)
        if kind is not NodeKind.ASSOC_TYPE:
            signature += " " + ("struct" if kind is NodeKind.STRUCT else "interface")
        item = self.add_node(
            kind, name, fqp, node if decl.named_child_count > 1 else decl, signature, _visibility(name)
        )
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
        src = cast(bytes, scope.node_id)  # a type's scope: made with its node's id
        body = next((c for c in struct.named_children if c.type == "field_declaration_list"), None)
        if body is None:
            return
        for decl in body.named_children:
            if decl.type != "field_declaration":
                continue
            type_node = decl.child_by_field_name("type")
            if type_node is None:
                continue
            text = " ".join(self.text(type_node).split())
            if decl.child_by_field_name("name") is None:  # an embedded field
                self.type_refs(type_node, src, EdgeKind.EXTENDS, scope, "struct", head_only=True)
                self.publish_embedding(type_node, scope)
                embedded = text.lstrip("*")
                scope.fields[embedded.split("[")[0].rsplit(".", 1)[-1]] = text
                scope.fields[EMBEDDED] = (scope.fields.get(EMBEDDED, "") + "\n" + text).strip("\n")
            else:
                self.type_refs(type_node, src, EdgeKind.USES, scope, "type")
                for name in decl.children_by_field_name("name"):
                    scope.fields[self.text(name)] = text

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
            elif (
                elem.type == "type_elem"
                and elem.named_child_count == 1
                and elem.named_children[0].type in ("type_identifier", "qualified_type")
            ):
                path = self.type_path(elem.named_children[0], scope)
                if path is None:
                    continue
                if isinstance(path, bytes):
                    continue
                embeds.append(path[0])
                self.publish_embedding(elem.named_children[0], scope)
                self.add_reference(Reference(EdgeKind.EXTENDS, self.package, "interface", path, src=scope.node_id))
            elif elem.type == "type_elem":
                embeds.append("")  # a constraint (`~int | ~string`): no IMPL
        record = {}
        if methods:
            record["methods"] = "\n".join(methods)
            record["shapes"] = "\n".join(shapes)
        if embeds:
            record["embeds"] = "\n".join(embeds)
        self.facts.imports[IFACE_KEY + scope.fqp] = record
        if methods or embeds:
            self.add_reference(
                Reference(
                    EdgeKind.IMPL,
                    self.package,
                    "impl",
                    tuple(f"{m}\t{sh}" for m, sh in zip(methods, shapes)),
                    dst=scope.node_id,
                    receiver=tuple(embeds),
                )
            )

    def on_interface_method(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "interface":
            return
        name = self.text(caps["name"][0])
        item = self.add_node(
            NodeKind.FUNCTION, name, f"{scope.fqp}.{name}", node, self.head(node, None), _visibility(name)
        )
        self.add_edge(scope.node_id, EdgeKind.DEFINES, item.id)
        self.signature_types(node, item.id, scope)

    def on_function(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "file":
            return
        name = self.text(caps["name"][0])
        receiver = node.child_by_field_name("receiver")
        if receiver is None and name == "init":
            return  # `init` functions are not declared names: no items
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
        env = infer.Env()
        own = _Scope("fn", fqp, item.id, env=env)
        if receiver_type is not None:
            owner = f"{self.package}.{receiver_type}"
            self.add_reference(Reference(EdgeKind.CONTAINS, self.package, "type", src_path=(owner,), dst=item.id))
            if receiver_name:
                own.locals[receiver_name] = owner
                env.bind(receiver_name, infer.known(owner))
            own.generics = self.receiver_generics(receiver, owner, own)
            result = node.child_by_field_name("result")
            params = node.child_by_field_name("parameters")
            implemented = KNOWN_METHODS.get((name, self.text(result) if result is not None else ""))
            if implemented and params is not None and params.named_child_count == 0:
                self.add_reference(Reference(EdgeKind.IMPL, self.package, "known", (implemented,), src_path=(owner,)))
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
                        if scope.env is not None:
                            scope.env.bind(self.text(name), self.declared(type_node, scope))
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

    def generics(self, node, owner_fqp: str, scope: _Scope) -> dict[str, bytes | str]:
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
        if scope.kind == "file" and node.type == "var_spec":  # a package-level variable, for its readers
            text = " ".join(self.text(caps["local.type"][0]).split())
            for name in caps.get("local.name", []):
                self.file_scope.fields[self.text(name)] = text
            return
        if scope.kind != "fn":
            return
        path = self.type_path(caps["local.type"][0], scope, deref=True)
        expr = self.declared(caps["local.type"][0], scope)
        for name in caps.get("local.name", []):
            scope.locals[self.text(name)] = path[0] if isinstance(path, tuple) else None
            if scope.env is not None:
                scope.env.bind(self.text(name), expr)

    # ---- receiver types (infer.py) ----

    def declared(self, type_node, scope: _Scope) -> Expr | None:
        """A value of a declared type: its text, or None for a type parameter (no methods of ours to name)."""
        if type_node is None:
            return None
        text = " ".join(self.text(type_node).split())
        if text.lstrip("*") in scope.generics or text in PREDECLARED:
            return None
        return infer.typed(text)

    def on_short(self, node, caps):
        """`x := expr`, `v, err := f()`: each name's type, by position (the first of several results only)."""
        scope = self.scope_of(node)
        if scope.env is None:
            return
        names = [c for c in caps["local.names"][0].named_children if c.type == "identifier"]
        values = caps["local.values"][0].named_children
        for index, name in enumerate(names):
            if len(values) == len(names):
                expr = self.expression(values[index], scope)
            elif len(values) == 1 and index == 0 and values[0].type != "type_assertion_expression":
                expr = self.expression(values[0], scope)  # the first result of a call
            elif len(values) == 1 and index == 0:
                expr = self.expression(values[0], scope)  # `v, ok := x.(T)`
            else:
                expr = None
            if self.text(name) != "_":
                scope.env.bind(self.text(name), expr)
                scope.locals.pop(self.text(name), None)

    def on_untyped(self, node, caps):
        """`var x = expr`."""
        scope = self.scope_of(node)
        values = caps["local.values"][0].named_children
        name = self.text(caps["local.name"][0])
        expr = self.expression(values[0], scope) if len(values) == 1 else None
        if scope.kind == "file":
            if expr is not None:
                self.file_scope.fields[name] = infer.encode(expr)
        elif scope.env is not None:
            scope.env.bind(name, expr)
            scope.locals.pop(name, None)

    def on_range(self, node, caps):
        """`for i, v := range xs`: v is an element of xs (a slice's, a map's value); the key is not followed."""
        scope = self.scope_of(node)
        if scope.env is None:
            return
        names = [c for c in caps["local.names"][0].named_children if c.type == "identifier"]
        for index, name in enumerate(names):
            expr = infer.element(self.expression(caps["local.iterable"][0], scope)) if index == 1 else None
            scope.env.bind(self.text(name), expr)
            scope.locals.pop(self.text(name), None)

    def on_closure(self, node, caps):
        """A function literal: its calls are the enclosing function's, its parameters its own names."""
        outer = self.scope_of(node)
        if outer.kind != "fn" or outer.env is None:
            return
        env = infer.Env(outer.env)
        own = _Scope("fn", outer.fqp, outer.node_id, outer.generics, dict(outer.locals), env=env)
        self.scopes[node.id] = own
        params = node.child_by_field_name("parameters")
        for param in params.named_children if params is not None else ():
            type_node = param.child_by_field_name("type")
            for name in param.children_by_field_name("name"):
                env.bind(self.text(name), self.declared(type_node, own))
                own.locals.pop(self.text(name), None)

    @infer.bounded
    def expression(self, node, scope: _Scope) -> Expr | None:
        """The expression of an expression's type, as far as this file can say (infer.py), or None."""
        if node is None:
            return None
        kind = node.type
        if kind == "identifier":
            name = self.text(node)
            env = scope.env
            if env is not None and name in env:
                return env.get(name)
            if name in scope.locals:
                owner = scope.locals[name]
                return infer.known(owner) if owner else None
            if name in ("nil", "true", "false", "iota"):
                return None
            return infer.valued(name)  # a package-level variable
        if kind == "selector_expression":
            operand = node.child_by_field_name("operand")
            field_node = node.child_by_field_name("field")
            if operand is None or field_node is None:
                return None
            if (
                operand.type == "identifier"
                and self.text(operand) in self.imports
                and not (scope.env is not None and self.text(operand) in scope.env)
            ):
                return infer.valued(f"{self.text(operand)}.{self.text(field_node)}")  # `pkg.Var`
            return infer.member(self.expression(operand, scope), self.text(field_node))
        if kind == "call_expression":
            callee = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            arity = len(arguments.named_children) if arguments is not None else None
            if callee is None:
                return None
            if (
                callee.type == "identifier"
                and self.text(callee) == "new"
                and arguments is not None
                and arguments.named_children
            ):
                return infer.typed(" ".join(self.text(arguments.named_children[0]).split()))
            if callee.type == "identifier" and not (scope.env is not None and self.text(callee) in scope.env):
                name = self.text(callee)
                return None if name in BUILTIN_FUNCTIONS else infer.called(name, arity)
            if callee.type == "selector_expression":
                operand = callee.child_by_field_name("operand")
                name = self.text(callee.child_by_field_name("field"))
                if (
                    operand is not None
                    and operand.type == "identifier"
                    and self.text(operand) in self.imports
                    and not (scope.env is not None and self.text(operand) in scope.env)
                ):
                    return infer.called(f"{self.text(operand)}.{name}", arity)  # `pkg.New()`
                return infer.method(self.expression(operand, scope), name, arity)
            return None
        if kind == "composite_literal":
            type_node = node.child_by_field_name("type")
            return self.declared(type_node, scope) if type_node is not None else None
        if kind == "unary_expression":
            operand = node.child_by_field_name("operand")
            operator = node.child_by_field_name("operator")
            if operator is not None and self.text(operator) in ("&", "*"):
                return self.expression(operand, scope)
            return None
        if kind == "type_assertion_expression":
            return self.declared(node.child_by_field_name("type"), scope)
        if kind == "index_expression":
            return infer.element(self.expression(node.child_by_field_name("operand"), scope))
        if kind == "parenthesized_expression" and node.named_child_count == 1:
            return self.expression(node.named_children[0], scope)
        if kind in ("interpreted_string_literal", "raw_string_literal"):
            return infer.typed("string")
        return None

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
        if callee.type == "qualified_type":  # `pkg.F[T](x)`
            imported = self.imports.get(self.text(callee.child_by_field_name("package")))
            if imported is not None:
                name = self.text(callee.child_by_field_name("name"))
                self.add_reference(
                    Reference(EdgeKind.CALLS, self.package, "fn", (f"{imported}.{name}",), src=scope.node_id)
                )
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
                if word in scope.locals and not (
                    scope.env is not None and scope.env.get(word) is not None and not scope.locals[word]
                ):
                    owner = scope.locals[word]
                    if owner:
                        self.add_reference(
                            Reference(EdgeKind.CALLS, self.package, "fn", (name,), src=scope.node_id, receiver=(owner,))
                        )
                        return
                imported = self.imports.get(word)
                if imported is not None and not (scope.env is not None and word in scope.env):
                    self.add_reference(
                        Reference(EdgeKind.CALLS, self.package, "fn", (f"{imported}.{name}",), src=scope.node_id)
                    )
                    return
            expr = self.expression(operand, scope)
            self.add_reference(
                Reference(EdgeKind.CALLS, self.package, "fn", (name,), src=scope.node_id, receiver=expr or ())
            )

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
                return None  # a primitive (ISG-SPEC §1)
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

    def type_refs(
        self, type_node, src: bytes, kind: EdgeKind, scope: _Scope, target: str, head_only: bool = False
    ) -> None:
        if head_only:
            nodes = [type_node]
            while nodes[0].type in ("pointer_type", "generic_type"):
                inner = nodes[0].child_by_field_name("type") or (
                    nodes[0].named_children[0] if nodes[0].named_children else None
                )
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
            if isinstance(path, str):  # a receiver's type parameter: the type's G node
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
            if kind in (
                "type_constraint",
                "negated_type",
                "type_elem",
                "union_type",
                "parenthesized_type",
                "constraint_elem",
                "constraint_term",
            ):
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
            last = last[len(prefix) :]
    for suffix in ("-go", "_go"):
        if last.endswith(suffix) and len(last) > len(suffix):
            last = last[: -len(suffix)]
    return last.replace("-", "_")


def _visibility(name: str) -> str | None:
    return "exported" if name[:1].isupper() else None


def _document_order(matches):
    def key(match):
        nodes = [n for captured in match[1].values() for n in captured]
        return (min(n.start_byte for n in nodes), -max(n.end_byte for n in nodes))

    return sorted(matches, key=key)


def extract(
    path: str, source: bytes, tree: tree_sitter.Tree, layout: GoLayout, content_hash: bytes, lang: str = LANG
) -> FileFacts:
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
        if ref.target == "known" and ids:  # `String() string`: its embedders have it too
            for embedder in sorted(_embedders(view, {ref.src_path[0]}) - {ref.src_path[0]}):
                ids = ids + [i for i in _lookup(view, embedder, CONCRETE_KINDS) if i not in ids]
        src = Target(ids, Resolution.EXACT) if ids else None
        if ref.target == "known":
            return src, Target([], Resolution.HEURISTIC, 1, external_fqp=ref.path[0], external_kind=NodeKind.TRAIT)
        return src, None
    if ref.dst is not None:
        return None, None
    if ref.target == "fn":
        if infer.is_expression(ref.receiver):
            return None, _resolve_inferred(ref, view, facts)
        return None, _resolve_call(ref, view)
    return None, _resolve_type(ref, view)


def _resolve_inferred(ref: Reference, view: SymbolView, facts: FileFacts) -> Target | None:
    """A method call whose receiver is an expression (infer.py): a method of the receiver's inferred type (its own,
    its embedded types', an interface's); a guess by name only when that type is unknown."""
    name = ref.path[0]
    receiver = cast(Expr, ref.receiver)  # is_expression(ref.receiver): the caller's test
    outcome, ty, fns = infer.inference(_types(view), view).methods_of(receiver, (ref.scope, facts.path), name)
    if outcome == Outcome.UNKNOWN:
        return guess_methods(view, name, FN_KINDS, "go", lambda n: _is_method(n, view), STANDARD_METHODS)
    if not fns:
        return None
    owner = fns[0].fqp[: -len(name) - 1]
    return Target([fn.id for fn in fns], _resolution(owner, ref.scope))


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
    if "." not in first.rsplit("/", 1)[-1]:  # a predeclared name (`error`)
        return Target(
            [], Resolution.IMPORT, external_fqp=first, external_kind=PREDECLARED_NODES.get(first, external_kind)
        )
    if len(ref.path) > 1:  # dot imports: where it comes from is a guess
        return Target([], Resolution.HEURISTIC, 0, external_fqp=first.rsplit(".", 1)[-1], external_kind=external_kind)
    return Target([], _resolution(first, ref.scope), external_fqp=first, external_kind=external_kind)


def _resolve_call(ref: Reference, view: SymbolView) -> Target | None:
    receiver = ref.receiver
    if receiver is None:  # a function by its candidate FQPs
        for fqp in ref.path:
            ids = _lookup(view, fqp, FN_KINDS)
            if ids:
                return Target(ids, _resolution(fqp, ref.scope))
        return None
    name = ref.path[0]
    if receiver:  # a variable of a known type
        owner = receiver[0]
        ids = _lookup(view, f"{owner}.{name}", FN_KINDS) or [
            fn.id for fn in _types(view).methods(Ty(owner), name)
        ]  # promoted from an embedded field
        return Target(ids, _resolution(owner, ref.scope)) if ids else None
    return guess_methods(view, name, FN_KINDS, "go", lambda n: _is_method(n, view), STANDARD_METHODS)


def _is_method(node, view: SymbolView) -> bool:
    owner = node.fqp[: -len(node.name) - 1]
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
                params = _count_list(signature[start + 1 : i])
                rest = signature[i + 1 :].strip().rstrip("{").strip()
                if not rest:
                    return params, 0
                if rest.startswith("("):
                    return params, _count_list(rest[1 : rest.rfind(")")])
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


def _method_shapes(
    view: SymbolView, methods: tuple[str, ...], embeds: tuple[str, ...], depth: int = 0
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
            inner = _method_shapes(
                view,
                tuple(f"{n}\t{sh}" for n, sh in zip(names, shapes)),
                tuple(record.get("embeds", "").split("\n")) if record.get("embeds") else (),
                depth + 1,
            )
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
            owner = node.fqp[: -len(name) - 1]
            if not name[:1].isupper() and owner.rsplit(".", 1)[0] != package:
                continue
            if shape is not None and _shape(node.signature, name) not in (None, shape):
                continue
            found.add(owner)
        found = _embedders(view, found)
        owners = found if owners is None else owners & found
        if not owners:
            return None
    if owners is None:  # `wanted` is not empty: the loop has set it
        return None
    ids: list[bytes] = []
    for owner in sorted(owners):
        ids.extend(_lookup(view, owner, CONCRETE_KINDS))
    if not ids:
        return None
    return Target(ids, Resolution.HEURISTIC, len(ids))


# ---- receiver types (infer.py) -------------------------------------------------------------------------------

# Methods of the standard library's common types (errors, strings.Builder, bytes.Buffer, io, sync, time, reflect):
# a receiver of unknown type calling one of them is not guessed to be a workspace type (common.guess_methods).
STANDARD_METHODS = frozenset(
    """
Error String Write WriteString WriteByte WriteRune Read ReadByte ReadRune Close Len Reset Bytes Lock Unlock RLock
RUnlock Wait Add Done Do Load Store Swap Kind Type Elem Field NumField Interface Index MapIndex IsNil IsValid Int
Uint Float Bool Set Call Method Name Unix Before After Sub Format Err Value Deadline""".split()
)
_SPLIT_RESULTS = re.compile(r"^\((.*)\)$", re.S)


class _GoTypes:
    """Go's side of receiver inference (infer.TypeSystem): a type is read where it is written, as (the package, the
    file whose imports name it)."""

    nullish: frozenset[str] = frozenset()
    self_type = ""

    def __init__(self, view: SymbolView) -> None:
        self.view = view

    def normalize(self, text: str) -> str:
        text = " ".join(text.split()).lstrip("*&")
        while text.startswith(("[]", "...")):
            inner = text[2:] if text.startswith("[]") else text[3:]
            return self.normalize(inner) + "[]"
        if text.startswith("map["):
            depth = 0
            for i, ch in enumerate(text):
                depth += 1 if ch == "[" else -1 if ch == "]" else 0
                if depth == 0 and i > 3:
                    return f"map<{self.normalize(text[4:i])}, {self.normalize(text[i + 1 :])}>"
        if "[" in text and text.endswith("]"):  # `List[T]`: an instantiation
            at = text.index("[")
            args = infer._split_top(text[at + 1 : -1], ",")
            return text[:at] + "<" + ", ".join(self.normalize(a) for a in args) + ">"
        return text

    def type_named(self, path: str, where) -> Ty | None:
        package, file = where
        if path in PREDECLARED or path in PREDECLARED_NODES:
            return Ty(path, True)
        if path == "map":
            return Ty("map", True)
        if "." in path:
            alias, _, name = path.partition(".")
            imported = self.view.imports(FILE_KEY + file).get(alias)
            if imported is None:
                return None
            fqp = f"{imported}.{name}"
            ids = _lookup(self.view, fqp, TYPE_KINDS)
            return Ty(fqp, False, (), Resolution.IMPORT) if ids else Ty(fqp, True, (), Resolution.IMPORT)
        for candidate in (f"{package}.{path}", *(f"{d}.{path}" for d in self.view.globs(FILE_KEY + file))):
            if _lookup(self.view, candidate, TYPE_KINDS):
                return Ty(candidate, False, (), _resolution(candidate, package))
        return None

    def node_of(self, fqp: str, kinds: frozenset[NodeKind]) -> Node | None:
        ids = _lookup(self.view, fqp, kinds)
        return self.view.node(ids[0]) if ids else None

    def methods(self, ty: Ty, name: str, depth: int = 0) -> list[Node]:
        """A type's methods of that name: its own (an interface's too), else its embedded types' (promoted)."""
        ids = _lookup(self.view, f"{ty.fqp}.{name}", FN_KINDS)
        if ids or depth > 4:
            return [self.view.node(i) for i in ids]
        node = self.node_of(ty.fqp, TYPE_KINDS)
        if node is None:
            return []
        where = (ty.fqp.rsplit(".", 1)[0], node.file or "")
        if node.kind is NodeKind.TRAIT:
            embeds = self.view.imports(IFACE_KEY + ty.fqp).get("embeds", "")
            texts = [e for e in embeds.split("\n") if e]
            found_types = [Ty(e) for e in texts if _lookup(self.view, e, TYPE_KINDS)]
        else:
            joined = self.view.imports(infer.fields_key(LANG, ty.fqp)).get(EMBEDDED, "")
            found_types = []
            for text in joined.split("\n") if joined else ():
                embedded = self.type_named(self.normalize(text).split("<")[0], where)
                if embedded is not None and not embedded.external:
                    found_types.append(embedded)
        for embedded in found_types:
            fns = self.methods(embedded, name, depth + 1)
            if fns:
                return fns
        return []

    def returns(self, fn: Node) -> Declared | None:
        text, generics = _result_text(fn.signature, fn.name)
        if not text:
            return None
        owner = fn.fqp[: -len(fn.name) - 1]
        owner_node = self.node_of(owner, TYPE_KINDS)
        package = owner.rsplit(".", 1)[0] if owner_node is not None else owner
        return Declared(text, (package, fn.file or ""), generics, owner if owner_node is not None else None)

    def field(self, ty: Ty, name: str, depth: int = 0) -> Declared | None:
        node = self.node_of(ty.fqp, TYPE_KINDS) if ty.fqp.count(".") else None
        record = self.view.imports(infer.fields_key(LANG, ty.fqp))
        text = record.get(infer.field_entry(name))
        if text is not None:
            if node is None:  # a package-level variable
                return Declared(text, (ty.fqp, self.package_file(ty.fqp, name)), frozenset(), None)
            return Declared(text, (ty.fqp.rsplit(".", 1)[0], node.file or ""), frozenset(), ty.fqp)
        if node is not None and depth <= 4:  # promoted through embedded fields
            for embedded in record.get(EMBEDDED, "").split("\n"):
                if not embedded:
                    continue
                found = self.type_named(
                    self.normalize(embedded).split("<")[0], (ty.fqp.rsplit(".", 1)[0], node.file or "")
                )
                if found is not None and not found.external:
                    declared = self.field(found, name, depth + 1)
                    if declared is not None:
                        return declared
        return None

    def package_file(self, package: str, name: str) -> str:
        """A file of a package (whose imports name a package-level variable's type): the package node's."""
        ids = _lookup(self.view, package, MODULE_KINDS)
        return self.view.node(ids[0]).file or "" if ids else ""

    def call_value(self, path: str, arity: int | None, where, inference: infer.Inference) -> Ty | None:
        package, file = where
        if "." in path:
            alias, _, name = path.partition(".")
            imported = self.view.imports(FILE_KEY + file).get(alias)
            candidates = [f"{imported}.{name}"] if imported is not None else []
        else:
            name = path
            candidates = [f"{package}.{path}", *(f"{d}.{path}" for d in self.view.globs(FILE_KEY + file))]
        for fqp in candidates:
            ids = _lookup(self.view, fqp, FN_KINDS)
            if ids:
                return inference.returned([self.view.node(i) for i in ids])
            if _lookup(self.view, fqp, TYPE_KINDS):  # a conversion `T(x)`
                return Ty(fqp, False, (), _resolution(fqp, package))
        if "." in path and candidates:
            return infer.OPAQUE  # a function of a package outside the workspace
        return None

    def value_path(self, parts: list[str], where, inference: infer.Inference) -> Ty | None:
        package, file = where
        if len(parts) == 2:
            imported = self.view.imports(FILE_KEY + file).get(parts[0])
            if imported is None:
                return None
            if not _lookup(self.view, imported, MODULE_KINDS):
                return infer.OPAQUE  # a variable of a package outside
            return inference.field(Ty(imported), parts[1])
        return inference.field(Ty(package), parts[0]) if len(parts) == 1 else None

    def external_method(self, ty: Ty, name: str) -> Ty | None:
        return infer.OPAQUE

    def element(self, ty: Ty, inference: infer.Inference) -> Ty | None:
        """A map's element (`m[k]`, `for _, v := range m`) is its value; a defined slice or map type's
        (`type Options []Option`) is its underlying type's."""
        if ty.external:
            return ty.arg(1) if ty.fqp == "map" else None
        node = self.node_of(ty.fqp, frozenset({NodeKind.ASSOC_TYPE}))
        if node is None:
            return None
        at = infer._find_word(node.signature, node.name)
        underlying = node.signature[at + len(node.name) :].strip() if at >= 0 else ""
        if not underlying.startswith(("[]", "map[")):
            return None
        value = inference.written(Declared(underlying, (ty.fqp.rsplit(".", 1)[0], node.file or "")))
        return inference.element(value) if value is not None else None

    def type_parameters(self, type_fqp: str) -> tuple[str, ...]:
        node = self.node_of(type_fqp, TYPE_KINDS)
        return infer.type_parameters(node.signature, node.name, "[") if node is not None else ()

    def accepts(self, fn: Node, arity: int) -> bool:
        return True


def _types(view: SymbolView) -> _GoTypes:
    found = view.memo.get(_GoTypes)
    if found is None:
        found = view.memo[_GoTypes] = _GoTypes(view)
    return found  # type: ignore[return-value]


def _result_text(signature: str, name: str) -> tuple[str, frozenset[str]]:
    """The first result type of a `func`'s signature (`func (r *R) F(x int) (*T, error)` gives `*T`), and the
    function's own type parameters."""
    at = infer._find_word(signature, name)
    rest = signature[at + len(name) :] if at >= 0 else signature
    generics: frozenset[str] = frozenset()
    if rest.startswith("["):
        depth = 0
        for i, ch in enumerate(rest):
            depth += 1 if ch == "[" else -1 if ch == "]" else 0
            if depth == 0:
                generics = frozenset(infer.type_parameters("f" + rest[: i + 1], "f", "["))
                rest = rest[i + 1 :]
                break
    if not rest.startswith("("):
        return "", generics
    depth = 0
    for i, ch in enumerate(rest):
        depth += 1 if ch in "([{" else -1 if ch in ")]}" else 0
        if depth == 0:
            rest = rest[i + 1 :].strip()
            break
    else:
        return "", generics
    if not rest:
        return "", generics
    tuple_match = _SPLIT_RESULTS.match(rest)
    if tuple_match:
        first = infer._split_top(tuple_match.group(1), ",")[0].strip()
        words = first.split(" ", 1)
        if len(words) == 2 and words[0].isidentifier() and not words[1].startswith(("[", ".")):
            first = words[1]  # a named result `(n int, err error)`
        return first, generics
    return rest, generics
