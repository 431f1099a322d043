/** Builds the Blast Radius tree (modules -> impacted nodes) from an isg/blastRadius result. No `vscode` import. */
import type { BlastRadiusResult, IsgNode, Location } from "../protocol";

export interface BlastLeaf {
  fqp: string;
  label: string;
  /** e.g. "CALLS · 2 hops (heuristic)" */
  description: string;
  tooltip: string;
  kindName: string;
  heuristic: boolean;
  external: boolean;
  distance: number;
  via: string;
  location: Location | null;
}

export interface BlastGroup {
  module: string;
  count: number;
  heuristicCount: number;
  items: BlastLeaf[];
}

export interface BlastTree {
  /** one line: "demo::shapes::Shape: 4 impacted (1 heuristic)" */
  summary: string;
  groups: BlastGroup[];
  truncated: boolean;
}

export const EXTERNAL_MODULE = "(external)";
export const ROOT_MODULE = "(crate root)";

const SEPARATORS = ["::", ".", "/"];

/** Rust qualified paths like `<demo::shapes::Circle as demo::shapes::Shape>::area` -> `demo::shapes::Circle::area`. */
export function normalizeFqp(fqp: string): string {
  const m = /^<\s*([^\s<>]+)(?:\s+as\s+[^<>]+)?>(?:::(.*))?$/.exec(fqp);
  if (!m) return fqp;
  return m[2] ? `${m[1]}::${m[2]}` : m[1];
}

function parentPath(fqp: string): string | null {
  let best = -1;
  for (const sep of SEPARATORS) best = Math.max(best, fqp.lastIndexOf(sep));
  return best > 0 ? fqp.slice(0, best) : null;
}

/**
 * The module a node belongs to: the longest of `knownModules` (the result's byModule) that is a prefix of its FQP, else
 * its FQP without the last segment. Module nodes belong to themselves.
 */
export function moduleOf(node: Pick<IsgNode, "fqp" | "kind" | "external">, knownModules: readonly string[]): string {
  const fqp = normalizeFqp(node.fqp);
  let best: string | null = null;
  for (const m of knownModules) {
    if (!m) continue;
    const matches = fqp === m || SEPARATORS.some((sep) => fqp.startsWith(m + sep));
    if (matches && (best === null || m.length > best.length)) best = m;
  }
  if (best !== null) return best;
  if (node.external) return EXTERNAL_MODULE;
  if (node.kind === "M") return fqp;
  let parent = parentPath(fqp);
  // methods live in a type: walk up while the parent looks like a type (capitalised last segment)
  while (parent && /(^|::|\.)[A-Z][^:.]*$/.test(parent)) parent = parentPath(parent);
  return parent ?? ROOT_MODULE;
}

function hops(n: number): string {
  return `${n} hop${n === 1 ? "" : "s"}`;
}

export function buildBlastTree(result: BlastRadiusResult): BlastTree {
  const known = result.byModule.map((m) => m.module);
  const groups = new Map<string, BlastGroup>();
  for (const imp of result.impacted) {
    const module = moduleOf(imp.node, known);
    let g = groups.get(module);
    if (!g) {
      g = { module, count: 0, heuristicCount: 0, items: [] };
      groups.set(module, g);
    }
    g.count += 1;
    if (imp.heuristic) g.heuristicCount += 1;
    const pathText = imp.path.length ? imp.path.join(" → ") : imp.node.fqp;
    g.items.push({
      fqp: imp.node.fqp,
      label: imp.node.name || imp.node.fqp,
      description: `${imp.via} · ${hops(imp.distance)}${imp.heuristic ? " (heuristic)" : ""}${imp.node.external ? " (external)" : ""}`,
      tooltip:
        `${imp.node.kindName} ${imp.node.fqp}\n` +
        (imp.node.signature ? `${imp.node.signature}\n` : "") +
        `via ${imp.via}, ${hops(imp.distance)} from the target${imp.heuristic ? ", through a heuristic edge" : ""}\n` +
        `path: ${pathText}`,
      kindName: imp.node.kindName,
      heuristic: imp.heuristic,
      external: imp.node.external,
      distance: imp.distance,
      via: imp.via,
      location: imp.node.location,
    });
  }
  // server order for modules it ranked, then by count (descending) and name; items keep the server's ranking
  const rank = new Map(known.map((m, i) => [m, i]));
  const ordered = [...groups.values()].sort((a, b) => {
    const ra = rank.get(a.module) ?? Number.MAX_SAFE_INTEGER;
    const rb = rank.get(b.module) ?? Number.MAX_SAFE_INTEGER;
    if (ra !== rb) return ra - rb;
    if (a.count !== b.count) return b.count - a.count;
    return a.module.localeCompare(b.module);
  });
  const target = result.target.length ? result.target[0].fqp : "(target)";
  const shown = result.impacted.length;
  let summary = `${target}: ${result.total} impacted`;
  if (result.heuristicCount > 0) summary += ` (${result.heuristicCount} heuristic)`;
  if (result.truncated || shown < result.total) summary += `, showing ${shown}`;
  return { summary, groups: ordered, truncated: result.truncated };
}

/** A codicon name per node kind, for tree items. */
export function iconForKind(kindName: string, heuristic: boolean): string {
  if (heuristic) return "question";
  switch (kindName) {
    case "trait":
      return "symbol-interface";
    case "struct":
      return "symbol-struct";
    case "enum":
      return "symbol-enum";
    case "function":
      return "symbol-method";
    case "module":
      return "symbol-namespace";
    case "assoc_type":
      return "symbol-type-parameter";
    case "generic":
      return "symbol-type-parameter";
    default:
      return "symbol-misc";
  }
}
