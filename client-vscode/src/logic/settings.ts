/**
 * Settings (contributes.configuration, section "isg") -> server command and initializationOptions.
 * No `vscode` import: the extension passes a getter over `workspace.getConfiguration("isg")`.
 */
import { DEFAULT_INITIALIZATION_OPTIONS, type InitializationOptions } from "../protocol";
import { candidateText, type PythonCandidate } from "./python";

export type TraceSetting = "off" | "messages" | "verbose";

/** isg.server.importStrategy, as ruff's and black's extensions name it. */
export type ImportStrategy = "useBundled" | "fromEnvironment";

export interface IsgSettings {
  /** isg.server.command: the whole command line; null -> [python, "-m", "isg_lsp", "serve"] */
  serverCommand: string[] | null;
  /** isg.server.pythonPath: interpreter for the default command; null -> Python extension's, then python3/python */
  pythonPath: string | null;
  /** isg.server.importStrategy: the server bundled in a platform .vsix, or the interpreter's own isg_lsp */
  importStrategy: ImportStrategy;
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
  importStrategy: "useBundled",
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

  const strategyRaw = get("server.importStrategy");
  let importStrategy: ImportStrategy = DEFAULT_SETTINGS.importStrategy;
  if (strategyRaw === "useBundled" || strategyRaw === "fromEnvironment") importStrategy = strategyRaw;
  else if (strategyRaw !== undefined && strategyRaw !== null) bad("server.importStrategy", '"useBundled" or "fromEnvironment"', strategyRaw);

  const settings: IsgSettings = {
    serverCommand,
    pythonPath: optString("server.pythonPath"),
    importStrategy,
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

export type CommandSource = "isg.server.command" | "isg.server.pythonPath" | "python extension" | "PATH";

export interface ServerCommand {
  command: string;
  args: string[];
  source: CommandSource;
  /** The interpreter (with its own leading arguments, e.g. `py -3`) when the server runs on a Python, else null. */
  python: PythonCandidate | null;
  /** True when it runs the server bundled in the .vsix (bundled/tool/isg_server.py). */
  bundled: boolean;
}

/**
 * Which command starts the server: isg.server.command wins, as is. Otherwise the chosen interpreter (see
 * logic/python.ts) runs the server bundled with the extension (`python -I <launcher>`) when the .vsix has one and
 * isg.server.importStrategy is "useBundled", else its own installed isg_lsp (`python -m isg_lsp serve`).
 */
export function resolveServerCommand(settings: IsgSettings, python: PythonCandidate | null, bundledLauncher: string | null): ServerCommand {
  if (settings.serverCommand && settings.serverCommand.length > 0) {
    const [command, ...args] = settings.serverCommand;
    return { command, args, source: "isg.server.command", python: null, bundled: false };
  }
  const py: PythonCandidate = python ?? { command: "python3", args: [], source: "PATH" };
  if (bundledLauncher && settings.importStrategy === "useBundled") {
    return { command: py.command, args: [...py.args, "-I", bundledLauncher], source: py.source, python: py, bundled: true };
  }
  return { command: py.command, args: [...py.args, ...DEFAULT_SERVER_ARGS], source: py.source, python: py, bundled: false };
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

export const BUNDLED_HINT =
  "See “ISG: Show Server Output” for details. To run a server you installed yourself instead (`pipx install .` in a clone of the repository), " +
  'set isg.server.importStrategy to "fromEnvironment", or isg.server.command to its command line.';

/** A readable message for a server that could not be started. */
export function serverMissingMessage(cmd: ServerCommand, detail: string): string {
  const why = detail.trim() ? ` ${detail.trim().replace(/\s+/g, " ").slice(0, 300)}` : "";
  if (cmd.source === "isg.server.command") {
    return `ISG: could not start the isg-lsp server with the command from isg.server.command (${formatCommandLine(cmd)}).${why} ${INSTALL_HINT}`;
  }
  const from = cmd.source === "PATH" ? "PATH" : cmd.source;
  if (cmd.bundled) {
    return `ISG: the isg-lsp server bundled with the extension did not start with \`${formatCommandLine(cmd)}\` (interpreter from ${from}).${why} ${BUNDLED_HINT}`;
  }
  const pyText = cmd.python ? candidateText(cmd.python) : cmd.command;
  return `ISG: could not start the isg-lsp server with \`${formatCommandLine(cmd)}\` (interpreter ${pyText} from ${from}).${why} ${INSTALL_HINT}`;
}
