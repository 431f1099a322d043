"""Seeded synthetic Rust workspaces that follow the seeds' workload model, emitted as source files so that the whole
pipeline (walk, parse, extract, resolve, persist) runs on them.

The model: about 14K nodes per 100K lines of code, about 3 CALLS per function, kind ratios that can be tuned
(``DEFAULT_RATIOS``: the share of declared items of each kind; generic parameters and modules come on top). A
workspace is one crate, ``synth``, with modules in folders of ``MODULES_PER_FOLDER`` files of ~``MODULE_LOC`` lines.
Calls go to functions anywhere in the crate: through a ``use`` (import resolution), through a full ``crate::`` path
(exact), as ``Type::method()``, ``self.method()`` and ``value.method()`` (a heuristic, by name).

    python -m bench.synthetic OUT --loc 100000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from dataclasses import dataclass, field
from pathlib import Path

SIZES = {"synthetic-10k": 10_000, "synthetic-100k": 100_000, "synthetic-500k": 500_000, "synthetic-2m": 2_000_000}
DEFAULT_RATIOS = {"fn": 0.60, "method": 0.16, "struct": 0.10, "enum": 0.04, "trait": 0.04, "trait_impl": 0.03,
                  "type_alias": 0.03}
CALLS_PER_FN = 3
MODULE_LOC = 400
MODULES_PER_FOLDER = 20
GENERATOR_VERSION = 1


@dataclass
class Module:
    index: int
    folder: int
    name: str
    path: tuple[str, ...]                       # module path segments under the crate
    items: list[tuple] = field(default_factory=list)


def _pick_kind(rng: random.Random, ratios: dict[str, float]) -> str:
    x = rng.random() * sum(ratios.values())
    for kind, share in ratios.items():
        x -= share
        if x <= 0:
            return kind
    return "fn"


def generate(out: Path, loc: int, seed: int = 7, ratios: dict[str, float] | None = None,
             calls_per_fn: int = CALLS_PER_FN) -> dict:
    """Writes a workspace of about ``loc`` non-blank lines into ``out`` (replaced). Returns what it made."""
    ratios = dict(ratios or DEFAULT_RATIOS)
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    (out / "src").mkdir(parents=True)
    (out / "Cargo.toml").write_text('[package]\nname = "synth"\nversion = "0.1.0"\nedition = "2021"\n')
    n_modules = max(2, round(loc / MODULE_LOC))
    n_folders = max(1, (n_modules + MODULES_PER_FOLDER - 1) // MODULES_PER_FOLDER)
    modules = [Module(i, i % n_folders, f"m{i}", (f"d{i % n_folders}", f"m{i}")) for i in range(n_modules)]
    # plan the items of every module first, so that calls can point anywhere
    structs: list[tuple[Module, str]] = []
    traits: list[tuple[Module, str, list[str]]] = []
    fns: list[tuple[Module, str]] = []
    methods: list[tuple[Module, str, str]] = []          # (module, struct, method)
    per_module_items = MODULE_LOC // 9
    for module in modules:
        own_structs: list[str] = []
        for k in range(per_module_items):
            kind = _pick_kind(rng, ratios)
            if kind in ("method", "trait_impl") and not own_structs:
                kind = "struct"
            if kind == "trait_impl" and not traits:
                kind = "trait"
            name = f"{kind[0]}{module.index}_{k}"
            if kind == "struct":
                name = f"S{module.index}x{k}"
                own_structs.append(name)
                structs.append((module, name))
                module.items.append(("struct", name, rng.randint(2, 4), rng.random() < 0.3))
            elif kind == "enum":
                name = f"E{module.index}x{k}"
                structs.append((module, name))
                module.items.append(("enum", name, rng.randint(2, 4)))
            elif kind == "trait":
                name = f"T{module.index}x{k}"
                members = [f"t{module.index}x{k}_{j}" for j in range(2)]
                traits.append((module, name, members))
                module.items.append(("trait", name, members))
            elif kind == "trait_impl":
                module.items.append(("trait_impl", rng.choice(own_structs), rng.choice(traits)))
            elif kind == "type_alias":
                module.items.append(("type_alias", f"A{module.index}x{k}"))
            elif kind == "method":
                owner = rng.choice(own_structs)
                name = f"meth{module.index}x{k}"
                methods.append((module, owner, name))
                module.items.append(("method", owner, name))
            else:
                name = f"f{module.index}x{k}"
                fns.append((module, name))
                module.items.append(("fn", name, rng.random() < 0.15))
    lines_written = 0
    n_fns = 0
    n_calls = 0
    for module in modules:
        text, fn_count, call_count = _emit_module(module, rng, structs, traits, fns, methods, calls_per_fn)
        n_fns += fn_count
        n_calls += call_count
        target = out / "src" / module.path[0] / f"{module.name}.rs"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        lines_written += sum(1 for line in text.split("\n") if line.strip())
    for folder in range(n_folders):
        mods = [m for m in modules if m.folder == folder]
        text = "//! A folder of generated modules.\n\n" + "".join(f"pub mod {m.name};\n" for m in mods)
        (out / "src" / f"d{folder}").mkdir(exist_ok=True)
        (out / "src" / f"d{folder}" / "mod.rs").write_text(text)
        lines_written += len(mods) + 1
    lib = "//! A generated crate following the seeds' workload model.\n\n" + "".join(
        f"pub mod d{folder};\n" for folder in range(n_folders))
    (out / "src" / "lib.rs").write_text(lib)
    info = {"generator": GENERATOR_VERSION, "seed": seed, "loc_target": loc, "loc": lines_written,
            "modules": n_modules, "functions": n_fns, "calls": n_calls, "ratios": ratios,
            "calls_per_fn": calls_per_fn}
    (out / ".synthetic.json").write_text(json.dumps(info, sort_keys=True))
    return info


def _path(module: Module, name: str) -> str:
    return "crate::" + "::".join(module.path) + "::" + name


def _emit_module(module: Module, rng: random.Random, structs, traits, fns, methods, calls_per_fn
                 ) -> tuple[str, int, int]:
    out = [f"//! Module {module.name}: generated.\n"]
    uses: dict[str, str] = {}
    body: list[str] = []
    local_types = [name for kind, name, *_ in module.items if kind in ("struct", "enum")]

    def a_type() -> str:
        if local_types and rng.random() < 0.5:
            return rng.choice(local_types)
        owner, name = rng.choice(structs)
        if owner is module:
            return name
        if rng.random() < 0.5:
            uses.setdefault(name, _path(owner, name))
            return name
        return _path(owner, name)

    def calls(receiver_self: str | None) -> list[str]:
        lines = []
        for _ in range(max(0, calls_per_fn + rng.choice((-1, 0, 0, 1)))):
            roll = rng.random()
            if roll < 0.45 and fns:
                owner, name = rng.choice(fns)
                if owner is module:
                    lines.append(f"    let _ = {name}(x);")
                elif rng.random() < 0.5:
                    uses.setdefault(name, _path(owner, name))
                    lines.append(f"    let _ = {name}(x);")
                else:
                    lines.append(f"    let _ = {_path(owner, name)}(x);")
            elif roll < 0.70 and methods:
                owner, struct, name = rng.choice(methods)
                lines.append(f"    {_path(owner, struct)}::{name}(&Default::default(), x);")
            elif roll < 0.85 and receiver_self is not None:
                mine = [m for mod, s, m in methods if mod is module and s == receiver_self]
                if mine:
                    lines.append(f"    self.{rng.choice(mine)}(x);")
                else:
                    lines.append("    let _ = x.wrapping_add(1);")
            elif methods:
                _owner, _struct, name = rng.choice(methods)
                lines.append(f"    value.{name}(x);")
        return lines

    def fn_text(name: str, indent: str, receiver: str | None, generic: bool) -> list[str]:
        param = a_type()
        ret = a_type()
        head = f"{indent}pub fn {name}"
        if generic:
            head += "<T: Clone + std::fmt::Debug>"
        args = ("&self, " if receiver else "") + f"x: u32, item: &{param}" + (", extra: T" if generic else "")
        lines = [f"{head}({args}) -> Option<{ret}> {{"]
        lines.append(f"{indent}    let value = x.checked_mul(3).unwrap_or(0);")
        lines.extend(indent + line for line in calls(receiver))
        lines.append(f"{indent}    let _ = (item, value);")
        lines.append(f"{indent}    None")
        lines.append(f"{indent}}}")
        return lines

    n_fns = 0
    methods_by_owner: dict[str, list[str]] = {}
    for item in module.items:
        if item[0] == "method":
            methods_by_owner.setdefault(item[1], []).append(item[2])
    for item in module.items:
        kind = item[0]
        if kind == "struct":
            _, name, n_fields, generic = item
            derive = "#[derive(Debug, Clone, Default)]\n"
            params = "<T: Clone>" if generic else ""
            fields = [f"    pub f{i}: {a_type()}," for i in range(n_fields)]
            if generic:
                fields.append("    pub extra: Option<T>,")
            body.append(f"{derive}pub struct {name}{params} {{\n" + "\n".join(fields) + "\n}\n")
            own = methods_by_owner.get(name)
            if own:
                impl_params = "<T: Clone>" if generic else ""
                lines = [f"impl{impl_params} {name}{'<T>' if generic else ''} {{"]
                for method in own:
                    lines.extend(fn_text(method, "    ", name, False))
                    n_fns += 1
                lines.append("}")
                body.append("\n".join(lines) + "\n")
        elif kind == "enum":
            _, name, n_variants = item
            variants = [f"    V{i}({a_type()})," for i in range(n_variants)]
            body.append(f"#[derive(Debug, Clone)]\npub enum {name} {{\n" + "\n".join(variants) + "\n}\n")
        elif kind == "trait":
            _, name, members = item
            lines = [f"pub trait {name}: Clone {{", "    type Out;"]
            lines.extend(f"    fn {m}(&self, x: u32) -> Option<{a_type()}>;" for m in members)
            lines.append("}")
            body.append("\n".join(lines) + "\n")
        elif kind == "trait_impl":
            _, struct, (towner, tname, members) = item
            trait = tname if towner is module else _path(towner, tname)
            lines = [f"impl {trait} for {struct} {{", "    type Out = u32;"]
            for m in members:
                lines.append(f"    fn {m}(&self, x: u32) -> Option<{a_type()}> {{")
                lines.extend("    " + line for line in calls(struct))
                lines.append("        None")
                lines.append("    }")
                n_fns += 1
            lines.append("}")
            body.append("\n".join(lines) + "\n")
        elif kind == "type_alias":
            body.append(f"pub type {item[1]} = Vec<{a_type()}>;\n")
        elif kind == "fn":
            _, name, generic = item
            body.append("\n".join(fn_text(name, "", None, generic)) + "\n")
            n_fns += 1
    for name in sorted(uses):
        out.append(f"use {uses[name]};\n")
    out.append("\n")
    out.append("\n".join(body))
    text = "".join(out)
    return text, n_fns, text.count("(x)") + text.count(", x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.synthetic", description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--loc", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--calls-per-fn", type=int, default=CALLS_PER_FN)
    parser.add_argument("--ratios", help='JSON, e.g. {"fn":0.5,"method":0.2,"struct":0.2,"trait":0.1}')
    args = parser.parse_args(argv)
    ratios = json.loads(args.ratios) if args.ratios else None
    print(json.dumps(generate(args.out, args.loc, args.seed, ratios, args.calls_per_fn), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
