// Smoke test of the bundled extension (dist/extension.js) against a stub `vscode` module: activation registers every
// declared command, and a server that cannot start gives a readable message instead of a crash.
import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import Module from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";

function clientRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json")) || !readFileSync(join(dir, "package.json"), "utf8").includes('"name": "isg-lsp"')) {
    const up = dirname(dir);
    if (up === dir) throw new Error("client-vscode not found");
    dir = up;
  }
  return dir;
}

type AnyFn = (...args: unknown[]) => unknown;

/** A permissive stand-in for any vscode API object: every property is another stand-in, callable and constructible. */
function auto(path: string): unknown {
  const cache = new Map<PropertyKey, unknown>();
  const target = function () {
    return undefined;
  };
  return new Proxy(target, {
    get(_t, prop) {
      if (prop === "then") return undefined; // not a thenable
      if (prop === Symbol.toPrimitive) return () => path;
      if (!cache.has(prop)) cache.set(prop, auto(`${path}.${String(prop)}`));
      return cache.get(prop);
    },
    set(_t, prop, value) {
      cache.set(prop, value);
      return true;
    },
    apply() {
      return { dispose() {} };
    },
    construct() {
      return auto(`new ${path}`) as object;
    },
  });
}

class EventEmitter<T> {
  private listeners: ((e: T) => void)[] = [];
  event = (l: (e: T) => void) => {
    this.listeners.push(l);
    return { dispose() {} };
  };
  fire(e: T) {
    for (const l of this.listeners) l(e);
  }
  dispose() {}
}

function makeVscode(settings: Record<string, unknown>) {
  const record = { commands: new Map<string, AnyFn>(), errors: [] as string[], output: [] as string[], contexts: new Map<string, unknown>() };
  const disposable = { dispose() {} };
  const vscode = {
    EventEmitter,
    StatusBarAlignment: { Left: 1, Right: 2 },
    TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 },
    ViewColumn: { Beside: -2 },
    ProgressLocation: { Window: 10, Notification: 15 },
    ConfigurationTarget: { Global: 1 },
    ThemeIcon: class {
      constructor(public id: string) {}
    },
    ThemeColor: class {
      constructor(public id: string) {}
    },
    Uri: { parse: (s: string) => ({ toString: () => s }), file: (p: string) => ({ fsPath: p, toString: () => `file://${p}` }), from: (c: object) => c },
    window: {
      createOutputChannel: () => ({ appendLine: (m: string) => record.output.push(m), append() {}, show() {}, dispose() {}, name: "ISG" }),
      createStatusBarItem: () => ({ show() {}, hide() {}, dispose() {}, text: "", tooltip: "", command: "" }),
      createTreeView: () => ({ message: undefined, dispose() {} }),
      showErrorMessage: (m: string) => {
        record.errors.push(m);
        return Promise.resolve(undefined);
      },
      showWarningMessage: () => Promise.resolve(undefined),
      showInformationMessage: () => Promise.resolve(undefined),
      setStatusBarMessage: () => disposable,
      activeTextEditor: undefined,
    },
    workspace: {
      workspaceFolders: [{ uri: { fsPath: tmpdir(), toString: () => `file://${tmpdir()}` }, name: "ws", index: 0 }],
      getConfiguration: () => ({ get: (k: string) => settings[k] }),
      registerTextDocumentContentProvider: () => disposable,
      onDidChangeConfiguration: () => disposable,
      onDidSaveTextDocument: () => disposable,
    },
    commands: {
      registerCommand: (id: string, fn: AnyFn) => {
        assert.ok(!record.commands.has(id), `command ${id} registered twice`);
        record.commands.set(id, fn);
        return disposable;
      },
      executeCommand: (id: string, ...args: unknown[]) => {
        if (id === "setContext") record.contexts.set(String(args[0]), args[1]);
        return Promise.resolve(undefined);
      },
      getCommands: () => Promise.resolve([...record.commands.keys()]),
    },
    extensions: { getExtension: () => undefined },
    env: { clipboard: { writeText: () => Promise.resolve() } },
  };
  return { vscode: new Proxy(vscode, { get: (t, p) => (p in t ? (t as Record<PropertyKey, unknown>)[p] : auto(`vscode.${String(p)}`)) }), record };
}

function loadExtension(vscodeStub: unknown): {
  activate(ctx: unknown): { state: string; onDidChangeState(l: (s: string) => void): unknown };
  deactivate(): Promise<void>;
} {
  const bundle = join(clientRoot(), "dist", "extension.js");
  assert.ok(existsSync(bundle), "dist/extension.js is missing: run `npm run build` first");
  const M = Module as unknown as { _load: AnyFn };
  const original = M._load;
  M._load = function (request: unknown, ...rest: unknown[]) {
    if (request === "vscode") return vscodeStub;
    return original.call(this, request, ...rest);
  };
  try {
    delete require.cache[require.resolve(bundle)];
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loads the bundle after the stub is in place
    return require(bundle) as ReturnType<typeof loadExtension>;
  } finally {
    M._load = original;
  }
}

const context = () => ({
  subscriptions: [] as { dispose(): void }[],
  globalState: { get: (_k: string, d: unknown) => d, update: () => Promise.resolve() },
});

describe("bundled extension (stub vscode)", () => {
  it("activates, registers every command of package.json, and explains a missing server", async () => {
    const { vscode, record } = makeVscode({ "server.pythonPath": "/nonexistent/bin/python3" });
    const ext = loadExtension(vscode);
    const api = ext.activate(context());
    let timer: NodeJS.Timeout | undefined;
    const state = await new Promise<string>((resolve) => {
      if (api.state === "failed") resolve(api.state);
      api.onDidChangeState((s: string) => s === "failed" && resolve(s));
      timer = setTimeout(() => resolve(api.state), 10000);
    });
    clearTimeout(timer);
    assert.equal(state, "failed");
    const pkg = JSON.parse(readFileSync(join(clientRoot(), "package.json"), "utf8")) as { contributes: { commands: { command: string }[] } };
    const declared = pkg.contributes.commands.map((c) => c.command).filter((c) => c !== "isg.showLocations");
    for (const id of declared) assert.ok(record.commands.has(id), `command ${id} not registered`);
    assert.equal(record.errors.length, 1, `errors: ${JSON.stringify(record.errors)}`);
    assert.match(record.errors[0], /\/nonexistent\/bin\/python3 was not found/);
    assert.match(record.errors[0], /pipx install \./);
    assert.match(record.errors[0], /uv tool install \./);
    assert.deepEqual(record.contexts.get("isg.languages"), ["rust", "java", "typescript", "typescriptreact", "javascript", "javascriptreact", "python", "go"]);
    // a command run while the server is down answers with a message, not an exception
    await record.commands.get("isg.showStats")?.();
    await ext.deactivate();
  });
});
