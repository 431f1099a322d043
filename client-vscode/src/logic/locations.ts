/** Location shapes of the protocol (plain JSON) and checks on them. No `vscode` import. */
import type { IsgNode, Location, NodeWithEdge, Position, Range, ShowLocationsArgs } from "../protocol";

function isPosition(v: unknown): v is Position {
  const p = v as Position;
  return typeof p === "object" && p !== null && Number.isInteger(p.line) && Number.isInteger(p.character);
}

function isRange(v: unknown): v is Range {
  const r = v as Range;
  return typeof r === "object" && r !== null && isPosition(r.start) && isPosition(r.end);
}

export function isLocation(v: unknown): v is Location {
  const l = v as Location;
  return typeof l === "object" && l !== null && typeof l.uri === "string" && isRange(l.range);
}

/**
 * Validates the arguments of the `isg.showLocations` lens command: [uri, position, locations, title].
 * Returns a readable reason when they do not fit, so the client can report it instead of failing silently.
 */
export function parseShowLocationsArgs(args: readonly unknown[]): { ok: true; value: ShowLocationsArgs } | { ok: false; reason: string } {
  const [uri, position, locations, title] = args;
  if (typeof uri !== "string") return { ok: false, reason: "argument 1 (uri) is not a string" };
  if (!isPosition(position)) return { ok: false, reason: "argument 2 (position) is not an LSP position" };
  if (!Array.isArray(locations)) return { ok: false, reason: "argument 3 (locations) is not an array" };
  const bad = locations.findIndex((l) => !isLocation(l));
  if (bad >= 0) return { ok: false, reason: `argument 3 (locations): item ${bad} is not an LSP location` };
  return { ok: true, value: [uri, position, locations as Location[], typeof title === "string" ? title : ""] };
}

/** Locations of the nodes that have one (external nodes have none), in order, without duplicates. */
export function nodeLocations(nodes: readonly IsgNode[]): Location[] {
  const seen = new Set<string>();
  const out: Location[] = [];
  for (const n of nodes) {
    if (!n.location) continue;
    const key = `${n.location.uri}#${n.location.range.start.line}:${n.location.range.start.character}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(n.location);
  }
  return out;
}

export function edgeListLocations(list: readonly NodeWithEdge[]): Location[] {
  return nodeLocations(list.map((x) => x.node));
}

/** "2 implementations (1 heuristic, 1 external)" style summaries. */
export function countLabel(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

export function describeEdgeList(list: readonly NodeWithEdge[], heuristicCount: number, singular: string, plural?: string): string {
  const external = list.filter((x) => !x.node.location).length;
  const extras: string[] = [];
  if (heuristicCount > 0) extras.push(`${heuristicCount} heuristic`);
  if (external > 0) extras.push(`${external} without location`);
  return countLabel(list.length, singular, plural) + (extras.length ? ` (${extras.join(", ")})` : "");
}

/** A short, readable name for a target list: "demo::shapes::Shape" or "Shape (+1 more)". */
export function targetName(target: readonly IsgNode[]): string {
  if (target.length === 0) return "(unknown target)";
  return target[0].fqp + (target.length > 1 ? ` (+${target.length - 1} overloads)` : "");
}
