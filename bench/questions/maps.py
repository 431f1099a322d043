"""Answerability of map texts: does a map state the answer of a question, with the relation that answers it?

A deterministic reading of the map's text (ISG-SPEC §3; `isg_lsp/repomap.py`, and the map before levels,
`export.map_text`): module headings at column 0, items indented below them (kind code, signature, `×N` for
folded overloads, `| impl A; ext B; calls c, m::{d, e}` relations), members indented below their type, families
written once (`visit_{x}(i: &{X}) for X in Abi, Arm`, expanded here). Each item gets the FQP its heading and
owners give it. An answer item counts as stated when:

- implementors of X: the implementor's line names X (last segment) in its `impl`, `derives` or `ext` list, or X's
  line names the implementor in its `by` list;
- callers of Y: the caller's line (or its `impl Trait` line) names Y in its `calls` list (a `~guess` counts: the
  map marks it as one; a count such as `12 in sync` does not name it);
- accepts / returns of Z: Z's line names the type in its parameter list / after it (a type's last segment); when
  Z's type says `overrides Z` instead, the lines of the same-named methods of the supertypes its line names are
  read (as a reader would), and count only if they name the type.

Only what the text says counts: an item folded into a count, an `overrides` list or a left-out line is not stated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bench.accuracy.compare import last_segment

from .generate import Question

MAP_CLASSES = ("implementors", "callers", "accepts", "returns")
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
                    items.append(MapItem(module + sep + name.strip(), name.strip(), "?", ""))
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


def _parse_item(line: str) -> MapItem | None:
    main, _, rels = line.partition(" | ")
    main = re.sub(r" ×\d+$", "", main.strip())
    if main.startswith("impl "):
        item = MapItem("", main[5:].strip(), "impl", "")
    else:
        kind, _, signature = main.partition(" ")
        if kind not in ("T", "S", "E", "F", "A", "M", "G"):
            return None
        item = MapItem("", _name_of(kind, signature), kind, signature)
    for part in rels.split("; ") if rels else ():
        word, _, names = part.partition(" ")
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
    def __init__(self, text: str) -> None:
        self.items: dict[str, list[MapItem]] = {}
        self.members: dict[tuple[str, str], list[MapItem]] = {}      # (owner's last segment, name) -> items
        self.types: dict[str, list[MapItem]] = {}                    # a type's name -> its lines
        for item in parse_map(text):
            self.items.setdefault(item.fqp, []).append(item)
            if item.kind in ("S", "T", "E"):
                self.types.setdefault(item.name, []).append(item)
            owner = _owner(item.fqp)
            if owner:
                self.members.setdefault((_last(owner), item.name), []).append(item)

    def lines_of(self, fqp: str) -> list[MapItem]:
        return self.items.get(fqp, [])

    def signatures_of(self, fqp: str) -> list[MapItem]:
        """The lines stating a function's signature: its own, or, when its type's line says it `overrides` it,
        the lines of the same-named methods of the supertypes that line names (what a reader would look up)."""
        own = self.lines_of(fqp)
        if own:
            return own
        owner, name = _owner(fqp), _last(fqp)
        found: list[MapItem] = []
        for item in self.lines_of(owner) if owner else ():
            if name not in item.relations.get("overrides", ()):
                continue
            seen: set[str] = set()
            stack = [item]
            while stack and not found:                     # the nearest supertypes declaring it, transitively
                current = stack.pop(0)
                for word in ("ext", "impl"):
                    for supertype in current.relations.get(word, ()):
                        last = _last(supertype)
                        if last in seen:
                            continue
                        seen.add(last)
                        found.extend(self.members.get((last, name), ()))
                        stack.extend(self.types.get(last, ()))
        return found


def _owner(fqp: str) -> str:
    cut = max(fqp.rfind("::"), fqp.rfind("."))
    return fqp[:cut] if cut > 0 else ""


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


def _names_in(text: str) -> set[str]:
    return set(_WORD.findall(text))


def stated(index: MapIndex, question: Question, truth) -> tuple[int, int]:
    """(answer items the map states, answer items) for one question."""
    target_name = _last(truth.nodes[question.target]["fqp"]) if question.target in truth.nodes else ""
    answer = sorted(question.answer)
    hits = 0
    for key in answer:
        node = truth.nodes.get(key)
        fqp = node["fqp"] if node is not None else key.lstrip("~")
        if question.cls == "implementors":
            name = _last(fqp)
            if any(target_name in {_last(n) for w in ("impl", "derives", "ext") for n in item.relations.get(w, ())}
                   for item in index.lines_of(fqp)) or any(
                    name in {_last(n) for n in item.relations.get("by", ())}
                    for item in index.lines_of(truth.nodes[question.target]["fqp"])):
                hits += 1
        elif question.cls == "callers":
            if any(target_name in {_last(n) for n in item.relations.get("calls", ())}
                   for item in index.lines_of(fqp)):
                hits += 1
        elif question.cls in ("accepts", "returns"):
            subject = truth.nodes[question.target]["fqp"]
            wanted = _last(fqp)
            for item in index.signatures_of(subject):
                params, result = _params_and_result(item.signature, item.name)
                if wanted in _names_in(params if question.cls == "accepts" else result):
                    hits += 1
                    break
    return hits, len(answer)
