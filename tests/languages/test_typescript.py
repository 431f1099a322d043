"""TypeScript / JavaScript: the golden graph of a small workspace (every node and edge kind), the resolution rules one
by one, incremental updates equal to a fresh index, and known facts of real code (rxjs's TypeScript sources)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from isg_lsp.engine import Engine
from isg_lsp.languages import typescript
from isg_lsp.model import EdgeKind, NodeKind
from tests.helpers import FIXTURES, GOLDEN, check_golden, dump, node, out

SHOP = FIXTURES / "typescript" / "shop"


@pytest.fixture(scope="module")
def shop():
    engine = Engine(SHOP, persist=False)
    engine.index()
    return engine.graph


def test_shop_matches_golden(shop):
    check_golden(dump(shop), GOLDEN / "typescript-shop.txt")


def test_shop_covers_every_node_and_edge_kind(shop):
    assert {n.kind for n in shop.nodes.values() if not n.external} == set(NodeKind)
    assert {e.kind for e in shop.edges()} == set(EdgeKind)


def test_module_paths_and_member_names(shop):
    assert node(shop, "src/core/model", NodeKind.MODULE).signature == "module src/core/model"
    assert node(shop, "src/core/model::Book").kind is NodeKind.STRUCT
    assert node(shop, "src/core/model::Priced").kind is NodeKind.TRAIT
    assert node(shop, "src/core/model::Currency").kind is NodeKind.ENUM
    assert node(shop, "src/core/model::Label").kind is NodeKind.ASSOC_TYPE
    assert node(shop, "src/core/cart::Cart::<T>").signature == "T extends Priced = Product"
    emptycart = node(shop, "src/core/cart::emptyCart")
    assert emptycart.kind is NodeKind.FUNCTION
    assert emptycart.signature == "export const emptyCart = (): Cart<Product> =>"
    assert emptycart.visibility == "export"
    assert node(shop, "src/core/model::Item::price").signature == "abstract price(currency: Currency): number"
    # .tsx files are TypeScript, .js files JavaScript; .d.ts files are modules named without `.d.ts`
    assert node(shop, "src/ui/view::render").lang == "typescript"
    assert node(shop, "src/legacy/util::LegacyCart").lang == "javascript"
    assert node(shop, "src/types/env::AppConfig").kind is NodeKind.TRAIT


def test_class_interface_relations(shop):
    assert out(shop, "src/core/model::Book", EdgeKind.EXTENDS) == {"src/core/model::Item"}
    assert out(shop, "src/core/model::Item", EdgeKind.IMPL) == {"src/core/model::Priced"}
    assert out(shop, "src/core/model::Priced", EdgeKind.EXTENDS) == {"src/core/model::Named"}
    assert out(shop, "src/core/model::Priced", EdgeKind.DEFINES) == {"src/core/model::Priced::price"}
    assert "src/core/model::Item::describe" in out(shop, "src/core/model::Item", EdgeKind.CONTAINS)
    assert out(shop, "src/core/cart::Cart::<T>", EdgeKind.BOUND_BY) == {"src/core/model::Priced"}
    # `constructor(title: string, public author: Author)`: a parameter property is a field (ISG-SPEC §1)
    assert out(shop, "src/core/model::Book", EdgeKind.USES) == {"src/core/model::Page", "src/core/model::Author"}
    # `Promise<Money>` reduces to Promise (a global: bare name) and Money
    assert out(shop, "src/core/cart::Cart::total", EdgeKind.RETURNS) == {"Promise", "src/core/cart::Money"}
    assert out(shop, "src/core/cart::sum", EdgeKind.ACCEPTS) == {"src/core/cart::sum::<T>",
                                                                 "src/core/model::Currency"}


def test_imports_through_index_paths_baseurl_default_and_namespaces(shop):
    calls = out(shop, "src/app::Shop::open", EdgeKind.CALLS, resolution=True)
    # `import * as model from "@core/model"` (tsconfig paths), then `model.Book.of(...)`
    assert ("src/core/model::Book::of", "import") in calls
    # `import Default from "./core"`: core/index.ts says `export default Book`; `new Default(...)` is its constructor
    assert ("src/core/model::Book::constructor", "import") in calls
    # `import { Author } from "./core"` through `export * from "./model"` in core/index.ts
    assert ("src/core/model::Author::constructor", "import") in calls
    # `import { emptyCart } from "src/core/cart"` (baseUrl)
    assert ("src/core/cart::emptyCart", "import") in calls
    assert ("src/ui/view::render", "import") in calls
    # `const basket = new Basket(); basket.add(book)`: the local's type is its constructor's class (`Basket` is
    # `Cart` imported under another name), so the call is a method of Cart, through the file's imports
    assert ("src/core/cart::Cart::add", "import") in calls
    # `export * as carts from "./cart"` re-exported, then `carts.sum(...)`
    assert ("src/core/cart::sum", "import") in calls
    # a package import becomes an external node named `{package}::{Name}`
    assert out(shop, "src/app::Shop", EdgeKind.EXTENDS) == {"events::EventEmitter"}
    # a global interface of a `.d.ts` script, found by its unique name
    assert out(shop, "src/app::Shop", EdgeKind.USES, resolution=True) == {("src/types/env::AppConfig", "heuristic")}


def test_this_super_and_inherited_methods(shop):
    assert out(shop, "src/core/model::Item::describe", EdgeKind.CALLS, resolution=True) == {
        ("src/core/model::Item::name", "exact"), ("src/core/model::Item::price", "exact")}
    # `this.describe()` in Book finds the method Item declares; `super(title)` is Item's constructor
    assert out(shop, "src/core/model::Book::price", EdgeKind.CALLS) == {"src/core/model::Item::describe"}
    assert out(shop, "src/core/model::Book::constructor", EdgeKind.CALLS) == {"src/core/model::Item::constructor"}
    # JavaScript: `const { Cart } = require(...)`, `class LegacyCart extends Cart`, `this.add(...)`
    assert out(shop, "src/legacy/util::LegacyCart", EdgeKind.EXTENDS) == {"src/core/cart::Cart"}
    assert out(shop, "src/legacy/util::LegacyCart::checkout", EdgeKind.CALLS, resolution=True) == {
        ("src/core/cart::Cart::add", "exact")}


def test_tsconfig_reading(tmp_path):
    (tmp_path / "base.json").write_text('{"compilerOptions": {"baseUrl": "./src", /* c */ "paths": {"~/*": ["lib/*"]}}}')
    (tmp_path / "tsconfig.json").write_text('{\n // comment\n "extends": "./base.json",\n}')
    layout = typescript.build_layout(tmp_path, ["src/lib/a.ts", "src/util/b.ts", "main.ts"])
    assert layout.resolve_specifier("main.ts", "~/a") == ("src/lib/a", True)
    assert layout.resolve_specifier("main.ts", "util/b") == ("src/util/b", True)
    assert layout.resolve_specifier("main.ts", "lodash") == ("lodash", False)
    assert layout.resolve_specifier("src/util/b.ts", "../lib/a.js") == ("src/lib/a", True)


def edit_and_compare(root: Path, rel: str, new_text: str | None) -> None:
    engine = Engine(root, persist=False)
    engine.index()
    path = root / rel
    if new_text is None:
        path.unlink()
        engine.update_file(rel, None)
    else:
        path.write_text(new_text, "utf-8")
        engine.update_file(rel, new_text.encode())
    fresh = Engine(root, persist=False)
    fresh.index()
    assert engine.graph.snapshot() == fresh.graph.snapshot()


@pytest.mark.parametrize("rel, change", [
    ("src/core/model.ts", lambda t: t.replace("describe", "summary")),
    ("src/core/model.ts", lambda t: t.replace("class Book extends Item", "class Book")),
    ("src/core/index.ts", lambda t: t.replace("export default Book;", "").replace("Cart as Basket", "Cart")),
    ("src/core/cart.ts", lambda t: t.replace("export const emptyCart", "export const emptier")),
    ("src/app.ts", lambda t: t.replace('"./core"', '"./core/model"')),
    ("src/core/index.ts", None),
])
def test_incremental_update_equals_fresh_index(tmp_path, rel, change):
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    new_text = change((root / rel).read_text("utf-8")) if change is not None else None
    edit_and_compare(root, rel, new_text)


# ---- real code ------------------------------------------------------------------------------------------------

@pytest.mark.realcode
def test_rxjs_sources(rxjs_src):
    engine = Engine(rxjs_src, persist=False)
    report = engine.index()
    graph = engine.graph
    assert report.by_language.get("typescript", 0) > 200
    assert report.nodes_by_kind["T"] > 50 and report.nodes_by_kind["S"] > 20
    subject = node(graph, "internal/Subject::Subject")
    assert subject.kind is NodeKind.STRUCT
    assert out(graph, "internal/Subject::Subject", EdgeKind.EXTENDS) == {"internal/Observable::Observable"}
    assert "internal/types::SubscriptionLike" in out(graph, "internal/Subject::Subject", EdgeKind.IMPL)
    assert out(graph, "internal/BehaviorSubject::BehaviorSubject", EdgeKind.EXTENDS) == {"internal/Subject::Subject"}
    assert "internal/Observable::Observable::subscribe" in out(graph, "internal/Observable::Observable",
                                                               EdgeKind.CONTAINS)
    assert node(graph, "internal/types::Observer").kind is NodeKind.TRAIT
    assert node(graph, "internal/types::ObservableInput").kind is NodeKind.ASSOC_TYPE
    assert node(graph, "internal/Observable::Observable::<T>").kind is NodeKind.GENERIC
    # `export { Observable } from './internal/Observable'` in index.ts: the public path resolves through it
    from isg_lsp.languages.typescript import lookup_absolute
    from isg_lsp.graph import SymbolView
    ids = lookup_absolute(("index", "Observable"), frozenset({NodeKind.STRUCT}), SymbolView(graph))
    assert [graph.nodes[i].fqp for i in ids] == ["internal/Observable::Observable"]
    # an operator calls into the workspace through relative imports
    assert "internal/util/lift::operate" in out(graph, "internal/operators/map::map", EdgeKind.CALLS)
    # ISG-SPEC §1 Clarifications on real code: `pipe()`'s overloads are one node, with the first head
    (pipe,) = [n for n in graph.by_fqp("internal/Observable::Observable::pipe") if not n.external]
    assert pipe.signature == "pipe(): Observable<T>"
    assert all(len([n for n in graph.by_fqp(n.fqp) if not n.external]) == 1
               for n in graph.nodes.values() if n.kind is NodeKind.FUNCTION and not n.external)
    # `constructor(private _value: T)` is a field of BehaviorSubject
    assert out(graph, "internal/BehaviorSubject::BehaviorSubject", EdgeKind.USES) >= {
        "internal/BehaviorSubject::BehaviorSubject::<T>"}
    # `declare global { interface SymbolConstructor {...} }` is an M node holding the interface
    assert out(graph, "internal/types::global", EdgeKind.CONTAINS) == {"internal/types::global::SymbolConstructor"}


# ---- idioms of real code (immer, mobx: issue #9) --------------------------------------------------------------

IDIOMS = {
    "src/kinds.ts": "export const enum ArchType { Object, Array }\nexport interface Annotation { name: string }\n",
    "src/action.ts": (
        'import { ArchType, Annotation } from "./kinds"\n'
        "export interface IActionFactory extends Annotation {\n"
        "    // nameless actions\n"
        "    <T extends Function | undefined | null>(fn: T): T\n"
        "    // named actions\n"
        "    <T extends Function | undefined | null>(name: string, fn: T): T\n"
        "    array: <U = any>(values?: U[], options?: Annotation) => U\n"
        "    type_: ArchType.Object\n"
        "}\n"
        "export function isAction(thing: any): thing is IActionFactory {\n"
        "    return true\n"
        "}\n"
        "export function pick<T, K extends keyof T, V extends T[K], W extends Annotation | Array<T>>(o: T, k: K): V {\n"
        "    return o[k] as V\n"
        "}\n"
        "let scheduler = (f: () => void) => f()\n"
        "var old = function () {}\n"
        "export const flow = Object.assign(function flow(x: any) {\n"
        "    const res = function () { return isAction(x) }\n"
        "    function onFulfilled() {}\n"
        "    return res\n"
        "})\n"
        "export const kept = (): boolean => isAction(1)\n"),
}


@pytest.fixture(scope="module")
def idioms(tmp_path_factory):
    root = tmp_path_factory.mktemp("ts-idioms")
    for rel, text in IDIOMS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    engine = Engine(root, persist=False)
    engine.index()
    return engine.graph


def test_generic_call_signatures_on_separate_lines_parse(idioms):
    # tree-sitter-typescript#335: `T\n<T extends ...>(...)` is an ERROR that used to swallow the file
    assert node(idioms, "src/action::IActionFactory").kind is NodeKind.TRAIT
    assert out(idioms, "src/action::IActionFactory", EdgeKind.EXTENDS) == {"src/kinds::Annotation"}
    assert out(idioms, "src/action::isAction", EdgeKind.RETURNS) == {"src/action::IActionFactory"}
    # the extractor re-parses with `;` in place of the indentation's last character: same spans, no errors
    from isg_lsp.languages import new_parser

    source = IDIOMS["src/action.ts"].encode()
    facts = typescript.extract("src/action.ts", source, new_parser("typescript").parse(source), None, b"")
    assert facts.errors == []
    assert [n.span for n in facts.nodes if n.name == "isAction"] == [(9, 7, 11, 1)]


def test_object_type_members_and_enum_member_types(idioms):
    # `array: <U>(...) => U` binds U itself; `type_: ArchType.Object` is a member of the enum ArchType
    assert out(idioms, "src/action::IActionFactory", EdgeKind.USES) == {"src/kinds::Annotation", "src/kinds::ArchType"}


def test_bounds_are_the_heads_of_named_constraints(idioms):
    assert out(idioms, "src/action::pick::<K>", EdgeKind.BOUND_BY) == set()          # keyof T
    assert out(idioms, "src/action::pick::<V>", EdgeKind.BOUND_BY) == set()          # T[K]
    assert out(idioms, "src/action::pick::<W>", EdgeKind.BOUND_BY) == {"src/kinds::Annotation", "Array"}


def test_only_top_level_const_functions_are_nodes(idioms):
    assert node(idioms, "src/action::kept").kind is NodeKind.FUNCTION
    for name in ("scheduler", "old", "res", "onFulfilled"):
        assert not idioms.by_fqp(f"src/action::{name}"), name


# ---- ISG-SPEC §1 Clarifications ------------------------------------------------------------------------------

CLARIFIED = {
    "src/api.ts": (
        "import { Scheduler } from './sched';\n"
        "export function produce(base: string): string;\n"
        "export function produce<T extends Label>(base: T, recipe: (d: T) => void): T;\n"
        "export function produce(base: any, recipe?: any): any { return base; }\n"
        "export class Store {\n"
        "  constructor(private s: Scheduler, readonly name: Label, plain: Other) {}\n"
        "  get(key: string): string;\n"
        "  get(key: number): Label;\n"
        "  get(key: any): any { return this.lookup(key); }\n"
        "  static create = (s: Scheduler): Store => new Store(s, null, null);\n"
        "  lookup = function (this: any, key: any) { return this.missing(key); };\n"
        "  addIssue = (i: Label) => { this.get(i); this.flush(); };\n"
        "  flush(): void { const later = function () { this.flush(); }; later(); }\n"
        "}\n"
        "export interface Label { text: string }\n"
        "export interface Other { n: number }\n"
        "function use() { Store.create(null); produce('x'); }\n"),
    "src/sched.ts": "export class Scheduler { run(): void {} }\n",
    "src/ns.ts": (
        "export namespace Shapes {\n"
        "  export interface Point { x: number }\n"
        "  export function origin(): Point { return make(); }\n"
        "  function make(): Point { return { x: 0 }; }\n"
        "  export namespace Inner { export function far(p: Point): Point { return p; } }\n"
        "}\n"
        "declare global {\n"
        "  interface Window { shapes: Shapes.Point }\n"
        "}\n"
        "declare module 'ext-lib' {\n"
        "  export function helper(p: Shapes.Point): void;\n"
        "}\n"),
    "src/generic.ts": (
        "export interface Box<T, U extends T> { value: T; other: U }\n"
        "export type Pair<A> = [A, Box<A, A>];\n"
        "export function wrap<T>(x: T): Box<T, T> { return null; }\n"),
}


@pytest.fixture(scope="module")
def clarified(tmp_path_factory):
    root = tmp_path_factory.mktemp("ts-clarified")
    for rel, text in CLARIFIED.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    engine = Engine(root, persist=False)
    engine.index()
    return engine.graph


def _workspace(graph, fqp):
    return [n for n in graph.by_fqp(fqp) if not n.external]


def test_overloads_are_one_node_with_the_first_declarations_signature(clarified):
    (produce,) = _workspace(clarified, "src/api::produce")
    assert produce.signature == "export function produce(base: string): string"
    # its parameters and type parameters are those of every declaration; one G node for `<T>`
    assert out(clarified, "src/api::produce", EdgeKind.ACCEPTS) == {"src/api::produce::<T>"}
    assert len(_workspace(clarified, "src/api::produce::<T>")) == 1
    assert out(clarified, "src/api::produce::<T>", EdgeKind.BOUND_BY) == {"src/api::Label"}  # a later overload's
    (get,) = _workspace(clarified, "src/api::Store::get")
    assert get.signature == "get(key: string): string"
    assert out(clarified, "src/api::Store::get", EdgeKind.RETURNS) == {"src/api::Label"}
    assert out(clarified, "src/api::use", EdgeKind.CALLS, resolution=True) >= {("src/api::produce", "exact")}


def test_property_arrows_are_methods_and_this_is_only_the_instance_where_it_is(clarified):
    for name in ("create", "addIssue", "lookup"):
        assert node(clarified, f"src/api::Store::{name}").kind is NodeKind.FUNCTION
    assert "src/api::Store::create" in out(clarified, "src/api::Store", EdgeKind.CONTAINS)
    assert out(clarified, "src/api::Store::create", EdgeKind.ACCEPTS) == {"src/sched::Scheduler"}
    assert out(clarified, "src/api::use", EdgeKind.CALLS, resolution=True) >= {("src/api::Store::create", "exact")}
    # an arrow keeps the instance's `this`: exact
    assert out(clarified, "src/api::Store::addIssue", EdgeKind.CALLS, resolution=True) == {
        ("src/api::Store::get", "exact"), ("src/api::Store::flush", "exact")}
    # a `function` expression has a `this` of its own: `this.flush()` in it is no fact about Store (a guess at
    # most), and `this.missing()` in the `lookup` property's function is unknown
    assert ("src/api::Store::flush", "exact") not in out(clarified, "src/api::Store::flush", EdgeKind.CALLS, True)
    assert out(clarified, "src/api::Store::lookup", EdgeKind.CALLS) == set()


def test_constructor_parameter_properties_are_fields(clarified):
    # `private s: Scheduler`, `readonly name: Label` are fields; `plain: Other` is only a parameter
    assert out(clarified, "src/api::Store", EdgeKind.USES, resolution=True) == {
        ("src/sched::Scheduler", "import"), ("src/api::Label", "exact")}


def test_namespaces_and_declare_blocks_are_modules_whose_names_resolve_inside(clarified):
    shapes = node(clarified, "src/ns::Shapes", NodeKind.MODULE)
    assert out(clarified, "src/ns", EdgeKind.CONTAINS) == {"src/ns::Shapes", "src/ns::global", "src/ns::ext-lib"}
    assert out(clarified, "src/ns::Shapes", EdgeKind.CONTAINS) == {
        "src/ns::Shapes::Point", "src/ns::Shapes::origin", "src/ns::Shapes::make", "src/ns::Shapes::Inner"}
    assert shapes.signature == "export namespace Shapes"
    # `Point` inside the namespace is the namespace's own, never an external stand-in
    assert out(clarified, "src/ns::Shapes::origin", EdgeKind.RETURNS, resolution=True) == {
        ("src/ns::Shapes::Point", "exact")}
    assert out(clarified, "src/ns::Shapes::origin", EdgeKind.CALLS, resolution=True) == {
        ("src/ns::Shapes::make", "exact")}
    assert out(clarified, "src/ns::Shapes::Inner::far", EdgeKind.ACCEPTS, resolution=True) == {
        ("src/ns::Shapes::Point", "exact")}
    assert node(clarified, "src/ns::global", NodeKind.MODULE).signature == "declare global"
    assert out(clarified, "src/ns::global", EdgeKind.CONTAINS) == {"src/ns::global::Window"}
    assert out(clarified, "src/ns::global::Window", EdgeKind.USES) == {"src/ns::Shapes::Point"}
    assert node(clarified, "src/ns::ext-lib", NodeKind.MODULE).signature == "declare module 'ext-lib'"
    assert out(clarified, "src/ns::ext-lib", EdgeKind.CONTAINS) == {"src/ns::ext-lib::helper"}
    assert out(clarified, "src/ns::ext-lib::helper", EdgeKind.ACCEPTS) == {"src/ns::Shapes::Point"}


def test_type_parameters_in_signatures_and_bounds_between_them_are_edges_to_g_nodes(clarified):
    assert out(clarified, "src/generic::Box::<U>", EdgeKind.BOUND_BY) == {"src/generic::Box::<T>"}
    assert out(clarified, "src/generic::Box", EdgeKind.USES) == {"src/generic::Box::<T>", "src/generic::Box::<U>"}
    assert out(clarified, "src/generic::Pair", EdgeKind.USES) == {"src/generic::Pair::<A>", "src/generic::Box"}
    assert out(clarified, "src/generic::wrap", EdgeKind.ACCEPTS) == {"src/generic::wrap::<T>"}
    assert out(clarified, "src/generic::wrap", EdgeKind.RETURNS) == {"src/generic::wrap::<T>", "src/generic::Box"}


def test_calls_through_an_annotated_property_are_not_facts(tmp_path):
    # immer's `produce: IProduce = (base, recipe) => ...`: the checker resolves `this.produce(x)` to IProduce's call
    # signatures; the arrow is the likely target, marked heuristic; an unannotated property arrow's call is exact
    (tmp_path / "a.ts").write_text(
        "interface IProduce { (base: any): any }\n"
        "export class Immer {\n"
        "  produce: IProduce = (base: any) => base;\n"
        "  plain = (x: number) => x;\n"
        "  run(): void { this.produce(1); this.plain(2); }\n"
        "}\n", "utf-8")
    engine = Engine(tmp_path, persist=False)
    engine.index()
    assert out(engine.graph, "a::Immer::run", EdgeKind.CALLS, resolution=True) == {
        ("a::Immer::produce", "heuristic"), ("a::Immer::plain", "exact")}
