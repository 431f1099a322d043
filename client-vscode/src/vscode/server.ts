/** Owns the LanguageClient: start (with a preflight check), stop, restart, and isg/* requests. */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type Message,
  type ServerOptions,
} from "vscode-languageclient/node";
import { CONFIG_SECTION, type IsgMethod, type IsgRequester, type RequestTypes } from "../protocol";
import {
  INSTALL_HINT,
  buildInitializationOptions,
  formatCommandLine,
  readSettings,
  resolveServerCommand,
  serverMissingMessage,
  type IsgSettings,
  type ServerCommand,
} from "../logic/settings";
import {
  PROBE_SCRIPT,
  candidateText,
  choosePython,
  noPythonMessage,
  parseProbe,
  pythonCandidates,
  type Attempt,
  type FoundPython,
  type PythonCandidate,
  type ProbeOutcome,
} from "../logic/python";
import { pythonFromExtension } from "./python";

export const DOCUMENT_LANGUAGES = ["rust", "java", "typescript", "typescriptreact", "javascript", "javascriptreact", "python", "go"];

export type ServerState = "stopped" | "starting" | "running" | "failed";

export class ServerNotRunningError extends Error {
  constructor(state: ServerState) {
    super(
      state === "starting"
        ? "The ISG server is still starting; try again in a moment."
        : "The ISG server is not running. Run “ISG: Restart Server”, or see “ISG: Show Server Output” for why it stopped.",
    );
  }
}

export interface ServerHooks {
  /** Handles the isg.showLocations lens command (intercepted before it reaches the server). */
  showLocations(args: unknown[]): Promise<void>;
}

export class IsgServer implements IsgRequester, vscode.Disposable {
  private client: LanguageClient | undefined;
  private _state: ServerState = "stopped";
  private readonly stateEmitter = new vscode.EventEmitter<ServerState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private localCommand: vscode.Disposable | undefined;
  private busy: Promise<void> = Promise.resolve();
  lastError: string | undefined;

  constructor(
    private readonly output: vscode.OutputChannel,
    private readonly hooks: ServerHooks,
    /** the extension's folder: a platform .vsix has the server in bundled/ there */
    private readonly extensionPath?: string,
  ) {}

  /** bundled/tool/isg_server.py when this .vsix carries the server (a platform .vsix), else null. */
  bundledLauncher(): string | null {
    if (!this.extensionPath) return null;
    const launcher = join(this.extensionPath, "bundled", "tool", "isg_server.py");
    return existsSync(launcher) ? launcher : null;
  }

  /** bundled/bundle.json: the target platform and Python versions of the bundled server. */
  private bundleInfo(): { target?: string; pythons?: string[] } {
    if (!this.extensionPath) return {};
    try {
      return JSON.parse(readFileSync(join(this.extensionPath, "bundled", "bundle.json"), "utf8")) as { target?: string; pythons?: string[] };
    } catch {
      return {};
    }
  }

  get state(): ServerState {
    return this._state;
  }

  private setState(s: ServerState): void {
    this._state = s;
    this.stateEmitter.fire(s);
  }

  settings(): IsgSettings {
    const cfg = vscode.workspace.getConfiguration(CONFIG_SECTION);
    return readSettings((key) => cfg.get(key)).settings;
  }

  initializationOptions(): ReturnType<typeof buildInitializationOptions> {
    return buildInitializationOptions(this.settings());
  }

  /** Serialises start/stop/restart so a quick series of setting changes cannot start two servers. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => undefined);
    return next;
  }

  start(): Promise<void> {
    return this.serial(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.serial(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.serial(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  async request<M extends IsgMethod>(method: M, params: RequestTypes[M]["params"]): Promise<RequestTypes[M]["result"]> {
    if (!this.client || this._state !== "running") throw new ServerNotRunningError(this._state);
    return this.client.sendRequest<RequestTypes[M]["result"]>(method, params);
  }

  /** Any LSP request (for tests and other extensions). */
  async sendRaw<R>(method: string, params: unknown): Promise<R> {
    if (!this.client || this._state !== "running") throw new ServerNotRunningError(this._state);
    return this.client.sendRequest<R>(method, params);
  }

  /** Tells the server about changed lens/depth/heuristic settings (docs/protocol.md: re-read under section "isg"). */
  async notifyConfiguration(): Promise<void> {
    if (!this.client || this._state !== "running") return;
    await this.client.sendNotification("workspace/didChangeConfiguration", {
      settings: { [CONFIG_SECTION]: this.initializationOptions() },
    });
  }

  private async doStart(): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0];
    const { settings, warnings } = (() => {
      const cfg = vscode.workspace.getConfiguration(CONFIG_SECTION);
      return readSettings((key) => cfg.get(key));
    })();
    for (const w of warnings) this.output.appendLine(`[settings] ${w}`);

    this.setState("starting");
    this.lastError = undefined;
    const cwd = folder?.uri.fsPath;
    const launcher = this.bundledLauncher();
    let python: FoundPython | null = null;
    if (!settings.serverCommand) {
      const fromExtension = settings.pythonPath ? null : await pythonFromExtension(folder?.uri, (m) => this.output.appendLine(m));
      const attempts: Attempt[] = [];
      for (const candidate of pythonCandidates(settings.pythonPath, fromExtension, process.platform)) {
        const outcome = await probePython(candidate, cwd);
        attempts.push({ candidate, outcome });
        python = choosePython(attempts);
        if (python) break;
        this.output.appendLine(`Python ${candidateText(candidate)} (from ${candidate.source}): ${describeOutcome(outcome)}`);
      }
      if (!python) {
        this.fail(noPythonMessage(attempts, process.platform, vscode.env.remoteName), null);
        return;
      }
      this.output.appendLine(`Python ${python.version.join(".")} at ${python.executable} (${candidateText(python)}, from ${python.source})`);
    }
    const cmd = resolveServerCommand(settings, python, launcher);
    if (launcher && !cmd.bundled && cmd.source !== "isg.server.command") {
      this.output.appendLine("isg.server.importStrategy is \"fromEnvironment\": the interpreter's own isg_lsp runs, not the bundled one.");
    }
    this.output.appendLine(`Starting isg-lsp: ${formatCommandLine(cmd)} (from ${cmd.source})`);

    if (cmd.python) {
      const problem = cmd.bundled ? await this.checkBundled(cmd.python, launcher ?? "", cwd) : await preflight(cmd.python, cwd);
      if (problem) {
        this.fail(serverMissingMessage(cmd, problem), cmd);
        return;
      }
    }

    const serverOptions: ServerOptions = {
      command: cmd.command,
      args: cmd.args,
      transport: TransportKind.stdio,
      options: { cwd: folder?.uri.fsPath, env: { ...process.env } },
    };
    let restarts: number[] = [];
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_LANGUAGES.map((language) => ({ scheme: "file", language })),
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: () => this.initializationOptions(),
      initializationFailedHandler: (error) => {
        this.output.appendLine(`Initialization failed: ${String(error)}`);
        return false;
      },
      errorHandler: {
        error: (_error: Error, _message: Message | undefined, count: number | undefined): ErrorHandlerResult => ({
          action: (count ?? 0) <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown,
        }),
        closed: (): CloseHandlerResult => {
          const now = Date.now();
          restarts = restarts.filter((t) => now - t < 180000);
          restarts.push(now);
          if (restarts.length <= 3) {
            this.output.appendLine("The isg-lsp server stopped unexpectedly; restarting it.");
            return { action: CloseAction.Restart };
          }
          const msg = "The isg-lsp server stopped 4 times in 3 minutes and will not be restarted. See the output for its errors.";
          this.output.appendLine(msg);
          this.fail(msg, cmd);
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      middleware: {
        executeCommand: async (command, args, next) => {
          if (command === "isg.showLocations") return this.hooks.showLocations(args);
          return (await next(command, args)) as unknown;
        },
        workspace: {
          configuration: async (params, token, next) => {
            const answers: unknown = await next(params, token);
            if (!Array.isArray(answers)) return answers as unknown[];
            return params.items.map((item, i) =>
              item.section === CONFIG_SECTION ? this.initializationOptions() : (answers as unknown[])[i],
            );
          },
        },
      },
    };

    const client = new LanguageClient("isg", "ISG Language Server", serverOptions, clientOptions);
    this.client = client;
    try {
      await client.start();
    } catch (e) {
      this.client = undefined;
      try {
        await client.dispose(2000);
      } catch {
        // already gone
      }
      this.fail(serverMissingMessage(cmd, errText(e)), cmd);
      return;
    }
    // The server may advertise isg.showLocations through executeCommandProvider; the client then owns the VS Code
    // command (and our middleware handles it). Otherwise register it ourselves, now that no conflict can arise.
    const existing = await vscode.commands.getCommands(true);
    if (!existing.includes("isg.showLocations")) {
      this.localCommand = vscode.commands.registerCommand("isg.showLocations", (...args: unknown[]) => this.hooks.showLocations(args));
    }
    this.setState("running");
    this.output.appendLine("isg-lsp is running.");
  }

  private async doStop(): Promise<void> {
    this.localCommand?.dispose();
    this.localCommand = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        if (client.isRunning()) await client.stop(5000);
        await client.dispose(2000);
      } catch (e) {
        this.output.appendLine(`Stopping the server: ${errText(e)}`);
      }
    }
    if (this._state !== "failed") this.setState("stopped");
  }

  /** Runs the bundled launcher's --check; logs what it found; returns a readable problem or null. */
  private async checkBundled(python: PythonCandidate, launcher: string, cwd: string | undefined): Promise<string | null> {
    const r = await run(python.command, [...python.args, "-I", launcher, "--check"], cwd, 30000);
    const info = this.bundleInfo();
    if (r.error === "ENOENT") return `The interpreter ${python.command} was not found.`;
    if (r.error === "timeout") return `${candidateText(python)} did not answer within 30 s.`;
    if (r.code !== 0) {
      const last = r.stderr.trim().split(/\r?\n/).pop() ?? "";
      const supported = info.target ? ` This .vsix carries the server's native parts for ${info.target}, CPython ${(info.pythons ?? []).join(", ")}.` : "";
      return `${last || `exit code ${String(r.code)}`}${supported}`;
    }
    try {
      const found = JSON.parse(r.stdout.trim().split(/\r?\n/).pop() ?? "") as { python: string; executable: string; isgLsp: string; location: string; bundled: boolean };
      this.output.appendLine(
        `Server: isg-lsp ${found.isgLsp} ${found.bundled ? `bundled with the extension${info.target ? ` (${info.target})` : ""}` : `from ${found.location}`}` +
          `, on Python ${found.python} (${found.executable})`,
      );
    } catch {
      this.output.appendLine(`The bundled server's check printed: ${r.stdout.trim().slice(0, 300)}`);
    }
    return null;
  }

  private fail(message: string, cmd: ServerCommand | null): void {
    this.lastError = message;
    this.output.appendLine(message);
    this.setState("failed");
    const canInstall = cmd !== null && cmd.python !== null && !cmd.bundled;
    const choices = canInstall ? ["Open Settings", "Show Output", "Copy Install Command"] : ["Open Settings", "Show Output"];
    void vscode.window.showErrorMessage(message, ...choices).then(async (choice) => {
      if (choice === "Open Settings") await vscode.commands.executeCommand("workbench.action.openSettings", "isg.server");
      else if (choice === "Show Output") this.output.show(true);
      else if (choice === "Copy Install Command" && cmd?.python) {
        await vscode.env.clipboard.writeText("pipx install .   # in a clone of the isg-lsp repository");
      }
    });
  }

  dispose(): void {
    void this.stop();
    this.stateEmitter.dispose();
  }
}

function errText(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** "ENOENT", "timeout", or the error message of a non-zero exit */
  error?: string;
}

function run(command: string, args: string[], cwd: string | undefined, timeout: number): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout, windowsHide: true }, (error, stdout, stderr) => {
      if (!error) return resolve({ code: 0, stdout, stderr });
      const err = error as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
      if (err.code === "ENOENT") return resolve({ code: null, stdout, stderr, error: "ENOENT" });
      if (err.killed) return resolve({ code: null, stdout, stderr, error: "timeout" });
      return resolve({ code: typeof err.code === "number" ? err.code : null, stdout, stderr, error: err.message });
    });
  });
}

/** Asks an interpreter for its version and sys.executable (works with any Python, even 2.7). */
async function probePython(candidate: PythonCandidate, cwd: string | undefined): Promise<ProbeOutcome> {
  const r = await run(candidate.command, [...candidate.args, "-c", PROBE_SCRIPT], cwd, 15000);
  if (r.error === "ENOENT") return { kind: "not found" };
  if (r.error === "timeout") return { kind: "failed", detail: "did not answer within 15 s" };
  if (r.code !== 0) return { kind: "failed", detail: r.stderr.trim().split(/\r?\n/).pop() || `exit code ${String(r.code)}` };
  const parsed = parseProbe(r.stdout);
  return parsed ? { kind: "ok", ...parsed } : { kind: "failed", detail: `unexpected answer ${JSON.stringify(r.stdout.slice(0, 80))}` };
}

function describeOutcome(o: ProbeOutcome): string {
  if (o.kind === "ok") return `Python ${o.version.join(".")} at ${o.executable}, older than 3.11`;
  if (o.kind === "not found") return "not found";
  return o.detail;
}

/** Checks that the interpreter can import isg_lsp (importStrategy "fromEnvironment"); a readable problem or null. */
async function preflight(python: PythonCandidate, cwd: string | undefined): Promise<string | null> {
  const r = await run(python.command, [...python.args, "-c", "import isg_lsp"], cwd, 20000);
  const name = candidateText(python);
  if (!r.error) return null;
  if (r.error === "ENOENT") return `The interpreter ${python.command} was not found.`;
  if (r.error === "timeout") return `${name} did not answer within 20 s.`;
  const last = r.stderr.trim().split(/\r?\n/).pop() ?? "";
  if (/No module named/.test(last)) return `${name} has no module isg_lsp.`;
  return `${name} -c "import isg_lsp" failed: ${last || r.error}`;
}

export { INSTALL_HINT };
