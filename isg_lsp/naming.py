"""Names the workspace decides: what a file names through other files' declarations and re-exports.

ISG-SPEC §2 names a Rust trait-impl member `<{Type} as {Trait}>::{item}` where both are definition paths; a file
that imports the type through a re-export (`use indexmap::IndexMap;`, defined as `indexmap::map::IndexMap`) cannot
know that path alone. So extraction names such items from the file (through its own imports) and records what it
asked (`FileFacts.names`: the paths each impl names, and the module they are written in), and this step answers
those requests against every file's declarations and imports, then renames the facts the graph is built from.

``Names`` keeps an index of what the extracted facts declare (types, traits, modules) and import (`use`, globs):
never of what it renames, so the index, each file's answer and the named facts are a pure function of the extracted
facts. A language answers its files' requests by reading the index through a ``NamingView`` (the SymbolView's
`lookup`, `imports`, `globs`), which records every key read: a change of a re-export or a declaration renames
exactly the files whose answers read it (``update``), so any sequence of updates ends where naming the final facts
from scratch (``load``) does.

A language takes part with four members (languages/contract.py): ``naming_declarations(facts)``, the
(FQP, kind) pairs lookups may find; ``naming_table(requests, view)``, a file's answer (empty when its extracted names
stand); ``rename_facts(facts, table)``, the facts named by an answer (extracted or named earlier facts alike: what
was renamed is kept in ``FileFacts.names``, so an empty answer gives the extracted facts back);
``naming_applied(facts)``, the answer facts were named by.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from . import languages
from .model import FileFacts

FQP_KEY = "\x00fqp:"
IMPORTS_KEY = "\x00imports:"
GLOBS_KEY = "\x00globs:"

_EMPTY: dict = {}


class NamingView:
    """What a language's ``naming_table`` reads of the workspace, each read recorded. ``lookup`` gives the FQP it
    found (as UTF-8 bytes, where a SymbolView gives node ids): that FQP is the definition path."""

    __slots__ = ("_names", "deps", "memo")

    shared = None  # resolvers' answers shared across files (SymbolView.shared): naming shares through ``memo``

    def __init__(self, names: Names, memo: dict) -> None:
        self._names = names
        self.deps: set[str] = set()
        self.memo = memo  # answers shared by the files named in one pass (with the keys they read)

    def lookup(self, fqp: str, kinds: frozenset | None = None) -> list[bytes]:
        self.deps.add(FQP_KEY + fqp)
        found = self._names.declared.get(fqp)
        if found and (kinds is None or any(kind in kinds for kind in found)):
            return [fqp.encode("utf-8", "surrogatepass")]
        return []

    def imports(self, scope: str) -> dict:
        self.deps.add(IMPORTS_KEY + scope)
        by_file = self._names.scope_imports.get(scope)
        if not by_file:
            return _EMPTY
        if len(by_file) == 1:
            return next(iter(by_file.values()))
        merged: dict = {}
        for path in sorted(by_file, reverse=True):  # the smallest path wins, as in Graph.imports_of
            merged.update(by_file[path])
        return merged

    def globs(self, scope: str) -> list[str]:
        self.deps.add(GLOBS_KEY + scope)
        by_file = self._names.scope_globs.get(scope)
        if not by_file:
            return []
        return [g for path in sorted(by_file) for g in by_file[path]]

    def cached(self, key: object, compute: Callable[[], object]) -> object:
        """``compute()`` once per pass for a question several files ask; its reads count for each of them."""
        hit = self.memo.get(key)
        if hit is None:
            outer, self.deps = self.deps, set()
            try:
                answer = compute()
                hit = self.memo[key] = (answer, frozenset(self.deps))
            finally:
                self.deps = outer | self.deps
        else:
            self.deps |= hit[1]
        return hit[0]


def _hooks(lang: str):
    """The language's support module when it takes part in naming, else None."""
    try:
        support = languages.support(lang)
    except (KeyError, ImportError):
        return None
    return support if callable(getattr(support, "naming_table", None)) else None


class Names:
    """The workspace's answers to the files' naming requests, kept current one file at a time."""

    def __init__(self) -> None:
        self.declared: dict[str, Counter] = {}  # FQP → kinds declared there (with counts)
        self.scope_imports: dict[str, dict[str, dict]] = {}  # scope → file → its import table there
        self.scope_globs: dict[str, dict[str, list[str]]] = {}
        self.tables: dict[str, dict] = {}  # file → its answer (non-empty ones only)
        self._parts: dict[str, tuple[list, dict, dict]] = {}  # file → what it put in the index
        self._requests: dict[str, tuple[Any, dict]] = {}  # file → (its language, its requests)
        self._deps: dict[str, set[str]] = {}
        self._dependents: dict[str, set[str]] = {}
        self._support: dict[str, Any] = {}

    def support_of(self, lang: str):
        if lang not in self._support:
            self._support[lang] = _hooks(lang)
        return self._support[lang]

    # ---- the facts the graph holds ----------------------------------------------------------------------

    def load(self, all_facts: Iterable[FileFacts]) -> list[FileFacts]:
        """Names every file from scratch (extracted facts, or facts named earlier): the facts to build the graph
        from, in the same order."""
        given = list(all_facts)
        extracted = []
        for facts in given:
            support = self.support_of(facts.lang)
            if support is not None:
                facts = support.rename_facts(facts, {})  # as extracted
                self._enter(facts, support)
            extracted.append((facts, support))
        memo: dict = {}
        return [
            support.rename_facts(facts, self._answer(facts.path, memo)) if support is not None else facts
            for facts, support in extracted
        ]

    def load_named(self, stored: Iterable[FileFacts]) -> list[str]:
        """A warm start: the index of facts an earlier run named (as the graph loads them). Returns the files whose
        answer now differs from the one they carry (``rename`` them)."""
        stored = list(stored)
        for facts in stored:
            support = self.support_of(facts.lang)
            if support is not None:
                self._enter(facts, support)
        memo: dict = {}
        stale = []
        for facts in stored:
            support = self.support_of(facts.lang)
            if support is not None and self._answer(facts.path, memo) != support.naming_applied(facts):
                stale.append(facts.path)
        return stale

    def update(self, path: str, facts: FileFacts | None) -> tuple[FileFacts | None, list[str]]:
        """One file's new extracted facts (None: it is gone). Returns its named facts and the other files whose
        answers changed (``rename`` each, in order)."""
        support = self.support_of(facts.lang) if facts is not None else None
        old = self._parts.pop(path, None)
        if old is not None:
            self._leave(path, old)
        asked = self._requests.pop(path, None)
        if facts is not None and support is not None:
            facts = support.rename_facts(facts, {})
            self._enter(facts, support)
        changed = _changed_keys(old, self._parts.get(path))
        memo: dict = {}
        request = self._requests.get(path)
        if (
            asked is not None
            and request is not None
            and asked[1] == request[1]
            and changed.isdisjoint(self._deps.get(path, ()))
        ):
            table = self.tables.get(path, _EMPTY)  # the edit path: the same requests, nothing they read changed
        else:
            table = self._answer(path, memo)
        named = support.rename_facts(facts, table) if support is not None and facts is not None else facts
        others: set[str] = set()
        for key in changed:
            others |= self._dependents.get(key, set())
        others.discard(path)
        renamed = []
        for other in sorted(others):
            before = self.tables.get(other, _EMPTY)
            if self._answer(other, memo) != before:
                renamed.append(other)
        return named, renamed

    def rename(self, facts: FileFacts) -> FileFacts:
        """Facts (extracted or named earlier) named by the file's current answer."""
        support = self.support_of(facts.lang)
        if support is None:
            return facts
        return support.rename_facts(facts, self.tables.get(facts.path, _EMPTY))

    # ---- the index ---------------------------------------------------------------------------------------

    def _enter(self, facts: FileFacts, support) -> None:
        path = facts.path
        parts = (list(support.naming_declarations(facts)), facts.imports, facts.glob_imports)
        self._parts[path] = parts
        for fqp, kind in parts[0]:
            kinds = self.declared.get(fqp)
            if kinds is None:
                kinds = self.declared[fqp] = Counter()
            kinds[kind] += 1
        for scope, names in parts[1].items():
            self.scope_imports.setdefault(scope, {})[path] = names
        for scope, globs in parts[2].items():
            self.scope_globs.setdefault(scope, {})[path] = globs
        if facts.names:
            self._requests[path] = (support, facts.names)

    def _leave(self, path: str, parts: tuple[list, dict, dict]) -> None:
        for fqp, kind in parts[0]:
            kinds = self.declared.get(fqp)
            if kinds is not None:
                kinds[kind] -= 1
                if kinds[kind] <= 0:
                    del kinds[kind]
                if not kinds:
                    del self.declared[fqp]
        for index, scopes in ((self.scope_imports, parts[1]), (self.scope_globs, parts[2])):
            for scope in scopes:
                by_file = index.get(scope)
                if by_file is not None:
                    by_file.pop(path, None)
                    if not by_file:
                        del index[scope]

    def _answer(self, path: str, memo: dict) -> dict:
        """Answers a file's requests again (recording what the answer read), and keeps the answer."""
        for key in self._deps.pop(path, ()):
            files = self._dependents.get(key)
            if files is not None:
                files.discard(path)
                if not files:
                    del self._dependents[key]
        request = self._requests.get(path)
        table = {}
        if request is not None:
            support, requests = request
            view = NamingView(self, memo)
            table = support.naming_table(requests, view)
            if view.deps:
                self._deps[path] = view.deps
                for key in view.deps:
                    self._dependents.setdefault(key, set()).add(path)
        if table:
            self.tables[path] = table
        else:
            self.tables.pop(path, None)
        return table


def _changed_keys(old: tuple[list, dict, dict] | None, new: tuple[list, dict, dict] | None) -> set[str]:
    """The keys whose lookups may answer differently after a file's part of the index changed."""
    empty: tuple[list, dict, dict] = ([], {}, {})
    old = old or empty
    new = new or empty
    keys: set[str] = set()
    if old[0] != new[0]:
        before, after = Counter(old[0]), Counter(new[0])
        keys.update(FQP_KEY + fqp for fqp, _kind in (before - after) + (after - before))
    for prefix, before_scopes, after_scopes in ((IMPORTS_KEY, old[1], new[1]), (GLOBS_KEY, old[2], new[2])):
        if before_scopes is not after_scopes:
            for scope in before_scopes.keys() | after_scopes.keys():
                if before_scopes.get(scope) != after_scopes.get(scope):
                    keys.add(prefix + scope)
    return keys
