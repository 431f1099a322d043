/**
 * The Language Model Tools (contributes.languageModelTools): names, input -> isg/* request, result -> text.
 * No `vscode` import: extension/lmTools.ts registers them where `vscode.lm` exists.
 */
import { pathToFileURL } from "node:url";
import { Methods, type IsgRequester, type TargetRef } from "../protocol";
import { blastRadiusText, queryText, whoImplementsText } from "./format";

export interface SymbolInput {
  /** fully qualified path, e.g. demo::shapes::Shape */
  symbol?: string;
  /** absolute file path (or file:// URI) with a 1-based line and column, used when symbol is absent */
  file?: string;
  line?: number;
  column?: number;
}

export const ToolNames = {
  whoImplements: "isg_whoImplements",
  blastRadius: "isg_blastRadius",
  query: "isg_query",
  context: "isg_context",
} as const;

export type ToolName = (typeof ToolNames)[keyof typeof ToolNames];

/** SymbolInput -> TargetRef; throws an Error whose message tells the model what to pass. */
export function toolTarget(input: SymbolInput): TargetRef {
  if (typeof input.symbol === "string" && input.symbol.trim()) return { fqp: input.symbol.trim() };
  if (typeof input.file === "string" && input.file.trim()) {
    const line = Number(input.line ?? 1);
    const column = Number(input.column ?? 1);
    if (!Number.isInteger(line) || line < 1 || !Number.isInteger(column) || column < 1) {
      throw new Error("line and column are 1-based positive integers");
    }
    const f = input.file.trim();
    const uri = /^[a-z][a-z0-9+.-]*:\/\//i.test(f) ? f : pathToFileURL(f).href;
    return { textDocument: { uri }, position: { line: line - 1, character: column - 1 } };
  }
  throw new Error("Pass `symbol` (a fully qualified path such as crate::module::Trait) or `file` with `line` and `column`.");
}

export interface BlastToolInput extends SymbolInput {
  depth?: number;
  direction?: "up" | "down";
}

export interface QueryToolInput {
  query: string;
}

export interface ContextToolInput extends SymbolInput {
  query?: string;
  budgetTokens?: number;
}

/** Runs one tool against the server and returns the text handed to the model. */
export async function runTool(name: ToolName, input: unknown, server: IsgRequester): Promise<string> {
  const args = (input ?? {}) as Record<string, unknown>;
  switch (name) {
    case ToolNames.whoImplements: {
      const r = await server.request(Methods.whoImplements, { ...toolTarget(args as SymbolInput) });
      return whoImplementsText(r);
    }
    case ToolNames.blastRadius: {
      const a = args as BlastToolInput;
      const params = { ...toolTarget(a), ...(a.depth ? { depth: Math.min(10, Math.max(1, Math.round(a.depth))) } : {}), ...(a.direction ? { direction: a.direction } : {}) };
      const r = await server.request(Methods.blastRadius, params);
      return blastRadiusText(r);
    }
    case ToolNames.query: {
      const q = (args as unknown as QueryToolInput).query;
      if (typeof q !== "string" || !q.trim()) throw new Error("Pass `query`, e.g. `who-implements crate::module::Trait` (see docs/query-language.md).");
      const r = await server.request(Methods.query, { query: q });
      return queryText(q, r);
    }
    case ToolNames.context: {
      const a = args as ContextToolInput;
      let target: TargetRef = {};
      try {
        target = toolTarget(a);
      } catch (e) {
        if (!a.query) throw e;
      }
      const r = await server.request(Methods.context, {
        ...target,
        ...(a.query ? { query: a.query } : {}),
        ...(a.budgetTokens ? { budgetTokens: Math.max(100, Math.round(a.budgetTokens)) } : {}),
      });
      return r.text;
    }
    default:
      throw new Error(`unknown tool ${String(name)}`);
  }
}

/** A one-line description for the "running tool" message. */
export function toolInvocationMessage(name: ToolName, input: unknown): string {
  const a = (input ?? {}) as Record<string, unknown>;
  const what = typeof a.symbol === "string" ? a.symbol : typeof a.file === "string" ? `${a.file}:${str(a.line)}` : "";
  switch (name) {
    case ToolNames.whoImplements:
      return `Finding implementations of ${what}`;
    case ToolNames.blastRadius:
      return `Computing the blast radius of ${what}`;
    case ToolNames.query:
      return `Running ISG query: ${str(a.query)}`;
    case ToolNames.context:
      return `Collecting ISG context for ${what || str(a.query)}`;
    default:
      return "Querying the ISG";
  }
}

function str(v: unknown): string {
  return typeof v === "string" || typeof v === "number" ? String(v) : "";
}
