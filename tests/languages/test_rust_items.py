"""Rust's item cache and the file-level context an item depends on (`RustExtraction.item_context`): an item is
extracted again when its text, its enclosing headers, what earlier items left, or the imports and declared types under
a name it writes change; a new import or type under a name it does not write leaves it cached. The facts must be
exactly those of a fresh extraction, whatever the edits."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isg_lsp import languages
from isg_lsp.extract import extract_source
from isg_lsp.languages import rust
from tests.helpers import debian_crate
from tests.languages.items import comparable, edited

SOURCE = """//! The shop.
use std::fmt;
use std::collections::HashMap as Map;
use crate::money::Money;

pub struct Item { price: Money }

pub trait Priced { fn price(&self) -> Money; }

impl Priced for Item {
    fn price(&self) -> Money { self.price.round() }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "item") }
}

pub fn total(items: &Map<String, Item>) -> Money {
    let mut sum = Money::zero();
    for item in items.values() { sum = sum.plus(item.price()); }
    helper(sum)
}

fn helper(m: Money) -> Money { Cart::new().add(m) }

mod inner {
    use super::Item;
    pub fn first(items: &[Item]) -> Option<&Item> { items.first() }
}
"""

# lines that change what names mean: imports, types under names the items write (shadowing the imports), and others
PIECES = [
    "use crate::other::Money;",
    "use std::collections::BTreeMap as Map;",
    "pub struct Money;",
    "pub struct Cart;",
    "pub enum Item { A }",
    "type Map<K, V> = Vec<(K, V)>;",
    "use std::fmt::Debug;",
    "pub struct Unrelated;",
    "pub trait Cart { fn new() -> Self; }",
    "use super::*;",
    "fn helper2() { helper(Money::zero()); }",
    "impl Item { pub fn price(&self) -> u8 { 1 } }",
    "mod money { pub struct Money; }",
    "",
    "}",
]

REL = "src/shop.rs"


LAYOUT = rust.build_layout(Path("/nonexistent/shop"), [REL])  # a file alone: its crate named after the folder


def facts(text: str, cache: dict | None):
    return extract_source(REL, text.encode(), languages.get("rust"), LAYOUT, cache=cache)[0]


def check(source: str, edits) -> None:
    cache: dict = {}
    lines = source.split("\n")
    assert comparable(facts(source, cache)) == comparable(facts(source, None))
    for op, at, snippet in edits:
        edited(lines, op, at, snippet)
        text = "\n".join(lines)
        assert comparable(facts(text, cache)) == comparable(facts(text, None)), (op, at, snippet)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(["insert", "delete", "replace", "cut"]), st.integers(0, 60),
                          st.sampled_from(PIECES)), min_size=1, max_size=8))
def test_random_edits_of_imports_and_types_give_the_facts_of_a_fresh_extraction(edits):
    check(SOURCE, edits)


def test_an_import_or_type_under_a_name_an_item_writes_extracts_it_again():
    """Each of these changes what a name an item writes means: the item's facts follow."""
    for line in ("use crate::other::Money;", "pub struct Cart;", "use std::collections::BTreeMap as Map;",
                 "type Money = u64;"):
        check(SOURCE, [("insert", 4, line)])


def test_an_unrelated_type_or_import_leaves_the_other_items_cached(monkeypatch):
    calls = []
    original = rust.RustExtraction.on_function
    monkeypatch.setattr(rust.RustExtraction, "on_function",
                        lambda self, node, caps: (calls.append(self.text(caps["name"][0])), original(self, node, caps)))
    cache: dict = {}
    facts(SOURCE, cache)
    assert "total" in calls
    text = SOURCE
    for line in ("pub struct Unrelated;", "use std::sync::Arc;", "pub enum Other { A }"):
        text += line + "\n"
        calls.clear()
        cached = facts(text, cache)
        assert calls == [], line  # no function extracted again
        assert comparable(cached) == comparable(facts(text, None))
    calls.clear()
    text += "pub struct Cart;\n"  # `helper` writes `Cart`: it alone is extracted again
    facts(text, cache)
    assert calls == ["helper"]


def test_real_files_with_imports_and_types_added_and_removed():
    """syn, serde and tokio files: an import of a name the file writes, a type shadowing one, an unrelated type,
    an import removed; after each, the cached extraction equals a fresh one."""
    spec = languages.get("rust")
    cases = [("syn", "src/expr.rs"), ("syn", "src/item.rs"), ("serde", "src/de/mod.rs"), ("tokio", "src/runtime/handle.rs")]
    for crate, rel in cases:
        root = debian_crate(crate)
        layout = rust.build_layout(root, [rel])
        source = (root / rel).read_text()
        written = sorted(set(re.findall(r"\b([A-Z][A-Za-z0-9]+)\b", source)))
        name = written[len(written) // 2]
        uses = [i for i, line in enumerate(source.split("\n")) if line.startswith("use ")]
        edits = [("insert", 0, f"use crate::elsewhere::{name};"), ("insert", 1, f"pub struct {name};"),
                 ("insert", 2, "pub struct NothingWritesThis;"), ("delete", uses[0] + 3 if uses else 5, "")]
        cache: dict = {}
        lines = source.split("\n")
        extract_source(rel, source.encode(), spec, layout, cache=cache)
        for op, at, snippet in edits:
            edited(lines, op, at, snippet)
            text = "\n".join(lines).encode()
            cached = extract_source(rel, text, spec, layout, cache=cache)[0]
            plain = extract_source(rel, text, spec, layout)[0]
            assert comparable(cached) == comparable(plain), (crate, rel, op, snippet)
