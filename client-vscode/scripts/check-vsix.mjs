// Lists a .vsix (default: the newest isg-lsp-*.vsix) with `unzip -l` and checks its content:
//   node scripts/check-vsix.mjs [FILE] [--bundled]
// Every .vsix holds the bundled extension and no sources, tests or node_modules. With --bundled (a platform .vsix)
// it must also hold the server: the launcher, isg_lsp with its .scm queries, tree-sitter's native module and every
// grammar; without it, no server at all.
import { execFileSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const bundled = args.includes("--bundled");
const named = args.find((a) => !a.startsWith("--"));
const vsix =
  named ??
  readdirSync(root)
    .filter((f) => /^isg-lsp-.*\.vsix$/.test(f))
    .map((f) => ({ f, t: statSync(join(root, f)).mtimeMs }))
    .sort((a, b) => b.t - a.t)[0]?.f;
if (!vsix) {
  console.error("check-vsix: no isg-lsp-*.vsix in client-vscode/; run `npm run package` first.");
  process.exit(1);
}
const listing = execFileSync("unzip", ["-l", join(root, vsix)], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
const names = listing
  .split("\n")
  .map((line) => line.trim().split(/\s+/).slice(3).join(" "))
  .filter((n) => n.startsWith("extension/"));
const lower = new Set(names.map((n) => n.toLowerCase()));
const problems = [];
const required = ["extension/dist/extension.js", "extension/package.json", "extension/readme.md", "extension/LICENSE.txt"];
if (bundled) {
  required.push(
    "extension/bundled/tool/isg_server.py",
    "extension/bundled/bundle.json",
    "extension/bundled/libs/isg_lsp/__init__.py",
    "extension/bundled/libs/isg_lsp/languages/queries/rust.scm",
    "extension/bundled/libs/pygls/__init__.py",
  );
  for (const lang of ["rust", "java", "typescript", "javascript", "python", "go"]) {
    if (!names.some((n) => n.startsWith(`extension/bundled/libs/tree_sitter_${lang}/`) && /\.(so|pyd|dylib)$/.test(n))) {
      problems.push(`no native module of tree_sitter_${lang}`);
    }
  }
  if (!names.some((n) => /^extension\/bundled\/libs\/tree_sitter\/_binding\./.test(n))) problems.push("no native module of tree_sitter");
} else if (names.some((n) => n.startsWith("extension/bundled/"))) {
  problems.push("a universal .vsix should not contain bundled/ (left over from a platform build?)");
}
for (const p of required) if (!lower.has(p.toLowerCase())) problems.push(`missing ${p}`);
const forbidden = names.filter((n) => /^extension\/(src|test|node_modules|out|scripts|python)\//.test(n) || /__pycache__/.test(n));
if (forbidden.length) problems.push(`should not contain sources, tests, node_modules or caches: ${forbidden.slice(0, 10).join(", ")}`);
const size = statSync(join(root, vsix)).size;
console.log(`check-vsix: ${vsix}: ${names.length} files, ${(size / 1e6).toFixed(1)} MB${bundled ? " (with the bundled server)" : ""}`);
if (problems.length) {
  console.error(`check-vsix: ${vsix}:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log(`check-vsix: OK: ${vsix}`);
