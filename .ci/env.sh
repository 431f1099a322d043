# The environment that ./isg and .ci/test.sh share (sourced by both, never run alone): a Python of 3.11 or later, the
# project's own virtual environment `.venv` (made from `python3` on the PATH, else /usr/bin/python3; Debian's
# Python refuses system-wide pip installs, PEP 668), and Debian packages (installed when root, explained otherwise;
# nothing here uses sudo).
#
# Set before sourcing: ISG_ROOT (the repository). Sets: ISG_PY (the venv's python).
# Environment: ISG_PYTHON=/path/to/python3.x picks the Python that makes the venv.

ISG_VENV="$ISG_ROOT/.venv"
ISG_PY="$ISG_VENV/bin/python"

isg_say() { echo "isg: $*" >&2; }

_isg_new_enough() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1; }

# The Python that makes the venv: $ISG_PYTHON, else `python3` on the PATH, else /usr/bin/python3 (3.11 or later).
isg_find_python() {
  local candidate found
  for candidate in "${ISG_PYTHON:-}" python3 /usr/bin/python3; do
    [ -n "$candidate" ] || continue
    found=$(command -v "$candidate" 2>/dev/null) || continue
    if _isg_new_enough "$found"; then echo "$found"; return 0; fi
  done
  return 1
}

# Is the venv there and usable: a Python of 3.11+, with pip, that still runs from where the repository is now?
_isg_venv_ok() {
  [ -x "$ISG_PY" ] && "$ISG_PY" -c '
import importlib.util, sys
sys.exit(0 if sys.version_info >= (3, 11) and importlib.util.find_spec("pip") else 1)' >/dev/null 2>&1
}

_isg_explain_venv_module() {
  local python="$1"
  isg_say "$python cannot make a virtual environment: its venv/ensurepip module is missing."
  isg_say "On Debian or Ubuntu, install it as root: apt-get install python3-venv"
  isg_say "(or point ISG_PYTHON at another Python 3.11+, e.g. ISG_PYTHON=/usr/local/bin/python3.12), then run this again."
}

# Makes .venv if it is missing or broken; reuses it otherwise.
isg_ensure_venv() {
  if _isg_venv_ok; then return 0; fi
  local python
  if ! python=$(isg_find_python); then
    isg_say "no Python 3.11 or later found (tried \$ISG_PYTHON, python3 on the PATH, /usr/bin/python3)."
    isg_say "On Debian 12: apt-get install python3 python3-venv (as root); elsewhere install Python 3.11+."
    return 1
  fi
  if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && [ "$python" = /usr/bin/python3 ]; then
      isg_say "installing Debian's python3-venv (needed to make a virtual environment; running as root)"
      isg_apt_install python3-venv || return 1
    else
      _isg_explain_venv_module "$python"
      return 1
    fi
  fi
  if [ -e "$ISG_VENV" ]; then
    if [ ! -f "$ISG_VENV/pyvenv.cfg" ]; then
      isg_say "$ISG_VENV exists but is not a virtual environment: move it away and run this again."
      return 1
    fi
    isg_say "remaking $ISG_VENV (it no longer works: made by a Python that is gone, or moved)"
    rm -rf "$ISG_VENV"
  fi
  isg_say "making the virtual environment .venv with $python ($("$python" -c 'import platform; print(platform.python_version())'))"
  if ! "$python" -m venv "$ISG_VENV" >&2; then
    rm -rf "$ISG_VENV"
    _isg_explain_venv_module "$python"
    return 1
  fi
}

# Installs the package (editable) with the given extras ("" or "[dev]") into .venv, unless the same pyproject.toml
# was installed before from this very folder (a stamp in .venv), so that a second run costs nothing.
isg_install_package() {
  local extras="$1" stamp want
  stamp="$ISG_VENV/.isg-installed${extras:+-${extras//[^a-z]/}}"
  want="$(cksum <"$ISG_ROOT/pyproject.toml") $ISG_ROOT"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$ISG_PY" -c "
import os, sys, isg_lsp
here = os.path.realpath(os.path.dirname(isg_lsp.__file__))
sys.exit(0 if here == os.path.realpath(os.path.join(sys.argv[1], 'isg_lsp')) else 1)" "$ISG_ROOT" >/dev/null 2>&1; then
    return 0
  fi
  isg_say "installing isg-lsp$extras from $ISG_ROOT into .venv (pip install -e)"
  "$ISG_PY" -m pip install -q --disable-pip-version-check -e "$ISG_ROOT$extras" >&2 || return 1
  echo "$want" >"$stamp"
}

# The Debian packages of the list that are not installed yet.
isg_missing_debs() {
  local package
  command -v dpkg-query >/dev/null 2>&1 || { echo "$*"; return 0; }
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || printf '%s ' "$package"
  done
}

# Installs the Debian packages that are missing, when root; otherwise says which and how, and returns 1.
isg_apt_install() {
  local missing
  missing=$(isg_missing_debs "$@")
  [ -n "$missing" ] || return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    isg_say "apt-get install $missing"
    apt-get -o DPkg::Lock::Timeout=900 update -qq >/dev/null &&
      DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends \
        $missing >/dev/null
    return
  fi
  if command -v apt-get >/dev/null 2>&1; then
    isg_say "these Debian packages are not installed: $missing"
    isg_say "install them as root (apt-get install $missing), or ask whoever administers this machine."
  else
    isg_say "not a Debian-like system: the tests that need these Debian packages will fail: $missing"
  fi
  return 1
}
