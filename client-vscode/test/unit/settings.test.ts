import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import {
  buildInitializationOptions,
  classifyConfigChange,
  DEFAULT_SETTINGS,
  readSettings,
  resolveServerCommand,
  serverMissingMessage,
} from "../../src/logic/settings";
import type { PythonCandidate } from "../../src/logic/python";
import { DEFAULT_INITIALIZATION_OPTIONS } from "../../src/protocol";

const getter = (values: Record<string, unknown>) => (key: string) => values[key];

describe("readSettings", () => {
  it("gives the documented defaults when nothing is set", () => {
    const { settings, warnings } = readSettings(getter({}));
    assert.deepEqual(warnings, []);
    assert.deepEqual(settings, DEFAULT_SETTINGS);
  });

  it("reads every setting", () => {
    const { settings, warnings } = readSettings(
      getter({
        "server.command": ["isg-lsp", "serve"],
        "server.pythonPath": "/venv/bin/python",
        "lenses.implementations": false,
        "lenses.callers": true,
        "lenses.blastRadius": false,
        blastRadiusDepth: 5,
        exclude: ["vendor/"],
        databasePath: "/tmp/x.db",
        useGitignore: false,
        includeHeuristic: false,
        maxFileBytes: 1000,
        "trace.server": "verbose",
      }),
    );
    assert.deepEqual(warnings, []);
    assert.deepEqual(settings.serverCommand, ["isg-lsp", "serve"]);
    assert.equal(settings.pythonPath, "/venv/bin/python");
    assert.deepEqual(settings.lenses, { implementations: false, callers: true, blastRadius: false });
    assert.equal(settings.blastRadiusDepth, 5);
    assert.deepEqual(settings.exclude, ["vendor/"]);
    assert.equal(settings.databasePath, "/tmp/x.db");
    assert.equal(settings.useGitignore, false);
    assert.equal(settings.includeHeuristic, false);
    assert.equal(settings.maxFileBytes, 1000);
    assert.equal(settings.trace, "verbose");
  });

  it("replaces wrong values by defaults with a readable warning", () => {
    const { settings, warnings } = readSettings(
      getter({ "lenses.callers": "yes", exclude: "target/", blastRadiusDepth: 42, "server.command": [], "trace.server": "loud" }),
    );
    assert.equal(settings.lenses.callers, true);
    assert.deepEqual(settings.exclude, DEFAULT_SETTINGS.exclude);
    assert.equal(settings.blastRadiusDepth, 10);
    assert.equal(settings.serverCommand, null);
    assert.equal(settings.trace, "off");
    assert.equal(warnings.length, 4);
    assert.match(warnings.join("\n"), /isg\.lenses\.callers should be true or false/);
    assert.match(warnings.join("\n"), /isg\.blastRadiusDepth = 42 is outside 1\.\.10; using 10/);
  });

  it("treats an empty pythonPath as unset", () => {
    assert.equal(readSettings(getter({ "server.pythonPath": "  " })).settings.pythonPath, null);
  });
});

describe("buildInitializationOptions", () => {
  it("maps defaults to exactly the documented defaults, lenses nested", () => {
    assert.deepEqual(buildInitializationOptions(DEFAULT_SETTINGS), DEFAULT_INITIALIZATION_OPTIONS);
  });

  it("nests dotted keys and uses the protocol's camelCase names", () => {
    const { settings } = readSettings(getter({ "lenses.implementations": false, blastRadiusDepth: 2, exclude: ["a/"] }));
    const opts = buildInitializationOptions(settings);
    assert.deepEqual(Object.keys(opts).sort(), [
      "blastRadiusDepth",
      "databasePath",
      "exclude",
      "includeHeuristic",
      "lenses",
      "maxFileBytes",
      "useGitignore",
    ]);
    assert.deepEqual(opts.lenses, { implementations: false, callers: true, blastRadius: true });
    assert.equal(opts.blastRadiusDepth, 2);
    assert.deepEqual(opts.exclude, ["a/"]);
    assert.equal("lenses.implementations" in opts, false);
    // a JSON round trip keeps it as is (null databasePath included)
    assert.deepEqual(JSON.parse(JSON.stringify(opts)), opts);
  });
});

describe("resolveServerCommand", () => {
  const s = (v: Record<string, unknown>) => readSettings(getter(v)).settings;
  const py = (command: string, source: PythonCandidate["source"] = "PATH", args: string[] = []): PythonCandidate => ({ command, args, source });
  it("prefers isg.server.command, as is, even with a bundled server", () => {
    const c = resolveServerCommand(s({ "server.command": ["isg-lsp", "serve", "--log", "x"], "server.pythonPath": "/p" }), py("/p"), "/ext/bundled/tool/isg_server.py");
    assert.deepEqual(c, { command: "isg-lsp", args: ["serve", "--log", "x"], source: "isg.server.command", python: null, bundled: false });
  });
  it("runs the bundled launcher in isolated mode with the chosen Python", () => {
    const c = resolveServerCommand(s({}), py("/usr/bin/python3.12"), "/ext/bundled/tool/isg_server.py");
    assert.deepEqual(c, {
      command: "/usr/bin/python3.12",
      args: ["-I", "/ext/bundled/tool/isg_server.py"],
      source: "PATH",
      python: py("/usr/bin/python3.12"),
      bundled: true,
    });
    const w = resolveServerCommand(s({}), py("py", "PATH", ["-3"]), "C:\\ext\\isg_server.py");
    assert.deepEqual([w.command, ...w.args], ["py", "-3", "-I", "C:\\ext\\isg_server.py"]);
  });
  it("runs the interpreter's own isg_lsp without a bundle or with importStrategy fromEnvironment", () => {
    assert.deepEqual(resolveServerCommand(s({ "server.pythonPath": "/p" }), py("/p", "isg.server.pythonPath"), null), {
      command: "/p",
      args: ["-m", "isg_lsp", "serve"],
      source: "isg.server.pythonPath",
      python: py("/p", "isg.server.pythonPath"),
      bundled: false,
    });
    const c = resolveServerCommand(s({ "server.importStrategy": "fromEnvironment" }), py("/ext/python", "python extension"), "/ext/bundled/tool/isg_server.py");
    assert.deepEqual([c.command, ...c.args, c.source, c.bundled], ["/ext/python", "-m", "isg_lsp", "serve", "python extension", false]);
  });
  it("reads importStrategy and warns about a wrong value", () => {
    assert.equal(s({}).importStrategy, "useBundled");
    const r = readSettings(getter({ "server.importStrategy": "bundled" }));
    assert.equal(r.settings.importStrategy, "useBundled");
    assert.match(r.warnings[0], /importStrategy/);
  });
  it("explains how to install the server when it cannot start", () => {
    const msg = serverMissingMessage(resolveServerCommand(s({}), py("python3"), null), "python3 has no module isg_lsp.");
    assert.match(msg, /python3 -m isg_lsp serve/);
    assert.match(msg, /pipx install \./);
    assert.match(msg, /uv tool install \./);
  });
  it("says what to do when the bundled server does not start", () => {
    const msg = serverMissingMessage(resolveServerCommand(s({}), py("python3"), "/ext/isg_server.py"), "the tree-sitter grammars of rust do not load");
    assert.match(msg, /bundled with the extension/);
    assert.match(msg, /grammars of rust/);
    assert.match(msg, /importStrategy to "fromEnvironment"/);
  });
});

describe("classifyConfigChange", () => {
  const only = (section: string) => (s: string) => s === section || section.startsWith(s + ".");
  it("restarts for the command line and indexing settings", () => {
    for (const k of ["isg.server.command", "isg.server.pythonPath", "isg.server.importStrategy", "isg.exclude", "isg.databasePath", "isg.useGitignore", "isg.maxFileBytes"]) {
      assert.equal(classifyConfigChange(only(k)), "restart", k);
    }
  });
  it("notifies for lenses, depth and heuristics; nothing for unrelated settings", () => {
    assert.equal(classifyConfigChange(only("isg.lenses.callers")), "notify");
    assert.equal(classifyConfigChange(only("isg.blastRadiusDepth")), "notify");
    assert.equal(classifyConfigChange(only("isg.trace.server")), "trace");
    assert.equal(classifyConfigChange(only("editor.fontSize")), "none");
  });
});
