"""The MCP tools: names, descriptions, input schemas, argument checks, and the compact text each answer is given as.

A tool is a ``ToolSpec``: its JSON schema (what ``tools/list`` shows), the adapter function it calls and a formatter
that turns the adapter's plain data into text for a model. Arguments are checked against the schema here, before
anything runs, so that a malformed call is answered with what was wrong and what to send instead. Knows nothing of
the SDK: ``server.py`` wires these into it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from . import adapter
from .adapter import ToolError

TARGET = {
    "type": "string",
    "minLength": 1,
    "maxLength": 2000,
    "description": "FQP (crate::mod::Type, pkg.Class.method), bare name, partial path (Type::method), SigHash or glob",
}
EXCLUDE_HEURISTIC = {"type": "boolean", "default": False, "description": "leave out edges guessed by name (marked ?)"}


def _limit(default: int) -> dict:
    return {"type": "integer", "minimum": 1, "maximum": 1000, "default": default, "description": "rows at most"}


QUERY_DESCRIPTION = """\
Ask the workspace's Interface Signature Graph (declarations, signatures and their relations; no bodies) one query \
in its query language. Commands:
  who-implements T | callers F [depth N] | callees F [depth N]
  blast-radius X [depth N] [direction up|down] [via CALLS,IMPL,...] | path A to B [via ...]
  cycles [module|type|function] [in M] | context X [budget N]
  find KINDS [where COND]   KINDS: trait struct enum function module assoc_type generic, or *
COND: FIELD OP VALUE | implements X | implemented-by X | extends X | calls X | called-by X | accepts X | returns X \
| uses X | used-by X | bound-by X | in module M | is external; combine with and, or, not, ( ).
FIELD: name fqp kind file lang visibility signature. OP: = != contains starts-with ends-with glob regex.
Modifiers: limit N | order by KEY [desc] | format triples | exclude heuristic.
Targets: FQP, bare name, partial path (Type::method), SigHash or glob (crate::*). Quote values with spaces.
Example: find struct where implements Serialize and in module serde::de. Rows marked ? rest on a heuristic edge."""


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    schema: dict
    run: Callable  # (live, view, **arguments) -> dict
    render: Callable  # (answer dict, arguments) -> str
    needs_graph: bool = True


# ---- rendering --------------------------------------------------------------------------------------------------


def _where(row: dict) -> str:
    if row.get("file"):
        return f"  {row['file']}:{row['line']}" if row.get("line") else f"  {row['file']}"
    return "  (external)"


def _heuristic(row: dict) -> bool:
    return row.get("resolution") == "heuristic" or bool(row.get("heuristic"))


def _targets_line(answer: dict) -> str:
    targets = answer.get("targets") or []
    if not targets:
        return "?"
    first = targets[0]
    text = f"{first['fqp']} [{first['kind']}{', external' if first.get('external') else ''}]"
    more = answer.get("symbolCount", 1) - 1
    return text + (f" (+{more} more symbol{'s' if more > 1 else ''} of that name)" if more > 0 else "")


def _footer(answer: dict, shown: int, what: str, narrower: str) -> list[str]:
    lines = []
    heuristic = answer.get("heuristicCount") or 0
    if heuristic:
        lines.append(
            f"{heuristic} of these {'rest' if heuristic > 1 else 'rests'} on heuristic edges (guessed by name, "
            f"marked ?): exclude_heuristic=true leaves {'them' if heuristic > 1 else 'it'} out"
        )
    if answer.get("truncated"):
        lines.append(f"showing {shown} of {answer.get('total')} {what}: raise limit (up to 1000) or {narrower}")
    lines.extend(answer.get("notes") or [])
    return lines


def render_who_implements(answer: dict, args: dict) -> str:
    rows = answer["rows"]
    lines = [f"{_targets_line(answer)}: {answer.get('total', len(rows))} implementor(s)"]
    target = None
    for row in rows:
        if answer.get("symbolCount", 1) > 1 and row.get("target") != target:
            target = row.get("target")
            lines.append(f"implementors of {target}:")
        tags = [row.get("via") or "IMPL", row.get("resolution") or ""]
        if row.get("derived"):
            tags.append("derived")
        where = _where(row)
        if "from" in row:  # a type from outside the workspace: whence, and where its impl is
            tags.append(f"external, from {row['from'] or 'an unknown crate'}")
            where = (
                f"  impl in {row['file']}" + (f":{row['line']}" if row.get("line") else "") if row.get("file") else ""
            )
        lines.append(
            f"{row['kind']} {row['fqp']} ({', '.join(t for t in tags if t)}){' ?' if _heuristic(row) else ''}{where}"
        )
    lines.extend(_footer(answer, len(rows), "implementors", "filter with isg_query 'find ... where implements X'"))
    return "\n".join(lines)


def render_callers(answer: dict, args: dict) -> str:
    rows = answer["rows"]
    depth = args.get("depth", 1)
    lines = [
        f"{_targets_line(answer)}: {answer.get('total', len(rows))} caller(s)"
        + (f" within {depth} hops" if depth > 1 else "")
    ]
    target = None
    for row in rows:
        if answer.get("symbolCount", 1) > 1 and row.get("target") != target:
            target = row.get("target")
            lines.append(f"callers of {target}:")
        hops = f"{row.get('distance')} " if depth > 1 else ""
        lines.append(f"{hops}{row['kind']} {row['fqp']}{' ?' if _heuristic(row) else ''}{_where(row)}")
    lines.extend(_footer(answer, len(rows), "callers", "lower depth"))
    return "\n".join(lines)


def render_blast_radius(answer: dict, args: dict) -> str:
    rows = answer["rows"]
    summary = answer.get("summary") or {}
    total = summary.get("total", answer.get("total", len(rows)))
    direction = args.get("direction", "up")
    distances = ", ".join(f"{d['count']} at {d['distance']}" for d in summary.get("byDistance") or [])
    lines = [
        f"{_targets_line(answer)}: {total} node(s) {'depend on it' if direction == 'up' else 'it depends on'}"
        f" within {args.get('depth', 3)} hops" + (f" ({distances})" if distances else "")
    ]
    by_module = summary.get("byModule") or []
    if by_module:
        lines.append(
            "by module: "
            + ", ".join(f"{m['module'] or '(none)'} {m['count']}" for m in by_module[:10])
            + (f", ... ({len(by_module) - 10} more modules)" if len(by_module) > 10 else "")
        )
    by_kind = summary.get("byKind") or []
    if by_kind:
        lines.append("by kind: " + ", ".join(f"{k['kind']} {k['count']}" for k in by_kind))
    if rows:
        lines.append("distance kind fqp via, grouped by module (! = a hub or external node, not walked through):")
    module = None
    for row in rows:
        if row.get("module") != module:
            module = row.get("module")
            lines.append(f"{module or '(no module)'}:")
        lines.append(
            f"  {row.get('distance')} {row['kind']} {row['fqp']} via {row.get('via')}"
            f"{' ?' if _heuristic(row) else ''}{' !' if row.get('hub') else ''}{_where(row)}"
        )
    heuristic = summary.get("heuristicCount", answer.get("heuristicCount")) or 0
    answer = dict(answer, heuristicCount=heuristic, total=answer.get("total", total))
    lines.extend(_footer(answer, len(rows), "nodes", "lower depth, direction down, or a module"))
    return "\n".join(lines)


def render_query(answer: dict, args: dict) -> str:
    if answer.get("text"):  # context
        return answer["text"].rstrip("\n")
    rows = answer["rows"]
    columns = answer["columns"]
    lines: list[str] = list(answer.get("resolvedTargets") or [])
    if answer.get("triples") is not None:
        lines.append(answer["triples"] or "(no relations)")
    elif not rows:
        lines.append("(no results)")
    else:
        lines.append("\t".join(columns))
        for row in rows:
            cells = []
            for column in columns:
                value = row.get(column)
                if value is None:
                    value = ""
                elif isinstance(value, list):
                    value = " -> ".join(str(v) for v in value)
                cells.append(str(value))
            lines.append("\t".join(cells) + (" ?" if _heuristic(row) else ""))
    summary = answer.get("summary") or {}
    for key, label in (("byModule", "by module"), ("byKind", "by kind")):
        if summary.get(key):
            lines.append(f"{label}: " + ", ".join(f"{next(iter(v.values()))} {v['count']}" for v in summary[key][:10]))
    lines.extend(_footer(answer, len(rows), "rows", "add a where clause or 'limit N'"))
    return "\n".join(lines)


def render_context(answer: dict, args: dict) -> str:
    text = answer["text"].rstrip("\n")
    return (
        f"{text}\n({answer['tokens']} of {answer['budgetTokens']} tokens, {answer['nodes']} nodes; "
        f"~heuristic marks relations guessed by name)"
    )


def render_map(answer: dict, args: dict) -> str:
    text = answer["text"].rstrip("\n") or "(no items)"
    return (
        f"{text}\n({answer['tokens']} tokens, level {answer['level']}: {answer['units']} of "
        f"{answer['totalUnits']} items shown)"
    )


def render_stats(answer: dict, args: dict) -> str:
    lines = [f"workspace {answer['workspace']}: {answer['state']}"]
    if "files" in answer:
        languages = ", ".join(f"{k} {v}" for k, v in sorted(answer["byLanguage"].items()))
        lines.append(
            f"{answer['files']} files ({languages}), {answer['linesOfCode']} lines; {answer['nodes']} nodes "
            f"(+{answer['externalNodes']} external), {answer['edges']} edges ({answer['heuristicEdges']} "
            f"heuristic), {answer['unresolvedReferences']} unresolved references"
        )
        lines.append("nodes: " + ", ".join(f"{k} {v}" for k, v in sorted(answer["nodesByKind"].items())))
        lines.append("edges: " + ", ".join(f"{k} {v}" for k, v in sorted(answer["edgesByKind"].items())))
    database = answer["database"]
    lines.append(f"database ({database['mode']}): {database['description']}")
    index = answer["index"]
    if index.get("parsed") is not None:
        lines.append(f"last index: {index['seconds']} s, {index['parsed']} files parsed, {index['reused']} reused")
    if index.get("error"):
        lines.append(f"indexing failed: {index['error']}")
    watcher = answer["watcher"]
    latency = watcher["updateLatencyMs"]
    lines.append(
        f"watching files: {watcher['kind']}; {watcher['filesUpdated']} file updates applied"
        + (f", the last {watcher['lastUpdateSecondsAgo']} s ago" if watcher["lastUpdateSecondsAgo"] is not None else "")
        + (f"; file event -> graph p50 {latency['p50']} ms, p99 {latency['p99']} ms" if latency["n"] else "")
    )
    answers = answer.get("answerLatencyMs") or {}
    if answers.get("n"):
        lines.append(f"answers (server side, {answers['n']} so far): p50 {answers['p50']} ms, p99 {answers['p99']} ms")
    return "\n".join(lines)


# ---- the tools ----------------------------------------------------------------------------------------------------


def _object(properties: dict, required: list[str]) -> dict:
    return {"type": "object", "properties": properties, "required": required, "additionalProperties": False}


TOOLS: list[ToolSpec] = [
    ToolSpec(
        "isg_query",
        "ISG query",
        QUERY_DESCRIPTION,
        _object(
            {
                "query": {"type": "string", "minLength": 1, "maxLength": 10000, "description": "one query"},
                "limit": _limit(100),
            },
            ["query"],
        ),
        lambda live, view, query, limit=100: adapter.query(view, query, limit),
        render_query,
    ),
    ToolSpec(
        "isg_who_implements",
        "Who implements",
        "Types that implement or extend a trait/interface/class; for a trait method, the methods implementing it. "
        "Rows marked ? rest on a heuristic edge (a guess by name).",
        _object({"target": TARGET, "exclude_heuristic": EXCLUDE_HEURISTIC, "limit": _limit(50)}, ["target"]),
        lambda live, view, target, exclude_heuristic=False, limit=50: adapter.who_implements(
            view, target, exclude_heuristic, limit
        ),
        render_who_implements,
    ),
    ToolSpec(
        "isg_callers",
        "Callers",
        "Functions that call a function or method: depth 1 for direct callers, more for callers of callers. "
        "Unresolved calls are never guessed; ? marks method calls matched by name on a receiver of unknown type. "
        "(Callees: isg_query 'callees X'.)",
        _object(
            {
                "target": TARGET,
                "depth": {"type": "integer", "minimum": 1, "maximum": 10, "default": 1, "description": "hops"},
                "exclude_heuristic": EXCLUDE_HEURISTIC,
                "limit": _limit(50),
            },
            ["target"],
        ),
        lambda live, view, target, depth=1, exclude_heuristic=False, limit=50: adapter.callers(
            view, target, depth, exclude_heuristic, limit
        ),
        render_callers,
    ),
    ToolSpec(
        "isg_blast_radius",
        "Blast radius",
        "What a change to a symbol may affect: direction up = what depends on it (callers, implementors, users of "
        "the type in signatures and fields), down = what it depends on; up to depth hops. A summary first (counts "
        "by distance, module and kind), then the nearest nodes grouped by module within budget_tokens; module= "
        "gives one module's nodes. Stops at external types and hubs (nodes most of the workspace depends on, marked "
        "!) unless through_hubs. ? marks a path through a heuristic edge.",
        _object(
            {
                "target": TARGET,
                "depth": {"type": "integer", "minimum": 1, "maximum": 10, "default": 3, "description": "hops"},
                "direction": {"type": "string", "enum": ["up", "down"], "default": "up"},
                "exclude_heuristic": EXCLUDE_HEURISTIC,
                "limit": _limit(50),
                "through_hubs": {
                    "type": "boolean",
                    "default": False,
                    "description": "walk through external types and hubs too",
                },
                "budget_tokens": {
                    "type": "integer",
                    "minimum": 50,
                    "maximum": 50000,
                    "default": 2000,
                    "description": "tokens for the listed nodes (the summary is always whole)",
                },
                "module": {
                    "type": "string",
                    "maxLength": 2000,
                    "description": "only this module's nodes (the summary still covers all)",
                },
            },
            ["target"],
        ),
        lambda live, view, target, depth=3, direction="up", exclude_heuristic=False, limit=50, through_hubs=False, budget_tokens=2000, module=None: (  # noqa: E501
            adapter.blast_radius(
                view, target, depth, direction, exclude_heuristic, limit, through_hubs, budget_tokens, module
            )
        ),
        render_blast_radius,
    ),
    ToolSpec(
        "isg_context",
        "Context for a symbol",
        "The part of the graph that matters for a symbol (or several, or a 'find ...' query), ranked and cut to a "
        "token budget: relations as triples '[kind] FQP x EDGE x [kind] FQP', then signatures with the first "
        "paragraph of their doc comments (/// ...), then the symbol's source if room is left. A trait's methods and "
        "implementors come first; tests and Debug/Display-style boilerplate last unless include_tests. Read it "
        "before changing code you have not seen.",
        _object(
            {
                "target": dict(
                    TARGET, description="an FQP, public path, name, Type::member, SigHash, or a 'find ...' query"
                ),
                "budget_tokens": {"type": "integer", "minimum": 50, "maximum": 50000, "default": 2000},
                "focus": {
                    "type": "array",
                    "items": {"type": "string", "minLength": 1, "maxLength": 2000},
                    "maxItems": 20,
                    "description": "more targets of the same context",
                },
                "include_tests": {
                    "type": "boolean",
                    "default": False,
                    "description": "rank tests and boilerplate like the rest",
                },
            },
            ["target"],
        ),
        lambda live, view, target, budget_tokens=2000, focus=None, include_tests=False: adapter.context(
            view, target, budget_tokens, focus or [], include_tests
        ),
        render_context,
    ),
    ToolSpec(
        "isg_map",
        "Architecture map",
        "The architecture as compact text: each module, then its items (kind code T trait, S struct/class, E enum, "
        "F function, A type alias; members indented) with signatures and relations after | (impl, ext, bound, "
        "calls; ~ = heuristic). level: modules (one line each), api (public items, the default) or full. Ranked and "
        "cut to max_tokens (0: no cut), around focus (a file, symbol or 'find ...' query) if given; the last line "
        "says what was left out.",
        _object(
            {
                "module": {
                    "type": "string",
                    "maxLength": 2000,
                    "description": "a module/package FQP (with its submodules); omit for the workspace",
                },
                "level": {"type": "string", "enum": ["modules", "api", "full"], "default": "api"},
                "max_tokens": {"type": "integer", "minimum": 0, "maximum": 200000, "default": 4000},
                "focus": {"type": "string", "maxLength": 2000, "description": "a file, symbol or 'find' query"},
            },
            [],
        ),
        lambda live, view, module=None, level="api", max_tokens=4000, focus=None: adapter.workspace_map(
            view, module, level, max_tokens, focus
        ),
        render_map,
    ),
    ToolSpec(
        "isg_stats",
        "Index statistics",
        "The index: files, nodes and edges by kind, heuristic edges, unresolved references; whether this server "
        "writes the database or reads one another isg-lsp process writes; file-watching figures.",
        _object({}, []),
        lambda live, view: adapter.stats(live, view),
        render_stats,
    ),
]

BY_NAME = {tool.name: tool for tool in TOOLS}


# ---- argument checks ------------------------------------------------------------------------------------------------


def check_arguments(tool: ToolSpec, arguments) -> dict:
    """The arguments, with defaults filled in, or ``ToolError`` saying what was wrong and what the tool takes."""
    schema = tool.schema
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise ToolError(f"{tool.name} takes an object of named arguments; {usage(tool)}")
    properties = schema["properties"]
    problems = []
    for name in arguments:
        if name not in properties:
            close = difflib.get_close_matches(name, list(properties), n=1)
            problems.append(f"unknown argument {name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    for name in schema["required"]:
        if arguments.get(name) is None:
            problems.append(f"{name!r} is required")
    checked = {}
    for name, spec in properties.items():
        value = arguments.get(name)
        if value is None:
            if "default" in spec:
                checked[name] = spec["default"]
            continue
        problem = _check_value(name, spec, value)
        if problem:
            problems.append(problem)
        else:
            checked[name] = value
    if problems:
        raise ToolError(f"invalid arguments for {tool.name}: {'; '.join(problems)}. {usage(tool)}")
    return checked


def _check_value(name: str, spec: dict, value) -> str | None:
    kind = spec.get("type")
    if kind == "string":
        if not isinstance(value, str):
            return f"{name!r} must be a string (got {_show(value)})"
        if len(value) < spec.get("minLength", 0) or (not value.strip() and spec.get("minLength")):
            return f"{name!r} must not be empty"
        if len(value) > spec.get("maxLength", 1 << 30):
            return f"{name!r} is longer than {spec['maxLength']} characters"
        if "enum" in spec and value not in spec["enum"]:
            return f"{name!r} must be one of {', '.join(spec['enum'])} (got {_show(value)})"
    elif kind == "integer":
        if isinstance(value, bool) or not (isinstance(value, int) or isinstance(value, float) and value.is_integer()):
            return (
                f"{name!r} must be an integer from {spec.get('minimum')} to {spec.get('maximum')} (got {_show(value)})"
            )
        if not spec.get("minimum", -(1 << 62)) <= value <= spec.get("maximum", 1 << 62):
            return f"{name!r} must be from {spec['minimum']} to {spec['maximum']} (got {_show(value)})"
    elif kind == "boolean":
        if not isinstance(value, bool):
            return f"{name!r} must be true or false (got {_show(value)})"
    elif kind == "array":
        if not isinstance(value, list) or len(value) > spec.get("maxItems", 1 << 30):
            return f"{name!r} must be a list of at most {spec.get('maxItems')} items (got {_show(value)})"
        for item in value:
            problem = _check_value(f"{name}[]", spec["items"], item)
            if problem:
                return problem
    return None


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def usage(tool: ToolSpec) -> str:
    """One line: what the tool takes."""
    parts = []
    for name, spec in tool.schema["properties"].items():
        kind = spec.get("type")
        if "enum" in spec:
            kind = "|".join(spec["enum"])
        elif kind == "integer" and "minimum" in spec:
            kind = f"integer {spec['minimum']}-{spec['maximum']}"
        required = name in tool.schema["required"]
        parts.append(f"{name}: {kind}{'' if required else ' (optional)'}")
    return f"{tool.name} takes {{{', '.join(parts)}}}" if parts else f"{tool.name} takes no arguments"


def normalized(tool: ToolSpec, checked: dict) -> dict:
    """Integers given as 3.0 become 3 (JSON numbers from some clients)."""
    out = {}
    for name, value in checked.items():
        if tool.schema["properties"].get(name, {}).get("type") == "integer" and isinstance(value, float):
            value = int(value)
        out[name] = value
    return out
