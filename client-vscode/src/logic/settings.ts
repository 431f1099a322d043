/**
 * Settings (contributes.configuration, section "isg") -> server command and initializationOptions.
 * No `vscode` import: the extension passes a getter over `workspace.getConfiguration("isg")`.
 */
import { DEFAULT_INITIALIZATION_OPTIONS, type InitializationOptions } from "../protocol";

export type TraceSetting = "off" | "messages" | "verbose";

export interface IsgSettings {
  /** isg.server.command: the whole command line; null -> [python, "-m", "isg_lsp", "serve"] */
  serverCommand: string[] | null;
  /** isg.server.pythonPath: interpreter for the default command; null -> Python extension's, then python3/python */
  pythonPath: string | null;
  lenses: { implementations: boolean; callers: boolean; blastRadius: boolean };
  blastRadiusDepth: number;
  exclude: string[];
  databasePath: string | null;
  useGitignore: boolean;
  includeHeuristic: boolean;
  maxFileBytes: number;
  trace: TraceSetting;
}

/** Reads one key of section "isg", e.g. "server.command"; undefined when unset. */
export type ConfigGetter = (key: string) => unknown;

export const DEFAULT_SETTINGS: Readonly<IsgSettings> = {
  serverCommand: null,
  pythonPath: null,
  lenses: { implementations: true, callers: true, blastRadius: true },
  blastRadiusDepth: DEFAULT_INITIALIZATION_OPTIONS.blastRadiusDepth,
  exclude: [...DEFAULT_INITIALIZATION_OPTIONS.exclude],
  databasePath: null,
  useGitignore: DEFAULT_INITIALIZATION_OPTIONS.useGitignore,
  includeHeuristic: DEFAULT_INITIALIZATION_OPTIONS.includeHeuristic,
  maxFileBytes: DEFAULT_INITIALIZATION_OPTIONS.maxFileBytes,
  trace: "off",
};

export const MAX_BLAST_RADIUS_DEPTH = 10;

export interface SettingsReadResult {
  settings: IsgSettings;
  /** one readable line per setting that had a wrong value and was replaced by its default */
  warnings: string[];
}

export function readSettings(get: ConfigGetter): SettingsReadResult {
  const warnings: string[] = [];
  const bad = (key: string, expected: string, value: unknown): void => {
    warnings.push(`Setting isg.${key} should be ${expected}, got ${JSON.stringify(value)}; using the default.`);
  };
  const bool = (key: string, dflt: boolean): boolean => {
    const v = get(key);
    if (v === undefined || v === null) return dflt;
    if (typeof v === "boolean") return v;
    bad(key, "true or false", v);
    return dflt;
  };
  const optString = (key: string): string | null => {
    const v = get(key);
    if (v === undefined || v === null) return null;
    if (typeof v === "string") return v.trim() === "" ? null : v;
    bad(key, "a string", v);
    return null;
  };
  const stringArray = (key: string): string[] | null => {
    const v = get(key);
    if (v === undefined || v === null) return null;
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
    bad(key, "an array of strings", v);
    return null;
  };
  const num = (key: string, dflt: number, min: number, max: number): number => {
    const v = get(key);
    if (v === undefined || v === null) return dflt;
    if (typeof v !== "number" || !Number.isFinite(v)) {
      bad(key, "a number", v);
      return dflt;
    }
    const n = Math.round(v);
    if (n < min || n > max) {
      warnings.push(`Setting isg.${key} = ${v} is outside ${min}..${max}; using ${Math.min(max, Math.max(min, n))}.`);
    }
    return Math.min(max, Math.max(min, n));
  };

  let serverCommand = stringArray("server.command");
  if (serverCommand !== null && (serverCommand.length === 0 || serverCommand[0].trim() === "")) {
    if (serverCommand.length > 0) bad("server.command", "a non-empty command line", serverCommand);
    serverCommand = null;
  }

  const traceRaw = get("trace.server");
  let trace: TraceSetting = "off";
  if (traceRaw === "off" || traceRaw === "messages" || traceRaw === "verbose") trace = traceRaw;
  else if (traceRaw !== undefined && traceRaw !== null) bad("trace.server", '"off", "messages" or "verbose"', traceRaw);

  const settings: IsgSettings = {
    serverCommand,
    pythonPath: optString("server.pythonPath"),
    lenses: {
      implementations: bool("lenses.implementations", DEFAULT_SETTINGS.lenses.implementations),
      callers: bool("lenses.callers", DEFAULT_SETTINGS.lenses.callers),
      blastRadius: bool("lenses.blastRadius", DEFAULT_SETTINGS.lenses.blastRadius),
    },
    blastRadiusDepth: num("blastRadiusDepth", DEFAULT_SETTINGS.blastRadiusDepth, 1, MAX_BLAST_RADIUS_DEPTH),
    exclude: stringArray("exclude") ?? [...DEFAULT_SETTINGS.exclude],
    databasePath: optString("databasePath"),
    useGitignore: bool("useGitignore", DEFAULT_SETTINGS.useGitignore),
    includeHeuristic: bool("includeHeuristic", DEFAULT_SETTINGS.includeHeuristic),
    maxFileBytes: num("maxFileBytes", DEFAULT_SETTINGS.maxFileBytes, 1, Number.MAX_SAFE_INTEGER),
    trace,
  };
  return { settings, warnings };
}

/**
 * The server's initializationOptions (docs/protocol.md, "Initialization options"). Dotted keys become nested objects:
 * `lenses.implementations` is sent as `{"lenses": {"implementations": true}}`. Every key is always sent.
 */
export function buildInitializationOptions(settings: IsgSettings): Required<InitializationOptions> {
  return {
    databasePath: settings.databasePath,
    exclude: [...settings.exclude],
    useGitignore: settings.useGitignore,
    lenses: {
      implementations: settings.lenses.implementations,
      callers: settings.lenses.callers,
      blastRadius: settings.lenses.blastRadius,
    },
    blastRadiusDepth: settings.blastRadiusDepth,
    includeHeuristic: settings.includeHeuristic,
    maxFileBytes: settings.maxFileBytes,
  };
}

export const DEFAULT_SERVER_ARGS: readonly string[] = ["-m", "isg_lsp", "serve"];

export type CommandSource = "isg.server.command" | "isg.server.pythonPath" | "python extension" | "default";

export interface ServerCommand {
  command: string;
  args: string[];
  source: CommandSource;
  /** The interpreter when the command is the default `python -m isg_lsp serve` form, else null. */
  python: string | null;
}

/**
 * Which command starts the server: isg.server.command wins; then isg.server.pythonPath, the Python extension's
 * interpreter, and finally python3 (python on Windows), each with `-m isg_lsp serve`.
 */
export function resolveServerCommand(
  settings: IsgSettings,
  pythonFromExtension: string | null | undefined,
  platform: string,
): ServerCommand {
  if (settings.serverCommand && settings.serverCommand.length > 0) {
    const [command, ...args] = settings.serverCommand;
    return { command, args, source: "isg.server.command", python: null };
  }
  if (settings.pythonPath) {
    return { command: settings.pythonPath, args: [...DEFAULT_SERVER_ARGS], source: "isg.server.pythonPath", python: settings.pythonPath };
  }
  if (pythonFromExtension) {
    return { command: pythonFromExtension, args: [...DEFAULT_SERVER_ARGS], source: "python extension", python: pythonFromExtension };
  }
  const python = platform === "win32" ? "python" : "python3";
  return { command: python, args: [...DEFAULT_SERVER_ARGS], source: "default", python };
}

export function formatCommandLine(cmd: { command: string; args: string[] }): string {
  return [cmd.command, ...cmd.args].map((p) => (/[\s"']/.test(p) ? JSON.stringify(p) : p)).join(" ");
}

/** What a configuration change requires. */
export type ChangeAction = "restart" | "notify" | "trace" | "none";

/** Settings that need a new server process (command line, database, what gets indexed). */
export const RESTART_SECTIONS: readonly string[] = [
  "isg.server",
  "isg.databasePath",
  "isg.exclude",
  "isg.useGitignore",
  "isg.maxFileBytes",
];

/** Settings the server re-reads from workspace/didChangeConfiguration (lenses, depth, heuristics). */
export const NOTIFY_SECTIONS: readonly string[] = ["isg.lenses", "isg.blastRadiusDepth", "isg.includeHeuristic"];

export function classifyConfigChange(affects: (section: string) => boolean): ChangeAction {
  if (RESTART_SECTIONS.some((s) => affects(s))) return "restart";
  if (NOTIFY_SECTIONS.some((s) => affects(s))) return "notify";
  if (affects("isg.trace")) return "trace";
  return "none";
}

export const INSTALL_HINT =
  "Install the server from a clone of the isg-lsp repository (it is not on PyPI yet): `pipx install .` or " +
  "`uv tool install .` there, then set isg.server.command to [\"isg-lsp\", \"serve\"]; or point isg.server.pythonPath " +
  "at a Python that has it (after `./isg demo` in the clone: its .venv/bin/python).";

/** A readable message for a server that could not be started. */
export function serverMissingMessage(cmd: ServerCommand, detail: string): string {
  const where =
    cmd.source === "isg.server.command"
      ? `the command from isg.server.command (${formatCommandLine(cmd)})`
      : `\`${formatCommandLine(cmd)}\` (interpreter from ${cmd.source === "default" ? "PATH" : cmd.source})`;
  const why = detail.trim() ? ` ${detail.trim().replace(/\s+/g, " ").slice(0, 300)}` : "";
  return `ISG: could not start the isg-lsp server with ${where}.${why} ${INSTALL_HINT}`;
}
