/** Best-effort lookup of the interpreter selected in the Python extension (ms-python.python). */
import * as vscode from "vscode";

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath?(resource?: vscode.Uri): { path?: string } | undefined;
    resolveEnvironment?(env: { path?: string } | string): Promise<{ executable?: { uri?: vscode.Uri } } | undefined>;
  };
  settings?: {
    getExecutionDetails?(resource?: vscode.Uri): { execCommand?: string[] } | undefined;
  };
}

export async function pythonFromExtension(resource: vscode.Uri | undefined, log: (msg: string) => void): Promise<string | null> {
  const ext = vscode.extensions.getExtension<PythonExtensionApi>("ms-python.python");
  if (!ext) return null;
  try {
    const api = ext.isActive ? ext.exports : await withTimeout(ext.activate(), 10000);
    if (!api) return null;
    const envPath = api.environments?.getActiveEnvironmentPath?.(resource);
    if (envPath?.path) {
      try {
        const resolved = await withTimeout(Promise.resolve(api.environments?.resolveEnvironment?.(envPath)), 5000);
        const exe = resolved?.executable?.uri?.fsPath;
        if (exe) return exe;
      } catch {
        // fall back to the unresolved path
      }
      return envPath.path;
    }
    const exec = api.settings?.getExecutionDetails?.(resource)?.execCommand;
    if (exec && exec.length > 0 && exec[0]) return exec[0];
  } catch (e) {
    log(`Could not ask the Python extension for its interpreter: ${String(e)}`);
  }
  return null;
}

function withTimeout<T>(p: Thenable<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve(undefined), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
