"""TypeScript and JavaScript: modules by path, extraction from `queries/typescript.scm` / `javascript.scm`, resolution.

FQPs follow ISG-SPEC §2: a module is the file's workspace-relative path without its extension (`src/router/index`),
items are `{module}::{Name}`, members `{module}::{Class}::{member}`, type parameters `{owner}::<T>`. The three
registry entries (typescript, tsx, javascript) share this module; `.ts`/`.tsx` nodes have lang "typescript", `.js`
nodes "javascript".

Imports are recorded per module as local name → target path (`import {A as B} from './x'` gives `B` →
`src/x::A`, a default import `src/x::default`, a namespace import the module path itself), `export * from` as a glob
of the module, `export {a as b} from` as an import of the module, so that `resolve` follows re-export chains the way
the Rust resolver follows `pub use`. A class's bases are recorded as the globs of its own member scope, so that
`this.m()` and `Sub::m` find a method that a base class declares, through the same lookups (and the same dependency
tracking) as re-exports.
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import tree_sitter

from ..graph import SymbolView, Target
from ..model import EdgeKind, FileFacts, Node, NodeKind, Reference, Resolution
from . import infer, query
from .common import FileExtraction, dispatch, guess_methods, read_manifest, sorted_matches
from .infer import Declared, Expr, Outcome, Ty

FAMILY = "typescript"

# Longest first: `x.d.ts` is module `x`, like `x.ts`.
SOURCE_EXTENSIONS = (".d.mts", ".d.cts", ".d.ts", ".tsx", ".mts", ".cts", ".ts", ".jsx", ".mjs", ".cjs", ".js")

TARGET_KINDS = {
    "type": frozenset({NodeKind.TRAIT, NodeKind.STRUCT, NodeKind.ENUM, NodeKind.ASSOC_TYPE}),
    "fn": frozenset({NodeKind.FUNCTION}),
    "new": frozenset({NodeKind.FUNCTION}),
    "module": frozenset({NodeKind.MODULE}),
}
TYPE_KINDS = TARGET_KINDS["type"]
FN_KINDS = TARGET_KINDS["fn"]
CLASS_KINDS = frozenset({NodeKind.STRUCT, NodeKind.TRAIT, NodeKind.ENUM})
ENUM_KINDS = frozenset({NodeKind.ENUM})
OWNER_KINDS = CLASS_KINDS | {NodeKind.MODULE}  # what a member's parent may be: a class or a module alias

# Type names that are not nodes (most are `predefined_type` in the grammar and never reach here).
PRIMITIVES = frozenset(
    {
        "string",
        "number",
        "boolean",
        "any",
        "unknown",
        "void",
        "never",
        "undefined",
        "null",
        "object",
        "bigint",
        "symbol",
        "this",
    }
)
# Global types of the standard library (lib.*.d.ts): external nodes with their bare name, like Rust's prelude.
GLOBAL_TYPES = frozenset(
    {
        "Array",
        "ReadonlyArray",
        "Promise",
        "PromiseLike",
        "Map",
        "ReadonlyMap",
        "Set",
        "ReadonlySet",
        "WeakMap",
        "WeakSet",
        "WeakRef",
        "Record",
        "Partial",
        "Required",
        "Readonly",
        "Pick",
        "Omit",
        "Exclude",
        "Extract",
        "NonNullable",
        "Parameters",
        "ConstructorParameters",
        "ReturnType",
        "InstanceType",
        "ThisType",
        "Awaited",
        "Uppercase",
        "Lowercase",
        "Capitalize",
        "Uncapitalize",
        "NoInfer",
        "ThisParameterType",
        "OmitThisParameter",
        "Iterable",
        "Iterator",
        "IterableIterator",
        "AsyncIterable",
        "AsyncIterator",
        "AsyncIterableIterator",
        "Generator",
        "AsyncGenerator",
        "IteratorResult",
        "ArrayLike",
        "Error",
        "TypeError",
        "RangeError",
        "Date",
        "RegExp",
        "Function",
        "Object",
        "String",
        "Number",
        "Boolean",
        "Symbol",
        "BigInt",
        "JSON",
        "Math",
        "PropertyKey",
        "PropertyDescriptor",
        "TemplateStringsArray",
        "ArrayBuffer",
        "SharedArrayBuffer",
        "DataView",
        "Uint8Array",
        "Int8Array",
        "Uint16Array",
        "Int16Array",
        "Uint32Array",
        "Int32Array",
        "Float32Array",
        "Float64Array",
        "BigInt64Array",
        "BigUint64Array",
        "Uint8ClampedArray",
        "Element",
        "HTMLElement",
        "Event",
        "Node",
        "Document",
        "Window",
        "Response",
        "Request",
        "Headers",
        "URL",
        "AbortSignal",
        "AbortController",
    }
)
# Methods of the standard library's common types (Map, Set, Array, Promise, String, Object, iterators): a receiver of
# unknown type calling one of them is not guessed to be a workspace class (common.guess_methods).
STANDARD_METHODS = frozenset(
    """
get set has delete add clear forEach keys values entries size map filter reduce reduceRight find findIndex findLast
findLastIndex some every push pop shift unshift splice slice concat join indexOf lastIndexOf includes sort reverse
flat flatMap fill at then catch finally toString valueOf toJSON hasOwnProperty apply call bind replace replaceAll
split trim trimStart trimEnd toLowerCase toUpperCase startsWith endsWith match matchAll charAt charCodeAt codePointAt
substring substr padStart padEnd repeat next return throw length emit on off once addEventListener
removeEventListener dispatchEvent""".split()
)

# Global objects of the standard library: calls on them reach no workspace method.
GLOBAL_VALUES = frozenset(
    {
        "Object",
        "Reflect",
        "Array",
        "JSON",
        "Math",
        "Promise",
        "console",
        "Symbol",
        "Number",
        "String",
        "Boolean",
        "Date",
        "process",
        "window",
        "document",
        "globalThis",
        "Error",
        "Map",
        "Set",
        "WeakMap",
        "Proxy",
        "Intl",
        "BigInt",
        "ArrayBuffer",
        "navigator",
        "performance",
        "localStorage",
        "sessionStorage",
        "location",
        "history",
        "self",
        "Buffer",
        "module",
        "exports",
        "require",
        "Atomics",
        "crypto",
    }
)

# Calls of global functions and constructors: neither workspace functions nor worth counting as unresolved.
GLOBAL_CALLS = frozenset(
    {
        "require",
        "parseInt",
        "parseFloat",
        "isNaN",
        "isFinite",
        "setTimeout",
        "clearTimeout",
        "setInterval",
        "clearInterval",
        "setImmediate",
        "queueMicrotask",
        "structuredClone",
        "encodeURIComponent",
        "decodeURIComponent",
        "encodeURI",
        "decodeURI",
        "String",
        "Number",
        "Boolean",
        "Symbol",
        "BigInt",
        "Array",
        "Object",
        "Promise",
        "Map",
        "Set",
        "WeakMap",
        "WeakSet",
        "WeakRef",
        "Error",
        "TypeError",
        "RangeError",
        "SyntaxError",
        "Date",
        "RegExp",
        "Proxy",
        "Function",
        "URL",
        "AbortController",
        "Uint8Array",
        "ArrayBuffer",
        "fetch",
        "import",
        "super",
    }
)


def module_path(path: str) -> str:
    """The module FQP of a workspace-relative file: the path without its extension."""
    for ext in SOURCE_EXTENSIONS:
        if path.endswith(ext):
            return path[: -len(ext)]
    return path


# ---- layout: tsconfig.json baseUrl / paths ------------------------------------------------------------------


@dataclass(frozen=True)
class TsConfig:
    folder: str  # workspace-relative folder of the tsconfig.json ("" at the root)
    base_url: str | None  # workspace-relative, or None
    paths: tuple[tuple[str, tuple[str, ...]], ...] = ()  # pattern → workspace-relative targets (with their `*`)


@dataclass
class TsLayout:
    """What the TS/JS files need from outside themselves: the tsconfig.json files (for `baseUrl` and `paths`) and
    the set of module paths (to tell `utils/x` under a baseUrl from a package named `utils`)."""

    configs: tuple[TsConfig, ...] = ()
    modules: frozenset[str] = field(default_factory=frozenset, repr=False, compare=False)
    # (folder, specifier) → resolve_specifier's answer: a file's imports are resolved again on every edit
    resolved: dict[tuple[str, str], tuple[str, bool]] = field(default_factory=dict, repr=False, compare=False)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "resolved": {}}  # a worker's copy starts with no answers kept

    def config_of(self, path: str) -> TsConfig | None:
        best = None
        for config in self.configs:
            if config.folder == "" or path.startswith(config.folder + "/"):
                if best is None or len(config.folder) > len(best.folder):
                    best = config
        return best

    def _pick(self, candidates: list[str]) -> str | None:
        for candidate in candidates:
            if candidate in self.modules or candidate + "/index" in self.modules:
                return candidate
        return None

    def resolve_specifier(self, from_path: str, spec: str) -> tuple[str, bool]:
        """(module path, True) for a specifier naming a workspace module, else (the package specifier, False).

        The module path may still lack its `/index` (the resolver tries both). Depends on the importing file's
        folder only, so answers are kept per folder (bounded)."""
        key = (posixpath.dirname(from_path), spec)
        found = self.resolved.get(key)
        if found is None:
            if len(self.resolved) >= MAX_RESOLVED_SPECIFIERS:
                self.resolved.clear()
            found = self.resolved[key] = self._resolve_specifier(from_path, spec)
        return found

    def _resolve_specifier(self, from_path: str, spec: str) -> tuple[str, bool]:
        if spec.startswith(("./", "../")) or spec in (".", ".."):
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(from_path), spec))
            return _strip_extension(joined), True
        config = self.config_of(from_path)
        if config is not None:
            for pattern, targets in config.paths:
                captured = _match_pattern(pattern, spec)
                if captured is None:
                    continue
                candidates = [_strip_extension(posixpath.normpath(t.replace("*", captured, 1))) for t in targets]
                picked = self._pick(candidates)
                if picked is not None or candidates:
                    return picked or candidates[0], True
            if config.base_url is not None:
                candidate = _strip_extension(posixpath.normpath(posixpath.join(config.base_url, spec)))
                if self._pick([candidate]) is not None:
                    return candidate, True
        return spec, False


MAX_RESOLVED_SPECIFIERS = 50_000


def _strip_extension(path: str) -> str:
    stripped = module_path(path)
    return "" if stripped == "." else stripped


def _match_pattern(pattern: str, spec: str) -> str | None:
    if "*" not in pattern:
        return "" if pattern == spec else None
    prefix, _, suffix = pattern.partition("*")
    if spec.startswith(prefix) and spec.endswith(suffix) and len(spec) >= len(prefix) + len(suffix):
        return spec[len(prefix) : len(spec) - len(suffix)]
    return None


_JSONC_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?(?:\*/|\Z)', re.S)  # an unclosed comment ends the text
_TRAILING_COMMA = re.compile(r",(\s*[}\]])")


def read_jsonc(text: str) -> dict:
    """tsconfig.json is JSON with comments and trailing commas."""
    text = _JSONC_TOKEN.sub(lambda m: m.group(0) if m.group(0).startswith('"') else "", text)
    text = _TRAILING_COMMA.sub(r"\1", text)
    data = json.loads(text)
    return data if isinstance(data, dict) else {}


def _read_config(root: Path, rel: str, depth: int = 0) -> tuple[str | None, dict[str, list[str]], str]:
    """(baseUrl, paths, the folder paths are relative to), all workspace-relative, following relative `extends`."""
    try:
        data = read_jsonc(read_manifest(root / rel))
    except (OSError, ValueError, RecursionError):  # one hostile tsconfig costs that file only
        return None, {}, posixpath.dirname(rel)
    folder = posixpath.dirname(rel)
    base_url: str | None = None
    paths: dict[str, list[str]] = {}
    paths_base = folder
    extends = data.get("extends")
    if isinstance(extends, str) and extends.startswith(".") and depth < 5:
        parent = posixpath.normpath(posixpath.join(folder, extends))
        if not parent.endswith(".json"):
            parent += ".json"
        if not parent.startswith("..") and (root / parent).is_file():
            base_url, paths, paths_base = _read_config(root, parent, depth + 1)
    options = data["compilerOptions"] if isinstance(data.get("compilerOptions"), dict) else {}
    if isinstance(options.get("baseUrl"), str):
        base_url = posixpath.normpath(posixpath.join(folder, options["baseUrl"]))
        paths_base = base_url
    if isinstance(options.get("paths"), dict):
        paths = {k: [t for t in v if isinstance(t, str)] for k, v in options["paths"].items() if isinstance(v, list)}
        paths_base = base_url if base_url is not None else folder
    return base_url, paths, paths_base


def build_layout(root: Path, files: list[str]) -> TsLayout:
    """Reads the tsconfig.json / jsconfig.json beside the indexed files and in their ancestors."""
    found: set[str] = set()
    seen: set[str] = set()
    for folder in {posixpath.dirname(f) for f in files}:
        while folder not in seen:
            seen.add(folder)
            for name in ("tsconfig.json", "jsconfig.json"):
                rel = posixpath.join(folder, name) if folder else name
                if (root / rel).is_file():
                    found.add(rel)
                    break
            if not folder:
                break
            folder = posixpath.dirname(folder)
    configs = []
    for rel in sorted(found):
        base_url, paths, paths_base = _read_config(root, rel)
        norm = lambda p: "" if p == "." else p  # noqa: E731
        entries = tuple(
            (pattern, tuple(norm(posixpath.normpath(posixpath.join(paths_base, t))) for t in targets))
            for pattern, targets in sorted(paths.items())
        )
        configs.append(TsConfig(posixpath.dirname(rel), norm(base_url) if base_url is not None else None, entries))
    return TsLayout(tuple(configs), frozenset(module_path(f) for f in files))


# ---- extraction -----------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Scope:
    kind: str  # "module", "namespace", "class", "interface", "fn", "local"
    module: str  # the module FQP: where names are resolved
    node_id: bytes | None = None
    fqp: str = ""  # the FQP members are named under
    receivers: tuple[str, ...] = ()  # `this.m()`: the enclosing class
    bases: tuple[str, ...] = ()  # `super.m()`: its bases, as paths
    generics: dict[str, bytes] = field(default_factory=dict)
    env: infer.Env | None = None  # module and fn scopes: names → the expressions of their types (infer.py)
    this: Expr | None = None  # fn scopes: `this: T` declared as a function's first parameter
    nested: bool = False  # fn scopes of functions written in a function's body (callbacks)
    fields: dict[str, str] = field(default_factory=dict)  # class, interface and module scopes: field or value →
    # its declared type's text, or its initializer's encoded expression
    handle: int = -1  # class and interface scopes: their index in TsExtraction.owners (the module's: -1)


class TsExtraction(FileExtraction):
    def __init__(self, path, lang, source, tree, content_hash, layout: TsLayout):
        self.grammar = lang
        self.is_js = lang == "javascript"
        super().__init__(path, "javascript" if self.is_js else "typescript", source, tree, content_hash)
        self.layout = layout if layout is not None else TsLayout()
        self.module = module_path(path)
        self.scopes: dict[int, _Scope] = {}
        self.types_cursor = None if self.is_js else tree_sitter.QueryCursor(query(lang, "typescript-types"))
        self.functions: dict[str, object] = {}  # FQP → F node: overloads are one node (ISG-SPEC §1)
        self.type_parameters: dict[str, bytes] = {}  # FQP → G node id (an overload's `<T>` is the first's)
        name = self.module.rsplit("/", 1)[-1]
        module_node = self.add_node(NodeKind.MODULE, name, self.module, None, f"module {self.module}")
        module_node.span = self.whole_file_span()
        self.file_scope: _Scope = _Scope("module", self.module, module_node.id, self.module, env=infer.Env())
        self.generic_fqps: dict[bytes, str] = {}  # G node id → FQP (a value typed by a type parameter)
        self.narrowings: dict[str, list] = {}  # name → [(start byte, end byte, guarding condition)]

    def run(self, cache: dict | None = None) -> FileFacts:
        """The file's facts. With an item ``cache`` (an editor's TypeScript file): the imports first, then the items
        one at a time, each taking its earlier facts when it, the imports and what the items before it left did not
        change (common.extract_items)."""
        imports = {
            "import": self.on_import,
            "import.reexport": self.on_reexport,
            "export.local": self.on_export_local,
            "export.default": self.on_export_default,
            "import.require": self.on_require,
        }
        if cache is not None and len(self.source) < ITEM_CACHE_MIN_BYTES:
            cache.clear()  # a small file: read whole (cheaper than the cache's keys and bookkeeping)
            cache = None
        if cache is None or self.is_js:
            name = "typescript-imports+" + ("javascript" if self.is_js else "typescript")
            matches = sorted_matches(query(self.grammar, name), self.tree.root_node)
            dispatch(matches, {**imports, "narrow": self.on_narrowing})
            dispatch(matches, self.item_handlers())
        else:
            root = self.tree.root_node
            cursor = tree_sitter.QueryCursor(query(self.grammar, "typescript-imports"))
            if not root.has_error and _imports_at_top_only(self.source, root):
                cursor.set_max_start_depth(1)  # bodies not walked: -2 % of a median edit
            dispatch(cursor.matches(root), imports)
            context = repr(
                (self.module, self.grammar, sorted(self.facts.imports.items()), sorted(self.facts.glob_imports.items()))
            ).encode("utf-8")
            self.extract_items(
                query(self.grammar, "typescript"),
                self.item_handlers(),
                cache,
                context,
                containers=_CONTAINERS,
                first={"narrow": self.on_narrowing},
                whole_headers=True,
            )
        imports_of_module = self.facts.imports.get(self.module)
        if imports_of_module is not None and not imports_of_module:
            del self.facts.imports[self.module]
        self.publish_fields(FAMILY)
        return self.finish()

    def item_handlers(self) -> dict:
        return {
            "definition.class": self.on_class,
            "definition.interface": self.on_interface,
            "definition.enum": self.on_enum,
            "definition.type": self.on_type_alias,
            "definition.function": self.on_function,
            "definition.variable": self.on_variable_function,
            "definition.default_function": self.on_default_function,
            "definition.method": self.on_method,
            "definition.field": self.on_field,
            "definition.namespace": self.on_namespace,
            "definition.ambient_module": self.on_ambient,
            "definition.ambient_global": self.on_ambient_global,
            "reference.call": self.on_call,
            "reference.new": self.on_new,
            "local.definition": self.on_local,
            "local.for": self.on_for,
            "local.function": self.on_nested_function,
            "local.assign": self.on_this_assignment,
        }

    # ---- what an item leaves for the items after it (common.FileExtraction.effect) ----

    def apply_own(self, effect: tuple) -> object:
        kind = effect[0]
        if kind == "fn":  # ("fn", FQP, F node): later overloads are this node
            self.functions[effect[1]] = effect[2]
            return (kind, effect[1], effect[2].id)
        if kind == "g":  # ("g", FQP, G node id)
            self.type_parameters[effect[1]] = effect[2]
            self.generic_fqps[effect[2]] = effect[1]
            return effect
        if kind == "import":  # ("import", name, path): the module's default export
            self.imports()[effect[1]] = effect[2]
            return effect
        return super().apply_own(effect)

    # ---- imports and exports ----

    def imports(self) -> dict[str, str]:
        return self.facts.imports.setdefault(self.module, {})

    def specifier(self, string_node) -> tuple[str, bool]:
        text = self.text(string_node).strip()
        if len(text) >= 2 and text[0] in "'\"`":
            text = text[1:-1]
        return self.layout.resolve_specifier(self.path, text)

    def on_import(self, node, caps):
        target, _ = self.specifier(caps["import.source"][0])
        imports = self.imports()
        clause = next((c for c in node.named_children if c.type == "import_clause"), None)
        if clause is None:
            return  # `import './side-effect'`
        for child in clause.named_children:
            if child.type == "identifier":
                imports[self.text(child)] = f"{target}::default"
            elif child.type == "namespace_import":
                ident = next((c for c in child.named_children if c.type == "identifier"), None)
                if ident is not None:
                    imports[self.text(ident)] = target
            elif child.type == "named_imports":
                for spec in child.named_children:
                    if spec.type != "import_specifier":
                        continue
                    name = self.text(spec.child_by_field_name("name"))
                    alias = spec.child_by_field_name("alias")
                    imports[self.text(alias) if alias is not None else name] = f"{target}::{name}"

    def on_reexport(self, node, caps):
        target, _ = self.specifier(caps["import.source"][0])
        imports = self.imports()
        for child in node.named_children:
            if child.type == "export_clause":
                for spec in child.named_children:
                    if spec.type != "export_specifier":
                        continue
                    name = self.text(spec.child_by_field_name("name"))
                    alias = spec.child_by_field_name("alias")
                    imports[self.text(alias) if alias is not None else name] = f"{target}::{name}"
                return
            if child.type == "namespace_export":
                ident = child.named_children[-1] if child.named_children else None
                if ident is not None:
                    imports[self.text(ident)] = target
                return
        self.facts.glob_imports.setdefault(self.module, []).append(target)  # export * from '...'

    def on_export_local(self, node, caps):
        imports = self.imports()
        for spec in caps["export.clause"][0].named_children:
            if spec.type != "export_specifier":
                continue
            name = self.text(spec.child_by_field_name("name"))
            alias = spec.child_by_field_name("alias")
            if alias is not None and self.text(alias) != name:
                imports[self.text(alias)] = f"{self.module}::{name}"

    def on_export_default(self, node, caps):
        self.imports()["default"] = f"{self.module}::{self.text(caps['export.value'][0])}"

    def on_require(self, node, caps):
        target, _ = self.specifier(caps["import.source"][0])
        binding = caps["import.binding"][0]
        imports = self.imports()
        if binding.type == "identifier":
            imports[self.text(binding)] = target
        elif binding.type == "object_pattern":
            for prop in binding.named_children:
                if prop.type == "shorthand_property_identifier_pattern":
                    imports[self.text(prop)] = f"{target}::{self.text(prop)}"
                elif prop.type == "pair_pattern":
                    key, value = prop.child_by_field_name("key"), prop.child_by_field_name("value")
                    if key is not None and value is not None and value.type == "identifier":
                        imports[self.text(value)] = f"{target}::{self.text(key)}"

    def local_target(self, path: tuple[str, ...]) -> str:
        """A path as this file alone can name it: through its imports, else as an item of this module."""
        imported = self.facts.imports.get(self.module, {}).get(path[0])
        if imported is not None:
            return "::".join((imported, *path[1:]))
        return "::".join((self.module, *path))

    # ---- declarations ----

    def outer(self, node):
        """The statement a declaration stands in (`export ...`, `export default ...`), for its head and visibility."""
        parent = node.parent
        if parent is not None and parent.type == "export_statement":
            return parent
        return node

    def visibility(self, node) -> str | None:
        outer = self.outer(node)
        if outer is node:
            return None
        return "export default" if any(c.type == "default" for c in outer.children) else "export"

    def item_scope(self, node) -> _Scope | None:
        """The module or namespace a declaration is an item of; None for a declaration inside a function (also a
        function expression that is no node: `export const flow = Object.assign(function () { ... })`)."""
        scope = self.scope_of(node)
        if scope.kind not in ("module", "namespace"):
            return None
        parent = node.parent
        while parent is not None and parent.type not in ("program", "internal_module", "module"):
            if parent.type in _FUNCTION_LIKE:
                return None
            parent = parent.parent
        return scope

    def declare(self, node, caps, kind: NodeKind, body=None):
        scope = self.item_scope(node)
        if scope is None:
            return None, None
        name = self.text(caps["name"][0])
        fqp = f"{scope.fqp}::{name}"
        visibility = self.visibility(node)
        if kind is NodeKind.FUNCTION and fqp in self.functions:
            return scope, self.functions[fqp]  # an overload: the first declaration's node
        item = self.add_node(kind, name, fqp, node, self.head(self.outer(node), body), visibility)
        if kind is NodeKind.FUNCTION:
            self.effect("fn", fqp, item)
        self.add_edge(cast(bytes, scope.node_id), EdgeKind.CONTAINS, item.id)  # an item scope has a node
        if visibility == "export default":
            self.effect("import", "default", fqp)
        return scope, item

    def on_class(self, node, caps):
        body = node.child_by_field_name("body")
        scope, item = self.declare(node, caps, NodeKind.STRUCT, body)
        if item is None:
            return
        generics = self.generics(node, item.fqp, {})
        bases: list[str] = []
        for heritage in (c for c in node.named_children if c.type == "class_heritage"):
            for clause in heritage.named_children:
                if clause.type == "extends_clause":  # TypeScript
                    value = clause.child_by_field_name("value")
                    self.base(value, item.id, EdgeKind.EXTENDS, scope, bases)
                elif clause.type == "implements_clause":
                    for type_node in clause.named_children:
                        self.base(type_node, item.id, EdgeKind.IMPL, scope, bases, record=False)
                else:  # JavaScript: `class A extends <expression>`
                    self.base(clause, item.id, EdgeKind.EXTENDS, scope, bases)
        if bases:
            self.facts.glob_imports[item.fqp] = bases
        self.scopes[node.id] = self.owner(
            _Scope("class", scope.module, item.id, item.fqp, (item.fqp,), tuple(bases), generics)
        )

    def base(self, type_node, src: bytes, kind: EdgeKind, scope: _Scope, bases: list[str], record=True) -> None:
        path = self.head_path(type_node)
        if not path:
            return
        self.add_reference(Reference(kind, scope.module, "type", path, src=src))
        if record:
            bases.append(self.local_target(path))

    def head_path(self, node) -> tuple[str, ...]:
        """The name at the head of a heritage clause: `Base`, `ns.Base`, `Base<T>` give `Base` / `ns`, `Base`."""
        while node is not None:
            kind = node.type
            if kind in ("identifier", "type_identifier"):
                return (self.text(node),)
            if kind in ("member_expression", "nested_type_identifier", "nested_identifier"):
                text = "".join(self.text(node).split())
                parts = tuple(text.split("."))
                return parts if all(_IDENT.match(p) for p in parts) else ()
            if kind == "generic_type":
                node = node.child_by_field_name("name")
            else:
                return ()
        return ()

    def on_interface(self, node, caps):
        scope, item = self.declare(node, caps, NodeKind.TRAIT, node.child_by_field_name("body"))
        if item is None:
            return
        generics = self.generics(node, item.fqp, {})
        bases: list[str] = []
        for clause in (c for c in node.named_children if c.type == "extends_type_clause"):
            for type_node in clause.named_children:
                self.base(type_node, item.id, EdgeKind.EXTENDS, scope, bases)
        if bases:
            self.facts.glob_imports[item.fqp] = bases
        self.scopes[node.id] = self.owner(
            _Scope("interface", scope.module, item.id, item.fqp, (item.fqp,), tuple(bases), generics)
        )

    def on_enum(self, node, caps):
        self.declare(node, caps, NodeKind.ENUM, node.child_by_field_name("body"))

    def on_type_alias(self, node, caps):
        value = node.child_by_field_name("value")
        scope, item = self.declare(node, caps, NodeKind.ASSOC_TYPE)
        if item is None:
            return
        generics = self.generics(node, item.fqp, {})
        if value is not None:
            self.type_refs(value, item.id, EdgeKind.USES, scope, generics)

    def on_function(self, node, caps):
        scope, item = self.declare(node, caps, NodeKind.FUNCTION, node.child_by_field_name("body"))
        if item is None:
            return
        self.function(node, node, item, scope, {})

    def function(
        self,
        decl,
        fn_node,
        item,
        scope: _Scope,
        outer_generics: dict[str, bytes],
        receivers: tuple[str, ...] = (),
        bases: tuple[str, ...] = (),
    ) -> None:
        """Generics, ACCEPTS and RETURNS of a function-like node, and its scope for the calls in its body."""
        generics = self.generics(fn_node, item.fqp, outer_generics)
        params = fn_node.child_by_field_name("parameters")
        if params is None:
            param = fn_node.child_by_field_name("parameter")  # `x => ...`
            params_list = [param] if param is not None else []
        else:
            params_list = params.named_children
        for param in params_list:
            type_node = param.child_by_field_name("type")
            if type_node is not None:
                self.type_refs(type_node, item.id, EdgeKind.ACCEPTS, scope, generics)
        returns = fn_node.child_by_field_name("return_type")
        if returns is not None:
            self.type_refs(returns, item.id, EdgeKind.RETURNS, scope, generics)
        own = _Scope(
            "fn", scope.module, item.id, item.fqp, receivers, bases, generics, env=infer.Env(self.file_scope.env)
        )
        self.bind_parameters(params_list, own)
        self.scopes[fn_node.id] = own

    def on_variable_function(self, node, caps):
        """`const f = (x: T): R => ...` (or a function expression) at the top level of a module: a function (the
        spec: top-level `const` only)."""
        value = caps["function.value"][0]
        declaration = node.parent
        if (
            declaration is None
            or declaration.type != "lexical_declaration"
            or self.text(declaration.child_by_field_name("kind")) != "const"
        ):
            return  # `let` / `var` bindings can be reassigned: values
        scope = self.item_scope(declaration)
        if scope is None:
            return
        name = self.text(caps["name"][0])
        fqp = f"{scope.fqp}::{name}"
        outer = self.outer(declaration)
        head = self.head(outer, value.child_by_field_name("body"))
        visibility = self.visibility(declaration)
        item = self.add_node(NodeKind.FUNCTION, name, fqp, declaration, head, visibility)
        self.add_edge(cast(bytes, scope.node_id), EdgeKind.CONTAINS, item.id)  # an item scope has a node
        self.function(value, value, item, scope, {})

    def on_default_function(self, node, caps):
        """`export default function () {}`: a function named `default`."""
        value = caps["function.value"][0]
        scope = self.item_scope(node)
        if scope is None:
            return
        name = self.text(value.child_by_field_name("name")) or "default"
        fqp = f"{scope.fqp}::{name}"
        item = self.add_node(
            NodeKind.FUNCTION, name, fqp, node, self.head(node, value.child_by_field_name("body")), "export default"
        )
        self.add_edge(cast(bytes, scope.node_id), EdgeKind.CONTAINS, item.id)  # an item scope has a node
        if name != "default":
            self.effect("import", "default", fqp)
        self.function(value, value, item, scope, {})

    def member(self, node, caps, fn_node, body):
        """A method (or a field holding a function) of the enclosing class or interface."""
        scope = self.scope_of(node)
        if scope.kind not in ("class", "interface") or not self.direct_member(node, scope):
            return None  # object literal methods, members of local classes
        name = self.text(caps["name"][0])
        fqp = f"{scope.fqp}::{name}"
        item = self.functions.get(fqp)  # overloads and their implementation are one node
        if item is None:
            visibility = _member_visibility(self, node, name)
            item = self.add_node(NodeKind.FUNCTION, name, fqp, node, self.head(node, body), visibility)
            self.effect("fn", fqp, item)
            self.add_edge(scope.node_id, EdgeKind.DEFINES if scope.kind == "interface" else EdgeKind.CONTAINS, item.id)
        self.function(node, fn_node, item, scope, scope.generics, scope.receivers, scope.bases)
        if name == "constructor" and scope.kind == "class":
            self.parameter_properties(fn_node, scope)
        return item

    def parameter_properties(self, fn_node, scope: _Scope) -> None:
        """`constructor(private s: Scheduler, readonly t: T)`: parameter properties are fields: the class USES their
        types."""
        params = fn_node.child_by_field_name("parameters")
        for param in params.named_children if params is not None else ():
            if not any(c.type in ("accessibility_modifier", "override_modifier", "readonly") for c in param.children):
                continue
            type_node = param.child_by_field_name("type")
            pattern = param.child_by_field_name("pattern")
            if type_node is not None:
                self.type_refs(type_node, cast(bytes, scope.node_id), EdgeKind.USES, scope, scope.generics)  # a class
                if pattern is not None and pattern.type == "identifier":
                    self.effect("field", scope.handle, self.text(pattern), self.type_text(type_node), True)
            elif pattern is not None and pattern.type == "identifier" and param.child_by_field_name("value"):
                expr = self.expression(param.child_by_field_name("value"), self.file_scope)
                if expr is not None:  # `public values_ = new Map<K, V>()`
                    self.effect("field", scope.handle, self.text(pattern), infer.encode(expr), True)

    def direct_member(self, node, scope: _Scope) -> bool:
        """A member of the class or interface body itself (not of an object type nested in a member's type)."""
        body = node.parent
        owner = body.parent if body is not None else None
        return owner is not None and self.scopes.get(owner.id) is scope

    def on_method(self, node, caps):
        self.member(node, caps, node, node.child_by_field_name("body"))

    def on_field(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind not in ("class", "interface"):
            return
        value = node.child_by_field_name("value")
        if (
            value is not None
            and value.type in ("arrow_function", "function_expression")
            and self.direct_member(node, scope)
        ):
            self.member(node, caps, value, value.child_by_field_name("body"))
            return
        type_node = node.child_by_field_name("type")
        if type_node is not None:
            self.type_refs(type_node, scope.node_id, EdgeKind.USES, scope, scope.generics)
        name_node = caps["name"][0]
        if name_node.type in (
            "property_identifier",
            "private_property_identifier",
            "computed_property_name",
        ) and self.direct_member(node, scope):
            name = "".join(self.text(name_node).split())  # `[$mobx]: Administration` is the field `[$mobx]`
            if type_node is not None:
                self.effect("field", scope.handle, name, self.type_text(type_node), False)
            elif value is not None:
                expr = self.expression(
                    value, _Scope("fn", scope.module, None, scope.fqp, scope.receivers, env=self.file_scope.env)
                )
                if expr is not None:
                    self.effect("field", scope.handle, name, infer.encode(expr), False)

    def on_namespace(self, node, caps):
        self.namespace(node, node, self.text(caps["name"][0]), self.outer(node))

    def on_ambient(self, node, caps):
        """`declare module "x" { ... }`: an M node `{module}::x` holding its declarations (ISG-SPEC §1)."""
        name = self.text(caps["name"][0]).strip()
        if len(name) >= 2 and name[0] in "'\"`":
            name = name[1:-1]
        parent = node.parent
        self.namespace(
            node, node, name, parent if parent is not None and parent.type == "ambient_declaration" else node
        )

    def on_ambient_global(self, node, caps):
        """`declare global { ... }`: an M node `{module}::global` holding its declarations (ISG-SPEC §1)."""
        self.namespace(node, caps["scope.local"][0], "global", node)

    def namespace(self, node, holder, name: str, head_node) -> None:
        """An M node for a namespace or a `declare` block, whose statements are its items. Names used inside it
        are looked up in it first, then in the enclosing namespaces, then in the file (its `module` is the
        namespace's FQP, which `resolve_path` reads that way)."""
        scope = self.item_scope(node)
        if scope is None:
            self.scopes[holder.id] = _Scope("local", self.module)
            return
        fqp = f"{scope.fqp}::{name}"
        body = node.child_by_field_name("body") if holder is node else holder
        item = self.add_node(NodeKind.MODULE, name, fqp, node, self.head(head_node, body), self.visibility(node))
        self.add_edge(cast(bytes, scope.node_id), EdgeKind.CONTAINS, item.id)  # an item scope has a node
        self.scopes[holder.id] = _Scope("namespace", fqp, item.id, fqp)

    # ---- generics and types ----

    def generics(self, node, owner_fqp: str, outer: dict[str, bytes]) -> dict[str, bytes]:
        params = node.child_by_field_name("type_parameters")
        if params is None:
            return outer
        generics = dict(outer)
        created = []
        for param in params.named_children:
            if param.type != "type_parameter":
                continue
            name = self.text(param.child_by_field_name("name"))
            g_fqp = f"{owner_fqp}::<{name}>"
            if g_fqp in self.type_parameters:  # a later overload's: the first declaration's node, which
                generics[name] = self.type_parameters[g_fqp]  # takes this declaration's bounds too
                created.append((generics[name], param))
                continue
            g = self.add_node(NodeKind.GENERIC, name, g_fqp, param, self.text(param))
            self.effect("g", g_fqp, g.id)
            generics[name] = g.id
            created.append((g.id, param))
        module_scope = _Scope("module", self.module)
        for g_id, param in created:
            constraint = param.child_by_field_name("constraint")
            if constraint is not None:
                self.bound_refs(constraint, g_id, module_scope, generics)
        return generics

    def bound_refs(self, constraint, src: bytes, scope: _Scope, generics: dict[str, bytes]) -> None:
        """BOUND_BY takes the heads of the constraint's named types, through unions and intersections:
        `T extends Foo<Bar> | Baz` is bound by Foo and Baz. `keyof T`, `typeof x`, `T["k"]`, object, function,
        array and literal types name no bound (`K extends keyof T` is not bounded by T)."""
        seen = set()
        stack = [constraint]
        while stack:
            node = stack.pop()
            kind = node.type
            if kind in ("constraint", "parenthesized_type", "union_type", "intersection_type"):
                stack.extend(reversed(node.named_children))
                continue
            if kind == "generic_type":
                node = node.child_by_field_name("name")
                kind = node.type if node is not None else ""
            if kind == "type_identifier":
                path: tuple[str, ...] = (self.text(node),)
                if path[0] in PRIMITIVES:
                    continue
            elif kind == "nested_type_identifier":
                path = tuple("".join(self.text(node).split()).split("."))
            else:
                continue
            if path in seen:
                continue
            seen.add(path)
            if path[0] in generics:
                if len(path) == 1 and generics[path[0]]:
                    self.add_edge(src, EdgeKind.BOUND_BY, generics[path[0]])
                continue
            self.add_reference(Reference(EdgeKind.BOUND_BY, scope.module, "type", path, src=src))

    def named_types(self, node) -> list[tuple[str, ...]]:
        if self.types_cursor is None:
            return []
        captures = self.types_cursor.captures(node)
        types = captures.get("type", [])
        if not types:
            return []
        bound = {self.text(n) for n in captures.get("type.bound", [])}
        found = []
        for t in sorted(types, key=lambda n: n.start_byte):
            parent = t.parent
            if parent is not None and parent.type == "nested_type_identifier":
                continue  # a segment of a qualified name, captured with it
            if t.type == "nested_type_identifier":
                path = tuple("".join(self.text(t).split()).split("."))
            else:
                path = (self.text(t),)
                if path[0] in bound or path[0] in PRIMITIVES:
                    continue
            found.append(path)
        return found

    def type_refs(self, type_node, src: bytes, kind: EdgeKind, scope: _Scope, generics: dict[str, bytes]) -> None:
        seen = set()
        for path in self.named_types(type_node):
            if path in seen:
                continue
            seen.add(path)
            if path[0] in generics:
                if len(path) == 1 and generics[path[0]]:
                    self.add_edge(src, kind, generics[path[0]])
                continue
            self.add_reference(Reference(kind, scope.module, "type", path, src=src))

    # ---- receiver types (infer.py) ----

    def type_text(self, type_node) -> str:
        """A type annotation's text (without its `:`), white space folded."""
        text = " ".join(self.text(type_node).split())
        return text[1:].strip() if text.startswith(":") else text

    def declared(self, type_node, scope: _Scope) -> Expr | None:
        """The expression of a value of a declared type: its text, or a type parameter's G node."""
        text = self.type_text(type_node)
        if not text:
            return None
        generic = scope.generics.get(text)
        if generic is not None:
            fqp = self.generic_fqps.get(generic)
            return infer.known(fqp) if fqp is not None else None
        return infer.typed(text)

    def bind_parameters(self, params, scope: _Scope, element: Expr | None = None) -> None:
        """Binds a function's parameters in its scope's environment: their declared types, else their default
        values' (``element``: what the first parameter of an array method's callback is)."""
        env = scope.env
        assert env is not None
        for index, param in enumerate(params):
            if param.type == "identifier":  # `x => ...`
                env.bind(self.text(param), element if index == 0 else None)
                continue
            pattern = param.child_by_field_name("pattern")
            if pattern is None:
                continue
            type_node = param.child_by_field_name("type")
            value = param.child_by_field_name("value")
            if pattern.type == "this":  # `function f(this: Annotation, ...)`
                scope.this = self.declared(type_node, scope) if type_node is not None else None
                continue
            if pattern.type == "rest_pattern":
                pattern = next((c for c in pattern.named_children if c.type == "identifier"), None)
                if pattern is None:
                    continue
            if pattern.type != "identifier":
                for ident in _pattern_names(pattern):
                    env.bind(self.text(ident), None)
                continue
            if type_node is not None:  # evaluated if ever a receiver
                env.bind(self.text(pattern), _later(self.declared, type_node, scope))
            elif value is not None:
                env.bind(self.text(pattern), _later(self.expression, value, scope))
            else:
                env.bind(self.text(pattern), element if index == 0 else None)

    def on_local(self, node, caps):
        """`const x: T = ...`, `let x = new Foo()`: the variable's type, declared or its initializer's."""
        scope = self.scope_of(node)
        if scope.env is None:
            return
        name = self.text(caps["local.name"][0])
        type_node = node.child_by_field_name("type")
        value = node.child_by_field_name("value")
        if scope is not self.file_scope:  # evaluated if the name is ever a receiver
            if type_node is not None:
                scope.env.bind(name, self.declared(type_node, scope))
            elif value is not None and value.type not in ("arrow_function", "function_expression"):
                scope.env.bind(name, lambda: self.expression(value, scope))
            else:
                scope.env.bind(name, None)
            return
        if type_node is not None:
            expr = self.declared(type_node, scope)
        elif value is not None and value.type not in ("arrow_function", "function_expression"):
            expr = self.expression(value, scope)
        else:
            expr = None
        self.effect("bind", name, expr)  # a module's value: for its importers too
        if type_node is not None:
            self.effect("field", -1, name, self.type_text(type_node), False)
        elif expr is not None:
            self.effect("field", -1, name, infer.encode(expr), False)

    def on_for(self, node, caps):
        """`for (const x of xs)`: an element of xs; `for (const k in o)`: a string."""
        scope = self.scope_of(node)
        if scope.env is None:
            return
        name = self.text(caps["local.name"][0])
        if scope is self.file_scope:  # a module's value (read by later items: bound now, not when first read)
            iterable = caps["local.iterable"][0]
            of = any(c.type == "of" for c in node.children)
            self.effect("bind", name, infer.element(self.expression(iterable, scope)) if of else infer.typed("string"))
        elif any(c.type == "of" for c in node.children):
            iterable = caps["local.iterable"][0]
            scope.env.bind(name, lambda: infer.element(self.expression(iterable, scope)))
        else:
            scope.env.bind(name, infer.typed("string"))

    def on_nested_function(self, node, caps):
        """A function written inside a function's body (a callback, say): its calls are the enclosing function's,
        its parameters its own names (the first parameter of an array method's callback is an element)."""
        if node.id in self.scopes:
            return  # a function item: registered already
        outer = self.scope_of(node)
        if outer.kind != "fn" or outer.env is None:
            return
        outer.env.settle()  # a callback in a callback: the outer one's `this: T` is copied below
        own = _Scope(
            "fn",
            outer.module,
            outer.node_id,
            outer.fqp,
            outer.receivers,
            outer.bases,
            outer.generics,
            env=infer.Env(outer.env),
            this=outer.this,
            nested=True,
        )
        self.scopes[node.id] = own
        assert own.env is not None
        own.env.defer(lambda: self._bind_callback(node, own, outer))

    def _bind_callback(self, node, own: _Scope, outer: _Scope) -> None:
        """A nested function's parameters, bound when its environment is first read (Env.defer)."""
        params = node.child_by_field_name("parameters")
        params_list = (
            params.named_children
            if params is not None
            else [p for p in (node.child_by_field_name("parameter"),) if p is not None]
        )
        parent = node.parent
        callee = None
        if (
            parent is not None
            and parent.type == "arguments"
            and parent.parent is not None
            and parent.parent.type == "call_expression"
        ):
            callee = parent.parent.child_by_field_name("function")
        if callee is None:
            self.bind_parameters(params_list, own)
            return
        argument = next(i for i, a in enumerate(parent.named_children) if a == node)
        if (
            callee.type == "member_expression"
            and argument == 0
            and self.text(callee.child_by_field_name("property")) in _ELEMENT_CALLBACKS
        ):
            receiver = self.expression(callee.child_by_field_name("object"), outer)
            self.bind_parameters(params_list, own, infer.element(receiver))
            return
        path = _identifier_chain(self, callee)
        self.bind_parameters(params_list, own)
        if path is None or outer.env is None or path[0] in outer.env:
            return
        for index, param in enumerate(params_list):  # `each(xs, x => x.m())`: what `each` declares
            pattern = param if param.type == "identifier" else param.child_by_field_name("pattern")
            if (
                pattern is not None
                and pattern.type == "identifier"
                and param.child_by_field_name("type") is None
                and own.env is not None
            ):
                own.env.bind(self.text(pattern), infer.callback_parameter(".".join(path), argument, index))

    def on_this_assignment(self, node, caps):
        """`this.x = new Foo()` in a constructor: the field's type when no declaration gives it."""
        scope = self.scope_of(node)
        if scope.kind != "fn" or not scope.fqp.endswith("::constructor"):
            return
        owner = next(
            (s for s in self.scopes.values() if s.kind == "class" and s.fqp == scope.fqp.rsplit("::", 1)[0]), None
        )
        name = self.text(caps["local.name"][0])
        if owner is None or name in owner.fields:
            return
        expr = self.expression(caps["local.value"][0], scope)
        if expr is not None:
            self.effect("field", owner.handle, name, infer.encode(expr), True)

    @infer.bounded
    def expression(self, node, scope: _Scope) -> Expr | None:
        """The expression of an expression's type, as far as this file can say (infer.py), or None."""
        if node is None:
            return None
        kind = node.type
        if kind == "identifier":
            name = self.text(node)
            narrowed = self.narrowed(node, name, scope)
            if narrowed is not None:
                return narrowed
            env = scope.env
            if env is not None and name in env:
                return env.get(name)
            imported = self.facts.imports.get(self.module, {}).get(name)
            if imported is not None and "::" in imported:  # an imported value: its module's record
                module, _, value = imported.rpartition("::")
                return infer.member(infer.known(module), value)
            if imported is None and name in GLOBAL_VALUES:
                return infer.typed(name)  # `JSON`, `console`: outside the workspace
            return None
        if kind == "this":
            return self.this_expression(node, scope)
        if kind == "member_expression":
            prop = node.child_by_field_name("property")
            obj = node.child_by_field_name("object")
            if prop is None or obj is None or prop.type not in ("property_identifier", "private_property_identifier"):
                return None
            return infer.member(self.expression(obj, scope), self.text(prop))
        if kind == "call_expression":
            callee = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            arity = len(arguments.named_children) if arguments is not None and arguments.type == "arguments" else None
            if callee is None:
                return None
            if callee.type == "identifier":
                return infer.called(self.text(callee), arity)
            if callee.type == "member_expression":
                prop = callee.child_by_field_name("property")
                obj = callee.child_by_field_name("object")
                if prop is None or obj is None:
                    return None
                name = self.text(prop)
                path = _identifier_chain(self, obj)
                if (
                    path is not None
                    and (scope.env is None or path[0] not in scope.env)
                    and self.narrowed(obj, path[0], scope) is None
                ):
                    return infer.called(".".join((*path, name)), arity)  # `Foo.create()`, `ns.f()`, `value.m()`
                return infer.method(self.expression(obj, scope), name, arity)
            return None
        if kind == "new_expression":
            constructor = node.child_by_field_name("constructor")
            if constructor is None:
                return None
            text = " ".join(self.text(constructor).split())
            args = node.child_by_field_name("type_arguments")
            if args is not None:
                text += " ".join(self.text(args).split())
            return infer.typed(text) if _IDENT_PATH.match(text.split("<")[0]) else None
        if kind == "await_expression":
            inner = next((c for c in node.named_children), None)
            return infer.unwrapped(self.expression(inner, scope))
        if kind in ("parenthesized_expression", "non_null_expression") and node.named_child_count == 1:
            return self.expression(node.named_children[0], scope)
        if kind in ("as_expression", "satisfies_expression", "type_assertion"):
            named = node.named_children
            type_node = named[-1] if kind != "type_assertion" else named[0]
            if type_node.type in ("predefined_type",) and self.text(type_node) in ("any", "unknown"):
                return None
            if kind == "satisfies_expression":
                return self.expression(named[0], scope)
            text = (
                " ".join(self.text(type_node).split()).strip("<>")
                if kind == "type_assertion"
                else " ".join(self.text(type_node).split())
            )
            if text == "const":
                return self.expression(named[0], scope)
            return infer.typed(text)
        if kind == "subscript_expression":
            index = node.child_by_field_name("index")
            if index is not None and index.type in ("number", "identifier", "binary_expression"):
                key = self.text(index) if index.type == "identifier" else ""
                return infer.element(self.expression(node.child_by_field_name("object"), scope), key)
            return None
        if kind in ("string", "template_string"):
            return infer.typed("string")
        if kind == "array":
            return None
        return None

    def this_expression(self, node, scope: _Scope) -> Expr | None:
        """What `this` is: the class of a method (arrow functions keep it), the declared `this: T` of the function
        that binds it, else unknown."""
        binder = _this_binder(node)
        if binder is None:
            return infer.known(scope.receivers[0]) if scope.receivers else None
        own = self.scopes.get(binder.id)
        if own is None:
            return None
        if own.env is not None:
            own.env.settle()  # `function (this: T) {...}` written as a callback: its parameters bound
        return own.this

    def on_narrowing(self, node, caps):
        """Records where a condition narrows a name (`if (isFoo(x)) { here }`), before the bodies are read."""
        condition, region = caps["narrow.condition"][0], caps["narrow.region"][0]
        for name in _narrowed_names(self, condition):
            self.narrowings.setdefault(name, []).append((region.start_byte, region.end_byte, condition))

    def narrowed(self, node, name: str, scope: _Scope) -> Expr | None:
        """The type a condition around a use narrows a name to: `if (isFoo(x)) x.m()`, `x instanceof Foo && x.m()`
        (the guard's declared `x is Foo`, the class); the innermost such condition wins. Narrowing holds in callbacks
        written in the region (TypeScript 5.4 keeps it for parameters and constants)."""
        regions = self.narrowings.get(name)
        if not regions:
            return None
        at = node.start_byte
        best = None
        for start, end, condition in regions:
            if start <= at < end and (best is None or start >= best[0]):
                found = self.guard(condition, name)
                if found is not None:
                    best = (start, found)
        return best[1] if best is not None else None

    def guard(self, condition, name: str) -> Expr | None:
        while condition.type == "parenthesized_expression" and condition.named_child_count == 1:
            condition = condition.named_children[0]
        if condition.type == "call_expression":
            callee = condition.child_by_field_name("function")
            arguments = condition.child_by_field_name("arguments")
            first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
            if callee is not None and first is not None and first.type == "identifier" and self.text(first) == name:
                path = _identifier_chain(self, callee)
                if path is not None:
                    return infer.guarded(".".join(path))
            return None
        if condition.type == "binary_expression":
            operator = condition.child_by_field_name("operator")
            left, right = condition.child_by_field_name("left"), condition.child_by_field_name("right")
            if operator is None or left is None or right is None:
                return None
            if operator.type == "instanceof" and left.type == "identifier" and self.text(left) == name:
                path = _identifier_chain(self, right)
                return infer.typed(".".join(path)) if path is not None else None
            if operator.type == "&&":
                return self.guard(left, name) or self.guard(right, name)
            if operator.type == "||":
                # `isA(x) || isB(x)`: x is A | B; a call on the union is the first member's (as on any union)
                first, second = self.guard(left, name), self.guard(right, name)
                return first if first is not None and second is not None else None
        return None

    # ---- bodies ----

    def on_call(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "fn":
            return
        callee = caps["reference.callee"][0]
        kind = callee.type
        if kind == "identifier":
            name = self.text(callee)
            if name not in GLOBAL_CALLS:
                self.add_reference(Reference(EdgeKind.CALLS, scope.module, "fn", (name,), src=scope.node_id))
        elif kind == "super":
            if scope.bases:
                self.add_reference(
                    Reference(
                        EdgeKind.CALLS, scope.module, "fn", ("constructor",), src=scope.node_id, receiver=scope.bases
                    )
                )
        elif kind == "member_expression":
            prop = callee.child_by_field_name("property")
            obj = callee.child_by_field_name("object")
            if prop is None or obj is None:
                return
            name = self.text(prop)
            receivers: tuple[str, ...]
            if obj.type == "this":
                # `this` is the instance in a method and in arrow functions (a property arrow included); a
                # `function` expression nested in a method has a `this` of its own: unknown, so a guess
                receivers = () if _this_rebound(node) else scope.receivers
                if not receivers:
                    receivers = self.this_expression(obj, scope) or ()  # `function f(this: Annotation)`
            elif obj.type == "super":
                receivers = scope.bases
                if not receivers:
                    return
            else:
                expr = self.expression(obj, scope)
                if obj.type == "new_expression":  # `new Foo().m()`: a method of Foo
                    constructor = obj.child_by_field_name("constructor")
                    obj = constructor if constructor is not None else obj
                path = _identifier_chain(self, obj)
                if path is not None and (scope.env is None or path[0] not in scope.env):
                    # a path (`ns.f()`, `Foo.create()`, `imported.m()`): found by name first, else by its type
                    self.add_reference(
                        Reference(EdgeKind.CALLS, scope.module, "fn", (*path, name), src=scope.node_id, receiver=expr)
                    )
                    return
                receivers = expr or ()
            self.add_reference(
                Reference(EdgeKind.CALLS, scope.module, "fn", (name,), src=scope.node_id, receiver=receivers)
            )

    def on_new(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "fn":
            return
        path = _identifier_chain(self, caps["reference.constructor"][0])
        if path is None or (len(path) == 1 and path[0] in GLOBAL_CALLS):
            return
        self.add_reference(Reference(EdgeKind.CALLS, scope.module, "new", (*path, "constructor"), src=scope.node_id))


_IDENT = re.compile(r"^[A-Za-z_$][\w$]*$")
_IDENT_PATH = re.compile(r"^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*$")
# array methods whose callback's first parameter is an element of the array
_ELEMENT_CALLBACKS = frozenset(
    {"map", "forEach", "filter", "find", "findLast", "some", "every", "flatMap", "findIndex", "findLastIndex"}
)


def _pattern_names(pattern):
    """The identifiers a destructuring pattern binds."""
    stack = [pattern]
    while stack:
        node = stack.pop()
        if node.type in ("identifier", "shorthand_property_identifier_pattern"):
            yield node
        else:
            stack.extend(node.named_children)


_FUNCTION_LIKE = frozenset(
    {
        "function_expression",
        "arrow_function",
        "generator_function",
        "function_declaration",
        "generator_function_declaration",
        "method_definition",
        "class_body",
    }
)


_THIS_BINDERS = frozenset(
    {"function_expression", "function_declaration", "generator_function", "generator_function_declaration"}
)
_THIS_KEEPERS = frozenset({"method_definition", "class_body", "program"})


_IMPORT_KEYWORD = re.compile(rb"\b(?:import|export)\b")
_IMPORT_STATEMENTS = frozenset({"import_statement", "export_statement"})


def _imports_at_top_only(source: bytes, root) -> bool:
    """Whether every import and export statement of an error-free tree is a child of its root, so that the imports
    query need not walk the bodies. Such a statement holds its keyword (an error-free tree has no MISSING token), so
    it suffices that every `import` or `export` of the source starts one of the root's statements or is in a comment;
    any other (an `import()`, a namespace's `export`, the word in a string) sends the query over the whole tree."""
    starts = None
    for keyword in _IMPORT_KEYWORD.finditer(source):
        if starts is None:
            starts = {child.start_byte for child in root.children if child.type in _IMPORT_STATEMENTS}
        at = keyword.start()
        if at in starts or root.descendant_for_byte_range(at, keyword.end()).type == "comment":
            continue
        return False
    return True


def _later(function, *args):
    """A binding computed when the name is first read (infer.Env)."""
    return lambda: function(*args)


def _narrowed_names(extraction: FileExtraction, condition) -> list[str]:
    """The names a condition may narrow: the first argument of a call, the left of `instanceof`, through `&&`."""
    while condition.type == "parenthesized_expression" and condition.named_child_count == 1:
        condition = condition.named_children[0]
    if condition.type == "call_expression":
        arguments = condition.child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
        return [extraction.text(first)] if first is not None and first.type == "identifier" else []
    if condition.type == "binary_expression":
        operator = condition.child_by_field_name("operator")
        left, right = condition.child_by_field_name("left"), condition.child_by_field_name("right")
        if operator is None or left is None or right is None:
            return []
        if operator.type == "instanceof":
            return [extraction.text(left)] if left.type == "identifier" else []
        if operator.type in ("&&", "||"):
            return _narrowed_names(extraction, left) + _narrowed_names(extraction, right)
    return []


def _this_binder(node):
    """The `function` (not an arrow) whose own `this` a node sees, or None when it is a method's (or the module's)."""
    parent = node.parent
    while parent is not None:
        kind = parent.type
        if kind in _THIS_BINDERS:
            return parent
        if kind in _THIS_KEEPERS:
            return None
        parent = parent.parent
    return None


def _this_rebound(node) -> bool:
    """Whether a `function` (not an arrow) between a call and its method binds a `this` of its own."""
    parent = node.parent
    while parent is not None:
        kind = parent.type
        if kind in _THIS_BINDERS:
            return True
        if kind in _THIS_KEEPERS:
            return False
        parent = parent.parent
    return False


def _identifier_chain(extraction: FileExtraction, node) -> tuple[str, ...] | None:
    """`a.b.c` as ("a", "b", "c") when the expression is a chain of plain names, else None."""
    parts = []
    while node.type == "member_expression":
        prop = node.child_by_field_name("property")
        if prop is None or prop.type != "property_identifier":
            return None
        parts.append(extraction.text(prop))
        node = node.child_by_field_name("object")
        if node is None:
            return None
    if node.type != "identifier":
        return None
    parts.append(extraction.text(node))
    return tuple(reversed(parts))


def _member_visibility(extraction: FileExtraction, node, name: str) -> str | None:
    if name.startswith("#"):
        return "private"
    for child in node.children:
        if child.type == "accessibility_modifier":
            return extraction.text(child)
    return None


ITEM_CACHE = True  # extract() takes a per-file cache (TypeScript and TSX; JavaScript files are read whole)
_CONTAINER_TYPES = frozenset(
    {"class_declaration", "abstract_class_declaration", "interface_declaration", "internal_module", "module"}
)


def _container_body(node: tree_sitter.Node) -> tree_sitter.Node | None:
    """The body whose members or statements are items of their own for the item cache: a class's, an interface's, a
    namespace's, a `declare module`'s or `declare global`'s, through `export`/`declare` wrappers; None for any other
    item (a function is one item, its body included)."""
    while node.type in ("export_statement", "expression_statement", "ambient_declaration"):
        if node.type == "export_statement":
            inner = node.child_by_field_name("declaration")
        else:
            inner = next((c for c in node.named_children if c.type != "comment"), None)
        if inner is None:
            return None
        if node.type == "ambient_declaration" and inner.type == "statement_block":
            return inner  # `declare global { ... }`
        node = inner
    return node.child_by_field_name("body") if node.type in _CONTAINER_TYPES else None


_CONTAINERS = dict.fromkeys(
    (*_CONTAINER_TYPES, "export_statement", "expression_statement", "ambient_declaration"), _container_body
)


def extract(
    path: str,
    source: bytes,
    tree: tree_sitter.Tree,
    layout: TsLayout,
    content_hash: bytes,
    lang: str = "typescript",
    cache: dict | None = None,
) -> FileFacts:
    patched = None
    if lang != "javascript" and tree.root_node.has_error:
        earlier = cache.get(PATCHED_KEY) if cache is not None else None
        source, tree, patched = _reparse_generic_call_signatures(source, tree, lang, earlier)
    facts = TsExtraction(path, lang, source, tree, content_hash, layout).run(cache)
    if cache is not None:  # after run(): the item walk keeps only the items it saw
        if patched is not None:
            cache[PATCHED_KEY] = patched
        else:
            cache.pop(PATCHED_KEY, None)
    return facts


# ---- a grammar limitation: generic call signatures separated by line breaks only -------------------------------
#
# tree-sitter-typescript (0.23, issue tree-sitter/tree-sitter-typescript#335) cannot parse a call signature with type
# parameters that follows another member without a `;`:
#
#     interface IActionFactory {
#         <T extends Function>(fn: T): T
#         <T extends Function>(name: string, fn: T): T      <- `T\n<T ...` is read as `T<T ...`: ERROR
#     }
#
# and the ERROR node swallows the rest of the file. When a file has errors, each line that opens with such a type
# parameter list after a member's end gets the last character of its indentation replaced by `;` (same length,
# same lines: every span stays put), and the result is kept only when it parses with fewer errors. An editor's file
# keeps its last patched source and tree in its item cache (``PATCHED_KEY``): the next version's patched source is
# parsed incrementally from it, the bytes between the first and the last that differ taken as the edit, and kept when
# it has no error left (else parsed from scratch: error recovery may differ between the two).

_GENERIC_SIGNATURE_LINE = re.compile(rb"^([ \t]+)<[A-Za-z_$][\w$]*\s*(?:extends\b|[,=>])", re.M)
_MEMBER_END = frozenset(b"_$)]>}'\"`")
_parsers: dict[str, tree_sitter.Parser] = {}


# An edit of a file under this size extracts it whole: the item cache's keys, effects and separate imports pass cost
# more than they save there (paired, on ts-130k's body edits: files under 2,500 bytes ~20 % faster read whole, files
# over 4,000 bytes 3-21 % faster through the cache)
ITEM_CACHE_MIN_BYTES = 2500

PATCHED_KEY = "\x00patched"  # in an editor's item cache: (patched source, its tree) of the last extraction


def _reparse_generic_call_signatures(
    source: bytes,
    tree: tree_sitter.Tree,
    lang: str,
    earlier: tuple[bytes, tree_sitter.Tree] | None = None,
) -> tuple[bytes, tree_sitter.Tree, tuple[bytes, tree_sitter.Tree] | None]:
    """The source and tree to extract, and the patched pair when the patch was kept (None otherwise)."""
    patched = bytearray(source)
    changed = False
    for match in _GENERIC_SIGNATURE_LINE.finditer(source):
        before = _previous_significant(source, match.start())
        if before is None or not (chr(before).isalnum() or before in _MEMBER_END):
            continue
        patched[match.end(1) - 1] = ord(";")
        changed = True
    if not changed:
        return source, tree, None
    parser = _parsers.get(lang)
    if parser is None:
        from . import new_parser

        parser = _parsers[lang] = new_parser(lang)
    new_source = bytes(patched)
    new_tree = None
    if earlier is not None and len(earlier[0]) > 0:
        old_source, old_tree = earlier
        old_tree = old_tree.copy()
        _edit_between(old_tree, old_source, new_source)
        new_tree = parser.parse(new_source, old_tree)
        if new_tree.root_node.has_error:
            # tree-sitter may recover from an error otherwise when it reuses an earlier tree: only a tree without
            # one is sure to be the tree a parse from scratch gives (an item cache must not see other facts)
            new_tree = None
    if new_tree is None:
        new_tree = parser.parse(new_source)
    if _error_bytes(new_tree) < _error_bytes(tree):
        return new_source, new_tree, (new_source, new_tree)
    return source, tree, None


def _edit_between(tree: tree_sitter.Tree, old: bytes, new: bytes) -> None:
    """Tells ``tree`` (of ``old``) that ``new`` replaced the bytes between the first and the last that differ."""
    start = _common_prefix(old, new)
    limit = min(len(old), len(new)) - start
    suffix = _common_prefix(old[::-1][:limit], new[::-1][:limit])
    old_end, new_end = len(old) - suffix, len(new) - suffix
    tree.edit(
        start_byte=start,
        old_end_byte=old_end,
        new_end_byte=new_end,
        start_point=_point(old, start),
        old_end_point=_point(old, old_end),
        new_end_point=_point(new, new_end),
    )


def _common_prefix(a: bytes, b: bytes, step: int = 4096) -> int:
    """How many bytes ``a`` and ``b`` share at their start (compared a block at a time, then bisected)."""
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i : i + step] == b[i : i + step]:
        i += step
    if i >= n:
        return n
    lo, hi = i, min(i + step, n)
    while lo < hi:  # a[i:lo] == b[i:lo] holds; find the first differing byte in [lo, hi)
        mid = (lo + hi) // 2
        if a[i : mid + 1] == b[i : mid + 1]:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _point(data: bytes, offset: int) -> tuple[int, int]:
    row = data.count(b"\n", 0, offset)
    return row, offset - (data.rfind(b"\n", 0, offset) + 1)


def _previous_significant(source: bytes, pos: int) -> int | None:
    """The last byte before `pos` that is neither white space nor inside a comment (best effort)."""
    text = source[:pos]
    for _ in range(64):
        text = text.rstrip()
        if not text:
            return None
        if text.endswith(b"*/"):
            start = text.rfind(b"/*")
            if start < 0:
                return None
            text = text[:start]
            continue
        line_start = text.rfind(b"\n") + 1
        comment = text.find(b"//", line_start)
        if comment >= 0:
            text = text[:comment]
            continue
        return text[-1]
    return None


def _error_bytes(tree: tree_sitter.Tree) -> int:
    """How much of a tree tree-sitter could not parse: the bytes under ERROR nodes, and one per MISSING node."""
    total = 0
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error:
            total += max(1, node.end_byte - node.start_byte)
        elif node.is_missing:
            total += 1
        elif node.has_error:
            stack.extend(node.children)
    return total


# ---- resolution ---------------------------------------------------------------------------------------------


def resolve(ref: Reference, view: SymbolView, facts: FileFacts) -> tuple[Target | None, Target | None]:
    if ref.dst is not None:
        return None, None
    if infer.is_expression(ref.receiver):
        found = _resolve_inferred(ref, view)
    elif ref.receiver is not None:
        found = resolve_method(ref.path[-1], ref.receiver, ref.scope, view)
    else:
        found = resolve_path(ref.path, ref.target, ref.scope, view)
    if (
        ref.kind is EdgeKind.CALLS
        and found is not None
        and found.ids
        and found.resolution is not Resolution.HEURISTIC
        and any(_ANNOTATED_PROPERTY.match(view.node(i).signature) for i in found.ids)
    ):
        # `produce: IProduce = (...) => ...`: a call through the property takes the signatures of its declared type
        # (the checker resolves `this.produce(x)` to IProduce's), so the arrow is a likely target, not a fact
        return None, Target(found.ids, Resolution.HEURISTIC, len(found.ids))
    return None, found


# A class property with a type annotation (`static create: Factory = ...`, `produce?: IProduce = ...`), as the head
# of a property-arrow method's signature starts; a method's head is `name(` or `name<`.
_ANNOTATED_PROPERTY = re.compile(
    r"^(?:(?:static|readonly|private|public|protected|override|declare|abstract|accessor)\s+)*[#\w$]+[?!]?\s*:"
)


def _resolve_inferred(ref: Reference, view: SymbolView) -> Target | None:
    """A method call whose receiver is an expression (infer.py): a path first (`ns.f()`, `Foo.create()`), else a
    method of the receiver's inferred type; a guess by name only when that type is unknown."""
    name = ref.path[-1]
    if len(ref.path) > 1:
        found = resolve_path(ref.path, ref.target, ref.scope, view, guess=False)
        if found is not None:
            return found
    receiver = cast(Expr, ref.receiver)  # an expression (resolve checked): never None
    outcome, ty, fns = infer.inference(_types(view), view).methods_of(receiver, ref.scope, name)
    if outcome == Outcome.UNKNOWN:
        return guess_methods(view, name, FN_KINDS, FAMILY, lambda n: _is_method(n.fqp, view), STANDARD_METHODS)
    if not fns:
        return None
    return Target([fn.id for fn in fns], ty.resolution if ty is not None else Resolution.EXACT)


def _split(fqp: str) -> tuple[str, ...]:
    return tuple(fqp.split("::"))


def _join(path: tuple[str, ...]) -> str:
    return "::".join(path)


def resolve_path(path: tuple[str, ...], target: str, scope: str, view: SymbolView, guess: bool = True) -> Target | None:
    kinds = TARGET_KINDS[target]
    first = path[0]
    if "::" in scope:  # inside a namespace (`src/a::N::M`): its names, then the enclosing ones'
        parts = _split(scope)
        for cut in range(len(parts), 1, -1):
            ids = lookup_absolute((*parts[:cut], *path), kinds, view)
            if ids:
                return Target(ids, Resolution.EXACT)
        scope = parts[0]
    imported = view.imports(scope).get(first)
    if imported is not None:
        expanded = _split(imported) + path[1:]
        ids = lookup_absolute(expanded, kinds, view)
        if ids:
            return Target(ids, Resolution.IMPORT)
        if target == "type" and len(expanded) > 2:
            ids = lookup_absolute(expanded[:-1], ENUM_KINDS, view)
            if ids:  # `ArchType.Object`: a member of an enum: the enum
                return Target(ids, Resolution.IMPORT)
        if target == "type":
            return Target([], Resolution.IMPORT, external_fqp=_join(expanded), external_kind=NodeKind.STRUCT)
        return None
    ids = lookup_absolute((scope, *path), kinds, view)
    if ids:
        return Target(ids, Resolution.EXACT)
    if target == "type" and len(path) > 1:
        ids = lookup_absolute((scope, *path[:-1]), ENUM_KINDS, view)
        if ids:
            return Target(ids, Resolution.EXACT)
    if target == "fn":
        if len(path) > 1 and guess:  # `value.method()` on a local value: resolved by the method's name
            return resolve_method(path[-1], (), scope, view)
        return None
    if target != "type":
        return None
    if len(path) == 1:
        if first in GLOBAL_TYPES:
            return Target([], Resolution.IMPORT, external_fqp=first, external_kind=NodeKind.STRUCT)
        # a global declaration (a `.d.ts` script without imports or exports), when exactly one has the name
        found = [n for n in view.by_name(first, TYPE_KINDS, FAMILY) if not n.external]
        if len(found) == 1:
            return Target([found[0].id], Resolution.HEURISTIC, 1)
        return Target([], Resolution.HEURISTIC, 0, external_fqp=first, external_kind=NodeKind.STRUCT)
    return Target([], Resolution.EXACT, external_fqp=".".join(path), external_kind=NodeKind.STRUCT)


def lookup_absolute(path: tuple[str, ...], kinds: frozenset[NodeKind], view: SymbolView, depth: int = 0) -> list[bytes]:
    """Nodes at `module::Name::member`, trying `module/index`, following re-exports (`export ... from`), default
    exports and, for members, the bases of classes and interfaces (recorded as the globs of their scope)."""
    ids = view.lookup(_join(path), kinds)
    if ids or depth > 8:
        return ids
    if len(path) == 1:
        if not path[0].endswith("/index") and NodeKind.MODULE in kinds:
            return view.lookup(path[0] + "/index", kinds)
        return []
    parent, name = path[:-1], path[-1]
    parent_fqp = _join(parent)
    reexport = view.imports(parent_fqp).get(name)
    if reexport is not None and reexport != _join(path):
        ids = lookup_absolute(_split(reexport), kinds, view, depth + 1)
        if ids:
            return ids
    for glob in view.globs(parent_fqp):
        if glob == parent_fqp:
            continue
        ids = lookup_absolute((*_split(glob), name), kinds, view, depth + 1)
        if ids:
            return ids
    if len(parent) == 1:
        if not parent[0].endswith("/index"):
            return lookup_absolute((parent[0] + "/index", name), kinds, view, depth + 1)
        return []
    # the parent is itself imported or re-exported under this name (`import {Base} ...; Base::m`, `ns.f`)
    owners = lookup_absolute(parent, OWNER_KINDS, view, depth + 1)
    for owner in owners:
        owner_fqp = view.node(owner).fqp
        if owner_fqp != parent_fqp:
            ids = lookup_absolute((*_split(owner_fqp), name), kinds, view, depth + 1)
            if ids:
                return ids
    return []


def resolve_method(name: str, receivers: tuple[str, ...], scope: str, view: SymbolView) -> Target | None:
    if receivers:
        for receiver in receivers:
            ids = lookup_absolute((*_split(receiver), name), FN_KINDS, view)
            if ids:
                return Target(ids, Resolution.EXACT)
        return None
    return guess_methods(view, name, FN_KINDS, FAMILY, lambda n: _is_method(n.fqp, view), STANDARD_METHODS)


def _is_method(fqp: str, view: SymbolView) -> bool:
    owner, _, _ = fqp.rpartition("::")
    return "::" in owner and bool(view.lookup(owner, CLASS_KINDS))


def lookup_path(view: SymbolView, fqp: str) -> list[bytes]:
    """The workspace nodes a public path names through `export ... from`, `export *` and `index` modules
    (`src/core::Basket` is `src/core/cart::Cart`): for queries given a path that is no node's FQP."""
    path = _split(fqp)
    if len(path) < 2 or not all(path) or "/" not in path[0] and not view.lookup(path[0], TARGET_KINDS["module"]):
        return []
    found = lookup_absolute(path, TYPE_KINDS, view) + lookup_absolute(path, FN_KINDS, view)
    return sorted(set(found)) or lookup_absolute(path, TARGET_KINDS["module"], view)


# ---- receiver types (infer.py) -------------------------------------------------------------------------------

# Types whose values are of the standard library: none of their methods is a workspace method.
_PRIMITIVE_VALUES = frozenset(
    {
        "string",
        "number",
        "boolean",
        "bigint",
        "symbol",
        "object",
        "String",
        "Number",
        "Boolean",
        "RegExp",
        "Date",
        "Function",
        "Error",
        "Symbol",
        "BigInt",
    }
)
_MAPS = frozenset({"Map", "WeakMap", "ReadonlyMap"})
_ARRAYS = frozenset({infer.ARRAY, "Array", "ReadonlyArray"})
_SELF_METHODS = frozenset(
    {
        "filter",
        "slice",
        "concat",
        "reverse",
        "sort",
        "splice",
        "toReversed",
        "toSorted",
        "toSpliced",
        "fill",
        "copyWithin",
    }
)
_ELEMENT_METHODS = frozenset({"find", "findLast", "at", "pop", "shift"})
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_MODIFIERS = frozenset(
    {
        "export",
        "default",
        "declare",
        "async",
        "function",
        "function*",
        "static",
        "public",
        "private",
        "protected",
        "readonly",
        "abstract",
        "override",
        "get",
        "set",
        "const",
        "let",
        "var",
        "accessor",
    }
)


class _TsTypes:
    """TypeScript's side of receiver inference (infer.TypeSystem): a type is read where it is written, in the module
    (or namespace) FQP that scopes its names."""

    nullish = frozenset({"undefined", "null", "void", "never"})
    self_type = "this"

    def __init__(self, view: SymbolView) -> None:
        self.view = view

    def normalize(self, text: str) -> str:
        text = _COMMENT.sub(" ", text).strip()
        if text.startswith("readonly "):
            text = text[len("readonly ") :]
        if " is " in text and not text.startswith("("):  # a type predicate `x is Foo` is a boolean
            return "boolean"
        return text

    def type_named(self, path: str, where) -> Ty | None:
        if path in ("any", "unknown"):
            return None
        if path in _PRIMITIVE_VALUES or path in PRIMITIVES:
            return Ty(path, True)
        found = resolve_path(tuple(path.split(".")), "type", where, self.view)
        if found is None:
            return None
        if found.ids:
            node = self.view.node(found.ids[0])
            if node.kind is NodeKind.ASSOC_TYPE:  # `type X = Foo<T>`: what it stands for
                return self.aliased(Ty(node.fqp))
            return Ty(node.fqp, False, (), found.resolution)
        if found.external_fqp is None or found.resolution is Resolution.HEURISTIC:
            return Ty(path, True) if path in GLOBAL_VALUES else None
        return Ty(found.external_fqp, True, (), found.resolution)

    def node_of(self, fqp: str) -> Node | None:
        ids = self.view.lookup(fqp)
        return self.view.node(ids[0]) if ids else None

    def aliased(self, ty: Ty) -> Ty | None:
        """What a type alias (`type Lambda = ...`) or a type parameter's bound (`T extends Foo`) stands for."""
        node = self.node_of(ty.fqp)
        if node is None:
            return None
        if node.kind is NodeKind.ASSOC_TYPE:
            _, eq, text = node.signature.partition("=")
            where = _scope_of(node)
            if text.strip().startswith("{"):  # an object type: known, with no method of ours
                return Ty(node.fqp)
        elif node.kind is NodeKind.GENERIC:
            _, eq, text = node.signature.partition(" extends ")
            text = text.split("=")[0]
            where = _scope_of(node)
        else:
            return None
        if not eq:
            return None
        owner = node.fqp.rsplit("::", 1)[0] if node.kind is NodeKind.GENERIC else node.fqp
        inference = infer.inference(self, self.view)
        return inference.written(Declared(text.strip(), where, frozenset(), None)) if owner else None

    def methods(self, ty: Ty, name: str, depth: int = 0) -> list[Node]:
        ids = lookup_absolute((*_split(ty.fqp), name), FN_KINDS, self.view)
        if not ids:
            target = self.aliased(ty) if depth < 8 else None
            if target is not None and not target.external and target.fqp != ty.fqp:
                return self.methods(target, name, depth + 1)
            return []
        return [self.view.node(i) for i in ids]

    def returns(self, fn: Node) -> Declared | None:
        text, generics = _return_text(fn.signature, fn.name)
        if not text:
            return None
        owner = fn.fqp.rsplit("::", 1)[0]
        owner_node = self.node_of(owner)
        return Declared(
            text, _scope_of(fn), generics, owner if owner_node is not None and owner_node.kind in CLASS_KINDS else None
        )

    def field(self, ty: Ty, name: str, depth: int = 0) -> Declared | None:
        entry = infer.field_entry(name)
        todo = [ty.fqp]
        seen: set[str] = set()
        while todo and len(seen) < 96:  # a barrel (`export * from` ...) is wide
            fqp = todo.pop(0)
            if fqp in seen:
                continue
            seen.add(fqp)
            text = self.view.imports(infer.fields_key(FAMILY, fqp)).get(entry)
            if text is not None:
                node = self.node_of(fqp)
                where = (
                    fqp
                    if node is not None and node.kind is NodeKind.MODULE
                    else (_scope_of(node) if node is not None else fqp.split("::")[0])
                )
                return Declared(
                    text, where, frozenset(), fqp if node is not None and node.kind in CLASS_KINDS else None
                )
            reexport = self.view.imports(fqp).get(name)  # a module's value re-exported from another
            if reexport is not None and "::" in reexport:
                todo.append(reexport.rpartition("::")[0])
            for base in self.view.globs(fqp):  # `export * from`, a class's bases
                if "::" not in base:
                    todo.append(base)
                    continue
                for owner in lookup_absolute(_split(base), OWNER_KINDS, self.view) or ():
                    todo.append(self.view.node(owner).fqp)
        target = self.aliased(ty) if depth < 8 else None
        if target is not None and not target.external and target.fqp != ty.fqp:
            return self.field(target, name, depth + 1)
        return None

    def call_value(self, path: str, arity: int | None, where, inference: infer.Inference) -> Ty | None:
        """`f()`, `Foo.create()`, `ns.f()`: a function at the path; else `value.m()`: a method of an imported or
        module value (`shared.m()`), or of a global object (`JSON.parse()`: outside the workspace)."""
        parts = path.split(".")
        found = resolve_path(tuple(parts), "fn", where, self.view, guess=False)
        if found is not None and found.ids:
            return inference.returned([self.view.node(i) for i in found.ids])
        if len(parts) < 2:
            return None
        value = self.value_path(parts[:-1], where, inference)
        return inference.call(value, parts[-1], arity) if value is not None else None

    def value_path(self, parts: list[str], where, inference: infer.Inference) -> Ty | None:
        """The type of a value written as a path of names (`shared`, `ns.shared.inner`) in a module."""
        first = parts[0]
        imported = self.view.imports(where).get(first)
        if imported is not None and "::" in imported:
            module, _, name = imported.rpartition("::")
        elif imported is not None:  # `import * as ns`: the module itself
            module, name = imported, ""
        elif first in GLOBAL_VALUES:
            return infer.OPAQUE
        else:
            module, name = where.split("::")[0], first
        ty: Ty | None = Ty(module)
        for member in ([name] if name else []) + parts[1:]:
            if ty is None:
                return None
            ty = inference.field(ty, member)
        return ty

    def callback_parameter(
        self, path: str, argument: int, parameter: int, where, inference: infer.Inference
    ) -> Ty | None:
        """`each(xs, x => ...)`: the type of parameter ``parameter`` of the function type that `each` declares for
        its argument ``argument``."""
        found = resolve_path(tuple(path.split(".")), "fn", where, self.view, guess=False)
        if found is None or len(found.ids) != 1:
            return None
        fn = self.view.node(found.ids[0])
        params = _parameter_texts(fn.signature, fn.name)
        if argument >= len(params):
            return None
        text = params[argument]
        if not text.startswith("("):
            return None
        inner = _parameter_texts("f" + text, "f")
        if parameter >= len(inner):
            return None
        _, generics = _return_text(fn.signature, fn.name)
        return inference.written(Declared(inner[parameter], _scope_of(fn), generics))

    def guard_value(self, path: str, where, inference: infer.Inference) -> Ty | None:
        """`isFoo(x): x is Foo` (a function, or a value declared with such a function type): Foo."""
        found = resolve_path(tuple(path.split(".")), "fn", where, self.view, guess=False)
        declared: Declared | None = None
        if found is not None and found.ids:
            fn = self.view.node(found.ids[0])
            text, generics = _return_text(fn.signature, fn.name)
            declared = Declared(text, _scope_of(fn), generics) if text else None
        else:
            parts = path.split(".")
            imported = self.view.imports(where).get(parts[0]) if len(parts) == 1 else None
            module, name = (
                (imported.rpartition("::")[0], imported.rpartition("::")[2])
                if imported and "::" in imported
                else (where, parts[-1])
            )
            declared = self.field(Ty(module), name)
        if declared is not None and declared.text.startswith(infer.EXPR_PREFIX):
            expr = infer.decode(declared.text)  # `export const isFoo = f(...) as (x: any) => x is Foo`
            start = expr[1] if len(expr) == 2 else ""
            declared = Declared(start[1:], declared.where) if start.startswith(infer.START_TYPE) else None
        if declared is None:
            return None
        _, is_, guarded_type = _COMMENT.sub(" ", declared.text).rpartition(" is ")
        if not is_:
            return None
        return inference.written(Declared(guarded_type.strip(), declared.where, declared.generics))

    def external_method(self, ty: Ty, name: str) -> Ty | None:
        kind = ty.name
        if kind in _MAPS:
            if name == "get":
                return ty.arg(1)
            if name in ("keys", "values"):
                return Ty("IterableIterator", True, (ty.arg(0 if name == "keys" else 1),))
        elif kind in _ARRAYS:
            if name in _ELEMENT_METHODS:
                return ty.arg(0)
            if name in _SELF_METHODS:
                return ty
            if name in ("values", "keys"):
                return Ty("IterableIterator", True, (ty.arg(0) if name == "values" else Ty("number", True),))
        elif kind in ("Set", "ReadonlySet") and name in ("values", "keys"):
            return Ty("IterableIterator", True, (ty.arg(0),))
        elif kind in ("Promise", "PromiseLike") and name in ("then", "catch", "finally"):
            return None
        return infer.OPAQUE

    def union(self, members: list[Ty | None]) -> Ty | None:
        """`A | B` of workspace classes or interfaces: the checker resolves a call on it to the first member's
        declaration (each member must have the method), so the first member stands for it."""
        # a primitive member cannot be the receiver of a method call that compiles (the code narrowed it away)
        kept = [
            m for m in members if m is None or not (m.external and (m.fqp in PRIMITIVES or m.fqp in _PRIMITIVE_VALUES))
        ]
        if not kept or any(m is None or m.external for m in kept):
            return None
        return kept[0]

    def type_parameters(self, type_fqp: str) -> tuple[str, ...]:
        node = self.node_of(type_fqp)
        return infer.type_parameters(node.signature, node.name) if node is not None else ()

    def accepts(self, fn: Node, arity: int) -> bool:
        return True  # overloads are one node


def _types(view: SymbolView) -> _TsTypes:
    found = view.memo.get(_TsTypes)
    if found is None:
        found = view.memo[_TsTypes] = _TsTypes(view)
    return found  # type: ignore[return-value]


def _scope_of(node: Node) -> str:
    """Where the names of a declaration's signature are read: its module (the file's path without extension), or
    the namespace it stands in."""
    module = module_path(node.file or "")
    fqp = node.fqp
    if not fqp.startswith(module + "::"):
        return module
    inner = fqp[len(module) + 2 :].split("::")[:-1]
    # members of classes are read in their class's module; namespaces (M nodes) keep their FQP as the scope
    return module if not inner or inner[0][:1].isupper() and len(inner) == 1 else "::".join((module, *inner[:1]))


def _parameter_texts(signature: str, name: str) -> list[str]:
    """The declared types of a function's parameters as written (`f(a: A, b?: (x: X) => void)` gives
    [`A`, `(x: X) => void`]; "" for a parameter without one)."""
    text = _COMMENT.sub(" ", signature)
    at = infer._find_word(text, name)
    rest = text[at + len(name) :] if at >= 0 else text
    start = rest.find("(")
    if start == -1:
        return []
    depth, end = 0, -1
    for i in range(start, len(rest)):
        ch = rest[i]
        if ch in "([{<":
            depth += 1
        elif ch in ")]}" or (ch == ">" and rest[i - 1] != "="):
            depth -= 1
            if depth == 0:
                end = i
                break
    if end == -1:
        return []
    texts = []
    for part in infer._split_top(rest[start + 1 : end], ","):
        _, colon, written = part.partition(":")
        texts.append(_without_default(written).strip() if colon else "")
    return texts


def _without_default(text: str) -> str:
    """A parameter's type without its default value (`Foo = new Foo()` gives `Foo`; `=>` is no default)."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{<":
            depth += 1
        elif ch in ")]}" or (ch == ">" and text[i - 1 : i] != "="):
            depth -= 1
        elif ch == "=" and depth == 0 and text[i + 1 : i + 2] != ">":
            return text[:i]
    return text


def _return_text(signature: str, name: str) -> tuple[str, frozenset[str]]:
    """The return type written in a function's signature (`get(key: K): V | undefined` gives `V | undefined`)
    and its own type parameters, or ("", ...) when none is written."""
    text = _COMMENT.sub(" ", signature)
    at = infer._find_word(text, name) if name else -1
    rest = text[at + len(name) :] if at >= 0 else text
    generics: frozenset[str] = frozenset()
    rest = rest.lstrip()
    if rest.startswith("="):  # `f = (x): T =>`, `const f = <T>(x) =>`
        rest = rest[1:].lstrip()
        if rest.startswith("async "):
            rest = rest[len("async ") :].lstrip()
        if rest.startswith("function"):
            rest = rest[len("function") :].lstrip("* ")
    elif rest.startswith(("?", "!")):
        rest = rest[1:].lstrip()
    if rest.startswith("<"):
        depth = 0
        for i, ch in enumerate(rest):
            depth += 1 if ch == "<" else -1 if ch == ">" and rest[i - 1 : i + 1] != "=>" else 0
            if depth == 0:
                generics = frozenset(infer.type_parameters("f" + rest[: i + 1], "f"))
                rest = rest[i + 1 :].lstrip()
                break
    if not rest.startswith("("):
        return "", generics
    depth = 0
    for i, ch in enumerate(rest):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                rest = rest[i + 1 :].strip()
                break
    else:
        return "", generics
    if not rest.startswith(":"):
        return "", generics
    rest = rest[1:].strip()
    if rest.endswith("=>"):
        rest = rest[:-2].strip()
    if rest.startswith("asserts "):
        return "", generics
    return rest, generics


__all__ = ["TsLayout", "build_layout", "extract", "resolve", "module_path"]
