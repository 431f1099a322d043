// Bundles the extension (dist/extension.js) and, with --tests, the tests (out/test/**/*.test.js) with esbuild.
import { build } from "esbuild";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const withTests = process.argv.includes("--tests");
const production = process.argv.includes("--production") || process.env.NODE_ENV === "production";

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== "fixture") out.push(...findTests(p));
    } else if (/\.test\.ts$/.test(name) || (/[\\/]electron([\\/]|$)/.test(dir) && name.endsWith(".ts"))) {
      out.push(p);
    }
  }
  return out;
}

const common = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  external: ["vscode"],
  logLevel: "warning",
};

const t0 = Date.now();
await build({
  ...common,
  entryPoints: [join(root, "src/extension.ts")],
  outfile: join(root, "dist/extension.js"),
  sourcemap: production ? false : "linked",
  minify: production,
});
let summary = "dist/extension.js";
if (withTests) {
  rmSync(join(root, "out"), { recursive: true, force: true });
  const entries = findTests(join(root, "test"));
  await build({
    ...common,
    entryPoints: entries,
    outdir: join(root, "out/test"),
    outbase: join(root, "test"),
    external: [...common.external, "@vscode/test-electron"],
    sourcemap: "inline",
  });
  summary += ` + ${entries.length} test bundles (${entries.map((e) => relative(root, e)).join(", ")})`;
}
console.log(`esbuild: ${summary} in ${Date.now() - t0} ms`);
