#!/usr/bin/env bash
# Installs the pinned tools of the VS Code end-to-end test from the npm registry, once, into a cache folder
# (default: tests/e2e/.cache/tools, ignored by git), and prints that folder:
#   - code-server 4.139.1 (VS Code 1.139 for the browser), with the dependencies of its lib/vscode;
#   - Node 24, which code-server needs (the npm package node-<os>-<arch>, which is what `npm install node@24` fetches).
# Install scripts are not run (npm 11 blocks them anyway). Of code-server's native modules without a prebuilt binary,
# only @vscode/spdlog is built (node-gyp with Node 24's own headers, so nothing is downloaded; needs g++ and make):
# VS Code writes output channels, such as the ISG server's output, through it. The others (kerberos, ...) are left out.
set -euo pipefail
CODE_SERVER_VERSION=4.139.1
NODE_VERSION=24.22.3
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-$here/.cache/tools}
stamp="$dest/.installed-code-server-$CODE_SERVER_VERSION-node-$NODE_VERSION"
if [ -f "$stamp" ]; then
  echo "$dest"
  exit 0
fi
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "install_tools.sh: no Node build for $(uname -m)" >&2; exit 1 ;;
esac
os=$(uname -s | tr '[:upper:]' '[:lower:]')
npm_install() { npm install --ignore-scripts --no-audit --no-fund --loglevel=error "$@" >&2; }
start=$(date +%s)
rm -rf "$dest"
mkdir -p "$dest"
cat >"$dest/package.json" <<JSON
{
  "name": "isg-e2e-tools",
  "private": true,
  "dependencies": { "code-server": "$CODE_SERVER_VERSION", "node-$os-$arch": "$NODE_VERSION" }
}
JSON
echo "install_tools.sh: code-server $CODE_SERVER_VERSION and node $NODE_VERSION into $dest" >&2
(cd "$dest" && npm_install)
cs="$dest/node_modules/code-server"
(cd "$cs/lib/vscode" && npm_install --omit=dev)
(cd "$cs/lib/vscode/extensions" && npm_install --omit=dev)
node_dir="$dest/node_modules/node-$os-$arch"
node="$node_dir/bin/node"
version=$("$node" --version)
case "$version" in v24.*) ;; *) echo "install_tools.sh: $node is $version, not Node 24" >&2; exit 1 ;; esac
(cd "$cs/lib/vscode" && PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" npm rebuild @vscode/spdlog \
  --loglevel=error >&2)
if ! ls "$cs"/lib/vscode/node_modules/@vscode/spdlog/build/Release/*.node >/dev/null 2>&1; then
  echo "install_tools.sh: building @vscode/spdlog failed (are g++ and make installed?)" >&2
  exit 1
fi
ln -sfn "$node" "$dest/node"
touch "$stamp"
echo "install_tools.sh: done in $(($(date +%s) - start)) s" >&2
echo "$dest"
