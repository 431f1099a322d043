// npm run ci: lint, typecheck, build, unit tests, integration test, package (+ vsix check), in order; stops at the
// first failure and prints a summary.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const steps = ["lint", "typecheck", "build", "test:unit", "test:integration", "package"];
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const results = [];
const t0 = Date.now();
for (const step of steps) {
  console.log(`\n==> [isg client-vscode ci] npm run ${step}`);
  const t = Date.now();
  const r = spawnSync(npm, ["run", "--silent", step], { cwd: root, stdio: "inherit", env: process.env });
  const secs = ((Date.now() - t) / 1000).toFixed(1);
  const ok = r.status === 0;
  results.push({ step, ok, secs });
  console.log(`<== ${step}: ${ok ? "OK" : `FAILED (exit ${r.status ?? r.signal})`} in ${secs}s`);
  if (!ok) break;
}
console.log("\n[isg client-vscode ci] summary");
for (const r of results) console.log(`  ${r.ok ? "ok  " : "FAIL"} ${r.step} (${r.secs}s)`);
for (const s of steps.slice(results.length)) console.log(`  skip ${s} (not run)`);
const failed = results.some((r) => !r.ok);
console.log(`[isg client-vscode ci] ${failed ? "FAILED" : "passed"} in ${((Date.now() - t0) / 1000).toFixed(1)}s`);
process.exit(failed ? 1 : 0);
