/**
 * Registers the Language Model Tools declared in package.json (contributes.languageModelTools).
 * `vscode.lm.registerTool` exists from VS Code 1.95; on older versions this does nothing.
 */
import * as vscode from "vscode";
import type { IsgRequester } from "../protocol";
import { runTool, toolInvocationMessage, ToolNames, type ToolName } from "../logic/tools";

/** The slice of the 1.95+ API we use, declared here so the extension builds against the 1.82 typings. */
interface LmApi {
  registerTool(name: string, tool: LmTool): vscode.Disposable;
}
interface LmTool {
  invoke(options: { input: unknown }, token: vscode.CancellationToken): Promise<unknown>;
  prepareInvocation?(options: { input: unknown }, token: vscode.CancellationToken): { invocationMessage: string } | undefined;
}
type Ctor<T> = new (...args: unknown[]) => T;

export function registerLanguageModelTools(server: IsgRequester, log: (m: string) => void): vscode.Disposable[] {
  const api = vscode as unknown as { lm?: Partial<LmApi>; LanguageModelToolResult?: Ctor<unknown>; LanguageModelTextPart?: Ctor<unknown> };
  const lm = api.lm;
  const Result = api.LanguageModelToolResult;
  const TextPart = api.LanguageModelTextPart;
  if (!lm || typeof lm.registerTool !== "function" || !Result || !TextPart) {
    log("This VS Code has no language model tool API (vscode.lm.registerTool); the ISG tools for chat are not registered.");
    return [];
  }
  const disposables: vscode.Disposable[] = [];
  for (const name of Object.values(ToolNames) as ToolName[]) {
    try {
      disposables.push(
        lm.registerTool(name, {
          prepareInvocation: (options) => ({ invocationMessage: toolInvocationMessage(name, options.input) }),
          invoke: async (options) => {
            const text = await runTool(name, options.input, server);
            return new Result([new TextPart(text)]);
          },
        }),
      );
    } catch (e) {
      log(`Could not register the language model tool ${name}: ${String(e)}`);
    }
  }
  return disposables;
}
