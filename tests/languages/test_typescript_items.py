"""TypeScript's item cache (issue #16's edit latency): an editor's file is extracted one item at a time, and an item
whose text, imports and what the items before it left (functions declared, overloads, type parameters, the
module's values, classes' fields, the default export) did not change takes its earlier facts.

The facts must be exactly those of a fresh extraction, whatever the edits: a property over random edits of a file
that uses every kind of cross-item state, and the reuse itself (an edit in one function extracts that one item).
The file also has generic call signatures on lines of their own, which the grammar cannot parse: it is patched,
and the patched source of each edit is parsed incrementally from the last one (``PATCHED_KEY``).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isg_lsp.languages import typescript
from isg_lsp.languages.typescript import PATCHED_KEY
from isg_lsp.model import FileFacts
from tests.languages import items
from tests.languages.items import comparable

SOURCE = '''import { Store, make } from "./store";
import * as util from "./util";

/** The app's logger. */
export const log = new util.Logger();
const store: Store = make();
for (const entry of store.entries()) { entry.touch(); }

export function pick(xs: string[]): string;
export function pick(xs: number[]): number;
export function pick<T>(xs: T[]): T {
    log.info("pick");
    return xs[0];
}

/**
 * A cart.
 *
 * More words.
 */
@sealed()
export class Cart<T extends Item> extends mix(Base) implements Priced {
    items: T[] = [];
    total = new Money();
    constructor(private readonly pricing: Pricing, public name = make()) {
        this.cache = new Map<string, T>();
        this.tax = new Tax();
    }
    /** Adds an item. */
    add(item: T): this {
        this.items.push(item);
        this.total.plus(item.price());
        this.tax.apply(this.total);
        return this;
    }
    price(): Money { return this.pricing.of(this.items).round(); }
}

export interface Priced {
    price(): Money;
    readonly label: Label;
}

export interface Factory {
    <T extends Function>(fn: T): T
    <T extends Function>(name: string, fn: T): T
    make(): Cart<Item>
}

namespace Shapes {
    export class Square { side = 1; area() { return this.side * this.side; } }
    export function unit(): Square { return new Square(); }
}

declare global {
    interface Window { cart: Cart<Item>; }
}

export default function checkout(cart: Cart<Item>) {
    cart.add(new Item()).price().round();
    store.flush();
    pick([1, 2]);
    Shapes.unit().area();
    [cart].forEach((c) => c.price().round());
    if (isSpecial(cart)) { cart.discount(); }
}

const later = (x: Cart<Item>) => x.price();
'''

SNIPPETS = [
    "",
    "const store = new OtherStore();",
    "export function pick(xs: boolean[]): boolean;",
    "    discount(): void { this.total.minus(1); }",
    "export class Extra { field: Cart<Item>; go() { this.field.add(null).price(); } }",
    "    this.cache = new WeakMap();",
    "log.info(store.size());",
    "function broken( {",
    "/** docs */",
    "namespace Shapes { export const n = 1; }",
    "export default class Main {}",
    "let log = make();",
    "    <T extends Function>(options: object, fn: T): T",
    "  <T>(fn: T): T",
]


@pytest.fixture(autouse=True)
def items_of_every_file(monkeypatch):
    """These sources are small; editors' files under ITEM_CACHE_MIN_BYTES are read whole (the test at the end)."""
    monkeypatch.setattr(typescript, "ITEM_CACHE_MIN_BYTES", 0)


def facts_of(text: str, cache: dict | None) -> FileFacts:
    return items.facts_of("src/app.ts", text, cache)


edit = st.tuples(st.sampled_from(["delete", "insert", "cut", "replace"]), st.integers(0, 10_000),
                 st.sampled_from(SNIPPETS))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, min_size=1, max_size=8))
def test_the_item_cache_gives_the_facts_of_a_fresh_extraction(edits):
    cache: dict = {}
    facts_of(SOURCE, cache)
    assert PATCHED_KEY in cache  # the grammar's call-signature limitation: patched, then parsed incrementally
    items.check_edits("src/app.ts", SOURCE, edits)


def test_an_edit_in_one_body_extracts_that_item_only():
    cache: dict = {}
    facts_of(SOURCE, cache)
    before = set(cache)
    # a body edit in the default-exported function: one item extracted again, every other one reused
    edited = SOURCE.replace("    store.flush();\n", "    store.flush();\n    store.flush();\n")
    assert comparable(facts_of(edited, cache)) == comparable(facts_of(edited, None))
    assert len(set(cache) - before) == 1
    assert len(cache) == len(before)
    # a body edit in a method: the method alone (the class's members are items of their own)
    before = set(cache)
    edited = edited.replace("return this.pricing.of(this.items).round();", "return this.pricing.of(this.items);")
    assert comparable(facts_of(edited, cache)) == comparable(facts_of(edited, None))
    changed = set(cache) - before
    assert len(changed) == 1 and b"price(): Money" in next(iter(changed))[5]


def test_what_an_earlier_item_leaves_is_read_again_by_the_items_after_it():
    cache: dict = {}
    facts_of(SOURCE, cache)
    # the module's `store` now holds another type: `checkout`'s `store.flush()` (an unchanged item) must follow it
    edited = SOURCE.replace("const store: Store = make();", "const store: Warehouse = make();")
    facts = facts_of(edited, cache)
    assert comparable(facts) == comparable(facts_of(edited, None))
    flush = [r for r in facts.references if r.path == ("flush",)]
    assert flush and all("Warehouse" in "".join(r.receiver) for r in flush)
    # an overload's signature changes the node every overload is part of: the implementation follows it
    edited = edited.replace("export function pick(xs: string[]): string;", "export function pick(xs: 1[]): string;")
    assert comparable(facts_of(edited, cache)) == comparable(facts_of(edited, None))
    # a field's declared type changes: the class's published fields change with it
    edited = edited.replace("    total = new Money();", "    total: Cost = new Money();")
    facts = facts_of(edited, cache)
    assert comparable(facts) == comparable(facts_of(edited, None))
    fields = next(v for k, v in facts.imports.items() if k.endswith("src/app::Cart"))
    assert "Cost" in repr(fields)


def test_an_item_that_parses_otherwise_before_another_statement_is_extracted_again():
    # found by comparing random edits of effect's sources with fresh extraction: in a file with an error, this line
    # at the end of the file is a type assertion (no function); before another statement, an arrow function with a
    # type parameter (a function). The item's text is the same, its parse is not.
    last = "const broken = ;\nexport const clear = <V>(self: Set<V>): Set<V> => (Map.clear(self.keyMap), self)\n"
    cache: dict = {}
    before = facts_of(last, cache)
    assert not any(n.fqp.endswith("::clear") for n in before.nodes)
    after_text = last + "const zz0 = new Foo();\n"
    after = facts_of(after_text, cache)
    assert comparable(after) == comparable(facts_of(after_text, None))
    assert any(n.fqp.endswith("::clear") for n in after.nodes)


def test_the_last_item_is_extracted_again_when_an_error_before_it_comes_or_goes():
    # the same last item, the same text after it (none): with an error earlier in the file it is a type assertion,
    # without one an arrow function; an edit far above it decides
    last = "export const SK = <A, B>(_: A, b: B): B => b\n"
    cache: dict = {}
    broken = "const broken = ;\n" + "const a = 1;\n" * 5 + last
    fixed = broken.replace("const broken = ;", "const broken = 1;")
    assert not any(n.fqp.endswith("::SK") for n in facts_of(broken, cache).nodes)
    facts = facts_of(fixed, cache)
    assert comparable(facts) == comparable(facts_of(fixed, None))
    assert any(n.fqp.endswith("::SK") for n in facts.nodes)
    assert comparable(facts_of(broken, cache)) == comparable(facts_of(broken, None))


def test_docs_that_an_error_keeps_outside_the_item_are_read_again():
    # found by comparing random edits of rxjs with fresh extraction: a broken import keeps the doc comment below it
    # from being attached to the function, so the function's docs are text outside its item
    text = (
        "import { a } from './a';\nimport { toArray }\n\n/**\n * First part.\n *\n * Second part.\n */\n"
        "export function f(x: number) {\n  return a(x);\n}\n"
    )
    cache: dict = {}
    assert comparable(facts_of(text, cache)) == comparable(facts_of(text, None))
    edited = text.replace(" * First part.\n *\n", " * First part.\n")  # the two paragraphs become one
    facts = facts_of(edited, cache)
    assert comparable(facts) == comparable(facts_of(edited, None))
    assert "Second part." in " ".join(facts.docs.values())


def test_imports_outside_the_roots_statements_send_the_imports_query_over_the_whole_file():
    # the item path reads the imports with a query that does not walk the bodies when every `import`/`export` of the
    # source starts a statement of the root (or is in a comment); anything else must still be read
    from isg_lsp.extract import parser_for
    from isg_lsp.languages.typescript import _imports_at_top_only

    def top_only(text: str) -> bool:
        source = text.encode()
        return _imports_at_top_only(source, parser_for("typescript").parse(source).root_node)

    assert top_only("import { a } from './a';\n/** import { b } from './b' */\nexport function f() { a(); }\n")
    assert not top_only("namespace N { export const x = 1; }\n")
    assert not top_only("function f() { import('./lazy'); }\n")
    assert not top_only("function f() { return 'export'; }\n")
    # the grammar takes an import statement in a function's body without an error: the item path reads it too
    for text in (
        "function f() {\n  import { Store } from './store';\n  const s: Store = make();\n  s.save();\n}\n",
        "namespace N {\n  export { Store as Shop } from './store';\n}\nexport function g(s: Shop) { s.save(); }\n",
        "import { Store } from './store';\n// import { Other } from './other'\n"
        "export function g(s: Store) { s.save(); }\n",
    ):
        cache: dict = {}
        assert comparable(facts_of(text, cache)) == comparable(facts_of(text, None))
        edited = text.replace("s.save();", "s.save();\n  s.load();")
        assert comparable(facts_of(edited, cache)) == comparable(facts_of(edited, None)), text
        assert any("store" in target for imports in facts_of(text, None).imports.values() for target in
                   imports.values())


def test_a_small_file_is_read_whole_and_a_large_one_item_by_item(monkeypatch):
    monkeypatch.setattr(typescript, "ITEM_CACHE_MIN_BYTES", 2500)
    small = "import { a } from './a';\nexport function f() { a(); }\n"
    cache: dict = {"stale": 1}
    assert comparable(facts_of(small, cache)) == comparable(facts_of(small, None))
    assert cache == {}  # nothing kept for it (and what was is dropped)
    large = SOURCE + "".join(f"export function pad{i}(x: number) {{ return x + {i}; }}\n" for i in range(40))
    assert len(large.encode()) >= 2500
    facts_of(large, cache)
    before = set(cache)
    assert len(before) > 40
    edited = large.replace("return x + 7;", "return x + 8;")
    assert comparable(facts_of(edited, cache)) == comparable(facts_of(edited, None))
    assert len(set(cache) - before) == 1  # the edited function alone
