// Keeps src/protocol.ts, package.json and the extension's code in step with docs/protocol.md and each other.
import { strict as assert } from "node:assert";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_SETTINGS } from "../../src/logic/settings";
import { ToolNames } from "../../src/logic/tools";
import { Commands, DEFAULT_INITIALIZATION_OPTIONS, Methods } from "../../src/protocol";

function clientRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json")) || !readFileSync(join(dir, "package.json"), "utf8").includes('"name": "isg-lsp"')) {
    const up = dirname(dir);
    if (up === dir) throw new Error("client-vscode/package.json not found above " + __dirname);
    dir = up;
  }
  return dir;
}

const root = clientRoot();
const protocolDoc = readFileSync(join(root, "..", "docs", "protocol.md"), "utf8");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  contributes: {
    commands: { command: string }[];
    configuration: { properties: Record<string, { default: unknown }> };
    languageModelTools: { name: string; inputSchema: unknown; modelDescription: string }[];
    views: { explorer: { id: string }[] };
    menus: { commandPalette: { command: string; when: string }[] };
  };
  capabilities?: { untrustedWorkspaces?: { supported?: unknown } };
  main: string;
  license: string;
  repository: unknown;
};
const extensionSrc = readFileSync(join(root, "src", "extension.ts"), "utf8");

describe("src/protocol.ts mirrors docs/protocol.md", () => {
  it("has every isg/* request of the doc, and no other", () => {
    const documented = new Set([...protocolDoc.matchAll(/`(isg\/[A-Za-z]+)`/g)].map((m) => m[1]));
    assert.deepEqual([...documented].sort(), Object.values(Methods).sort());
  });
  it("has the lens command", () => {
    assert.ok(protocolDoc.includes(`\`${Commands.showLocations}\``));
  });
  it("has every initialization option with its documented default", () => {
    const rows = [...protocolDoc.matchAll(/^\| `([A-Za-z.]+)` \| [^|]+ \| `([^`]*)` \|/gm)].map((m) => [m[1], m[2]] as const);
    assert.ok(rows.length >= 9, "initialization options table not found in docs/protocol.md");
    for (const [key, dflt] of rows) {
      const value = key.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], DEFAULT_INITIALIZATION_OPTIONS);
      assert.notEqual(value, undefined, `initialization option ${key} is missing in protocol.ts`);
      assert.deepEqual(value, JSON.parse(dflt), `default of ${key}`);
    }
  });
});

describe("package.json matches the code", () => {
  it("declares every command the extension registers, and registers every declared command", () => {
    const registered = new Set([...extensionSrc.matchAll(/register\("([a-zA-Z.]+)"/g)].map((m) => m[1]));
    registered.add("isg.showLocations"); // registered by vscode/server.ts or by the language client
    const declared = new Set(pkg.contributes.commands.map((c) => c.command));
    assert.deepEqual([...declared].sort(), [...registered].sort());
    for (const id of ["isg.restartServer", "isg.showImplementations", "isg.showCallers", "isg.blastRadius", "isg.query", "isg.copyContext"]) {
      assert.ok(declared.has(id), id);
    }
  });
  it("hides the lens command from the palette", () => {
    assert.ok(pkg.contributes.menus.commandPalette.some((m) => m.command === "isg.showLocations" && m.when === "false"));
  });
  it("declares a setting for every field the settings reader knows, with the same defaults", () => {
    const props = pkg.contributes.configuration.properties;
    const expect: Record<string, unknown> = {
      "isg.server.command": DEFAULT_SETTINGS.serverCommand,
      "isg.server.pythonPath": DEFAULT_SETTINGS.pythonPath,
      "isg.server.importStrategy": DEFAULT_SETTINGS.importStrategy,
      "isg.lenses.implementations": DEFAULT_SETTINGS.lenses.implementations,
      "isg.lenses.callers": DEFAULT_SETTINGS.lenses.callers,
      "isg.lenses.blastRadius": DEFAULT_SETTINGS.lenses.blastRadius,
      "isg.blastRadiusDepth": DEFAULT_SETTINGS.blastRadiusDepth,
      "isg.exclude": DEFAULT_SETTINGS.exclude,
      "isg.databasePath": DEFAULT_SETTINGS.databasePath,
      "isg.useGitignore": DEFAULT_SETTINGS.useGitignore,
      "isg.includeHeuristic": DEFAULT_SETTINGS.includeHeuristic,
      "isg.maxFileBytes": DEFAULT_SETTINGS.maxFileBytes,
      "isg.trace.server": DEFAULT_SETTINGS.trace,
    };
    assert.deepEqual(Object.keys(props).sort(), Object.keys(expect).sort());
    for (const [k, v] of Object.entries(expect)) assert.deepEqual(props[k].default, v, k);
  });
  it("lets the server settings be set in the user settings of remote windows (code-server, SSH, WSL)", () => {
    // In a remote window VS Code ignores "machine" and "machine-overridable" settings found in the (local) user
    // settings; tests/e2e/test_vscode_e2e.py sets isg.server.pythonPath there in code-server.
    const props = pkg.contributes.configuration.properties as Record<string, { scope?: string }>;
    for (const key of ["isg.server.command", "isg.server.pythonPath", "isg.server.importStrategy", "isg.databasePath"]) {
      assert.ok(!["machine", "machine-overridable", "application"].includes(props[key].scope ?? "window"), `${key}: scope ${props[key].scope}`);
    }
    // the command line and interpreter come from settings a workspace may set: trusted workspaces only
    assert.equal(pkg.capabilities?.untrustedWorkspaces?.supported, false);
  });
  it("declares the language model tools the code registers", () => {
    assert.deepEqual(pkg.contributes.languageModelTools.map((t) => t.name).sort(), Object.values(ToolNames).sort());
    for (const t of pkg.contributes.languageModelTools) {
      assert.ok(t.modelDescription.length > 40 && t.inputSchema, t.name);
    }
  });
  it("has the blast radius view, the bundle entry point and packaging metadata", () => {
    assert.ok(pkg.contributes.views.explorer.some((v) => v.id === "isgBlastRadius"));
    assert.equal(pkg.main, "./dist/extension.js");
    assert.equal(pkg.license, "MIT");
    assert.ok(pkg.repository);
    assert.ok(existsSync(join(root, "LICENSE")));
  });
});
