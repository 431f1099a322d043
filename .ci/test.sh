#!/usr/bin/env bash
# The project's whole test command: installs everything the tests need, then runs them all.
#   bash .ci/test.sh            everything (what CI runs)
#   SKIP_INSTALL=1 bash .ci/test.sh   run the tests only, on a machine already set up
set -euo pipefail
cd "$(dirname "$0")/.."
export PIP_DISABLE_PIP_VERSION_CHECK=1

if [ "${SKIP_INSTALL:-0}" != "1" ]; then
  echo "== installing Debian packages"
  packages=$(grep -v '^\s*#' .ci/apt-packages.txt | grep -v '^\s*$' | tr '\n' ' ')
  if [ "$(id -u)" = "0" ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $packages >/dev/null
  echo "== installing the Python package and its test dependencies"
  python3 -m pip install -q -e '.[dev]'
  if [ -f client-vscode/package-lock.json ]; then
    echo "== installing the VS Code extension's npm packages"
    (cd client-vscode && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

if [ -f client-vscode/package.json ]; then
  echo "== VS Code extension: lint, typecheck, unit and integration tests, bundle, .vsix"
  (cd client-vscode && npm run ci)
fi

echo "== Python tests"
python3 -m pytest -q -p no:cacheprovider "$@"
