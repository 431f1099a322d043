/** Inside VS Code: activates the extension on the fixture workspace and runs the shared integration checks. */
import * as vscode from "vscode";
import type { IsgExtensionApi } from "../../../src/extension";
import { Methods, type StatsResult } from "../../../src/protocol";
import { checks, loadFixture, type Driver } from "../../integration/checks";

export async function run(): Promise<void> {
  const workspace = process.env.ISG_FIXTURE ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (!workspace) throw new Error("no fixture workspace open");
  if (process.env.ISG_PYTHON) {
    await vscode.workspace.getConfiguration("isg").update("server.pythonPath", process.env.ISG_PYTHON, vscode.ConfigurationTarget.Global);
  }
  const fx = loadFixture(workspace);
  await vscode.window.showTextDocument(vscode.Uri.file(fx.shapes.path));
  const ext = vscode.extensions.getExtension<IsgExtensionApi>("isg-lsp.isg-lsp");
  if (!ext) throw new Error("extension isg-lsp.isg-lsp not found");
  const api = ext.isActive ? ext.exports : await ext.activate();
  const deadline = Date.now() + 60000;
  while (Date.now() < deadline) {
    if (api.state === "running") {
      const s = await api.request(Methods.stats, {}).catch(() => null as StatsResult | null);
      if (s?.state === "ready") break;
    }
    if (api.state === "failed") throw new Error("the extension could not start the server");
    await new Promise((r) => setTimeout(r, 250));
  }
  const driver: Driver = { request: (method, params) => api.sendRequest(method, params) };
  const failures: string[] = [];
  for (const check of checks) {
    try {
      await check.run(driver, fx);
      console.log(`ok   ${check.name}`);
    } catch (e) {
      console.log(`FAIL ${check.name}: ${(e as Error).message}`);
      failures.push(check.name);
    }
  }
  console.log(`${checks.length - failures.length} passed, ${failures.length} failed`);
  if (failures.length) throw new Error(`${failures.length} integration check(s) failed: ${failures.join("; ")}`);
}
