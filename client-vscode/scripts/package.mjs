// Packages the extension with vsce, then checks the .vsix (scripts/check-vsix.mjs).
//   npm run package                           isg-lsp-<version>.vsix: universal, without a server (the user installs
//                                             isg-lsp with pip, or sets isg.server.command)
//   npm run package:target -- linux-x64       isg-lsp-<version>-linux-x64.vsix: the server bundled for that platform
//                                             (scripts/bundle_server.py), run with any Python 3.11+ of the user
// Targets: linux-x64 linux-arm64 alpine-x64 darwin-x64 darwin-arm64 win32-x64 win32-arm64; any of them
// builds on any machine (only wheels are downloaded). ISG_BUNDLE_PYTHON: the Python with pip that runs the bundling
// (default python3).
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const ti = args.indexOf("--target");
const target = ti >= 0 ? args[ti + 1] : undefined;
if (ti >= 0 && !target) {
  console.error("package: --target needs a platform, e.g. linux-x64");
  process.exit(2);
}
const version = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
const out = target ? `isg-lsp-${version}-${target}.vsix` : `isg-lsp-${version}.vsix`;
const bin = (name) => join(root, "node_modules", ".bin", process.platform === "win32" ? `${name}.cmd` : name);

function step(cmd, cmdArgs) {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, stdio: "inherit", env: process.env });
  if (r.status !== 0) {
    console.error(`package: ${cmd} ${cmdArgs.join(" ")} failed (${r.status ?? r.signal})`);
    rmSync(join(root, "bundled"), { recursive: true, force: true });
    process.exit(1);
  }
}

rmSync(join(root, "bundled"), { recursive: true, force: true });
if (target) {
  const python = process.env.ISG_BUNDLE_PYTHON || "python3";
  step(python, [join(root, "scripts", "bundle_server.py"), "--target", target]);
  step(bin("vsce"), ["package", "--no-dependencies", "--target", target, "--out", out]);
} else {
  step(bin("vsce"), ["package", "--no-dependencies", "--out", out]);
}
step(process.execPath, [join(root, "scripts", "check-vsix.mjs"), out, ...(target ? ["--bundled"] : [])]);
rmSync(join(root, "bundled"), { recursive: true, force: true });
