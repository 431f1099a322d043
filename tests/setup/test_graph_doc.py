"""docs/graph.md, the repository's own reference of the graph, stays in step with the code (`isg_lsp/model.py`)
and, where the contract is at hand (`shared/ISG-SPEC.md` beside the repository, as the project's developers and CI
have it), with the contract: its kinds, its clarifications and its service levels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from isg_lsp.model import EdgeKind, NodeKind, Resolution
from tests.setup.conftest import REPO

DOC = REPO / "docs" / "graph.md"

# Each clarification of the contract (ISG-SPEC §1, by its bold title) and words of docs/graph.md that carry it.
# A new clarification fails the test until the doc says it too and a line is added here.
CLARIFICATIONS = {
    "Derived implementations.": ["**Derived implementations.**", '"derived": true'],
    "Type parameters in signatures.": ["**Type parameters.**", "BOUND_BY to the other G node"],
    "Rust method-level bounds belong to the method.": ["**Rust bounds of methods**"],
    "Rust projections.": ["**Rust projections.**", "never becomes an external node of its own"],
    "Rust impls on references.": ["**Rust impls on references.**", "<[u8] as Compare>::compare"],
    "Rust items written inside macro calls.": ["Items written inside a Rust macro call", "*generates*"],
    "Rust names live in namespaces.": ["**Rust namespaces.**", "never hides either"],
    "TypeScript overloads are one node.": ["**TypeScript overloads** are one F node", "**Java overloads** stay"],
    "TypeScript members written as properties.": ["constructor parameter properties", "`declare global {}`"],
    "USES sources.": ["a type alias (or an associated type with a default) → the types of its definition"],
    "Python names.": ["Python's `int`, `float`, `str`, `bool`, `bytes`, `complex`, `None`, `object`",
                      "`self.x: T = ...`", "reach `Enum` (through workspace classes too)"],
    "Calls.": ["implicit `super()`", "never `exact`"],
    "Go.": ["**Go.** IMPL is structural", "`Stream.<T>`", "`M ~map[K]V` and `S ~[]E` give none",
            "`error` and `comparable` are external"],
    "Identity.": ["Nodes with equal `(lang, kind, fqp, signature)` are one node"],
}


def table_rows(text: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after `heading`, as lists of cells."""
    section = text.split(heading, 1)[1]
    rows = []
    for line in section.splitlines():
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
        elif rows:
            break
    return rows[2:]


def test_node_kinds_match_the_code():
    rows = table_rows(DOC.read_text(), "### Node kinds")
    assert [(row[0], row[1]) for row in rows] == [(kind.value, kind.long_name) for kind in NodeKind]
    assert all(len(row) == 7 for row in rows)     # code, kind, and one column per language family


def test_edge_kinds_and_resolutions_match_the_code():
    text = DOC.read_text()
    assert [row[0] for row in table_rows(text, "### Edge kinds")] == [kind.value for kind in EdgeKind]
    assert [row[0].strip("`") for row in table_rows(text, "### Resolution labels")] == [r.value for r in Resolution]


def test_the_repository_points_at_its_own_reference():
    for name in ("README.md", "ARCHITECTURE.md", "docs/adding-a-language.md"):
        text = (REPO / name).read_text()
        assert "../shared/" not in text, f"{name} points at the contract outside the repository"
    assert "docs/graph.md" in (REPO / "README.md").read_text()
    assert "docs/graph.md" in (REPO / "ARCHITECTURE.md").read_text()


def find_spec() -> Path | None:
    for candidate in (REPO.parent / "shared" / "ISG-SPEC.md", Path("/work/shared/ISG-SPEC.md")):
        if candidate.is_file():
            return candidate
    return None


SPEC = find_spec()
needs_spec = pytest.mark.skipif(SPEC is None, reason="the contract (shared/ISG-SPEC.md) is not beside this clone: "
                                                     "it is the project's, not the repository's")


@needs_spec
def test_kinds_match_the_contract():
    spec = SPEC.read_text()
    doc = DOC.read_text()
    spec_nodes = [(row[0], row[1]) for row in table_rows(spec, "### Node kinds")]
    assert spec_nodes == [(row[0], row[1]) for row in table_rows(doc, "### Node kinds")]
    assert [row[0] for row in table_rows(spec, "### Edge kinds")] == [row[0] for row in table_rows(doc, "### Edge kinds")]
    for label in ("`exact`", "`import`", "`heuristic`"):
        assert label in spec


@needs_spec
def test_every_clarification_of_the_contract_is_in_the_doc():
    spec = SPEC.read_text()
    clarifications = spec.split("### Clarifications", 1)[1].split("\n## ", 1)[0]
    titles = re.findall(r"^- \*\*(.+?)\*\*", clarifications, re.M)
    assert titles, "no clarifications found in the contract"
    new = [t for t in titles if t not in CLARIFICATIONS]
    assert not new, f"the contract has clarifications docs/graph.md does not carry yet: {new}"
    doc = DOC.read_text()
    missing = {t: [w for w in CLARIFICATIONS[t] if w not in doc] for t in titles}
    assert not {t: w for t, w in missing.items() if w}, missing


@needs_spec
def test_service_levels_match_the_contract():
    def targets(text: str) -> list[tuple[str, ...]]:
        """The seeds' target and the goal of each row of the service-level table, parentheses left out."""
        rows = table_rows("\n" + text[text.index("| measure |"):], "\n")
        return [tuple(re.sub(r"\s*\(.*?\)", "", cell).strip() for cell in row[1:3]) for row in rows]

    assert targets(DOC.read_text()) == targets(SPEC.read_text())
