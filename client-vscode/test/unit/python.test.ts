import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import {
  choosePython,
  isSupported,
  noPythonMessage,
  parseProbe,
  pythonCandidates,
  type Attempt,
  type PythonCandidate,
} from "../../src/logic/python";

const path = (command: string, args: string[] = []): PythonCandidate => ({ command, args, source: "PATH" });

describe("pythonCandidates", () => {
  it("uses isg.server.pythonPath alone when it is set", () => {
    assert.deepEqual(pythonCandidates("/opt/py/bin/python", "/ext/python", "linux"), [
      { command: "/opt/py/bin/python", args: [], source: "isg.server.pythonPath" },
    ]);
  });
  it("then the Python extension's interpreter, then PATH, newest names first", () => {
    const c = pythonCandidates(null, "/venv/bin/python", "linux");
    assert.deepEqual(c[0], { command: "/venv/bin/python", args: [], source: "python extension" });
    assert.deepEqual(
      c.slice(1).map((x) => x.command),
      ["python3", "python3.14", "python3.13", "python3.12", "python3.11", "python"],
    );
  });
  it("on Windows tries python, the py launcher with -3, then python3", () => {
    const c = pythonCandidates(null, null, "win32");
    assert.deepEqual(
      c.map((x) => [x.command, ...x.args].join(" ")),
      ["python", "py -3", "python3"],
    );
  });
});

describe("probe and choice", () => {
  it("parses what the probe prints, in any Python", () => {
    assert.deepEqual(parseProbe("3.11 /usr/bin/python3\n"), { version: [3, 11], executable: "/usr/bin/python3" });
    assert.deepEqual(parseProbe("3.13 C:\\Program Files\\Python313\\python.exe"), { version: [3, 13], executable: "C:\\Program Files\\Python313\\python.exe" });
    assert.equal(parseProbe("Python was not found; run without arguments to install from the Microsoft Store"), null);
  });
  it("needs 3.11 or newer", () => {
    assert.equal(isSupported([3, 10]), false);
    assert.equal(isSupported([2, 7]), false);
    assert.equal(isSupported([3, 11]), true);
    assert.equal(isSupported([3, 14]), true);
    assert.equal(isSupported([4, 0]), true);
  });
  it("takes the first supported interpreter, skipping old and missing ones", () => {
    const attempts: Attempt[] = [
      { candidate: { command: "/venv/bin/python", args: [], source: "python extension" }, outcome: { kind: "ok", version: [3, 9], executable: "/venv/bin/python" } },
      { candidate: path("python3"), outcome: { kind: "ok", version: [3, 10], executable: "/usr/bin/python3" } },
      { candidate: path("python3.14"), outcome: { kind: "not found" } },
      { candidate: path("python3.12"), outcome: { kind: "ok", version: [3, 12], executable: "/usr/bin/python3.12" } },
    ];
    assert.deepEqual(choosePython(attempts), { ...path("python3.12"), version: [3, 12], executable: "/usr/bin/python3.12" });
    assert.equal(choosePython(attempts.slice(0, 3)), null);
  });
});

describe("noPythonMessage", () => {
  const attempts: Attempt[] = [
    { candidate: path("python3"), outcome: { kind: "ok", version: [3, 9], executable: "/usr/bin/python3" } },
    { candidate: path("python3.13"), outcome: { kind: "not found" } },
    { candidate: path("python"), outcome: { kind: "failed", detail: "exit code 9009" } },
  ];
  it("says what was tried and how to get a Python, per platform", () => {
    const linux = noPythonMessage(attempts, "linux", undefined);
    assert.match(linux, /needs Python 3\.11 or newer, and none was found/);
    assert.match(linux, /python3: Python 3\.9, too old; python3\.13: not found; python: exit code 9009/);
    assert.match(linux, /sudo apt install python3/);
    assert.match(linux, /isg\.server\.pythonPath/);
    assert.match(linux, /Restart Server/);
    assert.match(noPythonMessage(attempts, "darwin", undefined), /brew install python@3\.12/);
    assert.match(noPythonMessage(attempts, "win32", undefined), /winget install Python\.Python\.3\.12/);
  });
  it("names the remote machine in a remote window", () => {
    assert.match(noPythonMessage(attempts, "linux", "ssh-remote"), /3\.11 or newer on the ssh-remote machine/);
  });
  it("blames the setting when isg.server.pythonPath is wrong", () => {
    const msg = noPythonMessage(
      [{ candidate: { command: "/nope/python", args: [], source: "isg.server.pythonPath" }, outcome: { kind: "not found" } }],
      "linux",
      "ssh-remote",
    );
    assert.match(msg, /isg\.server\.pythonPath does not point to a Python 3\.11 or newer/);
    assert.match(msg, /\/nope\/python \(isg\.server\.pythonPath\): not found/);
    assert.match(msg, /must exist on the remote machine/);
  });
});
