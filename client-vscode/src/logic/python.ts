/**
 * Which Python runs the server, and what to say when there is none. No `vscode` import: the extension runs the
 * probes (src/vscode/server.ts) and this module decides.
 *
 * Order, as in Microsoft's Python-tool extensions: isg.server.pythonPath when set (and nothing else), else the
 * interpreter selected in the Python extension, else the first Python 3.11+ on PATH (python3, python3.14 … python3.11,
 * python; on Windows python, py -3, python3).
 */

export const MIN_PYTHON: readonly [number, number] = [3, 11];
export const MIN_PYTHON_TEXT = `${MIN_PYTHON[0]}.${MIN_PYTHON[1]}`;

export type PythonSource = "isg.server.pythonPath" | "python extension" | "PATH";

export interface PythonCandidate {
  command: string;
  /** arguments that come before the script, e.g. ["-3"] for the Windows `py` launcher */
  args: string[];
  source: PythonSource;
}

/** A candidate that answered the probe. */
export interface FoundPython extends PythonCandidate {
  version: [number, number];
  /** sys.executable as the interpreter reported it */
  executable: string;
}

/** What one candidate gave: a usable Python, or why not. */
export type ProbeOutcome =
  | { kind: "ok"; version: [number, number]; executable: string }
  | { kind: "not found" }
  | { kind: "failed"; detail: string };

/**
 * Runs in any Python (2.7 included) and prints `3.11 /usr/bin/python3`: the version and sys.executable.
 * Arguments: [...candidate.args, "-c", PROBE_SCRIPT].
 */
export const PROBE_SCRIPT = 'import sys; sys.stdout.write("%d.%d %s\\n" % (sys.version_info[0], sys.version_info[1], sys.executable))';

export function parseProbe(stdout: string): { version: [number, number]; executable: string } | null {
  const m = /^(\d+)\.(\d+) (.*)$/m.exec(stdout.trim());
  if (!m) return null;
  return { version: [Number(m[1]), Number(m[2])], executable: m[3].trim() };
}

export function isSupported(version: readonly [number, number]): boolean {
  return version[0] > MIN_PYTHON[0] || (version[0] === MIN_PYTHON[0] && version[1] >= MIN_PYTHON[1]);
}

const PATH_NAMES_POSIX = ["python3", "python3.14", "python3.13", "python3.12", "python3.11", "python"];

/** The interpreters to try, in order. */
export function pythonCandidates(pythonPath: string | null, fromExtension: string | null | undefined, platform: string): PythonCandidate[] {
  if (pythonPath) return [{ command: pythonPath, args: [], source: "isg.server.pythonPath" }];
  const out: PythonCandidate[] = [];
  if (fromExtension) out.push({ command: fromExtension, args: [], source: "python extension" });
  if (platform === "win32") {
    out.push({ command: "python", args: [], source: "PATH" }, { command: "py", args: ["-3"], source: "PATH" }, { command: "python3", args: [], source: "PATH" });
  } else {
    for (const name of PATH_NAMES_POSIX) out.push({ command: name, args: [], source: "PATH" });
  }
  return out;
}

export interface Attempt {
  candidate: PythonCandidate;
  outcome: ProbeOutcome;
}

/** The first attempt with a supported Python, or null. */
export function choosePython(attempts: readonly Attempt[]): FoundPython | null {
  for (const a of attempts) {
    if (a.outcome.kind === "ok" && isSupported(a.outcome.version)) {
      return { ...a.candidate, version: a.outcome.version, executable: a.outcome.executable };
    }
  }
  return null;
}

export function candidateText(c: PythonCandidate): string {
  return [c.command, ...c.args].join(" ");
}

function attemptText(a: Attempt): string {
  const who = a.candidate.source === "PATH" ? candidateText(a.candidate) : `${candidateText(a.candidate)} (${a.candidate.source})`;
  switch (a.outcome.kind) {
    case "ok":
      return `${who}: Python ${a.outcome.version.join(".")}, too old`;
    case "not found":
      return `${who}: not found`;
    case "failed":
      return `${who}: ${a.outcome.detail.replace(/\s+/g, " ").trim().slice(0, 120)}`;
  }
}

/** How to get a Python 3.11+ on this platform. */
export function installPythonHint(platform: string): string {
  if (platform === "win32") return "Install Python 3.12 (`winget install Python.Python.3.12`, or from python.org)";
  if (platform === "darwin") return "Install Python 3.12 (`brew install python@3.12`, or from python.org)";
  return "Install Python 3.11 or newer (Debian/Ubuntu: `sudo apt install python3`, Fedora: `sudo dnf install python3`)";
}

/**
 * The message when no candidate is a usable Python 3.11+. `remote` is vscode.env.remoteName (SSH, WSL, containers,
 * code-server): there the interpreter must exist on the remote machine.
 */
export function noPythonMessage(attempts: readonly Attempt[], platform: string, remote: string | undefined): string {
  const tried = attempts.length > 0 ? ` Tried: ${attempts.map(attemptText).join("; ")}.` : "";
  const explicit = attempts.some((a) => a.candidate.source === "isg.server.pythonPath");
  const where = remote ? ` on the ${remote} machine` : "";
  if (explicit) {
    const remoteHint = remote
      ? ` In a remote window the path must exist on the remote machine (${remote}).`
      : "";
    return (
      `ISG: the setting isg.server.pythonPath does not point to a Python ${MIN_PYTHON_TEXT} or newer.${tried}${remoteHint} ` +
      `Set it to a Python ${MIN_PYTHON_TEXT}+ interpreter, or clear it to let the extension look for one, then run “ISG: Restart Server”.`
    );
  }
  return (
    `ISG: the isg-lsp server needs Python ${MIN_PYTHON_TEXT} or newer${where}, and none was found.${tried} ` +
    `${installPythonHint(platform)}, or set isg.server.pythonPath to one, then run “ISG: Restart Server”.`
  );
}
