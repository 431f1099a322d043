#!/usr/bin/env bash
# The project's whole test command: installs everything the tests need, then runs them all.
#   bash .ci/test.sh                   everything (what CI runs)
#   SKIP_INSTALL=1 bash .ci/test.sh    run the tests only, in the .venv made by an earlier run
#   bash .ci/test.sh tests/test_cli.py -x   arguments go to pytest
# The tests run in the project's virtual environment .venv (made from `python3` on the PATH, else /usr/bin/python3;
# reused when it is there), never in the system's Python. Debian packages (.ci/apt-packages.txt) are installed when
# root; otherwise the missing ones are named and the tests that need them fail. Nothing uses sudo.
#   ISG_TEST_SETUP_ONLY=1   do the set-up, then run only a smoke selection (tests/setup/test_cli_defaults.py) instead
#                           of the whole suite, and skip the Debian and npm steps: tests/setup/test_fresh_clone.py
#                           runs this command in a clean clone that way (the whole suite inside the suite would recurse).
set -euo pipefail
cd "$(dirname "$0")/.."
ISG_ROOT="$(pwd -P)"
. .ci/env.sh
export PIP_DISABLE_PIP_VERSION_CHECK=1
setup_only="${ISG_TEST_SETUP_ONLY:-0}"

if [ "${SKIP_INSTALL:-0}" != "1" ]; then
  if [ "$setup_only" != "1" ]; then
    echo "== Debian packages (.ci/apt-packages.txt)"
    packages=$(grep -v '^\s*#' .ci/apt-packages.txt | grep -v '^\s*$' | tr '\n' ' ')
    isg_apt_install $packages || echo "== going on without them: the tests that need them will fail"
  fi
  echo "== the Python package and its test dependencies, in .venv"
  isg_ensure_venv
  isg_install_package "[dev]"
  if [ "$setup_only" != "1" ] && [ -f client-vscode/package-lock.json ]; then
    echo "== installing the VS Code extension's npm packages"
    (cd client-vscode && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ "$setup_only" != "1" ] && [ -f tests/e2e/install_tools.sh ]; then
    echo "== the VS Code end-to-end test's tools (code-server, Node 24; cached in tests/e2e/.cache/tools)"
    bash tests/e2e/install_tools.sh >/dev/null
  fi
elif ! _isg_venv_ok || ! "$ISG_PY" -c 'import isg_lsp, pytest' >/dev/null 2>&1; then
  echo "SKIP_INSTALL=1: no usable .venv with the package and pytest; run 'bash .ci/test.sh' once without it" >&2
  exit 2
fi
# The tests run tools by name (isg-lsp, python3 -m ...): the venv's first.
export VIRTUAL_ENV="$ISG_VENV"
export PATH="$ISG_VENV/bin:$PATH"
echo "== Python: $("$ISG_PY" -c 'import platform, sys; print(platform.python_version(), sys.executable)')"

if [ "$setup_only" = "1" ]; then
  echo "== set-up done; smoke selection only (ISG_TEST_SETUP_ONLY=1)"
  exec "$ISG_PY" -m pytest -q -p no:cacheprovider tests/setup/test_cli_defaults.py "$@"
fi

if [ -f client-vscode/package.json ]; then
  echo "== VS Code extension: lint, typecheck, unit and integration tests, bundle, .vsix"
  (cd client-vscode && npm run ci)
fi

echo "== Python tests"
"$ISG_PY" -m pytest -q -p no:cacheprovider "$@"
