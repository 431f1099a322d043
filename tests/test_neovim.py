"""Neovim client (docs/neovim/isg.lua) against the real isg-lsp server, in `nvim --headless`.

The init file only does `dofile('<repo>/docs/neovim/isg.lua').setup({cmd = {<python>, '-m', 'isg_lsp', 'serve'}})`:
the module is used unchanged. A driver script then opens the fixture crate's src/lib.rs (a copy of
client-vscode/test/fixture), waits for the server and its code lenses, runs the isg.showLocations lens command, jumps
to a definition, runs :IsgQuery and :IsgStats, and writes what it saw as JSON for the assertions below.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODULE = REPO / "docs" / "neovim" / "isg.lua"
FIXTURE = REPO / "client-vscode" / "test" / "fixture"
NVIM = shutil.which("nvim")

pytestmark = pytest.mark.skipif(NVIM is None, reason="nvim is not installed (apt-get install -y neovim)")

BUDGET_S = 50  # the driver's own deadline; the process gets a little more

INIT = """
local isg = dofile({module})
isg.setup({{ cmd = {cmd} }})
"""

DRIVER = r"""
local out_path = {out}
local deadline = vim.loop.now() + {budget_ms}
local R = { messages = {}, steps = {} }

local orig_notify = vim.notify
vim.notify = function(msg, level, o)
  table.insert(R.messages, tostring(msg))
  return orig_notify(msg, level, o)
end

local function left() return math.max(0, deadline - vim.loop.now()) end
local function step(name) table.insert(R.steps, name) end

local function isg_client(bufnr)
  for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if c.name == 'isg' then return c end
  end
end

local function lens_titles(bufnr)
  local titles = {}
  for _, l in ipairs(vim.lsp.codelens.get(bufnr)) do
    if l.command and l.command.title then table.insert(titles, l.command.title) end
  end
  return titles
end

local function buf_text(name)
  local b = vim.fn.bufnr(name)
  if b == -1 then return nil end
  return table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), '\n')
end

local function run()
  local lib = vim.api.nvim_get_current_buf()
  R.lib_file = vim.api.nvim_buf_get_name(lib)
  R.filetype = vim.bo[lib].filetype

  step('attach')
  R.attached = vim.wait(math.min(left(), 20000), function() return isg_client(lib) ~= nil end, 100)
  if not R.attached then return end
  local client = isg_client(lib)
  R.root_dir = client.config.root_dir

  step('codelens')
  local last = 0
  local function lenses_ready()
    for _, t in ipairs(lens_titles(lib)) do
      if t:find('implementation') then return true end
    end
    if vim.loop.now() - last > 1000 then
      last = vim.loop.now()
      vim.lsp.codelens.refresh()  -- what the module's CursorHold autocmd does while one waits
    end
    return false
  end
  R.lenses_ready = vim.wait(math.min(left(), 40000), lenses_ready, 100)
  R.lens_titles = lens_titles(lib)
  if not R.lenses_ready then return end

  step('showLocations')
  for _, l in ipairs(vim.lsp.codelens.get(lib)) do
    if l.command and l.command.title:find('implementation') then
      R.lens_command = l.command.command
      R.lens_line = l.range.start.line
      vim.fn.setqflist({}, 'r')
      local fn = client.commands[l.command.command] or vim.lsp.commands[l.command.command]
      if fn then
        fn(l.command, { bufnr = lib, client_id = client.id })
        R.qf = {}
        for _, item in ipairs(vim.fn.getqflist()) do
          table.insert(R.qf, { file = vim.api.nvim_buf_get_name(item.bufnr), lnum = item.lnum })
        end
        R.qf_title = vim.fn.getqflist({ title = 1 }).title
      end
      break
    end
  end
  vim.cmd('cclose')

  step('definition')
  vim.api.nvim_set_current_buf(lib)
  local lines = vim.api.nvim_buf_get_lines(lib, 0, -1, false)
  for i, line in ipairs(lines) do
    local s = line:find('dyn Shape', 1, true)
    if s then
      -- `s` is the 1-based byte of 'd'; 'S' of Shape is 4 bytes further; the cursor column is 0-based
      R.definition_from = { line = i, col = s + 4 }
      vim.api.nvim_win_set_cursor(0, { i, s + 4 })  -- on the 'h' of Shape, inside the word
      break
    end
  end
  vim.lsp.buf.definition()
  vim.wait(math.min(left(), 15000), function()
    return vim.api.nvim_buf_get_name(0):find('shapes%.rs$') ~= nil
  end, 100)
  R.definition = { file = vim.api.nvim_buf_get_name(0), line = vim.api.nvim_win_get_cursor(0)[1] }

  step('query')
  vim.api.nvim_set_current_buf(lib)
  vim.cmd('IsgQuery who-implements demo::shapes::Shape')
  vim.wait(math.min(left(), 10000), function()
    local t = buf_text('isg://query')
    return t ~= nil and t:find('Circle') ~= nil
  end, 100)
  R.query = buf_text('isg://query')

  step('stats')
  vim.api.nvim_set_current_buf(lib)
  vim.cmd('IsgStats')
  vim.wait(math.min(left(), 10000), function() return buf_text('isg://stats') ~= nil end, 100)
  R.stats = buf_text('isg://stats')
  step('done')
end

local ok, err = pcall(run)
if not ok then R.error = tostring(err) end
local f = io.open(out_path, 'w')
f:write(vim.fn.json_encode(R))
f:close()
vim.cmd('qall!')
"""


def lua_str(s: str | Path) -> str:
    return json.dumps(str(s))  # a JSON string is a valid Lua string literal for these paths


def lua_list(items: list[str]) -> str:
    return "{" + ", ".join(lua_str(i) for i in items) + "}"


def test_neovim_client_attaches_shows_lenses_and_jumps(tmp_path: Path) -> None:
    workspace = tmp_path / "demo"
    shutil.copytree(FIXTURE, workspace, ignore=shutil.ignore_patterns(".isg", "target"))
    out = tmp_path / "result.json"
    python = os.environ.get("ISG_PYTHON") or sys.executable
    init = tmp_path / "init.lua"
    init.write_text(INIT.format(module=lua_str(MODULE), cmd=lua_list([python, "-m", "isg_lsp", "serve"])))
    driver = tmp_path / "driver.lua"
    driver.write_text(DRIVER.replace("{out}", lua_str(out)).replace("{budget_ms}", str(BUDGET_S * 1000)))

    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])])
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(tmp_path / var.lower())
    cmd = [NVIM, "--headless", "-n", "-i", "NONE", "-u", str(init), "src/lib.rs", "-c", f"luafile {driver}"]
    try:
        proc = subprocess.run(cmd, cwd=workspace, env=env, capture_output=True, text=True, timeout=BUDGET_S + 10, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        pytest.fail(f"nvim did not finish within {BUDGET_S + 10} s: {e}")

    lsp_logs = list(tmp_path.rglob("lsp.log"))
    log_tail = "\n".join(lsp_logs[0].read_text(errors="replace").splitlines()[-40:]) if lsp_logs else "(no lsp.log)"
    assert out.exists(), f"the driver wrote no result; nvim exit {proc.returncode}\nstderr: {proc.stderr[-2000:]}\n{log_tail}"
    r = json.loads(out.read_text())
    context = f"\nresult: {json.dumps(r, indent=1)[:4000]}\nlsp.log tail:\n{log_tail}"

    assert "error" not in r, r.get("error", "") + context
    assert r["filetype"] == "rust", context
    assert r["attached"], "the isg client did not attach to src/lib.rs" + context
    assert Path(r["root_dir"]).resolve() == workspace.resolve(), context
    assert r["lenses_ready"], "no code lens mentioning 'implementation' arrived in src/lib.rs" + context
    assert any("2 implementations" in t for t in r["lens_titles"]), context

    # the lens command isg.showLocations fills the quickfix list with the 2 impls of trait Describe
    if r.get("lens_command") == "isg.showLocations":
        assert len(r.get("qf", [])) == 2, context
        assert all(item["file"].endswith("shapes.rs") for item in r["qf"]), context

    # definition of `Shape` used in lib.rs -> `pub trait Shape` in src/shapes.rs
    shapes_lines = (workspace / "src" / "shapes.rs").read_text().splitlines()
    trait_line = next(i for i, line in enumerate(shapes_lines, 1) if line.startswith("pub trait Shape"))
    assert r["definition"]["file"].endswith("src/shapes.rs"), context
    assert r["definition"]["line"] == trait_line, context

    assert r.get("query") and "demo::shapes::Circle" in r["query"] and "demo::shapes::Square" in r["query"], context
    assert r.get("stats") and "state: ready" in r["stats"], context
