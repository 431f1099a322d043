"""Java: packages from `package` declarations, extraction from `queries/java.scm`, name resolution.

FQPs follow ISG-SPEC §2: types `{package}.{Outer}.{Inner}`, members `{Class}.{member}`, a constructor is a method
named after its class (`a.b.Foo.Foo`), overloads share an FQP and differ by signature (the declaration's head without
its body and without annotations, e.g. `public static <T> List<T> asList(T... a)`), type parameters
`{owner}.<T>`. A file in the default package (no `package` declaration) has no module node; its types are named by
their bare names.

Node kinds: a package is a module (M, signature `package a.b`, declared by every file of the package: one node);
`class` and `record` are S, `interface` and `@interface` are T, `enum` is E, methods, constructors (compact ones
included) and annotation elements are F, type parameters are G. Classes, records and enums CONTAINS their methods
and nested types; interfaces and annotation types DEFINES their methods and CONTAINS their nested types; a package
CONTAINS its top-level types and (best effort, when the parent package has files) its parent CONTAINS it.
Members of anonymous classes, enum constant bodies and local classes are not nodes: calls made in them count as calls
of the enclosing method.

What one file cannot settle is left as ``Reference``s, resolved by ``resolve`` through the ``SymbolView``. Java needs
a little more than Rust's imports table to resolve a name: a class's superclass chain (for `foo()` calls of inherited
methods and for inherited member types) lives in other files. Every file therefore publishes, through
``FileFacts.imports`` (whose reads the graph tracks as dependencies), two kinds of records under keys that are not
FQPs:

- ``java:{path}``: the file's single-type imports (simple name → FQN) and its package under the key ``package``
  (a keyword, so never an imported name); its on-demand imports are ``glob_imports["java:{path}"]``;
  ``java-static:{path}`` holds the single static imports (member name → `Type.member`) and, in ``glob_imports``,
  the static on-demand imports;
- ``java-type:{class FQP}``: the file key of the class (``file``), and its supertypes as written (``extends``,
  ``implements``, one per line, generic arguments removed).

Resolution of a simple type name: type parameters in scope (settled at extraction), then member types of the
enclosing classes (each with its inherited member types, through the supertypes in the workspace), single-type
imports, the same package, on-demand imports, `java.lang` (from the workspace when it defines it, else an external
`java.lang.X`), and last an external node with the bare name (`heuristic`, 0 candidates). Well-known names of
`java.util`, `java.io` and `java.util.function` imported on demand get their full path when the JDK is not in the
workspace.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import tree_sitter

from ..graph import SymbolView, Target
from ..model import EdgeKind, FileFacts, Node, NodeKind, Reference, Resolution, fold_whitespace
from . import query
from . import infer
from .common import FileExtraction, dispatch, strip_generics, units
from .contract import MAX_HEURISTIC_CANDIDATES
from .infer import Declared, Expr, Outcome, Ty

LANG = "java"
TYPE_KINDS = frozenset({NodeKind.STRUCT, NodeKind.ENUM, NodeKind.TRAIT})
FN_KINDS = frozenset({NodeKind.FUNCTION})
MODULE_KINDS = frozenset({NodeKind.MODULE})
MAX_SUPER_DEPTH = 12

FILE_KEY = "java:"
ARRAY = ("[]",)  # the type path of a variable declared with an array type
STATIC_KEY = "java-static:"
TYPE_KEY = "java-type:"

# java.lang is imported implicitly: these names become external `java.lang.X` nodes when the workspace lacks them.
_LANG_INTERFACES = (
    "Runnable",
    "Iterable",
    "Comparable",
    "CharSequence",
    "Cloneable",
    "AutoCloseable",
    "Appendable",
    "Readable",
    "Override",
    "Deprecated",
    "SuppressWarnings",
    "FunctionalInterface",
    "SafeVarargs",
)
_LANG_CLASSES = (
    "Object",
    "String",
    "Integer",
    "Long",
    "Short",
    "Byte",
    "Character",
    "Boolean",
    "Double",
    "Float",
    "Number",
    "Math",
    "StrictMath",
    "System",
    "Thread",
    "ThreadLocal",
    "InheritableThreadLocal",
    "Class",
    "ClassLoader",
    "Enum",
    "Record",
    "Void",
    "StringBuilder",
    "StringBuffer",
    "Process",
    "ProcessBuilder",
    "Runtime",
    "StackTraceElement",
    "Module",
    "Package",
    "Throwable",
    "Exception",
    "RuntimeException",
    "Error",
    "IllegalArgumentException",
    "IllegalStateException",
    "NullPointerException",
    "UnsupportedOperationException",
    "IndexOutOfBoundsException",
    "ArrayIndexOutOfBoundsException",
    "StringIndexOutOfBoundsException",
    "ClassCastException",
    "ArithmeticException",
    "InterruptedException",
    "CloneNotSupportedException",
    "SecurityException",
    "ReflectiveOperationException",
    "ClassNotFoundException",
    "NoSuchFieldException",
    "NoSuchMethodException",
    "InstantiationException",
    "IllegalAccessException",
    "NumberFormatException",
    "NegativeArraySizeException",
    "ArrayStoreException",
    "IllegalMonitorStateException",
    "StackOverflowError",
    "OutOfMemoryError",
    "AssertionError",
    "LinkageError",
    "ExceptionInInitializerError",
    "VirtualMachineError",
    "InternalError",
    "NoClassDefFoundError",
)
JAVA_LANG: dict[str, NodeKind] = {
    **dict.fromkeys(_LANG_INTERFACES, NodeKind.TRAIT),
    **dict.fromkeys(_LANG_CLASSES, NodeKind.STRUCT),
}

# Well-known names of packages often imported on demand, for naming external nodes when the JDK is not indexed.
_WELL_KNOWN = {
    "java.util": (
        "T:Collection List Set Map Queue Deque Iterator ListIterator Comparator SortedMap NavigableMap SortedSet "
        "NavigableSet Enumeration Spliterator RandomAccess EventListener",
        "S:ArrayList LinkedList HashMap LinkedHashMap TreeMap HashSet LinkedHashSet TreeSet ArrayDeque PriorityQueue "
        "Collections Arrays Objects Optional Locale Random Properties UUID Stack Vector Hashtable Date Calendar BitSet "
        "EnumMap EnumSet StringJoiner Scanner NoSuchElementException ConcurrentModificationException AbstractList "
        "AbstractMap AbstractSet AbstractCollection IdentityHashMap WeakHashMap Timer OptionalInt",
    ),
    "java.io": (
        "T:Serializable Closeable Flushable Externalizable",
        "S:File InputStream OutputStream Reader Writer IOException UncheckedIOException PrintStream PrintWriter "
        "BufferedReader BufferedWriter InputStreamReader OutputStreamWriter FileNotFoundException ObjectInputStream "
        "ObjectOutputStream ByteArrayInputStream ByteArrayOutputStream StringReader StringWriter EOFException",
    ),
    "java.util.function": (
        "T:Function BiFunction Supplier Consumer BiConsumer Predicate BiPredicate UnaryOperator BinaryOperator "
        "IntFunction ToIntFunction ToLongFunction IntPredicate IntConsumer IntSupplier BooleanSupplier LongFunction "
        "ToDoubleFunction IntUnaryOperator IntBinaryOperator",
    ),
}
WELL_KNOWN: dict[str, dict[str, NodeKind]] = {
    package: {
        name: (NodeKind.TRAIT if group[0] == "T" else NodeKind.STRUCT) for group in groups for name in group[2:].split()
    }
    for package, groups in _WELL_KNOWN.items()
}


# ---- layout ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JavaLayout:
    """Java needs no layout: a file's package is its `package` declaration."""

    root_name: str = ""


def build_layout(root: Path, files: list[str]) -> JavaLayout:
    return JavaLayout(root.name)


# ---- extraction -----------------------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Scope:
    """What encloses a declaration: a type, a method, or a body whose members are not items (``local``)."""

    kind: str  # "file", "type", "fn", "local"
    fqp: str = ""  # the type's FQP (for "fn": the owning type's)
    node_id: bytes | None = None  # the type's or method's node (None for "local" outside methods)
    is_interface: bool = False
    generics: dict[str, bytes] = field(default_factory=dict)
    fields: dict[str, tuple[str, ...] | None] = field(default_factory=dict)  # type scopes: field → type path
    locals: dict[str, tuple[str, ...] | None] = field(default_factory=dict)  # fn scopes: variable → type path
    outer: "_Scope | None" = None  # the enclosing scope (fn → its type, type → its outer type)
    superclass: tuple[str, ...] = ()  # type scopes: the superclass as written
    is_static: bool = False  # a static context: static nested type, interface, enum, record,
    # static method (the enclosing instance's type parameters are not
    # in scope)
    inner: frozenset[str] = frozenset()  # type scopes: the simple names of its inner (non-static) classes
    simple: dict[str, str] = field(default_factory=dict)  # variable → its declared type's simple name (`int`,
    # `String`, `List`, `T[]`): the argument types of overloaded calls
    exprs: dict[str, Expr | None] = field(default_factory=dict)  # fn scopes: variable → the expression of its
    # value's type (infer.py): its declared type, or `var`'s initializer
    field_types: dict[str, str] = field(default_factory=dict)  # type scopes: field → its declared type's text
    constructors: list[bytes] = field(default_factory=list)  # type scopes: constructors that do not call
    # `this(...)` (javac runs the instance initializers in them)
    initializer: "_Scope | None" = None  # type scopes: the scope of calls in instance initializers
    pending: list[Reference] = field(default_factory=list)  # initializer scopes: their calls (no source yet)


class JavaExtraction(FileExtraction):
    def __init__(self, path, lang, source, tree, content_hash, layout: JavaLayout):
        super().__init__(path, lang, source, tree, content_hash)
        self.package = ""
        self.module_id: bytes | None = None
        self.file_key = FILE_KEY + path
        self.static_key = STATIC_KEY + path
        self.file_scope: _Scope = _Scope("file")
        self.scopes: dict[int, _Scope] = {}
        self.types_cursor = tree_sitter.QueryCursor(query(LANG, "java-types"))
        self.generic_fqps: dict[bytes, str] = {}  # G node id → its FQP (a variable typed by a type parameter)

    # ---- driving ----

    def run(self, cache: dict | None = None) -> FileFacts:
        """The file's facts. With an item ``cache`` (an editor's file): the package and imports first, then the
        items one at a time (types are containers: their members are items), each taking its earlier facts when
        its text and the file's outline (the file without its methods, constructors and comments: ``_outline``) did
        not change (common.extract_items): typing in a method extracts that method again."""
        if cache is not None and len(self.source) < ITEM_CACHE_MIN_BYTES:
            cache.clear()  # a small file: read whole (cheaper than the cache's keys and bookkeeping)
            cache = None
        head = {"definition.package": self.on_package, "import": self.on_import}
        root = self.tree.root_node
        if cache is None:
            cursor = tree_sitter.QueryCursor(query(LANG, "java-imports+java"))
            matches = _document_order(cursor.matches(root))
            dispatch(matches, head)
            self.facts.imports.setdefault(self.file_key, {})["package"] = self.package
            dispatch(matches, self.item_handlers())
        else:
            cursor = tree_sitter.QueryCursor(query(LANG, "java-imports"))
            if not root.has_error:
                cursor.set_max_start_depth(1)  # the root's children only (without an error, no other one counts)
            dispatch(_document_order(cursor.matches(root)), head)
            self.facts.imports.setdefault(self.file_key, {})["package"] = self.package
            self.extract_items(
                query(LANG, "java"),
                self.item_handlers(),
                cache,
                b"",
                containers=_CONTAINERS,
                order=_document_order,
                context_of=self.item_context(),
            )
        self.initializer_calls()
        return self.finish()

    def item_context(self):
        """What an item's facts may depend on besides its own text and headers, as a digest (every key holds it, and
        a hit compares the keys' contexts whole): the package, the imports, and the outline (``_outline``) of the
        top-level type the item is in, found by that type's header (the first of the item's headers; two types of
        one header, only in broken code, share the outline of both). An item in no type (broken code at the top)
        takes the whole file's outline. So an edit in one type, or a new type, leaves the other types' members
        cached."""
        source = self.source
        root = self.tree.root_node
        base = repr((self.package, sorted(self.facts.imports.items()), sorted(self.facts.glob_imports.items()))).encode(
            "utf-8"
        )
        by_header: dict[bytes, list[bytes]] = {}
        for unit in units(root):
            item = unit[-1]
            body = _container_body(item) if item.type in _CONTAINERS else None
            if body is not None:
                by_header.setdefault(source[unit[0].start_byte : body.start_byte], []).append(_outline(item, source))
        digests: dict[bytes | None, bytes] = {}

        def digest(header: bytes | None) -> bytes:
            found = digests.get(header)
            if found is None:
                outline = b"\x00".join(by_header[header]) if header is not None else _outline(root, source)
                found = digests[header] = hashlib.blake2b(base + b"\x00" + outline, digest_size=16).digest()
            return found

        def context_of(text: bytes, headers: tuple[bytes, ...]) -> bytes:
            return digest(headers[0] if headers and headers[0] in by_header else None)

        return context_of

    def item_handlers(self) -> dict:
        return {
            "definition.class": self.on_class,
            "definition.record": self.on_class,
            "definition.interface": self.on_interface,
            "definition.annotation": self.on_interface,
            "definition.enum": self.on_enum,
            "definition.method": self.on_method,
            "definition.constructor": self.on_method,
            "local.scope": self.on_local_body,
            "local.definition": self.on_local,
            "local.lambda": self.on_lambda,
            "reference.call": self.on_call,
            "reference.new": self.on_new,
            "reference.this_or_super": self.on_constructor_call,
            "reference.method_ref": self.on_method_ref,
        }

    def initializer_calls(self) -> None:
        """javac compiles instance field initializers and instance initializer blocks into every constructor that
        does not start with `this(...)`: their calls are those constructors' calls (a class without a written
        constructor has only the implicit one, which is no node)."""
        for scope in list(self.scopes.values()):
            init = scope.initializer
            if scope.kind != "type" or init is None or not init.pending:
                continue
            for constructor in scope.constructors:
                for ref in init.pending:
                    self.add_reference(
                        Reference(ref.kind, ref.scope, ref.target, ref.path, src=constructor, receiver=ref.receiver)
                    )
            init.pending = []
        for scope in self.scopes.values():  # a type's scope and its initializer's point at each other: no cycle
            scope.initializer = None  # outlives the extraction (an index pauses the cyclic collector)

    # ---- package and imports ----

    def on_package(self, node, caps):
        if self.module_id is not None or not _at_top(node):
            return
        name_node = next((c for c in node.named_children if c.type in ("identifier", "scoped_identifier")), None)
        if name_node is None:
            return
        self.package = "".join(self.text(name_node).split())
        last = self.package.rsplit(".", 1)[-1]
        module = self.add_node(NodeKind.MODULE, last, self.package, node, f"package {self.package}")
        self.module_id = module.id
        if "." in self.package:
            parent = self.package.rsplit(".", 1)[0]
            self.add_reference(
                Reference(EdgeKind.CONTAINS, self.package, "module", src_path=("", parent), dst=module.id)
            )

    def on_import(self, node, caps):
        if not _at_top(node):
            return
        is_static = any(c.type == "static" for c in node.children)
        is_glob = any(c.type == "asterisk" for c in node.children)
        name_node = next((c for c in node.named_children if c.type in ("identifier", "scoped_identifier")), None)
        if name_node is None:
            return
        target = "".join(self.text(name_node).split())
        key = self.static_key if is_static else self.file_key
        if is_glob:
            globs = self.facts.glob_imports.setdefault(key, [])
            if target not in globs:
                globs.append(target)
        else:
            self.facts.imports.setdefault(key, {})[target.rsplit(".", 1)[-1]] = target

    # ---- types ----

    def declare_type(self, node, caps, kind: NodeKind, is_interface: bool) -> _Scope | None:
        outer = self.scope_of(node)
        if outer.kind in ("fn", "local"):
            self.scopes[node.id] = outer if outer.kind == "fn" else _Scope("local", outer=outer)
            return None
        # a type declared inside an item that is no container (only in broken code: a class in a block at the top)
        # publishes its record and fields, which an item cache would not replay: that item is extracted every time
        self.not_replayable()
        name = self.text(caps["name"][0])
        if outer.kind == "type":
            fqp = f"{outer.fqp}.{name}"
        else:
            fqp = f"{self.package}.{name}" if self.package else name
        body = node.child_by_field_name("body")
        item = self.add_node(kind, name, fqp, node, self.head(node, body), _visibility(node))
        container = outer.node_id if outer.kind == "type" else self.module_id
        if container is not None:
            self.add_edge(container, EdgeKind.CONTAINS, item.id)
        scope = _Scope("type", fqp, item.id, is_interface, outer=outer if outer.kind == "type" else None)
        scope.is_static = (
            node.type != "class_declaration"
            or _has_modifier(node, "static")
            or (outer.kind == "type" and outer.is_interface)
        )
        scope.inner = _inner_classes(self, node)
        scope.generics = self.generics(node, fqp, dict(outer.generics), scope)
        self.scopes[node.id] = scope
        return scope

    def on_class(self, node, caps):
        kind = NodeKind.STRUCT
        scope = self.declare_type(node, caps, kind, False)
        if scope is None:
            return
        superclass = node.child_by_field_name("superclass")
        if superclass is not None and superclass.named_children:
            path = _head_path(self, superclass.named_children[0])
            if path:
                scope.superclass = path
                self.type_ref(path, cast(bytes, scope.node_id), EdgeKind.EXTENDS, scope, "class")  # a type
        self.supertypes(node.child_by_field_name("interfaces"), scope, EdgeKind.IMPL)
        params = node.child_by_field_name("parameters")  # record components are its fields
        if params is not None:
            self.parameters(params, cast(bytes, scope.node_id), EdgeKind.USES, scope, scope.fields)  # a type
        self.fields(node.child_by_field_name("body"), scope)
        self.publish(scope, node)

    def on_enum(self, node, caps):
        scope = self.declare_type(node, caps, NodeKind.ENUM, False)
        if scope is None:
            return
        self.supertypes(node.child_by_field_name("interfaces"), scope, EdgeKind.IMPL)
        body = node.child_by_field_name("body")
        if body is not None:
            for child in body.named_children:
                if child.type == "enum_body_declarations":
                    self.fields(child, scope)
                elif child.type == "enum_constant":  # `Kind.SMALL.next()`: a constant is a Kind
                    name = child.child_by_field_name("name")
                    if name is not None:
                        scope.field_types[self.text(name)] = self.text(caps["name"][0])
        self.publish(scope, node)

    def on_interface(self, node, caps):
        scope = self.declare_type(node, caps, NodeKind.TRAIT, True)
        if scope is None:
            return
        extends = next((c for c in node.named_children if c.type == "extends_interfaces"), None)
        self.supertypes(extends, scope, EdgeKind.EXTENDS)
        self.fields(node.child_by_field_name("body"), scope)
        self.publish(scope, node)

    def supertypes(self, holder, scope: _Scope, kind: EdgeKind) -> None:
        """EXTENDS / IMPL references to each type of a `super_interfaces` or `extends_interfaces` clause."""
        if holder is None:
            return
        for type_list in holder.named_children:
            for type_node in type_list.named_children if type_list.type == "type_list" else (type_list,):
                path = _head_path(self, type_node)
                if path:
                    self.type_ref(path, cast(bytes, scope.node_id), kind, scope, "interface")  # a type

    def publish(self, scope: _Scope, node) -> None:
        """The type's record for resolvers working in other files: its file and its supertypes as written."""
        record = {"file": self.file_key}
        if scope.superclass:
            record["extends"] = ".".join(scope.superclass)
        interfaces = []
        holder = node.child_by_field_name("interfaces") or next(
            (c for c in node.named_children if c.type == "extends_interfaces"), None
        )
        if holder is not None:
            for type_list in holder.named_children:
                for type_node in type_list.named_children if type_list.type == "type_list" else (type_list,):
                    path = _head_path(self, type_node)
                    if path:
                        interfaces.append(".".join(path))
        if interfaces:
            record["implements"] = "\n".join(interfaces)
        self.facts.imports[TYPE_KEY + scope.fqp] = record
        if scope.field_types:  # what `x.f.m()` reads in other files (infer.py)
            self.facts.imports[infer.fields_key(LANG, scope.fqp)] = {
                infer.field_entry(name): text for name, text in scope.field_types.items()
            }

    def fields(self, body, scope: _Scope) -> None:
        """USES edges to the types of a class body's fields (interface constants included), and the field table."""
        if body is None:
            return
        for member in body.named_children:
            if member.type not in ("field_declaration", "constant_declaration"):
                continue
            type_node = member.child_by_field_name("type")
            if type_node is None:
                continue
            self.type_refs(type_node, cast(bytes, scope.node_id), EdgeKind.USES, scope)  # a type scope
            path = self.variable_type(type_node, scope)
            simple = self.simple_type(type_node)
            text = _type_text(self, type_node)
            for declarator in member.children_by_field_name("declarator"):
                name = declarator.child_by_field_name("name")
                if name is not None:
                    scope.fields[self.text(name)] = path
                    scope.simple[self.text(name)] = simple
                    if text:
                        dims = declarator.child_by_field_name("dimensions")
                        scope.field_types[self.text(name)] = text + (self.text(dims) if dims is not None else "")

    # ---- members ----

    def on_method(self, node, caps):
        owner = self.scope_of(node)
        if owner.kind != "type":
            self.scopes[node.id] = owner if owner.kind == "fn" else _Scope("local", outer=owner)
            return
        name = self.text(caps["name"][0])
        body = node.child_by_field_name("body")
        fqp = f"{owner.fqp}.{name}"
        item = self.add_node(NodeKind.FUNCTION, name, fqp, node, self.head(node, body), _visibility(node))
        is_member_of_interface = owner.is_interface and node.type != "constructor_declaration"
        self.add_edge(owner.node_id, EdgeKind.DEFINES if is_member_of_interface else EdgeKind.CONTAINS, item.id)
        scope = _Scope("fn", owner.fqp, item.id, outer=owner, is_static=_has_modifier(node, "static"))
        scope.generics = self.generics(node, fqp, dict(owner.generics), scope)
        params = node.child_by_field_name("parameters")
        if params is not None:
            self.parameters(params, item.id, EdgeKind.ACCEPTS, scope, scope.locals)
        returns = node.child_by_field_name("type")
        if returns is not None:
            self.type_refs(returns, item.id, EdgeKind.RETURNS, scope)
        self.scopes[node.id] = scope
        if node.type in ("constructor_declaration", "compact_constructor_declaration") and not _invokes_this(body):
            owner.constructors.append(item.id)
            # the class's instance initializers' calls become its calls at the end (initializer_calls): an item
            # cache would not replay the registration, so such a constructor is extracted every time
            self.not_replayable()
        if node.type == "constructor_declaration" and owner.superclass and not _invokes_constructor(body):
            # no `this(...)` / `super(...)` first: the compiler calls the superclass's no-argument constructor
            self.add_reference(
                Reference(
                    EdgeKind.CALLS,
                    scope.fqp,
                    "fn",
                    (owner.superclass[-1], "0"),
                    src=item.id,
                    receiver=("new", ".".join(owner.superclass)),
                )
            )

    def parameters(self, params, src: bytes, kind: EdgeKind, scope: _Scope, table: dict) -> None:
        for param in params.named_children:
            if param.type == "formal_parameter":
                type_node = param.child_by_field_name("type")
                name_node = param.child_by_field_name("name")
            elif param.type == "spread_parameter":
                type_node = next(
                    (c for c in param.named_children if c.type not in ("modifiers", "variable_declarator")), None
                )
                declarator = next((c for c in param.named_children if c.type == "variable_declarator"), None)
                name_node = declarator.child_by_field_name("name") if declarator is not None else None
            else:
                continue
            if type_node is None:
                continue
            self.type_refs(type_node, src, kind, scope)
            if name_node is not None:
                name = self.text(name_node)
                table[name] = self.variable_type(type_node, scope) if param.type == "formal_parameter" else ARRAY
                scope.simple[name] = self.simple_type(type_node) + ("" if param.type == "formal_parameter" else "[]")
                if kind is EdgeKind.USES:  # a record's components are its fields
                    text = _type_text(self, type_node)
                    if text:
                        scope.field_types[name] = text
                else:
                    scope.exprs[name] = self.declared(
                        type_node, scope, "" if param.type == "formal_parameter" else "[]"
                    )

    def on_local_body(self, node, caps):
        outer = self.scope_of(node)
        self.scopes[caps["local.body"][0].id] = outer if outer.kind == "fn" else _Scope("local", outer=outer)

    def on_local(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "fn":
            return
        type_node = caps["local.type"][0]
        if type_node.type == "catch_type":  # `catch (A | B e)`: a union is of no type we follow
            type_node = type_node.named_children[0] if type_node.named_child_count == 1 else None
            if type_node is None:
                for name in caps.get("local.name", []):
                    scope.locals[self.text(name)] = None
                    scope.simple[self.text(name)] = ""
                    scope.exprs[self.text(name)] = None
                return
        path = self.variable_type(type_node, scope)
        simple = self.simple_type(type_node)
        declared = self.declared(type_node, scope)
        names = caps.get("local.name")
        if names:
            name = self.text(names[0])
            scope.locals[name] = path
            scope.simple[name] = simple
            if node.type == "enhanced_for_statement":
                # javac calls `iterator()` on what a for-each walks (not on an array): a call when the walked
                # value's type is a workspace type, never a guess
                walked = self.expression(node.child_by_field_name("value"), scope)
                if walked is not None:
                    self.add_reference(
                        Reference(
                            EdgeKind.CALLS, scope.fqp, "implicit", ("iterator", "0"), src=scope.node_id, receiver=walked
                        )
                    )
            if declared is None and self.text(type_node) == "var":
                if node.type == "enhanced_for_statement":  # `for (var x : xs)`: an element of xs
                    declared = infer.element(self.expression(node.child_by_field_name("value"), scope))
                else:  # `try (var r = open())`
                    declared = self.expression(node.child_by_field_name("value"), scope)
            scope.exprs[name] = declared
            return
        for declarator in node.children_by_field_name("declarator"):
            name = declarator.child_by_field_name("name")
            if name is not None:
                text = self.text(name)
                scope.locals[text] = path
                scope.simple[text] = simple
                dims = declarator.child_by_field_name("dimensions")
                if declared is None and self.text(type_node) == "var":
                    scope.exprs[text] = self.expression(declarator.child_by_field_name("value"), scope)
                else:
                    scope.exprs[text] = self.declared(type_node, scope, self.text(dims) if dims else "")

    def on_lambda(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "fn":
            return
        params = caps["local.params"][0]
        if params.type == "identifier":
            scope.locals[self.text(params)] = None
            scope.simple[self.text(params)] = ""
            scope.exprs[self.text(params)] = None
        elif params.type == "formal_parameters":
            self.parameters_table(params, scope)
        else:
            for child in params.named_children:
                if child.type == "identifier":
                    scope.locals[self.text(child)] = None
                    scope.simple[self.text(child)] = ""
                    scope.exprs[self.text(child)] = None

    def parameters_table(self, params, scope: _Scope) -> None:
        for param in params.named_children:
            type_node = param.child_by_field_name("type")
            name_node = param.child_by_field_name("name")
            if name_node is not None:
                scope.locals[self.text(name_node)] = self.variable_type(type_node, scope) if type_node else None
                scope.simple[self.text(name_node)] = self.simple_type(type_node) if type_node else ""
                scope.exprs[self.text(name_node)] = self.declared(type_node, scope)

    # ---- bodies ----

    def fn_scope(self, node) -> _Scope | None:
        """The method whose calls a node's calls are: the enclosing method, or for an instance field initializer or
        initializer block the class's initializer scope (its calls go to the constructors)."""
        scope = self.scope_of(node)
        if scope.kind == "fn":
            return scope
        if scope.kind != "type" or scope.is_interface:
            return None
        parent = node.parent
        instance = False
        while parent is not None and self.scopes.get(parent.id) is not scope:
            kind = parent.type
            if kind == "field_declaration":
                instance = not _has_modifier(parent, "static")
            elif kind == "block" and parent.parent is not None and parent.parent.type == "class_body":
                instance = True
            elif kind == "static_initializer":
                instance = False
            parent = parent.parent
        if not instance:
            return None
        if scope.initializer is None:
            scope.initializer = _Scope(
                "fn", scope.fqp, None, outer=scope, is_static=False, generics=dict(scope.generics)
            )
        return scope.initializer

    def call(self, scope: _Scope, name: str, receiver: tuple[str, ...] | None, call_node=None) -> None:
        """A CALLS reference; its path is (method name, number of arguments or "" when unknown, then each argument's
        type as a simple name where the call site says it: a literal's, a variable's declared type, `new T()`, a
        cast; "" when unknown), so that overloads are chosen by argument count and types."""
        arity = ""
        types: list[str] = []
        arguments = call_node.child_by_field_name("arguments") if call_node is not None else None
        if arguments is not None:
            args = [a for a in arguments.named_children if a.type not in ("line_comment", "block_comment")]
            arity = str(len(args))
            types = [self.argument_type(a, scope) or _encoded(self.expression(a, scope)) for a in args]
            while types and not types[-1]:
                types.pop()
        ref = Reference(EdgeKind.CALLS, scope.fqp, "fn", (name, arity, *types), src=scope.node_id, receiver=receiver)
        if scope.node_id is None:  # an instance initializer's call: its constructors' (later)
            scope.pending.append(ref)
            self.not_replayable()  # read at the end (initializer_calls): the item is extracted every time
        else:
            self.add_reference(ref)

    def argument_type(self, node, scope: _Scope) -> str:
        """The simple type name of an argument expression, or "" when the call site does not say."""
        kind = node.type
        text = self.text(node)
        if kind in (
            "decimal_integer_literal",
            "hex_integer_literal",
            "octal_integer_literal",
            "binary_integer_literal",
        ):
            return "long" if text[-1:] in "lL" else "int"
        if kind in ("decimal_floating_point_literal", "hex_floating_point_literal"):
            return "float" if text[-1:] in "fF" else "double"
        if kind in ("string_literal", "text_block"):
            return "String"
        if kind == "character_literal":
            return "char"
        if kind in ("true", "false"):
            return "boolean"
        if kind == "null_literal":
            return "null"
        if kind == "identifier":
            current: _Scope | None = scope
            while current is not None:
                if text in current.simple:
                    return current.simple[text]
                current = current.outer
            return ""
        if kind == "field_access":
            inner = node.child_by_field_name("object")
            field_node = node.child_by_field_name("field")
            if inner is not None and inner.type == "this" and field_node is not None:
                owner = scope.outer if scope.kind == "fn" else scope
                return owner.simple.get(self.text(field_node), "") if owner is not None else ""
            return _CONSTANTS.get("".join(text.split()), "")
        if kind == "object_creation_expression":
            return self.simple_type(node.child_by_field_name("type"))
        if kind == "cast_expression":
            return self.simple_type(node.child_by_field_name("type"))
        if kind == "parenthesized_expression" and node.named_child_count == 1:
            return self.argument_type(node.named_children[0], scope)
        if kind == "binary_expression":
            operator = node.child_by_field_name("operator")
            op = operator.type if operator is not None else ""
            if op in ("==", "!=", "<", ">", "<=", ">=", "&&", "||", "instanceof"):
                return "boolean"
            left = self.argument_type(node.child_by_field_name("left"), scope)
            right = self.argument_type(node.child_by_field_name("right"), scope)
            if op == "+" and "String" in (left, right):
                return "String"
            if left in _NUMERIC and right in _NUMERIC:  # binary numeric promotion
                if op in ("<<", ">>", ">>>"):
                    return "long" if left == "long" else "int"
                for wide in ("double", "float", "long"):
                    if wide in (left, right):
                        return wide
                return "int"
            return ""
        return ""

    def simple_type(self, type_node) -> str:
        """`java.util.List<String>` → `List`, `int[]` → `int[]`, `Map.Entry<K, V>` → `Entry`."""
        if type_node is None:
            return ""
        return _simple_type_name(self.text(type_node))

    def on_call(self, node, caps):
        scope = self.fn_scope(node)
        if scope is None:
            return
        name = self.text(caps["name"][0])
        obj = node.child_by_field_name("object")
        self.call(scope, name, None if obj is None else self.receiver(obj, scope), node)

    def receiver(self, obj, scope: _Scope) -> tuple[str, ...]:
        """How a call's receiver is known: ("this",), ("super",), ("type", path), ("var", path), ("array",), an
        expression of its type (infer.py), or () unknown."""
        kind = obj.type
        if kind == "this":
            return ("this",)
        if kind == "super":
            return ("super",)
        if kind == "identifier":
            name = self.text(obj)
            found, path = self.variable(name, scope)
            if path == ARRAY:
                return ("array",)
            if found:
                if path:
                    return ("var", ".".join(path))
                return self.expression(obj, scope) or ()
            if name[:1].isupper():
                return ("type", name)
            return self.expression(obj, scope) or ()
        if kind == "field_access":
            inner = obj.child_by_field_name("object")
            field_node = obj.child_by_field_name("field")
            if inner is not None and inner.type == "this" and field_node is not None:
                path = _field_type(scope, self.text(field_node))
                if path == ARRAY:
                    return ("array",)
                if path:
                    return ("var", ".".join(path))
                return self.expression(obj, scope) or ()
            if field_node is not None and field_node.type == "this" and inner is not None:  # `Outer.this.m()`
                path = _head_path(self, inner)
                return ("var", ".".join(path)) if path else ()
            text = "".join(self.text(obj).split())
            parts = text.split(".")
            if (
                all(p.isidentifier() for p in parts)
                and parts[-1][:1].isupper()
                and not self.variable(parts[0], scope)[0]
            ):
                return ("type", text)
            return self.expression(obj, scope) or ()
        if kind in ("generic_type", "type_identifier", "scoped_type_identifier"):
            path = _head_path(self, obj)
            return ("type", ".".join(path)) if path else ()
        if kind == "object_creation_expression":  # `new Foo().m()`: a method of Foo
            type_node = obj.child_by_field_name("type")
            path = _head_path(self, type_node) if type_node is not None else ()
            return ("var", ".".join(path)) if path else ()
        if kind == "parenthesized_expression" and obj.named_child_count == 1:
            return self.receiver(obj.named_children[0], scope)
        if kind == "array_creation_expression":
            return ("array",)
        return self.expression(obj, scope) or ()

    # ---- receiver types (infer.py) ----

    def declared(self, type_node, scope: _Scope, dims: str = "") -> Expr | None:
        """The expression of a value of a declared type: its text, or a type parameter's G node."""
        if type_node is None or type_node.type in ("integral_type", "floating_point_type", "boolean_type", "void_type"):
            return None
        text = _type_text(self, type_node)
        if not text or text == "var":
            return None
        if not dims and not text.endswith("]"):
            generic = _generic_in_scope(text, scope)
            if generic is not None:
                fqp = self.generic_fqps.get(generic)
                return infer.known(fqp) if fqp is not None else None
        return infer.typed(text + dims)

    @infer.bounded
    def expression(self, node, scope: _Scope) -> Expr | None:
        """The expression of an expression's type, as far as this file can say (infer.py), or None."""
        if node is None:
            return None
        kind = node.type
        if kind == "identifier":
            name = self.text(node)
            if name in scope.exprs:
                return scope.exprs[name]
            type_scope = scope.outer if scope.kind == "fn" else scope
            while type_scope is not None:
                if name in type_scope.field_types:
                    if type_scope.kind == "type":
                        return infer.member(infer.known(type_scope.fqp), name)
                    break
                type_scope = type_scope.outer
            if name in scope.locals or name[:1].isupper():
                return None
            owner = _type_context(scope)  # an inherited field
            return infer.member(infer.known(owner), name) if owner else None
        if kind == "this":
            owner = _type_context(scope)
            return infer.known(owner) if owner else None
        if kind == "super":  # `super.m()`: a method of the superclass
            holder = scope.outer if scope.kind == "fn" else scope
            return infer.typed(".".join(holder.superclass)) if holder is not None and holder.superclass else None
        if kind == "field_access":
            inner = node.child_by_field_name("object")
            field_node = node.child_by_field_name("field")
            if inner is None or field_node is None:
                return None
            if field_node.type == "this":  # `Outer.this`
                return self.declared(inner, scope)
            name = self.text(field_node)
            if (
                inner.type == "identifier"
                and self.text(inner)[:1].isupper()
                and not self.variable(self.text(inner), scope)[0]
            ):
                return infer.member(infer.typed(self.text(inner)), name)  # `Kind.SMALL`, `Foo.INSTANCE`
            return infer.member(self.expression(inner, scope), name)
        if kind == "method_invocation":
            name_node = node.child_by_field_name("name")
            if name_node is None:
                return None
            name = self.text(name_node)
            arguments = node.child_by_field_name("arguments")
            arity = (
                len([a for a in arguments.named_children if a.type not in ("line_comment", "block_comment")])
                if arguments is not None
                else None
            )
            inner = node.child_by_field_name("object")
            if inner is None:
                return infer.called(name, arity)
            if inner.type in ("identifier", "field_access"):
                qualifier = "".join(self.text(inner).split())
                parts = qualifier.split(".")
                if (
                    all(p.isidentifier() for p in parts)
                    and parts[-1][:1].isupper()
                    and not self.variable(parts[0], scope)[0]
                    and (len(parts) == 1 or parts[0][:1].islower())
                ):
                    return infer.called(f"{qualifier}.{name}", arity)  # `Foo.of(...)`, `java.util.Objects.hash()`
            return infer.method(self.expression(inner, scope), name, arity)
        if kind in ("object_creation_expression", "cast_expression"):
            type_node = node.child_by_field_name("type")
            if (
                type_node is None
                or kind == "object_creation_expression"
                and any(c.type == "class_body" for c in node.named_children)
            ):
                return None  # an anonymous class: a type of its own
            return self.declared(type_node, scope)
        if kind == "parenthesized_expression" and node.named_child_count == 1:
            return self.expression(node.named_children[0], scope)
        if kind == "assignment_expression":  # `(e = (Map.Entry<?,?>) o).getKey()`
            return self.expression(node.child_by_field_name("left"), scope) or self.expression(
                node.child_by_field_name("right"), scope
            )
        if kind == "array_access":
            return infer.element(self.expression(node.child_by_field_name("array"), scope))
        if kind in ("string_literal", "text_block"):
            return infer.typed("String")
        return None

    def variable(self, name: str, scope: _Scope) -> tuple[bool, tuple[str, ...] | None]:
        """(is it a known variable, its declared type path or None)."""
        if name in scope.locals:
            return True, scope.locals[name]
        type_scope = scope.outer if scope.kind == "fn" else scope
        while type_scope is not None:
            if name in type_scope.fields:
                return True, type_scope.fields[name]
            type_scope = type_scope.outer
        return False, None

    def on_new(self, node, caps):
        body = next((c for c in node.named_children if c.type == "class_body"), None)
        scope = self.scope_of(node)
        if body is not None:
            self.scopes[body.id] = scope if scope.kind == "fn" else _Scope("local", outer=scope)
        scope = self.fn_scope(node)
        if scope is None:
            return
        path = _head_path(self, caps["reference.type"][0])
        if path:
            self.call(scope, path[-1], ("new", ".".join(path)), node)

    def on_constructor_call(self, node, caps):
        scope = self.fn_scope(node)
        if scope is None or scope.outer is None:
            return
        which = caps["reference.constructor"][0].type
        owner = scope.outer
        if which == "this":
            self.call(scope, owner.fqp.rsplit(".", 1)[-1], ("this",), node)
        elif which == "super" and owner.superclass:
            self.call(scope, owner.superclass[-1], ("new", ".".join(owner.superclass)), node)

    def on_method_ref(self, node, caps):
        scope = self.fn_scope(node)
        if scope is None or not node.named_children:
            return
        target = node.named_children[0]
        last = node.children[-1]
        if last.type == "new":
            if target.type == "array_type":
                return
            path = _head_path(self, target)
            if path:
                self.call(scope, path[-1], ("new", ".".join(path)))
            return
        if last.type != "identifier" or last == target:
            return
        self.call(scope, self.text(last), self.receiver(target, scope))

    # ---- types, generics, bounds ----

    def generics(self, node, owner_fqp: str, generics: dict[str, bytes], scope: _Scope) -> dict[str, bytes]:
        params = node.child_by_field_name("type_parameters")
        if params is None:
            return generics
        created = []
        for param in params.named_children:
            if param.type != "type_parameter":
                continue
            name_node = next((c for c in param.named_children if c.type in ("type_identifier", "identifier")), None)
            if name_node is None:
                continue
            name = self.text(name_node)
            g = self.add_node(NodeKind.GENERIC, name, f"{owner_fqp}.<{name}>", param, _strip_annotations(self, param))
            generics[name] = g.id
            self.generic_fqps[g.id] = g.fqp
            created.append((g.id, param))
        scope.generics = generics
        for g_id, param in created:
            bound = next((c for c in param.named_children if c.type == "type_bound"), None)
            if bound is None:
                continue
            for type_node in bound.named_children:
                path = _head_path(self, type_node)
                if path:
                    self.type_ref(path, g_id, EdgeKind.BOUND_BY, scope, "type")
        return generics

    def variable_type(self, type_node, scope: _Scope) -> tuple[str, ...] | None:
        """The declared type of a variable as a path, when calls on it can be resolved through it."""
        if type_node is None or type_node.type in ("integral_type", "floating_point_type", "boolean_type"):
            return None
        if type_node.type == "array_type":
            return ARRAY  # `a.clone()`, `a.length`: no workspace method
        path = _head_path(self, type_node)
        if not path or path == ("var",) or (len(path) == 1 and path[0] in scope.generics):
            return None
        return path

    def named_types(self, node) -> list[tuple[str, ...]]:
        """The named types a type expression mentions, in source order."""
        if node.type == "type_identifier":  # the common case, without running the query
            text = self.text(node)
            return [(text,)] if text != "var" else []
        found = []
        for t in sorted(self.types_cursor.captures(node).get("type", []), key=lambda n: n.start_byte):
            parent = t.parent
            if parent is not None:
                if parent.type == "scoped_type_identifier":
                    continue  # part of a path captured whole
                if (
                    parent.type == "generic_type"
                    and parent.parent is not None
                    and parent.parent.type == "scoped_type_identifier"
                    and parent.named_children[0] == t
                ):
                    continue  # `Outer` of `Outer<T>.Inner`
            path = _path_of(self.text(t))
            if path and path != ("var",):
                found.append(path)
        return found

    def type_refs(self, type_node, src: bytes, kind: EdgeKind, scope: _Scope) -> None:
        for path in self.named_types(type_node):
            self.type_ref(path, src, kind, scope, "type")

    def type_ref(self, path: tuple[str, ...], src: bytes, kind: EdgeKind, scope: _Scope, target: str) -> None:
        if len(path) == 1:
            generic = scope.generics.get(path[0])
            if generic is not None:
                if generic != src:
                    self.add_edge(src, kind, generic)
                return
            if target == "type" and kind in (EdgeKind.ACCEPTS, EdgeKind.RETURNS, EdgeKind.USES):
                self.implicit_outer_arguments(path[0], src, kind, scope)
        context = _type_context(scope)
        self.add_reference(Reference(kind, context, target, path, src=src))

    def implicit_outer_arguments(self, name: str, src: bytes, kind: EdgeKind, scope: _Scope) -> None:
        """`Itr` written inside `ArrayBlockingQueue<E>`, where Itr is an inner (non-static) class, is
        `ArrayBlockingQueue<E>.Itr`: the reference depends on the enclosing instance's type parameters too (javac
        writes them in the signature). Only from an instance context: a static method or nested type stops it."""
        current: _Scope | None = scope
        while current is not None:
            if current.kind == "type" and name in current.inner:
                level: _Scope | None = current  # its own parameters, then its outer instance's
                while level is not None:
                    outer = level.outer.generics if level.outer is not None else {}
                    for param, g_id in level.generics.items():
                        if outer.get(param) != g_id and g_id != src:
                            self.add_edge(src, kind, g_id)
                    if level.is_static:
                        break
                    level = level.outer
                return
            if current.is_static:
                return
            current = current.outer

    # ---- text ----

    def head(self, node, body) -> str:
        return _strip_annotations(self, node, body)


def _has_modifier(node, word: str) -> bool:
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    return modifiers is not None and any(c.type == word for c in modifiers.children)


def _inner_classes(extraction: FileExtraction, node) -> frozenset[str]:
    """The simple names of a class body's inner classes: member classes without `static` (interfaces, enums,
    records and annotation types are implicitly static). A member of an interface is static."""
    if node.type != "class_declaration":
        return frozenset()
    body = node.child_by_field_name("body")
    names = []
    for member in body.named_children if body is not None else ():
        if member.type == "class_declaration" and not _has_modifier(member, "static"):
            name = member.child_by_field_name("name")
            if name is not None:
                names.append(extraction.text(name))
    return frozenset(names)


def _invokes_constructor(body) -> bool:
    """Whether a constructor body starts with `this(...)` or `super(...)`."""
    if body is None:
        return True
    first = next((c for c in body.named_children if c.type not in ("line_comment", "block_comment")), None)
    return first is not None and first.type == "explicit_constructor_invocation"


def _invokes_this(body) -> bool:
    """Whether a constructor body starts with `this(...)`."""
    if body is None:
        return False
    first = next((c for c in body.named_children if c.type not in ("line_comment", "block_comment")), None)
    if first is None or first.type != "explicit_constructor_invocation":
        return False
    constructor = first.child_by_field_name("constructor")
    return constructor is not None and constructor.type == "this"


def _type_context(scope: _Scope | None) -> str:
    """The FQP of the innermost type around a scope ("" at file level): the `scope` of its references."""
    while scope is not None and scope.kind != "type":
        scope = scope.outer
    return scope.fqp if scope is not None else ""


def _encoded(expr: Expr | None) -> str:
    """An argument whose type only inference can tell, as a path segment ("" when unknown)."""
    return infer.encode(expr) if expr is not None else ""


def _type_text(extraction: FileExtraction, type_node) -> str:
    """A declared type's text as inference reads it: annotations dropped, white space folded."""
    text = extraction.text(type_node)
    if "@" in text:
        text = re.sub(r"@[\w.$]+(?:\([^)]*\))?", " ", text)
    return " ".join(text.split())


def _generic_in_scope(text: str, scope: _Scope) -> bytes | None:
    """The G node of a type parameter in scope that a type's text names, or None."""
    current: _Scope | None = scope
    while current is not None:
        if text in current.generics:
            return current.generics[text]
        current = current.outer
    return None


def _field_type(scope: _Scope, name: str) -> tuple[str, ...] | None:
    type_scope = scope.outer if scope.kind == "fn" else scope
    while type_scope is not None:
        if name in type_scope.fields:
            return type_scope.fields[name]
        type_scope = type_scope.outer
    return None


def _at_top(node) -> bool:
    """Whether a package or import declaration stands where javac reads one: at the top of the file, or in an error
    there (the grammar also takes `import a.B;` inside a block, which javac refuses: it imports nothing)."""
    parent = node.parent
    while parent is not None:
        if parent.type not in ("program", "ERROR"):
            return False
        parent = parent.parent
    return True


def _document_order(matches):
    """Query matches sorted so that a declaration comes before what it encloses."""

    def key(match):
        nodes = [n for captured in match[1].values() for n in captured]
        return (min(n.start_byte for n in nodes), -max(n.end_byte for n in nodes))

    return sorted(matches, key=key)


def _strip_annotations(extraction: FileExtraction, node, body=None) -> str:
    """A declaration's head: its text up to the body, without annotations, whitespace folded, no trailing `;`."""
    end = body.start_byte if body is not None else node.end_byte
    cuts = []
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    for holder in (modifiers, node):
        if holder is None:
            continue
        for child in holder.children:
            if child.type in ("marker_annotation", "annotation", "line_comment", "block_comment"):
                cuts.append((child.start_byte, child.end_byte))
    text = fold_whitespace(_cut(extraction.source, node.start_byte, end, cuts).decode("utf-8", "replace"))
    return text.rstrip(";").rstrip()


def _visibility(node) -> str | None:
    modifiers = next((c for c in node.children if c.type == "modifiers"), None)
    if modifiers is None:
        return None
    for child in modifiers.children:
        if child.type in ("public", "protected", "private"):
            return child.type
    return None


def _path_of(text: str) -> tuple[str, ...]:
    """`java.util.Map.Entry<K, V>` → ("java", "util", "Map", "Entry"); annotations and generic arguments dropped."""
    words = []
    for part in strip_generics(text).split("."):
        part = " ".join(w for w in part.split() if not w.startswith("@")).strip()
        if part:
            words.append(part.split()[-1])
    return tuple(words)


def _head_path(extraction: FileExtraction, node) -> tuple[str, ...]:
    """The path of the named type at the head of a type expression (`List<Foo>` gives `List`)."""
    while node is not None:
        kind = node.type
        if kind in ("type_identifier", "identifier", "scoped_type_identifier", "scoped_identifier", "field_access"):
            return _path_of(extraction.text(node))
        if kind == "generic_type" or kind == "annotated_type":
            named = [
                c for c in node.named_children if c.type not in ("type_arguments", "marker_annotation", "annotation")
            ]
            node = named[0] if named else None
        else:
            return ()
    return ()


ITEM_CACHE = True  # extract() takes a per-file cache: items that did not change are not extracted again
ITEM_CACHE_MIN_BYTES = 2500  # smaller files are read whole (as TypeScript's)


def _container_body(node):
    """Where a container's members are: its body, or (an enum's `enum_body_declarations`) the node itself."""
    return node if node.type == "enum_body_declarations" else node.child_by_field_name("body")


# the declarations whose members are items of their own (an enum's are in its `enum_body_declarations`)
_CONTAINERS: dict = dict.fromkeys(
    (
        "class_declaration",
        "record_declaration",
        "interface_declaration",
        "annotation_type_declaration",
        "enum_declaration",
        "enum_body_declarations",
    ),
    _container_body,
)
_CUT = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "compact_constructor_declaration",
        "line_comment",
        "block_comment",
    }
)


def _outline(top, source: bytes) -> bytes:
    """The text of ``top`` (the file's root, or a type) without its types' methods, constructors and comments, each
    cut with the whitespace before it: what an item's facts may depend on besides its own text (fields and their
    types, type parameters, supertypes, inner classes). A method reads nothing of another method, and an item's
    comments are in its own text, so an edit of a method (its body or its signature), a new method or a comment
    leaves every other item's key as it was."""
    cuts: list[tuple[int, int]] = []
    stack = [top] if top.type not in _CONTAINERS else [_container_body(top) or top]
    while stack:
        node = stack.pop()
        previous_end = node.start_byte
        for child in node.children:
            kind = child.type
            if kind in _CUT:
                cuts.append((previous_end, child.end_byte))
            elif kind in _CONTAINERS:
                body = _container_body(child)
                if body is not None:
                    stack.append(body)
            previous_end = child.end_byte
    return _cut(source, top.start_byte, top.end_byte, cuts)


def _cut(source: bytes, start: int, end: int, cuts: list[tuple[int, int]]) -> bytes:
    """The source from ``start`` to ``end`` without the byte ranges ``cuts`` (in any order, overlapping or not)."""
    parts = []
    position = start
    for cut_start, cut_end in sorted(cuts):
        if cut_start >= end:
            break
        parts.append(source[position:cut_start])
        position = max(position, cut_end)
    parts.append(source[position:end])
    return b"".join(parts)


def extract(
    path: str,
    source: bytes,
    tree: tree_sitter.Tree,
    layout: JavaLayout,
    content_hash: bytes,
    lang: str = LANG,
    cache: dict | None = None,
) -> FileFacts:
    return JavaExtraction(path, lang, source, tree, content_hash, layout).run(cache)


# ---- resolution ---------------------------------------------------------------------------------------------


class _Resolver:
    """Answers one file's references; memoizes within one resolution pass (one ``SymbolView``)."""

    __slots__ = ("view", "memo")

    def __init__(self, view: SymbolView) -> None:
        self.view = view
        self.memo: dict[tuple, Any] = {}

    @property
    def types(self) -> "_JavaTypes":
        """Receiver inference's view of Java types, kept in the view's memo (not here: resolver and types refer to
        each other, and a cycle through the memo is broken when the graph clears it after the question)."""
        types = self.view.memo.get(_JavaTypes)
        if types is None:
            types = self.view.memo[_JavaTypes] = _JavaTypes(self)
        return types  # type: ignore[return-value]

    # ---- lookups (Java nodes only: another language may use the same dotted FQPs) ----

    def lookup(self, fqp: str, kinds: frozenset[NodeKind]) -> list[bytes]:
        view = self.view
        ids = view.lookup(fqp, kinds)
        if not ids:
            return ids
        return [i for i in ids if view.node(i).lang == LANG and not view.node(i).external]

    def file_record(self, file_key: str) -> dict[str, str]:
        return self.view.imports(file_key)

    # ---- types ----

    def type_path(self, path: tuple[str, ...], context: str, file_key: str, target: str = "type") -> Target | None:
        key = ("t", path, context, file_key, target)
        memo = self.memo
        if key in memo:
            return memo[key]
        memo[key] = None  # cycle guard
        found = self._type_path(path, context, file_key, target)
        memo[key] = found
        return found

    def _type_path(self, path, context, file_key, target) -> Target | None:
        record = self.file_record(file_key)
        package = record.get("package", "")
        first = path[0]
        head = self.simple_type(first, context, file_key, record, package)
        rest = path[1:]
        if not rest:
            if head is not None:
                return head
            return _external(first, target, Resolution.HEURISTIC, 0)
        if head is not None and head.ids:
            fqp = self.view.node(head.ids[0]).fqp
            member = self.member_type(fqp, rest)
            if member is not None:
                return Target(member, head.resolution)
        full = ".".join(path)
        ids = self.lookup(full, TYPE_KINDS)
        if ids:
            return Target(ids, Resolution.EXACT)
        if head is not None and head.external_fqp is not None:
            return _external(head.external_fqp + "." + ".".join(rest), target, head.resolution)
        if head is not None and head.ids:
            return _external(self.view.node(head.ids[0]).fqp + "." + ".".join(rest), target, Resolution.EXACT)
        if first[:1].islower():
            return _external(full, target, Resolution.EXACT)
        return _external(full, target, Resolution.HEURISTIC, 0)

    def member_type(self, fqp: str, rest: tuple[str, ...]) -> list[bytes]:
        for name in rest:
            ids = self.lookup(f"{fqp}.{name}", TYPE_KINDS) or self.inherited_type(fqp, name, 0)
            if not ids:
                return []
            fqp = self.view.node(ids[0]).fqp
        return ids

    def simple_type(
        self, name: str, context: str, file_key: str, record: dict[str, str], package: str
    ) -> Target | None:
        """A one-segment type name, or None when only a guess is left."""
        for owner in _class_chain(context, package):
            ids = self.lookup(f"{owner}.{name}", TYPE_KINDS) or self.inherited_type(owner, name, 0)
            if ids:
                return Target(ids, Resolution.EXACT)
        imported = record.get(name) if name != "package" else None
        if imported is not None:
            ids = self.lookup(imported, TYPE_KINDS)
            if ids:
                return Target(ids, Resolution.IMPORT)
            return Target([], Resolution.IMPORT, external_fqp=imported, external_kind=_known_kind(imported))
        # `import static java.util.concurrent.Flow.Subscriber;`: a static import also imports member types
        static_key = STATIC_KEY + file_key[len(FILE_KEY) :]
        imported = self.view.imports(static_key).get(name)
        if imported is not None:
            ids = self.lookup(imported, TYPE_KINDS)
            if ids:
                return Target(ids, Resolution.IMPORT)
        ids = self.lookup(f"{package}.{name}" if package else name, TYPE_KINDS)
        if ids:
            return Target(ids, Resolution.EXACT)
        globs = self.view.globs(file_key)
        for glob in globs:
            ids = self.lookup(f"{glob}.{name}", TYPE_KINDS)
            if ids:
                return Target(ids, Resolution.IMPORT)
        for glob in self.view.globs(static_key):  # `import static a.Outer.*;`
            ids = self.lookup(f"{glob}.{name}", TYPE_KINDS)
            if ids:
                return Target(ids, Resolution.IMPORT)
        ids = self.lookup(f"java.lang.{name}", TYPE_KINDS)
        if ids:
            return Target(ids, Resolution.IMPORT)
        if name in JAVA_LANG:
            return Target([], Resolution.IMPORT, external_fqp=f"java.lang.{name}", external_kind=JAVA_LANG[name])
        for glob in globs:
            kind = WELL_KNOWN.get(glob, {}).get(name)
            if kind is not None:
                return Target([], Resolution.IMPORT, external_fqp=f"{glob}.{name}", external_kind=kind)
        return None

    def supertypes(self, fqp: str) -> list[str]:
        """FQPs of a workspace type's supertypes that are in the workspace, superclass first."""
        key = ("s", fqp)
        memo = self.memo
        if key in memo:
            return memo[key]
        memo[key] = []  # cycle guard
        record = self.view.imports(TYPE_KEY + fqp)
        found: list[str] = []
        file_key = record.get("file")
        if file_key:
            outer = fqp.rsplit(".", 1)[0] if "." in fqp else ""
            package = self.file_record(file_key).get("package", "")
            context = outer if outer != package and len(outer) > len(package) else ""
            names = [record["extends"]] if "extends" in record else []
            names += record.get("implements", "").split("\n") if "implements" in record else []
            for name in names:
                target = self.type_path(tuple(name.split(".")), context, file_key)
                if target is not None and target.ids:
                    for node_id in target.ids:
                        super_fqp = self.view.node(node_id).fqp
                        if super_fqp != fqp and super_fqp not in found:
                            found.append(super_fqp)
        memo[key] = found
        return found

    def argument_closure(self, arg: str, where) -> tuple[str, frozenset[str] | None]:
        """An argument's simple type name, and when it is a workspace type whose supertypes are all in the workspace,
        the simple names of it and all its supertypes (what it can be passed as); None when that is open."""
        ty: Ty | None = None
        if arg.startswith(infer.EXPR_PREFIX):
            ty = infer.inference(self.types, self.view).value(infer.decode(arg), where)
            if ty is None or ty.fqp == infer.OPAQUE.fqp:
                return "", None
            if ty.fqp == infer.ARRAY:
                element = ty.arg(0)
                return (element.name + "[]" if element is not None and element.fqp != infer.OPAQUE.fqp else ""), None
            arg = ty.name
        elif arg and arg[0].isupper() and not arg.endswith("]") and arg not in _UNBOXES and arg != "String":
            ty = self.types.type_named(arg, where)
        if ty is None or ty.external:
            return arg, None
        return arg, self.closure(ty.fqp)

    def outside_arguments_fit(self, closures, params: list[str] | None, fn: Node, where) -> bool:
        """An argument of a type outside the workspace cannot be passed for a parameter of a workspace type (no
        outside type extends one of ours)."""
        if params is None:
            return True
        context = (fn.fqp.rsplit(".", 1)[0], FILE_KEY + (fn.file or ""))
        for i, (name, names) in enumerate(closures):
            if i >= len(params) or (params[-1].endswith("[]") and i >= len(params) - 1):
                break
            param = params[i]
            if (
                names is not None
                or not name
                or not name[0].isupper()
                or name.endswith("]")
                or name == param
                or not param[:1].isupper()
                or param.endswith("]")
                or _TYPE_VARIABLE.match(param)
            ):
                continue
            arg_ty = self.types.type_named(name, where)
            if arg_ty is None or not arg_ty.external:
                continue
            param_ty = self.types.type_named(param, context)
            if param_ty is not None and not param_ty.external:
                return False
        return True

    def closure(self, fqp: str) -> frozenset[str] | None:
        """The simple names of a workspace type and all its supertypes; None when one of them is outside the
        workspace (its own supertypes are unknown)."""
        key = ("closure", fqp)
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None
        names: set[str] = set()
        todo, seen = [fqp], set()
        found: frozenset[str] | None = None
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            names.add(current.rsplit(".", 1)[-1])
            record = self.view.imports(TYPE_KEY + current)
            written = ([record["extends"]] if "extends" in record else []) + (
                record["implements"].split("\n") if "implements" in record else []
            )
            parents = self.supertypes(current)
            if len(parents) < len(written) or len(seen) > 4 * MAX_SUPER_DEPTH:
                break
            todo.extend(parents)
        else:
            found = frozenset(names)
        self.memo[key] = found
        return found

    def superclass(self, fqp: str) -> str | None:
        """The FQP of a workspace class's superclass when it is in the workspace, else None (none written, or an
        external one, whose methods are not ours)."""
        record = self.view.imports(TYPE_KEY + fqp)
        written = record.get("extends")
        file_key = record.get("file")
        if not written or not file_key:
            return None
        outer = fqp.rsplit(".", 1)[0] if "." in fqp else ""
        package = self.file_record(file_key).get("package", "")
        context = outer if outer != package and len(outer) > len(package) else ""
        target = self.type_path(tuple(written.split(".")), context, file_key)
        if target is None or not target.ids:
            return None
        return self.view.node(target.ids[0]).fqp

    def inherited_type(self, owner: str, name: str, depth: int) -> list[bytes]:
        if depth > MAX_SUPER_DEPTH:
            return []
        for parent in self.supertypes(owner):
            ids = self.lookup(f"{parent}.{name}", TYPE_KINDS) or self.inherited_type(parent, name, depth + 1)
            if ids:
                return ids
        return []

    # ---- methods ----

    def methods_named(self, owner: str, name: str) -> list[bytes]:
        """Every method named `name` that a workspace type has: its own, then its supertypes' that no method of the
        same parameter types hides (the candidates of overload resolution)."""
        key = ("all", owner, name)
        memo = self.memo
        if key in memo:
            return memo[key]
        memo[key] = []
        found: list[bytes] = []
        seen_params: set[tuple[str, ...]] = set()
        todo = [owner]
        visited: set[str] = set()
        while todo and len(visited) <= 4 * MAX_SUPER_DEPTH:
            current = todo.pop(0)
            if current in visited:
                continue
            visited.add(current)
            for node_id in self.lookup(f"{current}.{name}", FN_KINDS):
                params = tuple(_parameter_types(self.view.node(node_id).signature) or ())
                if params not in seen_params:
                    seen_params.add(params)
                    found.append(node_id)
            todo.extend(self.supertypes(current))
        memo[key] = found
        return found

    def method_in(self, owner: str, name: str, depth: int = 0) -> list[bytes]:
        """Methods named `name` of a workspace type or, failing that, of its nearest supertype that has them."""
        key = ("m", owner, name)
        memo = self.memo
        if key in memo:
            return memo[key]
        memo[key] = []
        ids = self.lookup(f"{owner}.{name}", FN_KINDS)
        if not ids and depth <= MAX_SUPER_DEPTH:
            for parent in self.supertypes(owner):
                ids = self.method_in(parent, name, depth + 1)
                if ids:
                    break
        memo[key] = ids
        return ids

    def call(self, ref: Reference, facts: FileFacts) -> Target | None:
        """ISG-SPEC §1 Clarifications: an overloaded call is resolved by argument count, then by the argument types
        the call site declares; when that leaves several candidates the edge is `heuristic` with their count."""
        found = self._call(ref, FILE_KEY + facts.path)
        if found is None or not found.ids or len(ref.path) < 2 or not ref.path[1]:
            if found is not None and len(found.ids) > 1:
                return Target(found.ids, Resolution.HEURISTIC, len(found.ids))
            return found
        arity = int(ref.path[1])
        args = ref.path[2:]
        signatures = {i: self.view.node(i).signature for i in found.ids}
        fitting = [i for i in found.ids if _accepts_arity(signatures[i], arity)]
        if not fitting:
            return None  # none of ours takes that many arguments: an outside overload's call
        if len(fitting) > 1 and any(args):
            where = (ref.scope, FILE_KEY + facts.path)
            closures = tuple(self.argument_closure(a, where) for a in args)
            args = tuple(name for name, _ in closures)
            params = {i: _parameter_types(signatures[i]) for i in fitting}
            typed = [
                i
                for i in fitting
                if _arguments_fit(args, params[i])
                and _arguments_fit_hierarchy(closures, params[i])
                and self.outside_arguments_fit(closures, params[i], self.view.node(i), where)
            ]
            if typed:
                fitting = typed
            exact = [i for i in fitting if _arguments_match_exactly(args, params[i], arity)]
            if len(exact) == 1:
                fitting = exact
        if len(fitting) == 1:
            return Target(fitting, found.resolution, found.candidates and 1)
        return Target(fitting, Resolution.HEURISTIC, len(fitting))

    def _call(self, ref: Reference, file_key: str) -> Target | None:
        name = ref.path[0]
        receiver = ref.receiver
        context = ref.scope
        if receiver is None:  # foo(): the enclosing classes, then static imports
            package = self.file_record(file_key).get("package", "")
            for enclosing in _class_chain(context, package):
                ids = self.methods_named(enclosing, name)
                if ids:
                    return Target(ids, Resolution.EXACT)
            static_key = STATIC_KEY + file_key[len(FILE_KEY) :]
            imported = self.view.imports(static_key).get(name)
            if imported is not None:
                ids = self.lookup(imported, FN_KINDS)
                if ids:
                    return Target(ids, Resolution.IMPORT)
            for glob in self.view.globs(static_key):
                ids = self.lookup(f"{glob}.{name}", FN_KINDS)
                if ids:
                    return Target(ids, Resolution.IMPORT)
            return None
        how = receiver[0] if receiver else ""
        if how == "array":  # an array's methods are Object's: none of ours
            return None
        if how == infer.MARK:  # an expression: its type, inferred (infer.py)
            outcome, ty, fns = infer.inference(self.types, self.view).methods_of(receiver, (context, file_key), name)
            if outcome == Outcome.UNKNOWN:
                return self.by_name(name, ref.path[1] if len(ref.path) > 1 else "")
            if not fns:
                return None
            return Target([fn.id for fn in fns], ty.resolution if ty is not None else Resolution.EXACT)
        if how == "this":
            ids = self.methods_named(context, name) if context else []
            return Target(ids, Resolution.EXACT) if ids else None
        if how == "super":  # the superclass's (javac's invokespecial)
            superclass = self.superclass(context) if context else None
            ids = self.methods_named(superclass, name) if superclass else []
            return Target(ids, Resolution.EXACT) if ids else None
        if how in ("type", "var", "new"):
            owner = self.type_path(tuple(receiver[1].split(".")), context, file_key)
            if owner is None or not owner.ids:
                if how == "var" and owner is not None and owner.external_fqp is None:
                    return self.by_name(name, ref.path[1] if len(ref.path) > 1 else "")
                return None  # a type outside the workspace: no guess
            ids = []
            for type_id in owner.ids:
                fqp = self.view.node(type_id).fqp
                found = self.lookup(f"{fqp}.{name}", FN_KINDS) if how == "new" else self.methods_named(fqp, name)
                ids.extend(i for i in found if i not in ids)
            if not ids:
                return None
            return Target(ids, Resolution.IMPORT if owner.resolution is Resolution.IMPORT else Resolution.EXACT)
        return self.by_name(name, ref.path[1] if len(ref.path) > 1 else "")

    def by_name(self, name: str, arity: str) -> Target | None:
        """A call on a receiver of unknown type: every same-named method that takes as many arguments, when there are
        at most 5."""
        candidates = [n for n in self.view.by_name(name, FN_KINDS, "java") if not n.external]
        if arity:
            candidates = [n for n in candidates if _accepts_arity(n.signature, int(arity))]
        if 1 <= len(candidates) <= MAX_HEURISTIC_CANDIDATES:
            return Target([n.id for n in candidates], Resolution.HEURISTIC, len(candidates))
        return None


# ---- receiver types (infer.py) -----------------------------------------------------------------------------

_MODIFIERS = frozenset(
    {
        "public",
        "protected",
        "private",
        "static",
        "final",
        "abstract",
        "synchronized",
        "native",
        "default",
        "strictfp",
        "transient",
        "volatile",
        "sealed",
        "non-sealed",
    }
)
_ELEMENT_METHODS = frozenset(
    {
        "get",
        "getFirst",
        "getLast",
        "peek",
        "peekFirst",
        "peekLast",
        "poll",
        "pollFirst",
        "pollLast",
        "pop",
        "take",
        "element",
        "first",
        "last",
        "next",
        "previous",
        "nextElement",
        "removeFirst",
        "removeLast",
        "floor",
        "ceiling",
        "higher",
        "lower",
    }
)
_MAPS = frozenset(
    {
        "Map",
        "HashMap",
        "TreeMap",
        "LinkedHashMap",
        "ConcurrentMap",
        "ConcurrentHashMap",
        "SortedMap",
        "NavigableMap",
        "ConcurrentNavigableMap",
        "ConcurrentSkipListMap",
        "WeakHashMap",
        "IdentityHashMap",
        "EnumMap",
        "Hashtable",
    }
)
_MAP_VALUE_METHODS = frozenset(
    {
        "get",
        "remove",
        "put",
        "getOrDefault",
        "putIfAbsent",
        "replace",
        "compute",
        "computeIfAbsent",
        "computeIfPresent",
        "merge",
    }
)
_HOLDERS = frozenset(
    {
        "Optional",
        "Future",
        "CompletableFuture",
        "FutureTask",
        "ForkJoinTask",
        "AtomicReference",
        "ThreadLocal",
        "InheritableThreadLocal",
        "Supplier",
        "Callable",
        "Reference",
        "WeakReference",
        "SoftReference",
        "ScheduledFuture",
        "RunnableFuture",
        "RunnableScheduledFuture",
    }
)
_FUNCTIONS = frozenset(
    {"Function", "BiFunction", "UnaryOperator", "BinaryOperator", "IntFunction", "LongFunction", "DoubleFunction"}
)
_HOLDER_METHODS = frozenset(
    {
        "get",
        "orElse",
        "orElseThrow",
        "orElseGet",
        "join",
        "getNow",
        "call",
        "getPlain",
        "getAcquire",
        "getOpaque",
        "resultNow",
        "getRawResult",
        "invoke",
    }
)


class _JavaTypes:
    """Java's side of receiver inference (infer.TypeSystem): a type is read where it is written, as (the FQP of the
    class around it, the file key whose imports name it)."""

    nullish: frozenset[str] = frozenset()
    self_type = ""

    def __init__(self, resolver: _Resolver) -> None:
        self.resolver = resolver
        self.view = resolver.view

    def normalize(self, text: str) -> str:
        if "@" in text:
            text = re.sub(r"@[\w.$]+(?:\([^)]*\))?", " ", text)
        text = text.replace("...", "[]").replace("? extends ", "").replace("? super ", "?")
        words = text.split()
        while words and words[0] in ("final",):
            words.pop(0)
        text = " ".join(words)
        if ">." in text:  # `Outer<K, V>.Inner` is Inner
            text = re.sub(r"<[^<>]*>\.", ".", text)
        return text.replace("[ ]", "[]")

    def type_named(self, path: str, where) -> Ty | None:
        context, file_key = where
        target = self.resolver.type_path(tuple(path.split(".")), context, file_key)
        if target is None:
            return None
        if target.ids:
            return Ty(self.view.node(target.ids[0]).fqp, False, (), target.resolution)
        if target.external_fqp is None or target.resolution is Resolution.HEURISTIC:
            return None  # a name nothing places (a type parameter, a primitive)
        return Ty(target.external_fqp, True, (), target.resolution)

    def bounds(self, ty: Ty) -> list[Ty]:
        """The workspace types a type parameter (a G node) is bounded by."""
        nodes = [self.view.node(i) for i in self.view.lookup(ty.fqp, frozenset({NodeKind.GENERIC}))]
        found: list[Ty] = []
        for node in nodes:
            owner = ty.fqp[: ty.fqp.rfind(".<")]
            context = owner if self.resolver.lookup(owner, TYPE_KINDS) else owner.rsplit(".", 1)[0]
            _, _, bound = node.signature.partition(" extends ")
            for part in bound.split("&"):
                path = _path_of(part)
                bound_ty = self.type_named(".".join(path), (context, FILE_KEY + (node.file or ""))) if path else None
                if bound_ty is not None and bound_ty not in found:
                    found.append(bound_ty)
        return found

    def methods(self, ty: Ty, name: str) -> list[Node]:
        if ty.fqp.endswith(">") and ".<" in ty.fqp:  # a type parameter: its bounds' methods
            fns: list[Node] = []
            for bound in self.bounds(ty):
                if not bound.external:
                    fns.extend(fn for fn in self.methods(bound, name) if fn not in fns)
            return fns
        return [self.view.node(i) for i in self.resolver.methods_named(ty.fqp, name)]

    def returns(self, fn: Node) -> Declared | None:
        signature = fn.signature
        match = re.search(r"(?<![\w$])" + re.escape(fn.name) + r"\s*\(", signature)
        if match is None:
            return None
        words = signature[: match.start()].strip()
        while True:
            first, _, rest = words.partition(" ")
            if first in _MODIFIERS:
                words = rest.strip()
            else:
                break
        generics: frozenset[str] = frozenset()
        if words.startswith("<"):
            depth = 0
            for i, ch in enumerate(words):
                depth += 1 if ch == "<" else -1 if ch == ">" else 0
                if depth == 0:
                    generics = frozenset(infer.type_parameters("f" + words[: i + 1], "f"))
                    words = words[i + 1 :].strip()
                    break
        if not words or words == "void":
            return None
        owner = fn.fqp.rsplit(".", 1)[0]
        return Declared(words, (owner, FILE_KEY + (fn.file or "")), generics, owner)

    def field(self, ty: Ty, name: str) -> Declared | None:
        entry = infer.field_entry(name)
        todo = [ty.fqp]
        seen: set[str] = set()
        while todo and len(seen) <= 4 * MAX_SUPER_DEPTH:
            fqp = todo.pop(0)
            if fqp in seen:
                continue
            seen.add(fqp)
            text = self.view.imports(infer.fields_key(LANG, fqp)).get(entry)
            if text is not None:
                file_key = self.view.imports(TYPE_KEY + fqp).get("file", "")
                return Declared(text, (fqp, file_key), frozenset(), fqp)
            todo.extend(self.resolver.supertypes(fqp))
        return None

    def call_value(self, path: str, arity: int | None, where, inference: infer.Inference) -> Ty | None:
        context, file_key = where
        qualifier, _, name = path.rpartition(".")
        ref = Reference(
            EdgeKind.CALLS,
            context,
            "fn",
            (name, "" if arity is None else str(arity)),
            receiver=("type", qualifier) if qualifier else None,
        )
        target = self.resolver._call(ref, file_key)
        if target is None or not target.ids:
            if qualifier:  # `Thread.currentThread()`: a type outside
                owner = self.type_named(qualifier, where)
                if owner is not None and owner.external:
                    return infer.OPAQUE
            return None
        fns = [self.view.node(i) for i in target.ids]
        if arity is not None:
            fns = [fn for fn in fns if _accepts_arity(fn.signature, arity)]
        return inference.returned(fns)

    def external_method(self, ty: Ty, name: str) -> Ty | None:
        kind = ty.name
        if kind in _MAPS:
            if name in _MAP_VALUE_METHODS:
                return ty.arg(1)
            if name == "keySet" or name == "navigableKeySet":
                return Ty("java.util.Set", True, (ty.arg(0),))
            if name == "values":
                return Ty("java.util.Collection", True, (ty.arg(1),))
            if name == "entrySet":
                return Ty("java.util.Set", True, (Ty("java.util.Map.Entry", True, ty.args[:2]),))
            return None
        if kind == "Entry":
            return ty.arg(0) if name == "getKey" else ty.arg(1) if name == "getValue" else None
        if kind in _HOLDERS:
            return ty.arg(0) if name in _HOLDER_METHODS else None
        if kind in infer.CONTAINERS:
            if name in _ELEMENT_METHODS:
                return ty.arg(0)
            if name in ("iterator", "listIterator", "descendingIterator"):
                return Ty("java.util.Iterator", True, (ty.arg(0),))
        if kind in _FUNCTIONS and name in ("apply", "applyAsLong", "applyAsInt", "applyAsDouble"):
            return ty.args[-1] if ty.args else None  # `Function<A, R>.apply` gives R
        if name in ("toString", "name", "getName", "getSimpleName") and ty.fqp != infer.OPAQUE.fqp:
            return Ty("java.lang.String", True)
        return infer.OPAQUE  # a method outside the workspace: its value too

    def element(self, ty: Ty, inference: infer.Inference) -> Ty | None:
        """`for (X x : xs)` over a workspace type: the element of what its `iterator()` returns."""
        if ty.external:
            return None
        iterator = inference.call(ty, "iterator", 0)
        return iterator.arg(0) if iterator is not None and iterator.external else None

    def type_parameters(self, type_fqp: str) -> tuple[str, ...]:
        for node_id in self.resolver.lookup(type_fqp, TYPE_KINDS):
            node = self.view.node(node_id)
            return infer.type_parameters(node.signature, node.name)
        return ()

    def accepts(self, fn: Node, arity: int) -> bool:
        return _accepts_arity(fn.signature, arity)


def _resolver(view: SymbolView) -> _Resolver:
    """One resolver per resolution pass (per view): its memo is only valid while the graph does not change."""
    current = view.memo.get(_Resolver)
    if current is None:
        current = view.memo[_Resolver] = _Resolver(view)
    return current  # type: ignore[return-value]


def resolve(ref: Reference, view: SymbolView, facts: FileFacts) -> tuple[Target | None, Target | None]:
    resolver = _resolver(view)
    if ref.src_path is not None:  # package → sub-package
        ids = resolver.lookup(".".join(ref.src_path[1:]), MODULE_KINDS)
        return (Target(ids, Resolution.EXACT) if ids else None), None
    if ref.dst is not None:
        return None, None
    if ref.target == "fn":
        return None, resolver.call(ref, facts)
    if ref.target == "implicit":  # a call the compiler writes: never guessed
        outcome, _, fns = infer.inference(resolver.types, view).methods_of(
            ref.receiver or (), (ref.scope, FILE_KEY + facts.path), ref.path[0]
        )
        fns = [fn for fn in fns if _accepts_arity(fn.signature, int(ref.path[1]))]
        return None, (Target([fn.id for fn in fns], Resolution.EXACT) if len(fns) == 1 else None)
    return None, resolver.type_path(ref.path, ref.scope, FILE_KEY + facts.path, ref.target)


def _class_chain(context: str, package: str) -> list[str]:
    """The FQPs of the classes around a context, innermost first: `p.A.B` → [`p.A.B`, `p.A`]."""
    if not context:
        return []
    prefix = package + "." if package else ""
    if package and not context.startswith(prefix):
        return []
    names = context[len(prefix) :].split(".")
    return [prefix + ".".join(names[:i]) for i in range(len(names), 0, -1)]


def _accepts_arity(signature: str, arity: int) -> bool:
    """Whether a method whose signature is this can take `arity` arguments (overloads are told apart by it)."""
    close = signature.rfind(")")
    if close == -1:
        return True
    depth = 0
    start = -1
    for i in range(close, -1, -1):
        ch = signature[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                start = i
                break
    if start == -1:
        return True
    inner = signature[start + 1 : close].strip()
    if not inner:
        return arity == 0
    depth = 0
    count = 1
    for ch in inner:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        elif ch == "," and depth == 0:
            count += 1
    if "..." in inner:
        return arity >= count - 1
    return arity == count


def _simple_type_name(text: str) -> str:
    """A type as overloads are told apart here: generics, annotations and packages dropped, arrays kept
    (`final java.util.List<String>` → `List`, `int...` → `int[]`)."""
    depth, out = 0, []
    for ch in text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    flat = re.sub(r"@[\w.$]+(?:\([^)]*\))?", " ", "".join(out)).replace("...", "[]")
    words = [w for w in flat.replace("[", " [").split() if w != "final"]
    base = next((w for w in words if not w.startswith("[")), "")
    dims = "".join(w for w in words if w.startswith("[")).replace(" ", "")
    return base.rsplit(".", 1)[-1] + dims


def _parameter_types(signature: str) -> list[str] | None:
    """The simple type names of a method signature's parameters (`f(final List<T> xs, int... n)` → [List, int[]]);
    None when the signature has no parameter list."""
    close = signature.rfind(")")
    start = -1
    depth = 0
    for i in range(close, -1, -1):
        ch = signature[i]
        if ch == ")":
            depth += 1
        elif ch == "(":
            depth -= 1
            if depth == 0:
                start = i
                break
    if close == -1 or start == -1:
        return None
    inner = signature[start + 1 : close]
    parts, depth = [], 0
    current: list[str] = []
    for ch in inner:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current))
    types = []
    for part in parts:
        part = part.strip()
        name = re.search(r"\s*[\w$]+((?:\s*\[\s*\])*)\s*$", part)
        if name is not None and name.start() > 0:
            part = part[: name.start()] + name.group(1)  # drop the parameter's name (keep `x[]`'s brackets)
        types.append(_simple_type_name(part))
    return types


_PRIMITIVES = frozenset({"byte", "short", "char", "int", "long", "float", "double", "boolean"})
_NUMERIC = _PRIMITIVES - {"boolean"}
_CONSTANTS = {
    f"{box}.{end}": prim
    for box, prim in (("Integer", "int"), ("Long", "long"), ("Short", "short"), ("Byte", "byte"), ("Character", "char"))
    for end in ("MAX_VALUE", "MIN_VALUE")
}
# final classes of java.lang: nothing else can be passed for them
_FINAL = frozenset(
    {
        "String",
        "Integer",
        "Long",
        "Short",
        "Byte",
        "Character",
        "Boolean",
        "Double",
        "Float",
        "Class",
        "StringBuilder",
        "StringBuffer",
        "Void",
        "Math",
        "System",
    }
)
_WIDENING = {
    "byte": {"short", "int", "long", "float", "double"},
    "short": {"int", "long", "float", "double"},
    "char": {"int", "long", "float", "double"},
    "int": {"long", "float", "double"},
    "long": {"float", "double"},
    "float": {"double"},
}
_BOXES = {
    "int": "Integer",
    "long": "Long",
    "double": "Double",
    "float": "Float",
    "boolean": "Boolean",
    "char": "Character",
    "byte": "Byte",
    "short": "Short",
}
_UNBOXES = {box: prim for prim, box in _BOXES.items()}
_TYPE_VARIABLE = re.compile(r"^[A-Z][A-Z0-9]?$")


def _argument_fits(arg: str, param: str) -> bool:
    """Whether an argument of simple type `arg` ("" unknown, "null") can be passed for a parameter of simple type
    `param`; unrelated reference types are not ruled out (their hierarchy may be outside the workspace)."""
    if not arg or not param or arg == param or param == "Object" or _TYPE_VARIABLE.match(param):
        return True
    if arg == "null":
        return param not in _PRIMITIVES
    if arg.endswith("[]") and param.endswith("[]"):  # arrays: primitive elements exactly, references alike
        arg_element, param_element = arg[:-2], param[:-2]
        if arg_element in _PRIMITIVES or param_element in _PRIMITIVES:
            return arg_element == param_element
        return _argument_fits(arg_element, param_element)
    if arg.endswith("]") or param.endswith("]"):
        return False
    if arg in _PRIMITIVES:
        if param in _PRIMITIVES:
            return param in _WIDENING.get(arg, ())
        return param in (_BOXES.get(arg), "Number", "Comparable", "Serializable")
    if param in _PRIMITIVES:
        unboxed = _UNBOXES.get(arg)
        return unboxed is not None and (unboxed == param or param in _WIDENING.get(unboxed, ()))
    if arg == "String":
        return param in ("CharSequence", "Comparable", "Serializable")
    if param in _FINAL:  # a final class takes itself only
        return False
    return arg not in _UNBOXES or param in ("Number", "Comparable", "Serializable")


def _arguments_fit(args: tuple[str, ...], params: list[str] | None) -> bool:
    if params is None:
        return True
    for i, arg in enumerate(args):
        if i >= len(params) or (params[-1].endswith("[]") and i >= len(params) - 1):
            break  # varargs: not checked
        if not _argument_fits(arg, params[i]):
            return False
    return True


def _arguments_fit_hierarchy(closures: tuple[tuple[str, frozenset[str] | None], ...], params: list[str] | None) -> bool:
    """Whether each argument whose whole hierarchy is known (a workspace type) can be passed as its parameter."""
    if params is None:
        return True
    for i, (_, names) in enumerate(closures):
        if i >= len(params) or (params[-1].endswith("[]") and i >= len(params) - 1):
            break
        param = params[i]
        if names is None or param in _PRIMITIVES or param.endswith("]"):
            continue
        if param not in names and param != "Object" and not _TYPE_VARIABLE.match(param):
            return False
    return True


def _arguments_match_exactly(args: tuple[str, ...], params: list[str] | None, arity: int) -> bool:
    return params is not None and len(params) == arity == len(args) and all(a == p for a, p in zip(args, params))


def _known_kind(fqp: str) -> NodeKind | None:
    package, _, name = fqp.rpartition(".")
    if package == "java.lang":
        return JAVA_LANG.get(name)
    return WELL_KNOWN.get(package, {}).get(name)


def _external(fqp: str, target: str, resolution: Resolution, candidates: int | None = None) -> Target | None:
    if target in ("fn", "module"):
        return None
    if target == "interface":
        kind = NodeKind.TRAIT
    elif target == "class":
        kind = NodeKind.STRUCT
    else:
        kind = _known_kind(fqp) or NodeKind.STRUCT
    return Target([], resolution, candidates, external_fqp=fqp, external_kind=kind)
