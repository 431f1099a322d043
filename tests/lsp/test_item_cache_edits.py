"""Edits typed into TypeScript, Python and Rust files, through the LSP client: the server extracts an edited file item by
item with its item cache (issue #16's edit path), and every answer after every edit is the one a fresh index of the
same text gives: the unchanged items' facts are reused, the changed one's are new, and a module-level value that an
unchanged function reads is followed when it changes; in Rust, an import an unchanged function names is followed
when it changes, and an unrelated type added leaves every answer as it was."""

from __future__ import annotations

from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from isg_lsp.model import EdgeKind, Resolution

from .conftest import CONFIG, fresh_engine, request, start
from .test_live_updates import change

TS = """import { Store, Warehouse } from "./store";

export const store: Store = new Store();

export function helper(): number {
    return 1;
}

export function first(): number {
    return 2;
}

export function second(): void {
    store.flush();
}
""" + "".join(f"\nexport function pad{i}(x: number): number {{\n    return x + {i};\n}}\n" for i in range(60))
# (padded past typescript.ITEM_CACHE_MIN_BYTES: a smaller file is extracted whole, without the item cache)

STORE = """export class Store {
    flush(): void {}
}

export class Warehouse {
    flush(): void {}
}
"""

PY = '''from .store import Store, Warehouse

store: Store = Store()


def helper():
    return 1


def first():
    return 2


def second():
    store.flush()
'''

PY_STORE = """class Store:
    def flush(self):
        pass


class Warehouse:
    def flush(self):
        pass
"""


def _workspace(folder: Path) -> Path:
    root = folder / "ws"
    (root / "web").mkdir(parents=True)
    (root / "web" / "app.ts").write_text(TS)
    (root / "web" / "store.ts").write_text(STORE)
    (root / "tsconfig.json").write_text("{}\n")
    (root / "py" / "shop").mkdir(parents=True)
    (root / "py" / "shop" / "__init__.py").write_text("")
    (root / "py" / "shop" / "app.py").write_text(PY)
    (root / "py" / "shop" / "store.py").write_text(PY_STORE)
    return root


@pytest_lsp.fixture(config=CONFIG)
async def mixed(lsp_client: LanguageClient, tmp_path):
    root = _workspace(tmp_path)
    lsp_client.workspace_root = root
    lsp_client.editor = "visual_studio_code"
    await start(lsp_client, root, "visual_studio_code")
    yield
    await lsp_client.shutdown_session()


def _open(client: LanguageClient, rel: str, language: str) -> str:
    path = client.workspace_root / rel
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(
        uri=path.as_uri(), language_id=language, version=1, text=path.read_text())))
    return path.as_uri()


async def _callers(client: LanguageClient, fqp: str) -> set[str]:
    result = await request(client, "isg/callers", {"fqp": fqp, "includeHeuristic": False})
    return {c.node.fqp for c in result.calls}


def _fresh_callers(root: Path, rel: str, text: str, fqp: str) -> set[str]:
    """What a fresh index of the same text answers (the file written to a copy of the workspace)."""
    graph = fresh_engine(root, rel, text).graph
    return {
        graph.nodes[edge.src].fqp
        for node_id in graph.fqp_index.get(fqp, ())
        for edge in graph.predecessors(node_id, (EdgeKind.CALLS,))
        if edge.resolution is not Resolution.HEURISTIC
    }


async def test_typed_edits_through_the_item_cache_answer_as_a_fresh_index(mixed):
    client = mixed
    root = client.workspace_root
    for rel, language, lines, module, sep in (
        ("web/app.ts", "typescript", TS.split("\n"), "web", "::"),
        ("py/shop/app.py", "python", PY.split("\n"), "shop", "."),
    ):
        uri = _open(client, rel, language)
        app = "web/app" if language == "typescript" else "shop.app"
        helper, first, second = (f"{app}{sep}{name}" for name in ("helper", "first", "second"))
        store_flush = (f"{module}/store{sep}Store{sep}flush" if language == "typescript"
                       else f"{module}.store{sep}Store{sep}flush")
        warehouse_flush = store_flush.replace("Store" + sep + "flush", "Warehouse" + sep + "flush")
        assert await _callers(client, store_flush) == {second}
        # 1. a call typed into `first`'s body: `first` is extracted again, the other items come from the cache
        row = next(i for i, line in enumerate(lines) if "return 2" in line)
        indent = "    "
        call = f"{indent}helper(){';' if language == 'typescript' else ''}\n"
        change(client, uri, 2, (row, 0), (row, 0), call)
        lines.insert(row, call.rstrip("\n"))
        assert await _callers(client, helper) == {first}
        assert await _callers(client, store_flush) == {second}       # `second` unchanged: its answer kept
        # 2. the module's `store` changes type: `second` (an unchanged item) must follow it
        row = next(i for i, line in enumerate(lines) if line.startswith(("export const store", "store:")))
        old = lines[row]
        new = old.replace("Store =", "Warehouse =").replace(": Store", ": Warehouse")
        change(client, uri, 3, (row, 0), (row, len(old)), new)
        lines[row] = new
        after = await _callers(client, warehouse_flush)
        assert after == _fresh_callers(root, rel, "\n".join(lines), warehouse_flush)
        assert after == {second}
        assert await _callers(client, store_flush) == set()
        current = "\n".join(lines)
        assert after == _fresh_callers(root, rel, current, warehouse_flush)
        assert await _callers(client, helper) == _fresh_callers(root, rel, current, helper) == {first}


RS_APP = """use crate::store::{Flush, Store};

pub fn helper() -> u8 {
    1
}

pub fn first() -> u8 {
    2
}

pub fn second() {
    Store::flush();
}

pub struct Thing;

impl Flush for Thing {
    fn go(&self) {}
}
"""

RS_STORE = """pub struct Store;

impl Store {
    pub fn flush() {}
}

pub struct Warehouse;

impl Warehouse {
    pub fn flush() {}
}

pub trait Flush {
    fn go(&self);
}

pub trait Seal {
    fn go(&self);
}
"""


@pytest_lsp.fixture(config=CONFIG)
async def crate(lsp_client: LanguageClient, tmp_path):
    root = tmp_path / "ws"
    (root / "src").mkdir(parents=True)
    (root / "Cargo.toml").write_text('[package]\nname = "shop"\nversion = "0.1.0"\nedition = "2021"\n')
    (root / "src" / "lib.rs").write_text("pub mod app;\npub mod store;\n")
    (root / "src" / "app.rs").write_text(RS_APP)
    (root / "src" / "store.rs").write_text(RS_STORE)
    lsp_client.workspace_root = root
    lsp_client.editor = "visual_studio_code"
    await start(lsp_client, root, "visual_studio_code")
    yield
    await lsp_client.shutdown_session()


async def test_rust_imports_typed_through_the_item_cache_answer_as_a_fresh_index(crate):
    """Rust's item cache keys an item by the imports and types under the words it writes (item_context): a changed
    import that `second` names re-extracts `second`; a new type nobody names re-extracts nothing else."""
    client = crate
    root = client.workspace_root
    rel = "src/app.rs"
    uri = _open(client, rel, "rust")
    lines = RS_APP.split("\n")
    helper, first, second = (f"shop::app::{name}" for name in ("helper", "first", "second"))
    store_flush, warehouse_flush = "shop::store::Store::flush", "shop::store::Warehouse::flush"
    assert await _callers(client, store_flush) == {second}
    # 1. a call typed into `first`'s body
    row = lines.index("    2")
    change(client, uri, 2, (row, 0), (row, 0), "    helper();\n")
    lines.insert(row, "    helper();")
    assert await _callers(client, helper) == {first}
    assert await _callers(client, store_flush) == {second}
    assert await _go_members(client) == {"<shop::app::Thing as shop::store::Flush>::go"}
    # 2. the import now binds `Store` to the warehouse and `Flush` to `Seal`: the text of `second` and of the impl is
    # unchanged, what they name is not (the impl's members are named at extraction, through the imports)
    old = lines[0]
    new = "use crate::store::{Seal as Flush, Warehouse as Store};"
    change(client, uri, 3, (0, 0), (0, len(old)), new)
    lines[0] = new
    current = "\n".join(lines)
    assert await _callers(client, warehouse_flush) == _fresh_callers(root, rel, current, warehouse_flush) == {second}
    assert await _callers(client, store_flush) == _fresh_callers(root, rel, current, store_flush) == set()
    assert await _go_members(client) == _fresh_go_members(root, rel, current)
    assert await _go_members(client) == {"<shop::app::Thing as shop::store::Seal>::go"}
    # 3. a type nobody names, added at the end: every answer stays that of a fresh index
    end = len(lines) - 1
    change(client, uri, 4, (end, 0), (end, 0), "pub struct Unrelated;\n")
    lines.insert(end, "pub struct Unrelated;")
    current = "\n".join(lines)
    for fqp in (helper, warehouse_flush, store_flush):
        assert await _callers(client, fqp) == _fresh_callers(root, rel, current, fqp)
    assert await _callers(client, helper) == {first}
    assert await _go_members(client) == _fresh_go_members(root, rel, current)


async def _go_members(client: LanguageClient) -> set[str]:
    """The FQPs of the workspace's functions named `go` that implement a trait (the trait's declarations left out)."""
    result = await request(client, "isg/search", {"pattern": "go", "kinds": ["function"]})
    return {n.fqp for n in result.nodes if n.name == "go" and n.fqp.startswith("<")}


def _fresh_go_members(root: Path, rel: str, text: str) -> set[str]:
    engine = fresh_engine(root, rel, text)
    return {n.fqp for n in engine.graph.nodes.values() if n.name == "go" and n.fqp.startswith("<") and not n.external}
