"""Receiver types for calls: a small, flow-insensitive type inference over what the graph already knows.

A reader follows `Router::new().route(..).with_state(s)` without a type checker: `Router::new` is declared to return
`Self`, so the value is a `Router`; `Router::route` returns `Self` again; `with_state` is then a method of `Router`.
Every piece of that walk is in the graph already: the declared types of parameters, locals and fields, and the
declared return types of workspace functions (their signatures). This module is the walk, shared by every language.

Extraction sees one file. Where a call's receiver is not a plain name it can settle, it writes the receiver as an
*expression* (``Reference.receiver``, a tuple of strings starting with ``MARK``): a start, then steps.

- starts: ``"t" + text`` a type as written in the source (the declared type of a parameter, a local, a cast, the
  class of `new Foo()`), read where the reference stands; ``"q" + FQP`` a type known at extraction (`this`, `self`,
  the enclosing class); ``"c" + path`` the value of a call of a path (`Foo::new()`, `foo()`, `Foo()` in Python),
  with ``"/N"`` the number of arguments when known; ``"g" + path`` the type a type-guard function narrows to
  (TypeScript `isFoo(x): x is Foo`); ``"p" + path + "/A/P"`` the type of parameter P of the callback passed as
  argument A to the function at the path (`each(xs, x => x.m())` with `each(xs: T[], f: (x: Foo) => void)`);
  ``"v" + path`` a value named by a path where it is written (an imported or module-level value, `pkg.shared`).
- steps: ``"." + name`` (``"/N"``: arguments) a method call: the method's declared return type; ``":" + name`` a
  field: its declared type; ``"?"`` the inner type of a wrapper (`?`, `.await`, `await`, `.unwrap()` on
  `Result`/`Option`/`Promise`); ``"["`` an element (`for x in xs`, `xs[i]` over `Vec<T>`, `T[]`, `List<T>`), and
  ``"[" + key`` an index by a name (`o[$mobx]`: a member declared as `[$mobx]: T`, else an element).

Each function body's names map to such expressions in an ``Env`` (flow-insensitive: the last binding written before
a use), and a name's expression is inlined where it is used, so a reference carries everything its answer depends on
(the resolvers' per-file memo keys stay valid).

Resolution evaluates an expression through a language's ``TypeSystem`` (how its types are written, how a name is
resolved to a type, a type's methods and fields, a function's declared return type), reading the workspace only
through the ``SymbolView``: a return type is read from the function node's signature (a changed return type changes
the node's id, which re-resolves every caller that read it), a field's type from the records a file publishes in
``FileFacts.imports`` under ``fields_key`` (tracked like any import). The answer is a ``Ty`` (a workspace type, or an
external one known by name, with its type arguments), or None when a step cannot be followed: then the receiver is of
unknown type, the one case where a call is still guessed by name (``common.guess_methods``).
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from ..model import Node, Resolution

if TYPE_CHECKING:
    from ..graph import SymbolView

MARK = "="  # receiver[0] of an inferred receiver expression
START_TYPE = "t"
START_KNOWN = "q"
START_CALL = "c"
START_GUARD = "g"
START_PARAMETER = "p"
START_VALUE = "v"
STEP_CALL = "."
STEP_FIELD = ":"
STEP_UNWRAP = "?"
STEP_ELEMENT = "["
MAX_STEPS = 12  # longer chains are not followed (their receiver is of unknown type)
MAX_DEPTH = 8  # nested evaluations (a field whose type is another field's ...)
FIELDS_PREFIX = "fields:"  # FileFacts.imports key of a type's field table: `fields:{family}:{FQP}`
EXPR_PREFIX = "="  # a field-table value that is an expression (joined by EXPR_JOIN), not a type text
EXPR_JOIN = "\x1f"
ARRAY = "[]"  # the head of an array type (`Foo[]`, `[]Foo`, `[Foo]`)
UNION = "|"  # the head of a union of several types (`A | B`), which a language may read


# ---- extraction side --------------------------------------------------------------------------------------------

Expr = tuple[str, ...]


def typed(text: str) -> Expr:
    """A value of a type written in the source (read where the reference stands)."""
    return (MARK, START_TYPE + text)


def known(fqp: str) -> Expr:
    """A value of a type known by FQP at extraction (`this`, `self`)."""
    return (MARK, START_KNOWN + fqp)


def called(path: str, arity: int | None = None) -> Expr:
    """The value a call of a path returns (`Foo::new()`, `foo()`, `Foo()` in Python)."""
    return (MARK, START_CALL + path + ("" if arity is None else f"/{arity}"))


def valued(path: str) -> Expr:
    """A value named by a (dotted) path: an imported or module-level value, a module's attribute."""
    return (MARK, START_VALUE + path)


def guarded(path: str) -> Expr:
    """The type a type-guard function (`isFoo(x): x is Foo`) narrows its argument to."""
    return (MARK, START_GUARD + path)


def callback_parameter(path: str, argument: int, parameter: int) -> Expr:
    """The type of a closure's parameter, as the declared parameter type of the function it is passed to says."""
    return (MARK, f"{START_PARAMETER}{path}/{argument}/{parameter}")


def then(expr: Expr | None, step: str) -> Expr | None:
    """An expression followed by one more step; None when the expression is unknown or too long."""
    if expr is None or len(expr) > MAX_STEPS:
        return None
    return (*expr, step)


def method(expr: Expr | None, name: str, arity: int | None = None) -> Expr | None:
    return then(expr, STEP_CALL + name + ("" if arity is None else f"/{arity}"))


def member(expr: Expr | None, name: str) -> Expr | None:
    return then(expr, STEP_FIELD + name)


def unwrapped(expr: Expr | None) -> Expr | None:
    return then(expr, STEP_UNWRAP)


def element(expr: Expr | None, key: str = "") -> Expr | None:
    """An element of a value (`xs[i]`, `for x of xs`); with a ``key`` (`o[$mobx]`, an index by a name), the member
    a workspace type declares under `[key]`, else an element."""
    return then(expr, STEP_ELEMENT + key)


def is_expression(receiver: tuple[str, ...] | None) -> bool:
    return receiver is not None and len(receiver) >= 2 and receiver[0] == MARK


def fields_key(family: str, type_fqp: str) -> str:
    """The ``FileFacts.imports`` key of a type's field table (field ``.name`` → its declared type's text, or
    ``EXPR_PREFIX`` + an encoded expression for a field typed by its initializer)."""
    return f"{FIELDS_PREFIX}{family}:{type_fqp}"


def field_entry(name: str) -> str:
    """Field names are stored as ``.name``: never an identifier, so never mistaken for an imported name."""
    return "." + name


def encode(expr: Expr) -> str:
    return EXPR_PREFIX + EXPR_JOIN.join(expr[1:])


def decode(text: str) -> Expr:
    return (MARK, *text[len(EXPR_PREFIX) :].split(EXPR_JOIN))


MAX_NESTING = 32  # an expression nested deeper than this has no type we follow (and no recursion)


def bounded(method):
    """For an extractor's ``expression(node, scope)``: beyond ``MAX_NESTING`` nested calls, None (a 20,000-link
    member chain must not exhaust Python's stack)."""

    def expression(self, node, scope):
        depth = getattr(self, "_expression_depth", 0)
        if depth >= MAX_NESTING:
            return None
        self._expression_depth = depth + 1
        try:
            return method(self, node, scope)
        finally:
            self._expression_depth = depth

    expression.__doc__ = method.__doc__
    return expression


_MADE = threading.local()  # .envs: the Envs made inside ``envs_released`` on this thread


@contextlib.contextmanager
def envs_released():
    """Empties, on exit, every Env made inside (on this thread). An extraction's Envs are dead once it returns
    (receivers are read while it runs), but their lazy bindings' closures hold the extraction, its scopes and tree
    nodes in reference cycles: left to the cyclic collector, which an index pauses (engine.gc_paused), each file's
    syntax tree would outlive its extraction (92 MB of trees after a cold in-process index of rust-100k)."""
    outer = getattr(_MADE, "envs", None)
    made: list[Env] = []
    _MADE.envs = made
    try:
        yield
    finally:
        _MADE.envs = outer
        for env in made:
            env.names.clear()
            env.outer = None
            env.pending = None


class _Lazy:
    __slots__ = ("thunk", "previous")

    def __init__(self, thunk: Callable[[], "Expr | None"], previous: object) -> None:
        self.thunk = thunk
        self.previous = previous


class Env:
    """The names of one function body (parameters, locals, loop variables) and the expressions of their values;
    nested bodies (closures, lambdas) see their outer bodies' names. Flow-insensitive: a name means what its last
    binding before the use says."""

    __slots__ = ("names", "outer", "pending")

    def __init__(self, outer: "Env | None" = None) -> None:
        self.names: dict[str, Expr | None] = {}
        self.outer = outer
        self.pending: Callable[[], None] | None = None
        made = getattr(_MADE, "envs", None)
        if made is not None:
            made.append(self)

    def defer(self, binder: Callable[[], None]) -> None:
        """Its first bindings (a callback's parameters) made by ``binder`` when the environment is first read or
        bound in: most callbacks never have a receiver looked up in them."""
        self.pending = binder

    def settle(self) -> None:
        """Runs the deferred binder, if any (once)."""
        binder = self.pending
        if binder is not None:
            self.pending = None
            binder()

    def bind(self, name: str, expr: Expr | None | Callable[[], Expr | None]) -> None:
        """Binds a name (None: a value of unknown type, which hides an outer binding of the same name). A callable
        is evaluated when the name is first read (most locals are never a receiver: their initializers' expressions
        are not worth computing), with the name still meaning what it meant before (`let x = x.unwrap();`)."""
        if self.pending is not None:
            self.settle()
        if callable(expr):
            self.names[name] = _Lazy(expr, self.names.get(name))  # type: ignore[assignment]
        else:
            self.names[name] = expr

    def get(self, name: str) -> Expr | None:
        env: Env | None = self
        while env is not None:
            if env.pending is not None:
                env.settle()
            if name in env.names:
                found = env.names[name]
                if isinstance(found, _Lazy):
                    env.names[name] = found.previous  # while it is computed, the name is the earlier binding
                    found = env.names[name] = found.thunk()
                return found
            env = env.outer
        return None

    def __contains__(self, name: str) -> bool:
        env: Env | None = self
        while env is not None:
            if env.pending is not None:
                env.settle()
            if name in env.names:
                return True
            env = env.outer
        return False


# ---- written types ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Written:
    """A type as written, reduced to what inference needs: a head path and type arguments (``[]`` for arrays)."""

    head: str
    args: tuple["Written | None", ...] = ()


def parse_written(text: str, nullish: frozenset[str] = frozenset()) -> Written | None:
    """A type in the canonical form languages normalize theirs to: `a.b.C<X, Y<Z>>[]`, unions `A | B` (members
    named in ``nullish`` dropped: `Foo | undefined` is `Foo`; several left: unknown), intersections `A & B` (the
    first named member). None for anything else (function types, literals, object types)."""
    text = text.strip()
    if not text:
        return None
    parts = _split_top(text, "|")
    if len(parts) > 1:
        kept = [p for p in (p.strip() for p in parts) if p and p not in nullish]
        if not kept:
            return None
        if len(kept) > 1:
            return Written(UNION, tuple(parse_written(p, nullish) for p in kept))
        return parse_written(kept[0], nullish)
    parts = _split_top(text, "&")
    if len(parts) > 1:
        for part in parts:
            found = parse_written(part, nullish)
            if found is not None:
                return found
        return None
    while text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1].strip()
        if "|" in text or "&" in text:
            return parse_written(text, nullish)
    if text.endswith("[]"):
        inner = parse_written(text[:-2], nullish)
        return Written(ARRAY, (inner,))
    lt = text.find("<")
    if lt == -1:
        return Written(text) if _is_path(text) else None
    if not text.endswith(">"):
        return None
    head = text[:lt].strip()
    if not _is_path(head):
        return None
    args = tuple(parse_written(a, nullish) for a in _split_top(text[lt + 1 : -1], ","))
    return Written(head, args)


def _is_path(text: str) -> bool:
    if not text:
        return False
    for ch in text:
        if not (ch.isalnum() or ch in "_$.:/"):
            return False
    return not text[0].isdigit() and not text.endswith(".") and not text.endswith(":")


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        if ch in "(<[{":
            depth += 1
        elif ch in ")>]}":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _split_top(text: str, separator: str) -> list[str]:
    """Splits at ``separator`` outside brackets (`=>` is not a closing `>`)."""
    parts, depth, start = [], 0, 0
    previous = ""
    for i, ch in enumerate(text):
        if ch in "(<[{":
            depth += 1
        elif ch in ")]}" or (ch == ">" and previous != "="):
            depth = max(0, depth - 1)
        elif ch == separator and depth == 0:
            parts.append(text[start:i])
            start = i + 1
        previous = ch
    parts.append(text[start:])
    return parts


def type_parameters(signature: str, name: str, open_: str = "<") -> tuple[str, ...]:
    """The names of the type parameters a declaration's signature gives right after its name (`class Box<T, U
    extends Foo>` → (T, U); Go's `type Box[T any]` with ``open_="["``); lifetimes and `const` parameters are
    skipped."""
    at = _find_word(signature, name)
    if at == -1:
        return ()
    rest = signature[at + len(name) :].lstrip()
    if not rest.startswith(open_):
        return ()
    close = ">" if open_ == "<" else "]"
    depth, end = 0, -1
    for i, ch in enumerate(rest):
        if ch == open_:
            depth += 1
        elif ch == close:
            depth -= 1
            if depth == 0:
                end = i
                break
    if end == -1:
        return ()
    names = []
    for part in _split_top(rest[1:end], ","):
        words = part.replace(":", " ").replace("=", " ").split()
        if not words:
            continue
        word = words[0]
        if word == "const" and len(words) > 1:
            continue
        if word.startswith("'"):
            continue
        names.append(word)
    return tuple(names)


def _find_word(text: str, word: str) -> int:
    start = 0
    while True:
        at = text.find(word, start)
        if at == -1:
            return -1
        before = text[at - 1] if at > 0 else " "
        after = text[at + len(word)] if at + len(word) < len(text) else " "
        if not (before.isalnum() or before in "_$") and not (after.isalnum() or after in "_$"):
            return at
        start = at + 1


# ---- resolution side --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Ty:
    """A value's type: a workspace type's FQP (``external`` False) or an external type's best name, with its type
    arguments (None where unknown)."""

    fqp: str
    external: bool = False
    args: tuple["Ty | None", ...] = ()
    resolution: Resolution = field(default=Resolution.EXACT, compare=False)

    @property
    def name(self) -> str:
        """The last segment of the FQP (how tables of well-known external types name it)."""
        cut = max(self.fqp.rfind("::") + 2 if "::" in self.fqp else 0, self.fqp.rfind(".") + 1, self.fqp.rfind("/") + 1)
        return self.fqp[cut:]

    def arg(self, index: int) -> "Ty | None":
        return self.args[index] if index < len(self.args) else None


@dataclass(frozen=True, slots=True)
class Declared:
    """A declared type as written somewhere: its text (or expression), where to read it, and the type parameters
    that are in scope there but unknown to the reader (a generic method's own `<T>`)."""

    text: str
    where: Any
    generics: frozenset[str] = frozenset()
    owner: str | None = None  # the FQP of the type whose parameters the text may name


OPAQUE = Ty("?", True)
"""A value that comes from outside the workspace and of which nothing more is known (what an external method returns,
when no table says): none of its methods is a workspace method, so a call on it is neither linked nor guessed."""

# Wrappers whose first type argument is what `?`, `.await`, `await` and `.unwrap()` give.
WRAPPERS = frozenset(
    {
        "Option",
        "Result",
        "Promise",
        "PromiseLike",
        "Awaited",
        "Optional",
        "Poll",
        "Ready",
        "CompletableFuture",
        "CompletionStage",
        "Future",
        "Box",
        "Rc",
        "Arc",
        "Cow",
        "Pin",
        "Reference",
        "WeakReference",
        "AtomicReference",
        "ThreadLocal",
        "Supplier",
        "Callable",
        "Mutex",
        "RwLock",
        "RefCell",
        "Cell",
        "MutexGuard",
        "Ref",
        "RefMut",
        "Lazy",
        "OnceCell",
        "OnceLock",
        "LazyLock",
    }
)
# Containers whose elements (iteration, indexing) are their first type argument.
CONTAINERS = frozenset(
    {
        ARRAY,
        "Vec",
        "VecDeque",
        "LinkedList",
        "HashSet",
        "BTreeSet",
        "BinaryHeap",
        "IndexSet",
        "SmallVec",
        "Iter",
        "IntoIter",
        "Iterator",
        "IntoIterator",
        "Iterable",
        "Collection",
        "List",
        "ArrayList",
        "Set",
        "TreeSet",
        "SortedSet",
        "NavigableSet",
        "Queue",
        "Deque",
        "ArrayDeque",
        "BlockingQueue",
        "ListIterator",
        "Enumeration",
        "Stream",
        "Array",
        "ReadonlyArray",
        "ReadonlySet",
        "IterableIterator",
        "AsyncIterable",
        "AsyncIterator",
        "Generator",
        "list",
        "set",
        "frozenset",
        "tuple",
        "deque",
        "Sequence",
        "MutableSequence",
        "AbstractSet",
        "MutableSet",
        "KeysView",
        "ValuesView",
        "dict",
        "Dict",
        "Mapping",
        "MutableMapping",
        "OrderedDict",
        "defaultdict",
        "Tuple",
        "FrozenSet",
        "Slice",
        "slice",
        "CopyOnWriteArrayList",
        "ConcurrentLinkedQueue",
        "LinkedBlockingQueue",
        "ArrayBlockingQueue",
        "PriorityQueue",
        "Spliterator",
    }
)


class TypeSystem(Protocol):
    """What the walk needs of a language. ``where`` values are the language's own (a scope, a file, a class): the
    place a type is written, which says how its names are read."""

    nullish: frozenset[str]  # union members a value never has a method of (`undefined`, `None`)
    self_type: str  # the name of the type an impl is for (`Self`), or ""

    def normalize(self, text: str) -> str:
        """A written type in the canonical form ``parse_written`` reads (`&mut Foo` → `Foo`, `[]T` → `T[]`)."""
        ...

    def type_named(self, path: str, where: Any) -> Ty | None:
        """The type a path names where it is written (its FQP, and whether it is outside the workspace); None when
        it names no type (a type parameter of the surrounding declaration, a primitive, nothing known)."""
        ...

    def methods(self, ty: Ty, name: str) -> list[Node]:
        """The methods named ``name`` a workspace type has: its own, its inherent and trait impls', its
        supertypes', and for a type parameter the methods of its bounds."""
        ...

    def returns(self, fn: Node) -> Declared | None:
        """The declared return type of a workspace function, or None when it declares none."""
        ...

    def field(self, ty: Ty, name: str) -> Declared | None:
        """The declared type (or initializer expression) of a field of a workspace type, inherited ones too."""
        ...

    def call_value(self, path: str, arity: int | None, where: Any, inference: "Inference") -> Ty | None:
        """The value of a call of a path where it is written: a function's declared return type, a class's
        instance for a constructor call."""
        ...

    def external_method(self, ty: Ty, name: str) -> Ty | None:
        """The value of a method of an external type that is known without its source (`List.get` gives an
        element, `Option::unwrap` the inner type), else ``OPAQUE`` (or None where the value may well be of a
        workspace type that no table names)."""
        ...

    def type_parameters(self, type_fqp: str) -> tuple[str, ...]:
        """The names of a workspace type's type parameters, in order."""
        ...

    def accepts(self, fn: Node, arity: int) -> bool:
        """Whether a function can take this many arguments (overloads are told apart by it)."""
        ...


class Outcome:
    """What a method call on an inferred receiver resolves to."""

    UNKNOWN = "unknown"  # the receiver's type is not known: the call may be guessed by name
    OUTSIDE = "outside"  # the receiver's type is known and has no such workspace method: no edge, no guess


class Inference:
    """Evaluates receiver expressions for one resolution pass (one ``SymbolView``): answers are memoized in
    ``view.memo``, which lives while the graph stands still."""

    __slots__ = ("system", "view", "memo", "depth")

    def __init__(self, system: TypeSystem, view: "SymbolView") -> None:
        self.system = system
        self.view = view
        self.memo: dict = view.memo.setdefault(("infer", id(system)), {})  # type: ignore[assignment]
        self.depth = 0

    # ---- values

    def value(self, expr: Expr, where: Any) -> Ty | None:
        """The type of an expression's value where the reference stands, or None when it cannot be followed."""
        key = (expr, where)
        memo = self.memo
        if key in memo:
            return memo[key]
        if self.depth > MAX_DEPTH:
            return None
        memo[key] = None  # cycle guard
        self.depth += 1
        try:
            found = self._value(expr, where)
        except RecursionError:  # a cycle no guard saw: the type is unknown, not a crash
            if self.depth > 1:
                raise
            found = None
        finally:
            self.depth -= 1
        memo[key] = found
        return found

    def _value(self, expr: Expr, where: Any) -> Ty | None:
        if len(expr) < 2 or expr[0] != MARK:
            return None
        ty = self.start(expr[1], where)
        for step in expr[2:]:
            if ty is None:
                return None
            ty = self.step(ty, step)
        return ty

    def start(self, token: str, where: Any) -> Ty | None:
        op, text = token[:1], token[1:]
        if op == START_TYPE:
            return self.written(Declared(text, where))
        if op == START_KNOWN:
            return Ty(text)
        if op == START_CALL:
            path, arity = _split_arity(text)
            return self.system.call_value(path, arity, where, self)
        if op == START_GUARD:
            guard = getattr(self.system, "guard_value", None)
            return guard(text, where, self) if guard is not None else None
        if op == START_VALUE:
            value_of = getattr(self.system, "value_path", None)
            return value_of(text.split("."), where, self) if value_of is not None else None
        if op == START_PARAMETER:
            path, _, rest = text.rpartition("/")
            path, _, argument = path.rpartition("/")
            declared = getattr(self.system, "callback_parameter", None)
            if declared is None or not argument.isdigit() or not rest.isdigit():
                return None
            return declared(path, int(argument), int(rest), where, self)
        return None

    def step(self, ty: Ty, token: str) -> Ty | None:
        op = token[:1]
        if op == STEP_UNWRAP:
            return self.unwrap(ty)
        if op == STEP_ELEMENT:
            key = token[1:]
            if key and not ty.external:  # `o[$mobx]`: a member declared as `[$mobx]: T`
                found = self.field(ty, f"[{key}]")
                if found is not None:
                    return found
            return self.element(ty)
        if op == STEP_FIELD:
            return self.field(ty, token[1:])
        if op == STEP_CALL:
            name, arity = _split_arity(token[1:])
            return self.call(ty, name, arity)
        return None

    def unwrap(self, ty: Ty) -> Ty | None:
        if ty.external:
            return ty.arg(0) if ty.name in WRAPPERS else OPAQUE
        unwrap = getattr(self.system, "unwrap", None)
        return unwrap(ty) if unwrap is not None else None

    def element(self, ty: Ty) -> Ty | None:
        element_of = getattr(self.system, "element", None)
        found = element_of(ty, self) if element_of is not None else None
        if found is not None or not ty.external:
            return found
        return ty.arg(0) if ty.name in CONTAINERS else OPAQUE

    def field(self, ty: Ty, name: str) -> Ty | None:
        if ty.external:
            return OPAQUE
        declared = self.system.field(ty, name)
        if declared is None:
            return None
        return self.declared(declared, ty)

    def call(self, ty: Ty, name: str, arity: int | None) -> Ty | None:
        """The value of a method call on a value of type ``ty``: the declared return type of the method (the same
        for every overload that fits, else unknown)."""
        if ty.external:
            return self.system.external_method(ty, name)  # a table's answer, OPAQUE, or None (unknown)
        fns = self.system.methods(ty, name)
        if arity is not None:
            fns = [fn for fn in fns if self.system.accepts(fn, arity)]
        if not fns:
            return None
        found: Ty | None = None
        for fn in fns:
            declared = self.system.returns(fn)
            if declared is None:
                return None
            value = self.declared(declared, ty)
            if value is None or (found is not None and value != found):
                return None
            found = value
        return found

    def returned(self, fns: list[Node], self_ty: Ty | None = None) -> Ty | None:
        """The value of a call of one of ``fns`` (free functions, static methods): their common declared return
        type."""
        found: Ty | None = None
        for fn in fns:
            declared = self.system.returns(fn)
            if declared is None:
                return None
            value = self.declared(declared, self_ty)
            if value is None or (found is not None and value != found):
                return None
            found = value
        return found

    def declared(self, declared: Declared, receiver: Ty | None) -> Ty | None:
        """A declared type read where it is written, its owner's type parameters bound to the receiver's type
        arguments (`Box<Foo>`'s `get(): T` gives Foo), `Self` to the receiver."""
        subst: dict[str, Ty | None] = {}
        if declared.owner is not None and receiver is not None and not receiver.external:
            params = self.system.type_parameters(declared.owner)
            if params:
                same = receiver.fqp == declared.owner
                for i, param in enumerate(params):
                    subst[param] = receiver.arg(i) if same else None
        if declared.text.startswith(EXPR_PREFIX):
            return self.value(decode(declared.text), declared.where)
        return self.written(declared, subst, receiver)

    def written(
        self, declared: Declared, subst: dict[str, Ty | None] | None = None, self_ty: Ty | None = None
    ) -> Ty | None:
        if self.depth > MAX_DEPTH:  # aliases of aliases (`type A = B; type B = A[]`)
            return None
        self.depth += 1
        try:
            system = self.system
            parsed = parse_written(system.normalize(declared.text), system.nullish)
            return self.resolve_written(parsed, declared, subst or {}, self_ty)
        finally:
            self.depth -= 1

    def resolve_written(
        self, written: Written | None, declared: Declared, subst: dict[str, Ty | None], self_ty: Ty | None
    ) -> Ty | None:
        adapt = getattr(self.system, "adapt", None)
        if adapt is not None and written is not None:
            written = adapt(written)  # `Optional[Foo]` is Foo, `Annotated[T, ...]` T
        if written is None:
            return None
        head = written.head
        if head == UNION:  # several types: the language says (or unknown)
            union = getattr(self.system, "union", None)
            if union is None:
                return None
            return union([self.resolve_written(a, declared, subst, self_ty) for a in written.args])
        if head == ARRAY:
            inner = written.args[0] if written.args else None
            return Ty(ARRAY, True, (self.resolve_written(inner, declared, subst, self_ty),))
        if head in subst:
            return subst[head]
        if head in declared.generics:
            return None
        if head == self.system.self_type and head:
            return self_ty if self_ty is not None else (Ty(declared.owner) if declared.owner else None)
        found = self.system.type_named(head, declared.where)
        if found is None:
            return None
        if not written.args:
            return found
        args = tuple(self.resolve_written(a, declared, subst, self_ty) for a in written.args)
        return Ty(found.fqp, found.external, args, found.resolution)

    # ---- calls

    def methods_of(self, expr: Expr, where: Any, name: str) -> tuple[str, Ty | None, list[Node]]:
        """The methods a call `receiver.name(...)` may reach: (``"found"``, the receiver's type, its methods),
        (``Outcome.OUTSIDE``, the type, []) when the type is known and has none in the workspace, or
        (``Outcome.UNKNOWN``, None, []) when the receiver's type cannot be followed."""
        ty = self.value(expr, where)
        if ty is None:
            return Outcome.UNKNOWN, None, []
        deref = getattr(self.system, "deref", None)
        for _ in range(4):  # auto-deref (`Box<Foo>`, `Arc<Foo>`: Foo's methods)
            inner = deref(ty) if deref is not None and ty.external else None
            if inner is None:
                break
            ty = inner
        if ty.external or ty.fqp == ARRAY:
            return Outcome.OUTSIDE, ty, []
        fns = self.system.methods(ty, name)
        if not fns:
            return Outcome.OUTSIDE, ty, []
        return "found", ty, fns


def _split_arity(text: str) -> tuple[str, int | None]:
    slash = text.rfind("/")
    if slash > 0 and text[slash + 1 :].isdigit():
        return text[:slash], int(text[slash + 1 :])
    return text, None


def inference(system: TypeSystem, view: "SymbolView") -> Inference:
    """The inference of one resolution pass (one view) for a language."""
    key = ("inference", id(system))
    found = view.memo.get(key)
    if found is None:
        found = view.memo[key] = Inference(system, view)
    return found  # type: ignore[return-value]
