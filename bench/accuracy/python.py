"""Python ground truth: CPython's own parser (the `ast` module) over a PyPI sdist, plus import resolution done the
way the interpreter binds names (module namespaces, `from m import x` followed to where `x` is defined, packages'
`__init__` re-exports, `*` imports honouring `__all__`, relative imports), and a class's MRO for methods.

Nodes: modules and packages (M), classes (S; T when a direct base is `typing.Protocol` or `abc.ABC` or the metaclass
is `ABCMeta`; E when the MRO reaches `enum.Enum`), functions and methods (F) at module or class level (including
under `if`/`try`). Edges: CONTAINS (package → module, module → class/def, class → method/nested class), DEFINES
(T → its methods), EXTENDS (class → each base but `object`), ACCEPTS/RETURNS/USES (named types of
parameter, return and class-attribute annotations, string annotations parsed; only `int`, `float`, `str`, `bool`,
`bytes`, `complex`, `None` and `object` are primitives: builtins and typing's forms give edges to external nodes, as
ISG-SPEC §1 Clarifications say), CALLS (calls whose target the checker-like resolution below knows: a name or dotted name bound to a
function or class — a class call meaning its `__init__` found through the MRO —, `self.m()`/`cls.m()` through the
MRO, `super().m()`, `Foo(...).m()` where Foo is a workspace class, and `x.m()` where `x` is a parameter annotated with a workspace class or a local assigned once
from a class call). Calls on receivers of unknown type are not in the truth: no tool can state them as facts.
"""

from __future__ import annotations

import ast
import builtins
import sys
import tarfile
from pathlib import Path

from ..archives import extract_tar
from .common import Truth, Unavailable, converter_hash, log, run

LANG = "python"
MYPY = "mypy==1.13.0"          # the CALLS truth's type checker (python_mypy.py), installed into the cache
PACKAGES_FULL = ["click==8.1.7", "attrs==23.2.0"]
PACKAGES_QUICK = ["click==8.1.7"]
EDGE_KINDS = ("CONTAINS", "DEFINES", "EXTENDS", "ACCEPTS", "RETURNS", "USES", "CALLS")

BUILTINS = frozenset(dir(builtins))
# ISG-SPEC §1 Clarifications: only these are primitives; every other name (builtins such as `list`, typing's forms
# such as `Optional`, `Any`, `Generic`) is a type and gives an edge.
NOT_NODES = frozenset({"int", "float", "str", "bool", "bytes", "complex", "None", "object"})
TRAIT_BASES = {"typing.Protocol", "typing_extensions.Protocol", "abc.ABC"}
ENUM_ROOTS = {"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag", "enum.ReprEnum"}
NO_EDGE_BASES = {"object", "builtins.object"}


# ---- corpus ---------------------------------------------------------------------------------------------------

def fetch(spec: str, work: Path) -> Path:
    folder = work / "python" / "src"
    name, _, version = spec.partition("==")
    target = folder / f"{name}-{version}"
    if (target / ".ready").is_file():
        return target
    downloads = work / "python" / "downloads"
    downloads.mkdir(parents=True, exist_ok=True)
    found = sorted(downloads.glob(f"{name}-{version}.tar.gz"))
    if not found:
        log(f"python: pip download {spec}")
        # the sdist of this project only (`--no-binary :all:` would build every build backend from source too)
        proc = run([sys.executable, "-m", "pip", "download", "--no-binary", name, "--no-deps",
                    "-q", "-d", str(downloads), spec], check=False, timeout=600)
        found = sorted(downloads.glob(f"{name}-{version}.tar.gz"))
        if not found:
            raise Unavailable(f"cannot download {spec} from PyPI: {(proc.stderr or proc.stdout)[-300:]}")
    folder.mkdir(parents=True, exist_ok=True)
    with tarfile.open(found[0]) as archive:
        extract_tar(archive, folder)
    (target / ".ready").write_text("ok")
    return target


def run_lang(quick: bool, work: Path) -> list[dict]:
    out = []
    for spec in PACKAGES_QUICK if quick else PACKAGES_FULL:
        try:
            root = fetch(spec, work)
        except Unavailable as error:
            log(f"python: skipping {spec}: {error}")
            continue
        source_root = root / "src" if (root / "src").is_dir() else root
        scope = "src/" if source_root != root else ""
        truth_path = work / "python" / f"{root.name}.truth.jsonl"
        stamp = work / "python" / f"{root.name}.stamp"
        if not (truth_path.is_file() and stamp.is_file() and stamp.read_text() == converter_hash("python")):
            project = Project(source_root)
            project.checked_calls = mypy_calls(project, work, root.name)
            truth = project.truth()
            truth.write(truth_path)
            stamp.write_text(converter_hash("python"))
        out.append({"label": root.name, "workspace": root, "truth": truth_path, "scope": scope,
                    "edge_kinds": EDGE_KINDS, "meta": {"python": sys.version.split()[0], "calls": MYPY}})
    return out


def mypy_calls(project: "Project", work: Path, label: str) -> list[tuple[str, str]]:
    """(caller, callee) FQPs of every call mypy resolves to a workspace function (python_mypy.py), with a pinned
    mypy installed into the cache on first use and used by a child process only."""
    import json

    target = work / "python" / MYPY.replace("==", "-")
    if not (target / "mypy" / "__init__.py").is_file():
        log(f"python: pip install {MYPY} (the CALLS truth's type checker)")
        # the pure-Python build (no mypyc): python_mypy.py subclasses mypy's traverser, which compiled classes forbid
        proc = run([sys.executable, "-m", "pip", "install", "-q", "--no-binary", "mypy", "--target", str(target),
                    MYPY], check=False, timeout=900)
        if not (target / "mypy" / "__init__.py").is_file():
            raise Unavailable(f"cannot install {MYPY}: {(proc.stderr or proc.stdout)[-300:]}")
    modules = work / "python" / f"{label}.modules.json"
    pairs = work / "python" / f"{label}.mypy-calls.json"
    modules.write_text(json.dumps({name: str(m.path) for name, m in project.modules.items()}))
    repo = Path(__file__).resolve().parents[2]
    log(f"python: mypy over {label} ({len(project.modules)} modules)")
    run([sys.executable, "-m", "bench.accuracy.python_mypy", str(modules), str(pairs)], cwd=repo,
        env={"PYTHONPATH": f"{target}:{repo}"}, timeout=1800)
    return [tuple(pair) for pair in json.loads(pairs.read_text())]


# ---- the project's namespaces ------------------------------------------------------------------------------------

class Module:
    def __init__(self, name: str, path: Path, is_package: bool, tree: ast.Module) -> None:
        self.name = name
        self.path = path
        self.is_package = is_package
        self.tree = tree
        self.defs: dict[str, ast.AST] = {}        # module-level classes and functions
        self.imports: dict[str, tuple[str, str | None]] = {}  # local -> (module, name or None for the module)
        self.stars: list[str] = []
        self.all: list[str] | None = None


def _toplevel(body):
    """Statements at this level, looking into `if`/`try`/`with` blocks (what runs when the module or class body
    runs)."""
    for stmt in body:
        if isinstance(stmt, (ast.If, ast.Try, getattr(ast, "TryStar", ast.Try))):
            yield from _toplevel(stmt.body)
            yield from _toplevel(getattr(stmt, "orelse", []))
            for handler in getattr(stmt, "handlers", []):
                yield from _toplevel(handler.body)
            yield from _toplevel(getattr(stmt, "finalbody", []))
        elif isinstance(stmt, (ast.With, ast.AsyncWith)):
            yield from _toplevel(stmt.body)
        else:
            yield stmt


class Project:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: dict[str, Module] = {}
        self.t = Truth(LANG)
        self.classes: dict[str, ast.ClassDef] = {}      # FQP -> class
        self.class_module: dict[str, Module] = {}
        self.functions: set[str] = set()
        self._mro: dict[str, list[str]] = {}
        self.checked_calls: list[tuple[str, str]] | None = None    # CALLS from mypy (python_mypy.py), when run
        self._load()

    def _load(self) -> None:
        for path in sorted(self.root.rglob("*.py")):
            rel = path.relative_to(self.root)
            parts = list(rel.parts)
            # the source root is the folder above the topmost package
            folders = parts[:-1]
            top = len(folders)
            while top > 0 and (self.root.joinpath(*folders[:top]) / "__init__.py").is_file():
                top -= 1
            mod_parts = folders[top:]
            is_package = parts[-1] == "__init__.py"
            if not is_package:
                mod_parts = mod_parts + [path.stem]
            if not mod_parts:
                continue
            try:
                tree = ast.parse(path.read_bytes(), filename=str(path))
            except (SyntaxError, ValueError):
                continue
            module = Module(".".join(mod_parts), path, is_package, tree)
            self.modules[module.name] = module
        for module in self.modules.values():
            self._namespace(module)

    def _namespace(self, module: Module) -> None:
        for stmt in _toplevel(module.tree.body):
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                module.defs[stmt.name] = stmt
            elif isinstance(stmt, ast.Import):
                for alias in stmt.names:
                    if alias.asname:
                        module.imports[alias.asname] = (alias.name, None)
                    else:
                        first = alias.name.split(".")[0]
                        module.imports.setdefault(first, (first, None))
            elif isinstance(stmt, ast.ImportFrom):
                base = self._from_base(module, stmt)
                for alias in stmt.names:
                    if alias.name == "*":
                        module.stars.append(base)
                    else:
                        module.imports[alias.asname or alias.name] = (base, alias.name)
            elif isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                      for t in stmt.targets):
                if isinstance(stmt.value, (ast.List, ast.Tuple)):
                    module.all = [e.value for e in stmt.value.elts if isinstance(e, ast.Constant)
                                  and isinstance(e.value, str)]

    def _from_base(self, module: Module, stmt: ast.ImportFrom) -> str:
        if not stmt.level:
            return stmt.module or ""
        parts = module.name.split(".")
        package = parts if module.is_package else parts[:-1]
        up = stmt.level - 1
        package = package[:len(package) - up] if up else package
        return ".".join(package + ([stmt.module] if stmt.module else []))

    # ---- resolution: what a name means ----

    def lookup(self, module_name: str, name: str, depth: int = 0) -> tuple[str, str] | None:
        """(what, FQP) a name of a module's namespace is bound to: what is "class", "function", "module" or
        "external"."""
        if depth > 20:
            return None
        module = self.modules.get(module_name)
        if module is None:
            return ("external", f"{module_name}.{name}") if module_name else None
        node = module.defs.get(name)
        if node is not None:
            kind = "class" if isinstance(node, ast.ClassDef) else "function"
            return kind, f"{module_name}.{name}"
        imported = module.imports.get(name)
        if imported is not None:
            target_module, target_name = imported
            if target_name is None:
                return self.module_ref(target_module)
            if f"{target_module}.{target_name}" in self.modules:
                return "module", f"{target_module}.{target_name}"
            return self.lookup(target_module, target_name, depth + 1)
        if module.is_package and f"{module_name}.{name}" in self.modules:
            return "module", f"{module_name}.{name}"
        for star in module.stars:
            source = self.modules.get(star)
            if source is None:
                continue
            if source.all is not None and name not in source.all:
                continue
            if source.all is None and name.startswith("_"):
                continue
            found = self.lookup(star, name, depth + 1)
            if found is not None:
                return found
        return None

    def module_ref(self, dotted: str) -> tuple[str, str]:
        return ("module", dotted) if dotted in self.modules else ("external", dotted)

    def resolve_expr(self, expr: ast.AST, module_name: str, local: dict[str, tuple[str, str]] | None = None,
                     ) -> tuple[str, str] | None:
        """What a name or dotted name (`a.b.C`) is bound to."""
        if isinstance(expr, ast.Name):
            if local is not None and expr.id in local:
                return local[expr.id]
            found = self.lookup(module_name, expr.id)
            if found is None and expr.id in BUILTINS:
                # builtin classes are external types (`builtins.ValueError`); builtin functions are not nodes
                if isinstance(getattr(builtins, expr.id), type) and expr.id not in NOT_NODES:
                    return "external", f"builtins.{expr.id}"
                return None
            return found
        if isinstance(expr, ast.Attribute):
            base = self.resolve_expr(expr.value, module_name, local)
            if base is None:
                return None
            what, fqp = base
            if what == "module":
                found = self.lookup(fqp, expr.attr)
                if found is None and fqp not in self.modules:
                    return "external", f"{fqp}.{expr.attr}"
                return found
            if what == "external":
                return "external", f"{fqp}.{expr.attr}"
            if what == "class":
                method = self.find_member(fqp, expr.attr)
                return ("function", method) if method else None
        return None

    def bases(self, fqp: str) -> list[tuple[str, str]]:
        cls = self.classes.get(fqp)
        if cls is None:
            return []
        module = self.class_module[fqp]
        out = []
        for base in cls.bases:
            target = base.value if isinstance(base, ast.Subscript) else base
            found = self.resolve_expr(target, module.name)
            if found is None and isinstance(target, ast.Name) and target.id in BUILTINS \
                    and isinstance(getattr(builtins, target.id), type):
                found = ("external", f"builtins.{target.id}")  # `class X(int)`: int is a class, if not an annotation
            if found is not None and found[0] in ("class", "external"):
                out.append(found)
        return out

    def mro(self, fqp: str) -> list[str]:
        """Workspace classes in (depth-first, left-to-right; enough for the lookups here) method resolution order."""
        if fqp in self._mro:
            return self._mro[fqp]
        self._mro[fqp] = [fqp]
        order = [fqp]
        for what, base in self.bases(fqp):
            if what == "class":
                for c in self.mro(base):
                    if c not in order:
                        order.append(c)
        self._mro[fqp] = order
        return order

    def find_member(self, cls: str, name: str, after: bool = False) -> str | None:
        order = self.mro(cls)
        if after:
            order = order[1:]
        for c in order:
            if f"{c}.{name}" in self.functions:
                return f"{c}.{name}"
        return None

    def all_bases(self, fqp: str, seen=None) -> set[str]:
        seen = seen if seen is not None else set()
        for what, base in self.bases(fqp):
            if base in seen:
                continue
            seen.add(base)
            if what == "class":
                self.all_bases(base, seen)
        return seen

    # ---- building the truth ----

    def truth(self) -> Truth:
        # pass 1: every class and function FQP
        for module in self.modules.values():
            self._collect(module.tree.body, module.name, module)
        if self.checked_calls is not None:        # CALLS as the type checker resolved them
            for src, dst in self.checked_calls:
                if src in self.functions and dst in self.functions:
                    self.t.edge(self.t.node("F", src), "CALLS", self.t.node("F", dst))
        # pass 2: nodes and edges
        for name in sorted(self.modules):
            module = self.modules[name]
            node = self.t.node("M", name)
            parent = name.rsplit(".", 1)[0] if "." in name else None
            if parent and parent in self.modules and self.modules[parent].is_package:
                self.t.edge(self.t.node("M", parent), "CONTAINS", node)
            self._items(module.tree.body, name, module, node, None)
        return self.t

    def _collect(self, body, prefix: str, module: Module) -> None:
        for stmt in _toplevel(body):
            if isinstance(stmt, ast.ClassDef):
                fqp = f"{prefix}.{stmt.name}"
                self.classes[fqp] = stmt
                self.class_module[fqp] = module
                self._collect(stmt.body, fqp, module)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.functions.add(f"{prefix}.{stmt.name}")

    def class_kind(self, fqp: str) -> str:
        cls = self.classes[fqp]
        direct = {b for _, b in self.bases(fqp)}
        if direct & TRAIT_BASES or any(isinstance(k.value, (ast.Name, ast.Attribute)) and k.arg == "metaclass"
                                       and (self.resolve_expr(k.value, self.class_module[fqp].name) or ("", ""))[1]
                                       == "abc.ABCMeta" for k in cls.keywords):
            return "T"
        if self.all_bases(fqp) & ENUM_ROOTS:
            return "E"
        return "S"

    def _items(self, body, prefix: str, module: Module, owner: str, owner_class: str | None) -> None:
        owner_is_trait = owner_class is not None and self.class_kind(owner_class) == "T"
        for stmt in _toplevel(body):
            if isinstance(stmt, ast.ClassDef):
                fqp = f"{prefix}.{stmt.name}"
                node = self.t.node(self.class_kind(fqp), fqp)
                self.t.edge(owner, "CONTAINS", node)
                for what, base in self.bases(fqp):
                    if base in NO_EDGE_BASES:
                        continue
                    kind = self.class_kind(base) if what == "class" else "S"
                    self.t.edge(node, "EXTENDS", self.t.node(kind, base, external=what != "class"))
                for inner in _toplevel(stmt.body):
                    if isinstance(inner, ast.AnnAssign):
                        for dst in self.annotation_types(inner.annotation, module):
                            self.t.edge(node, "USES", dst)
                self._items(stmt.body, fqp, module, node, fqp)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                fqp = f"{prefix}.{stmt.name}"
                node = self.t.node("F", fqp)
                self.t.edge(owner, "DEFINES" if owner_is_trait else "CONTAINS", node)
                if owner_class is not None and stmt.args.args:
                    this = stmt.args.args[0].arg           # `self.x: T` in a method: a field of the class
                    for inner in ast.walk(stmt):
                        if isinstance(inner, ast.AnnAssign) and isinstance(inner.target, ast.Attribute) \
                                and isinstance(inner.target.value, ast.Name) and inner.target.value.id == this:
                            for dst in self.annotation_types(inner.annotation, module):
                                self.t.edge(owner, "USES", dst)
                args = stmt.args
                params = args.posonlyargs + args.args + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a]
                for arg in params:
                    if arg.annotation is not None:
                        for dst in self.annotation_types(arg.annotation, module):
                            self.t.edge(node, "ACCEPTS", dst)
                if stmt.returns is not None:
                    for dst in self.annotation_types(stmt.returns, module):
                        self.t.edge(node, "RETURNS", dst)
                if self.checked_calls is None:
                    self.calls(stmt, node, module, owner_class)

    # ---- annotations ----

    def annotation_types(self, expr: ast.AST, module: Module) -> list[str]:
        found: list[str] = []
        self._annotation(expr, module, found, 0)
        return list(dict.fromkeys(found))

    def _annotation(self, expr, module: Module, found: list, depth: int) -> None:
        if expr is None or depth > 20:
            return
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            try:
                parsed = ast.parse(expr.value, mode="eval").body
            except SyntaxError:
                return
            self._annotation(parsed, module, found, depth + 1)
        elif isinstance(expr, (ast.Name, ast.Attribute)):
            last = expr.id if isinstance(expr, ast.Name) else expr.attr
            if last in NOT_NODES:
                return
            target = self.resolve_expr(expr, module.name)
            if target is None:
                return
            what, fqp = target
            if what == "class":
                found.append(self.t.node(self.class_kind(fqp), fqp))
            elif what == "external":
                if fqp.rsplit(".", 1)[-1] in NOT_NODES:
                    return
                found.append(self.t.node("S", fqp, external=True))
        elif isinstance(expr, ast.Subscript):
            self._annotation(expr.value, module, found, depth + 1)
            head = expr.value.id if isinstance(expr.value, ast.Name) else getattr(expr.value, "attr", "")
            if head == "Literal":
                return                                  # `Literal["a"]`: values, not types
            if head == "Annotated" and isinstance(expr.slice, ast.Tuple) and expr.slice.elts:
                self._annotation(expr.slice.elts[0], module, found, depth + 1)   # the metadata names no type
                return
            self._annotation(expr.slice, module, found, depth + 1)
        elif isinstance(expr, (ast.Tuple, ast.List)):
            for element in expr.elts:
                self._annotation(element, module, found, depth + 1)
        elif isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.BitOr):
            self._annotation(expr.left, module, found, depth + 1)
            self._annotation(expr.right, module, found, depth + 1)

    # ---- calls ----

    def calls(self, fn: ast.AST, src: str, module: Module, owner_class: str | None) -> None:
        local: dict[str, tuple[str, str]] = {}
        assigned: dict[str, int] = {}
        receivers: dict[str, str] = {}            # local variable -> workspace class
        args = fn.args
        params = args.posonlyargs + args.args + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a]
        first = params[0].arg if params and owner_class is not None else None
        is_static = any(isinstance(d, ast.Name) and d.id == "staticmethod" for d in fn.decorator_list)
        for arg in params:
            assigned[arg.arg] = assigned.get(arg.arg, 0) + 1
            if arg.annotation is not None:
                target = self.resolve_expr(arg.annotation, module.name) if isinstance(
                    arg.annotation, (ast.Name, ast.Attribute)) else None
                if target is not None and target[0] == "class":
                    receivers[arg.arg] = target[1]
        for node in ast.walk(fn):
            if node is fn:
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                assigned[node.id] = assigned.get(node.id, 0) + 1
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                assigned[node.name] = assigned.get(node.name, 0) + 1
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name == "*":
                        continue
                    bound = alias.asname or alias.name.split(".")[0]
                    if isinstance(node, ast.Import):
                        local[bound] = self.module_ref(alias.name if alias.asname else bound)
                    else:
                        base = self._from_base(module, node)
                        found = (self.module_ref(f"{base}.{alias.name}") if f"{base}.{alias.name}" in self.modules
                                 else self.lookup(base, alias.name))
                        if found is not None:
                            local[bound] = found
            elif isinstance(node, ast.arg):
                assigned[node.arg] = assigned.get(node.arg, 0) + 1
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and isinstance(node.value, ast.Call):
                name = node.targets[0].id
                if assigned.get(name) == 1:
                    target = self.resolve_expr(node.value.func, module.name, local)
                    if target is not None and target[0] == "class":
                        receivers[name] = target[1]
        shadowed = {name for name, count in assigned.items() if name not in local}
        for node in ast.walk(fn):
            if not isinstance(node, ast.Call):
                continue
            dst = self.call_target(node.func, module, local, shadowed, receivers, owner_class, first, is_static)
            if dst is not None:
                self.t.edge(src, "CALLS", dst)

    def call_target(self, func, module, local, shadowed, receivers, owner_class, first, is_static) -> str | None:
        if isinstance(func, ast.Attribute):
            value = func.value
            if isinstance(value, ast.Name) and owner_class is not None and not is_static and value.id == first:
                method = self.find_member(owner_class, func.attr)
                return self.t.node("F", method) if method else None
            if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "super" \
                    and owner_class is not None:
                method = self.find_member(owner_class, func.attr, after=True)
                return self.t.node("F", method) if method else None
            if isinstance(value, ast.Name) and value.id in receivers:
                method = self.find_member(receivers[value.id], func.attr)
                return self.t.node("F", method) if method else None
            if isinstance(value, ast.Call) and isinstance(value.func, (ast.Name, ast.Attribute)):
                root = value.func                      # `Foo(...).m()`: the instance's class is Foo
                while isinstance(root, ast.Attribute):
                    root = root.value
                if isinstance(root, ast.Name) and not (root.id in shadowed and root.id not in local):
                    made = self.resolve_expr(value.func, module.name, local)
                    if made is not None and made[0] == "class":
                        method = self.find_member(made[1], func.attr)
                        return self.t.node("F", method) if method else None
        root = func
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or (root.id in shadowed and root.id not in local):
            return None
        target = self.resolve_expr(func, module.name, local)
        if target is None:
            return None
        what, fqp = target
        if what == "function" and fqp in self.functions:
            return self.t.node("F", fqp)
        if what == "class":
            init = self.find_member(fqp, "__init__")
            return self.t.node("F", init) if init else None
        return None
