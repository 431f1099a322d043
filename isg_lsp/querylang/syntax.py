"""The query language's tokens, syntax tree and parser (grammar: docs/query-language.md).

Parsing depends on the text only, never on the graph, so parsed queries are cached by text. Every error carries the
0-based position of the offending token and, where one exists, a hint ("did you mean ...?").
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from typing import Any

from ..model import EdgeKind, NodeKind

MAX_QUERY_LENGTH = 4000
MAX_DEPTH = 10
MAX_LIMIT = 10_000
MAX_TOKENS_BUDGET = 100_000
MIN_TOKENS_BUDGET = 50
MAX_TERMS = 64  # predicates in one where clause
MAX_NESTING = 16  # parentheses and `not`s


class QueryLanguageError(ValueError):
    """A query that cannot be run; carries the position (0-based character offset) and a hint."""

    def __init__(self, message: str, position: int = 0, hint: str | None = None, code: str = "error") -> None:
        self.message = message
        self.position = position
        self.hint = hint
        self.code = code
        text = f"at column {position + 1}: {message}"
        if hint:
            text += f" ({hint})"
        super().__init__(text)

    def to_json(self) -> dict:
        return {"message": self.message, "position": self.position, "hint": self.hint, "code": self.code}


# ---- tokens -------------------------------------------------------------------------------------------------

WORD, STRING, NUMBER, OP, LPAREN, RPAREN, COMMA, EOF = "word", "string", "number", "op", "(", ")", ",", "end"
_STOP = set(" \t\r\n(),\"'=!#")


@dataclass(frozen=True, slots=True)
class Token:
    type: str
    value: str
    pos: int

    @property
    def lower(self) -> str:
        return self.value.lower()

    def describe(self) -> str:
        if self.type == EOF:
            return "the end of the query"
        if self.type == STRING:
            return f"the string {self.value!r}"
        return repr(self.value)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c in " \t\r\n":
            i += 1
        elif c == "#":  # a comment, to the end of the line
            while i < n and text[i] != "\n":
                i += 1
        elif c in "(),":
            tokens.append(Token({"(": LPAREN, ")": RPAREN, ",": COMMA}[c], c, i))
            i += 1
        elif c == "=":
            j = i + 2 if text.startswith("==", i) else i + 1
            tokens.append(Token(OP, "=", i))
            i = j
        elif c == "!":
            if not text.startswith("!=", i):
                raise QueryLanguageError("unexpected character '!'", i, "use != or not", "syntax")
            tokens.append(Token(OP, "!=", i))
            i += 2
        elif c in "\"'":
            start, quote, i = i, c, i + 1
            chars = []
            while True:
                if i >= n:
                    raise QueryLanguageError("unterminated string", start, f"close it with {quote}", "syntax")
                ch = text[i]
                if ch == "\\" and i + 1 < n and text[i + 1] in (quote, "\\"):
                    chars.append(text[i + 1])
                    i += 2
                    continue
                if ch == quote:
                    i += 1
                    break
                chars.append(ch)
                i += 1
            tokens.append(Token(STRING, "".join(chars), start))
        else:
            start = i
            while i < n and text[i] not in _STOP:
                i += 1
            word = text[start:i]
            tokens.append(Token(NUMBER if word.isdigit() else WORD, word, start))
    tokens.append(Token(EOF, "", n))
    return tokens


# ---- syntax tree --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetRef:
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class FieldTest:
    field: str  # name, fqp, kind, file, lang, visibility, signature
    op: str  # =, !=, contains, glob, regex, starts-with, ends-with
    value: str
    pos: int


@dataclass(frozen=True, slots=True)
class Relation:
    rel: str  # implements, implemented-by, extends, accepts, returns, bound-by, calls, called-by, uses, in
    target: TargetRef
    pos: int


@dataclass(frozen=True, slots=True)
class IsExternal:
    pos: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: object
    pos: int


@dataclass(frozen=True, slots=True)
class And:
    items: tuple


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple


@dataclass(frozen=True, slots=True)
class Find:
    kinds: frozenset | None  # NodeKind values, None: every kind
    where: object | None
    pos: int
    mentions_external: bool = False


@dataclass(frozen=True, slots=True)
class WhoImplements:
    target: TargetRef


@dataclass(frozen=True, slots=True)
class CallsQuery:
    direction: str  # "callers" or "callees"
    target: TargetRef
    depth: int = 1


@dataclass(frozen=True, slots=True)
class BlastQuery:
    target: TargetRef
    depth: int = 3
    via: tuple | None = None  # EdgeKind values
    direction: str = "up"
    through_hubs: bool = False  # walk through external nodes and workspace hubs too
    budget: int = 2000  # tokens of rows shown (the summary is always whole)
    within: TargetRef | None = None  # rows of one module (and its submodules) only


@dataclass(frozen=True, slots=True)
class PathQuery:
    source: TargetRef
    dest: TargetRef
    via: tuple | None = None


@dataclass(frozen=True, slots=True)
class CyclesQuery:
    level: str = "module"
    within: TargetRef | None = None


@dataclass(frozen=True, slots=True)
class ContextQuery:
    subject: object  # TargetRef, a tuple of TargetRefs (several targets), or Find
    budget: int = 2000
    subject_text: str = ""
    include_tests: bool = False  # `with tests`: tests, examples and boilerplate ranked like the rest


@dataclass(frozen=True, slots=True)
class Query:
    command: object
    text: str
    limit: int | None = None
    order: tuple = ()  # (key, descending, pos)
    format: str = "json"
    exclude_heuristic: bool = False


# ---- vocabulary ---------------------------------------------------------------------------------------------

COMMANDS = ("who-implements", "find", "callers", "callees", "blast-radius", "path", "cycles", "context")
COMMAND_ALIASES = {
    "implementors": "who-implements",
    "implementations": "who-implements",
    "impact": "blast-radius",
    "blast": "blast-radius",
    "search": "find",
}

KIND_WORDS: dict[str, str] = {}
for _kind in NodeKind:
    for _word in (_kind.long_name, _kind.long_name + "s", _kind.value.lower()):
        KIND_WORDS[_word] = _kind.value
KIND_WORDS.update(
    {
        "fn": "F",
        "fns": "F",
        "method": "F",
        "methods": "F",
        "class": "S",
        "classes": "S",
        "interface": "T",
        "interfaces": "T",
        "mod": "M",
        "package": "M",
        "packages": "M",
        "type_alias": "A",
        "alias": "A",
        "assoc": "A",
        "enums": "E",
    }
)
ALL_KINDS_WORDS = {"*", "any", "all", "nodes", "node", "items"}
KIND_SUGGESTIONS = sorted({k.long_name for k in NodeKind})

FIELDS = {
    "name": "name",
    "fqp": "fqp",
    "path": "fqp",
    "kind": "kind",
    "file": "file",
    "lang": "lang",
    "language": "lang",
    "visibility": "visibility",
    "signature": "signature",
    "sig": "signature",
}
OPERATORS = {
    "=": "=",
    "!=": "!=",
    "contains": "contains",
    "glob": "glob",
    "like": "glob",
    "regex": "regex",
    "matches": "regex",
    "starts-with": "starts-with",
    "ends-with": "ends-with",
}
RELATIONS = {
    "implements": "implements",
    "implemented-by": "implemented-by",
    "extends": "extends",
    "accepts": "accepts",
    "returns": "returns",
    "bound-by": "bound-by",
    "calls": "calls",
    "called-by": "called-by",
    "uses": "uses",
    "used-by": "used-by",
    "in": "in",
}

EDGE_WORDS: dict[str, str] = {k.value.lower(): k.value for k in EdgeKind}
EDGE_WORDS.update(
    {
        "implements": "IMPL",
        "impls": "IMPL",
        "bound-by": "BOUND_BY",
        "bounds": "BOUND_BY",
        "bound_by": "BOUND_BY",
        "call": "CALLS",
        "uses": "USES",
        "use": "USES",
        "accept": "ACCEPTS",
        "return": "RETURNS",
        "extend": "EXTENDS",
        "define": "DEFINES",
        "contain": "CONTAINS",
    }
)
LEVELS = ("module", "type", "function")
LEVEL_WORDS = {
    "module": "module",
    "modules": "module",
    "type": "type",
    "types": "type",
    "function": "function",
    "functions": "function",
    "fn": "function",
}

# the row keys each command produces (what `order by` may name)
NODE_KEYS = ("kind", "name", "fqp", "lang", "file", "line", "visibility", "signature", "id")
ROW_KEYS = {
    "find": NODE_KEYS,
    "who-implements": NODE_KEYS + ("via", "resolution", "derived"),
    "callers": NODE_KEYS + ("distance", "via", "resolution"),
    "callees": NODE_KEYS + ("distance", "via", "resolution"),
    "blast-radius": NODE_KEYS + ("distance", "via", "heuristic", "fan_in", "module", "path", "hub"),
    "path": NODE_KEYS + ("step", "via", "resolution"),
    "cycles": ("size", "heuristic", "members", "example"),
    "context": ("text", "tokens", "nodes", "sourceTokens", "ratio"),
}

MODIFIERS = ("limit", "order", "format", "as", "exclude", "without")
COMMAND_OPTIONS = {
    "who-implements": (),
    "find": (),
    "callers": ("depth",),
    "callees": ("depth",),
    "blast-radius": ("depth", "via", "direction", "through", "budget", "in"),
    "path": ("via",),
    "cycles": ("in",),
    "context": ("budget", "with"),
}


def did_you_mean(word: str, options) -> str | None:
    close = difflib.get_close_matches(word.lower(), list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


# ---- parser -------------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.terms = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.tokens[self.i]
        if token.type != EOF:
            self.i += 1
        return token

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token.type == WORD and token.lower in words

    def error(self, message: str, token: Token, hint: str | None = None, code: str = "syntax"):
        return QueryLanguageError(message, token.pos, hint, code)

    def expect_word(self, *words: str) -> Token:
        token = self.next()
        if token.type != WORD or token.lower not in words:
            options = " or ".join(repr(w) for w in words)
            raise self.error(
                f"expected {options}, found {token.describe()}",
                token,
                did_you_mean(token.value, words) if token.type == WORD else None,
            )
        return token

    def number(self, what: str, low: int, high: int) -> int:
        token = self.next()
        if token.type != NUMBER:
            raise self.error(f"{what} needs a number, found {token.describe()}", token, f"e.g. {what} {low + 1}")
        value = int(token.value) if len(token.value) < 12 else high + 1
        if not low <= value <= high:
            raise QueryLanguageError(
                f"{what} must be between {low} and {high}, not {token.value}", token.pos, None, "range"
            )
        return value

    def target(self, what: str = "a target") -> TargetRef:
        token = self.peek()
        if token.type in (WORD, STRING, NUMBER) and not (token.type == WORD and self._looks_like_modifier()):
            self.next()
            if not token.value.strip():
                raise self.error(f"{what} is empty", token, None)
            return TargetRef(token.value, token.pos)
        raise self.error(
            f"expected {what} (an FQP, a name, or a quoted string), found {token.describe()}",
            token,
            'quote FQPs with spaces: "<a::B as c::D>::f"',
        )

    def _looks_like_modifier(self) -> bool:
        word, after = self.peek().lower, self.peek(1)
        if word == "limit":
            return after.type == NUMBER
        if word == "order":
            return after.type == WORD and after.lower == "by"
        if word in ("format", "as"):
            return after.type == WORD and after.lower in ("json", "triples")
        if word in ("exclude", "without"):
            return after.type == WORD and after.lower in ("heuristic", "heuristics")
        return False

    # ---- the query ----

    def query(self) -> Query:
        first = self.peek()
        if first.type == EOF:
            raise self.error(
                "empty query", first, 'try: who-implements <trait>, or find struct where name = "X"', "empty"
            )
        if first.type != WORD:
            raise self.error(
                f"a query starts with a command, found {first.describe()}",
                first,
                "commands: " + ", ".join(COMMANDS),
                "unknown-command",
            )
        name = COMMAND_ALIASES.get(first.lower, first.lower)
        if name not in COMMANDS:
            hint = did_you_mean(first.value, COMMANDS + tuple(COMMAND_ALIASES)) or "commands: " + ", ".join(COMMANDS)
            raise self.error(f"unknown command {first.value!r}", first, hint, "unknown-command")
        self.next()
        options: dict[str, Any] = {}
        command: object
        if name == "who-implements":
            command = WhoImplements(self.target("a trait or interface"))
            self.options(name, options)
        elif name == "find":
            command = self.find(first.pos)
            self.options(name, options)
        elif name in ("callers", "callees"):
            target = self.target("a function")
            self.options(name, options)
            command = CallsQuery(name, target, options.pop("depth", 1))
        elif name == "blast-radius":
            target = self.target()
            self.options(name, options)
            command = BlastQuery(
                target,
                options.pop("depth", 3),
                options.pop("via", None),
                options.pop("direction", "up"),
                options.pop("through", False),
                options.pop("budget", 2000),
                options.pop("in", None),
            )
        elif name == "path":
            source = self.target("the start of the path")
            self.expect_word("to")
            dest = self.target("the end of the path")
            self.options(name, options)
            command = PathQuery(source, dest, options.pop("via", None))
        elif name == "cycles":
            level = "module"
            token = self.peek()
            if token.type == WORD and token.lower in LEVEL_WORDS:
                level = LEVEL_WORDS[self.next().lower]
            elif token.type == WORD and token.lower not in MODIFIERS and token.lower != "in":
                raise self.error(
                    f"unknown level {token.value!r}",
                    token,
                    did_you_mean(token.value, LEVELS) or "levels: module, type, function",
                    "unknown-level",
                )
            self.options(name, options)
            command = CyclesQuery(level, options.pop("in", None))
        else:  # context
            subject: object
            if self.at_word("find"):
                token = self.next()
                subject = self.find(token.pos)
                subject_text = self.text[token.pos : self.peek().pos].strip()
            else:
                first_target = self.target()
                subject, subject_text = first_target, first_target.text
                if self.peek().type == COMMA:  # several targets: one context around all of them
                    targets = [first_target]
                    while self.peek().type == COMMA:
                        self.next()
                        targets.append(self.target())
                    subject = tuple(targets)
                    subject_text = ", ".join(t.text for t in targets)
            self.options(name, options)
            command = ContextQuery(subject, options.pop("budget", 2000), subject_text, options.pop("with", False))
        limit, order, fmt, exclude = (
            options.get("limit"),
            options.get("order", ()),
            options.get("format", "json"),
            options.get("exclude", False),
        )
        token = self.peek()
        if token.type != EOF:
            allowed = COMMAND_OPTIONS[name] + ("limit", "order by", "format", "exclude heuristic")
            if token.type == WORD:
                hint = did_you_mean(token.value, allowed) or "expected one of: " + ", ".join(allowed)
            else:
                hint = "expected one of: " + ", ".join(allowed)
            raise self.error(f"unexpected {token.describe()}", token, hint, "syntax")
        return Query(command, self.text, limit, order, fmt, exclude)

    def options(self, command: str, seen: dict) -> None:
        allowed = COMMAND_OPTIONS[command]
        while True:
            token = self.peek()
            if token.type != WORD:
                return
            word = token.lower
            key = {"without": "exclude", "as": "format"}.get(word, word)
            if word in allowed or word in MODIFIERS:
                if key in seen:
                    raise self.error(f"{word!r} given twice", token, None, "syntax")
            else:
                return
            self.next()
            if key == "depth":
                seen[key] = self.number("depth", 1 if command != "blast-radius" else 1, MAX_DEPTH)
            elif key == "via":
                seen[key] = self.edge_kinds()
            elif key == "direction":
                seen[key] = self.expect_word("up", "down").lower
            elif key == "in":
                if self.at_word("module"):
                    self.next()
                seen[key] = self.target("a module")
            elif key == "with":
                self.expect_word("tests", "test")
                seen[key] = True
            elif key == "through":
                self.expect_word("hubs", "hub")
                seen[key] = True
            elif key == "budget":
                seen[key] = self.number("budget", MIN_TOKENS_BUDGET, MAX_TOKENS_BUDGET)
                if self.at_word("tokens", "token"):
                    self.next()
            elif key == "limit":
                seen[key] = self.number("limit", 1, MAX_LIMIT)
            elif key == "order":
                self.expect_word("by")
                seen[key] = self.order_keys(command)
            elif key == "format":
                seen[key] = self.expect_word("json", "triples").lower
            elif key == "exclude":
                self.expect_word("heuristic", "heuristics")
                seen[key] = True

    def edge_kinds(self) -> tuple:
        kinds = []
        while True:
            token = self.next()
            if token.type != WORD or token.lower not in EDGE_WORDS:
                hint = (
                    did_you_mean(token.value, [k.value for k in EdgeKind]) if token.type == WORD else None
                ) or "edge kinds: " + ", ".join(k.value for k in EdgeKind)
                raise self.error(
                    f"unknown edge kind {token.value!r}"
                    if token.type == WORD
                    else f"expected an edge kind, found {token.describe()}",
                    token,
                    hint,
                    "unknown-edge-kind",
                )
            value = EDGE_WORDS[token.lower]
            if value not in kinds:
                kinds.append(value)
            if self.peek().type != COMMA:
                return tuple(kinds)
            self.next()

    def order_keys(self, command: str) -> tuple:
        keys = []
        allowed = ROW_KEYS[command]
        while True:
            token = self.next()
            if token.type != WORD or token.value not in allowed and token.lower not in allowed:
                hint = (did_you_mean(token.value, allowed) if token.type == WORD else None) or "columns: " + ", ".join(
                    allowed
                )
                raise self.error(f"cannot order {command} results by {token.value!r}", token, hint, "unknown-field")
            key = token.value if token.value in allowed else token.lower
            descending = False
            if self.at_word("asc", "desc"):
                descending = self.next().lower == "desc"
            keys.append((key, descending, token.pos))
            if self.peek().type != COMMA:
                return tuple(keys)
            self.next()

    # ---- find ----

    def find(self, pos: int) -> Find:
        kinds = self.kinds()
        where = None
        mentions = [False]
        if self.at_word("where"):
            self.next()
            where = self.condition(mentions, 0)
        return Find(kinds, where, pos, mentions[0])

    def kinds(self) -> frozenset | None:
        found: set[str] = set()
        every = False
        while True:
            token = self.next()
            if token.type == WORD and token.lower in ALL_KINDS_WORDS:
                every = True
            elif token.type == WORD and token.lower in KIND_WORDS:
                found.add(KIND_WORDS[token.lower])
            elif token.type == WORD:
                raise self.error(
                    f"unknown kind {token.value!r}",
                    token,
                    did_you_mean(
                        token.value.rstrip("s") if token.value.endswith("s") else token.value, KIND_SUGGESTIONS
                    )
                    or "kinds: " + ", ".join(KIND_SUGGESTIONS) + ", or *",
                    "unknown-kind",
                )
            else:
                raise self.error(
                    f"find needs kinds, found {token.describe()}",
                    token,
                    "e.g. find struct, enum where ...; or find * where ...",
                    "syntax",
                )
            if self.peek().type != COMMA:
                break
            self.next()
        return None if every else frozenset(found)

    def condition(self, mentions: list, depth: int):
        items = [self.conjunction(mentions, depth)]
        while self.at_word("or"):
            self.next()
            items.append(self.conjunction(mentions, depth))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def conjunction(self, mentions: list, depth: int):
        items = [self.factor(mentions, depth)]
        while self.at_word("and"):
            self.next()
            items.append(self.factor(mentions, depth))
        return items[0] if len(items) == 1 else And(tuple(items))

    def factor(self, mentions: list, depth: int):
        token = self.peek()
        if depth > MAX_NESTING:
            raise self.error(f"conditions nested deeper than {MAX_NESTING}", token, None, "too-complex")
        if token.type == WORD and token.lower == "not":
            self.next()
            return Not(self.factor(mentions, depth + 1), token.pos)
        if token.type == LPAREN:
            self.next()
            inner = self.condition(mentions, depth + 1)
            close = self.next()
            if close.type != RPAREN:
                raise self.error(f"expected ')', found {close.describe()}", close, "close the parenthesis", "syntax")
            return inner
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise self.error(f"more than {MAX_TERMS} conditions", token, "split the query", "too-complex")
        return self.predicate(mentions)

    def predicate(self, mentions: list):
        token = self.next()
        if token.type != WORD:
            raise self.error(
                f"expected a condition, found {token.describe()}",
                token,
                'e.g. name = "X", signature contains "Y", implements Z',
                "syntax",
            )
        word = token.lower
        if word == "is":
            negate = False
            if self.at_word("not"):
                self.next()
                negate = True
            self.expect_word("external")
            mentions[0] = True
            test = IsExternal(token.pos)
            return Not(test, token.pos) if negate else test
        if word in FIELDS:
            field = FIELDS[word]
            op_token = self.next()
            op = (
                OPERATORS.get(op_token.value if op_token.type == OP else op_token.lower)
                if op_token.type in (OP, WORD)
                else None
            )
            if op is None:
                hint = (
                    did_you_mean(op_token.value, [o for o in OPERATORS if o[0].isalpha()])
                    if op_token.type == WORD
                    else None
                ) or "operators: =, !=, contains, glob, regex, starts-with, ends-with"
                raise self.error(
                    f"expected an operator after {token.value!r}, found {op_token.describe()}",
                    op_token,
                    hint,
                    "unknown-operator",
                )
            value_token = self.next()
            if value_token.type not in (WORD, STRING, NUMBER):
                raise self.error(
                    f"expected a value after {op_token.value!r}, found {value_token.describe()}",
                    value_token,
                    "quote values with spaces",
                    "syntax",
                )
            value = value_token.value
            if field == "kind":
                if op not in ("=", "!="):
                    raise self.error(f"kind takes = or !=, not {op_token.value!r}", op_token, None, "unknown-operator")
                if value.lower() not in KIND_WORDS:
                    raise self.error(
                        f"unknown kind {value!r}",
                        value_token,
                        did_you_mean(value, KIND_SUGGESTIONS) or "kinds: " + ", ".join(KIND_SUGGESTIONS),
                        "unknown-kind",
                    )
                value = KIND_WORDS[value.lower()]
            if op == "regex":
                from ..sqlquery import UnsafeRegex, safe_regex

                try:
                    safe_regex(value)
                except UnsafeRegex as error:
                    raise self.error(
                        str(error), value_token, "RE2 syntax: no backreferences or lookaround", "bad-regex"
                    ) from None
            if op == "glob" and len(value) > 300 or len(value) > 1000:
                raise self.error("value too long", value_token, None, "too-complex")
            return FieldTest(field, op, value, token.pos)
        if word in RELATIONS:
            rel = RELATIONS[word]
            if rel == "in" and self.at_word("module"):
                self.next()
            return Relation(rel, self.target("the other end of the relation"), token.pos)
        relation_hint = did_you_mean(word, list(FIELDS) + list(RELATIONS) + ["is external"])
        raise self.error(
            f"unknown field or relation {token.value!r}",
            token,
            relation_hint
            or "fields: name, fqp, kind, file, lang, visibility, signature; relations: " + ", ".join(RELATIONS),
            "unknown-field",
        )


@functools.lru_cache(maxsize=1024)
def _parse_cached(text: str) -> Query:
    return _Parser(text).query()


def parse(text: str) -> Query:
    """Parses a query (cached by text). Raises QueryLanguageError with a position and a hint."""
    if not isinstance(text, str):
        raise QueryLanguageError("the query must be a string", 0, None, "syntax")
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryLanguageError(
            f"query longer than {MAX_QUERY_LENGTH} characters", MAX_QUERY_LENGTH, None, "too-complex"
        )
    return _parse_cached(text)
