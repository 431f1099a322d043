"""The VS Code extension inside a real VS Code: code-server 4.139.1 (VS Code 1.139) in headless Chromium.

One code-server, set up as a new user's would be: the platform .vsix (server bundled) installed into a fresh
extensions folder, a fresh user-data-dir and HOME, and on PATH a Python 3.11+ with nothing installed. The tests then
do, through the page, what a user does, in order (they share the page):

1. the status bar goes from "starting"/"indexing" to "ISG: N nodes", and a Rust trait shows "2 implementations";
2. a TypeScript interface shows "2 implementations";
3. a click on the Rust lens opens the peek view with circle.rs and square.rs;
4. hovering the trait's name shows ISG's hover (kind, FQP, "implemented by 2");
5. "ISG: Blast Radius" fills the ISG Blast Radius view (Circle, Square, total_area);
6. "ISG: Query…" answers `who-implements demo::shapes::Shape` in a Markdown tab;
7. typing a new `impl Shape for Triangle` changes the lens to "3 implementations" without saving;
8. isg.server.pythonPath set in the *user* settings (a remote window: code-server) restarts the server with that
   interpreter.

Screenshots of 1, 3, 5 and 6 go to tests/e2e/.cache/screenshots/ (the README's pictures come from there); a failing
test leaves one in tests/e2e/.cache/failures/. At the end code-server and everything it started are killed, and the
test fails if anything survived.

Needs: Debian's chromium (/usr/bin/chromium), `playwright` from PyPI (its own browsers are not used), npm (the tools
come from the npm registry, cached under tests/e2e/.cache/tools/), and librust-serde-dev (real code that makes the
indexing last long enough to be seen). .ci/test.sh installs all of them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from tests.e2e import harness
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, CodeServer, keep_screenshot, log
from tests.helpers import debian_crate

pytestmark = pytest.mark.timeout(600)

WORKSPACE_FIXTURE = Path(__file__).parent / "workspace"
CURRENT_PAGE = None  # conftest.py takes a screenshot of it when a test fails

# VS Code user settings of the test profile: no welcome page, chat or tips; no auto-closing, so that typed text lands
# as typed.
BASE_SETTINGS = {
    "workbench.startupEditor": "none",
    "workbench.tips.enabled": False,
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.editor.useModal": "off",
    "chat.disableAIFeatures": True,
    "telemetry.telemetryLevel": "off",
    "extensions.autoUpdate": False,
    "extensions.autoCheckUpdates": False,
    "extensions.ignoreRecommendations": True,
    "update.mode": "none",
    "git.enabled": False,
    "editor.autoClosingBrackets": "never",
    "editor.autoClosingQuotes": "never",
    "editor.autoSurround": "never",
    "editor.autoIndent": "none",
    "editor.formatOnType": False,
    "editor.acceptSuggestionOnEnter": "off",
    "editor.quickSuggestions": {"other": False, "comments": False, "strings": False},
    "editor.suggestOnTriggerCharacters": False,
    "editor.hover.delay": 300,
    "files.autoSave": "off",
    "security.workspace.trust.enabled": False,
}


def _missing_tools() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium; .ci/test.sh installs it)"
    if shutil.which("npm") is None:
        return "npm is missing (apt-get install npm, or Node from nodejs.org)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the Python package playwright is missing (pip install -e '.[dev]')"
    return None


@pytest.fixture(scope="module")
def vsc(tmp_path_factory):
    missing = _missing_tools()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    t0 = time.monotonic()
    root = tmp_path_factory.mktemp("vscode-e2e")
    tools = harness.install_tools()
    log(f"tools ready in {time.monotonic() - t0:.0f} s: {tools}")
    target = harness.vsce_target()
    vsix = harness.build_vsix(target)
    log(f"{vsix.name} ({vsix.stat().st_size / 1e6:.1f} MB) built at {time.monotonic() - t0:.0f} s")

    workspace = root / "workspace"
    shutil.copytree(WORKSPACE_FIXTURE, workspace)
    # real code, so that indexing lasts long enough for the status bar to show it
    shutil.copytree(debian_crate("serde") / "src", workspace / "vendor" / "serde" / "src")
    on_path = harness.bare_python(root / "python-on-path")
    from_settings = harness.bare_python(root / "python-from-settings")

    cs = CodeServer(tools, root / "code-server")
    env = cs.env(on_path.parent)
    cs.install_extension(vsix, env)
    ext_dir = cs.installed_extension_dir()
    assert (ext_dir / "bundled" / "tool" / "isg_server.py").is_file(), "the installed extension has no bundled server"
    cs.write_user_settings(BASE_SETTINGS)
    url = cs.start(env)
    log(f"code-server listening on {url} at {time.monotonic() - t0:.0f} s")

    state = {"cs": cs, "workspace": workspace, "ext_dir": ext_dir, "python_on_path": on_path.parent / "python3",
             "python_from_settings": from_settings, "t0": t0}
    pw = sync_playwright().start()
    browser = None
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1360, "height": 820})
        page.set_default_timeout(30000)
        page.add_init_script(STATUS_RECORDER)
        global CURRENT_PAGE
        CURRENT_PAGE = page
        state["page"] = page
        state["opened_at"] = time.monotonic()
        page.goto(f"{url}/?folder={workspace}")
        page.locator(".monaco-workbench").wait_for(timeout=60000)
        yield state
    finally:
        CURRENT_PAGE = None
        if browser is not None:
            browser.close()
        pw.stop()
        left = cs.stop()
        log(f"code-server stopped; whole module took {time.monotonic() - t0:.0f} s")
        assert not left, f"processes left after code-server was stopped (killed now): {left}"


# Records every text of the ISG status bar item, from the first render on (a poll could miss short states).
STATUS_RECORDER = """
(() => {
  window.__isgStatus = [];
  window.__isgStatusTimes = [];
  const look = () => {
    for (const el of document.querySelectorAll('.statusbar-item')) {
      const t = (el.innerText || '').trim();
      if (t.startsWith('ISG') && window.__isgStatus[window.__isgStatus.length - 1] !== t) {
        window.__isgStatus.push(t);
        window.__isgStatusTimes.push(Math.round(performance.now()) / 1000);
      }
    }
  };
  new MutationObserver(look).observe(document, { subtree: true, childList: true, characterData: true });
})();
"""


# ---- page actions --------------------------------------------------------------------------------------------------

def quick_input(page):
    box = page.locator(".quick-input-widget .quick-input-box input")
    box.wait_for(state="visible")
    return box


def accept_when_focused(page, text: str, wait_hidden: bool = True) -> None:
    """Picks the quick input's row whose label is exactly `text` (the list filters and reorders as one types)."""
    label = re.compile("^" + re.escape(text) + "$")
    row = page.locator(".quick-input-list .monaco-list-row").filter(has=page.locator(".label-name", has_text=label))
    row.first.click()
    if wait_hidden:
        page.locator(".quick-input-widget").wait_for(state="hidden")


def run_command(page, title: str) -> None:
    """F1, the command's title, Enter (as a user does in the command palette)."""
    page.keyboard.press("F1")
    box = quick_input(page)
    box.fill(">" + title)
    accept_when_focused(page, title, wait_hidden=False)


def open_file(page, rel: str) -> None:
    """Quick Open (Ctrl+P) with the file's path, Enter; waits for its tab."""
    name = rel.rsplit("/", 1)[-1]
    page.keyboard.press("Control+P")
    box = quick_input(page)
    box.fill(rel)
    accept_when_focused(page, name)
    page.locator(".editor-group-container.active .tab.active", has_text=name).wait_for()
    page.locator(".editor-group-container.active .monaco-editor .view-lines").wait_for()


def go_to(page, line: int, column: int) -> None:
    """Ctrl+G, line:column, Enter: the cursor lands there."""
    page.keyboard.press("Control+G")
    box = quick_input(page)
    box.fill(f":{line}:{column}")
    page.keyboard.press("Enter")
    page.locator(".quick-input-widget").wait_for(state="hidden")


def position_of(path: Path, needle: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of `needle` in the file."""
    for i, text in enumerate(path.read_text().splitlines(), start=1):
        col = text.find(needle)
        if col >= 0:
            return i, col + 1
    raise AssertionError(f"{needle!r} not in {path}")


def lens_texts(page) -> list[str]:
    """The code lenses of the active editor, one string per lens."""
    return [t.strip() for t in page.locator(".editor-group-container.active .codelens-decoration a").all_inner_texts()
            if t.strip()]


def wait_for(predicate, timeout: float, what: str, poll: float = 0.25):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last: {last!r}")


def wait_for_lens(page, pattern: str, timeout: float = 90) -> list[str]:
    rx = re.compile(pattern)
    return wait_for(lambda: [t for t in lens_texts(page) if rx.search(t)], timeout,
                    f"a code lens matching {pattern!r} (lenses: {lens_texts(page)})")


def status_history(page) -> list[str]:
    return page.evaluate("window.__isgStatus || []")


def text_containing(locator, expect: str, join_lines: bool = False) -> str | None:
    """The locator's text (non-breaking spaces as spaces) when it contains `expect`, else None."""
    text = locator.first.inner_text().replace("\u00a0", " ")
    if join_lines:
        text = text.replace("\n", "")
    return text if expect in text else None


def server_output(page, expect: str, timeout: float = 30) -> str:
    """Shows the ISG Language Server output channel and returns its visible text once it contains `expect`."""
    run_command(page, "ISG: Show Server Output")
    view = page.locator(".panel .monaco-editor .view-lines").first
    # the output view wraps long lines: join them again
    return wait_for(lambda: text_containing(view, expect, join_lines=True), timeout,
                    f"{expect!r} in the server's output")


# ---- the tests (in order; they share the page) ---------------------------------------------------------------------

def ensure_indexed(vsc) -> None:
    """The tests share one code-server session, which the first test drives from a fresh start; a test run alone
    (`-k`) begins as the others find it: a Rust file opened and the workspace indexed."""
    page = vsc["page"]
    if node_counts(page):
        return
    open_file(page, "src/shapes.rs")
    wait_for(lambda: node_counts(page), 120, "the index")


def node_counts(page) -> list[str]:
    """The status bar's texts so far that show a node count (the index is done)."""
    return [t for t in status_history(page) if re.search(r"ISG: [\d,]+ nodes", t)]


def test_status_bar_and_rust_trait_lenses_on_a_fresh_install(vsc):
    page = vsc["page"]
    open_file(page, "src/shapes.rs")
    lens = wait_for_lens(page, r"^2 implementations$")
    log(f"Rust lens {lens} {time.monotonic() - vsc['opened_at']:.1f} s after the page opened")
    done = wait_for(lambda: node_counts(page), 60, "the status bar's node count")
    history = status_history(page)
    times = page.evaluate("window.__isgStatusTimes")
    log(f"status bar (seconds since the page's start): {list(zip(times, history))}")
    first_count = history.index(done[0])
    assert any("indexing" in t for t in history[:first_count]), f"no 'indexing' state before the count: {history}"
    assert int(done[0].split("ISG: ")[1].split(" ")[0].replace(",", "")) > 100  # serde's nodes are counted
    wait_for_lens(page, r"^blast radius: \d+")
    keep_screenshot(page, "lenses")
    # the server runs from the .vsix (nothing else has isg_lsp), with the bare Python found on PATH
    launcher = str(vsc["ext_dir"] / "bundled" / "tool" / "isg_server.py")
    servers = vsc["cs"].isg_servers()
    assert any(s.startswith(f"python3 -I {launcher}") for s in servers), servers
    text = server_output(page, "bundled with the extension")
    on_path = re.escape(str(vsc["python_on_path"]))
    assert re.search(rf"Python 3\.\d+(\.\d+)? at {on_path} \(python3, from PATH\)", text), text
    assert re.search(r"Server: isg-lsp \S+ bundled with the extension \(linux-(x64|arm64)\), on Python 3", text), text
    run_command(page, "View: Hide Panel")


def test_typescript_interface_lens(vsc):
    ensure_indexed(vsc)
    page = vsc["page"]
    open_file(page, "web/greeter.ts")
    wait_for_lens(page, r"^2 implementations$", timeout=30)


def test_lens_click_opens_the_peek_view_with_the_implementations(vsc):
    ensure_indexed(vsc)
    page = vsc["page"]
    open_file(page, "src/shapes.rs")
    page.locator(".editor-group-container.active .codelens-decoration a", has_text="2 implementations").first.click()
    peek = page.locator(".peekview-widget")
    peek.wait_for()
    rows = wait_for(lambda: peek.locator(".monaco-list-row").all_inner_texts(), 20, "rows in the peek view")
    text = " ".join(rows)
    log(f"peek rows: {rows}")
    assert "circle.rs" in text and "square.rs" in text, rows
    assert "lib.rs" not in text, rows
    keep_screenshot(page, "peek")
    page.keyboard.press("Escape")
    peek.wait_for(state="hidden")


def test_hover_shows_the_isg_summary(vsc):
    ensure_indexed(vsc)
    page = vsc["page"]
    open_file(page, "src/shapes.rs")
    line, col = position_of(vsc["workspace"] / "src" / "shapes.rs", "Shape")
    go_to(page, line, col)
    run_command(page, "Show or Focus Hover")
    hover = page.locator(".monaco-hover-content")
    hover.first.wait_for()
    text = wait_for(lambda: " ".join(hover.all_inner_texts()), 20, "hover text")
    log(f"hover: {text!r}")
    assert "demo::shapes::Shape" in text, text
    assert re.search(r"implemented by 2", text), text
    page.keyboard.press("Escape")


def test_blast_radius_fills_its_tree(vsc):
    ensure_indexed(vsc)
    page = vsc["page"]
    open_file(page, "src/shapes.rs")
    line, col = position_of(vsc["workspace"] / "src" / "shapes.rs", "Shape")
    go_to(page, line, col)
    run_command(page, "ISG: Blast Radius")
    pane = page.locator(".pane", has=page.locator(".pane-header", has_text="ISG Blast Radius"))
    pane.locator(".monaco-list-row").first.wait_for()
    # fold the Explorer's file tree, so that the whole blast radius tree is on the screen
    folders = page.locator(".pane-header", has_text=vsc["workspace"].name.upper()).first
    if folders.get_attribute("aria-expanded") == "true":
        folders.click()
    rows = wait_for(lambda: [r for r in pane.locator(".monaco-list-row").all_inner_texts() if r.strip()], 30,
                    "rows in the ISG Blast Radius view")
    text = " ".join(rows)
    log(f"blast radius rows: {rows}")
    for name in ("Circle", "Square", "total_area"):
        assert name in text, rows
    keep_screenshot(page, "blast-radius")


def test_query_answers_in_a_markdown_tab(vsc):
    ensure_indexed(vsc)
    page = vsc["page"]
    run_command(page, "ISG: Query…")
    page.locator(".quick-input-widget .quick-input-title", has_text="ISG Query").wait_for()
    box = quick_input(page)
    box.fill("who-implements demo::shapes::Shape")
    accept_when_focused(page, "who-implements demo::shapes::Shape")
    page.locator(".tab.active", has_text="ISG Query").first.wait_for()
    text = wait_for(lambda: text_containing(page.locator(".editor-group-container.active .monaco-editor .view-lines"),
                                            "demo::square::Square"), 20, "the query's rows")
    log(f"query tab: {text!r}")
    assert "demo::circle::Circle" in text
    assert re.search(r"\b2 rows?\b", text), text
    keep_screenshot(page, "query")
    run_command(page, "View: Close All Editor Groups")


def test_typing_a_new_impl_changes_the_lens(vsc):
    ensure_indexed(vsc)
    page = vsc["page"]
    open_file(page, "src/shapes.rs")
    wait_for_lens(page, r"^2 implementations$", timeout=30)
    lines = (vsc["workspace"] / "src" / "shapes.rs").read_text().splitlines()
    go_to(page, len(lines), len(lines[-1]) + 1)
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    page.keyboard.insert_text("pub struct Triangle;")
    page.keyboard.press("Enter")
    page.keyboard.insert_text("impl Shape for Triangle { fn area(&self) -> f64 { 0.5 } }")
    typed = time.monotonic()
    wait_for_lens(page, r"^3 implementations$", timeout=20)
    log(f"lens went to 3 implementations {time.monotonic() - typed:.1f} s after typing (file not saved)")
    assert page.locator(".editor-group-container.active .tab.active.dirty").count() == 1, "the edit should be unsaved"


def test_python_path_in_the_user_settings_of_a_remote_window(vsc):
    """code-server is a remote window: a machine-overridable setting in the user settings would be ignored."""
    page = vsc["page"]
    cs, wanted = vsc["cs"], str(vsc["python_from_settings"])
    assert not any(wanted in s for s in cs.isg_servers())
    run_command(page, "Preferences: Open User Settings (JSON)")
    page.locator(".editor-group-container.active .tab.active", has_text="settings.json").wait_for()
    editor = page.locator(".editor-group-container.active .monaco-editor .view-lines")
    editor.filter(has_text="workbench.startupEditor").click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(json.dumps({**BASE_SETTINGS, "isg.server.pythonPath": wanted}, indent=2))
    before = len(status_history(page))
    page.keyboard.press("Control+S")
    # the server restarts with that interpreter, and only that one runs
    wait_for(lambda: (servers := cs.isg_servers()) and all(wanted in s and "isg_server.py" in s for s in servers), 60,
             f"the ISG server running with {wanted} alone (servers: {cs.isg_servers()})")
    run_command(page, "View: Close Editor")
    after = wait_for(lambda: (h := status_history(page)[before:]) and re.search(r"ISG: [\d,]+ nodes", h[-1]) and h, 60,
                     "the status bar's node count after the restart")
    log(f"status bar after the restart: {after}")
    assert any("starting" in t for t in after), after
    text = server_output(page, "from isg.server.pythonPath")
    log(f"output: {text[-900:]!r}")
    assert "Python 3" in text and f"at {wanted} ({wanted}, from isg.server.pythonPath)" in text, text
    run_command(page, "View: Hide Panel")
    # the new server reads the unsaved buffer: Triangle (typed, not saved, by the test before) is still counted
    open_file(page, "src/shapes.rs")
    wait_for_lens(page, r"^3 implementations$", timeout=60)
    assert [s for s in cs.isg_servers() if wanted in s], "the restarted server stopped"
