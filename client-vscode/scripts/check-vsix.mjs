// Lists the newest isg-lsp-*.vsix with `unzip -l` and checks that it holds the bundled extension.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const vsix = readdirSync(root)
  .filter((f) => /^isg-lsp-.*\.vsix$/.test(f))
  .map((f) => ({ f, t: statSync(join(root, f)).mtimeMs }))
  .sort((a, b) => b.t - a.t)[0]?.f;
if (!vsix) {
  console.error("check-vsix: no isg-lsp-*.vsix in client-vscode/; run `npm run package` first.");
  process.exit(1);
}
const listing = execFileSync("unzip", ["-l", join(root, vsix)], { encoding: "utf8" });
console.log(listing.trimEnd());
const required = ["extension/dist/extension.js", "extension/package.json", "extension/readme.md", "extension/LICENSE.txt"];
const names = listing.split("\n").map((line) => line.trim().split(/\s+/).slice(3).join(" ").toLowerCase());
const missing = required.filter((p) => !names.includes(p.toLowerCase()));
const forbidden = listing.split("\n").filter((l) => /extension\/(src|test|node_modules|out)\//.test(l));
if (missing.length) {
  console.error(`check-vsix: ${vsix} is missing ${missing.join(", ")}`);
  process.exit(1);
}
if (forbidden.length) {
  console.error(`check-vsix: ${vsix} should not contain sources, tests or node_modules:\n${forbidden.join("\n")}`);
  process.exit(1);
}
console.log(`check-vsix: OK: ${vsix} contains ${required.join(", ")}`);
