"""Python: packages and modules from the folders, extraction from `queries/python.scm`, name resolution.

FQPs follow ISG-SPEC §2: the dotted module path from the source root (the folder above the topmost package, so
`src/` layouts need nothing special), members `{module}.{Class}.{member}`. A package's `__init__.py` is the package
module itself. A class is S, T when it derives `Protocol` or `ABC` (or has `metaclass=ABCMeta`), E when it derives
an `Enum` class, directly or through classes of the same file (a base in another file cannot change a node's id,
which depends on its file alone); every base but `object` gives an EXTENDS edge (Python has one inheritance
mechanism; who-implements queries follow EXTENDS as well as IMPL). Methods of a T class are DEFINES, other members
CONTAINS.

Imports are recorded per module as local name → dotted target (`from ..m import Y as Z` gives `Z` → `pkg.m.Y`), star
imports as globs, so that `resolve` follows `__init__.py` re-exports the way the Rust resolver follows `pub use`. A
class's bases are recorded as the globs of the class's own scope, so that `self.m()` finds a method that a base
class in the workspace declares, through the same tracked lookups.
"""

from __future__ import annotations

import builtins
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import tree_sitter

from ..graph import SymbolView, Target
from ..model import EdgeKind, FileFacts, Node, NodeKind, Reference, Resolution
from . import infer, query
from . import new_parser
from .common import FileExtraction, count_loc, dispatch, guess_methods, sorted_matches
from .infer import Declared, Expr, Outcome, Ty, Written

LANG = "python"

CLASS_KINDS = frozenset({NodeKind.STRUCT, NodeKind.TRAIT, NodeKind.ENUM})
FN_KINDS = frozenset({NodeKind.FUNCTION})
MODULE_KINDS = frozenset({NodeKind.MODULE})
TARGET_KINDS = {"type": CLASS_KINDS, "call": FN_KINDS, "module": MODULE_KINDS}

TRAIT_BASES = frozenset({"Protocol", "ABC"})
ENUM_BASES = frozenset({"Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum"})
NO_EDGE_BASES = frozenset({"object"})
BUILTIN_NAMES = frozenset(dir(builtins))
# ISG-SPEC §1 Clarifications: the only annotation names that are not nodes. Every other name gives an edge, builtins
# (`list`, `dict`, `type`) and typing's forms (`Optional`, `Any`, `Generic`) included, as Rust's `Vec` and `Option`
# do. A primitive is recognised by its last segment, however it is reached (`builtins.int`).
PRIMITIVES = frozenset({"int", "float", "str", "bool", "bytes", "complex", "None", "object"})
MAX_STRING_DEPTH = 4


# ---- layout: source roots and packages ----------------------------------------------------------------------


@dataclass
class PyLayout:
    """The packages of the workspace: folders holding an `__init__.py` (or `.pyi`). A file's module path starts
    below the topmost package folder above it, which makes `src/` layouts and several source roots work alike."""

    packages: tuple[str, ...] = ()
    shadowed_stubs: tuple[str, ...] = ()  # `x.pyi` files standing next to an `x.py`: not indexed
    _set: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)
    _stubs: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)

    def is_package(self, folder: str) -> bool:
        if self._set is None:
            self._set = frozenset(self.packages)
        return folder in self._set

    def is_shadowed_stub(self, path: str) -> bool:
        """A `.pyi` stub whose module has a `.py` source: the interpreter runs the source, so the stub (another
        description of the same names, typed overloads and all) gives no nodes of its own."""
        if self._stubs is None:
            self._stubs = frozenset(self.shadowed_stubs)
        return path in self._stubs

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
    packages = sorted(
        {posixpath.dirname(f) for f in files if posixpath.basename(f) in ("__init__.py", "__init__.pyi") and "/" in f}
    )
    present = set(files)
    stubs = sorted(f for f in files if f.endswith(".pyi") and f[:-1] in present)
    return PyLayout(tuple(packages), tuple(stubs))


# ---- extraction -----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Scope:
    kind: str  # "module", "class", "fn"
    module: str
    node_id: bytes | None = None
    fqp: str = ""
    receivers: tuple[str, ...] = ()  # `self.m()` / `cls.m()`: the enclosing class
    bases: tuple[str, ...] = ()  # `super().m()`: its bases, as dotted paths
    generics: frozenset[str] = frozenset()
    is_trait: bool = False
    class_id: bytes | None = None  # a method's class (for `self.x: T` fields)
    typed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # parameters annotated with a (dotted) name
    this: str = ""  # a method's first parameter (`self`, `cls`, click's `__self`)
    env: infer.Env | None = None  # module and fn scopes: names → the expressions of their types (infer.py)
    fields: dict[str, str] = field(default_factory=dict)  # class and module scopes: attribute → its declared
    # type's text, or its value's encoded expression
    handle: int = -1  # class scopes: their index in the extraction's owners (the module's: -1)


class PyExtraction(FileExtraction):
    file_scope: _Scope

    def __init__(self, path, lang, source, tree, content_hash, layout: PyLayout):
        super().__init__(path, LANG, source, tree, content_hash)
        layout = layout if layout is not None else PyLayout()
        self.module, self.is_package = layout.module_of(path)
        self.scopes: dict[int, _Scope] = {}
        self.typevars: set[str] = set()  # module-level names bound by assignment
        self.classes: set[str] = set()  # module-level class names
        self.enums: set[str] = set()  # FQPs of this file's E classes (for bases of the same file)
        self.fn_imports: dict[int, dict[str, str]] = {}  # function (tree-sitter node id) -> its own imports
        self.types_cursor = tree_sitter.QueryCursor(query(LANG, "python-types"))
        name = self.module.rsplit(".", 1)[-1]
        signature = f"package {self.module}" if self.is_package else f"module {self.module}"
        module_node = self.add_node(NodeKind.MODULE, name, self.module, None, signature)
        module_node.span = self.whole_file_span()
        self.file_scope = _Scope("module", self.module, module_node.id, self.module, env=infer.Env())
        parent = layout.parent_package(self.module, self.is_package, path)
        if parent is not None:
            self.add_reference(
                Reference(EdgeKind.CONTAINS, self.module, "module", src_path=("", parent), dst=module_node.id)
            )

    def run(self, cache: dict | None = None) -> FileFacts:
        """The file's facts. With an item ``cache`` (an editor's file): what items are read against first (imports,
        module-level names and classes), then the items one at a time, each taking its earlier facts when it, that
        context and what the items before it left did not change (common.extract_items)."""
        first = {
            "import": self.on_import,
            "import.from": self.on_import_from,
            "definition.typevar": self.on_typevar,
            "definition.toplevel": self.on_toplevel_class,
        }
        if cache is None:
            matches = sorted_matches(query(LANG, "python-imports+python"), self.tree.root_node)
            dispatch(matches, first)
            dispatch(matches, self.item_handlers())
        else:
            dispatch(tree_sitter.QueryCursor(query(LANG, "python-imports")).matches(self.tree.root_node), first)
            context = repr(
                (
                    self.module,
                    self.is_package,
                    sorted(self.facts.imports.items()),
                    sorted(self.facts.glob_imports.items()),
                    sorted(self.typevars),
                    sorted(self.classes),
                )
            ).encode("utf-8")
            self.extract_items(
                query(LANG, "python"), self.item_handlers(), cache, context, containers=_CONTAINERS, whole_headers=True
            )
        self.publish_fields(LANG)
        return self.finish()

    def item_handlers(self) -> dict:
        return {
            "definition.class": self.on_class,
            "definition.function": self.on_function,
            "definition.field": self.on_field,
            "reference.call": self.on_call,
            "local.definition": self.on_local,
            "local.for": self.on_for,
            "local.with": self.on_with,
            "local.function": self.on_lambda,
            "local.assign": self.on_attribute_assignment,
            "local.unpack": self.on_unpack,
            "local.comprehension": self.on_comprehension,
        }

    def bind(self, scope: _Scope, name: str, expr) -> None:
        """Binds a name in a scope's environment; the module's values are effects (read by later items, replayed
        from the item cache), so they are bound at once, never lazily."""
        if scope is self.file_scope:
            self.effect("bind", name, expr() if callable(expr) else expr)
        else:
            cast(infer.Env, scope.env).bind(name, expr)

    # ---- imports ----

    def imports(self, node=None) -> dict[str, str]:
        """The import table an import statement adds to: the module's, or (for an import inside a function) that
        function's own, which only the calls of that function see."""
        fn = _enclosing_function(node) if node is not None else None
        if fn is not None:
            return self.fn_imports.setdefault(fn.id, {})
        return self.facts.imports.setdefault(self.module, {})

    def on_import(self, node, caps):
        """`import a.b.c` binds `a`; `import a.b as c` binds `c` to `a.b`. An import inside a function binds the
        name for that function's calls only (as the interpreter does)."""
        imports = self.imports(node)
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
        imports = self.imports(node)
        for name_node in node.children_by_field_name("name"):
            if name_node.type == "aliased_import":
                name = _dotted(self.text(name_node.child_by_field_name("name")))
                alias = self.text(name_node.child_by_field_name("alias"))
            else:
                name = _dotted(self.text(name_node))
                alias = name.split(".")[0]
            imports[alias] = f"{base_fqp}.{name}" if base_fqp else name

    def local_import(self, node, name: str) -> str | None:
        """What `name` is bound to by an import inside the functions enclosing `node`, innermost first."""
        if not self.fn_imports:
            return None
        fn = _enclosing_function(node)
        while fn is not None:
            found = self.fn_imports.get(fn.id, {}).get(name)
            if found is not None:
                return found
            fn = _enclosing_function(fn)
        return None

    def relative_base(self, level: int) -> list[str]:
        parts = self.module.split(".")
        package = parts if self.is_package else parts[:-1]
        up = level - 1
        if up > 0:
            package = package[:-up] if up < len(package) else []
        return package

    def on_typevar(self, node, caps):
        """A module-level name bound by assignment or `type X = ...`: a TypeVar, a type alias, a NewType."""
        self.typevars.add(self.text(caps["name"][0]))

    def on_toplevel_class(self, node, caps):
        self.classes.add(self.text(caps["name"][0]))

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
            return  # a class inside a function: its calls are the function's
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
            elif (last in ENUM_BASES or self.local_class(path, scope) in self.enums) and kind is NodeKind.STRUCT:
                kind = NodeKind.ENUM  # `class Equality(Comparator)` where `Comparator(Enum)`
            if last in NO_EDGE_BASES:
                continue
            base_paths.append(path)
        item = self.add_node(kind, name, fqp, self.outer(node), self.signature(node))
        if kind is NodeKind.ENUM:
            self.enums.add(fqp)
        self.add_edge(scope.node_id, EdgeKind.CONTAINS, item.id)
        bases = []
        for path in base_paths:
            self.add_reference(Reference(EdgeKind.EXTENDS, scope.module, "type", path, src=item.id))
            bases.append(self.local_target(path))
        if bases:
            self.facts.glob_imports[fqp] = bases
        self.scopes[node.id] = self.owner(
            _Scope("class", scope.module, item.id, fqp, (fqp,), tuple(bases), is_trait=kind is NodeKind.TRAIT)
        )

    def local_class(self, path: tuple[str, ...], scope) -> str | None:
        """The FQP of a class of this file that a base names (`Base`, `Outer.Base`), or None."""
        if path[0] in self.facts.imports.get(self.module, {}):
            return None
        for prefix in (scope.fqp, self.module):
            fqp = ".".join((prefix, *path))
            if fqp in self.enums:
                return fqp
        return None

    def on_function(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind not in ("module", "class"):
            # a nested function: its calls are the enclosing function's, its parameters its own names
            self.nested(node, scope)
            return
        name = self.text(caps["name"][0])
        fqp = f"{scope.fqp}.{name}"
        item = self.add_node(NodeKind.FUNCTION, name, fqp, self.outer(node), self.signature(node))
        in_class = scope.kind == "class"
        self.add_edge(scope.node_id, EdgeKind.DEFINES if in_class and scope.is_trait else EdgeKind.CONTAINS, item.id)
        bound = set(scope.generics)
        type_params = node.child_by_field_name("type_parameters")
        if type_params is not None:  # PEP 695 `def f[T](x: T)`: names bound here, not types
            for ident in _identifiers(type_params):
                bound.add(self.text(ident))
        generics = frozenset(bound)
        params = node.child_by_field_name("parameters")
        typed: dict[str, tuple[str, ...]] = {}
        this = ""
        if in_class and params is not None and not self.is_staticmethod(node):
            first = next((c for c in params.named_children if c.type != "comment"), None)
            if first is not None and first.type in ("typed_parameter", "typed_default_parameter", "default_parameter"):
                first = first.child_by_field_name("name") or (first.named_children[0] if first.named_children else None)
            if first is not None and first.type == "identifier":
                this = self.text(first)
        for param in params.named_children if params is not None else ():
            type_node = param.child_by_field_name("type")
            if type_node is not None:
                self.type_refs(type_node, item.id, EdgeKind.ACCEPTS, scope.module, generics)
                if param.type == "typed_parameter" or param.type == "typed_default_parameter":
                    pname = param.child_by_field_name("name")
                    if pname is None and param.named_children and param.named_children[0].type == "identifier":
                        pname = param.named_children[0]
                    type_path = _name_path(self, type_node.named_children[0]) if type_node.named_children else ()
                    if (
                        pname is not None
                        and pname.type == "identifier"
                        and type_path
                        and type_path[-1] not in PRIMITIVES
                        and type_path[0] not in generics
                    ):
                        typed[self.text(pname)] = type_path
        returns = node.child_by_field_name("return_type")
        if returns is not None:
            self.type_refs(returns, item.id, EdgeKind.RETURNS, scope.module, generics)
        own = _Scope(
            "fn",
            scope.module,
            item.id,
            fqp,
            scope.receivers if in_class else (),
            scope.bases if in_class else (),
            generics,
            class_id=scope.node_id if in_class else None,
            typed=typed,
            this=this,
            env=infer.Env(self.file_scope.env),
        )
        self.scopes[node.id] = own
        self.bind_parameters(params, own, scope.fqp if in_class else None)

    def is_staticmethod(self, node) -> bool:
        outer = self.outer(node)
        if outer is node:
            return False
        return any(
            self.text(d).strip() in ("@staticmethod", "@builtins.staticmethod")
            for d in outer.named_children
            if d.type == "decorator"
        )

    def on_field(self, node, caps):
        """`x: Foo` in a class body, `self.x: Foo = ...` in a method: the class USES Foo."""
        scope = self.scope_of(node)
        target = caps["field.target"][0]
        if scope.kind == "class" and target.type == "identifier":
            owner = scope.node_id
            holder: _Scope | None = scope
            name = self.text(target)
        elif (
            scope.kind == "fn"
            and scope.class_id is not None
            and target.type == "attribute"
            and self.text(target.child_by_field_name("object")) == "self"
        ):
            owner = scope.class_id
            holder = self.class_scope(scope)
            name = self.text(target.child_by_field_name("attribute"))
        else:
            return
        self.type_refs(caps["field.type"][0], owner, EdgeKind.USES, scope.module, scope.generics)
        if holder is not None:
            self.effect("field", holder.handle, name, self.text(caps["field.type"][0]), False)

    # ---- receiver types (infer.py) ----

    def class_scope(self, scope: _Scope) -> _Scope | None:
        """The class scope a method scope belongs to."""
        owner = scope.fqp.rpartition(".")[0]
        return next((s for s in self.scopes.values() if s.kind == "class" and s.fqp == owner), None)

    def bind_parameters(self, params, scope: _Scope, class_fqp: str | None) -> None:
        """A function's parameters in its environment: `self`/`cls` are the class, annotated ones their declared
        type, others their default value's type, else unknown."""
        env = scope.env
        if params is None or env is None:
            return
        for param in params.named_children:
            kind = param.type
            if kind == "identifier":
                name = self.text(param)
                env.bind(name, infer.known(class_fqp) if class_fqp is not None and name == scope.this else None)
                continue
            name_node = param.child_by_field_name("name")
            if name_node is None and param.named_children and param.named_children[0].type == "identifier":
                name_node = param.named_children[0]
            if name_node is None or name_node.type != "identifier":
                for ident in _identifiers(param):
                    env.bind(self.text(ident), None)
                continue
            name = self.text(name_node)
            type_node = param.child_by_field_name("type")
            value = param.child_by_field_name("value")
            if class_fqp is not None and name == scope.this:
                env.bind(name, infer.known(class_fqp))
            elif type_node is not None:  # evaluated if ever a receiver
                env.bind(name, _later(lambda t: infer.typed(self.text(t)), type_node))
            elif value is not None and kind == "default_parameter":
                env.bind(name, _later(self.expression, value, scope))
            else:
                env.bind(name, None)

    def nested(self, node, outer: _Scope) -> None:
        """A function or lambda written in a function's body: its own names over the enclosing ones'."""
        if outer.kind != "fn" or outer.env is None or node.id in self.scopes:
            return
        own = _Scope(
            "fn",
            outer.module,
            outer.node_id,
            outer.fqp,
            outer.receivers,
            outer.bases,
            outer.generics,
            class_id=outer.class_id,
            typed=outer.typed,
            this=outer.this,
            env=infer.Env(outer.env),
        )
        self.scopes[node.id] = own
        self.bind_parameters(node.child_by_field_name("parameters"), own, None)

    def on_lambda(self, node, caps):
        self.nested(node, self.scope_of(node))

    def on_local(self, node, caps):
        """`x = Foo()`, `x: Foo = ...`: a name's type, declared or its value's."""
        scope = self.scope_of(node)
        if scope.env is None:
            return
        name = self.text(caps["local.name"][0])
        type_node = node.child_by_field_name("type")
        value = node.child_by_field_name("right")
        if scope is not self.file_scope and type_node is None and value is not None:
            scope.env.bind(name, lambda: self.expression(value, scope))  # evaluated if ever a receiver
            return
        if type_node is not None:
            expr = infer.typed(self.text(type_node))
        elif value is not None:
            expr = self.expression(value, scope)
        else:
            expr = None
        self.bind(scope, name, expr)
        if scope is self.file_scope:  # a module's value, for its importers (its first binding)
            if type_node is not None:
                self.effect("field", -1, name, self.text(type_node), True)
            elif expr is not None:
                self.effect("field", -1, name, infer.encode(expr), True)

    def on_unpack(self, node, caps):
        """`a, b = ...`, `for k, v in ...`: names of unknown type (they hide any outer name)."""
        scope = self.scope_of(node)
        if scope.env is not None:
            for ident in _identifiers(caps["local.names"][0]):
                self.bind(scope, self.text(ident), None)

    def on_comprehension(self, node, caps):
        """`[x.m() for x in xs]`: the variables of its `for` clauses, bound before its body (which comes first)."""
        scope = self.scope_of(node)
        if scope.env is None:
            return
        for clause in node.named_children:
            if clause.type != "for_in_clause":
                continue
            left, right = clause.child_by_field_name("left"), clause.child_by_field_name("right")
            if left is None:
                continue
            if left.type == "identifier":
                self.bind(scope, self.text(left), infer.element(self.expression(right, scope)))
            else:
                for ident in _identifiers(left):
                    self.bind(scope, self.text(ident), None)

    def on_for(self, node, caps):
        """`for x in xs`: an element of xs."""
        scope = self.scope_of(node)
        if scope.env is not None:
            iterable = caps["local.iterable"][0]
            self.bind(scope, self.text(caps["local.name"][0]), lambda: infer.element(self.expression(iterable, scope)))

    def on_with(self, node, caps):
        """`with X() as x`: what X's `__enter__` returns."""
        scope = self.scope_of(node)
        if scope.env is None or node.parent is None:
            return
        if node.parent.type == "with_item":
            self.bind(
                scope,
                self.text(caps["local.name"][0]),
                infer.method(self.expression(caps["local.value"][0], scope), "__enter__", 0),
            )
        elif node.parent.type == "except_clause":  # `except KeyError as e`
            value = caps["local.value"][0]
            self.bind(
                scope,
                self.text(caps["local.name"][0]),
                infer.typed(self.text(value)) if value.type in ("identifier", "attribute") else None,
            )

    def on_attribute_assignment(self, node, caps):
        """`self.x = Foo()` in a method: the attribute's type when no annotation gives it."""
        scope = self.scope_of(node)
        if scope.kind != "fn" or scope.class_id is None or self.text(caps["local.self"][0]) != scope.this:
            return
        holder = self.class_scope(scope)
        name = self.text(caps["local.name"][0])
        if holder is None or name in holder.fields or node.child_by_field_name("type") is not None:
            return
        expr = self.expression(caps["local.value"][0], scope)
        if expr is not None:
            self.effect("field", holder.handle, name, infer.encode(expr), True)

    def path_expression(self, path: tuple[str, ...], node, scope: _Scope) -> Expr | None:
        """A dotted name's value: a local's (then its attributes), else a module's or an imported value."""
        env = scope.env
        if env is not None and path[0] in env:
            expr = env.get(path[0])
            for name in path[1:]:
                expr = infer.member(expr, name)
            return expr
        local = self.local_import(node, path[0])
        if local is not None:
            return infer.valued(".".join(("", *local.split("."), *path[1:])))
        return infer.valued(".".join(path))  # a module's value or an imported one

    @infer.bounded
    def expression(self, node, scope: _Scope) -> Expr | None:
        """The expression of an expression's type, as far as this file can say (infer.py), or None."""
        if node is None:
            return None
        kind = node.type
        if kind in ("identifier", "attribute"):
            path = _name_path(self, node)
            if not path:
                if kind == "attribute":
                    attribute = node.child_by_field_name("attribute")
                    return infer.member(
                        self.expression(node.child_by_field_name("object"), scope), self.text(attribute)
                    )
                return None
            return self.path_expression(path, node, scope)
        if kind == "call":
            callee = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            arity = (
                len(arguments.named_children) if arguments is not None and arguments.type == "argument_list" else None
            )
            if callee is None:
                return None
            if callee.type == "identifier" and self.text(callee) == "super":
                return None
            path = _name_path(self, callee)
            if path and path[-1] == "cast" and arguments is not None and arguments.named_children:
                return infer.typed(self.text(arguments.named_children[0]))  # `t.cast(Foo, x)` is a Foo
            if path and (scope.env is None or path[0] not in scope.env):
                local = self.local_import(node, path[0])
                if local is not None:
                    path = ("", *local.split("."), *path[1:])
                return infer.called(".".join(path), arity)  # `Foo()`, `make()`, `mod.Foo.create()`
            if callee.type == "attribute":
                obj = callee.child_by_field_name("object")
                return infer.method(
                    self.expression(obj, scope), self.text(callee.child_by_field_name("attribute")), arity
                )
            if callee.type == "identifier" and self.text(callee) == scope.this:
                return self.expression(callee, scope)  # `cls(...)`: an instance of the class
            return None
        if kind == "subscript":
            return infer.method(self.expression(node.child_by_field_name("value"), scope), "__getitem__", 1)
        if kind == "await":
            return infer.unwrapped(self.expression(node.named_children[0] if node.named_children else None, scope))
        if kind == "parenthesized_expression" and node.named_child_count == 1:
            return self.expression(node.named_children[0], scope)
        if kind in ("string", "concatenated_string"):
            return infer.typed("str")
        if kind in ("list", "list_comprehension"):
            return infer.typed("list")
        if kind in ("dictionary", "dictionary_comprehension"):
            return infer.typed("dict")
        if kind in ("set", "set_comprehension"):
            return infer.typed("set")
        if kind in ("integer", "float", "true", "false", "none", "tuple"):
            return infer.typed({"integer": "int", "float": "float", "none": "None", "tuple": "tuple"}.get(kind, "bool"))
        return None

    # ---- types ----

    def named_types(self, node) -> list[tuple[str, ...]]:
        found: list[tuple[int, tuple[str, ...]]] = []
        _collect_types(self, self.types_cursor, node, 0, found, 0)
        found.sort()
        return [path for _, path in found]

    def type_refs(self, type_node, src: bytes, kind: EdgeKind, module: str, generics: frozenset[str]) -> None:
        seen = set()
        imports = self.facts.imports.get(self.module, {})
        for path in self.named_types(type_node):
            if path in seen or path[-1] in PRIMITIVES or path[0] in generics:
                continue
            first = path[0]
            imported = imports.get(first)
            if imported is None and first in self.typevars and first not in self.classes:
                continue  # a TypeVar or an alias of this module: no type of its own
            if imported is not None and len(path) == 1 and imported.rsplit(".", 1)[-1] in PRIMITIVES:
                continue  # `from typing import Optional as Opt`
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
            local = self.local_import(node, name)
            if local is not None:  # `from ._impl import f` inside this function
                self.add_reference(
                    Reference(EdgeKind.CALLS, scope.module, "call", ("", *local.split(".")), src=scope.node_id)
                )
                return
            if name in BUILTIN_NAMES and name not in self.facts.imports.get(self.module, {}):
                return
            self.add_reference(Reference(EdgeKind.CALLS, scope.module, "call", (name,), src=scope.node_id))
            return
        if callee.type != "attribute":
            return
        name = self.text(callee.child_by_field_name("attribute"))
        obj = callee.child_by_field_name("object")
        receivers: tuple[str, ...] = ()
        if obj.type == "identifier" and scope.receivers and self.text(obj) == scope.this:
            receivers = scope.receivers
        elif obj.type == "call" and self.text(obj.child_by_field_name("function")) == "super":
            if not scope.bases:
                return
            receivers = scope.bases
        else:
            if obj.type in ("identifier", "attribute"):
                early = _name_path(self, obj)
                expr = self.path_expression(early, obj, scope) if early else self.expression(obj, scope)
            else:
                expr = self.expression(obj, scope)
            if obj.type == "call":  # `Foo().m()`: a method of Foo when Foo is a class
                obj = obj.child_by_field_name("function")
            elif obj.type == "identifier" and self.text(obj) in scope.typed and expr is not None:
                path = scope.typed[self.text(obj)]  # `ctx.m()` with `ctx: Context`: a method of Context
                self.add_reference(
                    Reference(EdgeKind.CALLS, scope.module, "call", (*path, name), src=scope.node_id, receiver=expr)
                )
                return
            path = _name_path(self, obj)
            if path and (scope.env is None or path[0] not in scope.env):
                # a path (`mod.f()`, `Foo.create()`, `Foo().m()`): found by name first, else by its value's type
                local = self.local_import(node, path[0])
                if local is not None:
                    path = ("", *local.split("."), *path[1:])
                self.add_reference(
                    Reference(EdgeKind.CALLS, scope.module, "call", (*path, name), src=scope.node_id, receiver=expr)
                )
                return
            receivers = expr or ()
        self.add_reference(
            Reference(EdgeKind.CALLS, scope.module, "call", (name,), src=scope.node_id, receiver=receivers)
        )


def _later(function, *args):
    """A binding computed when the name is first read (infer.Env)."""
    return lambda: function(*args)


def _enclosing_function(node):
    parent = node.parent
    while parent is not None:
        if parent.type == "function_definition":
            return parent
        parent = parent.parent
    return None


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
            if head_name == "Literal" and (head is None or child.id != head.id):
                return True  # `Literal["a"]`: the values, not `Literal` itself
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


class _Snippet:
    """The text of a string annotation parsed on its own (a forward reference like `"te.Literal[True]"`)."""

    __slots__ = ("source",)

    def __init__(self, source: bytes) -> None:
        self.source = source

    def text(self, node) -> str:
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")


_snippet_parser = None


def _collect_types(extraction, cursor, node, offset: int, found: list, depth: int) -> None:
    """The named types of an annotation, as (position, dotted path); string annotations are parsed as expressions
    and read by the same rules (so `"Literal[True]"` gives nothing, `"Optional[Foo]"` gives Foo)."""
    global _snippet_parser
    captures = cursor.captures(node)
    for t in captures.get("type", ()):
        parent = t.parent
        if parent is not None and parent.type == "attribute":
            continue  # a segment of a dotted name, captured with it
        if _excluded(extraction, t, node):
            continue
        path = _name_path(extraction, t)
        if path:
            found.append((offset + t.start_byte, path))
    if depth >= MAX_STRING_DEPTH:
        return
    for s in captures.get("type.string", ()):
        if _excluded(extraction, s, node, strings=True):
            continue
        parts = [c for c in s.named_children if c.type == "string_content"]
        if not parts or any(c.type == "interpolation" for c in s.named_children):
            continue
        content = b"".join(extraction.source[c.start_byte : c.end_byte] for c in parts)
        if _snippet_parser is None:
            _snippet_parser = new_parser(LANG)
        snippet = _Snippet(content.strip())
        tree = _snippet_parser.parse(snippet.source)
        root = tree.root_node
        if root.has_error or root.named_child_count != 1 or root.named_children[0].type != "expression_statement":
            continue
        expression = root.named_children[0]
        _collect_types(snippet, cursor, expression, offset + parts[0].start_byte, found, depth + 1)


ITEM_CACHE = True  # extract() takes a per-file cache: items that did not change are not extracted again


def _container_body(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """A class's body (through its decorators), whose statements are items of their own for the item cache; None
    for any other item (a function is one item, its body included)."""
    if node.type == "decorated_definition":
        node = node.child_by_field_name("definition") or node
    return node.child_by_field_name("body") if node.type == "class_definition" else None


_CONTAINERS = {"class_definition": _container_body, "decorated_definition": _container_body}


def extract(
    path: str,
    source: bytes,
    tree: tree_sitter.Tree,
    layout: PyLayout,
    content_hash: bytes,
    lang: str = LANG,
    cache: dict | None = None,
) -> FileFacts:
    if layout is not None and layout.is_shadowed_stub(path):
        return FileFacts(path=path, lang=lang, content_hash=content_hash, loc=count_loc(source))
    return PyExtraction(path, lang, source, tree, content_hash, layout).run(cache)


# ---- resolution ---------------------------------------------------------------------------------------------


def resolve(ref: Reference, view: SymbolView, facts: FileFacts) -> tuple[Target | None, Target | None]:
    src = None
    if ref.src is None and ref.src_path is not None:
        ids = lookup_absolute(ref.src_path[1:], MODULE_KINDS, view)
        src = Target(ids, Resolution.EXACT) if ids else None
    if ref.dst is not None:
        return src, None
    if infer.is_expression(ref.receiver):
        return src, _resolve_inferred(ref, view)
    if ref.receiver is not None:
        return src, resolve_method(ref.path[-1], ref.receiver, view)
    return src, resolve_path(ref.path, ref.target, ref.scope, view)


def _resolve_inferred(ref: Reference, view: SymbolView) -> Target | None:
    """A method call whose receiver is an expression (infer.py): a path first (`mod.f()`, `Foo.create()`), else a
    method of the receiver's inferred type; a guess by name only when that type is unknown."""
    name = ref.path[-1]
    if len(ref.path) > 1:
        found = resolve_path(ref.path, ref.target, ref.scope, view, guess=False)
        if found is not None:
            return found
    receiver = cast(Expr, ref.receiver)  # is_expression(ref.receiver): the caller's test
    outcome, ty, fns = infer.inference(_types(view), view).methods_of(receiver, ref.scope, name)
    if outcome == Outcome.UNKNOWN:
        return guess_methods(view, name, FN_KINDS, LANG, lambda n: _is_method(n.fqp, view), STANDARD_METHODS)
    if not fns:
        return None
    return Target([fn.id for fn in fns], ty.resolution if ty is not None else Resolution.EXACT)


def _split(fqp: str) -> tuple[str, ...]:
    return tuple(fqp.split("."))


def _join(path: tuple[str, ...]) -> str:
    return ".".join(path)


def resolve_path(path: tuple[str, ...], target: str, scope: str, view: SymbolView, guess: bool = True) -> Target | None:
    first = path[0]
    if first == "":  # made absolute at extraction by a function's own import
        ids = lookup_target(path[1:], target, view)
        if ids:
            return Target(ids, Resolution.IMPORT)
        if target == "type":
            return Target(
                [], Resolution.IMPORT, external_fqp=_join(_external_path(path[1:], view)), external_kind=NodeKind.STRUCT
            )
        return None
    imported = view.imports(scope).get(first)
    if imported is not None:
        expanded = _split(imported) + path[1:]
        ids = lookup_target(expanded, target, view)
        if ids:
            return Target(ids, Resolution.IMPORT)
        if target == "type":
            return Target(
                [], Resolution.IMPORT, external_fqp=_join(_external_path(expanded, view)), external_kind=NodeKind.STRUCT
            )
        return None
    ids = lookup_target((*_split(scope), *path), target, view)
    if ids:
        return Target(ids, Resolution.EXACT)
    for glob in view.globs(scope):
        ids = lookup_target((*_split(glob), *path), target, view)
        if ids:
            return Target(ids, Resolution.IMPORT)
    if len(path) > 1:
        ids = lookup_target(path, target, view)  # a full dotted path
        if ids:
            return Target(ids, Resolution.EXACT)
    if target == "call":
        if len(path) > 1 and guess:  # `value.method()` on a local value: by the method's name
            return resolve_method(path[-1], (), view)
        return None
    if target != "type":
        return None
    if len(path) == 1 and first in BUILTIN_NAMES:
        return Target([], Resolution.IMPORT, external_fqp=first, external_kind=NodeKind.STRUCT)
    return Target([], Resolution.HEURISTIC, 0, external_fqp=_join(path), external_kind=NodeKind.STRUCT)


def _external_path(path: tuple[str, ...], view: SymbolView) -> tuple[str, ...]:
    """The path of a name outside the workspace, followed through the workspace modules that import it
    (`from ._compat import Protocol`, where `_compat` says `from typing import Protocol`, is `typing.Protocol`)."""
    for _ in range(8):
        if len(path) < 2:
            break
        parent = _join(path[:-1])
        if not view.lookup(parent, MODULE_KINDS):
            break
        reexport = view.imports(parent).get(path[-1])
        if reexport is None or reexport == _join(path):
            break
        path = _split(reexport)
    return path


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


def lookup_absolute(path: tuple[str, ...], kinds: frozenset[NodeKind], view: SymbolView, depth: int = 0) -> list[bytes]:
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
    return guess_methods(view, name, FN_KINDS, LANG, lambda n: _is_method(n.fqp, view), STANDARD_METHODS)


def _is_method(fqp: str, view: SymbolView) -> bool:
    owner = fqp.rpartition(".")[0]
    return bool(owner) and bool(view.lookup(owner, CLASS_KINDS))


def lookup_path(view: SymbolView, fqp: str) -> list[bytes]:
    """The workspace nodes a public dotted path names through `__init__.py` re-exports and star imports
    (`click.Command` is `click.core.Command`): for queries given a path that is no node's FQP."""
    if "::" in fqp or "/" in fqp:
        return []
    path = _split(fqp)
    if len(path) < 2 or not all(path):
        return []
    found = lookup_absolute(path, CLASS_KINDS, view) + lookup_absolute(path, FN_KINDS, view)
    return sorted(set(found)) or lookup_absolute(path, MODULE_KINDS, view)


# ---- receiver types (infer.py) -------------------------------------------------------------------------------

# Methods of the standard library's common types (str, list, dict, set, files, loggers): a receiver of unknown type
# calling one of them is not guessed to be a workspace class (common.guess_methods).
STANDARD_METHODS = frozenset(
    """
append extend insert remove pop clear copy index count sort reverse get items keys values update setdefault popitem
add discard union intersection difference issubset issuperset join split rsplit splitlines strip lstrip rstrip
replace format startswith endswith lower upper title encode decode find rfind partition rpartition zfill ljust
rjust center isdigit isalpha isspace read readline readlines write writelines close flush seek tell fileno
__enter__ __exit__ __iter__ __next__ __getitem__ __setitem__ __contains__ __len__ __call__ __init__ __eq__
__hash__ __repr__ __str__ send throw debug info warning error exception critical log group match search sub
fullmatch groups start end span total_seconds isoformat strftime acquire release wait notify put put_nowait
get_nowait task_done submit result done cancel""".split()
)
_TYPING_WRAPPERS = frozenset(
    {"Optional", "Final", "ClassVar", "Annotated", "Required", "NotRequired", "ReadOnly", "TypeGuard", "Type", "type"}
)
_SEQUENCES = frozenset({"list", "List", "Sequence", "MutableSequence", "tuple", "Tuple", "deque", "Deque"})
_MAPPINGS = frozenset(
    {"dict", "Dict", "Mapping", "MutableMapping", "OrderedDict", "defaultdict", "DefaultDict", "ChainMap", "Counter"}
)


class _PyTypes:
    """Python's side of receiver inference (infer.TypeSystem): a type is read where it is written, in its module's
    FQP (whose imports name it)."""

    nullish = frozenset({"None"})
    self_type = "Self"

    def __init__(self, view: SymbolView) -> None:
        self.view = view

    def normalize(self, text: str) -> str:
        text = " ".join(text.split())
        # forward references (`"Foo"`, `t.List["Foo"]`) are the names they hold
        return text.replace("'", "").replace('"', "").replace("[", "<").replace("]", ">")

    def adapt(self, written: Written) -> Written | None:
        """typing's forms: `Optional[Foo]`, `Annotated[Foo, ...]`, `ClassVar[Foo]` are Foo; `Union[Foo, None]` is
        Foo; `te.Self` is Self; a string inside (`list["Foo"]`) is read as the name it holds."""
        head = written.head
        last = head.rsplit(".", 1)[-1]
        if last == "Self":
            return Written("Self")
        if last in _TYPING_WRAPPERS:
            return written.args[0] if written.args else None
        if last == "Union":
            kept = [a for a in written.args if a is None or a.head != "None"]
            return kept[0] if len(kept) == 1 else None
        return written

    def type_named(self, path: str, where) -> Ty | None:
        path = path.strip("'\"")
        if not path or path in ("Any", "typing.Any", "t.Any", "object"):
            return None
        found = resolve_path(tuple(path.split(".")), "type", where, self.view)
        if found is None:
            return None
        if found.ids:
            return Ty(self.view.node(found.ids[0]).fqp, False, (), found.resolution)
        if found.external_fqp is None or found.resolution is Resolution.HEURISTIC:
            return None
        return Ty(found.external_fqp, True, (), found.resolution)

    def methods(self, ty: Ty, name: str) -> list[Node]:
        return [self.view.node(i) for i in lookup_absolute((*_split(ty.fqp), name), FN_KINDS, self.view)]

    def returns(self, fn: Node) -> Declared | None:
        text = _return_text(fn.signature)
        if not text:
            return None
        owner = fn.fqp.rpartition(".")[0]
        is_class = bool(self.view.lookup(owner, CLASS_KINDS))
        return Declared(text, _module_of(fn, self.view), frozenset(), owner if is_class else None)

    def field(self, ty: Ty, name: str) -> Declared | None:
        entry = infer.field_entry(name)
        todo: list[str] = [ty.fqp]
        seen: set[str] = set()
        while todo and len(seen) < 16:
            fqp = todo.pop(0)
            if fqp in seen:
                continue
            seen.add(fqp)
            text = self.view.imports(infer.fields_key(LANG, fqp)).get(entry)
            if text is not None:
                is_module = bool(self.view.lookup(fqp, MODULE_KINDS))
                where = fqp if is_module else _module_of_fqp(fqp, self.view)
                return Declared(text, where, frozenset(), None if is_module else fqp)
            for base in self.view.globs(fqp):  # a class's bases (and star imports)
                todo.extend(self.view.node(i).fqp for i in lookup_absolute(_split(base), CLASS_KINDS, self.view))
        for fn in self.methods(ty, name):  # `@property def name(self) -> T`
            if "property" in fn.signature.split("def ", 1)[0]:
                return self.returns(fn)
        return None

    def call_value(self, path: str, arity: int | None, where, inference: infer.Inference) -> Ty | None:
        """`Foo()`: an instance of Foo; `make()`, `Foo.create()`: the declared return type; a function or class
        outside the workspace: a value outside it."""
        parts = tuple(path.split("."))
        if parts[0] in BUILTIN_NAMES and len(parts) == 1 and not self.view.imports(where).get(parts[0]):
            return infer.OPAQUE
        cls = resolve_path(parts, "type", where, self.view)
        if cls is not None and cls.ids:
            return Ty(self.view.node(cls.ids[0]).fqp, False, (), cls.resolution)
        found = resolve_path(parts, "call", where, self.view, guess=False)
        if found is not None and found.ids:
            fns = [self.view.node(i) for i in found.ids]
            return inference.returned(fns)
        if cls is not None and cls.external_fqp is not None and cls.resolution is not Resolution.HEURISTIC:
            return infer.OPAQUE
        if len(parts) > 1:  # `value.m()` on a module's value
            value = self.value_path(list(parts[:-1]), where, inference)
            return inference.call(value, parts[-1], arity) if value is not None else None
        return None

    def value_path(self, parts: list[str], where, inference: infer.Inference) -> Ty | None:
        """A value named by a dotted path: a module-level value of this module or an imported module, an imported
        value; a class stands for itself. Names outside the workspace are values outside it."""
        if parts[0] == "":  # made absolute by a function's own import
            parts = parts[1:]
            module, rest = self.longest_module(parts)
        else:
            imported = self.view.imports(where).get(parts[0])
            if imported is not None:
                target = [*imported.split("."), *parts[1:]]
                module, rest = self.longest_module(target)
                if module is None:
                    return infer.OPAQUE  # an outside module's value
            elif parts[0] in BUILTIN_NAMES:
                return infer.OPAQUE
            else:
                module, rest = where, parts
        if module is None or not rest:
            return None
        classes = lookup_absolute((*_split(module), rest[0]), CLASS_KINDS, self.view)
        ty: Ty | None = Ty(self.view.node(classes[0]).fqp) if classes else inference.field(Ty(module), rest[0])
        for name in rest[1:]:
            if ty is None:
                return None
            ty = inference.field(ty, name)
        return ty

    def longest_module(self, parts: list[str]) -> tuple[str | None, list[str]]:
        for cut in range(len(parts), 0, -1):
            if self.view.lookup(".".join(parts[:cut]), MODULE_KINDS):
                return ".".join(parts[:cut]), parts[cut:]
        return None, parts

    def external_method(self, ty: Ty, name: str) -> Ty | None:
        kind = ty.name
        if kind in _SEQUENCES and name in ("__getitem__", "pop"):
            return ty.arg(0)
        if kind in _MAPPINGS and name in ("__getitem__", "get", "pop", "setdefault"):
            return ty.arg(1)
        if kind in ("list", "List", "dict", "Dict", "set", "Set") and name == "copy":
            return ty
        return infer.OPAQUE

    def element(self, ty: Ty, inference: infer.Inference) -> Ty | None:
        """`for x in xs` over a workspace class: what its `__iter__` yields."""
        iterator = inference.call(ty, "__iter__", 0)
        return iterator.arg(0) if iterator is not None and iterator.external else None

    def type_parameters(self, type_fqp: str) -> tuple[str, ...]:
        ids = self.view.lookup(type_fqp, CLASS_KINDS)
        if not ids:
            return ()
        node = self.view.node(ids[0])
        signature = node.signature
        at = signature.find("Generic[")
        if at != -1:
            return infer.type_parameters("G" + signature[at + len("Generic") :], "G", "[")
        return infer.type_parameters(signature, node.name, "[")

    def accepts(self, fn: Node, arity: int) -> bool:
        return True


def _types(view: SymbolView) -> _PyTypes:
    found = view.memo.get(_PyTypes)
    if found is None:
        found = view.memo[_PyTypes] = _PyTypes(view)
    return found  # type: ignore[return-value]


def _return_text(signature: str) -> str:
    """The return annotation of a `def`'s signature (`def f(x) -> Foo` gives `Foo`), or ""."""
    at = signature.find("def ")
    if at == -1:
        return ""
    start = signature.find("(", at)
    if start == -1:
        return ""
    depth = 0
    for i in range(start, len(signature)):
        ch = signature[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                rest = signature[i + 1 :].strip()
                return rest[2:].strip() if rest.startswith("->") else ""
    return ""


def _module_of(node: Node, view: SymbolView) -> str:
    """The module a Python declaration stands in (whose imports name the types of its signature)."""
    return _module_of_fqp(node.fqp, view, node.file)


def _module_of_fqp(fqp: str, view: SymbolView, file: str | None = None) -> str:
    parts = fqp.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        prefix = ".".join(parts[:cut])
        ids = view.lookup(prefix, MODULE_KINDS)
        if ids and (file is None or any(view.node(i).file == file for i in ids)):
            return prefix
    return parts[0]


__all__ = ["PyLayout", "build_layout", "extract", "resolve"]
