/** Readable text for isg/* results (stats panel, query documents, LM tool results). No `vscode` import. */
import type {
  BlastRadiusResult,
  CallsResult,
  ContextResult,
  QueryResult,
  StatsResult,
  WhoImplementsResult,
} from "../protocol";
import { targetName } from "./locations";

const nf = new Intl.NumberFormat("en-US");

export function formatNumber(n: number | null | undefined): string {
  return typeof n === "number" && Number.isFinite(n) ? nf.format(n) : "–";
}

function ms(n: number | undefined): string {
  if (typeof n !== "number" || !Number.isFinite(n)) return "–";
  return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : nf.format(Math.round(n));
}

/** Escapes a value for a Markdown table cell. */
export function mdCell(v: unknown): string {
  let s: string;
  if (v === null || v === undefined) s = "";
  else if (typeof v === "string") s = v;
  else if (typeof v === "number" || typeof v === "boolean") s = String(v);
  else s = JSON.stringify(v);
  return s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function countsTable(title: string, counts: Record<string, number> | undefined, keyHeader: string): string[] {
  const entries = Object.entries(counts ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (entries.length === 0) return [];
  return [`### ${title}`, "", `| ${keyHeader} | count |`, "|---|---:|", ...entries.map(([k, v]) => `| ${mdCell(k)} | ${formatNumber(v)} |`), ""];
}

/** The status bar text: "$(sync~spin) ISG: indexing 40/120" or "$(type-hierarchy) ISG: 1,234 nodes". */
export function statusBarText(stats: StatsResult | null, state: "starting" | "running" | "stopped" | "failed"): string {
  if (state === "failed") return "$(error) ISG";
  if (state === "stopped") return "$(circle-slash) ISG";
  if (!stats) return "$(sync~spin) ISG: starting";
  if (stats.state === "indexing") {
    const { done, total } = stats.indexed ?? { done: 0, total: 0 };
    const pct = total > 0 ? ` ${Math.floor((100 * done) / total)}%` : "";
    return `$(sync~spin) ISG: indexing ${formatNumber(done)}/${formatNumber(total)}${pct}`;
  }
  if (stats.state === "failed") return `$(warning) ISG: index failed, ${formatNumber(stats.nodes)} nodes`;
  return `$(type-hierarchy) ISG: ${formatNumber(stats.nodes)} nodes`;
}

export function statusBarTooltip(stats: StatsResult | null): string {
  if (!stats) return "isg-lsp: waiting for the server";
  const failed =
    stats.state === "failed" ? "\nThe last index failed (see ISG: Show Server Output); answers come from the graph it had." : "";
  return (
    `isg-lsp: ${stats.state}${failed}\n${formatNumber(stats.files)} files, ${formatNumber(stats.nodes)} nodes, ` +
    `${formatNumber(stats.edges)} edges (${formatNumber(stats.heuristicEdges)} heuristic)\nClick for details`
  );
}

/** isg/stats as a Markdown document. */
export function formatStats(stats: StatsResult, when: Date = new Date()): string {
  const lines: string[] = [];
  lines.push("# ISG statistics", "");
  const state =
    stats.state === "indexing"
      ? `indexing (${formatNumber(stats.indexed?.done)}/${formatNumber(stats.indexed?.total)} files)`
      : stats.state === "failed"
        ? "index failed (answers come from the graph it had; see ISG: Show Server Output)"
        : "ready";
  lines.push(`State: **${state}** · taken ${when.toISOString()}`, "");
  lines.push("| | |", "|---|---:|");
  lines.push(`| files | ${formatNumber(stats.files)} |`);
  lines.push(`| nodes | ${formatNumber(stats.nodes)} |`);
  lines.push(`| edges | ${formatNumber(stats.edges)} |`);
  lines.push(`| heuristic edges | ${formatNumber(stats.heuristicEdges)} |`);
  lines.push(`| unresolved references | ${formatNumber(stats.unresolvedReferences)} |`);
  lines.push("");
  lines.push(...countsTable("Nodes by kind", stats.nodesByKind, "kind"));
  lines.push(...countsTable("Edges by kind", stats.edgesByKind, "kind"));
  lines.push(...countsTable("Files by language", stats.byLanguage, "language"));
  lines.push("### Database", "");
  const db = stats.database ?? { path: null, persistent: false };
  lines.push(`- path: ${db.path ? `\`${db.path}\`` : "(in memory)"}`);
  lines.push(`- persistent: ${db.persistent ? "yes" : "no"}`);
  if (db.message) lines.push(`- note: ${db.message}`);
  lines.push("");
  if (stats.latencyMs) {
    lines.push("### Latency (ms, recent operations)", "", "| operation | p50 | p95 | p99 | count |", "|---|---:|---:|---:|---:|");
    for (const [name, l] of Object.entries(stats.latencyMs)) {
      if (!l) continue;
      lines.push(`| ${mdCell(name)} | ${ms(l.p50)} | ${ms(l.p95)} | ${ms(l.p99)} | ${formatNumber(l.count)} |`);
    }
    lines.push("");
  }
  return lines.join("\n");
}

/** isg/query result as a Markdown document. */
export function formatQueryResult(query: string, result: QueryResult, maxRows = 1000): string {
  const lines: string[] = [];
  lines.push("# ISG query", "", "```", query, "```", "");
  const n = result.rows.length;
  let meta = `${n} row${n === 1 ? "" : "s"}${result.truncated ? " (truncated)" : ""} in ${ms(result.elapsedMs)} ms`;
  if (result.heuristicCount > 0) meta += ` · ${result.heuristicCount} resting on heuristic edges`;
  lines.push(meta, "");
  const columns = result.columns.length ? result.columns : n > 0 ? Object.keys(result.rows[0]) : [];
  if (n > 0 && columns.length > 0) {
    lines.push(`| ${columns.map(mdCell).join(" | ")} |`, `|${columns.map(() => "---").join("|")}|`);
    for (const row of result.rows.slice(0, maxRows)) {
      lines.push(`| ${columns.map((c) => mdCell(row[c])).join(" | ")} |`);
    }
    if (n > maxRows) lines.push("", `… ${n - maxRows} more rows not shown`);
  } else if (n === 0) {
    lines.push("_No results._");
  }
  if (result.triples) lines.push("", "## Triples", "", "```", result.triples.trimEnd(), "```");
  lines.push("");
  return lines.join("\n");
}

/** Plain text (for language models and the clipboard) of the main isg/* results. */
export function whoImplementsText(r: WhoImplementsResult): string {
  const head = `${targetName(r.target)} has ${r.implementors.length} implementor(s)` + (r.heuristicCount ? `, ${r.heuristicCount} heuristic` : "");
  const body = r.implementors.map(
    (i) => `- ${i.node.fqp} [${i.node.kindName}, ${i.edge.resolution}${i.edge.derived ? ", derived" : ""}]${locText(i.node.location)}`,
  );
  return [head + ":", ...body].join("\n");
}

export function callsText(r: CallsResult, what: "callers" | "callees"): string {
  const head = `${targetName(r.target)} has ${r.calls.length} ${what}` + (r.heuristicCount ? `, ${r.heuristicCount} heuristic` : "");
  const body = r.calls.map((c) => `- ${c.node.fqp} [${c.edge.resolution}]${locText(c.node.location)}`);
  if (r.unresolved?.length) body.push(`unresolved calls: ${r.unresolved.join(", ")}`);
  return [head + ":", ...body].join("\n");
}

export function blastRadiusText(r: BlastRadiusResult): string {
  const lines = [
    `Blast radius of ${targetName(r.target)}: ${r.total} impacted node(s)` +
      (r.heuristicCount ? `, ${r.heuristicCount} through heuristic edges` : "") +
      (r.truncated ? ` (showing ${r.impacted.length})` : "") +
      ".",
  ];
  if (r.byModule.length) lines.push("By module: " + r.byModule.map((m) => `${m.module} (${m.count})`).join(", "));
  for (const i of r.impacted) {
    lines.push(`- [d=${i.distance}, via ${i.via}${i.heuristic ? ", heuristic" : ""}] ${i.node.fqp}${locText(i.node.location)}`);
  }
  return lines.join("\n");
}

export function queryText(query: string, r: QueryResult, maxRows = 200): string {
  if (r.triples) return r.triples;
  const cols = r.columns.length ? r.columns : r.rows.length ? Object.keys(r.rows[0]) : [];
  const lines = [`Query: ${query}`, `${r.rows.length} row(s)${r.truncated ? " (truncated)" : ""}` + (r.heuristicCount ? `, ${r.heuristicCount} heuristic` : "")];
  if (cols.length) lines.push(cols.join("\t"));
  for (const row of r.rows.slice(0, maxRows)) lines.push(cols.map((c) => plain(row[c])).join("\t"));
  return lines.join("\n");
}

export function contextSummary(r: ContextResult): string {
  const ratio = Number.isFinite(r.ratio) ? `${r.ratio.toFixed(1)}×` : "–";
  return `${formatNumber(r.tokens)} tokens, ${formatNumber(r.nodes)} nodes (source: ${formatNumber(r.sourceTokens)} tokens, ${ratio} smaller)`;
}

function plain(v: unknown): string {
  if (v === null || v === undefined) return "";
  return typeof v === "string" ? v : JSON.stringify(v);
}

function locText(loc: { uri: string; range: { start: { line: number } } } | null): string {
  if (!loc) return "";
  return ` (${uriToDisplay(loc.uri)}:${loc.range.start.line + 1})`;
}

/** file:///home/x/a.rs -> /home/x/a.rs (display only). */
export function uriToDisplay(uri: string): string {
  if (!uri.startsWith("file://")) return uri;
  try {
    return decodeURIComponent(uri.replace(/^file:\/\//, ""));
  } catch {
    return uri;
  }
}

/** Most recent first, deduplicated, at most `max` entries. */
export function pushHistory(history: readonly string[], entry: string, max = 30): string[] {
  const e = entry.trim();
  if (!e) return [...history];
  return [e, ...history.filter((h) => h !== e)].slice(0, max);
}

/** A readable message for a failed request (JSON-RPC errors carry a code and a message). */
export function errorMessage(err: unknown): string {
  if (err && typeof err === "object") {
    const e = err as { message?: unknown; code?: unknown };
    if (typeof e.message === "string" && e.message) return e.message;
  }
  return String(err);
}
