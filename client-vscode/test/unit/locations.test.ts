import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { countLabel, describeEdgeList, edgeListLocations, isLocation, parseShowLocationsArgs, targetName } from "../../src/logic/locations";
import { node } from "./helpers";

const loc = { uri: "file:///ws/src/shapes.rs", range: { start: { line: 12, character: 0 }, end: { line: 16, character: 1 } } };

describe("isg.showLocations arguments", () => {
  it("accepts [uri, position, locations, title]", () => {
    const r = parseShowLocationsArgs(["file:///ws/src/shapes.rs", { line: 0, character: 10 }, [loc], "2 implementations"]);
    assert.ok(r.ok);
    if (r.ok) {
      assert.equal(r.value[0], "file:///ws/src/shapes.rs");
      assert.deepEqual(r.value[1], { line: 0, character: 10 });
      assert.deepEqual(r.value[2], [loc]);
      assert.equal(r.value[3], "2 implementations");
    }
  });
  it("tolerates a missing title", () => {
    const r = parseShowLocationsArgs(["file:///a", { line: 0, character: 0 }, []]);
    assert.ok(r.ok && r.value[3] === "");
  });
  it("explains malformed arguments", () => {
    const bad = (args: unknown[]) => {
      const r = parseShowLocationsArgs(args);
      assert.ok(!r.ok);
      return r.ok ? "" : r.reason;
    };
    assert.match(bad([1]), /uri/);
    assert.match(bad(["u", { line: "1", character: 0 }, []]), /position/);
    assert.match(bad(["u", { line: 1, character: 0 }, {}]), /not an array/);
    assert.match(bad(["u", { line: 1, character: 0 }, [loc, { uri: "x" }]]), /item 1/);
  });
  it("isLocation", () => {
    assert.ok(isLocation(loc));
    assert.ok(!isLocation({ uri: "x", range: { start: { line: 0 } } }));
  });
});

describe("edge lists", () => {
  const list = [
    { node: node("demo::shapes::Circle", "S"), edge: { kind: "IMPL" as const, resolution: "import" as const } },
    { node: node("demo::shapes::Circle", "S"), edge: { kind: "IMPL" as const, resolution: "exact" as const } },
    { node: node("ext::Thing", "S", { external: true, location: null }), edge: { kind: "IMPL" as const, resolution: "heuristic" as const } },
  ];
  it("keeps locations in order without duplicates and skips external nodes", () => {
    assert.equal(edgeListLocations(list).length, 1);
  });
  it("describes counts", () => {
    assert.equal(describeEdgeList(list, 1, "implementation"), "3 implementations (1 heuristic, 1 without location)");
    assert.equal(countLabel(1, "caller"), "1 caller");
    assert.equal(targetName([]), "(unknown target)");
    assert.equal(targetName([node("a::f"), node("a::f")]), "a::f (+1 overloads)");
  });
});
