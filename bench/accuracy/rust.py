"""Rust ground truth: rustdoc's JSON (`cargo rustdoc -- -Z unstable-options --output-format json`, with
`--document-private-items`) of crates from Debian's `librust-*-dev` packages, converted into ISG-SPEC's vocabulary.

Cargo runs offline: a temporary CARGO_HOME replaces crates.io with the Debian registry folder
(`/usr/share/cargo/registry`, a directory source), and the crate is built from a copy with its dev-dependencies
dropped (Debian does not package most of them). The toolchain is the first `cargo` found (PATH, then ~/.cargo/bin),
else Debian's `cargo` and `rustc`, installed with apt-get. rustdoc's JSON format changes between versions
(`format_version`); the reader below accepts both the old shape (`{"kind": K, "inner": {...}}`, string ids,
`decl`) and the new one (`{"inner": {K: {...}}}`, integer ids, `sig`).

What counts (the spec, §1): traits, structs/unions, enums, functions and methods, modules, associated types and type
aliases, generic type parameters; CONTAINS, DEFINES, IMPL (written ones and derives, `derived`), BOUND_BY
(supertraits, `where Self: X` on traits, parameter bounds and where clauses, associated type bounds), ACCEPTS and
RETURNS (every named type a parameter or return type mentions), USES (field and alias types). Left out: impls the
compiler makes up (auto traits, blanket impls shown on each type), negative impls, `?Sized`, lifetimes, const
parameters, `self` parameters.

ISG-SPEC §1's clarifications, as the compiler sees them: a projection (`Self::Item`, `T::Item`, `<X as Tr>::Item`)
names the associated type `Tr::Item` of the trait rustdoc resolved it to, and nothing when that trait is outside the
crate; a bare `Self` in a trait's own items names no type; bounds written on a method (`where Self: Sized`, bounds
on its trait's or impl's parameters) are the method's, never the trait's; impls on `&T`/`&mut T` count for `T`,
and self types that are not paths are written without references, lifetimes and `mut` (`<str as Tr>::m`).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from isg_lsp import enrich

from .common import Truth, Unavailable, apt_install, converter_hash, log, run, which

REGISTRY = Path("/usr/share/cargo/registry")
LANG = "rust"

# Crates the extractor was not tuned on (its tests use serde); with their Debian packages.
CRATES_FULL = ["anyhow", "either", "log", "smallvec", "memchr", "indexmap", "crossbeam-channel", "petgraph",
               "once_cell"]
CRATES_QUICK = ["anyhow"]
EDGE_KINDS = ("CONTAINS", "DEFINES", "IMPL", "BOUND_BY", "ACCEPTS", "RETURNS", "USES")   # rustdoc has no bodies

# traits the compiler implements next to derives (`derive(PartialEq)` also gives `StructuralPartialEq`): not written
COMPILER_MARKERS = frozenset({"StructuralPartialEq", "StructuralEq", "TrivialClone"})

KIND_CODES = {
    "struct": "S", "union": "S", "enum": "E", "trait": "T", "trait_alias": "T", "function": "F", "method": "F",
    "module": "M", "type_alias": "A", "typedef": "A", "assoc_type": "A", "foreign_type": "S",
}


# ---- toolchain and crates -------------------------------------------------------------------------------------

def toolchain() -> tuple[str, str]:
    """(cargo, a description of the toolchain); installs Debian's cargo and rustc when none is found."""
    cargo = enrich.find_cargo()
    if cargo is None:
        apt_install(["cargo", "rustc"])
        cargo = which("cargo")
        if cargo is None:
            raise Unavailable("no cargo on this machine, and Debian's could not be installed")
    folder = str(Path(cargo).parent)
    rustc = which("rustc", [folder]) or "rustc"
    version = run([rustc, "--version"], check=False).stdout.strip()
    return cargo, version


def crate_source(name: str) -> Path:
    found = sorted(REGISTRY.glob(f"{name}-[0-9]*"), key=lambda p: _version_key(p.name[len(name) + 1:]))
    found = [p for p in found if (p / "Cargo.toml").is_file()]
    if not found:
        apt_install([f"librust-{name.replace('_', '-')}-dev"])
        found = sorted(REGISTRY.glob(f"{name}-[0-9]*"), key=lambda p: _version_key(p.name[len(name) + 1:]))
    if not found:
        raise Unavailable(f"crate {name} is not in {REGISTRY}")
    return found[-1]


def _version_key(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in re.split(r"[.+-]", text))


def prepare(source: Path, work: Path) -> Path:
    """A buildable copy: no dev-dependencies, no pinned toolchain, its own workspace (``isg-lsp enrich --cargo``
    builds crates the same way)."""
    return enrich.prepare_copy(source, work)


def rustdoc_json(crate_dir: Path, cargo: str, work: Path) -> Path:
    """rustdoc JSON of a prepared copy, offline with Debian's registry as crates.io: every feature when their
    dependencies are in the registry and the code compiles (the most code compiled, the fewer `#[cfg]`
    differences), else the default ones. The same runner as ``isg-lsp enrich --cargo``."""
    try:
        doc, features = enrich.run_rustdoc(crate_dir, cargo, work / "target", enrich.debian_cargo_home(work, REGISTRY))
    except enrich.CargoError as error:
        raise RuntimeError(f"rustdoc JSON of {crate_dir.name}: {error}") from None
    (crate_dir / ".features").write_text(features)
    return doc


def lib_name(crate_dir: Path) -> str:
    import tomllib

    data = tomllib.loads((crate_dir / "Cargo.toml").read_text("utf-8"))
    name = (data.get("lib") or {}).get("name") or data["package"]["name"]
    return name.replace("-", "_")


def lib_root(crate_dir: Path) -> str:
    """The folder of the library's sources, relative to the crate (what the comparison is restricted to)."""
    import tomllib

    data = tomllib.loads((crate_dir / "Cargo.toml").read_text("utf-8"))
    path = (data.get("lib") or {}).get("path") or "src/lib.rs"
    return str(Path(path).parent).replace(os.sep, "/")


def run_lang(quick: bool, work: Path) -> list[dict]:
    """Builds the truth for each crate: [{label, workspace, truth, scope, meta}]."""
    cargo, version = toolchain()
    stamp_text = f"{version}\n{converter_hash('rust')}"
    log(f"rust: toolchain {version} ({cargo})")
    out = []
    for name in CRATES_QUICK if quick else CRATES_FULL:
        try:
            source = crate_source(name)
        except Unavailable as error:
            log(f"rust: skipping {name}: {error}")
            continue
        folder = work / "rust"
        truth_path = folder / f"{source.name}.truth.jsonl"
        crate_dir = folder / "src" / source.name
        stamp = folder / f"{source.name}.stamp"
        if not (truth_path.is_file() and stamp.is_file() and stamp.read_text() == stamp_text and crate_dir.is_dir()):
            log(f"rust: rustdoc JSON of {source.name}")
            crate_dir = prepare(source, folder / "src")
            doc_path = rustdoc_json(crate_dir, cargo, folder)
            doc = json.loads(doc_path.read_text("utf-8"))
            truth = convert(doc, macro_ranges(crate_dir, lib_root(crate_dir) + "/"))
            truth.write(truth_path)
            stamp.write_text(stamp_text)
            meta = {"format_version": doc.get("format_version"), "toolchain": version,
                    "features": (crate_dir / ".features").read_text()}
            (folder / f"{source.name}.meta.json").write_text(json.dumps(meta))
        meta = json.loads((folder / f"{source.name}.meta.json").read_text())
        scope = lib_root(crate_dir) + "/"
        out.append({"label": source.name, "edge_kinds": EDGE_KINDS, "local_roots": (lib_name(crate_dir),), "workspace": crate_dir, "truth": truth_path, "scope": scope,
                    "meta": meta, "gated": cfg_gated(crate_dir, scope)})
    return out


# ---- code the compiler did not compile ------------------------------------------------------------------------

ITEM_TYPES = frozenset({"function_item", "function_signature_item", "struct_item", "enum_item", "union_item",
                        "impl_item", "trait_item", "mod_item", "type_item", "const_item", "static_item",
                        "associated_type", "macro_invocation", "macro_definition", "use_declaration"})


def _parser():
    import tree_sitter
    import tree_sitter_rust

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_rust.language()))


def macro_ranges(crate_dir: Path, scope: str) -> dict[str, list[tuple[int, int]]]:
    """Lines (1-based, inclusive) where rustdoc places items a macro makes: the bodies of `macro_rules!`
    definitions (items spelled from `$fragments` carry the definition's span), and item-level macro invocations,
    except the items written out inside them (their tokens parse as items: ISG-SPEC §1 counts them as hand-written,
    at their own lines). A truth item there is out of a syntactic parser's reach."""
    parser = _parser()
    ranges: dict[str, list[tuple[int, int]]] = {}
    for path in sorted((crate_dir / scope).rglob("*.rs")):
        rel = path.relative_to(crate_dir).as_posix()
        data = path.read_bytes()
        tree = parser.parse(data)
        written: list[tuple[int, int]] = []
        stack = [tree.root_node]
        while stack:
            node = stack.pop()
            for child in node.named_children:
                if child.type == "expression_statement" and child.named_child_count == 1 and \
                        child.named_children[0].type == "macro_invocation":
                    child = child.named_children[0]            # `impl_array!(0, 1, 2);` at item level
                if child.type == "macro_definition":
                    ranges.setdefault(rel, []).append((child.start_point[0] + 1, child.end_point[0] + 1))
                elif child.type == "macro_invocation":
                    ranges.setdefault(rel, []).append((child.start_point[0] + 1, child.end_point[0] + 1))
                    written.extend(_written_items(parser, data, child))
                elif child.type in ("mod_item", "declaration_list", "impl_item", "trait_item"):
                    stack.append(child)
        if written:                         # items written inside calls: stored negated, lines (-1 - start, ..)
            ranges[rel].extend((-1 - a, -1 - b) for a, b in written)
    return ranges


def _written_items(parser, data: bytes, invocation) -> list[tuple[int, int]]:
    """The lines of the items spelled out inside a macro invocation (its tokens parsed as items, `cfg_if!` arms
    included), with items inside them (an impl's methods): marked apart, so that they are not counted as made by
    the macro. Independent of the extractor's code: its own parse of the tokens."""
    import tree_sitter

    tokens = invocation.named_children[-1] if invocation.named_child_count else None
    if tokens is None or tokens.type != "token_tree" or len(tokens.children) < 3:
        return []
    kids = tokens.children
    arms = [c for c in kids[1:-1] if c.type == "token_tree" and c.children and c.children[0].type == "{"] \
        if len(kids) > 3 and kids[1].type == "if" and kids[2].type == "#" else [tokens]
    ranges = []
    for arm in arms:
        if arm.end_byte - arm.start_byte < 3:
            continue
        (sr, sc), (er, ec) = arm.start_point, arm.end_point
        ranges.append(tree_sitter.Range((sr, sc + 1), (er, ec - 1), arm.start_byte + 1, arm.end_byte - 1))
    if not ranges:
        return []
    fragment_parser = _parser()
    fragment_parser.included_ranges = ranges
    root = fragment_parser.parse(data).root_node
    found = []
    stack = [root]
    while stack:
        node = stack.pop()
        for child in node.named_children:
            if child.type in ITEM_TYPES and child.type != "macro_invocation":
                found.append((child.start_point[0] + 1, child.end_point[0] + 1))
                if child.type in ("impl_item", "trait_item", "mod_item"):
                    stack.append(child)
            elif child.type == "declaration_list":
                stack.append(child)
            elif child.type == "macro_invocation":
                found.extend(_written_items(parser, data, child))
    return found


def cfg_gated(crate_dir: Path, scope: str):
    """A predicate over exported nodes: is this declaration (or a declaration around it, or its file) under a
    `#[cfg(...)]`? rustdoc sees one configuration; a syntactic extractor sees all of them, so the comparison sets
    aside such nodes when the compiler did not see them (and says how many)."""
    parser = _parser()
    ranges: dict[str, list[tuple[int, int]]] = {}
    gated_impls: set[tuple[str, str]] = set()      # (self type, trait) last segments of gated impls and derives
    gated_files: set[str] = set()
    gated_dirs: list[str] = []
    files = sorted(p for p in (crate_dir / scope).rglob("*.rs"))
    for path in files:
        rel = path.relative_to(crate_dir).as_posix()
        tree = parser.parse(path.read_bytes())
        module_dir = path.parent if path.name in ("lib.rs", "mod.rs", "main.rs") else path.parent / path.stem
        stack = [tree.root_node]
        while stack:
            node = stack.pop()
            for child in node.named_children:
                if child.type == "attribute_item" or child.type == "inner_attribute_item":
                    continue
                if child.type in ("struct_item", "enum_item", "union_item"):
                    name = child.child_by_field_name("name")
                    for trait in _cfg_derives(child):
                        gated_impls.add((name.text.decode() if name else "", trait))
                if child.type in ITEM_TYPES and _has_cfg(child):
                    ranges.setdefault(rel, []).append((child.start_point[0], child.end_point[0]))
                    if child.type == "impl_item" and child.child_by_field_name("trait") is not None:
                        gated_impls.add((_last(child.child_by_field_name("type").text.decode()),
                                         _last(child.child_by_field_name("trait").text.decode())))
                    elif child.type in ("struct_item", "enum_item", "union_item"):
                        name = child.child_by_field_name("name")
                        for trait in _derives(child):
                            gated_impls.add((name.text.decode() if name else "", trait))
                    if child.type == "mod_item" and child.child_by_field_name("body") is None:
                        name = child.child_by_field_name("name")
                        if name is not None:
                            stem = name.text.decode()
                            gated_files.add((module_dir / f"{stem}.rs").relative_to(crate_dir).as_posix())
                            gated_dirs.append((module_dir / stem).relative_to(crate_dir).as_posix() + "/")
                        for text in _attributes(child):        # `#[cfg(..)] #[path = "imp_std.rs"] mod imp;`
                            placed = re.match(r'#\[\s*path\s*=\s*"([^"]+)"\s*\]', text)
                            if placed:
                                target = (path.parent / placed.group(1)).resolve()
                                if target.is_relative_to(crate_dir.resolve()):
                                    gated_files.add(target.relative_to(crate_dir.resolve()).as_posix())
                    continue
                if child.named_child_count:
                    stack.append(child)
        if tree.root_node.named_child_count:
            first = tree.root_node.named_children[0]
            if first.type == "inner_attribute_item" and b"cfg(" in first.text and b"cfg_attr" not in first.text:
                gated_files.add(rel)

    def gated(node: dict, dst: dict | None = None, kind: str | None = None) -> bool:
        if dst is not None:
            return kind == "IMPL" and (_last(node["fqp"]), _last(dst["fqp"])) in gated_impls
        file = node.get("file") or ""
        if file in gated_files or any(file.startswith(d) for d in gated_dirs):
            return True
        span = node.get("span")
        if not span:
            return False
        line = span[0]
        return any(start <= line <= end for start, end in ranges.get(file, ()))

    return gated


def _last(text: str) -> str:
    text = re.sub(r"<.*", "", text.split(" as ")[0].strip().lstrip("&").strip())
    text = re.sub(r"^'\w+\s+", "", text).replace("mut ", "").strip()
    return text.rsplit("::", 1)[-1]


def _attributes(node):
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type in ("attribute_item", "line_comment", "block_comment"):
        if sibling.type == "attribute_item":
            yield b" ".join(sibling.text.split()).decode("utf-8", "replace")
        sibling = sibling.prev_named_sibling


def _derives(node) -> list[str]:
    return [_last(name.strip()) for text in _attributes(node) for group in re.findall(r"derive\s*\(([^)]*)\)", text)
            for name in group.split(",") if name.strip()]


def _cfg_derives(node) -> list[str]:
    """Traits derived under `#[cfg_attr(cond, derive(...))]`: the compiler derives them only when cond holds."""
    return [_last(name.strip()) for text in _attributes(node) if text.startswith("#[cfg_attr")
            for group in re.findall(r"derive\s*\(([^)]*)\)", text) for name in group.split(",") if name.strip()]


def _has_cfg(node) -> bool:
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type in ("attribute_item", "line_comment", "block_comment"):
        if sibling.type == "attribute_item":
            text = b"".join(sibling.text.split())
            if text.startswith(b"#[cfg("):
                return True
        sibling = sibling.prev_named_sibling
    return False


# ---- reading rustdoc JSON of any format version ------------------------------------------------------------------

def variant(obj) -> tuple[str | None, object]:
    """(variant name, payload) of an externally tagged enum, in the old (`kind`/`inner`) or new shape."""
    if isinstance(obj, dict):
        kind = obj.get("kind")
        if isinstance(kind, str) and "inner" in obj:
            return kind, obj["inner"]
        if len(obj) == 1:
            key = next(iter(obj))
            return key, obj[key]
        return None, obj
    if isinstance(obj, str):
        return obj, None
    return None, obj


def item_kind(item: dict) -> tuple[str | None, dict]:
    if isinstance(item.get("kind"), str):
        return item["kind"], item.get("inner") or {}
    kind, inner = variant(item.get("inner"))
    return kind, inner if isinstance(inner, (dict, list)) or inner is not None else {}


def path_of(obj) -> dict | None:
    """A `Path` ({path|name, id, args}), given either a Path or a Type wrapping one."""
    if not isinstance(obj, dict):
        return None
    if "id" in obj and ("path" in obj or "name" in obj):
        return obj
    kind, inner = variant(obj)
    if kind == "resolved_path" and isinstance(inner, dict):
        return inner
    return None


def path_text(path: dict) -> str:
    text = path.get("path") if isinstance(path.get("path"), str) else path.get("name")
    return text or ""


def fn_sig(inner: dict) -> dict:
    return inner.get("sig") or inner.get("decl") or {}


def is_derived(item: dict) -> bool:
    return "automatically_derived" in json.dumps(item.get("attrs") or [])


# ---- conversion ---------------------------------------------------------------------------------------------------

class _Ctx:
    __slots__ = ("generics", "self_id", "assoc_prefix", "synthetic", "self_fqp")

    def __init__(self, generics=None, self_id=None, assoc_prefix=None, synthetic=None):
        self.generics: dict[str, str | None] = dict(generics or {})   # name -> G node id (None: no node)
        self.self_id = self_id
        self.assoc_prefix = assoc_prefix                              # `Self::X` names `{assoc_prefix}X`
        self.synthetic: dict[str, list] = dict(synthetic or {})       # `impl Trait` parameters -> their bounds
        self.self_fqp: str | None = None                               # an impl's self type

    def child(self):
        ctx = _Ctx(self.generics, self.self_id, self.assoc_prefix, self.synthetic)
        ctx.self_fqp = self.self_fqp
        return ctx


class Converter:
    def __init__(self, doc: dict, macros: dict[str, list[tuple[int, int]]] | None = None) -> None:
        self.doc = doc
        self.macros = macros or {}
        self.index: dict[str, dict] = {str(k): v for k, v in doc["index"].items()}
        self.paths: dict[str, dict] = {str(k): v for k, v in doc.get("paths", {}).items()}
        self.root = str(doc["root"])
        root_item = self.index[self.root]
        self.crate = root_item.get("name")
        self.truth = Truth(LANG)
        self.fqps: dict[str, str] = {}            # local item id -> FQP
        self.macro_owner = False                  # the item being converted comes from a macro

    # ---- naming ----

    def local(self, item_id: str) -> bool:
        item = self.index.get(item_id)
        if item is not None:
            return item.get("crate_id", 0) == 0
        entry = self.paths.get(item_id)
        return entry is not None and entry.get("crate_id") == 0

    def ref(self, item_id, hint: str = "") -> str | None:
        """The node an item id names (a workspace node, or an external one with its path)."""
        item_id = str(item_id)
        entry = self.paths.get(item_id)
        if item_id in self.fqps:
            fqp = self.fqps[item_id]
            kind = KIND_CODES.get(entry.get("kind")) if entry else None
            if kind is None:
                kind = KIND_CODES.get(item_kind(self.index[item_id])[0]) if item_id in self.index else "S"
            return self.truth.node(kind or "S", fqp)
        if entry is not None:
            kind = KIND_CODES.get(entry.get("kind"))
            if kind is None:
                return None                       # a primitive, a variant, a macro
            fqp = "::".join(entry["path"])
            return self.truth.node(kind, fqp, external=entry.get("crate_id") != 0)
        hint = re.sub(r"<.*", "", hint)
        if not hint:
            return None
        return self.truth.node("S", hint, external=True)

    # ---- walking ----

    def run(self) -> Truth:
        for item_id, entry in self.paths.items():
            if entry.get("crate_id") == 0 and entry.get("path"):
                self.fqps[item_id] = "::".join(entry["path"])
        self.walk_module(self.root, self.crate)
        for item_id, item in self.index.items():
            if item.get("crate_id", 0) != 0:
                continue
            if item_kind(item)[0] == "impl":
                self.impl(item)
        return self.truth

    def walk_module(self, module_id: str, fqp: str) -> None:
        self.fqps.setdefault(module_id, fqp)
        module_node = self.truth.node("M", fqp, name=fqp.rsplit("::", 1)[-1], file=self._file(module_id))
        _, inner = item_kind(self.index[module_id])
        for child in inner.get("items") or []:
            child = str(child)
            item = self.index.get(child)
            if item is None or item.get("crate_id", 0) != 0:
                continue
            kind, child_inner = item_kind(item)
            if kind not in KIND_CODES or not item.get("name"):
                continue
            canonical = self.fqps.get(child)
            own = f"{fqp}::{item['name']}"
            if canonical is not None and canonical != own:
                continue                          # inlined from elsewhere: contained where it is defined
            self.fqps[child] = own
            if kind == "module":
                self.truth.edge(module_node, "CONTAINS", self.truth.node("M", own, file=self._file(child)))
                self.walk_module(child, own)
                continue
            node = self.item(child, item, own, _Ctx())
            if node:
                self.truth.edge(module_node, "CONTAINS", node)

    def from_macro(self, item: dict) -> bool:
        """Whether a macro made the item: it stands in a macro's range, and not at an item written out inside a
        macro call (those ranges are stored negated, see ``macro_ranges``)."""
        span = item.get("span")
        if not isinstance(span, dict):
            return False
        line = (span.get("begin") or [0])[0]
        ranges = self.macros.get(span.get("filename"), ())
        if any(start < 0 and -1 - start == line for start, _ in ranges):
            return False
        return any(0 <= start <= line <= end for start, end in ranges)

    def _file(self, item_id: str) -> str | None:
        span = self.index.get(item_id, {}).get("span")
        return span.get("filename") if isinstance(span, dict) else None

    def item(self, item_id: str, item: dict, fqp: str, ctx: _Ctx) -> str | None:
        kind, inner = item_kind(item)
        code = KIND_CODES.get(kind)
        if code is None:
            return None
        node = self.truth.node(code, fqp, name=item.get("name"), file=self._file(item_id))
        self.macro_owner = self.from_macro(item)
        if self.macro_owner:
            self.truth.nodes[node]["macro"] = True
        inner = inner if isinstance(inner, dict) else {}
        if kind in ("struct", "union", "enum"):
            ctx = self.generics(fqp, inner.get("generics"), ctx)
            for type_ in self.field_types(kind, inner):
                for dst in self.types(type_, ctx):
                    self.truth.edge(node, "USES", dst)
        elif kind in ("function", "method"):
            ctx = self.generics(fqp, inner.get("generics"), ctx, fn_node=node)
            sig = fn_sig(inner)
            for param in sig.get("inputs") or []:
                name, type_ = (param[0], param[1]) if isinstance(param, list) else (None, param)
                if name == "self":
                    continue
                for dst in self.types(type_, ctx):
                    self.truth.edge(node, "ACCEPTS", dst)
            output = sig.get("output")
            if output is not None and output != "default_return":
                if isinstance(output, dict) and set(output) == {"return"}:   # very old shape
                    output = output["return"]
                for dst in self.types(output, ctx):
                    self.truth.edge(node, "RETURNS", dst)
        elif kind in ("type_alias", "typedef"):
            ctx = self.generics(fqp, inner.get("generics"), ctx)
            for dst in self.types(inner.get("type"), ctx):
                self.truth.edge(node, "USES", dst)
        elif kind == "assoc_type":
            for bound in inner.get("bounds") or []:
                self.bound(node, bound)
            value = inner.get("type") if "type" in inner else inner.get("default")
            for dst in self.types(value, ctx):        # `type Target = X;` in an impl, like an alias
                self.truth.edge(node, "USES", dst)
        elif kind == "trait":
            tctx = self.generics(fqp, inner.get("generics"), ctx, skip_self=True)
            tctx.generics["Self"] = node
            tctx.self_id = None                   # a bare `Self` in a trait's own items names no type
            tctx.assoc_prefix = fqp + "::"
            for bound in inner.get("bounds") or []:
                self.bound(node, bound)
            for pred in (inner.get("generics") or {}).get("where_predicates") or []:
                pkind, body = variant(pred)
                if pkind == "bound_predicate" and variant(body.get("type"))[0] == "generic" \
                        and variant(body.get("type"))[1] == "Self":
                    for bound in body.get("bounds") or []:
                        self.bound(node, bound)
            for member in inner.get("items") or []:
                member = str(member)
                child = self.index.get(member)
                if child is None or not child.get("name"):
                    continue
                ckind, _ = item_kind(child)
                if ckind not in ("function", "method", "assoc_type"):
                    continue
                member_fqp = f"{fqp}::{child['name']}"
                self.fqps.setdefault(member, member_fqp)
                member_node = self.item(member, child, member_fqp, tctx)
                if member_node:
                    self.truth.edge(node, "DEFINES", member_node)
        return node

    def field_types(self, kind: str, inner: dict) -> list:
        found = []

        def from_ids(ids):
            for fid in ids or []:
                if fid is None:
                    continue
                if isinstance(fid, dict):                     # very old tuple variants hold types directly
                    found.append(fid)
                    continue
                field_item = self.index.get(str(fid))
                if field_item is None:
                    continue
                fkind, finner = item_kind(field_item)
                if fkind == "struct_field":
                    found.append(finner)
                elif fkind == "variant":
                    variant_fields(finner)

        def variant_fields(vinner):
            if not isinstance(vinner, dict):
                return
            vk = vinner.get("kind")
            if vk is None and "variant_kind" in vinner:      # old shape
                from_ids(vinner.get("variant_inner") if isinstance(vinner.get("variant_inner"), list)
                         else (vinner.get("variant_inner") or {}).get("fields") if isinstance(
                             vinner.get("variant_inner"), dict) else [])
                return
            vname, vpayload = variant(vk)
            if vname == "tuple":
                from_ids(vpayload)
            elif vname == "struct":
                from_ids((vpayload or {}).get("fields"))

        if kind == "enum":
            from_ids(inner.get("variants"))
        elif "fields" in inner:                               # old struct shape
            from_ids(inner.get("fields"))
        else:
            sk, payload = variant(inner.get("kind"))
            if sk == "tuple":
                from_ids(payload)
            elif sk == "plain":
                from_ids((payload or {}).get("fields"))
        return found

    # ---- generics and bounds ----

    def generics(self, owner: str, generics: dict | None, outer: _Ctx, skip_self: bool = False,
                 fn_node: str | None = None) -> _Ctx:
        """G nodes of an item's own type parameters with their bounds. For a function (``fn_node``), where
        clauses on `Self` or on the parameters of its trait or impl are the function's own bounds (ISG-SPEC §1)."""
        ctx = outer.child()
        if not generics:
            return ctx
        for param in generics.get("params") or []:
            pkind, body = variant(param.get("kind"))
            name = param.get("name")
            if pkind != "type" or not name:
                continue
            body = body or {}
            if body.get("is_synthetic") or body.get("synthetic"):
                ctx.synthetic[name] = body.get("bounds") or []
                continue
            g = self.truth.node("G", f"{owner}::<{name}>", name=name)
            if self.macro_owner:
                self.truth.nodes[g]["macro"] = True
            ctx.generics[name] = g
            for bound in body.get("bounds") or []:
                self.bound(g, bound)
        own = {p.get("name") for p in generics.get("params") or []}
        for pred in generics.get("where_predicates") or []:
            pkind, body = variant(pred)
            if pkind != "bound_predicate" or not isinstance(body, dict):
                continue
            tkind, tname = variant(body.get("type"))
            if tkind != "generic" or tname in ctx.synthetic:
                continue
            if tname in own and tname != "Self":
                g = ctx.generics.get(tname)
            elif fn_node is not None and (tname == "Self" or tname in ctx.generics):
                g = fn_node                        # a method's bound on `Self` or on its trait's parameters
            else:
                continue
            if g:
                for bound in body.get("bounds") or []:
                    self.bound(g, bound)
        return ctx

    def bound(self, src: str, bound) -> None:
        bkind, body = variant(bound)
        if bkind != "trait_bound" or not isinstance(body, dict):
            return
        if body.get("modifier") in ("maybe", "maybe_const"):
            return
        path = path_of(body.get("trait"))
        if path is None:
            return
        dst = self.ref(path.get("id"), path_text(path))
        if dst:
            self.truth.edge(src, "BOUND_BY", dst)

    # ---- types ----

    def types(self, type_, ctx: _Ctx) -> list[str]:
        found: list[str] = []
        self._types(type_, ctx, found, 0)
        seen, out = set(), []
        for node in found:
            if node not in seen:
                seen.add(node)
                out.append(node)
        return out

    def _types(self, type_, ctx: _Ctx, found: list, depth: int) -> None:
        if type_ is None or depth > 40:
            return
        kind, inner = variant(type_)
        if kind == "resolved_path":
            path = path_of(type_)
            if path is None:
                return
            node = self.ref(path.get("id"), path_text(path))
            if node:
                found.append(node)
            self._args(path.get("args"), ctx, found, depth)
            for bound in path.get("param_names") or []:        # old formats: `dyn A + B` as A with B here
                self._bound_types(bound, ctx, found, depth)
        elif kind == "generic":
            if inner == "Self":
                if ctx.self_id:
                    found.append(ctx.self_id)
            elif inner in ctx.synthetic:
                for bound in ctx.synthetic[inner]:
                    self._bound_types(bound, ctx, found, depth)
            elif ctx.generics.get(inner):
                found.append(ctx.generics[inner])
        elif kind in ("borrowed_ref", "raw_pointer"):
            self._types(inner.get("type"), ctx, found, depth + 1)
        elif kind in ("slice",):
            self._types(inner, ctx, found, depth + 1)
        elif kind == "array":
            self._types(inner.get("type"), ctx, found, depth + 1)
        elif kind == "tuple":
            for element in inner or []:
                self._types(element, ctx, found, depth + 1)
        elif kind == "dyn_trait":
            for poly in inner.get("traits") or []:
                path = path_of(poly.get("trait")) if isinstance(poly, dict) and "trait" in poly else None
                if path is None and isinstance(poly, dict):
                    self._bound_types(poly, ctx, found, depth)
                    continue
                if path is not None:
                    node = self.ref(path.get("id"), path_text(path))
                    if node:
                        found.append(node)
                    self._args(path.get("args"), ctx, found, depth)
        elif kind == "impl_trait":
            for bound in inner or []:
                self._bound_types(bound, ctx, found, depth)
        elif kind == "function_pointer":
            sig = fn_sig(inner)
            for param in sig.get("inputs") or []:
                self._types(param[1] if isinstance(param, list) else param, ctx, found, depth + 1)
            self._types(sig.get("output"), ctx, found, depth + 1)
        elif kind == "qualified_path":
            # `Self::Item`, `T::Item`, `<X as Tr>::Item`: the associated type `Tr::Item` of the trait rustdoc
            # resolved it to, when that trait is the crate's; nothing otherwise (ISG-SPEC §1)
            name = inner.get("name", "")
            trait = path_of(inner.get("trait")) if inner.get("trait") else None
            if trait is None or not self.local(str(trait.get("id"))):
                return
            owner = self.ref(trait.get("id"), path_text(trait))
            if owner:
                found.append(self.truth.node("A", f"{self.truth.nodes[owner]['fqp']}::{name}"))

    def _bound_types(self, bound, ctx, found, depth) -> None:
        bkind, body = variant(bound)
        if bkind != "trait_bound" or not isinstance(body, dict):
            return
        path = path_of(body.get("trait"))
        if path is not None:
            node = self.ref(path.get("id"), path_text(path))
            if node:
                found.append(node)
            self._args(path.get("args"), ctx, found, depth)

    def _args(self, args, ctx, found, depth) -> None:
        if not args:
            return
        akind, body = variant(args)
        if akind == "angle_bracketed" and isinstance(body, dict):
            for arg in body.get("args") or []:
                gkind, value = variant(arg)
                if gkind == "type":
                    self._types(value, ctx, found, depth + 1)
            for constraint in (body.get("constraints") or body.get("bindings") or []):
                binding = constraint.get("binding") if isinstance(constraint, dict) else None
                bkind, bvalue = variant(binding)
                if bkind == "equality":
                    tkind, tvalue = variant(bvalue)
                    self._types(tvalue if tkind == "type" else bvalue, ctx, found, depth + 1)
                elif bkind == "constraint":
                    for bound in bvalue or []:
                        self._bound_types(bound, ctx, found, depth)
        elif akind == "parenthesized" and isinstance(body, dict):
            for element in body.get("inputs") or []:
                self._types(element, ctx, found, depth + 1)
            self._types(body.get("output"), ctx, found, depth + 1)

    # ---- impls ----

    def impl(self, item: dict) -> None:
        _, inner = item_kind(item)
        if not isinstance(inner, dict):
            return
        if inner.get("is_synthetic") or inner.get("synthetic") or inner.get("blanket_impl") is not None:
            return
        if inner.get("is_negative") or inner.get("negative"):
            return
        for_type = inner.get("for")
        head = self.head(for_type)
        impl_generics = {p.get("name") for p in (inner.get("generics") or {}).get("params") or []}
        self_node = None
        if head is not None:
            head_id, head_text = head
            self_node = self.ref(head_id, head_text)
        if self_node is not None:
            self_fqp = self.truth.nodes[self_node]["fqp"]
        else:
            self_fqp = render(for_type)
        trait_path = path_of(inner.get("trait")) if inner.get("trait") else None
        trait_node = None
        if trait_path is not None:
            trait_node = self.ref(trait_path.get("id"), path_text(trait_path))
            trait_fqp = self.truth.nodes[trait_node]["fqp"] if trait_node else path_text(trait_path)
            prefix = f"<{self_fqp} as {trait_fqp}>::"
            if self_node and trait_node and _last(trait_fqp) not in COMPILER_MARKERS:
                self.truth.edge(self_node, "IMPL", trait_node, derived=is_derived(item))
                if self.from_macro(item):
                    self.truth.edges[(self_node, "IMPL", trait_node)]["macro"] = True
        else:
            prefix = f"{self_fqp}::"
        if is_derived(item):
            return                                # a derive's members are the macro's, not the source's
        ctx = _Ctx({name: None for name in impl_generics}, self_id=self_node,
                   assoc_prefix=prefix if trait_path is not None else None)
        ctx.self_fqp = self_fqp
        for member in inner.get("items") or []:
            member = str(member)
            child = self.index.get(member)
            if child is None or not child.get("name"):
                continue
            ckind, _ = item_kind(child)
            if ckind not in ("function", "method", "assoc_type", "type_alias", "typedef"):
                continue
            member_fqp = prefix + child["name"]
            self.fqps.setdefault(member, member_fqp)
            member_node = self.item(member, child, member_fqp, ctx)
            if member_node and self_node:
                self.truth.edge(self_node, "CONTAINS", member_node)

    def head(self, type_) -> tuple[str, str] | None:
        """The named type at the head of an impl's self type (`&'a Foo<T>` gives Foo), as (id, text); None for
        generics, primitives, tuples, pointers (what names no node)."""
        for _ in range(10):
            kind, inner = variant(type_)
            if kind == "resolved_path":
                path = path_of(type_)
                return (str(path.get("id")), path_text(path)) if path else None
            if kind == "borrowed_ref":
                type_ = inner.get("type")
            elif kind == "slice":
                type_ = inner
            elif kind == "array":
                type_ = inner.get("type")
            elif kind == "dyn_trait":
                traits = inner.get("traits") or []
                if not traits:
                    return None
                path = path_of(traits[0].get("trait")) if isinstance(traits[0], dict) else None
                return (str(path.get("id")), path_text(path)) if path else None
            else:
                return None
        return None


def render(type_) -> str:
    """Rust text for a type (for impls on types that name no node: `<T as Trait>::m`, `<[u8] as Trait>::m`)."""
    kind, inner = variant(type_)
    if kind in ("generic", "primitive"):
        return str(inner)
    if kind == "borrowed_ref":                      # written without references, lifetimes and `mut`
        return render(inner.get("type"))
    if kind == "raw_pointer":
        return ("*mut " if inner.get("is_mutable") or inner.get("mutable") else "*const ") + render(inner.get("type"))
    if kind == "slice":
        return f"[{render(inner)}]"
    if kind == "array":
        return f"[{render(inner.get('type'))}; {inner.get('len')}]"
    if kind == "tuple":
        return "(" + ", ".join(render(t) for t in inner or []) + ")"
    if kind == "resolved_path":
        path = path_of(type_) or {}
        return path_text(path)
    if kind == "function_pointer":
        return "fn(..)"
    if kind == "qualified_path":                    # `A::Item` as written in `[A::Item]`
        return f"{render(inner.get('self_type'))}::{inner.get('name', '')}"
    return "?"


def convert(doc: dict, macros: dict[str, list[tuple[int, int]]] | None = None) -> Truth:
    return Converter(doc, macros).run()
