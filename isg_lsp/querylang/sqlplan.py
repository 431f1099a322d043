"""`find` queries compiled to parameterized SQL over the read-only views (docs/sql.md), for when no in-memory graph
is at hand. User text only ever travels as bound parameters: every identifier in the SQL comes from the fixed
tables below, never from the query."""

from __future__ import annotations

from pathlib import Path

from ..sqlquery import SqlError, run_sql
from .execute import NODE_COLUMNS, QueryResult
from .syntax import And, FieldTest, Find, IsExternal, Not, Or, Query, QueryLanguageError, Relation, TargetRef

_COLUMNS = {
    "name": "n.name",
    "fqp": "n.fqp",
    "kind": "n.kind",
    "file": "coalesce(n.file, '')",
    "lang": "n.lang",
    "visibility": "coalesce(n.visibility, 'none')",
    "signature": "n.signature",
}
_ORDER = {
    "kind": "kind",
    "name": "name",
    "fqp": "fqp",
    "lang": "lang",
    "file": "file",
    "line": "line",
    "visibility": "visibility",
    "signature": "signature",
    "id": "id",
}
_FORWARD = {
    "implements": "IMPL",
    "extends": "EXTENDS",
    "accepts": "ACCEPTS",
    "returns": "RETURNS",
    "bound-by": "BOUND_BY",
    "calls": "CALLS",
    "uses": "USES",
}
_BACKWARD = {"implemented-by": "IMPL", "called-by": "CALLS", "used-by": "USES"}


class _Compiler:
    def __init__(self, db: Path, include_heuristic: bool, budget_ms: float) -> None:
        self.db = db
        self.params: list = []
        self.include_heuristic = include_heuristic
        self.budget_ms = budget_ms

    def bind(self, value) -> str:
        self.params.append(value)
        return "?"

    def condition(self, cond) -> str:
        if isinstance(cond, And):
            return "(" + " AND ".join(self.condition(c) for c in cond.items) + ")"
        if isinstance(cond, Or):
            return "(" + " OR ".join(self.condition(c) for c in cond.items) + ")"
        if isinstance(cond, Not):
            return "(NOT " + self.condition(cond.operand) + ")"
        if isinstance(cond, IsExternal):
            return "(n.external = 1)"
        if isinstance(cond, Relation):
            return self.relation(cond)
        assert isinstance(cond, FieldTest)
        column = _COLUMNS[cond.field]
        op, value = cond.op, cond.value
        if op == "=":
            return f"({column} = {self.bind(value)})"
        if op == "!=":
            return f"({column} != {self.bind(value)})"
        if op == "contains":
            return f"(instr(lower({column}), lower({self.bind(value)})) > 0)"
        if op == "starts-with":
            return f"(substr(lower({column}), 1, length({self.bind(value)})) = lower({self.bind(value)}))"
        if op == "ends-with":
            return (
                f"(length({column}) >= length({self.bind(value)}) AND "
                f"substr(lower({column}), -length({self.bind(value)})) = lower({self.bind(value)}))"
            )
        if op == "glob":
            return f"(lower({column}) GLOB lower({self.bind(value)}))"
        return f"(regexp({self.bind(value)}, {column}))"

    def targets(self, ref: TargetRef, column: str) -> str:
        """A subquery selecting the id_hex of the nodes a target names, chosen like the in-memory resolver: a
        SigHash, else an exact FQP, else a name (workspace nodes, else external ones by their last segment)."""
        text = ref.text.strip()
        if any(c in text for c in "*?["):
            return (
                f"{column} IN (SELECT id_hex FROM isg_nodes WHERE fqp GLOB {self.bind(text)} "
                f"OR name GLOB {self.bind(text)})"
            )
        for mode, sql in (
            ("id", "SELECT count(*) FROM isg_nodes WHERE id_hex = lower(?)"),
            ("fqp", "SELECT count(*) FROM isg_nodes WHERE fqp = ?"),
            ("name", "SELECT count(*) FROM isg_nodes WHERE name = ? AND external = 0"),
            ("external", "SELECT count(*) FROM isg_nodes WHERE name = ? AND external = 1"),
        ):
            if mode == "id" and not (len(text) == 32 and all(c in "0123456789abcdefABCDEF" for c in text)):
                continue
            count = run_sql(self.db, sql, limit=1, budget_ms=self.budget_ms, params=(text,)).rows[0][0]
            if count:
                where = {
                    "id": "id_hex = lower(?)",
                    "fqp": "fqp = ?",
                    "name": "name = ? AND external = 0",
                    "external": "name = ? AND external = 1",
                }[mode]
                self.params.append(text)
                return f"{column} IN (SELECT id_hex FROM isg_nodes WHERE {where})"
        raise QueryLanguageError(
            f"no node matches {text!r}", ref.pos, "give an FQP, a name or a SigHash", "unknown-target"
        )

    def relation(self, rel: Relation) -> str:
        heuristic = "" if self.include_heuristic else " AND e.resolution != 'heuristic'"
        if rel.rel == "in":
            prefix = rel.target.text.strip()
            p = [self.bind(prefix) for _ in range(5)]
            return (
                f"(n.fqp = {p[0]} OR substr(n.fqp, 1, length({p[1]}) + 2) = {p[2]} || '::' "
                f"OR substr(n.fqp, 1, length({p[3]}) + 3) = '<' || {p[4]} || '::')"
            )
        if rel.rel in _FORWARD:
            kind = self.bind(_FORWARD[rel.rel])
            own = "e.src_hex = n.id_hex"
            if rel.rel == "bound-by":
                own = "(e.src_hex = n.id_hex OR e.src_fqp = n.fqp || '::<' || substr(e.src_fqp, length(n.fqp) + 4))"
            return (
                f"EXISTS (SELECT 1 FROM isg_edges e WHERE {own} AND e.kind = {kind}{heuristic} AND "
                f"{self.targets(rel.target, 'e.dst_hex')})"
            )
        kind = self.bind(_BACKWARD[rel.rel])
        return (
            f"EXISTS (SELECT 1 FROM isg_edges e WHERE e.dst_hex = n.id_hex AND e.kind = {kind}{heuristic} AND "
            f"{self.targets(rel.target, 'e.src_hex')})"
        )


def compile_find(db: Path, query: Query, cap: int, budget_ms: float) -> tuple[str, list]:
    find = query.command
    assert isinstance(find, Find), find
    compiler = _Compiler(db, not query.exclude_heuristic, budget_ms)
    clauses = []
    if find.kinds is not None:
        kinds = sorted(find.kinds)
        clauses.append("n.kind IN (" + ", ".join(compiler.bind(k) for k in kinds) + ")")
    if not find.mentions_external:
        clauses.append("n.external = 0")
    if find.where is not None:
        clauses.append(compiler.condition(find.where))
    order = ", ".join(f"{_ORDER[key]}{' DESC' if desc else ''}" for key, desc, _pos in query.order)
    sql = (
        "SELECT n.kind AS kind, n.name AS name, n.fqp AS fqp, n.lang AS lang, min(n.file) AS file, "
        "min(n.start_line) + 1 AS line, n.visibility AS visibility, n.signature AS signature, n.id_hex AS id "
        "FROM isg_nodes n"
        + (" WHERE " + " AND ".join(clauses) if clauses else "")
        + " GROUP BY n.id_hex ORDER BY "
        + (order + ", " if order else "")
        + "fqp, id"
    )
    return sql, compiler.params


def run_find_sql(db: Path, query: Query, cap: int, budget_ms: float) -> QueryResult:
    if not isinstance(query.command, Find):
        raise QueryLanguageError(
            "without the in-memory graph only find queries can run (over SQL)",
            0,
            "open the workspace with the engine for the other commands",
            "unavailable",
        )
    limit = min(query.limit or cap, cap)
    try:
        sql, params = compile_find(db, query, cap, budget_ms)
        result = run_sql(db, sql, limit=limit, budget_ms=budget_ms, params=tuple(params))
    except SqlError as error:
        message = str(error)
        code = "budget" if message.startswith("budget exceeded") else "sql"
        raise QueryLanguageError(message, 0, None, code) from None
    rows = [dict(zip(result.columns, row)) for row in result.rows]
    return QueryResult(list(NODE_COLUMNS), rows, [], 0, result.truncated, command="find")
