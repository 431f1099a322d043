import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import {
  blastRadiusText,
  contextSummary,
  errorMessage,
  formatQueryResult,
  formatStats,
  mdCell,
  pushHistory,
  statusBarText,
  statusBarTooltip,
  whoImplementsText,
} from "../../src/logic/format";
import type { StatsResult } from "../../src/protocol";
import { node } from "./helpers";

const stats: StatsResult = {
  state: "ready",
  indexed: { done: 3, total: 3 },
  files: 3,
  nodes: 1234,
  edges: 20,
  nodesByKind: { T: 2, S: 2, F: 6 },
  edgesByKind: { IMPL: 4, CALLS: 3 },
  byLanguage: { rust: 3 },
  unresolvedReferences: 1,
  heuristicEdges: 2,
  database: { path: "/ws/.isg/isg.db", persistent: true },
  latencyMs: { update: { p50: 1.5, p95: 3, p99: 4, count: 10 }, query: { p50: 0.2, p95: 0.4, p99: 0.9, count: 7 } },
};

describe("status bar", () => {
  it("shows progress while indexing, then the node count", () => {
    assert.equal(statusBarText({ ...stats, state: "indexing", indexed: { done: 40, total: 120 } }, "running"), "$(sync~spin) ISG: indexing 40/120 33%");
    assert.equal(statusBarText(stats, "running"), "$(type-hierarchy) ISG: 1,234 nodes");
    assert.equal(statusBarText(null, "starting"), "$(sync~spin) ISG: starting");
    assert.equal(statusBarText(null, "failed"), "$(error) ISG");
  });
  it("never shows a failed index as ready", () => {
    const failed = { ...stats, state: "failed" as const };
    assert.equal(statusBarText(failed, "running"), "$(warning) ISG: index failed, 1,234 nodes");
    assert.match(statusBarTooltip(failed), /The last index failed/);
    assert.match(formatStats(failed), /State: \*\*index failed/);
    assert.doesNotMatch(formatStats(failed), /State: \*\*ready/);
  });
});

describe("formatStats", () => {
  it("renders a readable Markdown report", () => {
    const md = formatStats(stats, new Date("2025-01-01T00:00:00Z"));
    assert.match(md, /^# ISG statistics/);
    assert.match(md, /State: \*\*ready\*\*/);
    assert.match(md, /\| nodes \| 1,234 \|/);
    assert.match(md, /\| F \| 6 \|\n\| S \| 2 \|\n\| T \| 2 \|/);
    assert.match(md, /\| rust \| 3 \|/);
    assert.match(md, /path: `\/ws\/.isg\/isg.db`/);
    assert.match(md, /\| update \| 1.50 \| 3.00 \| 4.00 \| 10 \|/);
  });
  it("survives missing optional parts", () => {
    const md = formatStats({ ...stats, state: "indexing", database: { path: null, persistent: false, message: "read-only fs" } });
    assert.match(md, /indexing \(3\/3 files\)/);
    assert.match(md, /\(in memory\)/);
    assert.match(md, /note: read-only fs/);
  });
});

describe("formatQueryResult", () => {
  it("renders rows as a table and escapes cells", () => {
    const md = formatQueryResult("who-implements demo::shapes::Shape", {
      columns: ["fqp", "kind"],
      rows: [
        { fqp: "demo::shapes::Circle", kind: "struct" },
        { fqp: "a|b", kind: { x: 1 } },
      ],
      heuristicCount: 1,
      truncated: false,
      elapsedMs: 1.234,
    });
    assert.match(md, /2 rows in 1.23 ms · 1 resting on heuristic edges/);
    assert.match(md, /\| fqp \| kind \|\n\|---\|---\|/);
    assert.match(md, /\| demo::shapes::Circle \| struct \|/);
    assert.match(md, /\| a\\\|b \| \{"x":1\} \|/);
  });
  it("says so when there are no rows and shows triples", () => {
    const md = formatQueryResult("q", { columns: [], rows: [], triples: "a IMPL b\n", heuristicCount: 0, truncated: false, elapsedMs: 0 });
    assert.match(md, /_No results._/);
    assert.match(md, /## Triples\n\n```\na IMPL b\n```/);
  });
  it("mdCell flattens newlines", () => {
    assert.equal(mdCell("a\nb"), "a b");
    assert.equal(mdCell(null), "");
  });
});

describe("texts for tools and messages", () => {
  it("whoImplementsText lists implementors with resolution and location", () => {
    const text = whoImplementsText({
      target: [node("demo::shapes::Shape", "T")],
      implementors: [{ node: node("demo::shapes::Circle", "S"), edge: { kind: "IMPL", resolution: "import" } }],
      heuristicCount: 0,
    });
    assert.equal(text, "demo::shapes::Shape has 1 implementor(s):\n- demo::shapes::Circle [struct, import] (/ws/src/circle.rs:4)");
  });
  it("blastRadiusText summarises", () => {
    const text = blastRadiusText({
      target: [node("demo::shapes::Shape", "T")],
      impacted: [{ node: node("demo::report"), distance: 2, via: "CALLS", heuristic: true, path: [] }],
      byModule: [{ module: "demo", count: 1 }],
      byKind: [],
      total: 1,
      heuristicCount: 1,
      truncated: false,
    });
    assert.match(text, /^Blast radius of demo::shapes::Shape: 1 impacted node\(s\), 1 through heuristic edges\./);
    assert.match(text, /- \[d=2, via CALLS, heuristic\] demo::report/);
  });
  it("contextSummary, history and errors", () => {
    assert.equal(contextSummary({ text: "", tokens: 1500, nodes: 12, sourceTokens: 30000, ratio: 20 }), "1,500 tokens, 12 nodes (source: 30,000 tokens, 20.0× smaller)");
    assert.deepEqual(pushHistory(["b", "a"], "a"), ["a", "b"]);
    assert.deepEqual(pushHistory(["a"], "  "), ["a"]);
    assert.equal(pushHistory(Array.from({ length: 40 }, (_, i) => `q${i}`), "new", 30).length, 30);
    assert.equal(errorMessage({ code: -32602, message: "no node matches x" }), "no node matches x");
    assert.equal(errorMessage("boom"), "boom");
  });
});
