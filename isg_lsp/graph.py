"""The hot layer: the whole ISG in memory, changed one file at a time by graph surgery.

The graph is a pure function of the files' facts: ``Graph.replace_file`` removes what a file contributed, adds what
it contributes now, and re-resolves exactly the references, in this file and in others, whose answer may have
changed. Which others is known exactly: every lookup a resolver makes goes through a ``SymbolView`` that records
the keys it asked about (an FQP, a name, "too many of a name", a type's trait-impl members, a module's imports),
and a change announces the keys it touched.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain

from .model import Edge, EdgeKind, FileFacts, Node, NodeKind, Resolution, sighash

IMPORTS_KEY = "\x00imports:"
FQP_KEY = "\x00fqp:"  # a lookup by FQP depends on the nodes with exactly that FQP
MANY_KEY = "\x00many:"  # a lookup by name that found "too many" depends only on such nodes going away
MEMBER_KEY = "\x00member:"  # the members of a type's trait implementations, `<T as _>::name`
GLOBS_KEY = "\x00globs:"


def fqp_key(fqp: str) -> str:
    """The last segment of an FQP in any language (the name of an external node made from an FQP)."""
    cut = max(fqp.rfind("::") + 2 if "::" in fqp else 0, fqp.rfind(".") + 1)
    if fqp.endswith(">") and "::<" in fqp:  # a generic parameter, owner::<T>
        cut = fqp.rfind("::<") + 2
    return fqp[cut:]


@dataclass(slots=True)
class Target:
    """What a resolver found for one end of a reference."""

    ids: list[bytes]  # workspace nodes; empty when external
    resolution: Resolution
    candidates: int | None = None
    external_fqp: str | None = None  # set when the target is outside the workspace
    external_kind: NodeKind | None = None


Ids = tuple[bytes, ...] | set[bytes]  # the ids under a key of an FQP or name index (any iterable of them)
_TUPLE_IDS = 8


@dataclass(slots=True)
class FileState:
    facts: FileFacts
    edges: list[Edge] = field(default_factory=list)  # edges this file contributes, resolved
    # external nodes its edges point at (with repeats), when the file was not resolved here one reference at a time
    # (a warm start, or a language resolved file by file); else ``ref_ext`` holds them
    externals: list[bytes] = field(default_factory=list)
    # keys its resolution looked up: a set, or after a bulk load a tuple (a set per file was 11 MB at rust-500k)
    deps: set[str] | tuple[str, ...] = field(default_factory=set)
    unresolved: int = 0
    # Per reference, parallel to ``facts.references``, when the file was resolved one question at a time (languages
    # with a question key, ``memo_key_for``): what each reference gave, so that a change re-resolves only the
    # references whose lookups it touched. ``None`` when the file was loaded resolved (a warm start) or resolved as
    # a whole (languages whose resolvers share memos across references): a change re-resolves all of it then.
    ref_edges: list | None = None  # the edges it gave (one as itself, more as a tuple), or None when it did not resolve
    ref_ext: list | None = None  # a tuple of the external nodes it counted (usually empty)
    ref_keys: list | None = None  # a tuple of the keys its question looked up (shared by same questions)

    def external_ids(self) -> Iterable[bytes]:
        """The external nodes this file's resolution counted (with repeats)."""
        if self.ref_ext is not None:
            return chain.from_iterable(self.ref_ext)
        return self.externals


class SymbolView:
    """What resolvers may read of the workspace; every read is recorded as a dependency of the file resolved."""

    __slots__ = ("_graph", "deps", "memo", "shared")

    def __init__(self, graph: "Graph", shared: dict | None = None) -> None:
        self._graph = graph
        self.deps: set[str] = set()
        # resolvers may cache answers here: a view lives for one file's resolution, while the graph stands still
        self.memo: dict[object, object] = {}
        # while a whole workspace is resolved (``Graph.load``: every symbol is in place and none changes until the
        # last file is resolved), resolvers may share answers across files here, each with the keys it looked up,
        # which a hit must add to ``deps`` (rust.lookup_absolute); None otherwise
        self.shared = shared

    def lookup(self, fqp: str, kinds: frozenset[NodeKind] | None = None) -> list[bytes]:
        """Ids of workspace nodes with this FQP (and one of these kinds), sorted."""
        self.deps.add(FQP_KEY + fqp)
        ids = self._graph.fqp_index.get(fqp)
        if not ids:
            return []
        nodes = self._graph.nodes
        if len(ids) == 1:  # the usual case: no sort, no generator
            for i in ids:
                return [i] if kinds is None or nodes[i].kind in kinds else []
        return sorted(i for i in ids if kinds is None or nodes[i].kind in kinds)

    def imports(self, scope: str) -> dict[str, str]:
        """The names a module imports (``use``, ``import``), local name → target path."""
        self.deps.add(IMPORTS_KEY + scope)
        return self._graph.imports_of(scope)

    def globs(self, scope: str) -> list[str]:
        self.deps.add(GLOBS_KEY + scope)
        return self._graph.globs_of(scope)

    def by_name(
        self, name: str, kinds: frozenset[NodeKind], lang_family: str | None = None, limit: int | None = None
    ) -> list[Node]:
        """Workspace nodes with this name and one of these kinds, sorted by FQP then id. With a ``limit``, more
        matches than that give ``limit + 1`` nodes in no particular order (the caller only needs "too many")."""
        ids = self._graph.name_index.get(name)
        if not ids:
            self.deps.add(name)
            return []
        nodes = self._graph.nodes
        family_of = self._graph.family_of
        found = []
        for i in ids:
            node = nodes[i]
            if node.kind in kinds and (lang_family is None or family_of(node.lang) == lang_family):
                found.append(node)
                if limit is not None and len(found) > limit:
                    # "too many" stays true while nodes of this name are only added or replaced: the answer
                    # depends on the name's nodes going away, not on every new one (`clone`, `new`, ...)
                    self.deps.add(MANY_KEY + name)
                    return found
        self.deps.add(name)
        found.sort(key=lambda n: (n.fqp, n.id))
        return found

    def impl_members(self, type_fqp: str, name: str, kinds: frozenset[NodeKind]) -> list[Node]:
        """The members named ``name`` of the trait implementations of a type (`<type_fqp as Trait>::name`),
        sorted; depends on exactly those members, not on every node of that name."""
        self.deps.add(MEMBER_KEY + type_fqp + "::" + name)
        ids = self._graph.name_index.get(name)
        if not ids:
            return []
        prefix = f"<{type_fqp} as "
        nodes = self._graph.nodes
        found = [nodes[i] for i in ids if nodes[i].kind in kinds and nodes[i].fqp.startswith(prefix)]
        found.sort(key=lambda n: (n.fqp, n.id))
        return found

    def node(self, node_id: bytes) -> Node:
        return self._graph.nodes[node_id]


_EMPTY: dict[str, str] = {}


class KeyFiles:
    """Dependency key → the files whose resolution looked it up. Most keys have one file (rust-100k: 17,387 of
    22,184), held as the path itself; more as a set (a set per key, 216 bytes even with one file in it, was 3.8 MB of a
    100 MB index)."""

    __slots__ = ("_files",)

    def __init__(self) -> None:
        self._files: dict[str, str | set[str]] = {}

    def add(self, key: str, path: str) -> None:
        files = self._files.get(key)
        if files is None:
            self._files[key] = path
        elif type(files) is str:
            if files != path:
                self._files[key] = {files, path}
        else:
            files.add(path)  # type: ignore[union-attr]

    def discard(self, key: str, path: str) -> None:
        files = self._files.get(key)
        if files is None:
            return
        if type(files) is str:
            if files == path:
                del self._files[key]
            return
        files.discard(path)  # type: ignore[union-attr]
        if len(files) == 1:
            self._files[key] = next(iter(files))
        elif not files:
            del self._files[key]

    def files(self, key: str) -> Collection[str]:
        files = self._files.get(key)
        if files is None:
            return ()
        return (files,) if type(files) is str else files

    def __len__(self) -> int:
        return len(self._files)


class Graph:
    """Nodes, edges and symbol tables of the workspace, with per-file surgery."""

    SHARE_ANSWERS = True  # ``load`` lets resolvers share answers across files (tests turn it off to compare)

    def __init__(self, resolver_for=None, family_of=None, memo_key_for=None, path_lookup=None) -> None:
        # resolver_for(lang) -> callable(ref, view, facts) -> (Target | None, Target | None) for (src, dst)
        self._resolver_for = resolver_for
        # memo_key_for(lang) -> None, or callable(ref) -> a hashable key holding everything that language's
        # resolver reads of a reference (two references with one key get one answer)
        self._memo_key_for = memo_key_for
        self._family_of = family_of or (lambda lang: lang)
        # path_lookup(graph, path) -> node ids a path names through re-exports (`serde::Serialize` is
        # `serde::ser::Serialize`), for queries given a path that is no node's FQP; None: FQPs only
        self.path_lookup = path_lookup
        self._families: dict[str, str] = {}
        self.files: dict[str, FileState] = {}
        self.nodes: dict[bytes, Node] = {}
        self.node_owners: dict[bytes, int] = {}  # how many definitions (files) hold a workspace node
        self.external_refs: dict[bytes, int] = {}  # how many edges point at an external node
        # FQP or name → node ids: a tuple while few (one, nearly always), a set beyond (``_index_add``)
        self.fqp_index: dict[str, Ids] = {}  # workspace nodes only
        self.name_index: dict[str, Ids] = {}  # workspace nodes only
        self.external_fqp_index: dict[str, Ids] = {}
        # scope -> file -> what that file imports into the scope (usually one file per scope)
        self.scope_imports: dict[str, dict[str, dict[str, str]]] = {}
        self.scope_globs: dict[str, dict[str, list[str]]] = {}
        self.out_edges: dict[bytes, dict[tuple[str, bytes], Edge]] = {}
        self.in_edges: dict[bytes, dict[tuple[str, bytes], Edge]] = {}
        # relations several files write → how many (one file's relations, nearly all, are not counted here)
        self._edge_refs: dict[tuple[bytes, str, bytes], int] = {}
        self._edge_total = 0  # relations in the adjacency
        # a relation that several files write, with each file's edge (rare: conflicting impls, say)
        self._edge_variants: dict[tuple[bytes, str, bytes], list[Edge]] = {}
        self._dependents = KeyFiles()  # key -> files whose resolution looked it up
        self.version = 0  # bumped by every change
        # bumped by every change but one that leaves every node id and every relation as it was (an edit inside a
        # body whose references resolve as before): what derives from the adjacency and the nodes' ids, kinds and
        # FQPs alone (fan-ins, hubs, modules) holds while it stays (queries.structure_memo)
        self.structure_version = 0
        self._shared_answers: dict | None = None  # resolvers' answers shared across files during ``load``

    def family_of(self, lang: str) -> str:
        family = self._families.get(lang)
        if family is None:
            family = self._families[lang] = self._family_of(lang)
        return family

    def imports_of(self, scope: str) -> dict[str, str]:
        by_file = self.scope_imports.get(scope)
        if not by_file:
            return _EMPTY
        if len(by_file) == 1:
            return next(iter(by_file.values()))
        merged: dict[str, str] = {}
        for path in sorted(by_file, reverse=True):  # the smallest path wins, whatever the order of surgery
            merged.update(by_file[path])
        return merged

    def globs_of(self, scope: str) -> list[str]:
        by_file = self.scope_globs.get(scope)
        if not by_file:
            return []
        return [g for path in sorted(by_file) for g in by_file[path]]

    # ---- reading -------------------------------------------------------------------------------------------

    def node(self, node_id: bytes) -> Node | None:
        return self.nodes.get(node_id)

    def by_fqp(self, fqp: str, include_external: bool = True) -> list[Node]:
        ids = set(self.fqp_index.get(fqp, ()))
        if include_external:
            ids.update(self.external_fqp_index.get(fqp, ()))
        return sorted((self.nodes[i] for i in ids), key=lambda n: (n.external, n.id))

    def successors(self, node_id: bytes, kinds: Iterable[EdgeKind] | None = None) -> Iterator[Edge]:
        adjacency = self.out_edges.get(node_id)
        if not adjacency:
            return iter(())
        if kinds is None:
            return iter(adjacency.values())
        wanted = _wanted(kinds)
        return (edge for (kind, _dst), edge in adjacency.items() if kind in wanted)

    def predecessors(self, node_id: bytes, kinds: Iterable[EdgeKind] | None = None) -> Iterator[Edge]:
        adjacency = self.in_edges.get(node_id)
        if not adjacency:
            return iter(())
        if kinds is None:
            return iter(adjacency.values())
        wanted = _wanted(kinds)
        return (edge for (kind, _src), edge in adjacency.items() if kind in wanted)

    def edges(self) -> Iterator[Edge]:
        for adjacency in self.out_edges.values():
            yield from adjacency.values()

    def edge_count(self) -> int:
        return self._edge_total

    def unresolved_count(self) -> int:
        return sum(state.unresolved for state in self.files.values())

    def dependents_of(self, key: str) -> set[str]:
        return set(self._dependents.files(key))

    def doc_of(self, node: Node) -> str | None:
        """The first paragraph of a node's doc comment (``FileFacts.docs``), if its file has one for it."""
        state = self.files.get(node.file) if node.file is not None else None
        return state.facts.docs.get(node.id) if state is not None else None

    def nodes_in_file(self, path: str) -> list[Node]:
        state = self.files.get(path)
        if state is None:
            return []
        return [self.nodes[n.id] for n in state.facts.nodes if n.id in self.nodes]

    # ---- surgery -------------------------------------------------------------------------------------------

    def load(self, all_facts: Iterable[FileFacts]) -> None:
        """Builds the graph from scratch: every file's nodes first, then every file's references."""
        states = []
        tuples: dict = {}
        for facts in all_facts:
            facts.share_strings(tuples)
            state = FileState(facts)
            self.files[facts.path] = state
            self._add_symbols(facts)
            states.append(state)
        # the symbols stand still until every file is resolved: resolvers may share answers (SymbolView.shared)
        self._shared_answers = {} if self.SHARE_ANSWERS else None
        try:
            for state in states:
                self._resolve_into(state)
                state.deps = tuple(state.deps)
        finally:
            self._shared_answers = None
        self.version += 1
        self.structure_version += 1

    def load_resolved(self, files: list[tuple[FileFacts, list[Edge], list[str], int]], externals: list[Node]) -> None:
        """Builds the graph from what a previous resolution gave (a warm start): every file's nodes, its edges and
        the keys its resolution looked up, with no resolution at all. The result equals ``load`` of the same
        facts when the stored edges came from a resolution of the same files."""
        states = []
        tuples: dict = {}
        for facts, edges, deps, unresolved in files:
            facts.share_strings(tuples)
            state = FileState(facts)
            self.files[facts.path] = state
            self._add_symbols(facts)
            states.append((state, edges, deps, unresolved))
        external_ids = set()
        for node in externals:
            if node.id not in self.nodes:
                self.nodes[node.id] = node
                _index_add(self.external_fqp_index, node.fqp, node.id)
            external_ids.add(node.id)
        for state, edges, deps, unresolved in states:
            state.edges = edges
            for edge in edges:
                self._add_edge(edge)
                for end in (edge.src, edge.dst):
                    if end in external_ids:
                        state.externals.append(end)
                        self.external_refs[end] = self.external_refs.get(end, 0) + 1
            state.deps = tuple(map(sys.intern, dict.fromkeys(deps)))
            state.unresolved = unresolved
            for key in state.deps:
                self._dependents.add(key, state.facts.path)
        for node_id in external_ids:  # stored externals no edge uses any more
            if not self.external_refs.get(node_id):
                gone = self.nodes.pop(node_id, None)
                if gone is not None:
                    _discard(self.external_fqp_index, gone.fqp, node_id)
        self.version += 1
        self.structure_version += 1

    def replace_file(self, facts: FileFacts | None, path: str | None = None) -> set[str]:
        """Replaces one file's contribution (``None``: the file is gone). Returns the files whose edges changed.

        Which lookups the change may answer differently is known exactly (``_changed_keys``: what the file declares
        and imports, before and after); the file itself and every file whose resolution asked one of those keys are
        re-resolved, and where the file was resolved one question at a time (``FileState.ref_keys``) only the
        references whose questions asked them: a reference object the item cache kept in place, or any reference
        of another file, whose lookups touched none of the changed keys keeps its edges."""
        path = facts.path if facts is not None else path
        assert path is not None
        old = self.files.pop(path, None)
        touched = {path}
        structure = True  # node ids or relations may have changed
        if old is not None and facts is not None and old.facts.lang == facts.lang:
            changed_keys = _changed_keys(old.facts, facts)
            if changed_keys:
                self._remove_symbols(old.facts)
                self._add_symbols(facts)
                swapped = False
            else:  # the same declarations and imports (an edit inside a body)
                swapped = self._swap_symbols(old.facts, facts)
            state = FileState(facts)
            self.files[path] = state
            edges_changed = self._resolve_into(state, previous=old, changed=changed_keys)
            structure = edges_changed or not swapped
        else:
            changed_keys = set()
            if old is not None:
                self._remove_resolved(old)
                self._remove_symbols(old.facts)
                changed_keys |= _symbol_keys(old.facts)
            if facts is not None:
                state = FileState(facts)
                self.files[path] = state
                self._add_symbols(facts)
                changed_keys = _changed_keys(old.facts, facts) if old is not None else _symbol_keys(facts)
                self._resolve_into(state)
        dependents: set[str] = set()
        for key in changed_keys:
            dependents.update(self._dependents.files(key))
        dependents.discard(path)
        for other in sorted(dependents):
            dependent = self.files.get(other)
            if dependent is None:
                continue
            state = FileState(dependent.facts)
            self.files[other] = state
            if self._resolve_into(state, previous=dependent, changed=changed_keys):
                touched.add(other)
                structure = True
        self.version += 1
        if structure:
            self.structure_version += 1
        return touched

    def _add_symbols(self, facts: FileFacts) -> None:
        for node in facts.nodes:
            count = self.node_owners.get(node.id, 0)
            self.node_owners[node.id] = count + 1
            if count == 0:
                self.nodes[node.id] = node
                _index_add(self.fqp_index, node.fqp, node.id)
                _index_add(self.name_index, node.name, node.id)
            elif _prefer(node, self.nodes[node.id]):
                # the same id declared twice (cfg'd twins): the first definition in path order stands for both
                self.nodes[node.id] = node
        for scope, names in facts.imports.items():
            self.scope_imports.setdefault(scope, {})[facts.path] = names
        for scope, globs in facts.glob_imports.items():
            self.scope_globs.setdefault(scope, {})[facts.path] = globs

    def _swap_symbols(self, old: FileFacts, new: FileFacts) -> bool:
        """For two versions of a file that declare the same ids and imports: the new node objects (new spans).
        An id other files declare too (a Java package's module, declared by each of its files) keeps the node that
        stands for it: the first declaration in path order, whose file decides before its span does, so the spans
        of this file's declaration change nothing unless it is that one. Returns False when the general path
        (remove, then add) was taken: an id declared twice in the file, or a declaration the graph does not hold."""
        replaced = self._swappable(old, new)
        if replaced is None:
            self._remove_symbols(old)
            self._add_symbols(new)
            return False
        nodes = self.nodes
        for node in replaced:
            nodes[node.id] = node
        for scope, names in new.imports.items():
            self.scope_imports[scope][new.path] = names
        for scope, globs in new.glob_imports.items():
            self.scope_globs[scope][new.path] = globs
        return True

    def _swappable(self, old: FileFacts, new: FileFacts) -> list[Node] | None:
        """The new nodes that stand for their ids in place of the old ones, or None when the swap cannot be made."""
        if len({n.id for n in new.nodes}) != len(new.nodes) or len({n.id for n in old.nodes}) != len(old.nodes):
            return None
        nodes, owners, path = self.nodes, self.node_owners, new.path
        replaced = []
        for node in new.nodes:
            current = nodes.get(node.id)
            if current is None:
                return None
            if current.file == path:  # this file's declaration stands for the id
                replaced.append(node)
            elif owners.get(node.id, 0) <= 1:
                return None
        return replaced

    def _remove_symbols(self, facts: FileFacts) -> None:
        for node in facts.nodes:
            count = self.node_owners.get(node.id, 0) - 1
            if count > 0:
                self.node_owners[node.id] = count
                if self.nodes[node.id] is node:
                    self._elect_definition(node.id, facts.path)
                continue
            self.node_owners.pop(node.id, None)
            self.nodes.pop(node.id, None)
            _discard(self.fqp_index, node.fqp, node.id)
            _discard(self.name_index, node.name, node.id)
        for scope in facts.imports:
            by_file = self.scope_imports.get(scope)
            if by_file is not None:
                by_file.pop(facts.path, None)
                if not by_file:
                    del self.scope_imports[scope]
        for scope in facts.glob_imports:
            globs_by_file = self.scope_globs.get(scope)
            if globs_by_file is not None:
                globs_by_file.pop(facts.path, None)
                if not globs_by_file:
                    del self.scope_globs[scope]

    def _elect_definition(self, node_id: bytes, leaving: str) -> None:
        best = None
        for path, state in self.files.items():
            if path == leaving:
                continue
            for node in state.facts.nodes:
                if node.id == node_id and (best is None or _prefer(node, best)):
                    best = node
        if best is not None:
            self.nodes[node_id] = best

    def _resolve_into(
        self, state: FileState, previous: FileState | None = None, changed: set[str] | None = None
    ) -> bool:
        """Resolves a file's references into its edges and puts them in the adjacency, in place of ``previous``'s
        (the same file's state before, or None). Where both were resolved one question at a time, a reference of
        ``previous`` still in the facts (the same object) whose question looked up none of the ``changed`` keys keeps
        its result; only the difference between the two versions' edges reaches the adjacency. Returns whether the
        file's edges changed."""
        facts = state.facts
        resolve = self._resolver_for(facts.lang) if self._resolver_for else None
        key_of = self._memo_key_for(facts.lang) if self._memo_key_for is not None else None
        if resolve is None or key_of is None:
            self._resolve_whole(state, resolve)
        else:
            self._resolve_by_question(state, resolve, key_of, previous, changed)
        return self._apply(state, previous)

    def _resolve_by_question(
        self, state: FileState, resolve, key_of, previous: FileState | None, changed: set[str] | None
    ) -> None:
        facts = state.facts
        refs = facts.references
        count = len(refs)
        todo: Iterable[int]
        if previous is not None and previous.ref_edges is not None and previous.ref_keys is not None:
            old_refs = previous.facts.references
            old_edges, old_ext, old_keys = previous.ref_edges, previous.ref_ext, previous.ref_keys
            assert old_ext is not None
            if old_refs is refs:  # another file's change: the same references, a few questions asked again
                ref_edges, ref_ext, ref_keys = list(old_edges), list(old_ext), list(old_keys)
                todo = [i for i, keys in enumerate(old_keys) if not changed.isdisjoint(keys)] if changed else []
                for i in todo:
                    ref_ext[i] = ()
            else:
                # this file's edit: the references of items the item cache kept are the same objects; those of items
                # extracted again are matched by value (the question and both ends), so that an item extracted anew
                # but unchanged (a new declaration changes every item's context) keeps its answers
                ref_edges, ref_ext, ref_keys = [None] * count, [()] * count, [()] * count
                where = {id(ref): i for i, ref in enumerate(old_refs)}
                missed = []
                for i, ref in enumerate(refs):
                    j = where.pop(id(ref), None)
                    if j is not None and (not changed or changed.isdisjoint(old_keys[j])):
                        ref_edges[i], ref_ext[i], ref_keys[i] = old_edges[j], old_ext[j], old_keys[j]
                    else:
                        missed.append(i)
                todo = []
                if missed and where:
                    by_value: dict[tuple, list[int]] = {}
                    for j in where.values():  # old references no longer there as such
                        if not changed or changed.isdisjoint(old_keys[j]):
                            by_value.setdefault(_ref_value(old_refs[j], key_of), []).append(j)
                    for i in missed:
                        same = by_value.get(_ref_value(refs[i], key_of)) if by_value else None
                        if same:
                            j = same.pop()
                            ref_edges[i], ref_ext[i], ref_keys[i] = old_edges[j], old_ext[j], old_keys[j]
                        else:
                            todo.append(i)
                else:
                    todo = missed
        else:
            ref_edges, ref_ext, ref_keys = [None] * count, [()] * count, [()] * count
            todo = range(count)
        external_refs = self.external_refs
        for kept in filter(None, ref_ext):  # what the kept results count again (``previous`` lets go of its own)
            for node_id in kept:
                external_refs[node_id] = external_refs.get(node_id, 0) + 1
        # references that ask the same question get the same answer within one file (the graph does not change
        # in between but for external nodes, which resolve to the same ids): each question is answered once, through
        # a view of its own, so that the keys it looked up are its own
        memo: dict = {}
        intern = sys.intern
        lang = facts.lang
        for i in todo:
            ref = refs[i]
            question = key_of(ref)
            hit = memo.get(question)
            if hit is None:
                view = SymbolView(self, self._shared_answers)
                answer = resolve(ref, view, facts)
                hit = memo[question] = (answer, tuple(map(intern, view.deps)))
                view.memo.clear()  # a resolver's memo may hold what holds the view (Go's type system): no cycle left
            (src_target, dst_target), keys = hit
            ref_keys[i] = keys
            externals: list[bytes] = []
            src_ids = [ref.src] if ref.src is not None else self._target_ids(src_target, lang, externals)
            dst_ids = [ref.dst] if ref.dst is not None else self._target_ids(dst_target, lang, externals)
            ref_ext[i] = tuple(externals) if externals else ()
            ref_edges[i] = _ref_edges(ref, src_ids, dst_ids, src_target, dst_target)
        state.ref_edges, state.ref_ext, state.ref_keys = ref_edges, ref_ext, ref_keys
        state.unresolved = ref_edges.count(None)
        state.edges = _file_edges(facts.edges, filter(None, ref_edges))
        unique = {id(keys): keys for keys in ref_keys}
        state.deps = set(chain.from_iterable(unique.values()))

    def _resolve_whole(self, state: FileState, resolve) -> None:
        """A file resolved through one view (languages whose resolvers memoize across references)."""
        facts = state.facts
        view = SymbolView(self)
        unresolved = 0
        found = []
        for ref in facts.references:
            if resolve is None:
                unresolved += 1
                continue
            src_target, dst_target = resolve(ref, view, facts)
            src_ids = [ref.src] if ref.src is not None else self._target_ids(src_target, facts.lang, state.externals)
            dst_ids = [ref.dst] if ref.dst is not None else self._target_ids(dst_target, facts.lang, state.externals)
            edges = _ref_edges(ref, src_ids, dst_ids, src_target, dst_target)
            if edges is None:
                unresolved += 1
            elif edges:
                found.append(edges)
        view.memo.clear()  # no cycle through a resolver's memo outlives the file's resolution
        state.edges = _file_edges(facts.edges, found)
        state.unresolved = unresolved
        state.deps = {sys.intern(key) for key in view.deps}

    def _apply(self, state: FileState, previous: FileState | None) -> bool:
        """Puts a newly resolved state's edges, external nodes and dependencies in place of ``previous``'s."""
        path = state.facts.path
        dependents = self._dependents
        changed = True
        if previous is None:
            for edge in state.edges:
                self._add_edge(edge)
            for key in state.deps:
                dependents.add(key, path)
        else:
            before = {id(edge) for edge in previous.edges}
            after = {id(edge) for edge in state.edges}
            added = [edge for edge in state.edges if id(edge) not in before]
            removed = [edge for edge in previous.edges if id(edge) not in after]
            for edge in removed:  # first: an edge of the same relation found anew replaces the old
                self._remove_edge(edge)
            for edge in added:
                self._add_edge(edge)
            changed = {_edge_value(e) for e in added} != {_edge_value(e) for e in removed} or len(state.edges) != len(
                previous.edges
            )
            self._drop_externals(previous.external_ids())
            old_deps = previous.deps if isinstance(previous.deps, set) else set(previous.deps)
            new_deps = state.deps if isinstance(state.deps, set) else set(state.deps)
            for key in new_deps - old_deps if old_deps else new_deps:
                dependents.add(key, path)
            for key in old_deps - new_deps:
                dependents.discard(key, path)
        return changed

    def _target_ids(self, target: Target | None, lang: str, externals: list[bytes]) -> list[bytes]:
        if target is None:
            return []
        if target.ids:
            return target.ids
        if target.external_fqp is None:
            return []
        kind = target.external_kind or NodeKind.STRUCT
        fqp = target.external_fqp
        node_id = sighash(lang, kind.value, fqp, "")
        if node_id not in self.nodes:
            name = fqp_key(fqp)
            self.nodes[node_id] = Node(node_id, kind, name, fqp, lang, None, None, "", None, True)
            # external nodes stay out of the symbol tables resolvers read: resolution must not depend on them
            _index_add(self.external_fqp_index, fqp, node_id)
        self.external_refs[node_id] = self.external_refs.get(node_id, 0) + 1
        externals.append(node_id)
        return [node_id]

    def _remove_resolved(self, state: FileState) -> None:
        for edge in state.edges:
            self._remove_edge(edge)
        state.edges = []
        self._drop_externals(state.external_ids())
        state.externals = []
        state.ref_edges = state.ref_ext = state.ref_keys = None
        self._drop_deps(state)

    def _drop_externals(self, externals: Iterable[bytes]) -> None:
        for node_id in externals:
            count = self.external_refs.get(node_id, 0) - 1
            if count > 0:
                self.external_refs[node_id] = count
                continue
            self.external_refs.pop(node_id, None)
            node = self.nodes.get(node_id)
            if node is not None and node.external:
                del self.nodes[node_id]
                _discard(self.external_fqp_index, node.fqp, node_id)

    def _drop_deps(self, state: FileState) -> None:
        for key in state.deps:
            self._dependents.discard(key, state.facts.path)
        state.deps = set()

    def _add_edge(self, edge: Edge) -> None:
        key = edge.key
        out = self.out_edges.get(edge.src)
        shown = out.get((key[1], edge.dst)) if out is not None else None
        if shown is None:  # one file writes this relation (most do): its count is not kept
            self._edge_total += 1
            self._show_edge(edge)
            return
        self._edge_refs[key] = self._edge_refs.get(key, 1) + 1
        # several files write this relation: the adjacency shows the surest of their edges, whatever order the files
        # came in (the first one added used to stay, so an update differed from a fresh index on its label)
        variants = self._edge_variants.get(key)
        if variants is None:
            variants = self._edge_variants[key] = [shown]
        variants.append(edge)
        self._show_edge(min(variants, key=_edge_order))

    def _show_edge(self, edge: Edge) -> None:
        kind = edge.kind
        self.out_edges.setdefault(edge.src, {})[(kind, edge.dst)] = edge
        self.in_edges.setdefault(edge.dst, {})[(kind, edge.src)] = edge

    def _remove_edge(self, edge: Edge) -> None:
        key = edge.key
        count = self._edge_refs.get(key)
        if count is not None:  # written by several files: one fewer
            if count > 2:
                self._edge_refs[key] = count - 1
            else:
                del self._edge_refs[key]
            variants = self._edge_variants.get(key)
            if variants is not None:
                if edge in variants:
                    variants.remove(edge)
                self._show_edge(min(variants, key=_edge_order))
                if len(variants) <= 1:
                    del self._edge_variants[key]
            return
        self._edge_variants.pop(key, None)
        out = self.out_edges.get(edge.src)
        if out is not None and out.pop((key[1], edge.dst), None) is not None:
            self._edge_total -= 1
            if not out:
                del self.out_edges[edge.src]
        inc = self.in_edges.get(edge.dst)
        if inc is not None:
            inc.pop((key[1], edge.src), None)
            if not inc:
                del self.in_edges[edge.dst]

    # ---- comparison (tests and self-checks) ----------------------------------------------------------------

    def snapshot(self) -> tuple[dict[bytes, tuple], set[tuple]]:
        """Nodes and edges as plain values, for comparing two graphs."""
        nodes = {
            i: (n.kind, n.name, n.fqp, n.lang, n.file, n.span, n.signature, n.visibility, n.external)
            for i, n in self.nodes.items()
        }
        edges = {(e.src, e.kind, e.dst, e.resolution, e.candidates, e.derived) for e in self.edges()}
        return nodes, edges


_RESOLUTION_RANK = {Resolution.EXACT: 0, Resolution.IMPORT: 1, Resolution.HEURISTIC: 2}


def _edge_order(edge: Edge) -> tuple[int, bool, int]:
    """Which of several files' edges for one relation the graph shows: the surest label, then a written (not
    derived) relation, then the fewest candidates."""
    return (_RESOLUTION_RANK[edge.resolution], edge.derived, edge.candidates or 0)


_WANTED: dict[object, frozenset[str]] = {}


def _wanted(kinds: Iterable[EdgeKind]) -> frozenset[str]:
    """The edge kinds asked for, as the set adjacency keys are tested against (memoized for tuples and sets)."""
    try:
        found = _WANTED.get(kinds)
    except TypeError:  # a list or a generator
        return frozenset(k.value for k in kinds)
    if found is None:
        found = frozenset(k.value for k in kinds)
        if len(_WANTED) < 256:
            _WANTED[kinds] = found
    return found


def _ref_edges(
    ref, src_ids: list[bytes], dst_ids: list[bytes], src_target: Target | None, dst_target: Target | None
) -> Edge | tuple[Edge, ...] | None:
    """The edges one reference gives once its ends are known: one edge as itself (nearly every reference: a tuple
    around each was 6 MB at rust-500k), more as a tuple; None when an end did not resolve."""
    if not src_ids or not dst_ids:
        return None
    target = dst_target if ref.dst is None else src_target
    resolution = target.resolution if target is not None else Resolution.EXACT
    candidates = target.candidates if target is not None else None
    kind = ref.kind
    calls = kind is EdgeKind.CALLS
    if len(src_ids) == 1 and len(dst_ids) == 1:
        s, d = src_ids[0], dst_ids[0]
        return Edge(s, kind, d, resolution, candidates, ref.derived) if s != d or calls else ()
    return tuple(
        Edge(s, kind, d, resolution, candidates, ref.derived) for s in src_ids for d in dst_ids if s != d or calls
    )


def _file_edges(local: list[Edge], found: Iterable[Edge | tuple[Edge, ...]]) -> list[Edge]:
    """A file's edges: those extraction settled, then what its references gave, each relation once with its surest
    finding (exact, then import, then heuristic)."""
    chosen: dict[tuple[bytes, str, bytes], Edge] = {}
    rank = _RESOLUTION_RANK
    for edges in found:
        for edge in (edges,) if type(edges) is Edge else edges:  # type: ignore[union-attr]
            key = edge.key
            earlier = chosen.get(key)
            if earlier is None or rank[edge.resolution] < rank[earlier.resolution]:
                chosen[key] = edge
    if not local:
        return list(chosen.values())
    keys = {edge.key for edge in local}
    out = list(local)
    out.extend(edge for key, edge in chosen.items() if key not in keys)
    return out


def _ref_value(ref, key_of) -> tuple:
    """What a reference's result depends on besides the graph: its question and its settled ends."""
    return (key_of(ref), ref.kind, ref.src, ref.dst, ref.derived)


def _edge_value(edge: Edge) -> tuple:
    return (edge.src, edge.kind, edge.dst, edge.resolution, edge.candidates, edge.derived)


def _prefer(candidate: Node, current: Node) -> bool:
    return (candidate.file or "", candidate.span or ()) < (current.file or "", current.span or ())


def _index_add(index: dict[str, Ids], key: str, node_id: bytes) -> None:
    """Adds an id under a key of an FQP or name index: a tuple while there are few (a set of one id was 216 bytes,
    a tuple 48: 9 MB of rust-500k's indexes), a set beyond ``_TUPLE_IDS``."""
    ids = index.get(key)
    if ids is None:
        index[key] = (node_id,)
    elif type(ids) is tuple:
        if node_id not in ids:
            index[key] = ids + (node_id,) if len(ids) < _TUPLE_IDS else {*ids, node_id}
    else:
        ids.add(node_id)  # type: ignore[union-attr]


def _discard(index: dict[str, Ids], key: str, node_id: bytes) -> None:
    ids = index.get(key)
    if ids is None:
        return
    if type(ids) is tuple:
        kept = tuple(i for i in ids if i != node_id)
        if kept:
            index[key] = kept
        else:
            del index[key]
        return
    ids.discard(node_id)  # type: ignore[union-attr]
    if not ids:
        del index[key]


def _member_key(node: Node) -> str | None:
    """`<T as Trait>::name` announces itself to `impl_members(T, name)`."""
    fqp = node.fqp
    if not fqp.startswith("<"):
        return None
    middle = fqp.find(" as ")
    if middle == -1:
        return None
    return MEMBER_KEY + fqp[1:middle] + "::" + node.name


def _symbol_keys(facts: FileFacts) -> set[str]:
    keys = set()
    for node in facts.nodes:
        keys.add(FQP_KEY + node.fqp)
        keys.add(node.name)
        keys.add(MANY_KEY + node.name)
        member = _member_key(node)
        if member:
            keys.add(member)
    for scope in facts.imports:
        keys.add(IMPORTS_KEY + scope)
    for scope in facts.glob_imports:
        keys.add(GLOBS_KEY + scope)
    return keys


def _changed_keys(old: FileFacts, new: FileFacts) -> set[str]:
    """The keys whose lookups may answer differently after ``old`` is replaced by ``new``."""
    old_ids = {n.id: n for n in old.nodes}
    new_ids = {n.id: n for n in new.nodes}
    keys = set()
    balance: dict[tuple, int] = {}
    for node_id in old_ids.keys() ^ new_ids.keys():
        removed = node_id in old_ids
        node = old_ids[node_id] if removed else new_ids[node_id]
        keys.add(FQP_KEY + node.fqp)
        keys.add(node.name)
        member = _member_key(node)
        if member:
            keys.add(member)
        group = (node.name, node.kind, node.lang)
        balance[group] = balance.get(group, 0) + (-1 if removed else 1)
    for (name, _kind, _lang), change in balance.items():
        if change < 0:  # fewer nodes of this name: a "too many" answer may no longer hold
            keys.add(MANY_KEY + name)
    for scope in old.imports.keys() | new.imports.keys():
        if old.imports.get(scope) != new.imports.get(scope):
            keys.add(IMPORTS_KEY + scope)
    for scope in old.glob_imports.keys() | new.glob_imports.keys():
        if old.glob_imports.get(scope) != new.glob_imports.get(scope):
            keys.add(GLOBS_KEY + scope)
    return keys
