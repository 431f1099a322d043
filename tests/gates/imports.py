"""What the modules of a package import, read from their source (``ast``), function-local imports included."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name: isg_lsp.server.handlers
    imported: str  # dotted module name, resolved: isg_lsp.queries, sqlite3, lsprotocol.types
    line: int
    type_only: bool  # under `if TYPE_CHECKING:` (never runs)
    local: bool  # inside a function (runs when the function does)


def module_name(root: Path, path: Path) -> str:
    """The dotted name of a file of the package whose folder is ``root``."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(root: Path, path: Path) -> list[Import]:
    """Every import statement of one file, with relative imports resolved against the package."""
    name = module_name(root, path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    modules = _package_modules(root)
    out: list[Import] = []

    def visit(node: ast.AST, type_only: bool, local: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit_stmt(stmt, True, local)
                for stmt in child.orelse:
                    visit_stmt(stmt, type_only, local)
                continue
            visit_stmt(child, type_only, local)

    def visit_stmt(stmt: ast.AST, type_only: bool, local: bool) -> None:
        if isinstance(stmt, ast.Import):
            for alias in stmt.names:
                out.append(Import(name, alias.name, stmt.lineno, type_only, local))
        elif isinstance(stmt, ast.ImportFrom):
            if stmt.level:
                base = package.split(".")
                base = base[: len(base) - (stmt.level - 1)] if stmt.level > 1 else base
                target = ".".join(base + ([stmt.module] if stmt.module else []))
            else:
                target = stmt.module or ""
            for alias in stmt.names:
                candidate = f"{target}.{alias.name}"
                # `from . import query` imports a module when one has that name, else a name of the package
                imported = candidate if candidate in modules else target
                out.append(Import(name, imported, stmt.lineno, type_only, local))
        else:
            inner_local = local or isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(stmt, type_only, inner_local)

    visit(tree, False, False)
    return out


def _package_modules(root: Path) -> frozenset[str]:
    cached = _MODULES.get(root)
    if cached is None:
        cached = _MODULES[root] = frozenset(module_name(root, p) for p in root.rglob("*.py"))
    return cached


_MODULES: dict[Path, frozenset[str]] = {}


def package_imports(root: Path) -> list[Import]:
    """Every import of every module of the package in ``root`` (a folder with an ``__init__.py``)."""
    out: list[Import] = []
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" not in path.parts:
            out.extend(imports_of(root, path))
    return out
