/**
 * Runs the integration checks inside a real VS Code with @vscode/test-electron:
 *   npm run build:tests && node out/test/electron/runTest.js
 * It downloads VS Code, so it is not part of `npm run ci` (which runs the same checks over stdio in plain Node).
 * ISG_PYTHON picks the interpreter as in the Node integration test.
 */
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { runTests } from "@vscode/test-electron";

async function main(): Promise<void> {
  const extensionDevelopmentPath = resolve(__dirname, "..", "..", "..");
  const extensionTestsPath = resolve(__dirname, "suite", "index.js");
  const workspace = mkdtempSync(join(tmpdir(), "isg-electron-fixture-"));
  cpSync(join(extensionDevelopmentPath, "test", "fixture"), workspace, { recursive: true });
  const python = process.env.ISG_PYTHON || "python3";
  await runTests({
    extensionDevelopmentPath,
    extensionTestsPath,
    launchArgs: [workspace, "--disable-extensions", "--skip-welcome", "--skip-release-notes"],
    extensionTestsEnv: { ISG_FIXTURE: workspace, ISG_PYTHON: python, PYTHONPATH: resolve(extensionDevelopmentPath, "..") },
  });
}

main().catch((e: unknown) => {
  console.error("electron integration test failed:", e);
  process.exit(1);
});
