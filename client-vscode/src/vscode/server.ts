/** Owns the LanguageClient: start (with a preflight check), stop, restart, and isg/* requests. */
import { execFile } from "node:child_process";
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
  ) {}

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
    const python = settings.serverCommand || settings.pythonPath ? null : await pythonFromExtension(folder?.uri, (m) => this.output.appendLine(m));
    const cmd = resolveServerCommand(settings, python, process.platform);
    this.output.appendLine(`Starting isg-lsp: ${formatCommandLine(cmd)} (from ${cmd.source})`);

    if (cmd.python) {
      const problem = await preflight(cmd.python, folder?.uri.fsPath);
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

  private fail(message: string, _cmd: ServerCommand): void {
    this.lastError = message;
    this.output.appendLine(message);
    this.setState("failed");
    void vscode.window.showErrorMessage(message, "Open Settings", "Show Output", "Copy Install Command").then(async (choice) => {
      if (choice === "Open Settings") await vscode.commands.executeCommand("workbench.action.openSettings", "isg.server");
      else if (choice === "Show Output") this.output.show(true);
      else if (choice === "Copy Install Command") {
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

/** Checks that the interpreter exists and can import isg_lsp; returns a readable problem or null. */
function preflight(python: string, cwd: string | undefined): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(python, ["-c", "import isg_lsp"], { cwd, timeout: 20000, windowsHide: true }, (error, _stdout, stderr) => {
      if (!error) return resolve(null);
      const err = error as NodeJS.ErrnoException & { killed?: boolean };
      if (err.code === "ENOENT") return resolve(`The interpreter ${python} was not found.`);
      if (err.killed) return resolve(`${python} did not answer within 20 s.`);
      const last = stderr.trim().split(/\r?\n/).pop() ?? "";
      if (/No module named/.test(last)) return resolve(`${python} has no module isg_lsp.`);
      return resolve(`${python} -c "import isg_lsp" failed: ${last || err.message}`);
    });
  });
}

export { INSTALL_HINT };
