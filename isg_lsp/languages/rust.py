"""Rust: crates and modules from Cargo.toml and files, extraction from `queries/rust.scm`, name resolution.

FQPs follow ISG-SPEC §2: `{crate}::{modules}::{item}`, inherent impl items `{Type}::{item}`, trait impl items
`<{Type} as {Trait}>::{item}`. Extraction sees one file; what it cannot settle alone (a name imported from another
module, a method called on a value) it leaves as a ``Reference`` that ``resolve`` answers against the workspace.
"""

from __future__ import annotations

import os
import re
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import tree_sitter

from ..graph import SymbolView, Target
from ..model import Edge, EdgeKind, FileFacts, Node, NodeKind, Reference, Resolution, sighash
from . import infer, query
from .common import MAX_HEURISTIC_CANDIDATES, FileExtraction, dispatch, guess_methods, read_manifest, strip_generics
from .infer import Declared, Expr, Outcome, Ty

LANG = "rust"

# Names every Rust module sees without a `use` (the std prelude and the built-in derives). Per the spec an external
# node gets "the best path known (from imports, else the bare name)": these keep their bare name, resolved by import.
PRELUDE: dict[str, NodeKind] = {
    **dict.fromkeys(
        (
            "Clone Copy Send Sync Sized Unpin Drop Fn FnMut FnOnce Default Iterator IntoIterator "
            "DoubleEndedIterator ExactSizeIterator Extend ToString ToOwned PartialEq Eq PartialOrd Ord AsRef "
            "AsMut Into From TryFrom TryInto FromIterator Debug Hash"
        ).split(),
        NodeKind.TRAIT,
    ),
    "Option": NodeKind.ENUM,
    "Result": NodeKind.ENUM,
    "Vec": NodeKind.STRUCT,
    "String": NodeKind.STRUCT,
    "Box": NodeKind.STRUCT,
}
WELL_KNOWN_CRATES = frozenset({"std", "core", "alloc"})

TARGET_KINDS = {
    "type": frozenset({NodeKind.STRUCT, NodeKind.ENUM, NodeKind.TRAIT, NodeKind.ASSOC_TYPE}),
    "trait": frozenset({NodeKind.TRAIT}),
    "fn": frozenset({NodeKind.FUNCTION}),
    "module": frozenset({NodeKind.MODULE}),
    "assoc": frozenset({NodeKind.ASSOC_TYPE}),
}
TYPE_KINDS = TARGET_KINDS["type"]
_MODULE = TARGET_KINDS["module"]


# ---- layout: crates and modules -----------------------------------------------------------------------------


@dataclass
class Package:
    root: str  # workspace-relative folder of the Cargo.toml ("" for the workspace root)
    name: str  # the library crate's name: [lib] name, else [package] name, `-` read as `_`
    lib_path: str = "src/lib.rs"
    edition: str = "2015"  # Cargo's default when the manifest says nothing
    bin_paths: dict[str, str] = field(default_factory=dict)  # path → crate name, from [[bin]] entries


@dataclass
class RustLayout:
    """Where each Rust file stands in the crate and module tree of the workspace."""

    default_crate: str
    packages: list[Package] = field(default_factory=list)
    path_overrides: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # file → (crate, modules)
    # what extraction and resolution make of the same files: part of the layout's repr, so that a database written
    # by an earlier extractor is not loaded as if this one had written it (bumped when the facts change)
    rules: int = 2

    def package_of(self, path: str) -> Package | None:
        best = None
        for package in self.packages:
            root = package.root
            if root == "" or path.startswith(root + "/"):
                if best is None or len(root) > len(best.root):
                    best = package
        return best

    def edition_of(self, path: str) -> str:
        package = self.package_of(path)
        return package.edition if package is not None else "2021"

    def module_of(self, path: str) -> tuple[str, tuple[str, ...], bool]:
        """(crate name, module segments, is the crate root) of a workspace-relative `.rs` path."""
        override = self.path_overrides.get(path)
        if override is not None:
            return override[0], override[1], not override[1]
        package = self.package_of(path)
        rel = path[len(package.root) + 1 :] if package is not None and package.root else path
        crate = package.name if package is not None else self.default_crate
        parts = rel.split("/")
        if package is not None:
            if rel in package.bin_paths:
                return package.bin_paths[rel], (), True
            if rel == package.lib_path or rel == "src/main.rs":
                return crate, (), True
            if rel == "build.rs":
                return "build_script_build", (), True
            if parts[0] == "src" and len(parts) >= 3 and parts[1] == "bin":
                bin_crate = _ident(Path(parts[2]).stem)
                inner = parts[3:] if len(parts) > 3 else []
                if not inner or inner == ["main.rs"]:
                    return bin_crate, (), True
                return bin_crate, _modules(inner), False
            if parts[0] in ("tests", "examples", "benches") and len(parts) >= 2:
                own = _ident(Path(parts[1]).stem)
                inner = parts[2:]
                if not inner or inner in (["main.rs"], ["mod.rs"]):
                    return own, (), True
                return own, _modules(inner), False
            if parts[0] == "src":
                parts = parts[1:]
        elif parts[0] == "src":
            parts = parts[1:]
        if parts in (["lib.rs"], ["main.rs"]):
            return crate, (), True
        return crate, _modules(parts), False


def _ident(text: str) -> str:
    return re.sub(r"[^0-9A-Za-z_]", "_", text)


def _modules(parts: list[str]) -> tuple[str, ...]:
    parts = list(parts)
    last = parts[-1]
    if last == "mod.rs":
        parts = parts[:-1]
    else:
        parts[-1] = last[:-3] if last.endswith(".rs") else last
    return tuple(_ident(p) for p in parts if p)


def build_layout(root: Path, files: list[str]) -> RustLayout:
    """Reads every Cargo.toml of the workspace (those beside the indexed files and their ancestors)."""
    layout = RustLayout(default_crate=_ident(root.name) or "crate")
    manifests: set[str] = set()
    folders = {str(Path(f).parent) for f in files}
    seen: set[str] = set()
    for folder in folders:
        while folder not in seen:
            seen.add(folder)
            candidate = root / folder / "Cargo.toml" if folder != "." else root / "Cargo.toml"
            if candidate.is_file():
                manifests.add("" if folder == "." else folder.replace(os.sep, "/"))
            if folder in (".", ""):
                break
            folder = str(Path(folder).parent)
    for folder in sorted(manifests):
        manifest = root / folder / "Cargo.toml"
        try:
            data = tomllib.loads(read_manifest(manifest))
        except (OSError, ValueError, RecursionError):  # one hostile manifest costs that manifest only
            continue
        package: dict = data["package"] if isinstance(data.get("package"), dict) else {}
        lib: dict = data["lib"] if isinstance(data.get("lib"), dict) else {}
        name = lib.get("name") or package.get("name")
        if not name:
            continue  # a virtual workspace manifest
        entry = Package(root=folder, name=_ident(str(name)), edition=str(package.get("edition", "2015")))
        if isinstance(lib.get("path"), str):
            entry.lib_path = lib["path"].lstrip("./")
        for bin_entry in data["bin"] if isinstance(data.get("bin"), list) else []:
            if isinstance(bin_entry, dict) and isinstance(bin_entry.get("path"), str) and bin_entry.get("name"):
                entry.bin_paths[bin_entry["path"].lstrip("./")] = _ident(str(bin_entry["name"]))
        layout.packages.append(entry)
    return layout


def apply_module_files(layout: RustLayout, all_facts: list[FileFacts]) -> set[str]:
    """Places files where their parents' `mod x;` declarations put them, when that differs from where their
    path alone would put them (`#[path]`, or a folder below a `#[path]`-placed module). Returns the files whose
    place changed (the engine extracts them again, and calls this again until nothing moves).

    A pure function of the facts: a file declared by several parents (a `tests/common` module shared by test
    crates) goes to the first declaring file in path order, and a place nobody declares any more is dropped, so
    that where a warm start begins does not change where it ends."""
    known = {facts.path for facts in all_facts}
    wanted: dict[str, tuple[str, tuple[str, ...]]] = {}
    for facts in sorted(all_facts, key=lambda f: f.path):
        for module_fqp, target in facts.module_files:
            if target in known and target != facts.path and target not in wanted:
                crate, *modules = module_fqp.split("::")
                wanted[target] = (crate, tuple(modules))
    changed = set()
    for target in list(layout.path_overrides):
        if target in known and target not in wanted:
            del layout.path_overrides[target]
            changed.add(target)
    for target, place in wanted.items():
        current = layout.module_of(target)
        if (current[0], current[1]) != place:
            layout.path_overrides[target] = place
            changed.add(target)
    return changed


# ---- extraction -----------------------------------------------------------------------------------------------


class _Generics(dict):
    """The type parameters in scope: name → its G node's id (b"" for an impl's, which have no node), with the trait
    bounds written for each (name → trait paths as text), through which `T::Item` and `Self::Item` name `Tr::Item`."""

    __slots__ = ("bounds",)

    def __init__(self, outer=None) -> None:
        super().__init__(outer or {})
        self.bounds: dict[str, list[str]] = {k: list(v) for k, v in getattr(outer, "bounds", {}).items()}


PROJECTION = "\x00as"  # first segment of a named type that is `<X as Tr>::Name`: (PROJECTION, Name, "Tr")
TRAIT_RECORD = "rust-trait:"  # import-table scope of a trait's supertraits (`rust-trait:{FQP}` → {":0": path, ...})
FRAGMENTS_KEY = "\x00fragments"  # in an editor's item cache: the macro fragments of the last extraction
WORDS_KEY = "\x00words"  # in an editor's item cache: the words of the last extraction's item texts and headers
CONTEXTS_KEY = "\x00contexts"  # ... and the file-level context it read, with each item's part of it
_WORD = re.compile(rb"[A-Za-z0-9_\x80-\xff]+")  # identifier bytes: a name's word, or a longer run holding it


def _word_of(name: str) -> bytes:
    """The word a name is written as (`r#type` as `type`)."""
    return name.removeprefix("r#").encode("utf-8")


@dataclass(slots=True)
class _Scope:
    """What encloses a declaration: a module, a trait, an impl or a function."""

    kind: str  # "module", "trait", "impl", "fn", "local"
    module: str  # the FQP of the module the declaration stands in
    node_id: bytes | None = None  # the module's, trait's or function's node
    fqp: str = ""  # trait FQP, or the impl's self type FQP
    member_prefix: str = ""  # how members are named: "Type::" or "<Type as Trait>::"
    self_path: tuple[str, ...] = ()  # impl: the self type as a path to resolve
    receivers: tuple[str, ...] = ()  # FQPs a `self.m()` call may resolve against
    generics: dict[str, bytes] = field(default_factory=_Generics)
    env: infer.Env | None = None  # fn scopes: names → the expressions of their types (infer.py)


class RustExtraction(FileExtraction):
    def __init__(self, path, lang, source, tree, content_hash, layout: RustLayout):
        super().__init__(path, lang, source, tree, content_hash)
        self.crate, modules, self.is_root = layout.module_of(path)
        self.edition_2015 = layout.edition_of(path) == "2015"
        self.module = "::".join((self.crate, *modules))
        self.scopes: dict[int, _Scope] = {}
        self.path_mods: list[tuple[str, str]] = []
        self.declared: dict[str, set[str]] = {}  # module FQP -> type names declared there in this file
        self.fragments: list[tree_sitter.Tree] = []  # macro calls' tokens parsed as items (kept alive: node ids)
        self.read_macros: dict[int, object] = {}  # macro call → the root of its tokens read as items, or None
        self.earlier_fragments: dict = {}
        self.fragment_keys: dict = {}  # (ranges, text) → fragment tree, kept for the next edit
        self.item_words: dict[bytes, frozenset[bytes]] = {}  # item text or header → its words (item_context)
        self.item_contexts: tuple = ()  # the file-level context read, and each item's part of it (item_context)
        self.types_query = query(LANG, "rust-types")
        self.types_cursor = tree_sitter.QueryCursor(self.types_query)
        name = self.crate if self.is_root else modules[-1]
        signature = f"crate {self.crate}" if self.is_root else f"mod {name}"
        module_node = self.add_node(NodeKind.MODULE, name, self.module, None, signature)
        module_node.span = self.whole_file_span()
        self.file_scope = _Scope("module", self.module, module_node.id)

    # ---- driving ----

    def run(self, cache: dict | None = None) -> FileFacts:
        # an editor's file: macro calls' fragments parsed last time, reused where their tokens did not change
        self.earlier_fragments = cache.get(FRAGMENTS_KEY, {}) if cache is not None else {}
        # the outline first (modules, imports, declared type names), so that impl headers anywhere in the file can
        # be named through them; then the items one by one, each reusing its earlier facts when it did not change
        outline = {
            "definition.module": self.on_module,
            "import": self.on_use,
            "import.extern": self.on_extern_crate,
            "definition.struct": self.note_declared,
            "definition.enum": self.note_declared,
            "definition.trait": self.note_declared,
            "definition.type_alias": self.note_declared,
        }
        cursor = tree_sitter.QueryCursor(query(LANG, "rust-outline"))
        cursor.set_max_start_depth(1)  # a module's own items only; bodies of functions hold no outline
        pending = [self.tree.root_node]
        while pending:
            parent = pending.pop()
            inner = []
            for _pattern, captures in cursor.matches(parent):
                dispatch([(_pattern, captures)], outline)
                module = captures.get("definition.module")
                if module:
                    body = module[0].child_by_field_name("body")
                    if body is not None:
                        inner.append(body)
                macro = captures.get("outline.macro")
                if macro:  # items written inside a macro call: modules, imports, types too
                    fragment = self.macro_items(macro[0])
                    if fragment is not None:
                        inner.append(fragment)
            pending.extend(reversed(inner))
        context = repr(
            (
                self.module,
                self.edition_2015,
                sorted(self.facts.imports.items()),
                sorted(self.facts.glob_imports.items()),
                sorted((k, sorted(v)) for k, v in self.declared.items()),
            )
        ).encode("utf-8")
        context_of = self.item_context(cache) if cache is not None else None
        self.extract_items(
            query(LANG, "rust"),
            {
                "definition.struct": self.on_struct,
                "definition.enum": self.on_enum,
                "definition.trait": self.on_trait,
                "definition.impl": self.on_impl,
                "definition.function": self.on_function,
                "definition.type_alias": self.on_type_alias,
                "definition.assoc_type": self.on_assoc_type,
                "definition.const": self.on_const,
                "reference.call": self.on_call,
                "reference.macro": self.on_macro,
                "local.definition": self.on_local,
                "local.for": self.on_for,
                "local.function": self.on_closure,
            },
            cache,
            context,
            containers={**CONTAINERS, "macro_invocation": self.macro_items},
            context_of=context_of,
        )
        if cache is not None:
            cache[FRAGMENTS_KEY] = self.fragment_keys
            cache[WORDS_KEY] = self.item_words
            cache[CONTEXTS_KEY] = self.item_contexts
        facts = self.finish()
        facts.module_files = self.path_mods
        return facts

    # ---- modules and imports ----

    def on_module(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "module":
            self.scopes[node.id] = _Scope("local", scope.module)
            return
        name = self.text(caps["name"][0])
        fqp = f"{scope.module}::{name}"
        body = node.child_by_field_name("body")
        if body is None:
            for candidate in self.module_file_candidates(node, name, scope.module):
                self.path_mods.append((fqp, candidate))
            self.add_reference(
                Reference(EdgeKind.CONTAINS, scope.module, "module", ("", *fqp.split("::")), src=scope.node_id)
            )
            return
        module = self.add_node(NodeKind.MODULE, name, fqp, node, self.head(node, body), _visibility(self, node))
        self.add_edge(scope.node_id, EdgeKind.CONTAINS, module.id)
        self.scopes[node.id] = _Scope("module", fqp, module.id)

    def item_context(self, cache: dict) -> Callable[[bytes, tuple[bytes, ...]], object]:
        """What of the file-level context an item's facts can depend on: the module, the edition and the glob
        imports whole; of the imports and the types declared in the file, those under a name the item's text or its
        enclosing headers write. Extraction reads imports and declared types only by the names it meets, so an item
        that writes none of a new import's or type's names gives the same facts (adding `use x::Y;` or a struct no
        longer re-extracts the file's other items). A word is a run of identifier bytes (any byte from 0x80 is one:
        non-ASCII identifiers are whole words), so a name is matched, or more are: never fewer. While the file's
        imports and types stay as they were (most edits), each item's context is the one it had last time."""
        imports = self.facts.imports
        fingerprint = (
            self.module,
            self.edition_2015,
            {scope: dict(names) for scope, names in imports.items()},
            {module: set(names) for module, names in self.declared.items()},
            {scope: list(modules) for scope, modules in self.facts.glob_imports.items()},
        )
        state = cache.get(CONTEXTS_KEY)
        if state is not None and state[0] == fingerprint:
            _, base, known, known_names, earlier_contexts = state
        else:
            whole: list = []  # entries not under a name (a struct's `.field`, a trait's `:0` supertrait): all items'
            by_name: dict[bytes, list] = {}
            for scope, names in imports.items():
                for local, target in names.items():
                    word = _word_of(local)
                    if _WORD.fullmatch(word):
                        by_name.setdefault(word, []).append(("use", scope, local, target))
                    else:
                        whole.append((scope, local, target))
            for module, declared in self.declared.items():
                for name in declared:
                    word = _word_of(name)
                    if _WORD.fullmatch(word):
                        by_name.setdefault(word, []).append(("type", module, name))
                    else:
                        whole.append(("type", module, name))
            base = repr(
                (self.module, self.edition_2015, sorted(self.facts.glob_imports.items()), sorted(whole, key=repr))
            )
            known = {name: repr(sorted(entries, key=repr)) for name, entries in by_name.items()}
            known_names = frozenset(known)
            earlier_contexts = {}
        contexts: dict[tuple[bytes, tuple[bytes, ...]], object] = {}
        self.item_contexts = (fingerprint, base, known, known_names, contexts)
        earlier_words: dict[bytes, frozenset[bytes]] = cache.get(WORDS_KEY, {})
        words = self.item_words

        def words_of(text: bytes) -> frozenset[bytes]:
            found = words.get(text)
            if found is None:
                found = earlier_words.get(text)
                if found is None:
                    found = frozenset(_WORD.findall(text))
                words[text] = found
            return found

        def context_of(text: bytes, headers: tuple[bytes, ...]) -> object:
            key = (text, headers)
            found = contexts.get(key)
            if found is None:
                found = earlier_contexts.get(key)
                if found is None:
                    written = words_of(text)
                    for header in headers:
                        written = written | words_of(header)
                    found = (base, tuple((name, known[name]) for name in sorted(written & known_names)))
                contexts[key] = found
            return found

        return context_of

    def note_declared(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind == "module":
            name = self.text(caps["name"][0])
            self.declared.setdefault(scope.module, set()).add(name)
            if node.type == "trait_item":
                self.note_supertraits(node, f"{scope.module}::{name}", scope.module)
            elif node.type == "struct_item":
                self.note_fields(node, f"{scope.module}::{name}")

    def note_fields(self, node, fqp: str) -> None:
        """A struct's named fields and their types as written, for `x.field.m()` in other files (infer.py); read
        in the struct's module. Published by the outline, which every extraction runs (items may come from the
        item cache)."""
        body = node.child_by_field_name("body")
        if body is None or body.type != "field_declaration_list":
            return
        fields = {}
        for decl in body.named_children:
            if decl.type != "field_declaration":
                continue
            name, type_node = decl.child_by_field_name("name"), decl.child_by_field_name("type")
            if name is not None and type_node is not None:
                fields[infer.field_entry(self.text(name))] = " ".join(self.text(type_node).split())
        if fields:
            self.facts.imports[infer.fields_key(LANG, fqp)] = fields

    def note_supertraits(self, node, fqp: str, module: str) -> None:
        """Publishes a trait's supertraits as written (`trait A: B + c::D`, `where Self: E`), under the import
        table key `rust-trait:{FQP}` (the scope they are written in under ":scope"): `Self::Item` in an impl of A
        is resolved through them to the trait that declares `Item`, reading them as tracked dependencies."""
        paths = self.bound_texts(node.child_by_field_name("bounds"), module)
        where = next((c for c in node.named_children if c.type == "where_clause"), None)
        for predicate in where.named_children if where is not None else ():
            left = predicate.child_by_field_name("left")
            if left is not None and self.text(left) == "Self":
                paths.extend(self.bound_texts(predicate.child_by_field_name("bounds"), module))
        if paths:
            record = {":scope": module}
            record.update((f":{i}", path) for i, path in enumerate(paths))
            self.facts.imports[TRAIT_RECORD + fqp] = record

    def module_file_candidates(self, node, name: str, module: str) -> list[str]:
        """Where the file of `mod name;` may be, by the Reference's rules (mod-rs and non-mod-rs files, inline
        module folders, `#[path]`)."""
        folder = Path(self.path).parent
        stem = Path(self.path).stem
        mod_rs = self.is_root or stem == "mod"
        inline = module.split("::")[len(self.module.split("::")) :]
        attribute = _path_attribute_value(self, node)
        if attribute is not None:
            if not inline:
                base = folder
            else:
                base = (folder if mod_rs else folder / stem).joinpath(*inline)
            return [_normalize(base / attribute)]
        base = (folder if mod_rs else folder / stem).joinpath(*inline)
        return [_normalize(base / f"{name}.rs"), _normalize(base / name / "mod.rs")]

    def on_use(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "module":
            return
        imports = self.facts.imports.setdefault(scope.module, {})
        globs = self.facts.glob_imports.setdefault(scope.module, [])
        stack: list[tuple[tree_sitter.Node, tuple[str, ...]]] = [(caps["import.tree"][0], ())]
        while stack:
            tree, prefix = stack.pop()
            kind = tree.type
            if kind == "use_list":
                stack.extend((child, prefix) for child in reversed(tree.named_children))
            elif kind == "scoped_use_list":
                path = tree.child_by_field_name("path")
                inner = prefix + (_segments(self.text(path)) if path is not None else ())
                lst = tree.child_by_field_name("list")
                if lst is not None:
                    stack.append((lst, inner))
            elif kind == "use_wildcard":
                target = tree.named_children[0] if tree.named_children else None
                full = prefix + (_segments(self.text(target)) if target is not None else ())
                globs.append(_join(self.absolutize(full, scope.module)))
            elif kind == "use_as_clause":
                full = prefix + _segments(self.text(tree.child_by_field_name("path")))
                alias = self.text(tree.child_by_field_name("alias"))
                if full and alias != "_":
                    _bind(imports, alias, _join(self.absolutize(full, scope.module)))
            else:
                full = prefix + _segments(self.text(tree))
                if full and full[-1] == "self":
                    full = full[:-1]
                if full:
                    _bind(imports, full[-1], _join(self.absolutize(full, scope.module)))
        if not globs:
            del self.facts.glob_imports[scope.module]
        if not imports:
            del self.facts.imports[scope.module]

    def on_extern_crate(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "module":
            return
        name = self.text(caps["import.crate"][0])
        alias = node.child_by_field_name("alias")
        if name != "self":
            _bind(self.facts.imports.setdefault(scope.module, {}), self.text(alias) if alias else name, "::" + name)

    def absolutize(self, path: tuple[str, ...], module: str) -> tuple[str, ...]:
        """Makes `crate::`, `self::`, `super::` and `::` paths absolute (a leading "" marks an absolute path)."""
        if not path:
            return path
        head = path[0]
        if head == "crate" or head == "$crate":
            return ("", self.crate, *path[1:])
        if head == "":
            return path
        if head == "self" or head == "super":
            segments = module.split("::")
            i = 0
            if head == "self":
                i = 1
            while i < len(path) and path[i] == "super":
                if len(segments) > 1:
                    segments.pop()
                i += 1
            return ("", *segments, *path[i:])
        return path

    # ---- items ----

    def item_scope(self, node) -> tuple[_Scope, str] | None:
        """The scope an item is declared in and the FQP prefix of its members, or None for local items."""
        scope = self.scope_of(node)
        if scope.kind == "module":
            return scope, scope.module + "::"
        if scope.kind == "trait":
            return scope, scope.fqp + "::"
        if scope.kind == "impl":
            return scope, scope.member_prefix
        return None

    def attach(self, scope: _Scope, item_id: bytes) -> None:
        """Links an item to what declares it: module CONTAINS, trait DEFINES, the impl's type CONTAINS."""
        # module and trait scopes are always made with their node's id (the file's, a `mod`'s, a trait's)
        if scope.kind == "module":
            self.add_edge(cast(bytes, scope.node_id), EdgeKind.CONTAINS, item_id)
        elif scope.kind == "trait":
            self.add_edge(cast(bytes, scope.node_id), EdgeKind.DEFINES, item_id)
        elif scope.kind == "impl" and scope.self_path:
            self.add_reference(
                Reference(EdgeKind.CONTAINS, scope.module, "type", dst=item_id, src_path=scope.self_path)
            )

    def declare(self, node, caps, kind: NodeKind, body_field: str | None = "body"):
        placed = self.item_scope(node)
        if placed is None:
            self.scopes[node.id] = _Scope("local", self.scope_of(node).module)
            return None, None
        scope, prefix = placed
        name = self.text(caps["name"][0])
        body = node.child_by_field_name(body_field) if body_field else None
        item = self.add_node(kind, name, prefix + name, node, self.head(node, body), _visibility(self, node))
        self.attach(scope, item.id)
        return scope, item

    def on_struct(self, node, caps):
        scope, item = self.declare(node, caps, NodeKind.STRUCT)
        if item is None:
            return
        generics = self.generics(node, item.fqp, scope.generics)
        self.field_types(node.child_by_field_name("body"), item.id, scope.module, generics)
        self.derives(node, item.id, scope.module)

    def on_enum(self, node, caps):
        scope, item = self.declare(node, caps, NodeKind.ENUM)
        if item is None:
            return
        generics = self.generics(node, item.fqp, scope.generics)
        body = node.child_by_field_name("body")
        if body is not None:
            for variant in body.named_children:
                if variant.type == "enum_variant":
                    self.field_types(variant.child_by_field_name("body"), item.id, scope.module, generics)
        self.derives(node, item.id, scope.module)

    def on_trait(self, node, caps):
        scope, item = self.declare(node, caps, NodeKind.TRAIT)
        if item is None:
            return
        # `Self` in a trait's own items names no type (no edge); `Self::Item` is the trait's, or a supertrait's
        generics = self.generics(node, item.fqp, _Generics(), owner=item.id)
        supertraits = node.child_by_field_name("bounds")
        self.bounds(supertraits, item.id, scope.module, generics)
        generics.bounds["Self"] = [
            "::" + item.fqp,
            *self.bound_texts(supertraits, scope.module),
            *generics.bounds.get("Self", ()),
        ]
        self.scopes[node.id] = _Scope(
            "trait", scope.module, item.id, item.fqp, receivers=(item.fqp,), generics=generics
        )

    def on_impl(self, node, caps):
        placed = self.item_scope(node)
        if placed is None or placed[0].kind != "module":
            self.scopes[node.id] = _Scope("local", self.scope_of(node).module)
            return
        scope = placed[0]
        impl_generics = {name for name, _ in _type_parameters(self, node)}
        type_node = caps["impl.type"][0]
        self_path = _type_head_path(self, type_node)
        trait_node = node.child_by_field_name("trait")
        trait_path = _type_head_path(self, trait_node) if trait_node is not None else ()
        # no edges from the self type when it is a generic (a blanket impl) or names no node (a primitive, a tuple)
        unnamed = not self_path or self_path[0] in impl_generics
        if unnamed:
            self_fqp = _plain_type_text(self.text(type_node))  # `&'a str` is written `str`
            self_path = ()
        else:
            self_fqp = self.local_fqp(self_path, scope.module)
            self_path = self.absolutize(self_path, scope.module)
        if trait_path:
            trait_fqp = self.local_fqp(trait_path, scope.module)
            prefix = f"<{self_fqp} as {trait_fqp}>::"
            receivers: tuple[str, ...] = (self_fqp, trait_fqp)
        else:
            trait_fqp = ""
            prefix = f"{self_fqp}::"
            receivers = (self_fqp,)
        # the members are named from this file (the type and trait as its imports name them); the workspace names
        # them by the definition paths these resolve to (`name_facts`, naming.py): asked here, answered there
        if self_path or trait_path:
            self.facts.names.setdefault(NAMES_IMPLS, {}).setdefault(
                prefix,
                [
                    scope.module,
                    self_fqp,
                    _join(self_path),
                    trait_fqp,
                    _join(self.absolutize(trait_path, scope.module)) if trait_path else "",
                ],
            )
        # an impl's own type parameters are not nodes (the spec gives G nodes to types, traits and fns);
        # names bound to b"" are known generics that references inside the impl must not resolve
        generics = _Generics(dict.fromkeys(impl_generics, b""))
        for name, param in _type_parameters(self, node):
            generics.bounds[name] = self.bound_texts(param.child_by_field_name("bounds"), scope.module)
        where = next((c for c in node.named_children if c.type == "where_clause"), None)
        for predicate in where.named_children if where is not None else ():
            left = predicate.child_by_field_name("left")
            if left is not None and self.text(left) in generics:
                generics.bounds.setdefault(self.text(left), []).extend(
                    self.bound_texts(predicate.child_by_field_name("bounds"), scope.module)
                )
        if trait_path:
            generics.bounds["Self"] = [_join(self.absolutize(trait_path, scope.module))]
        self.scopes[node.id] = _Scope("impl", scope.module, None, self_fqp, prefix, self_path, receivers, generics)
        if trait_path and self_path:
            self.add_reference(
                Reference(
                    EdgeKind.IMPL, scope.module, "trait", self.absolutize(trait_path, scope.module), src_path=self_path
                )
            )

    def on_function(self, node, caps):
        scope, item = self.declare(node, caps, NodeKind.FUNCTION)
        if item is None:
            return
        generics = self.generics(node, item.fqp, scope.generics, owner=item.id, method=True)
        parameters = node.child_by_field_name("parameters")
        if parameters is not None:
            for parameter in parameters.named_children:
                type_node = parameter.child_by_field_name("type") if parameter.type == "parameter" else None
                if type_node is not None:
                    self.type_refs(type_node, item.id, EdgeKind.ACCEPTS, scope, generics)
        returns = node.child_by_field_name("return_type")
        if returns is not None:
            self.type_refs(returns, item.id, EdgeKind.RETURNS, scope, generics)
        env = infer.Env()
        own = _Scope(
            "fn",
            scope.module,
            item.id,
            scope.fqp,
            receivers=scope.receivers,
            generics=generics,
            self_path=scope.self_path,
            env=env,
        )
        self.scopes[node.id] = own
        for parameter in parameters.named_children if parameters is not None else ():
            if parameter.type == "self_parameter":
                env.bind("self", infer.known(scope.fqp) if scope.kind in ("impl", "trait") and scope.fqp else None)
            elif parameter.type == "parameter":
                self.bind_pattern(
                    parameter.child_by_field_name("pattern"),
                    self.declared_type(parameter.child_by_field_name("type"), own),
                    own,
                )

    def on_type_alias(self, node, caps):
        scope, item = self.declare(node, caps, NodeKind.ASSOC_TYPE, body_field=None)
        if item is None:
            return
        generics = self.generics(node, item.fqp, scope.generics)
        aliased = node.child_by_field_name("type")
        if aliased is not None:
            self.type_refs(aliased, item.id, EdgeKind.USES, scope, generics)

    def on_assoc_type(self, node, caps):
        scope, item = self.declare(node, caps, NodeKind.ASSOC_TYPE, body_field=None)
        if item is None:
            return
        self.bounds(node.child_by_field_name("bounds"), item.id, scope.module, scope.generics)

    def on_const(self, node, caps):
        scope = self.scope_of(node)
        type_node = caps["const.type"][0]
        if scope.kind == "trait":
            self.type_refs(type_node, scope.node_id, EdgeKind.USES, scope, scope.generics)
        elif scope.kind == "impl" and scope.self_path:
            for path, is_trait in self.named_types(type_node):
                if path[0] in ("Self", PROJECTION) or self.generic_id(path, scope.generics) is not None:
                    continue
                self.add_reference(
                    Reference(
                        EdgeKind.USES, scope.module, "trait" if is_trait else "type", path, src_path=scope.self_path
                    )
                )

    # ---- receiver types (infer.py) ----

    def declared_type(self, type_node, scope: _Scope) -> Expr | None:
        """A value of a declared type: its text (a type parameter's: its bounds as written, `A | B`)."""
        if type_node is None:
            return None
        text = " ".join(self.text(type_node).split())
        bare = _plain_type_text(text)
        generics = scope.generics
        if bare in generics:
            bounds = getattr(generics, "bounds", {}).get(bare) or []
            return infer.typed(" | ".join(bounds)) if bounds else None
        return infer.typed(text)

    def bind_pattern(self, pattern, expr: Expr | None, scope: _Scope) -> None:
        """`x`, `mut x`, `ref x`: the expression; any other pattern binds its names to unknown types."""
        env = scope.env
        if pattern is None or env is None:
            return
        if pattern.type == "identifier":
            env.bind(self.text(pattern), expr)
            return
        if pattern.type in ("mut_pattern", "ref_pattern") and pattern.named_child_count:
            self.bind_pattern(pattern.named_children[-1], expr, scope)
            return
        stack = [pattern]
        while stack:
            current = stack.pop()
            if current.type == "identifier":
                env.bind(self.text(current), None)
            else:
                stack.extend(current.named_children)

    def on_local(self, node, caps):
        """`let x: T = ...`, `let x = Foo::new()`: the name's type, declared or its value's."""
        scope = self.scope_of(node)
        if scope.env is None:
            return
        type_node = node.child_by_field_name("type")
        value = node.child_by_field_name("value")
        pattern = caps["local.pattern"][0]
        if type_node is not None:
            self.bind_pattern(pattern, self.declared_type(type_node, scope), scope)
        elif pattern.type == "identifier" and scope.env is not None:  # evaluated if ever a receiver
            scope.env.bind(self.text(pattern), lambda: self.expression(value, scope))
        else:
            self.bind_pattern(pattern, None, scope)

    def on_for(self, node, caps):
        """`for x in xs`: an element of xs."""
        scope = self.scope_of(node)
        pattern, iterable = caps["local.pattern"][0], caps["local.iterable"][0]
        if scope.env is not None and pattern.type == "identifier":
            scope.env.bind(self.text(pattern), lambda: infer.element(self.expression(iterable, scope)))
        elif scope.env is not None:
            self.bind_pattern(pattern, None, scope)

    def on_closure(self, node, caps):
        """A closure: its calls are the enclosing function's, its parameters its own names."""
        outer = self.scope_of(node)
        if outer.kind != "fn" or outer.env is None:
            return
        own = _Scope(
            "fn",
            outer.module,
            outer.node_id,
            outer.fqp,
            receivers=outer.receivers,
            generics=outer.generics,
            self_path=outer.self_path,
            env=infer.Env(outer.env),
        )
        self.scopes[node.id] = own
        params = node.child_by_field_name("parameters")
        for param in params.named_children if params is not None else ():
            if param.type == "parameter":
                self.bind_pattern(
                    param.child_by_field_name("pattern"),
                    self.declared_type(param.child_by_field_name("type"), own),
                    own,
                )
            else:
                self.bind_pattern(param, None, own)

    @infer.bounded
    def expression(self, node, scope: _Scope) -> Expr | None:
        """The expression of an expression's type, as far as this file can say (infer.py), or None."""
        if node is None:
            return None
        kind = node.type
        if kind == "self":
            env = scope.env
            return env.get("self") if env is not None else None
        if kind == "identifier":
            env = scope.env
            name = self.text(node)
            return env.get(name) if env is not None and name in env else None
        if kind == "field_expression":
            field_node = node.child_by_field_name("field")
            if field_node is None or field_node.type != "field_identifier":
                return None
            return infer.member(self.expression(node.child_by_field_name("value"), scope), self.text(field_node))
        if kind == "call_expression":
            callee = node.child_by_field_name("function")
            arguments = node.child_by_field_name("arguments")
            arity = len(arguments.named_children) if arguments is not None else None
            if callee is not None and callee.type == "generic_function":
                callee = callee.child_by_field_name("function") or callee
            if callee is None:
                return None
            if callee.type == "field_expression":
                name = self.text(callee.child_by_field_name("field"))
                return infer.method(self.expression(callee.child_by_field_name("value"), scope), name, arity)
            if callee.type == "identifier" and scope.env is not None and self.text(callee) in scope.env:
                return None  # a closure's call
            if callee.type == "identifier":
                path: tuple[str, ...] = (self.text(callee),)
            elif callee.type == "scoped_identifier":
                path = self.call_path(callee, scope)
            else:
                return None
            return infer.called("::".join(path), arity) if path else None
        if kind in ("try_expression", "await_expression"):
            inner = node.named_children[0] if node.named_children else None
            return infer.unwrapped(self.expression(inner, scope))
        if kind == "reference_expression":
            return self.expression(node.child_by_field_name("value"), scope)
        if kind == "unary_expression" and node.named_child_count == 1 and self.text(node).startswith("*"):
            return self.expression(node.named_children[0], scope)
        if kind == "parenthesized_expression" and node.named_child_count == 1:
            return self.expression(node.named_children[0], scope)
        if kind == "struct_expression":
            name = node.child_by_field_name("name")
            if name is None:
                return None
            path = _segments(strip_generics(self.text(name)))
            if path and path[0] == "Self":
                return infer.known(scope.fqp) if scope.fqp else None
            return infer.typed("::".join(self.absolutize(path, scope.module)))
        if kind == "index_expression":
            return infer.element(self.expression(node.named_children[0] if node.named_children else None, scope))
        if kind in ("string_literal", "raw_string_literal"):
            return infer.typed("str")
        return None

    # ---- bodies ----

    def on_call(self, node, caps):
        scope = self.scope_of(node)
        if scope.kind != "fn":
            return
        callee = caps["reference.callee"][0]
        if callee.type == "generic_function":
            callee = callee.child_by_field_name("function") or callee
        kind = callee.type
        if kind == "identifier":
            path: tuple[str, ...] = (self.text(callee),)
            self.add_reference(Reference(EdgeKind.CALLS, scope.module, "fn", path, src=scope.node_id))
        elif kind == "scoped_identifier":
            path = self.call_path(callee, scope)
            if path:
                self.add_reference(Reference(EdgeKind.CALLS, scope.module, "fn", path, src=scope.node_id))
        elif kind == "field_expression":
            name = self.text(callee.child_by_field_name("field"))
            value = callee.child_by_field_name("value")
            if value is not None and value.type == "self":
                receivers = scope.receivers
            else:
                receivers = self.expression(value, scope) or ()
            self.add_reference(
                Reference(EdgeKind.CALLS, scope.module, "fn", (name,), src=scope.node_id, receiver=receivers)
            )

    def call_path(self, callee, scope: _Scope) -> tuple[str, ...]:
        path_node = callee.child_by_field_name("path")
        name = self.text(callee.child_by_field_name("name"))
        if path_node is not None and path_node.type == "bracketed_type":
            qualified = path_node.named_children[0] if path_node.named_children else None
            if qualified is not None and qualified.type == "qualified_type":
                trait = qualified.child_by_field_name("alias")
                trait_path = _type_head_path(self, trait) if trait is not None else ()
                return (*self.absolutize(trait_path, scope.module), name) if trait_path else ()
            inner = _type_head_path(self, qualified) if qualified is not None else ()
            return (*inner, name) if inner else ()
        path = _segments(self.text(path_node)) + (name,) if path_node is not None else (name,)
        if path[0] == "Self":
            if not scope.fqp:
                return ()
            return ("", *scope.fqp.split("::"), *path[1:])
        return self.absolutize(path, scope.module)

    def on_macro(self, node, caps):
        # counted: item-position macro calls whose tokens are not items (what they expand to is out of reach);
        # expression macros (`println!`, `vec![]`) make no items
        parent = node.parent
        if parent is not None and parent.type == "expression_statement":  # `name!(..);`
            parent = parent.parent
        if (
            parent is not None
            and parent.type in ("source_file", "declaration_list")
            and self.read_macros.get(node.id) is None
            and self.scope_of(node).kind in ("module", "trait", "impl")
        ):
            self.facts.macro_calls += 1

    def macro_items(self, node):
        """The items written inside an item-position macro call (`cfg_rt! { pub fn spawn() {..} }`, the arms of
        `cfg_if! { if #[cfg(..)] { .. } else { .. } }`, `pin_project! { pub struct S {..} }`): its tokens parsed
        as a fragment of the same file (tree-sitter's included ranges: spans and bytes are the file's own), as if
        written at the call site. None when they parse as no item."""
        if node.id in self.read_macros:
            return self.read_macros[node.id]
        self.read_macros[node.id] = None
        tokens = node.named_children[-1] if node.named_child_count else None
        if tokens is None or tokens.type != "token_tree" or tokens.end_byte - tokens.start_byte < 3:
            return None
        children = tokens.children
        if len(children) > 3 and children[1].type == "if" and children[2].type == "#":
            # cfg_if!: the brace-delimited arms
            arms = [
                _inner_range(c)
                for c in children[1:-1]
                if c.type == "token_tree" and c.children and c.children[0].type == "{"
            ]
        else:
            arms = [_inner_range(tokens)]
        ranges = [r for r in arms if r is not None]
        if not ranges:
            return None
        # the same tokens at the same place (an edit elsewhere in the file) parse the same: the earlier tree serves
        key = (
            tuple((r.start_byte, r.end_byte, r.start_point, r.end_point) for r in ranges),
            self.source[ranges[0].start_byte : ranges[-1].end_byte],
        )
        fragment = self.earlier_fragments.get(key)
        if fragment is None:
            parser = _fragment_parser()
            parser.included_ranges = ranges
            try:
                fragment = parser.parse(self.source)
            finally:
                parser.included_ranges = [_WHOLE]
        self.fragment_keys[key] = fragment
        root = fragment.root_node
        # an item whose head parsed is read, even when tree-sitter recovered from a few tokens it did not know
        # inside (`pub trait GraphBase { @section nodelegate .. }`, `pub struct Flags: u32 { .. }`)
        if not any(c.type in MACRO_ITEM_TYPES for c in root.named_children):
            return None
        self.fragments.append(fragment)
        self.read_macros[node.id] = root
        self.scopes[root.id] = self.scope_of(node)
        return root

    # ---- types, generics, bounds ----

    def named_types(self, node) -> list[tuple[tuple[str, ...], bool]]:
        """The named types a type expression mentions, as (path, is it in trait position), in source order."""
        captures = self.types_cursor.captures(node)
        types = captures.get("type", [])
        if not types:
            return []
        trait_heads: set[int] = set()
        for trait in captures.get("trait", []):
            head = trait
            if head.type == "generic_type":
                head = head.child_by_field_name("type") or head
            elif head.type == "higher_ranked_trait_bound":
                head = head.child_by_field_name("type") or head.child_by_field_name("value") or head
            trait_heads.add(head.id)
        found: list[tuple[tuple[str, ...], bool]] = []
        inside = -1  # the end of the projection being skipped
        for t in sorted(types, key=lambda n: n.start_byte):
            if t.start_byte < inside:
                continue  # `X` and `Tr` of `<X as Tr>::Item` give no edge
            if t.type == "scoped_type_identifier":
                qualifier = t.child_by_field_name("path")
                if qualifier is not None and qualifier.type == "bracketed_type":
                    inside = qualifier.end_byte
                    qualified = qualifier.named_children[0] if qualifier.named_child_count else None
                    alias = qualified.child_by_field_name("alias") if qualified is not None else None
                    trait_path = _type_head_path(self, alias) if alias is not None else ()
                    name = t.child_by_field_name("name")
                    if trait_path and name is not None:
                        found.append(((PROJECTION, self.text(name), _join(trait_path)), False))
                    continue
            parent = t.parent
            if parent is not None:
                ptype = parent.type
                if ptype == "scoped_type_identifier" and t.type == "type_identifier":
                    continue  # the last segment of a path, captured with it
                if ptype == "type_binding" and parent.child_by_field_name("name") == t:
                    continue  # `Item` in `Iterator<Item = T>` names no type
            if t.type == "scoped_type_identifier":
                path = _segments(strip_generics(self.text(t)))
            else:
                path = (self.text(t),)
            found.append((path, t.id in trait_heads))
        return found

    def generic_id(self, path: tuple[str, ...], generics: dict[str, bytes]) -> bytes | None:
        """The G node a one-segment path names; b"" for a generic with no node (an impl's); None otherwise."""
        if len(path) == 1:
            return generics.get(path[0])
        return None

    def type_refs(self, type_node, src: bytes, kind: EdgeKind, scope: _Scope, generics: dict[str, bytes]) -> None:
        """Edges of `kind` from `src` to each named type of a type expression."""
        for path, is_trait in self.named_types(type_node):
            self.type_ref(path, is_trait, src, kind, scope, generics)

    def type_ref(self, path, is_trait, src, kind, scope: _Scope, generics) -> None:
        if path[0] == PROJECTION:  # `<X as Tr>::Item` names `Tr::Item`
            self.projection(path[1], [_join(self.absolutize(_segments(path[2]), scope.module))], src, kind, scope)
            return
        if path[0] == "Self" or (len(path) > 1 and path[0] in generics):
            if len(path) == 1:
                # `Self` in an impl is its type; in a trait's own items it names no type
                if scope.kind == "impl" and scope.self_path:
                    self.add_reference(Reference(kind, scope.module, "type", scope.self_path, src=src))
                return
            if len(path) == 2:  # `Self::Item`, `T::Item`: through the bounds written
                bounds = getattr(generics, "bounds", {}).get(path[0])
                if bounds:
                    self.projection(path[1], bounds, src, kind, scope)
            return
        else:
            local = self.generic_id(path, generics)
            if local is not None:
                if local:
                    self.add_edge(src, kind, local)
                return
            path = self.absolutize(path, scope.module)
        self.add_reference(Reference(kind, scope.module, "trait" if is_trait else "type", path, src=src))

    def projection(self, name: str, traits: list[str], src: bytes, kind: EdgeKind, scope: _Scope) -> None:
        """One edge to `Tr::name`, Tr the first of `traits` (paths as written, or `::`-absolute) that declares it."""
        self.add_reference(Reference(kind, scope.module, "assoc", (name, *traits), src=src))

    def bound_texts(self, bounds_node, module: str) -> list[str]:
        """The trait paths of a `trait_bounds` node, as text (absolute ones with a leading `::`)."""
        found = []
        for bound in bounds_node.named_children if bounds_node is not None else ():
            head = bound
            if head.type == "higher_ranked_trait_bound":
                head = head.child_by_field_name("type") or head.child_by_field_name("value") or head
            if head.type in ("lifetime", "removed_trait_bound"):
                continue
            path = _type_head_path(self, head)
            if path:
                found.append(_join(self.absolutize(path, module)))
        return found

    def bounds(self, bounds_node, src: bytes, module: str, generics: dict[str, bytes]) -> None:
        """BOUND_BY edges from `src` to each trait of a `trait_bounds` node."""
        if bounds_node is None:
            return
        for bound in bounds_node.named_children:
            head = bound
            if head.type == "higher_ranked_trait_bound":
                head = head.child_by_field_name("type") or head.child_by_field_name("value") or head
            if head.type in ("lifetime", "removed_trait_bound"):
                continue
            if head.type == "function_type":
                head = head.child_by_field_name("trait") or head
            path = _type_head_path(self, head)
            if not path:
                continue
            local = self.generic_id(path, generics)
            if local is not None:
                if local:
                    self.add_edge(src, EdgeKind.BOUND_BY, local)
                continue
            self.add_reference(Reference(EdgeKind.BOUND_BY, module, "trait", self.absolutize(path, module), src=src))

    def generics(
        self, node, owner_fqp: str, outer: dict[str, bytes], owner: bytes | None = None, method: bool = False
    ) -> _Generics:
        """G nodes for an item's type parameters, with BOUND_BY edges from inline bounds and `where` clauses. A
        method's bounds on `Self` or on its trait's or impl's parameters (`where Self: Sized`) are the method's own
        (ISG-SPEC §1), never its trait's; a trait's `where Self: B` is a supertrait."""
        params = _type_parameters(self, node)
        where = next((c for c in node.named_children if c.type == "where_clause"), None)
        if not params and where is None:
            return outer if isinstance(outer, _Generics) else _Generics(outer)
        scope_module = self.scope_of(node).module
        generics = _Generics(outer)
        created: list[tuple[str, bytes, tree_sitter.Node]] = []
        for name, param in params:
            g = self.add_node(NodeKind.GENERIC, name, f"{owner_fqp}::<{name}>", param, self.text(param))
            generics[name] = g.id
            created.append((name, g.id, param))
        for name, g_id, param in created:
            bounds = param.child_by_field_name("bounds")
            self.bounds(bounds, g_id, scope_module, generics)
            generics.bounds[name] = self.bound_texts(bounds, scope_module)
        if where is not None:
            own = {name for name, _, _ in created}
            for predicate in where.named_children:
                left = predicate.child_by_field_name("left")
                if left is None:
                    continue
                name = self.text(left)
                bounds = predicate.child_by_field_name("bounds")
                if name in own:
                    src = generics[name]
                elif name == "Self" or (method and name in generics):
                    src = owner  # the method's own bound, or the trait's supertrait
                else:
                    continue
                if src:
                    self.bounds(bounds, src, scope_module, generics)
                    if name in own:
                        generics.bounds.setdefault(name, []).extend(self.bound_texts(bounds, scope_module))
                    elif name == "Self" and not method:
                        generics.bounds.setdefault("Self", []).extend(self.bound_texts(bounds, scope_module))
        return generics

    def field_types(self, body, src: bytes, module: str, generics: dict[str, bytes]) -> None:
        if body is None:
            return
        scope = _Scope("module", module)
        if body.type == "field_declaration_list":
            for decl in body.named_children:
                type_node = decl.child_by_field_name("type") if decl.type == "field_declaration" else None
                if type_node is not None:
                    self.type_refs(type_node, src, EdgeKind.USES, scope, generics)
        else:  # ordered_field_declaration_list: (A, B)
            for type_node in body.children_by_field_name("type"):
                self.type_refs(type_node, src, EdgeKind.USES, scope, generics)

    def derives(self, node, src: bytes, module: str) -> None:
        """IMPL edges (derived) from `#[derive(...)]` attributes above an item."""
        sibling = node.prev_named_sibling
        while sibling is not None and sibling.type in ("attribute_item", "line_comment", "block_comment"):
            if sibling.type == "attribute_item":
                text = self.text(sibling)
                match = _DERIVE.search(text)
                if match:
                    for name in match.group(1).split(","):
                        path = _segments(name.strip())
                        if path and path[0]:
                            self.add_reference(
                                Reference(
                                    EdgeKind.IMPL, module, "trait", self.absolutize(path, module), src=src, derived=True
                                )
                            )
            sibling = sibling.prev_named_sibling

    def local_fqp(self, path: tuple[str, ...], module: str, depth: int = 0) -> str:
        """An FQP for naming impl members from this file alone: imports, then this module, then as written."""
        path = self.absolutize(path, module)
        if path and path[0] == "":
            # `self::serde::ser::Serialize` where this file's module imports `serde` (`extern crate serde;`)
            for i in range(2, len(path) - 1):
                bound = self.facts.imports.get(_join(path[1:i]), {}).get(path[i])
                if bound is not None and depth < 4:
                    via = _segments(_naming_binding(bound)) + path[i + 1 :]
                    if via and via[0] == "":
                        return self.local_fqp(via, module, depth + 1)
                    return _join(via)
            return _join(path[1:])
        imported = self.facts.imports.get(module, {}).get(path[0])
        if imported is not None:
            full = _segments(_naming_binding(imported)) + path[1:]
            if full and full[0] == "":
                # through another import of this file's modules (`use self::serde::de::X` after `extern crate serde`)
                return self.local_fqp(full, module, depth + 1) if depth < 4 else _join(full[1:])
            if self.edition_2015 and full[0] not in WELL_KNOWN_CRATES:
                return _join((self.crate, *full))  # 2015 edition: `use a::B` is crate-relative
            return _join(full)
        if len(path) == 1:
            name = path[0]
            if name in self.declared.get(module, ()):
                return f"{module}::{name}"
            if name in PRELUDE:
                return name
            # not declared here nor imported by name: a glob brings it (`use super::*;`); follow a glob whose
            # module this file holds, else the only glob there is
            globs = self.facts.glob_imports.get(module, ())
            for glob in globs:
                target = glob[2:] if glob.startswith("::") else glob
                if (
                    depth < 4
                    and target != module
                    and (name in self.declared.get(target, ()) or name in self.facts.imports.get(target, {}))
                ):
                    return self.local_fqp(path, target, depth + 1)
            if len(globs) == 1:
                target = globs[0][2:] if globs[0].startswith("::") else globs[0]
                if target.split("::", 1)[0] not in WELL_KNOWN_CRATES:
                    return f"{target}::{name}"
            return f"{module}::{name}"
        return _join(path)


# what a macro call's tokens must parse as (one error-free item at least) to be read as items
MACRO_ITEM_TYPES = frozenset(
    {
        "function_item",
        "function_signature_item",
        "struct_item",
        "enum_item",
        "union_item",
        "impl_item",
        "trait_item",
        "mod_item",
        "type_item",
        "const_item",
        "static_item",
        "use_declaration",
        "macro_invocation",
        "extern_crate_declaration",
        "associated_type",
        "foreign_mod_item",
    }
)
_FRAGMENT_PARSER: list = []
_WHOLE = tree_sitter.Range((0, 0), (0xFFFFFFFF, 0xFFFFFFFF), 0, 0xFFFFFFFF)


def _fragment_parser() -> tree_sitter.Parser:
    """A parser of this process for macro calls' tokens (its included ranges change with each call)."""
    if not _FRAGMENT_PARSER:
        from . import new_parser

        _FRAGMENT_PARSER.append(new_parser(LANG))
    return _FRAGMENT_PARSER[0]


def _inner_range(token_tree) -> tree_sitter.Range | None:
    """The range inside a token tree's delimiters, None when empty."""
    start, end = token_tree.start_byte + 1, token_tree.end_byte - 1
    if end <= start:
        return None
    (srow, scol), (erow, ecol) = token_tree.start_point, token_tree.end_point
    return tree_sitter.Range((srow, scol + 1), (erow, ecol - 1), start, end)


_DERIVE = re.compile(r"derive\s*\(([^)]*)\)")
_PATH_ATTR = re.compile(r'^#\[\s*path\s*=\s*"([^"]+)"\s*\]$')


def _path_attribute_value(extraction: RustExtraction, node) -> str | None:
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type == "attribute_item":
        match = _PATH_ATTR.match(" ".join(extraction.text(sibling).split()))
        if match:
            return match.group(1)
        sibling = sibling.prev_named_sibling
    return None


def _normalize(path: Path) -> str:
    return os.path.normpath(str(path)).replace(os.sep, "/")


def _type_parameters(extraction: FileExtraction, node) -> list[tuple[str, tree_sitter.Node]]:
    params = node.child_by_field_name("type_parameters")
    if params is None:
        return []
    found: list[tuple[str, tree_sitter.Node]] = []
    for param in params.named_children:
        if param.type in ("lifetime_parameter", "const_parameter", "lifetime", "attribute_item"):
            continue
        name_node = param.child_by_field_name("name") or param.child_by_field_name("left")
        if name_node is None and param.type == "type_identifier":
            name_node = param
        if name_node is not None:
            found.append((extraction.text(name_node), param))
    return found


NOT_NAMED_TYPES = frozenset(
    {"primitive_type", "tuple_type", "unit_type", "never_type", "function_type", "pointer_type", "empty_type"}
)


def _type_head_path(extraction: FileExtraction, node) -> tuple[str, ...]:
    """The path of the named type at the head of a type expression (`&mut Wrapper<T>` gives `Wrapper`); empty for
    types that name nothing the ISG holds (primitives, tuples, function pointers)."""
    while node is not None:
        kind = node.type
        if kind == "type_identifier" or kind == "identifier":
            return (extraction.text(node),)
        if kind in ("scoped_type_identifier", "scoped_identifier"):
            return _segments(strip_generics(extraction.text(node)))
        if kind in NOT_NAMED_TYPES:
            return ()
        if kind == "generic_type":
            node = node.child_by_field_name("type")
        elif kind == "reference_type":
            node = node.child_by_field_name("type")
        elif kind in ("array_type", "slice_type"):
            node = node.child_by_field_name("element")
        elif kind in ("dynamic_type", "abstract_type"):
            node = node.child_by_field_name("trait")
        elif kind == "higher_ranked_trait_bound":
            node = node.child_by_field_name("type") or node.child_by_field_name("value")
        elif kind == "bounded_type":
            node = next((c for c in node.named_children if c.type != "lifetime"), None)
        else:
            return ()
    return ()


def _segments(text: str) -> tuple[str, ...]:
    text = "".join(text.split())
    if not text:
        return ()
    parts = text.split("::")
    return tuple(parts)


def _join(path: tuple[str, ...]) -> str:
    return "::".join(path)


# ---- names in namespaces --------------------------------------------------------------------------------------
# A `use` brings a name into a module in every namespace its target has (types, values, macros). Two `use`s of one
# name in one module are legal only when their targets live in different namespaces (`pub use core::FromRequest;`
# beside `pub use macros::FromRequest;`, a trait and a derive macro): a module's import table keeps every binding of
# a name (a string, or a list when there are several), and a lookup tries each in the namespace it asks about.


def _bind(imports: dict, name: str, target: str) -> None:
    """Adds a binding of `name` to a module's import table, keeping the ones already there."""
    current = imports.get(name)
    if current is None or current == target:
        imports[name] = target
    elif isinstance(current, list):
        if target not in current:
            current.append(target)
    else:
        imports[name] = [current, target]


def _bindings(value) -> tuple[str, ...] | list[str]:
    """The targets a module's import table binds a name to (one, or several in different namespaces)."""
    return (value,) if isinstance(value, str) else value


_MACRO_CRATE = re.compile(r"^(?:::)?[A-Za-z0-9_]*(?:_derive|_macros?|_derive_internals|_proc_macros?)(?:::|$)")


def _naming_binding(value) -> str:
    """The binding a file alone names a type or trait by: not one from a proc-macro crate (`serde_derive`,
    `axum_macros`), whose exports live in the macro namespace."""
    if isinstance(value, str):
        return value
    return next((b for b in value if not _MACRO_CRATE.match(b)), value[0])


_REFERENCE = re.compile(r"&\s*(?:'\w+\s*)?(?:mut\s+)?|'\w+\s*,?\s*")


def _plain_type_text(text: str) -> str:
    """A self type that is not a path, as ISG-SPEC §1 writes it: its text without references, lifetimes and `mut`
    (`&'a str` → `str`, `&'a mut [u8]` → `[u8]`, `(A, B)` stays)."""
    text = _REFERENCE.sub("", " ".join(text.split()))
    return " ".join(text.replace("< ", "<").replace(" >", ">").replace("<>", "").split())


def _visibility(extraction: FileExtraction, node) -> str | None:
    first = node.named_children[0] if node.named_child_count else None
    if first is not None and first.type == "visibility_modifier":
        return " ".join(extraction.text(first).split())
    return None


ITEM_CACHE = True  # extract() takes a per-file cache: items that did not change are not extracted again
# items whose members are items of their own for the cache: an edit in one method re-extracts that method only
CONTAINERS = {"impl_item": "body", "trait_item": "body", "mod_item": "body"}


def extract(
    path: str,
    source: bytes,
    tree: tree_sitter.Tree,
    layout: RustLayout,
    content_hash: bytes,
    lang: str = LANG,
    cache: dict | None = None,
) -> FileFacts:
    return RustExtraction(path, lang, source, tree, content_hash, layout).run(cache)


# ---- resolution ---------------------------------------------------------------------------------------------


def resolve(ref: Reference, view: SymbolView, facts: FileFacts) -> tuple[Target | None, Target | None]:
    src = None
    if ref.src is None and ref.src_path is not None:
        src = resolve_path(ref.src_path, "type", ref.scope, view)
    if ref.dst is not None:
        return src, None
    if infer.is_expression(ref.receiver):
        return src, _resolve_inferred(ref, view)
    if ref.receiver is not None:
        return src, resolve_method(ref.path[-1], ref.receiver, view)
    if ref.target == "assoc":
        return src, resolve_projection(ref.path[0], ref.path[1:], ref.scope, view)
    return src, resolve_path(ref.path, ref.target, ref.scope, view)


def resolve_projection(name: str, traits: tuple[str, ...], scope: str, view: SymbolView) -> Target | None:
    """`Self::Item`, `T::Item`, `<X as Tr>::Item` (ISG-SPEC §1): the associated type `Tr::Item` of the first trait
    (the impl's or the trait's own, then the bounds as written) that declares it, itself or through its supertraits
    (as the compiler looks it up). None when those traits are outside the workspace; several traits declaring it
    make a guess (`heuristic`), never an invented node."""
    assoc = TARGET_KINDS["assoc"]
    for text in traits:
        path = _segments(text)
        found = resolve_path(path, "trait", scope, view) if path else None
        if found is None or not found.ids:
            continue
        ids: list[bytes] = []
        seen: set[bytes] = set()
        for trait_id in found.ids:
            ids.extend(_declared_through(trait_id, name, assoc, view, seen, 0))
        ids = sorted(set(ids))
        if len(ids) == 1:
            return Target(ids, found.resolution)
        if 1 < len(ids) <= MAX_HEURISTIC_CANDIDATES:
            return Target(ids, Resolution.HEURISTIC, len(ids))
    return None


def _declared_through(trait_id: bytes, name: str, kinds, view: SymbolView, seen: set, depth: int) -> list[bytes]:
    """The `name`s a trait declares, else those its supertraits declare (breadth first, up to 6 levels)."""
    if trait_id in seen or depth > 6:
        return []
    seen.add(trait_id)
    fqp = view.node(trait_id).fqp
    ids = view.lookup(f"{fqp}::{name}", kinds)
    if ids:
        return ids
    record = view.imports(TRAIT_RECORD + fqp)
    module = record.get(":scope")
    if not isinstance(module, str):
        return []
    found: list[bytes] = []
    for key, text in sorted(record.items()):
        if key == ":scope" or not isinstance(text, str):
            continue
        target = resolve_path(_segments(text), "trait", module, view)
        for super_id in target.ids if target is not None else ():
            found.extend(_declared_through(super_id, name, kinds, view, seen, depth + 1))
    return found


def resolve_path(path: tuple[str, ...], target: str, scope: str, view: SymbolView) -> Target | None:
    if not path:
        return None
    kinds = TARGET_KINDS[target]
    if path[0] == "":
        ids = lookup_absolute(path[1:], kinds, view)
        if ids:
            return Target(ids, Resolution.EXACT)
        if target == "fn" and len(path) > 2:
            return _trait_member(path[1:], view, Resolution.EXACT)
        if _in_workspace(path[1:], scope, view):
            return None  # a workspace path that names nothing we see (a macro's item)
        return _external(_join(path[1:]), target, Resolution.EXACT)
    first = path[0]
    imported = view.imports(scope).get(first)
    outside = None
    if imported is not None:
        crate = scope.split("::", 1)[0]
        for binding in _bindings(imported):
            expanded = _segments(binding) + path[1:]
            if expanded[0] == "":
                candidates = [expanded[1:]]
            else:
                # as written (another crate), then from this module (2018 uniform paths), then from the crate root
                # (2015 edition paths)
                candidates = [expanded, tuple(scope.split("::")) + expanded, (crate, *expanded)]
            for candidate in candidates:
                ids = lookup_absolute(candidate, kinds, view)
                if ids:
                    return Target(ids, Resolution.IMPORT)
            if target == "fn":
                found = _trait_member(candidates[0], view, Resolution.IMPORT)
                if found is not None:
                    return found
        # no binding names a workspace item in this namespace (the one found may be a macro's, or outside)
        best = _segments(_naming_binding(imported)) + path[1:]
        outside = best[1:] if best[0] == "" else best
    local = tuple(scope.split("::")) + path
    ids = lookup_absolute(local, kinds, view)
    if ids:
        return Target(ids, Resolution.EXACT)
    for glob in view.globs(scope):
        for base in _glob_bases(glob, scope):
            ids = lookup_absolute(base + path, kinds, view)
            if ids:
                return Target(ids, Resolution.IMPORT)
    if outside is not None:
        if target == "fn" or _in_workspace(outside, scope, view):
            return None
        return _external(_join(outside), target, Resolution.IMPORT)
    if len(path) > 1:
        ids = lookup_absolute(path, kinds, view)
        if ids:
            return Target(ids, Resolution.EXACT)
    if target == "fn":
        if len(path) > 1:
            return _trait_member(local, view, Resolution.EXACT) or _trait_member(path, view, Resolution.EXACT)
        return None
    if len(path) == 1 and first in PRELUDE:
        return Target([], Resolution.IMPORT, external_fqp=first, external_kind=PRELUDE[first])
    if len(path) > 1:
        if _in_workspace(path, scope, view):
            return None
        return _external(_join(path), target, Resolution.EXACT)
    return _external(first, target, Resolution.HEURISTIC, candidates=0)


def _glob_bases(glob: str, scope: str) -> list[tuple[str, ...]]:
    """Where a glob import's module may be: an absolute one where it says; a relative one (`pub use traits::*;`)
    as written (another crate), then from the importing module (2018 uniform paths), then from the crate root
    (2015 edition paths), as a named import's candidates are tried."""
    base = _segments(glob)
    if not base:
        return []
    if base[0] == "":
        return [base[1:]]
    module = tuple(scope.split("::"))
    return [base, module + base, (module[0], *base)] if len(module) > 1 else [base, module + base]


def _in_workspace(path: tuple[str, ...], scope: str, view: SymbolView) -> bool:
    """Whether a path that resolved to nothing still leads into the workspace (a workspace crate, or a module of
    this one): such a path names an item we cannot see (one a macro generates), never an external stand-in."""
    if len(path) < 2 or path[0] in WELL_KNOWN_CRATES:
        return False
    module = TARGET_KINDS["module"]
    # a workspace crate, or a module of the scope itself (`mod serde` at the root does not make `serde::` in
    # another module the workspace's: there it is the extern crate)
    return bool(view.lookup(path[0], module) or view.lookup(f"{scope}::{path[0]}", module))


def _external(fqp: str, target: str, resolution: Resolution, candidates: int | None = None) -> Target | None:
    if target == "fn" or target == "module":
        return None
    kind = NodeKind.TRAIT if target == "trait" else PRELUDE.get(fqp.rsplit("::", 1)[-1], NodeKind.STRUCT)
    if target == "type" and kind is NodeKind.TRAIT and "::" in fqp:
        kind = NodeKind.STRUCT
    return Target([], resolution, candidates, external_fqp=fqp, external_kind=kind)


def _trait_member(path: tuple[str, ...], view: SymbolView, resolution: Resolution) -> Target | None:
    """`Type::method()` where the method comes from a trait impl: `<Type as Trait>::method`."""
    if len(path) < 2:
        return None
    type_fqp = _join(path[:-1])
    if not view.lookup(type_fqp, TYPE_KINDS):
        return None
    ids = [n.id for n in view.impl_members(type_fqp, path[-1], TARGET_KINDS["fn"])]
    return Target(ids, resolution) if ids else None


def lookup_absolute(path: tuple[str, ...], kinds: frozenset[NodeKind], view: SymbolView, depth: int = 0) -> list[bytes]:
    """Nodes at an absolute path, following re-exports (`pub use`) of the modules along it. A re-exported name may
    have several bindings (a trait and a derive macro): each is tried in the namespace asked about.

    While the whole workspace is resolved (``view.shared``), a top-level answer is shared across files with the keys
    its lookups read, which a later hit records as its own: the same dependencies as asking again, at a dict lookup
    (a cold index of rust-100k asked ~130,000 of these for ~19,000 paths; its CLI index 2.66 -> 2.38 s, no gain
    measured at 500K). Only top-level calls: sharing the recursive ones too cost 10-60 MB for no more speed."""
    shared = view.shared
    if shared is None or depth:
        return _lookup_absolute(path, kinds, view, depth)
    key = (path, kinds)
    hit = shared.get(key)
    if hit is not None:
        view.deps.update(hit[1])
        return list(hit[0])
    outer = view.deps
    own: set[str] = set()
    view.deps = own
    try:
        ids = _lookup_absolute(path, kinds, view, depth)
    finally:
        view.deps = outer
        outer |= own
    shared[key] = (tuple(ids), tuple(map(sys.intern, own)))  # the keys the graph keeps: one copy of each
    return ids


def _lookup_absolute(path: tuple[str, ...], kinds: frozenset[NodeKind], view: SymbolView, depth: int) -> list[bytes]:
    if not path:
        return []
    ids = view.lookup(_join(path), kinds)
    if ids or depth > 4 or len(path) < 2:
        return ids
    if not view.lookup(path[0], _MODULE):
        return []  # not a workspace crate (`std::fmt::Display`): nothing to follow
    parent = path[:-1]
    parent_fqp = _join(parent)
    reexport = view.imports(parent_fqp).get(path[-1])
    if reexport is not None:
        for binding in _bindings(reexport):
            target = _segments(binding)
            if target and target[0] == "":
                ids = lookup_absolute(target[1:], kinds, view, depth + 1)
            else:
                ids = (
                    lookup_absolute(target, kinds, view, depth + 1)
                    or lookup_absolute(parent + target, kinds, view, depth + 1)
                    or lookup_absolute((path[0], *target), kinds, view, depth + 1)
                )
            if ids:
                return ids
    for glob in view.globs(parent_fqp):
        for base in _glob_bases(glob, parent_fqp):
            ids = lookup_absolute(base + path[-1:], kinds, view, depth + 1)
            if ids:
                return ids
    # a module along the path may be an import of the module before it (`pub use inner as outer;`,
    # `extern crate serde;` in a submodule): the nearest first
    for cut in range(len(parent) - 1, 0, -1):
        alias = view.imports(_join(parent[:cut])).get(parent[cut])
        if alias is None:
            continue
        for binding in _bindings(alias):
            target = _segments(binding)
            base = target[1:] if target and target[0] == "" else parent[:cut] + target
            ids = lookup_absolute(base + path[cut + 1 :], kinds, view, depth + 1)
            if ids:
                return ids
        break
    return []


def resolve_method(name: str, receivers: tuple[str, ...], view: SymbolView) -> Target | None:
    fn = TARGET_KINDS["fn"]
    if receivers:
        for receiver in receivers:
            ids = view.lookup(f"{receiver}::{name}", fn)
            if ids:
                return Target(ids, Resolution.EXACT)
        for receiver in receivers:
            ids = [n.id for n in view.impl_members(receiver, name, fn)]
            if ids:
                return Target(ids, Resolution.EXACT)
        return None
    return guess_methods(view, name, fn, "rust", lambda n: _is_method(n.fqp, view), STANDARD_METHODS)


def _is_method(fqp: str, view: SymbolView) -> bool:
    if fqp.startswith("<"):
        return True
    owner, _, _ = fqp.rpartition("::")
    return bool(owner) and bool(view.lookup(owner, TYPE_KINDS))


# ---- paths as people write them (queries, go-to-definition) ---------------------------------------------------


def lookup_path(view: SymbolView, fqp: str) -> list[bytes]:
    """The workspace nodes a public path names, through re-exports and globs (`serde::Serialize` is
    `serde::ser::Serialize`): for queries given a path that is no node's FQP."""
    path = _segments(fqp)
    if len(path) < 2 or not all(path):
        return []
    # a path names something in each namespace it is bound in (`tokio::spawn`: a function; `task::spawn` is also
    # a private module beside it); modules only when it names nothing else
    found = lookup_absolute(path, TYPE_KINDS, view) + lookup_absolute(path, TARGET_KINDS["fn"], view)
    return sorted(set(found)) or lookup_absolute(path, TARGET_KINDS["module"], view)


def resolve_name(view: SymbolView, module: str, path: tuple[str, ...], call: bool = False) -> list[bytes]:
    """What a name written in `module` (`Foo`, `a::b::Foo`, `crate::x::f`) names, resolved as the graph resolves
    references: in the value namespace first for a call, else in the type namespace first."""
    if not path:
        return []
    crate = module.split("::", 1)[0]
    head = path[0]
    if head in ("crate", "$crate"):
        path = ("", crate, *path[1:])
    elif head in ("self", "super"):
        segments = module.split("::")
        i = 1 if head == "self" else 0
        while i < len(path) and path[i] == "super":
            if len(segments) > 1:
                segments.pop()
            i += 1
        path = ("", *segments, *path[i:])
    order = ("fn", "type", "module") if call else ("type", "fn", "module")
    for target in order:
        found = resolve_path(path, target, module, view)
        if found is not None and found.ids:
            return found.ids
    return []


# ---- names the workspace decides (naming.py) ------------------------------------------------------------------
# Extraction names impl members from the file alone, the type and trait as the file's imports name them
# (`<indexmap::IndexMap as Tr>::m`); ISG-SPEC §2 names them by definition paths (`<indexmap::map::IndexMap as Tr>::m`),
# which other files' re-exports decide. Each impl asks (`facts.names["impls"]`: its members' prefix → the module, the
# self type's FQP and path, the trait's FQP and path), naming.py answers through the workspace's declarations and
# imports (`naming_table`), and `rename_facts` gives the facts the graph holds.

NAMES_IMPLS = "impls"  # raw members' prefix → [module, self FQP, self path, trait FQP, trait path] ("" for none)
NAMES_TABLE = "table"  # in named facts: the answer they were named by (raw prefix → [self FQP, trait FQP])
NAMES_NODES = "nodes"  # in named facts: index of a renamed node → its FQP as extracted
NAMES_REFS = "refs"  # in named facts: index of a changed reference → [its path, its receiver] as extracted
_NAMES_APPLIED = (NAMES_TABLE, NAMES_NODES, NAMES_REFS)
_DECLARED_KINDS = frozenset({NodeKind.MODULE, NodeKind.STRUCT, NodeKind.ENUM, NodeKind.TRAIT, NodeKind.ASSOC_TYPE})


def naming_declarations(facts: FileFacts):
    """The (FQP, kind) of what a path lookup may find in a file: its modules, types, traits and type aliases, never
    an impl's members (what naming renames), whether the facts are named yet or not."""
    members = None
    for node in facts.nodes:
        kind = node.kind
        if kind not in _DECLARED_KINDS:
            continue
        if kind is NodeKind.ASSOC_TYPE:
            if node.fqp.startswith("<"):
                continue
            if members is None:
                members = {
                    r.dst
                    for r in facts.references
                    if r.kind is EdgeKind.CONTAINS and r.src_path is not None and r.dst is not None
                }
            if node.id in members:
                continue
        yield node.fqp, kind


def naming_table(requests: dict, view) -> dict[str, list[str]]:
    """The definition paths of the types and traits a file's impls name, found as references are resolved (the
    same path, from the same module): raw prefix → [self FQP, trait FQP] for the impls whose names change. A type
    or trait outside the workspace keeps the name the file gives it."""
    impls = requests.get(NAMES_IMPLS)
    if not impls:
        return {}
    table: dict[str, list[str]] = {}
    for prefix, (module, self_fqp, self_path, trait_fqp, trait_path) in impls.items():
        found_self = _definition_path(self_path, "type", module, view) if self_path else None
        found_trait = _definition_path(trait_path, "trait", module, view) if trait_path else None
        if (found_self or self_fqp) != self_fqp or (found_trait or trait_fqp) != trait_fqp:
            table[prefix] = [found_self or self_fqp, found_trait or trait_fqp]
    return table


def _definition_path(path: str, target: str, module: str, view) -> str | None:
    def compute() -> str | None:
        found = resolve_path(_segments(path), target, module, view)
        if found is None or not found.ids:
            return None
        return found.ids[0].decode("utf-8", "surrogatepass")  # naming.NamingView: the FQP found

    return view.cached((path, target, module), compute)


def naming_applied(facts: FileFacts) -> dict:
    """The answer facts were named by (empty for facts as extracted)."""
    return facts.names.get(NAMES_TABLE) or {}


def rename_facts(facts: FileFacts, table: dict) -> FileFacts:
    """Facts (as extracted, or named by an earlier answer) named by `table`: the members of each impl it lists
    (`<X as Tr>::m`, `X::m` and their G nodes) take the new prefix, with new ids (the SigHash of the new FQP);
    edges and references follow the ids, receivers (`self.m()`) and `Self::f()` paths the new type paths. What was
    renamed is kept in `facts.names`, so an empty table gives the extracted facts back, exactly."""
    facts = _as_extracted(facts)
    if not table:
        return facts
    impls = facts.names.get(NAMES_IMPLS) or {}
    prefixes: dict[str, str] = {}
    paths: dict[str, str] = {}
    for prefix, (self_fqp, trait_fqp) in table.items():
        entry = impls.get(prefix)
        if entry is None:
            continue
        raw_self, raw_trait = entry[1], entry[3]
        prefixes[prefix] = f"<{self_fqp} as {trait_fqp}>::" if raw_trait else f"{self_fqp}::"
        if self_fqp != raw_self:
            paths[raw_self] = self_fqp
        if raw_trait and trait_fqp != raw_trait:
            paths[raw_trait] = trait_fqp
    ordered = sorted(prefixes, key=len, reverse=True)
    nodes = list(facts.nodes)
    ids: dict[bytes, bytes] = {}
    renamed_nodes: dict[str, str] = {}
    for i, node in enumerate(nodes):
        fqp = node.fqp
        for prefix in ordered:
            if fqp.startswith(prefix):
                new_fqp = prefixes[prefix] + fqp[len(prefix) :]
                new_id = sighash(node.lang, node.kind.value, new_fqp, node.signature)
                nodes[i] = Node(
                    new_id,
                    node.kind,
                    node.name,
                    new_fqp,
                    node.lang,
                    node.file,
                    node.span,
                    node.signature,
                    node.visibility,
                    node.external,
                )
                ids[node.id] = new_id
                renamed_nodes[str(i)] = fqp
                break
    names = {**facts.names, NAMES_TABLE: table}
    if len({n.id for n in nodes}) != len({n.id for n in facts.nodes}):
        # two impls the file tells apart are one after naming (cfg'd twins through two re-exports): their members
        # would be one node, which naming again could not split; such a file keeps its extracted names
        return _replaced(facts, facts.nodes, facts.edges, facts.references, names)
    edges = [
        e
        if e.src not in ids and e.dst not in ids
        else Edge(ids.get(e.src, e.src), e.kind, ids.get(e.dst, e.dst), e.resolution, e.candidates, e.derived)
        for e in facts.edges
    ]
    references = list(facts.references)
    renamed_refs: dict[str, list] = {}
    for i, ref in enumerate(references):
        path, receiver = ref.path, ref.receiver
        if receiver and any(r in paths for r in receiver):
            receiver = tuple(paths.get(r, r) for r in receiver)
        if ref.target == "fn" and len(path) > 2 and path[0] == "":
            owner = paths.get(_join(path[1:-1]))
            if owner is not None:
                path = ("", *_segments(owner), path[-1])
        if path is not ref.path or receiver is not ref.receiver:
            renamed_refs[str(i)] = [list(ref.path), list(ref.receiver) if ref.receiver is not None else None]
        elif ref.src not in ids and ref.dst not in ids:
            continue
        references[i] = Reference(
            ref.kind,
            ref.scope,
            ref.target,
            path,
            ids.get(ref.src, ref.src) if ref.src else None,
            ids.get(ref.dst, ref.dst) if ref.dst else None,
            ref.src_path,
            receiver,
            ref.derived,
        )
    if renamed_nodes:
        names[NAMES_NODES] = renamed_nodes
    if renamed_refs:
        names[NAMES_REFS] = renamed_refs
    return _replaced(facts, nodes, edges, references, names, ids)


def _as_extracted(facts: FileFacts) -> FileFacts:
    """Named facts as extraction gave them (facts as extracted are returned as they are)."""
    names = facts.names
    if NAMES_TABLE not in names:
        return facts
    raw_nodes = names.get(NAMES_NODES) or {}
    raw_refs = names.get(NAMES_REFS) or {}
    nodes = list(facts.nodes)
    ids: dict[bytes, bytes] = {}
    for key, fqp in raw_nodes.items():
        i = int(key)
        node = nodes[i]
        raw_id = sighash(node.lang, node.kind.value, fqp, node.signature)
        ids[node.id] = raw_id
        nodes[i] = Node(
            raw_id,
            node.kind,
            node.name,
            fqp,
            node.lang,
            node.file,
            node.span,
            node.signature,
            node.visibility,
            node.external,
        )
    edges = facts.edges
    references = facts.references
    if ids or raw_refs:
        edges = [
            e
            if e.src not in ids and e.dst not in ids
            else Edge(ids.get(e.src, e.src), e.kind, ids.get(e.dst, e.dst), e.resolution, e.candidates, e.derived)
            for e in facts.edges
        ]
        references = list(facts.references)
        for i, ref in enumerate(references):
            raw = raw_refs.get(str(i))
            if raw is None and ref.src not in ids and ref.dst not in ids:
                continue
            path = tuple(raw[0]) if raw is not None else ref.path
            receiver = (tuple(raw[1]) if raw[1] is not None else None) if raw is not None else ref.receiver
            references[i] = Reference(
                ref.kind,
                ref.scope,
                ref.target,
                path,
                ids.get(ref.src, ref.src) if ref.src else None,
                ids.get(ref.dst, ref.dst) if ref.dst else None,
                ref.src_path,
                receiver,
                ref.derived,
            )
    names = {k: v for k, v in names.items() if k not in _NAMES_APPLIED}
    return _replaced(facts, nodes, edges, references, names, ids)


def _replaced(
    facts: FileFacts, nodes, edges, references, names: dict, ids: dict[bytes, bytes] | None = None
) -> FileFacts:
    """A copy of facts with other nodes, edges, references and names (and doc comments under the nodes' new ids)."""
    docs = facts.docs
    if ids and docs:
        docs = {ids.get(node_id, node_id): text for node_id, text in docs.items()}
    return FileFacts(
        path=facts.path,
        lang=facts.lang,
        content_hash=facts.content_hash,
        loc=facts.loc,
        nodes=nodes,
        edges=edges,
        references=references,
        imports=facts.imports,
        glob_imports=facts.glob_imports,
        errors=facts.errors,
        macro_calls=facts.macro_calls,
        module_files=facts.module_files,
        error=facts.error,
        docs=docs,
        names=names,
    )


# ---- receiver types (infer.py) -------------------------------------------------------------------------------


def _resolve_inferred(ref: Reference, view: SymbolView) -> Target | None:
    """A method call whose receiver is an expression (infer.py): a method of the receiver's inferred type (inherent,
    its trait impls', a trait's own for `dyn Tr`/`impl Tr`/a bounded type parameter); a guess by name only when the
    type is unknown."""
    name = ref.path[-1]
    # called when `infer.is_expression(ref.receiver)`: the receiver is an encoded expression, never None
    outcome, ty, fns = infer.inference(_types(view), view).methods_of(cast(Expr, ref.receiver), ref.scope, name)
    if outcome == Outcome.UNKNOWN:
        return guess_methods(
            view, name, TARGET_KINDS["fn"], "rust", lambda n: _is_method(n.fqp, view), STANDARD_METHODS
        )
    if not fns:
        return None
    return Target([fn.id for fn in fns], ty.resolution if ty is not None else Resolution.EXACT)


# Methods of the standard library's common types (Option, Result, Vec, slices, str, String, iterators, maps, smart
# pointers) and of its most implemented traits: a receiver of unknown type calling one of them is not guessed to be
# a workspace type (common.guess_methods).
STANDARD_METHODS = frozenset(
    """
unwrap expect unwrap_or unwrap_or_else unwrap_or_default map map_err and_then or_else ok err is_some is_none is_ok
is_err as_ref as_mut as_deref take replace get get_mut insert remove push pop len is_empty iter iter_mut into_iter
next clone to_owned to_string as_str as_bytes contains starts_with ends_with split trim chars bytes collect filter
find any all fold count sum rev zip enumerate skip chain extend drain clear first last keys values entry or_insert
with_capacity capacity reserve truncate sort sort_by dedup join lock read write borrow borrow_mut deref deref_mut
fmt eq ne cmp partial_cmp hash into from try_into try_from default drop poll send recv await""".split()
)
_SMART = frozenset(
    {
        "Box",
        "Rc",
        "Arc",
        "Pin",
        "Cow",
        "Ref",
        "RefMut",
        "MutexGuard",
        "RwLockReadGuard",
        "RwLockWriteGuard",
        "ManuallyDrop",
    }
)
_UNWRAPPING = frozenset(
    {
        "unwrap",
        "expect",
        "unwrap_or",
        "unwrap_or_else",
        "unwrap_or_default",
        "unwrap_unchecked",
        "expect_err",
        "into_inner",
        "get_or_insert_with",
        "get_or_init",
        "lock",
        "borrow",
        "borrow_mut",
        "read",
        "write",
    }
)
_SAME = frozenset(
    {"clone", "as_ref", "as_mut", "as_deref", "as_deref_mut", "take", "by_ref", "cloned", "copied", "to_owned"}
)
_ELEMENT_OPTIONS = frozenset(
    {
        "get",
        "get_mut",
        "first",
        "last",
        "first_mut",
        "last_mut",
        "pop",
        "next",
        "peek",
        "front",
        "back",
        "pop_front",
        "pop_back",
        "next_back",
        "nth",
        "min",
        "max",
        "find",
    }
)
_ITERATORS = frozenset(
    {
        "iter",
        "iter_mut",
        "into_iter",
        "drain",
        "values",
        "values_mut",
        "rev",
        "skip",
        "take",
        "filter",
        "chain",
        "peekable",
        "fuse",
        "cloned",
        "copied",
        "step_by",
    }
)


class _RustTypes:
    """Rust's side of receiver inference (infer.TypeSystem): a type is read where it is written, in its module's
    FQP (whose `use`s name it)."""

    nullish: frozenset[str] = frozenset()
    self_type = "Self"

    def __init__(self, view: SymbolView) -> None:
        self.view = view

    def normalize(self, text: str) -> str:
        text = re.sub(r"'\w+\s*\+?\s*", "", text)  # lifetimes
        text = re.sub(r"&\s*(?:mut\s+)?|\b(?:dyn|impl)\s+|\*(?:const|mut)\s+", "", text)  # references, traits
        text = " ".join(text.split())
        while True:
            before = text
            text = text.strip()
            if text.startswith("&"):
                text = text[1:]
            for word in ("mut ", "dyn ", "impl ", "const "):
                if text.startswith(word):
                    text = text[len(word) :]
            if text == before:
                break
        if text.startswith("[") and text.endswith("]"):  # `[T]`, `[T; N]`
            inner = text[1:-1].split(";")[0]
            return self.normalize(inner) + "[]"
        if text.startswith("(") and text.endswith(")"):
            return ""  # tuples: not followed
        return (
            " | ".join(self.normalize(p) if p.strip() != text else p.strip() for p in infer._split_top(text, "+"))
            if "+" in text
            else text
        )

    def type_named(self, path: str, where) -> Ty | None:
        parts = tuple(p for p in path.split("::"))
        if not parts or not parts[-1] or parts[-1] in ("?Sized", "Sized", "Send", "Sync", "Unpin", "Copy"):
            return None
        if parts[0] in ("crate", "$crate", "self", "super"):
            ids = resolve_name(self.view, where, parts)
            found = Target(ids, Resolution.EXACT) if ids else None
        else:
            found = resolve_path(parts, "type", where, self.view) or resolve_path(parts, "trait", where, self.view)
        if found is None:
            return None
        if found.ids:
            node = self.view.node(found.ids[0])
            if node.kind is NodeKind.ASSOC_TYPE and not node.fqp.startswith("<"):
                return Ty(node.fqp, False, (), found.resolution)  # an alias: expanded where its arguments are
            return Ty(node.fqp, False, (), found.resolution)
        if found.external_fqp is None or found.resolution is Resolution.HEURISTIC:
            return None
        return Ty(found.external_fqp, True, (), found.resolution)

    def union(self, members: list[Ty | None]) -> Ty | None:
        """`T: A + B`, `dyn A + B`: the bounds together (their methods are the value's)."""
        kept = [m for m in members if m is not None]
        if not kept:
            return None
        return kept[0] if len(kept) == 1 else Ty("+", False, tuple(kept))

    def node_of(self, fqp: str) -> Node | None:
        ids = self.view.lookup(fqp, TYPE_KINDS)
        return self.view.node(ids[0]) if ids else None

    def aliased(self, ty: Ty) -> Ty | None:
        """`type Result<T> = std::result::Result<T, Error>`: what an alias stands for, its arguments bound."""
        node = self.node_of(ty.fqp)
        if node is None or node.kind is not NodeKind.ASSOC_TYPE:
            return None
        _, eq, text = node.signature.partition("=")
        if not eq:
            return None
        return infer.inference(self, self.view).declared(
            Declared(text.strip(), _module_of(node, self.view), frozenset(), ty.fqp), ty
        )

    def methods(self, ty: Ty, name: str, depth: int = 0) -> list[Node]:
        fn = TARGET_KINDS["fn"]
        if ty.fqp == "+":  # several bounds
            found: list[Node] = []
            for member in ty.args:
                if member is not None and not member.external:
                    found.extend(n for n in self.methods(member, name, depth + 1) if n not in found)
            return found
        node = self.node_of(ty.fqp)
        if node is not None and node.kind is NodeKind.ASSOC_TYPE and depth < 4:
            target = self.aliased(ty)
            if target is not None and not target.external:
                return self.methods(target, name, depth + 1)
            return []
        if node is not None and node.kind is NodeKind.TRAIT:
            ids = self.view.lookup(f"{ty.fqp}::{name}", fn)
            if ids:
                return [self.view.node(i) for i in ids]
            return self.supertrait_methods(ty.fqp, name, depth)
        ids = lookup_absolute(_segments(ty.fqp) + (name,), fn, self.view)
        if ids:
            return [self.view.node(i) for i in ids]
        return self.view.impl_members(ty.fqp, name, fn)

    def supertrait_methods(self, trait: str, name: str, depth: int) -> list[Node]:
        if depth > 4:
            return []
        record = self.view.imports(TRAIT_RECORD + trait)
        scope = record.get(":scope", trait.rsplit("::", 1)[0])
        for key, text in sorted(record.items()):
            if key == ":scope":
                continue
            parent = self.type_named(text, scope)
            if parent is not None and not parent.external:
                found = self.methods(parent, name, depth + 1)
                if found:
                    return found
        return []

    def returns(self, fn: Node) -> Declared | None:
        text, generics = _return_text(fn.signature, fn.name)
        if not text:
            return None
        owner = _owner_type(fn.fqp)
        return Declared(text, _module_of(fn, self.view), generics, owner if owner and self.node_of(owner) else None)

    def field(self, ty: Ty, name: str, depth: int = 0) -> Declared | None:
        text = self.view.imports(infer.fields_key(LANG, ty.fqp)).get(infer.field_entry(name))
        if text is None:
            node = self.node_of(ty.fqp)
            if node is not None and node.kind is NodeKind.ASSOC_TYPE and depth < 8:
                target = self.aliased(ty)
                return self.field(target, name, depth + 1) if target is not None and not target.external else None
            return None
        return Declared(text, ty.fqp.rsplit("::", 1)[0], frozenset(), ty.fqp)

    def call_value(self, path: str, arity: int | None, where, inference: infer.Inference) -> Ty | None:
        parts = tuple(path.split("::"))
        found = resolve_path(parts, "fn", where, self.view)
        if found is not None and found.ids:
            return inference.returned([self.view.node(i) for i in found.ids])
        kind = resolve_path(parts, "type", where, self.view)  # a tuple struct's constructor `Foo(x)`
        if kind is not None and kind.ids:
            return Ty(self.view.node(kind.ids[0]).fqp, False, (), kind.resolution)
        if len(parts) > 1 and parts[0] != "":
            owner = resolve_path(parts[:-1], "type", where, self.view)
            if (
                owner is not None
                and not owner.ids
                and owner.external_fqp is not None
                and owner.resolution is not Resolution.HEURISTIC
            ):
                return infer.OPAQUE  # `String::new()`, `Vec::with_capacity()`
        return None

    def unwrap(self, ty: Ty) -> Ty | None:
        """`.await` on a workspace `async fn`'s declared result, `?` through an alias of `Result`."""
        target = self.aliased(ty)
        if target is not None:
            return infer.inference(self, self.view).unwrap(target)
        return ty

    def element(self, ty: Ty, inference: infer.Inference) -> Ty | None:
        if ty.external:
            if ty.name in ("HashMap", "BTreeMap", "IndexMap"):
                return None  # pairs: not followed
            return None
        target = self.aliased(ty)
        return inference.element(target) if target is not None else None

    def external_method(self, ty: Ty, name: str) -> Ty | None:
        kind = ty.name
        if kind in _SMART or kind in ("Option", "Result", "Poll", "RefCell", "Mutex", "RwLock", "OnceCell", "Lazy"):
            if name in _UNWRAPPING:
                return ty.arg(0)
            if name in _SAME:
                return ty
        if name in _ELEMENT_OPTIONS and kind in infer.CONTAINERS:
            return Ty("Option", True, (ty.arg(0),))
        if name in _ITERATORS and kind in infer.CONTAINERS:
            return Ty("Iter", True, (ty.arg(0),))
        if kind in ("HashMap", "BTreeMap", "IndexMap") and name in ("get", "get_mut", "remove"):
            return Ty("Option", True, (ty.arg(1),))
        if kind in _SMART and (inner := ty.arg(0)) is not None and not inner.external:  # auto-deref
            fns = self.methods(inner, name)
            if fns:
                return infer.inference(self, self.view).call(inner, name, None)
        return infer.OPAQUE

    def deref(self, ty: Ty) -> Ty | None:
        """Auto-deref for method lookup: `Box<Foo>`, `Arc<Foo>`, `Rc<Foo>` reach Foo's methods."""
        return ty.arg(0) if ty.external and ty.name in _SMART else None

    def type_parameters(self, type_fqp: str) -> tuple[str, ...]:
        node = self.node_of(type_fqp)
        return infer.type_parameters(node.signature, node.name) if node is not None else ()

    def accepts(self, fn: Node, arity: int) -> bool:
        return True


def _types(view: SymbolView) -> _RustTypes:
    found = view.memo.get(_RustTypes)
    if found is None:
        found = view.memo[_RustTypes] = _RustTypes(view)
    return found  # type: ignore[return-value]


def _owner_type(fqp: str) -> str:
    """The type a method belongs to: `a::Foo::new` → `a::Foo`; `<a::Foo as b::Tr>::call` → `a::Foo`."""
    if fqp.startswith("<"):
        middle = fqp.find(" as ")
        return fqp[1:middle] if middle != -1 else ""
    return fqp.rpartition("::")[0]


def _module_of(node: Node, view: SymbolView) -> str:
    """The module a declaration's signature is read in: the longest module along its FQP (its type's, for a
    method) declared in the node's file, else the crate."""
    fqp = _owner_type(node.fqp) if node.kind is NodeKind.FUNCTION else node.fqp
    parts = fqp.split("::")
    for cut in range(len(parts), 0, -1):
        prefix = "::".join(parts[:cut])
        ids = view.lookup(prefix, _MODULE)
        if ids and any(view.node(i).file == node.file for i in ids):
            return prefix
    for cut in range(len(parts) - 1, 0, -1):
        prefix = "::".join(parts[:cut])
        if view.lookup(prefix, _MODULE):
            return prefix
    return parts[0]


def _return_text(signature: str, name: str) -> tuple[str, frozenset[str]]:
    """The declared return type of a `fn` signature (`pub fn new() -> Self where ...` gives `Self`), and the function's
    own type parameters."""
    at = infer._find_word(signature, name)
    rest = signature[at + len(name) :] if at >= 0 else signature
    generics: frozenset[str] = frozenset()
    rest = rest.lstrip()
    if rest.startswith("<"):
        depth = 0
        for i, ch in enumerate(rest):
            depth += 1 if ch == "<" else -1 if ch == ">" and rest[i - 1 : i] != "-" else 0
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
    if not rest.startswith("->"):
        return "", generics
    rest = rest[2:].strip()
    where = re.search(r"\swhere\s", " " + rest + " ")
    if where is not None:
        rest = (" " + rest)[: where.start()].strip()
    return rest, generics
