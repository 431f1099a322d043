/** Starts the real isg-lsp server over stdio for the integration test (plain Node, no VS Code). */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { buildInitializationOptions, readSettings } from "../../src/logic/settings";
import { Methods, type StatsResult } from "../../src/protocol";
import type { Driver } from "./checks";

/** client-vscode/ (found from this file, compiled or not). */
export function clientRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "test", "fixture", "Cargo.toml"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`client-vscode not found above ${__dirname}`);
    dir = up;
  }
  return dir;
}

export const repoRoot = (): string => resolve(clientRoot(), "..");
export const pythonCommand = (): string => process.env.ISG_PYTHON || "python3";

function pythonEnv(): NodeJS.ProcessEnv {
  // the repository's isg_lsp package is importable even when it is not pip-installed
  const pp = process.env.PYTHONPATH ? `${repoRoot()}${delimiter}${process.env.PYTHONPATH}` : repoRoot();
  return { ...process.env, PYTHONPATH: pp, PYTHONUNBUFFERED: "1" };
}

/** null when `import isg_lsp.server` works in that Python, else why it does not (the only reason to skip). */
export function serverImportProblem(python = pythonCommand()): string | null {
  const r = spawnSync(python, ["-c", "import isg_lsp.server"], { cwd: repoRoot(), env: pythonEnv(), encoding: "utf8", timeout: 60000 });
  if (r.error) return `${python} could not be run: ${r.error.message}`;
  if (r.status === 0) return null;
  const last = (r.stderr || "").trim().split(/\r?\n/).pop() ?? "";
  return `\`${python} -c "import isg_lsp.server"\` failed (${last || `exit ${String(r.status)}`})`;
}

/** Copies the fixture crate to a fresh temporary directory (the server writes .isg/ into its workspace). */
export function copyFixture(): string {
  const dir = mkdtempSync(join(tmpdir(), "isg-vscode-fixture-"));
  cpSync(join(clientRoot(), "test", "fixture"), dir, { recursive: true, filter: (src) => !/[\\/](\.isg|target)$/.test(src) });
  return dir;
}

export interface RunningServer extends Driver {
  connection: MessageConnection;
  process: ChildProcessWithoutNullStreams;
  /** server stderr and window/logMessage lines, for failure messages */
  log: string[];
  progress: unknown[];
  notifications: string[];
  stop(): Promise<void>;
}

export async function startServer(workspace: string): Promise<RunningServer> {
  const python = pythonCommand();
  const proc = spawn(python, ["-m", "isg_lsp", "serve"], { cwd: workspace, env: pythonEnv(), stdio: "pipe" });
  const log: string[] = [];
  const progress: unknown[] = [];
  const notifications: string[] = [];
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (chunk: string) => log.push(...chunk.split(/\r?\n/).filter(Boolean).map((l) => `[stderr] ${l}`)));
  let exited: string | null = null;
  let onExit: (why: string) => void = () => undefined;
  const exitedEarly = new Promise<never>((_, reject) => {
    onExit = (why) => reject(new Error(why));
  });
  exitedEarly.catch(() => undefined);
  proc.on("exit", (code, signal) => {
    exited = `the server exited (code ${String(code)}, signal ${String(signal)})`;
    // let the last stderr chunks arrive before reporting
    setTimeout(() => onExit(exited ?? "the server exited"), 100);
  });
  const spawnError = new Promise<never>((_, reject) => proc.on("error", (e) => reject(new Error(`could not start ${python}: ${e.message}`))));

  const connection = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
  const initializationOptions = buildInitializationOptions(readSettings(() => undefined).settings);
  connection.onRequest((method: string, params: unknown) => {
    if (method === "workspace/configuration") {
      const items = (params as { items?: { section?: string }[] }).items ?? [];
      return items.map((i) => (i.section === "isg" ? initializationOptions : null));
    }
    return null; // window/workDoneProgress/create, client/registerCapability, workspace/codeLens/refresh, ...
  });
  connection.onNotification((method: string, params: unknown) => {
    notifications.push(method);
    if (method === "$/progress") progress.push(params);
    if (method === "window/logMessage" || method === "window/showMessage") log.push(`[${method}] ${(params as { message?: string }).message ?? ""}`);
  });
  connection.listen();

  const rootUri = pathToFileURL(workspace).href;
  const init = connection.sendRequest("initialize", {
    processId: process.pid,
    clientInfo: { name: "isg-vscode-integration-test", version: "0" },
    rootUri,
    rootPath: workspace,
    workspaceFolders: [{ uri: rootUri, name: "demo" }],
    initializationOptions,
    capabilities: {
      window: { workDoneProgress: true, showMessage: {} },
      workspace: { configuration: true, workspaceFolders: true, codeLens: { refreshSupport: true }, executeCommand: {}, didChangeConfiguration: {} },
      textDocument: {
        synchronization: { didSave: true },
        codeLens: {},
        definition: { linkSupport: false },
        references: {},
        implementation: {},
        hover: { contentFormat: ["markdown", "plaintext"] },
        documentSymbol: { hierarchicalDocumentSymbolSupport: true },
        callHierarchy: {},
        typeHierarchy: {},
      },
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error("initialize: no answer within 30 s")), 30000);
  });
  try {
    await Promise.race([init, spawnError, exitedEarly, timeout]);
  } catch (e) {
    proc.kill("SIGKILL");
    connection.dispose();
    throw new Error(`initialize failed: ${(e as Error).message}\n--- server stderr / log (last lines) ---\n${log.slice(-30).join("\n")}`);
  } finally {
    clearTimeout(timer);
  }
  await connection.sendNotification("initialized", {});

  const server: RunningServer = {
    connection,
    process: proc,
    log,
    progress,
    notifications,
    request<R>(method: string, params: unknown): Promise<R> {
      if (exited) return Promise.reject(new Error(`${exited}\n${log.slice(-30).join("\n")}`));
      return connection.sendRequest<R>(method, params);
    },
    async stop() {
      if (!exited) {
        try {
          await Promise.race([connection.sendRequest("shutdown"), new Promise((r) => setTimeout(r, 5000))]);
          await connection.sendNotification("exit");
          proc.stdin.end();
        } catch {
          // the process may already be gone
        }
        await new Promise<void>((r) => {
          if (exited) return r();
          const t = setTimeout(() => {
            proc.kill("SIGKILL");
            r();
          }, 3000);
          proc.on("exit", () => {
            clearTimeout(t);
            r();
          });
        });
      }
      connection.dispose();
    },
  };
  return server;
}

export async function openDocument(server: Driver & { connection: MessageConnection }, uri: string, text: string): Promise<void> {
  await server.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "rust", version: 1, text } });
}

/** Polls isg/stats until state == "ready". */
export async function waitUntilReady(server: RunningServer, timeoutMs = 60000): Promise<StatsResult> {
  const deadline = Date.now() + timeoutMs;
  let last: StatsResult | undefined;
  let lastError = "";
  while (Date.now() < deadline) {
    try {
      last = await server.request<StatsResult>(Methods.stats, {});
      if (last.state === "ready") return last;
    } catch (e) {
      lastError = (e as Error).message;
      if (/server exited/.test(lastError)) break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(
    `isg/stats did not reach state "ready" within ${timeoutMs / 1000} s; last: ${JSON.stringify(last ?? null)} ${lastError}\n` +
      server.log.slice(-30).join("\n"),
  );
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
