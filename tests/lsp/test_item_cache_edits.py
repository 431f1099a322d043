"""Edits typed into TypeScript and Python files, through the LSP client: the server extracts an edited file item by
item with its item cache (issue #16's edit path), and every answer after every edit is the one a fresh index of the
same text gives: the unchanged items' facts are reused, the changed one's are new, and a module-level value that an
unchanged function reads is followed when it changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pytest_lsp import LanguageClient

from isg_lsp.engine import Engine
from isg_lsp.model import EdgeKind, Resolution

from .conftest import CONFIG, request, start
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
    copy = root.parent / "fresh"
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".isg"))
    (copy / rel).write_text(text)
    engine = Engine(copy, workers=0, persist=False)
    engine.index()
    graph = engine.graph
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
