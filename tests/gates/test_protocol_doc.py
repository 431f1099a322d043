"""docs/protocol.md and the server's code say the same thing: every `isg/*` request, every field of its params and
results (camelCase on the wire), the lens command and the initialization options with their defaults. The VS Code
client has the same check on its side (client-vscode/test/unit/contract.test.ts)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from isg_lsp.analysis import Analysis
from isg_lsp.engine import Engine
from isg_lsp.server import convert
from isg_lsp.server import protocol as P
from isg_lsp.server.options import InitOptions

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "protocol.md").read_text(encoding="utf-8")
SERVER = (REPO / "isg_lsp" / "server" / "server.py").read_text(encoding="utf-8")
DEMO = REPO / "tests" / "fixtures" / "rust" / "demo"

Shape = dict[str, Any]  # a documented object type: field name → its type text, or the nested object's shape


# ---- reading the TypeScript-like types of the doc --------------------------------------------------------------


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*", "", re.sub(r"/\*.*?\*/", "", text, flags=re.S))


def _balanced(text: str, start: int) -> int:
    """The index just past the brace that closes the one at ``start``."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    raise ValueError(f"unbalanced braces in {text[start : start + 80]!r}")


def shape(body: str) -> Shape:
    """The members of an object type's body (what stands between its braces)."""
    body = _strip_comments(body)
    members: list[str] = []
    depth, current = 0, ""
    for char in body:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and char in ";\n":
            members.append(current)
            current = ""
        else:
            current += char
    members.append(current)
    out: Shape = {}
    for member in members:
        match = re.match(r"\s*(\w+)\??\s*:\s*(.*)", member, re.S)
        if match is None:
            continue
        name, kind = match.group(1), match.group(2).strip()
        out[name] = shape(kind[1 : _balanced(kind, 0) - 1]) if kind.startswith("{") else kind
    return out


def interfaces() -> dict[str, Shape]:
    """Every `interface X { ... }` of the doc (a name declared twice, as StatsResult is, gets both parts)."""
    found: dict[str, Shape] = {}
    for match in re.finditer(r"interface (\w+)(?: extends (\w+))? \{", DOC):
        start = match.end() - 1
        body = shape(DOC[start + 1 : _balanced(DOC, start) - 1])
        if match.group(2):
            body = {**found[match.group(2)], **body}
        found[match.group(1)] = {**found.get(match.group(1), {}), **body}
    return found


def section(method: str) -> str:
    """The doc's section of a request (up to the next heading)."""
    start = DOC.index(f"### `{method}`")
    return DOC[start : DOC.index("\n#", start + 4)]


def inline(text: str, label: str) -> Shape:
    """The inline object type after `Params:` or `Result:` in a section, with `TargetRef &` expanded."""
    match = re.search(rf"{label}:\s*`(TargetRef & )?\{{", text)
    assert match is not None, f"no inline {label} in {text[:60]!r}"
    start = match.end() - 1
    body = shape(text[start + 1 : _balanced(text, start) - 1])
    return {**interfaces()["TargetRef"], **body} if match.group(1) else body


def fields(cls: type) -> set[str]:
    return {P._to_camel(a.name) for a in attrs.fields(cls)}


def names(doc_shape: Shape) -> set[str]:
    return set(doc_shape)


# ---- the checks ---------------------------------------------------------------------------------------------------


def test_every_documented_request_is_served_and_no_other():
    documented = set(re.findall(r"`(isg/[A-Za-z]+)`", DOC))
    assert documented == set(P.ISG_PARAMS)
    for method in documented:
        assert f'"{method}"' in SERVER, f"{method} is not registered in server.py"


PARAMS = [
    ("isg/whoImplements", P.WhoImplementsParams),
    ("isg/callers", P.CallsParams),
    ("isg/cycles", P.CyclesParams),
    ("isg/search", P.SearchParams),
    ("isg/stats", P.StatsParams),
    ("isg/query", P.QueryParams),
    ("isg/sql", P.SqlParams),
    ("isg/context", P.ContextParams),
]


@pytest.mark.parametrize(("method", "cls"), PARAMS, ids=[m for m, _ in PARAMS])
def test_inline_params_match_the_params_classes(method, cls):
    text = section(method if method != "isg/callers" else "isg/callers` and `isg/callees")
    assert names(inline(text, "Params")) == fields(cls)


def test_interfaces_match_the_attrs_classes():
    docs = interfaces()
    target = names(docs["TargetRef"])
    assert fields(P.TargetParams) == target | {"includeHeuristic"}
    assert fields(P.BlastRadiusParams) == names(docs["BlastRadiusParams"])
    pairs: list[tuple[Shape | str, type]] = [
        (docs["IsgNode"], P.IsgNode),
        (docs["IsgEdgeInfo"], P.IsgEdgeInfo),
        (docs["WhoImplementsResult"], P.WhoImplementsResult),
        (docs["WhoImplementsResult"]["implementors"], P.NodeWithEdge),
        (docs["CallsResult"], P.CallsResult),
        (docs["BlastRadiusResult"], P.BlastRadiusResult),
        (docs["BlastRadiusResult"]["impacted"], P.ImpactedNode),
        (docs["BlastRadiusResult"]["byModule"], P.ModuleCount),
        (docs["BlastRadiusResult"]["byKind"], P.KindCount),
        (docs["StatsResult"], P.StatsResult),
        (docs["StatsResult"]["indexed"], P.Progress),
        (docs["StatsResult"]["database"], P.DatabaseInfo),
        (docs["StatsResult"]["latencyMs"], P.Latencies),
        (docs["StatsResult"]["latencyMs"]["update"], P.LatencySummary),
        (docs["StatsResult"]["folders"], P.FolderStats),
    ]
    for doc_shape, cls in pairs:
        assert isinstance(doc_shape, dict), cls
        assert names(doc_shape) == fields(cls), cls.__name__


def test_optional_result_fields_are_the_documented_optional_ones():
    """`field?:` in the doc ⇔ omitted from the JSON when absent (``protocol._opt``)."""
    for name, cls in (("IsgEdgeInfo", P.IsgEdgeInfo), ("CallsResult", P.CallsResult)):
        block = DOC[DOC.index(f"interface {name} {{") :]
        block = block[: block.index("\n}")]
        optional = set(re.findall(r"^\s*(\w+)\?:", block, re.M))
        marked = {P._to_camel(a.name) for a in attrs.fields(cls) if a.metadata.get("omit_if_none")}
        assert optional == marked, name


def test_inline_results_match_the_attrs_classes():
    cycles = inline(section("isg/cycles"), "Result")
    assert names(cycles) == fields(P.CyclesResult)
    assert names(cycles["cycles"]) == fields(P.CycleInfo)  # `{ ... }[]`: the element's shape
    assert names(inline(section("isg/search"), "Result")) == fields(P.SearchResult)


@pytest.fixture(scope="module")
def demo() -> Analysis:
    engine = Engine(DEMO, persist=False)
    engine.index()
    return Analysis(engine)


def test_results_built_by_their_modules_have_the_documented_fields(demo):
    """isg/query, isg/sql and isg/context send the JSON of querylang, sqlquery and context: what the analysis gives."""
    query = demo.query_json("who-implements demo_crate::shapes::Shape", triples=True)
    documented = names(inline(section("isg/query"), "Result"))
    assert documented <= set(query) and set(query) - documented <= {"total", "summary", "notes", "text"}
    context = demo.context("demo_crate::shapes::Shape", budget_tokens=300).to_json()
    assert set(context) == names(inline(section("isg/context"), "Result"))
    sql_fields = names(inline(section("isg/sql"), "Result"))
    assert sql_fields == {"columns", "rows", "truncated"}  # what handlers.sql builds from SqlResult
    assert {f.name for f in dataclasses.fields(_sql_result_type())} >= {"columns", "rows", "truncated"}


def _sql_result_type() -> type:
    from isg_lsp.engine import SqlResult

    return SqlResult


def test_the_lens_command_is_documented():
    assert f"`{convert.SHOW_LOCATIONS}`" in DOC


def test_initialization_options_and_their_defaults():
    rows = re.findall(r"^\| `([A-Za-z.]+)` \| [^|]+ \| `([^`]*)` \|", DOC, re.M)
    assert len(rows) >= 9
    defaults = InitOptions()
    documented = set()
    for key, default in rows:
        value: Any = defaults
        for part in key.split("."):
            value = getattr(value, re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), part))
        assert value == json.loads(default), key
        documented.add(key)
    declared = set()
    for f in dataclasses.fields(InitOptions):
        inner = getattr(defaults, f.name)
        camel = P._to_camel(f.name)
        if dataclasses.is_dataclass(inner):
            declared |= {f"{camel}.{P._to_camel(g.name)}" for g in dataclasses.fields(inner)}
        else:
            declared.add(camel)
    assert documented == declared
