import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { runTool, toolInvocationMessage, toolTarget, ToolNames } from "../../src/logic/tools";
import type { IsgMethod, IsgRequester, RequestTypes } from "../../src/protocol";
import { node } from "./helpers";

function fakeServer(answers: Partial<{ [M in IsgMethod]: RequestTypes[M]["result"] }>) {
  const calls: { method: string; params: unknown }[] = [];
  const server: IsgRequester = {
    request<M extends IsgMethod>(method: M, params: RequestTypes[M]["params"]): Promise<RequestTypes[M]["result"]> {
      calls.push({ method, params });
      const a = answers[method];
      return a ? Promise.resolve(a as RequestTypes[M]["result"]) : Promise.reject(new Error(`unexpected ${method}`));
    },
  };
  return { server, calls };
}

describe("toolTarget", () => {
  it("uses the fqp, or file with 1-based line/column", () => {
    assert.deepEqual(toolTarget({ symbol: " demo::shapes::Shape " }), { fqp: "demo::shapes::Shape" });
    assert.deepEqual(toolTarget({ file: "/ws/src/lib.rs", line: 3, column: 5 }), {
      textDocument: { uri: "file:///ws/src/lib.rs" },
      position: { line: 2, character: 4 },
    });
    assert.deepEqual(toolTarget({ file: "file:///ws/a.rs" }).textDocument, { uri: "file:///ws/a.rs" });
  });
  it("tells the model what to pass", () => {
    assert.throws(() => toolTarget({}), /Pass `symbol`/);
    assert.throws(() => toolTarget({ file: "/a", line: 0 }), /1-based/);
  });
});

describe("runTool", () => {
  it("who-implements", async () => {
    const { server, calls } = fakeServer({
      "isg/whoImplements": {
        target: [node("demo::shapes::Shape", "T")],
        implementors: [{ node: node("demo::shapes::Square", "S"), edge: { kind: "IMPL", resolution: "exact" } }],
        heuristicCount: 0,
      },
    });
    const text = await runTool(ToolNames.whoImplements, { symbol: "demo::shapes::Shape" }, server);
    assert.deepEqual(calls, [{ method: "isg/whoImplements", params: { fqp: "demo::shapes::Shape" } }]);
    assert.match(text, /demo::shapes::Square/);
  });
  it("blast radius clamps the depth", async () => {
    const { server, calls } = fakeServer({
      "isg/blastRadius": { target: [], impacted: [], byModule: [], byKind: [], total: 0, heuristicCount: 0, truncated: false },
    });
    await runTool(ToolNames.blastRadius, { symbol: "a::b", depth: 99, direction: "down" }, server);
    assert.deepEqual(calls[0].params, { fqp: "a::b", depth: 10, direction: "down" });
  });
  it("query and context", async () => {
    const { server, calls } = fakeServer({
      "isg/query": { columns: ["fqp"], rows: [{ fqp: "demo::shapes::Circle" }], heuristicCount: 0, truncated: false, elapsedMs: 1 },
      "isg/context": { text: "TRIPLES", tokens: 10, nodes: 2, sourceTokens: 100, ratio: 10 },
    });
    assert.match(await runTool(ToolNames.query, { query: "who-implements demo::shapes::Shape" }, server), /demo::shapes::Circle/);
    await assert.rejects(runTool(ToolNames.query, {}, server), /Pass `query`/);
    assert.equal(await runTool(ToolNames.context, { query: "shapes" }, server), "TRIPLES");
    assert.deepEqual(calls[1].params, { query: "shapes" });
    assert.match(toolInvocationMessage(ToolNames.blastRadius, { symbol: "a::b" }), /blast radius of a::b/);
  });
});
