"""Python CALLS truth from a type checker: mypy's own resolution of every call in a project.

Run as ``python -m bench.accuracy.python_mypy MODULES_JSON OUT_JSON`` with mypy importable (python.py installs a
pinned mypy into the benchmark's cache and puts it on PYTHONPATH for this process only). MODULES_JSON maps each
workspace module's dotted name to its file. mypy checks them all (bodies of unannotated functions included:
``check_untyped_defs``), and each call expression's callee type, as the checker resolved it, names the definition
it calls (``CallableType.definition``): a function, a method found on the receiver's inferred type through its
MRO, a class's ``__init__`` for a constructor call, the method ``super().m()`` reaches. A name the semantic analyzer
bound (`f()`, `mod.f()`, `Foo()`) is taken from its binding; a method whose type a decorator replaced
(`@contextmanager`) is looked up on the receiver's inferred type. mypy checks one platform at a time and skips code
it finds unreachable there (`if sys.platform == "win32":`), so the project is checked for Linux, Windows and macOS
and the calls are the union. A call counts for the module- or class-level function whose body holds it (calls in
nested functions and lambdas count for the enclosing one, as the ISG's do); only calls whose target is a workspace
function are written, as (caller, callee) FQPs.

Known gap: the bodies of functions with value-restricted type variables (`AnyStr`) are checked as copies, one per
value, whose types are not the original tree's: method calls on their inferred values are missing.
"""

from __future__ import annotations

import json
import sys


def main() -> int:
    from mypy import build
    from mypy.modulefinder import BuildSource
    from mypy.options import Options

    modules: dict[str, str] = json.loads(open(sys.argv[1], encoding="utf-8").read())
    calls: set[tuple[str, str]] = set()
    for platform in ("linux", "win32", "darwin"):
        options = Options()
        options.incremental = False
        options.check_untyped_defs = True
        options.ignore_missing_imports = True
        options.follow_imports = "silent"
        options.export_types = True
        options.preserve_asts = True
        options.python_version = sys.version_info[:2]
        options.platform = platform
        sources = [BuildSource(path, name) for name, path in sorted(modules.items())]
        result = build.build(sources=sources, options=options)
        collect(result, modules, calls)
    json.dump(sorted(calls), open(sys.argv[2], "w", encoding="utf-8"))
    return 0


def collect(result, modules: dict[str, str], calls: set[tuple[str, str]]) -> None:
    from mypy.nodes import Decorator, FuncDef, MemberExpr, OverloadedFuncDef, RefExpr, SuperExpr, TypeInfo
    from mypy.traverser import TraverserVisitor
    from mypy.types import CallableType, Instance, Overloaded, TypeType, get_proper_type

    types = result.types

    def named(node) -> str | None:
        if isinstance(node, (FuncDef, Decorator, OverloadedFuncDef)):
            return node.fullname
        if isinstance(node, TypeInfo):                       # a constructor call: the class's `__init__`
            found = node.get("__init__")
            return named(found.node) if found is not None else None
        return None

    def member(info: TypeInfo, name: str) -> str | None:
        found = info.get(name)
        return named(found.node) if found is not None else None

    def definition_of(expr) -> str | None:
        if isinstance(expr, RefExpr) and expr.node is not None:
            found = named(expr.node)
            if found is not None:
                return found
        callee_type = types.get(expr)
        proper = get_proper_type(callee_type) if callee_type is not None else None
        if isinstance(proper, Overloaded) and proper.items:
            proper = proper.items[0]
        if isinstance(proper, CallableType) and proper.definition is not None:
            return proper.definition.fullname
        if isinstance(expr, MemberExpr):                     # a decorated method (`@contextmanager`)
            receiver = types.get(expr.expr)
            receiver = get_proper_type(receiver) if receiver is not None else None
            if isinstance(receiver, TypeType):
                receiver = receiver.item
            if isinstance(receiver, CallableType) and receiver.is_type_obj():
                return member(receiver.type_object(), expr.name)
            if isinstance(receiver, Instance):
                return member(receiver.type, expr.name)
        if isinstance(expr, SuperExpr) and expr.info is not None:
            for base in expr.info.mro[1:]:
                if expr.name in base.names:
                    return named(base.names[expr.name].node)
        return None

    class Calls(TraverserVisitor):
        def __init__(self) -> None:
            super().__init__()
            self.current: list[str] = []            # the enclosing module- or class-level function
            self.depth = 0                          # functions nested in it

        def visit_func_def(self, fn: FuncDef) -> None:
            if self.current:
                self.depth += 1
                super().visit_func_def(fn)
                self.depth -= 1
                return
            self.current.append(fn.fullname)
            super().visit_func_def(fn)
            self.current.pop()

        def visit_call_expr(self, expr) -> None:
            if self.current:
                target = definition_of(expr.callee)
                if target is not None:
                    calls.add((self.current[-1], target))
            super().visit_call_expr(expr)

    for name in modules:
        tree = result.files.get(name)
        if tree is not None:
            tree.accept(Calls())


if __name__ == "__main__":
    raise SystemExit(main())
