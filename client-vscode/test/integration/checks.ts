/**
 * The integration checks against a running isg-lsp server, written against docs/protocol.md and LSP 3.17.
 *
 * They only need a `Driver` that sends raw LSP requests, so the same list runs
 *  - in plain Node (server.test.ts: a stdio JSON-RPC connection to `python3 -m isg_lsp serve`), and
 *  - inside VS Code under @vscode/test-electron (test/electron/suite: the extension's own LanguageClient).
 * No `vscode` import here.
 */
import { strict as assert } from "node:assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { buildBlastTree } from "../../src/logic/blastTree";
import { parseShowLocationsArgs } from "../../src/logic/locations";
import {
  Commands,
  INVALID_PARAMS,
  Methods,
  type BlastRadiusResult,
  type CallsResult,
  type ContextResult,
  type Location,
  type Position,
  type QueryResult,
  type StatsResult,
  type WhoImplementsResult,
} from "../../src/protocol";

export interface Driver {
  request<R = unknown>(method: string, params: unknown): Promise<R>;
}

export interface FixtureFile {
  path: string;
  uri: string;
  text: string;
}

export interface Fixture {
  root: string;
  lib: FixtureFile;
  shapes: FixtureFile;
}

export function loadFixture(root: string): Fixture {
  const file = (rel: string): FixtureFile => {
    const path = join(root, rel);
    return { path, uri: pathToFileURL(path).href, text: readFileSync(path, "utf8") };
  };
  return { root, lib: file("src/lib.rs"), shapes: file("src/shapes.rs") };
}

/** Position of the `nth` occurrence of `needle` in `text`, plus `offset` characters into it (ASCII fixture). */
export function positionOf(text: string, needle: string, offset = 0, nth = 0): Position {
  let idx = -1;
  for (let i = 0; i <= nth; i++) {
    idx = text.indexOf(needle, idx + 1);
    if (idx < 0) throw new Error(`fixture: ${JSON.stringify(needle)} (#${nth}) not found`);
  }
  const before = text.slice(0, idx + offset);
  const line = before.split("\n").length - 1;
  return { line, character: idx + offset - (before.lastIndexOf("\n") + 1) };
}

// Minimal LSP shapes used below
interface CodeLens {
  range: { start: Position; end: Position };
  command?: { title: string; command: string; arguments?: unknown[] };
  data?: unknown;
}
interface HierarchyItem {
  name: string;
  uri: string;
  range: { start: Position; end: Position };
  selectionRange: { start: Position; end: Position };
}
interface IncomingCall {
  from: HierarchyItem;
}

const fileOf = (uri: string): string => decodeURIComponent(uri).replace(/^.*\/src\//, "src/");

async function expectInvalidParams(p: Promise<unknown>, what: string): Promise<void> {
  try {
    await p;
  } catch (e) {
    const err = e as { code?: number; message?: string };
    assert.equal(err.code, INVALID_PARAMS, `${what}: expected error ${INVALID_PARAMS}, got ${String(err.code)} ${err.message ?? ""}`);
    assert.match(err.message ?? "", /no node matches/i, `${what}: error message`);
    return;
  }
  assert.fail(`${what}: expected an error ${INVALID_PARAMS} "no node matches ..."`);
}

export interface Check {
  name: string;
  run(driver: Driver, fx: Fixture): Promise<void>;
}

export const checks: Check[] = [
  {
    name: "isg/stats: ready, with the fixture's files and nodes",
    async run(d) {
      const s = await d.request<StatsResult>(Methods.stats, {});
      assert.equal(s.state, "ready");
      assert.ok(s.files >= 2, `files: ${s.files}`);
      assert.ok(s.nodes >= 6, `nodes: ${s.nodes} (Shape, Circle, Square, Describe, total_area, report, ...)`);
      assert.ok(s.edges >= 4, `edges: ${s.edges}`);
      assert.ok((s.byLanguage.rust ?? 0) >= 2, `byLanguage: ${JSON.stringify(s.byLanguage)}`);
      assert.equal(typeof s.nodesByKind, "object");
      assert.equal(typeof s.latencyMs.query.p50, "number");
    },
  },
  {
    name: "textDocument/codeLens (+ codeLens/resolve) on trait Shape: 2 implementations",
    async run(d, fx) {
      const traitLine = positionOf(fx.shapes.text, "pub trait Shape").line;
      const lenses = (await d.request<CodeLens[] | null>("textDocument/codeLens", { textDocument: { uri: fx.shapes.uri } })) ?? [];
      assert.ok(lenses.length > 0, "no code lenses in src/shapes.rs");
      const onTrait = lenses.filter((l) => l.range.start.line === traitLine);
      assert.ok(onTrait.length > 0, `no lens on line ${traitLine} (trait Shape); lenses on lines ${lenses.map((l) => l.range.start.line).join(", ")}`);
      const resolved: CodeLens[] = [];
      for (const lens of onTrait) resolved.push(lens.command ? lens : await d.request<CodeLens>("codeLens/resolve", lens));
      const titles = resolved.map((l) => l.command?.title ?? "(unresolved)");
      const impl = resolved.find((l) => /\b2 implementations\b/.test(l.command?.title ?? ""));
      assert.ok(impl, `trait Shape lenses: ${JSON.stringify(titles)}; expected one saying "2 implementations"`);
      if (impl.command?.command === Commands.showLocations) {
        const args = parseShowLocationsArgs(impl.command.arguments ?? []);
        assert.ok(args.ok, `isg.showLocations arguments: ${args.ok ? "" : args.reason}`);
        const locations = args.value[2];
        assert.equal(locations.length, 2, "the lens lists 2 locations");
        assert.ok(locations.every((l) => fileOf(l.uri) === "src/shapes.rs"));
        // docs/protocol.md: the server also answers the command through workspace/executeCommand
        const viaServer = await d.request<Location[] | null>("workspace/executeCommand", {
          command: Commands.showLocations,
          arguments: impl.command.arguments,
        });
        assert.ok(Array.isArray(viaServer) && viaServer.length === 2, `workspace/executeCommand isg.showLocations: ${JSON.stringify(viaServer)}`);
      }
    },
  },
  {
    name: "textDocument/prepareTypeHierarchy + typeHierarchy/subtypes: Circle and Square",
    async run(d, fx) {
      const items = await d.request<HierarchyItem[] | null>("textDocument/prepareTypeHierarchy", {
        textDocument: { uri: fx.shapes.uri },
        position: positionOf(fx.shapes.text, "pub trait Shape", "pub trait ".length + 1),
      });
      assert.ok(items && items.length > 0, "prepareTypeHierarchy on Shape returned nothing");
      assert.equal(items[0].name, "Shape");
      const subs = (await d.request<HierarchyItem[] | null>("typeHierarchy/subtypes", { item: items[0] })) ?? [];
      assert.deepEqual(subs.map((s) => s.name).sort(), ["Circle", "Square"]);
      const supers = (await d.request<HierarchyItem[] | null>("typeHierarchy/supertypes", { item: subs[0] })) ?? [];
      assert.ok(supers.some((s) => s.name === "Shape"), `supertypes of ${subs[0].name}: ${supers.map((s) => s.name).join(", ")}`);
    },
  },
  {
    name: "callHierarchy/incomingCalls: report calls total_area; total_area calls area",
    async run(d, fx) {
      const prepare = async (file: FixtureFile, pos: Position): Promise<HierarchyItem[]> =>
        (await d.request<HierarchyItem[] | null>("textDocument/prepareCallHierarchy", { textDocument: { uri: file.uri }, position: pos })) ?? [];
      const incoming = async (item: HierarchyItem): Promise<string[]> =>
        ((await d.request<IncomingCall[] | null>("callHierarchy/incomingCalls", { item })) ?? []).map((c) => c.from.name);

      const total = await prepare(fx.lib, positionOf(fx.lib.text, "pub fn total_area", "pub fn ".length + 1));
      assert.ok(total.length > 0, "prepareCallHierarchy on total_area returned nothing");
      assert.equal(total[0].name, "total_area");
      assert.deepEqual(await incoming(total[0]), ["report"]);

      // s.area() on a &dyn Shape: the edge may go to the trait method or (heuristically) to the impls; one of them
      const callersOfArea = new Set<string>();
      for (let nth = 0; nth < 3; nth++) {
        const items = await prepare(fx.shapes, positionOf(fx.shapes.text, "fn area", "fn ".length + 1, nth));
        assert.ok(items.length > 0, `prepareCallHierarchy on area #${nth} returned nothing`);
        for (const name of await incoming(items[0])) callersOfArea.add(name);
      }
      assert.ok(callersOfArea.has("total_area"), `callers of area: ${[...callersOfArea].join(", ") || "(none)"}`);
    },
  },
  {
    name: "isg/whoImplements: by fqp and at a position",
    async run(d, fx) {
      const byFqp = await d.request<WhoImplementsResult>(Methods.whoImplements, { fqp: "demo::shapes::Shape" });
      assert.ok(byFqp.target.some((t) => t.fqp === "demo::shapes::Shape" && t.kind === "T"), `target: ${JSON.stringify(byFqp.target.map((t) => t.fqp))}`);
      const fqps = byFqp.implementors.map((i) => i.node.fqp);
      assert.deepEqual(fqps, ["demo::shapes::Circle", "demo::shapes::Square"]);
      assert.equal(byFqp.heuristicCount, 0);
      for (const i of byFqp.implementors) {
        assert.equal(i.edge.kind, "IMPL");
        assert.ok(i.node.location && fileOf(i.node.location.uri) === "src/shapes.rs", `location of ${i.node.fqp}`);
      }
      const atCursor = await d.request<WhoImplementsResult>(Methods.whoImplements, {
        textDocument: { uri: fx.shapes.uri },
        position: positionOf(fx.shapes.text, "pub trait Shape", "pub trait ".length + 2),
      });
      assert.deepEqual(atCursor.implementors.map((i) => i.node.fqp), fqps);
      const describe = await d.request<WhoImplementsResult>(Methods.whoImplements, { fqp: "demo::Describe" });
      assert.deepEqual(describe.implementors.map((i) => i.node.fqp), ["demo::shapes::Circle", "demo::shapes::Square"]);
      await expectInvalidParams(d.request(Methods.whoImplements, { fqp: "demo::NoSuchTrait" }), "isg/whoImplements on an unknown fqp");
    },
  },
  {
    name: "isg/callers: report calls total_area",
    async run(d, fx) {
      const r = await d.request<CallsResult>(Methods.callers, {
        textDocument: { uri: fx.lib.uri },
        position: positionOf(fx.lib.text, "pub fn total_area", "pub fn ".length + 3),
      });
      assert.ok(r.target.some((t) => t.fqp === "demo::total_area"), `target: ${JSON.stringify(r.target.map((t) => t.fqp))}`);
      assert.deepEqual(r.calls.map((c) => c.node.fqp), ["demo::report"]);
      assert.equal(r.calls[0].edge.kind, "CALLS");
      const callees = await d.request<CallsResult>(Methods.callees, { fqp: "demo::report" });
      assert.ok(callees.calls.some((c) => c.node.fqp === "demo::total_area"), `callees of report: ${callees.calls.map((c) => c.node.fqp).join(", ")}`);
    },
  },
  {
    name: "isg/blastRadius: implementors and users of Shape, grouped by module",
    async run(d) {
      const r = await d.request<BlastRadiusResult>(Methods.blastRadius, { fqp: "demo::shapes::Shape", depth: 3 });
      const fqps = r.impacted.map((i) => i.node.fqp);
      for (const expected of ["demo::shapes::Circle", "demo::shapes::Square"]) assert.ok(fqps.includes(expected), `impacted: ${fqps.join(", ")}`);
      assert.ok(r.total >= r.impacted.length);
      assert.equal(typeof r.truncated, "boolean");
      for (const i of r.impacted) {
        assert.ok(i.distance >= 1 && i.distance <= 3, `distance of ${i.node.fqp}: ${i.distance}`);
        assert.equal(typeof i.heuristic, "boolean");
      }
      const tree = buildBlastTree(r);
      assert.ok(tree.groups.length > 0);
      assert.ok(tree.groups.some((g) => g.module === "demo::shapes"), `modules: ${tree.groups.map((g) => g.module).join(", ")}`);
      const down = await d.request<BlastRadiusResult>(Methods.blastRadius, { fqp: "demo::report", direction: "down", depth: 2 });
      assert.ok(down.impacted.some((i) => i.node.fqp === "demo::total_area"), `down from report: ${down.impacted.map((i) => i.node.fqp).join(", ")}`);
    },
  },
  {
    name: "isg/query: who-implements demo::shapes::Shape",
    async run(d) {
      const r = await d.request<QueryResult>(Methods.query, { query: "who-implements demo::shapes::Shape" });
      assert.ok(Array.isArray(r.columns) && Array.isArray(r.rows));
      assert.equal(r.rows.length, 2, `rows: ${JSON.stringify(r.rows)}`);
      const text = JSON.stringify(r.rows);
      assert.ok(text.includes("demo::shapes::Circle") && text.includes("demo::shapes::Square"), text);
      assert.equal(typeof r.elapsedMs, "number");
      try {
        await d.request(Methods.query, { query: "who-implements (((" });
        assert.fail("a malformed query should fail");
      } catch (e) {
        assert.equal((e as { code?: number }).code, INVALID_PARAMS, `malformed query: ${String((e as Error).message)}`);
      }
    },
  },
  {
    name: "isg/context: triples and signatures around Shape",
    async run(d, fx) {
      const r = await d.request<ContextResult>(Methods.context, {
        textDocument: { uri: fx.shapes.uri },
        position: positionOf(fx.shapes.text, "pub trait Shape", "pub trait ".length),
      });
      assert.ok(r.text.includes("Shape"), r.text.slice(0, 500));
      assert.ok(r.text.includes("Circle") || r.text.includes("Square"), "context mentions an implementor");
      assert.ok(r.tokens > 0 && r.tokens <= 2000, `tokens: ${r.tokens}`);
      assert.ok(r.nodes > 0);
      const small = await d.request<ContextResult>(Methods.context, { fqp: "demo::shapes::Shape", budgetTokens: 200 });
      assert.ok(small.tokens <= 200, `budgetTokens 200 gave ${small.tokens}`);
    },
  },
];
