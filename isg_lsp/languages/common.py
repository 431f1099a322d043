"""Pieces every language's extractor shares: making nodes with LSP spans, signatures, query dispatch, error ranges."""

from __future__ import annotations

import re

from collections.abc import Callable, Iterator
from typing import Any

import tree_sitter

from ..model import Edge, EdgeKind, FileFacts, Node, NodeKind, Reference, Resolution, fold_whitespace
from ..positions import LineIndex
from ..safety import read_config_text
from . import infer
from .contract import MAX_HEURISTIC_CANDIDATES, MAX_SAME_NAMED

MAX_SIGNATURE_CHARS = 400


class FileExtraction:
    """Collects one file's facts while a language's handlers walk its query matches."""

    def __init__(self, path: str, lang: str, source: bytes, tree: tree_sitter.Tree, content_hash: bytes) -> None:
        self.path = path
        self.lang = lang
        self.source = source
        self.tree = tree
        self.lines = LineIndex(source)
        self.facts = FileFacts(path=path, lang=lang, content_hash=content_hash, loc=count_loc(source))
        self._ids: set[bytes] = set()
        self.scopes: dict = {}  # node id → the extractor's scope object
        self.file_scope: Any = None  # the extractor's scope object for the whole file, set by the subclass
        # while one item is extracted for the item cache (extract_items): what it did, besides adding facts, that
        # later items read (a language with such state logs it here and replays it: ``replay``)
        self.item_log: list | None = None
        self.item_uncacheable = False  # set when an item did something that cannot be replayed
        self.state = 0  # a digest of what the items read so far left for the next ones (``item_state``)
        self.owners: list = []  # the scopes that hold fields (classes, interfaces), in document order

    # ---- what an item leaves for the items after it (replayed from the item cache: extract_items) -------------
    #
    # A language whose items read what earlier items wrote (a module's values as receiver types, a class's fields,
    # overloads) makes every such write an ``effect``: applied, folded into ``state`` (part of each item's cache
    # key, so an item after a changed effect is extracted again) and logged, so that a cached item's writes are
    # replayed. Effects shared by languages: ``("bind", name, expression)`` a value of the module (its scope's
    # ``env``); ``("field", owner handle, name, value, only when not set)`` a field of the module (handle -1) or of a
    # scope registered with ``owner``. Others are the language's own (``apply_own``).

    def item_state(self) -> object:
        """What earlier items left that an item's facts may depend on (part of the item cache's key)."""
        return self.state

    def replay(self, log: list) -> None:
        """Does again what a cached item did besides adding facts (its ``item_log``)."""
        for effect in log:
            self.apply(effect)

    def effect(self, *effect) -> None:
        self.apply(effect)
        if self.item_log is not None:
            self.item_log.append(effect)

    def apply(self, effect: tuple) -> None:
        kind = effect[0]
        if kind == "bind":
            self.file_scope.env.bind(effect[1], effect[2])
            token: object = effect
        elif kind == "field":
            owner = self.owners[effect[1]] if effect[1] >= 0 else self.file_scope
            if effect[4]:
                owner.fields.setdefault(effect[2], effect[3])
            else:
                owner.fields[effect[2]] = effect[3]
            token = effect
        else:
            token = self.apply_own(effect)
        self.state = hash((self.state, token))

    def apply_own(self, effect: tuple) -> object:
        """Applies a language's own effect; returns what identifies it (hashable)."""
        raise ValueError(f"unknown effect {effect[0]!r}")

    def publish_fields(self, family: str) -> None:
        """The fields of the module's values and of the classes (interfaces) registered with ``owner``, as their
        declared types or the expressions of their initializers, for `x.f.m()` and `imported.m()` in other files
        (infer.py): published in ``FileFacts.imports`` under ``infer.fields_key``, the first scope of a name winning."""
        for scope in (self.file_scope, *self.owners):
            if scope.fields:
                key = infer.fields_key(family, scope.fqp)
                if key not in self.facts.imports:
                    self.facts.imports[key] = {infer.field_entry(n): t for n, t in scope.fields.items()}

    def owner(self, scope: Any) -> Any:
        """Registers a scope that holds fields (its ``handle`` names it in effects); registrations are part of the
        state. One made inside an item that is not a container cannot be replayed: that item is never cached."""
        scope.handle = len(self.owners)
        self.owners.append(scope)
        self.state = hash((self.state, "owner", scope.kind, scope.fqp))
        self.not_replayable()
        return scope

    def not_replayable(self) -> None:
        """What the item being extracted for the item cache just did cannot be replayed: it is never cached (it is
        extracted every time). Outside an item (no cache, or a container's own match) nothing to do."""
        if self.item_log is not None:
            self.item_uncacheable = True

    # ---- scopes ---------------------------------------------------------------------------------------------

    def scope_of(self, node: tree_sitter.Node):
        """The nearest enclosing registered scope of a node (the extractor registers its modules, types and
        functions in ``self.scopes`` by node id, and sets ``self.file_scope``). The walk is iterative."""
        parent = node.parent
        scopes = self.scopes
        while parent is not None:
            scope = scopes.get(parent.id)
            if scope is not None:
                return scope
            parent = parent.parent
        return self.file_scope

    # ---- nodes and edges -----------------------------------------------------------------------------------

    def add_node(
        self,
        kind: NodeKind,
        name: str,
        fqp: str,
        at: tree_sitter.Node | None,
        signature: str,
        visibility: str | None = None,
    ) -> Node:
        """Adds a node. A second identical declaration (under another cfg, say) is the same node: ``finish``
        keeps the first."""
        span = self.span(at) if at is not None else (0, 0, 0, 0)
        node = Node.make(kind, name, fqp, self.lang, self.path, span, signature[:MAX_SIGNATURE_CHARS], visibility)
        self.facts.nodes.append(node)
        return node

    def add_edge(
        self, src: bytes, kind: EdgeKind, dst: bytes, resolution: Resolution = Resolution.EXACT, derived: bool = False
    ) -> None:
        if src != dst:
            self.facts.edges.append(Edge(src, kind, dst, resolution, None, derived))

    def add_reference(self, ref: Reference) -> None:
        self.facts.references.append(ref)

    def span(self, node: tree_sitter.Node) -> tuple[int, int, int, int]:
        return self.lines.span(node.start_point, node.end_point)

    def whole_file_span(self) -> tuple[int, int, int, int]:
        root = self.tree.root_node
        return self.lines.span((0, 0), root.end_point)

    # ---- text ----------------------------------------------------------------------------------------------

    def text(self, node: tree_sitter.Node | None) -> str:
        if node is None:
            return ""
        return self.source[node.start_byte : node.end_byte].decode("utf-8", "replace")

    def head(self, node: tree_sitter.Node, body: tree_sitter.Node | None) -> str:
        """The declaration's head: its text up to the body (or all of it), whitespace folded, no trailing `;`."""
        end = body.start_byte if body is not None else node.end_byte
        text = self.source[node.start_byte : end].decode("utf-8", "replace")
        text = fold_whitespace(text)
        return text.rstrip(";").rstrip()

    def finish(self) -> FileFacts:
        unique = []
        for node in self.facts.nodes:
            if node.id not in self._ids:
                self._ids.add(node.id)
                unique.append(node)
        self.facts.nodes = unique
        self.facts.errors = list(error_spans(self.tree, self.lines))
        return self.facts

    # ---- one item at a time, reusing what an earlier run over the same file extracted ----------------------

    def extract_items(
        self,
        query: tree_sitter.Query,
        handlers: dict,
        cache: dict | None,
        context: bytes,
        containers: dict | None = None,
        first: dict | None = None,
        whole_headers: bool = False,
        context_of: Callable[[bytes, tuple[bytes, ...]], object] | None = None,
        order: Callable[[list], list] | None = None,
    ) -> None:
        """Runs ``handlers`` over the matches of ``query``, one item of the file at a time.

        Items are the root's children; a container (``containers``: node type → the field of its body, such as an
        impl block's, or a function of the node giving its body or None, such as the items a Rust macro call's
        tokens parse as, from a tree of their own) is handled by its own match first, then its members are items in
        turn. With a ``cache`` (kept
        by the caller between runs over versions of the same file), an item whose text, line prefix, enclosing
        headers and file-level context (``context``: what the file's imports and declarations make of names) are
        unchanged takes the facts it produced last time, its spans moved to where it stands now: an edit inside one
        function costs the extraction of that one function. Matches are dispatched in document order, with or
        without a cache, so the facts are the same either way.

        ``first``: handlers run over an item's matches before ``handlers`` (what must be known before its bodies
        are read). ``whole_headers``: a container's head is every match that starts before its body (a wrapper
        such as `export`, decorators, calls in an `extends` clause), not only the container's own match. The key
        also holds ``item_state()`` (what earlier items left), and a cached item's ``item_log`` is replayed.
        ``context_of``: the part of the file-level context an item's text and headers can depend on (the language
        says how), in place of the whole ``context``: then a new import or type leaves the items that do not name
        it cached. ``order``: how an item's matches are sorted before they are dispatched (the order the language's
        whole-file path dispatches them in), else tree-sitter's.
        """
        facts = self.facts
        source = self.source
        deep = tree_sitter.QueryCursor(query)
        shallow = tree_sitter.QueryCursor(query)
        shallow.set_max_start_depth(0)
        ranged = tree_sitter.QueryCursor(query) if whole_headers else None  # a container's head (set per container)

        def run(matches: list) -> None:
            if order is not None:
                matches = order(matches)
            if first is not None:
                dispatch(matches, first)
            dispatch(matches, handlers)

        # docs: those of reused items' nodes are known; those of items extracted now are filled in afterwards
        # (by node object: two items may declare one id, such as a method written twice, and the docs of an id are
        # those of the node that finish() keeps, whichever item it comes from)
        docs_known: dict[int, str] = {}
        docs_settled: set[int] = set()
        docs_pending: list[tuple[list[Node], dict[bytes, str]]] = []

        containers = containers or {}
        fresh: dict = {}
        root = self.tree.root_node
        top = units(root)
        # the file's last item: how tree-sitter settles an ambiguity still open at the end of the file depends on
        # errors anywhere before it, so its key also says whether the file has one
        last = next((u[-1].id for u in reversed(top) if u[-1].type not in COMMENTS), None)
        pending: list[tuple[list[list[tree_sitter.Node]], tuple[bytes, ...]]] = [(list(reversed(top)), ())]
        while pending:
            todo, headers = pending[-1]
            if not todo:
                pending.pop()
                continue
            unit = todo.pop()
            item = unit[-1]
            body_field = containers.get(item.type)
            if body_field is None:
                body = None
            elif isinstance(body_field, str):
                body = item.child_by_field_name(body_field)
            else:
                body = body_field(item)
            if body is not None:
                for attached in unit[:-1]:
                    if attached.type not in COMMENTS:
                        run(deep.matches(attached))
                if ranged is not None:
                    ranged.set_byte_range(item.start_byte, body.start_byte)
                    run(ranged.matches(item))
                else:
                    run(shallow.matches(item))
                header = source[unit[0].start_byte : body.start_byte]
                inner = units(body)
                if body.parent is None:  # a fragment parsed on its own: only what parses
                    inner = [u for u in inner if not u[-1].is_error]
                pending.append((list(reversed(inner)), headers + (header,)))
                continue
            first_part = unit[0]
            row = first_part.start_point[0]
            key = None
            if cache is not None and not item.has_error:
                # the same text can parse differently next to an error (tree-sitter's recovery depends on what is
                # around it): items with errors are never reused, and the key holds where the unit starts and
                # what it is, not only its text (tests/robustness/test_document_sync.py found `pub` moved into an
                # ERROR before an unchanged line)
                line_start = source.rfind(b"\n", 0, first_part.start_byte) + 1
                # and what follows it: the same text may parse otherwise before another token (tree-sitter decides
                # with lookahead; `export const f = <V>(x: V) => (g(x), x)` at the end of a file with an error is a
                # type assertion, an arrow function with a type parameter before another statement)
                follows = _LOOKAHEAD.match(source, item.end_byte)
                ahead = follows.group(1) if follows is not None else b""
                text = source[line_start : item.end_byte]
                key = (
                    context if context_of is None else context_of(text, headers),
                    headers,
                    first_part.start_byte - line_start,
                    item.type,
                    len(unit),
                    text,
                    self.item_state(),
                    (ahead, root.has_error) if item.id == last else ahead,
                )
                hit = cache.get(key)
                if hit is not None:
                    then, nodes, edges, references, macros, log, known_docs = hit
                    if row != then:
                        nodes = [_moved(node, row - then) for node in nodes]
                    facts.nodes.extend(nodes)
                    facts.edges.extend(edges)
                    facts.references.extend(references)
                    facts.macro_calls += macros
                    if log:
                        self.replay(log)
                    if (
                        known_docs is not None
                        and ITEM_DOCS_UNKNOWN not in known_docs
                        and _nothing_above(source, line_start)
                    ):  # else read them again
                        for node in nodes:
                            docs_settled.add(id(node))
                            doc = known_docs.get(node.id)
                            if doc is not None:
                                docs_known[id(node)] = doc
                    fresh[key] = (row, nodes, edges, references, macros, log, known_docs)
                    continue
            counts = (len(facts.nodes), len(facts.edges), len(facts.references), facts.macro_calls)
            if key is not None:
                self.item_log, self.item_uncacheable = [], False
            for part in unit:
                if part.type not in COMMENTS:
                    run(deep.matches(part))
            if key is not None:
                log, self.item_log = self.item_log, None
                if not self.item_uncacheable:
                    item_nodes = facts.nodes[counts[0] :]
                    # its docs, filled once the file's are read (fill_item_docs), when they are its text's alone
                    item_docs: dict[bytes, str] | None = {} if _nothing_above(source, line_start) else None
                    if item_docs is not None:
                        docs_pending.append((item_nodes, item_docs))
                    fresh[key] = (
                        row,
                        item_nodes,
                        facts.edges[counts[1] :],
                        facts.references[counts[2] :],
                        facts.macro_calls - counts[3],
                        log,
                        item_docs,
                    )
        if cache is not None:
            cache.clear()
            cache.update(fresh)
            cache[ITEM_DOCS_KEY] = (docs_known, docs_settled, docs_pending)


_LOOKAHEAD = re.compile(rb"\s*(\S{0,16})")  # the first bytes of what follows an item, white space skipped
ITEM_DOCS_KEY = "\x00docs"  # in an item cache right after an extraction: what reading the file's docs can reuse
ITEM_DOCS_UNKNOWN = b"\x00unknown"  # in an item's docs: they were not read (fill_item_docs)


def _nothing_above(source: bytes, line_start: int) -> bool:
    """Whether the lines just above an item hold nothing a doc comment's reader would take: a comment or a decorator
    there is outside the item (one an error kept from being attached), so its docs would not be its text's alone."""
    end = line_start
    for _ in range(2):
        if end <= 0:
            return True
        start = source.rfind(b"\n", 0, end - 1) + 1
        text = source[start:end].strip()
        if text:
            return not (text.endswith(b"*/") or text.startswith((b"/", b"*", b"#", b"@")))
        end = start
    return True


def take_item_docs(cache: dict | None) -> tuple[dict[int, str] | None, set | None, list]:
    """What the last extraction through ``cache`` knows of its nodes' docs: (docs of reused items' nodes and those
    nodes, both by node object (``id()``), and the (nodes, docs) of items extracted anew, to fill with
    ``fill_item_docs``)."""
    found = cache.pop(ITEM_DOCS_KEY, None) if cache is not None else None
    return found if found is not None else (None, None, [])


def fill_item_docs(pending: list, docs: dict[bytes, str], kept: list[Node]) -> None:
    """Keeps, in the cache's entries of the items extracted anew, their nodes' docs. An item with a node that the
    file's facts do not keep (another node of its id came first) keeps none: its docs were not read, and are read
    when it is reused."""
    kept_objects = {id(node) for node in kept}
    for nodes, item_docs in pending:
        if any(id(node) not in kept_objects for node in nodes):
            item_docs[ITEM_DOCS_UNKNOWN] = ""
            continue
        for node in nodes:
            text = docs.get(node.id)
            if text is not None:
                item_docs[node.id] = text


COMMENTS = frozenset({"line_comment", "block_comment", "comment"})  # nothing a query looks for is in them
ATTACHED = COMMENTS | {"attribute_item", "decorator"}


def guess_methods(view, name: str, kinds, family: str, is_method, standard: frozenset[str] = frozenset()):
    """A call on a receiver of unknown type: the workspace's methods of that name, when there are few enough
    for the guess to mean something, as a `heuristic` target with the number of candidates. A name in
    ``standard`` (the methods of the language's common library types: `get`, `forEach`, `append` ...) is not
    guessed: a receiver of unknown type that calls it is as likely a map or a list as one of ours."""
    from ..graph import Target

    if name in standard:
        return None
    named = view.by_name(name, kinds, family, limit=MAX_SAME_NAMED)
    if len(named) > MAX_SAME_NAMED:
        return None  # a name this common says nothing about which one is meant
    candidates = [n for n in named if not n.external and is_method(n)]
    if 1 <= len(candidates) <= MAX_HEURISTIC_CANDIDATES:
        return Target([n.id for n in candidates], Resolution.HEURISTIC, len(candidates))
    return None


def strip_generics(text: str) -> str:
    """`Map<K, Vec<V>>::Entry` → `Map::Entry`: the text without its `<...>` arguments, nested ones included."""
    out = []
    depth = 0
    for ch in text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def units(parent: tree_sitter.Node) -> list[list[tree_sitter.Node]]:
    """A node's named children grouped into units: the attributes and comments just above an item belong to it
    (a `#[derive]` changes what a struct implements)."""
    found: list[list[tree_sitter.Node]] = []
    attached: list[tree_sitter.Node] = []
    for child in parent.named_children:
        if child.type in ATTACHED:
            attached.append(child)
            continue
        found.append(attached + [child])
        attached = []
    if attached:
        found.append(attached)
    return found


def _moved(node: Node, rows: int) -> Node:
    span = node.span
    moved = span if span is None else (span[0] + rows, span[1], span[2] + rows, span[3])
    return Node(
        node.id,
        node.kind,
        node.name,
        node.fqp,
        node.lang,
        node.file,
        moved,
        node.signature,
        node.visibility,
        node.external,
    )


def count_loc(source: bytes) -> int:
    """Lines that hold something other than white space."""
    lines = source.split(b"\n")
    return len(lines) - lines.count(b"") - sum(1 for line in lines if line and line.isspace())


def error_spans(tree: tree_sitter.Tree, lines: LineIndex, limit: int = 100) -> Iterator[tuple[int, int, int, int]]:
    """The ranges tree-sitter recovered from (ERROR and MISSING nodes), found without recursion."""
    root = tree.root_node
    if not root.has_error:
        return
    found = 0
    stack = [root]
    while stack and found < limit:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found += 1
            yield lines.span(node.start_point, node.end_point)
            continue
        if node.has_error:
            stack.extend(reversed(node.children))


def sorted_matches(query: tree_sitter.Query, root: tree_sitter.Node) -> list[tuple[int, dict[str, list]]]:
    """Query matches in document order, outer before inner."""
    cursor = tree_sitter.QueryCursor(query)
    matches = cursor.matches(root)
    return matches


def dispatch(
    matches: list[tuple[int, dict[str, list]]],
    handlers: dict[str, Callable[[tree_sitter.Node, dict], None]],
) -> None:
    """Calls, for each match, the handler of the first capture name it has that a handler is registered for."""
    for _pattern, captures in matches:
        for name, nodes in captures.items():
            handler = handlers.get(name)
            if handler is not None:
                handler(nodes[0], captures)
                break


def read_manifest(path) -> str:
    """A manifest of the workspace (Cargo.toml, tsconfig.json, go.mod): untrusted, so read only when it is a regular
    file, at most 4 MiB, never blocking (safety.py). Raises OSError otherwise: the caller leaves that file out."""
    return read_config_text(path)
