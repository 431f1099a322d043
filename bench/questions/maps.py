"""Answerability of map texts: does a map state the answer of a question, with the relation that answers it?

A deterministic reading of the map's text (ISG-SPEC §3; `isg_lsp/repomap.py`, and the map before levels,
`export.map_text`): module headings at column 0, items indented below them (kind code, signature, `×N` for
folded overloads, `| impl A; ext B; calls c, m::{d, e}` relations), members indented below their type, families
written once (`visit_{x}(i: &{X}) for X in Abi, Arm`, expanded here). Each item gets the FQP its heading and
owners give it. The reader turns the text into the edges it states, and a question's answer item counts only when
one of those edges is the truth's edge that answers it (naming both ends somewhere is not enough):

- a **relation list** (`impl`, `derives`, `ext`, `bound`, `by`, `calls`) states an edge from the line's item to each
  name, or (`by`) from each name to the line's item. A name is read as the map writes it: relative to the line's own
  item, its owner, its module heading, the heading's root (or, for modules named by paths, its folders), or whole;
  the first reading the map declares wins, else every such reading stands (an external by its last segment).
  Counts (`12 in sync`, `+6`) name nothing; guesses (`~name`) are marked as unresolved and state nothing;
- a **signature** (functions) states ACCEPTS for each type named in its parameters' types (not their names) and
  RETURNS for each type named in its result: a type name is read in the map's scope (the item's own type or module
  first, then the one type of that name the map declares); a name the map declares twice or more elsewhere is
  ambiguous and states nothing; a name the map does not declare at all states the type by its name; `Self` is the
  owner. When a method is folded into its type's `overrides` list, the signature of the same-named method of the
  nearest supertype its line names (`ext`/`impl`, declared in the map) is read, as a reader would, and in a Java
  map with no such supertype, `java.lang.Object`'s (the map folds those only when they keep its result type);
- the **layout** states CONTAINS (a module heading and its items) and CONTAINS/DEFINES (a type and its members).

Classes: implementors of X (an IMPL/EXTENDS edge to X), callers of Y (a CALLS edge to Y), what Z accepts / returns
(ACCEPTS / RETURNS edges from Z), a path A → B (a chain of stated edges of the question's kinds, each a truth edge,
as short as the truth's shortest; one item), what breaks if W changes (each answer item with a chain of at most two
stated edges of the question's kinds to W, each a truth edge). Only what the text says counts: an item folded into a
count, a left-out line or an `overrides` list with no declared supertype is not stated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bench.accuracy.compare import last_segment

from .generate import Question

MAP_CLASSES = ("implementors", "callers", "accepts", "returns", "path", "impact")
_WORD = re.compile(r"[A-Za-z_$][\w$]*")
_MODIFIERS = frozenset({"pub", "pub(crate)", "pub(super)", "public", "protected", "private", "static", "final",
                        "abstract", "export", "default", "declare", "async", "const", "unsafe", "extern", "sealed",
                        "non-sealed", "synchronized", "native", "strictfp", "readonly", "override", "get", "set",
                        "transient", "volatile", "fn", "class", "interface", "enum", "struct", "trait", "type",
                        "def", "function", "record"})


@dataclass
class MapItem:
    fqp: str
    name: str
    kind: str
    signature: str
    relations: dict[str, list[str]] = field(default_factory=dict)
    heading: str = ""             # the module heading above it
    owner: str = ""               # the FQP of the item it is indented under ("" at the top of a module)


def _split_depth0(text: str, sep: str = ",") -> list[str]:
    parts, depth, current = [], 0, []
    for i, ch in enumerate(text):
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>" and not (ch == ">" and text[i - 1:i] in ("=", "-")):
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def _name_of(kind: str, signature: str) -> str:
    """The declared name in a map signature (after modifiers and decorators)."""
    text = re.sub(r"@[\w.]+(\([^)]*\))?\s*", "", signature).strip()
    if kind == "F":
        depth = 0
        for i, ch in enumerate(text):
            if ch == "(" and depth == 0:
                head = text[:i].rstrip()
                head = _strip_trailing_generics(head)
                words = _WORD.findall(head)
                return words[-1] if words else ""
            if ch == "<":
                depth += 1
            elif ch == ">":
                depth = max(0, depth - 1)
            elif ch == ":" and depth == 0 and not text.startswith("::", i):
                words = _WORD.findall(text[:i])
                return words[-1] if words else ""
    for word in text.replace("(", " ").replace("<", " ").replace(":", " ").replace("=", " ").split():
        if word not in _MODIFIERS and _WORD.fullmatch(word):
            return word
    return ""


def _strip_trailing_generics(head: str) -> str:
    if not head.endswith(">"):
        return head
    depth = 0
    for i in range(len(head) - 1, -1, -1):
        if head[i] == ">":
            depth += 1
        elif head[i] == "<":
            depth -= 1
            if depth == 0:
                return head[:i]
    return head


def _expand_family(line: str) -> list[str]:
    """`F visit_{x}(i: &{X}) for X in Abi, BinOp` → the lines it stands for."""
    template, _, names = line.rpartition(" for X in ")
    out = []
    for name in (n.strip() for n in names.split(",")):
        if not name:
            continue
        words = re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", name)
        snake = "_".join(w.lower() for w in words)
        lower = name[:1].lower() + name[1:]
        head = template.split("(", 1)[0]
        small = snake if "_" in head or head.replace("{x}", "").islower() else lower
        out.append(template.replace("{X}", name).replace("{x}", small))
    return out


def parse_map(text: str) -> list[MapItem]:
    items: list[MapItem] = []
    heading = ""
    stack: list[tuple[int, str]] = []          # (depth, fqp) of the items above
    for raw in text.splitlines():
        if not raw.strip() or raw.startswith("#"):
            continue
        if not raw.startswith(" "):
            if ": " in raw and not raw.startswith("<"):       # the `modules` level: `module: A, B`
                module, _, names = raw.partition(": ")
                sep = _sep(module)
                for name in names.split(", "):
                    items.append(MapItem(module + sep + name.strip(), name.strip(), "?", "", heading=module))
                continue
            heading = raw.strip()
            stack = []
            continue
        depth = (len(raw) - len(raw.lstrip(" "))) // 2
        body = raw.strip()
        lines = _expand_family(body) if " for X in " in body else [body]
        for line in lines:
            item = _parse_item(line)
            if item is None:
                continue
            while stack and stack[-1][0] >= depth:
                stack.pop()
            parent = stack[-1][1] if stack else heading
            sep = _sep(heading)
            item.heading = heading
            item.owner = stack[-1][1] if stack else ""
            if item.kind == "impl":            # `impl Trait | calls ...`: members of a trait implementation
                item.fqp = parent
                items.append(item)
                continue
            item.fqp = f"{parent}{sep}{item.name}" if parent else item.name
            items.append(item)
            if len(lines) == 1:
                stack.append((depth, item.fqp))
    return items


def _sep(module: str) -> str:
    return "." if "." in module and "::" not in module and "/" not in module else "::"


RELATION_WORDS = ("or", "impl", "derives", "ext", "bound", "by", "calls", "special", "overrides")


def _split_relations(line: str) -> tuple[str, str]:
    """(the item, its relations): split at the first ` | ` that a relation word follows (a TypeScript union type
    in a signature has ` | ` too)."""
    at = line.find(" | ")
    while at != -1:
        if line[at + 3:].split(" ", 1)[0] in RELATION_WORDS:
            return line[:at], line[at + 3:]
        at = line.find(" | ", at + 3)
    return line, ""


def _parse_item(line: str) -> MapItem | None:
    main, rels = _split_relations(line)
    main = re.sub(r" ×\d+$", "", main.strip())
    if main.startswith("impl "):
        item = MapItem("", main[5:].strip(), "impl", "")
    else:
        kind, _, signature = main.partition(" ")
        if kind not in ("T", "S", "E", "F", "A", "M", "G"):
            return None
        item = MapItem("", _name_of(kind, signature), kind, signature)
    for part in _split_depth0(rels, ";") if rels else ():
        word, _, names = part.partition(" ")
        if word == "or":                       # other overloads' signatures
            item.relations.setdefault(word, []).extend(_split_depth0(names))
            continue
        item.relations.setdefault(word, []).extend(_relation_names(names))
    return item


def _relation_names(text: str) -> list[str]:
    """`a, m::{b, c}, ~d, 12 in m, +3` → a, m::b, m::c, ~d (counts say no name)."""
    out = []
    for part in _split_depth0(text.replace("{", "(").replace("}", ")")):
        if re.fullmatch(r"~?\+\d+|\d+ in .*", part):
            continue
        if part.endswith(")") and "(" in part:
            prefix, _, inner = part[:-1].partition("(")
            out.extend(prefix + n.strip() for n in inner.split(","))
        else:
            out.append(part)
    return out


def _last(name: str) -> str:
    """A name's last segment (`a::B<T>` → `B`; a generic parameter `a::f::<T>` or `a.F.<T>` → `T`)."""
    name = name.lstrip("~")
    generic = re.search(r"(?:::|\.)<(\w+)>$", name)
    if generic:
        return generic.group(1)
    name = re.sub(r"<.*", "", name)
    return last_segment(name) if name else name


class MapIndex:
    """A map's items by FQP, and (given a truth, `edges`) the edges its text states, as truth keys."""

    def __init__(self, text: str, lang: str = "") -> None:
        self.lang = lang
        self.items: dict[str, list[MapItem]] = {}
        self.all: list[MapItem] = []
        self.types_by_name: dict[str, set[str]] = {}                 # a type's last segment -> the FQPs declared
        self.headings: set[str] = set()
        for item in parse_map(text):
            self.all.append(item)
            self.items.setdefault(item.fqp, []).append(item)
            self.headings.add(item.heading)
            if item.kind in _TYPE_CODES:
                self.types_by_name.setdefault(item.name, set()).add(item.fqp)
        self.declared = set(self.items) | self.headings
        self.owner_of = {item.fqp: item.owner for item in self.all if item.owner and item.owner != item.fqp}
        self._edges: dict[int, set[tuple[str, str, str]]] = {}
        self._adjacency: dict[tuple, dict[str, list[str]]] = {}

    def lines_of(self, fqp: str) -> list[MapItem]:
        return self.items.get(fqp, [])

    # ---- reading names as the map writes them ----------------------------------------------------------------

    def _scopes(self, item: MapItem) -> list[tuple[str, str]]:
        """(base, separator) where a name written on ``item``'s line is looked up, nearest first: the item itself
        (a type: its members), its owners, its module heading, the heading's enclosing modules (for modules named
        by paths, their folders)."""
        sep = _sep(item.heading)
        out = [(item.fqp, sep)] if item.kind in _TYPE_CODES else []
        owner, seen = item.owner, set()
        while owner and owner not in seen:
            seen.add(owner)
            out.append((owner, sep))
            owner = self.owner_of.get(owner, "")
        heading = item.heading
        if heading:
            out.append((heading, sep))
        if "/" in heading and "::" not in heading:
            while "/" in heading:
                heading = heading[:heading.rfind("/")]
                out.append((heading, "/"))
        else:
            while sep in heading:
                heading = heading[:heading.rfind(sep)]
                out.append((heading, sep))
        return out

    def readings(self, name: str, item: MapItem, kinds: str = "") -> list[str]:
        """The FQPs a relation name on ``item``'s line can stand for: relative to each of its scopes, or whole. The
        first one the map declares (as an item of ``kinds``, when given) is the reading; else all of them."""
        out = list(dict.fromkeys([base + sep + name for base, sep in self._scopes(item)] + [name]))
        declared = [c for c in out if self._declared(c, kinds)]
        return declared[:1] or out

    def _declared(self, fqp: str, kinds: str) -> bool:
        if not kinds:
            return fqp in self.declared
        return any(i.kind in kinds for i in self.items.get(fqp, ()))

    def type_reading(self, path: str, item: MapItem) -> tuple[list[str], str]:
        """(the FQPs a type named in ``item``'s signature stands for, the name it states when the map declares no
        type of that name): a type of its scopes first, nearest first, then the one type of that name the map
        declares anywhere."""
        if path == "Self":
            owner = item.owner or item.fqp
            return ([owner] if owner else []), ""
        scoped = [c for c in self.readings(path, item, _TYPE_CODES) if self._declared(c, _TYPE_CODES)]
        if scoped:
            return scoped, ""
        same = self.types_by_name.get(_last(path), set())
        if len(same) == 1:
            return sorted(same), ""
        if same:
            return [], ""                     # ambiguous: declared more than once, in other scopes
        return [], _last(path)

    # ---- the edges the text states ------------------------------------------------------------------------

    def edges(self, truth) -> set[tuple[str, str, str]]:
        """(src, kind, dst) truth keys of the edges the map states that are edges of the truth."""
        cached = self._edges.get(id(truth))
        if cached is not None:
            return cached
        key = _keyer(truth)
        by_last = _truth_by_last(truth)
        found: set[tuple[str, str, str]] = set()

        def add(src: str, kinds: tuple[str, ...], dsts, reverse: bool = False) -> None:
            for dst in dsts:
                a, b = (dst, src) if reverse else (src, dst)
                for kind in kinds:
                    if truth.has_edge(a, kind, b):
                        found.add((a, kind, b))

        def named(fqps: list[str], name: str) -> set[str]:
            out = {key(f) for f in fqps}
            if name:
                out |= by_last.get(name, set()) | {"~" + name}
            return out

        for item in self.all:
            src = key(item.fqp)
            if item.kind != "impl":
                if item.owner:
                    add(key(item.owner), ("CONTAINS", "DEFINES"), [src])
                elif item.heading:
                    add(key(item.heading), ("CONTAINS",), [src])
            for word, kinds, reverse in _RELATION_WORDS:
                for name in item.relations.get(word, ()):
                    if name.startswith("~"):
                        continue                              # a guess: marked as unresolved, states nothing
                    codes = "F" + _TYPE_CODES if word == "calls" else _TYPE_CODES
                    readings = self.readings(name, item, codes)
                    externals = set() if self._declared(readings[0], codes) else {"~" + _last(name)}
                    add(src, kinds, {key(r) for r in readings} | externals, reverse)
            if item.kind == "F":
                self._signature_edges(item, item, src, add, named)
                for other in item.relations.get("or", ()):
                    overload = MapItem(item.fqp, item.name, "F", _overload_signature(item.signature, other,
                                                                                      item.name),
                                       heading=item.heading, owner=item.owner)
                    self._signature_edges(overload, item, src, add, named)
            overrides = item.relations.get("overrides", ())
            if overrides and item.kind in ("S", "T", "E"):
                sep = _sep(item.heading)
                for name in overrides:
                    for method in self._inherited(item, name) or self._java_object_method(name):
                        member = key(item.fqp + sep + name)
                        add(src, ("CONTAINS", "DEFINES"), [member])
                        self._signature_edges(method, item, member, add, named, inherited=True)
        self._edges[id(truth)] = found
        return found

    def adjacency(self, truth, kinds: tuple[str, ...], reverse: bool) -> dict[str, list[str]]:
        """The stated edges of ``kinds`` as adjacency lists (``reverse``: dst -> srcs); forwards, a module's
        CONTAINS edges are not followed (as the truth's own walk does)."""
        cache_key = (id(truth), kinds, reverse)
        cached = self._adjacency.get(cache_key)
        if cached is not None:
            return cached
        out: dict[str, list[str]] = {}
        for src, kind, dst in sorted(self.edges(truth)):
            if kind not in kinds:
                continue
            if reverse:
                out.setdefault(dst, []).append(src)
            elif not (kind == "CONTAINS" and truth.is_module(src)):
                out.setdefault(src, []).append(dst)
        self._adjacency[cache_key] = out
        return out

    def _signature_edges(self, item: MapItem, owner_item: MapItem, src: str, add, named, inherited=False) -> None:
        params, result = _params_and_result(item.signature, item.name)
        for text, kind in ((_param_types(params), "ACCEPTS"), (result, "RETURNS")):
            for path in _TYPE_PATH.findall(text):
                if path in _NOT_TYPES:
                    continue
                if inherited and path == "Self":
                    fqps, name = [owner_item.fqp], ""
                else:
                    fqps, name = self.type_reading(path, item)
                add(src, (kind,), named(fqps, name))

    def _java_object_method(self, name: str) -> list[MapItem]:
        """In a Java map, `overrides toString` with no supertype of the map declaring it restates `Object`'s own
        method (the map folds those only when they keep `Object`'s result type), which the reader knows."""
        signature = _JAVA_OBJECT_METHODS.get(name) if self.lang == "java" else None
        if signature is None:
            return []
        return [MapItem(f"java.lang.Object.{name}", name, "F", signature, heading="java.lang", owner="java.lang.Object")]

    def _inherited(self, item: MapItem, name: str) -> list[MapItem]:
        """The same-named methods of the nearest supertypes ``item``'s line names (`ext`, `impl`, transitively),
        as declared in the map."""
        found: list[MapItem] = []
        seen: set[str] = set()
        queue = [item]
        while queue and not found:
            current = queue.pop(0)
            for word in ("ext", "impl"):
                for ref in current.relations.get(word, ()):
                    if ref.startswith("~"):
                        continue
                    readings = [r for r in self.readings(ref, current, _TYPE_CODES) if self._declared(r, _TYPE_CODES)]
                    for fqp in readings:
                        if fqp in seen:
                            continue
                        seen.add(fqp)
                        sep = _sep(current.heading)
                        found.extend(self.lines_of(fqp + sep + name))
                        queue.extend(self.lines_of(fqp))
        return found


_JAVA_OBJECT_METHODS = {"equals": "boolean equals(Object obj)", "hashCode": "int hashCode()",
                        "toString": "String toString()", "clone": "Object clone()", "finalize": "void finalize()"}


def _overload_signature(first: str, other: str, name: str) -> str:
    """An overload written after `or` as a whole signature: as is when it names the function; else its parameter
    list, with what precedes the name and what follows the list taken from the first signature where it writes
    none."""
    if re.search(rf"(?<![\w$]){re.escape(name)}\s*[(<]", other):
        return other
    mine = _parts(other, 0)
    at = first.find(name)
    theirs = _parts(first, at + len(name)) if at != -1 else None
    if mine is None or theirs is None:
        return other
    before = mine[0] if mine[0].strip() else first[:at]
    after = mine[2] if mine[2].strip() else theirs[2]
    return f"{before}{name}{mine[1]}{after}"


def _parts(text: str, start: int) -> tuple[str, str, str] | None:
    """(before the parameter list that starts at or after ``start``, the list with its parentheses, after it)."""
    open_at = text.find("(", start)
    if open_at == -1:
        return None
    depth = 0
    for i in range(open_at, len(text)):
        if text[i] in "([{":
            depth += 1
        elif text[i] in ")]}":
            depth -= 1
            if depth == 0:
                return text[:open_at], text[open_at:i + 1], text[i + 1:]
    return None


_TYPE_CODES = "STEA?"
_RELATION_WORDS = (("impl", ("IMPL",), False), ("derives", ("IMPL",), False), ("ext", ("EXTENDS",), False),
                   ("bound", ("BOUND_BY",), False), ("calls", ("CALLS",), False),
                   ("by", ("IMPL", "EXTENDS"), True))
_TYPE_PATH = re.compile(r"[A-Za-z_$][\w$]*(?:(?:::|\.)[A-Za-z_$][\w$]*)*")
_NOT_TYPES = frozenset({"self", "mut", "dyn", "impl", "const", "extends", "keyof", "typeof", "infer", "is", "in",
                        "readonly", "unique", "asserts", "super", "as", "where", "for", "fn", "unsafe", "extern",
                        "new", "final", "void", "null", "undefined", "None"})


def _keyer(truth):
    norm = getattr(truth, "norm", None)
    if norm is None:
        return lambda fqp: fqp
    return lambda fqp: truth.key(fqp, False)


_BY_LAST: dict[int, tuple[object, dict[str, set[str]]]] = {}


def _truth_by_last(truth) -> dict[str, set[str]]:
    """The truth's keys by their last segment (a type the map names without declaring it)."""
    cached = _BY_LAST.get(id(truth))
    if cached is not None and cached[0] is truth:
        return cached[1]
    out: dict[str, set[str]] = {}
    for key, node in truth.nodes.items():
        out.setdefault(_last(node.get("fqp", key)), set()).add(key)
    _BY_LAST[id(truth)] = (truth, out)
    return out


def _param_types(params: str) -> str:
    """The types of a parameter list, without the parameters' names (`a: A, b: B` → `A B`, Java's `A a, B b` →
    `A B`, `&self`/`self` dropped)."""
    out = []
    for param in _split_depth0(params):
        param = re.sub(r"@[\w.]+(\([^)]*\))?\s*", "", param).strip()
        colon = _depth0_colon(param)
        if colon != -1:
            out.append(param[colon + 1:])
        elif " " in param.strip() and not param.startswith("&"):
            out.append(param.rsplit(" ", 1)[0])                # Java/C-like: `Type name`
        elif param.lstrip("&*").split(" ")[-1] not in ("self", "this", "cls"):
            out.append("" if re.fullmatch(r"\*{0,2}[A-Za-z_$][\w$]*", param) and param[:1].islower() else param)
    return " ".join(out)


def _depth0_colon(text: str) -> int:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth = max(0, depth - 1)
        elif ch == ":" and depth == 0 and not text.startswith("::", i) and text[i - 1:i] != ":":
            return i
    return -1


def _params_and_result(signature: str, name: str) -> tuple[str, str]:
    """(the parameter list, the rest: what follows it and, for Java's `int size()`, what precedes the name)."""
    signature = re.sub(r"@[\w.]+(\([^)]*\))?\s*", "", signature)
    at = signature.find(name + "(") if name else -1
    if at == -1:
        at = signature.find(name) if name else -1
    start = signature.find("(", max(at, 0))
    if start == -1:
        return "", signature
    before = signature[:at] if at > 0 else ""
    depth = 0
    for i in range(start, len(signature)):
        if signature[i] in "([{":
            depth += 1
        elif signature[i] in ")]}":
            depth -= 1
            if depth == 0:
                return signature[start + 1:i], before + " " + signature[i + 1:]
    return signature[start + 1:], before


def stated(index: MapIndex, question: Question, truth) -> tuple[int, int]:
    """(answer items the map states, answer items) for one question (a path: one item)."""
    edges = index.edges(truth)
    target = question.target
    cls = question.cls
    if cls == "path":
        out = index.adjacency(truth, tuple(question.kinds), reverse=False)
        return int(_distance(out, target, question.dest) == question.distance), 1
    answer = sorted(question.answer)
    if cls == "impact":
        reached = _reverse_reach(index.adjacency(truth, tuple(question.kinds), reverse=True), target, 2)
        return sum(1 for key in answer if key in reached), len(answer)
    hits = 0
    for key in answer:
        if cls == "implementors":
            ok = (key, "IMPL", target) in edges or (key, "EXTENDS", target) in edges
        elif cls == "callers":
            ok = (key, "CALLS", target) in edges
        elif cls in ("accepts", "returns"):
            ok = (target, cls.upper(), key) in edges
        else:
            ok = False
        hits += ok
    return hits, len(answer)


def _distance(out: dict[str, list[str]], start: str, dest: str | None) -> int | None:
    """The shortest chain of stated edges from start to dest."""
    if dest is None:
        return None
    seen = {start: 0}
    frontier = [start]
    while frontier:
        following = []
        for key in frontier:
            for other in out.get(key, ()):
                if other not in seen:
                    seen[other] = seen[key] + 1
                    if other == dest:
                        return seen[other]
                    following.append(other)
        frontier = following
    return None


def _reverse_reach(into: dict[str, list[str]], target: str, depth: int) -> set[str]:
    seen = {target}
    frontier = [target]
    for _ in range(depth):
        following = []
        for key in frontier:
            for other in into.get(key, ()):
                if other not in seen:
                    seen.add(other)
                    following.append(other)
        frontier = following
    seen.discard(target)
    return seen


BOUND_CLASSES = ("implementors", "callers", "accepts", "returns")


def answer_bounds(truth, public: set[str] | frozenset[str] = frozenset()) -> dict[str, dict[str, int]]:
    """A floor under any map that lists every answer of a class: the questions' subjects
    (``generate.candidates``) with their answers, as the shorter of two name lists, `, `-separated, nothing else: each
    subject's name followed by its answers' names, or each answer's name followed by the subjects it answers; names
    are last segments. In tokens (characters / 4), over all subjects and over public ones."""
    from .generate import candidates

    out: dict[str, dict[str, int]] = {}
    for cls in BOUND_CLASSES:
        floors = {}
        for section in ("all", "api"):
            by_subject = 0
            by_answer: dict[str, int] = {}
            for key, data in candidates(truth, cls):
                if section == "api" and key not in public:
                    continue
                answer = data.get("answer", ())
                subject = len(_last(truth.nodes[key]["fqp"])) + 2
                by_subject += subject
                for a in answer:
                    name = len(_last(truth.nodes.get(a, {}).get("fqp", a))) + 2
                    by_subject += name
                    by_answer[a] = by_answer.get(a, name) + subject
            floors[section] = (min(by_subject, sum(by_answer.values())) + 3) // 4
        out[cls] = floors
    return out
