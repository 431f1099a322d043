/**
 * The isg-lsp protocol extensions, mirroring docs/protocol.md section by section.
 *
 * Keep this file in step with docs/protocol.md: every method name, params type and result type documented there has
 * its counterpart here. No `vscode` import: this module is shared by the extension, the unit tests and the
 * integration test (which talks to the real server over stdio).
 */

// ---------------------------------------------------------------------------------------------------------------------
// LSP basics (structurally identical to the LSP 3.17 types, redeclared to keep this file dependency-free)

export interface Position {
  line: number; // 0-based
  character: number; // UTF-16 code units
}

export interface Range {
  start: Position;
  end: Position;
}

export interface Location {
  uri: string;
  range: Range;
}

export interface TextDocumentIdentifier {
  uri: string;
}

// ---------------------------------------------------------------------------------------------------------------------
// Common types

/** Names a node. Exactly one of the forms is used; the first present wins (id, fqp, textDocument + position). */
export interface TargetRef {
  /** A SigHash, 32 lowercase hex digits. */
  id?: string;
  /** A fully qualified path, e.g. "axum_core::extract::FromRequest". */
  fqp?: string;
  /** With `position`: the innermost declaration at that position. */
  textDocument?: TextDocumentIdentifier;
  position?: Position;
}

export type NodeKind = "T" | "S" | "E" | "F" | "M" | "A" | "G";

export const NODE_KIND_NAMES: Readonly<Record<NodeKind, string>> = {
  T: "trait",
  S: "struct",
  E: "enum",
  F: "function",
  M: "module",
  A: "assoc_type",
  G: "generic",
};

export type Lang = "rust" | "java" | "typescript" | "javascript" | "python" | "go";

export interface IsgNode {
  id: string;
  kind: NodeKind;
  /** "trait", "struct", "enum", "function", "module", "assoc_type", "generic" */
  kindName: string;
  name: string;
  fqp: string;
  /** one of Lang; typed string so that a language added to the server does not break clients */
  lang: string;
  signature: string;
  visibility: string | null;
  /** true: outside the workspace, no location */
  external: boolean;
  location: Location | null;
}

export type EdgeKind = "CONTAINS" | "DEFINES" | "IMPL" | "EXTENDS" | "BOUND_BY" | "CALLS" | "ACCEPTS" | "RETURNS" | "USES";

export type Resolution = "exact" | "import" | "heuristic";

export interface IsgEdgeInfo {
  kind: EdgeKind;
  resolution: Resolution;
  /** heuristic edges: how many workspace nodes had that name */
  candidates?: number;
  /** IMPL edges from #[derive(...)] and the like */
  derived?: boolean;
}

export interface NodeWithEdge {
  node: IsgNode;
  edge: IsgEdgeInfo;
}

// ---------------------------------------------------------------------------------------------------------------------
// Requests

export const Methods = {
  whoImplements: "isg/whoImplements",
  callers: "isg/callers",
  callees: "isg/callees",
  blastRadius: "isg/blastRadius",
  cycles: "isg/cycles",
  search: "isg/search",
  stats: "isg/stats",
  query: "isg/query",
  sql: "isg/sql",
  context: "isg/context",
  map: "isg/map",
} as const;

export type IsgMethod = (typeof Methods)[keyof typeof Methods];

/** JSON-RPC error code the server uses for a target that names nothing and for query syntax errors. */
export const INVALID_PARAMS = -32602;

// isg/whoImplements

export type WhoImplementsParams = TargetRef & { includeHeuristic?: boolean };

export interface WhoImplementsResult {
  target: IsgNode[];
  /** sorted by fqp */
  implementors: NodeWithEdge[];
  heuristicCount: number;
}

// isg/callers and isg/callees

export type CallsParams = TargetRef & { includeHeuristic?: boolean };

export interface CallsResult {
  target: IsgNode[];
  /** callers (isg/callers) or callees (isg/callees), sorted by fqp */
  calls: NodeWithEdge[];
  heuristicCount: number;
  /** isg/callees: call names found in the body that resolve to nothing */
  unresolved?: string[];
}

// isg/blastRadius

export const DEFAULT_BLAST_EDGE_KINDS: readonly EdgeKind[] = ["CALLS", "IMPL", "EXTENDS", "ACCEPTS", "RETURNS", "USES", "BOUND_BY"];

export interface BlastRadiusParams extends TargetRef {
  /** default: initializationOptions.blastRadiusDepth (3); at most 10 */
  depth?: number;
  /** "up" (default): who depends on the target; "down": what the target depends on */
  direction?: "up" | "down";
  /** default: DEFAULT_BLAST_EDGE_KINDS */
  edgeKinds?: string[];
  /** default true */
  includeHeuristic?: boolean;
  /** default 500 */
  limit?: number;
}

export interface ImpactedNode {
  node: IsgNode;
  /** hops from the target */
  distance: number;
  /** edge kind of the last hop */
  via: string;
  /** true if any hop of its path is a heuristic edge */
  heuristic: boolean;
  /** FQPs from the target to this node */
  path: string[];
}

export interface BlastRadiusResult {
  target: IsgNode[];
  /** ranked: distance, then edge kind, then fan-in (descending), then fqp */
  impacted: ImpactedNode[];
  byModule: { module: string; count: number }[];
  byKind: { kind: string; count: number }[];
  /** before the limit */
  total: number;
  heuristicCount: number;
  truncated: boolean;
}

// isg/cycles

export interface CyclesParams {
  level?: "module" | "type" | "function";
  /** FQP prefix */
  within?: string;
  limit?: number;
}

export interface CyclesResult {
  /** largest first; `example` is one cycle path through the component, first node repeated at the end */
  cycles: { size: number; members: string[]; example: string[] }[];
}

// isg/search

export interface SearchParams {
  /** case-insensitive substring, or a glob when it contains `*` or `?` */
  pattern: string;
  kinds?: string[];
  field?: "name" | "fqp" | "signature";
  limit?: number;
}

export interface SearchResult {
  nodes: IsgNode[];
  total: number;
}

// isg/stats

export type StatsParams = Record<string, never>;

export interface LatencySummary {
  p50: number;
  p95: number;
  p99: number;
  count: number;
}

export interface StatsResult {
  /** failed: the folder's last index failed; answers come from the graph it had (docs/protocol.md) */
  state: "indexing" | "ready" | "failed";
  indexed: { done: number; total: number };
  files: number;
  nodes: number;
  edges: number;
  nodesByKind: Record<string, number>;
  edgesByKind: Record<string, number>;
  /** files per language */
  byLanguage: Record<string, number>;
  unresolvedReferences: number;
  heuristicEdges: number;
  database: { path: string | null; persistent: boolean; message?: string };
  /** over the most recent operations */
  latencyMs: {
    update: LatencySummary;
    query: LatencySummary;
  };
}

// isg/query (language: docs/query-language.md)

export interface QueryParams {
  query: string;
  format?: "json" | "triples";
  limit?: number;
}

export interface QueryResult {
  columns: string[];
  rows: Record<string, unknown>[];
  triples?: string;
  heuristicCount: number;
  truncated: boolean;
  elapsedMs: number;
}

// isg/sql

export interface SqlParams {
  sql: string;
  limit?: number;
}

export interface SqlResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
}

// isg/context

export type ContextParams = TargetRef & {
  query?: string;
  /** default 2000 */
  budgetTokens?: number;
  includeHeuristic?: boolean;
  /** more targets (any form of TargetRef.fqp): one context around all of them */
  focus?: string[];
  /** tests, examples, benches and boilerplate are ranked last unless this is true (or a target is a test) */
  includeTests?: boolean;
};

export interface ContextResult {
  /** the spec's triples followed by the signatures */
  text: string;
  tokens: number;
  nodes: number;
  sourceTokens: number;
  ratio: number;
}

// isg/map

export interface MapParams {
  /** default "api" */
  level?: "modules" | "api" | "full";
  /** default for "api": 3% of the folder's source tokens; 0: no cut */
  budgetTokens?: number;
  /** workspace-relative files or file URIs, FQPs or names, "find ..." queries */
  focus?: string[];
  modules?: string[];
  includeTests?: boolean;
}

export interface MapResult {
  text: string;
  level: string;
  tokens: number;
  units: number;
  totalUnits: number;
  omittedUnits: number;
  omittedModules: number;
  budget: number | null;
  sourceTokens: number;
  share: number;
}

/** Params and result type of every isg/* request, keyed by method name. */
export interface RequestTypes {
  "isg/whoImplements": { params: WhoImplementsParams; result: WhoImplementsResult };
  "isg/callers": { params: CallsParams; result: CallsResult };
  "isg/callees": { params: CallsParams; result: CallsResult };
  "isg/blastRadius": { params: BlastRadiusParams; result: BlastRadiusResult };
  "isg/cycles": { params: CyclesParams; result: CyclesResult };
  "isg/search": { params: SearchParams; result: SearchResult };
  "isg/stats": { params: StatsParams; result: StatsResult };
  "isg/query": { params: QueryParams; result: QueryResult };
  "isg/sql": { params: SqlParams; result: SqlResult };
  "isg/context": { params: ContextParams; result: ContextResult };
  "isg/map": { params: MapParams; result: MapResult };
}

/** Anything that can send an isg/* request: the VS Code LanguageClient, or a raw JSON-RPC connection in tests. */
export interface IsgRequester {
  request<M extends IsgMethod>(method: M, params: RequestTypes[M]["params"]): Promise<RequestTypes[M]["result"]>;
}

// ---------------------------------------------------------------------------------------------------------------------
// Client commands used by code lenses

export const Commands = {
  /** arguments: [uri: string, position: Position, locations: Location[], title: string] */
  showLocations: "isg.showLocations",
} as const;

export type ShowLocationsArgs = [uri: string, position: Position, locations: Location[], title: string];

// ---------------------------------------------------------------------------------------------------------------------
// Initialization options (initialize.initializationOptions, and workspace/didChangeConfiguration under section "isg").
// Dotted keys of the table (lenses.implementations, ...) travel as nested objects: {"lenses": {"implementations": true}}.

export const CONFIG_SECTION = "isg";

export interface InitializationOptions {
  /** null: <workspace>/.isg/isg.db */
  databasePath?: string | null;
  /** globs (gitignore syntax) of paths not to index, added to .gitignore */
  exclude?: string[];
  useGitignore?: boolean;
  lenses?: {
    implementations?: boolean;
    callers?: boolean;
    blastRadius?: boolean;
  };
  blastRadiusDepth?: number;
  includeHeuristic?: boolean;
  maxFileBytes?: number;
}

export const DEFAULT_INITIALIZATION_OPTIONS: Readonly<Required<InitializationOptions>> = {
  databasePath: null,
  exclude: ["target/", "node_modules/", ".git/"],
  useGitignore: true,
  lenses: { implementations: true, callers: true, blastRadius: true },
  blastRadiusDepth: 3,
  includeHeuristic: true,
  maxFileBytes: 2000000,
};
