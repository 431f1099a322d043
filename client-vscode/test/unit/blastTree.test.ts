import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { buildBlastTree, EXTERNAL_MODULE, iconForKind, moduleOf, normalizeFqp } from "../../src/logic/blastTree";
import type { BlastRadiusResult } from "../../src/protocol";
import { node } from "./helpers";

describe("moduleOf", () => {
  it("uses the longest known module that prefixes the fqp", () => {
    assert.equal(moduleOf(node("demo::shapes::Circle", "S"), ["demo", "demo::shapes"]), "demo::shapes");
    assert.equal(moduleOf(node("demo::report", "F"), ["demo", "demo::shapes"]), "demo");
    assert.equal(moduleOf(node("demo::shapesx::f", "F"), ["demo::shapes"]), "demo::shapesx");
  });
  it("derives the module from the fqp, skipping type segments of methods", () => {
    assert.equal(moduleOf(node("demo::shapes::Circle::area", "F"), []), "demo::shapes");
    assert.equal(moduleOf(node("<demo::shapes::Circle as demo::shapes::Shape>::area", "F"), []), "demo::shapes");
    assert.equal(moduleOf(node("com.acme.svc.Service.run", "F", { lang: "java" }), []), "com.acme.svc");
    assert.equal(moduleOf(node("demo::shapes", "M"), []), "demo::shapes");
    assert.equal(moduleOf(node("serde::Serialize", "T", { external: true, location: null }), []), EXTERNAL_MODULE);
  });
  it("normalizes qualified paths", () => {
    assert.equal(normalizeFqp("<a::B as a::T>::f"), "a::B::f");
    assert.equal(normalizeFqp("a::b"), "a::b");
  });
});

describe("buildBlastTree", () => {
  const result: BlastRadiusResult = {
    target: [node("demo::shapes::Shape", "T")],
    impacted: [
      { node: node("<demo::shapes::Circle as demo::shapes::Shape>::area"), distance: 1, via: "IMPL", heuristic: false, path: ["demo::shapes::Shape", "<demo::shapes::Circle as demo::shapes::Shape>::area"] },
      { node: node("demo::total_area"), distance: 1, via: "ACCEPTS", heuristic: false, path: ["demo::shapes::Shape", "demo::total_area"] },
      { node: node("demo::report"), distance: 2, via: "CALLS", heuristic: true, path: ["demo::shapes::Shape", "demo::total_area", "demo::report"] },
      { node: node("other::thing", "F", { external: true, location: null }), distance: 3, via: "USES", heuristic: false, path: [] },
    ],
    byModule: [
      { module: "demo", count: 2 },
      { module: "demo::shapes", count: 1 },
    ],
    byKind: [{ kind: "function", count: 4 }],
    total: 7,
    heuristicCount: 1,
    truncated: true,
  };

  it("groups by module in the server's module order and keeps the ranking inside a group", () => {
    const t = buildBlastTree(result);
    assert.deepEqual(
      t.groups.map((g) => [g.module, g.count, g.heuristicCount]),
      [
        ["demo", 2, 1],
        ["demo::shapes", 1, 0],
        [EXTERNAL_MODULE, 1, 0],
      ],
    );
    assert.deepEqual(
      t.groups[0].items.map((i) => i.label),
      ["total_area", "report"],
    );
    assert.equal(t.summary, "demo::shapes::Shape: 7 impacted (1 heuristic), showing 4");
  });

  it("marks heuristic nodes and keeps locations for navigation", () => {
    const t = buildBlastTree(result);
    const report = t.groups[0].items[1];
    assert.equal(report.heuristic, true);
    assert.equal(report.description, "CALLS · 2 hops (heuristic)");
    assert.match(report.tooltip, /demo::shapes::Shape → demo::total_area → demo::report/);
    assert.ok(report.location);
    assert.equal(iconForKind("function", true), "question");
    assert.equal(iconForKind("trait", false), "symbol-interface");
    const ext = t.groups[2].items[0];
    assert.equal(ext.location, null);
    assert.match(ext.description, /\(external\)/);
  });

  it("handles an empty result", () => {
    const t = buildBlastTree({ ...result, impacted: [], byModule: [], total: 0, heuristicCount: 0, truncated: false });
    assert.deepEqual(t.groups, []);
    assert.equal(t.summary, "demo::shapes::Shape: 0 impacted");
  });
});
