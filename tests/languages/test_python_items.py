"""Python's item cache (issue #16's edit latency): an editor's file is extracted one item at a time (functions,
module-level statements, and the members of classes), and an item whose text, the file's imports and module-level
names, and what the items before it left (the module's values, classes' fields) did not change takes its earlier
facts. The facts must be exactly those of a fresh extraction, whatever the edits.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isg_lsp.model import FileFacts
from tests.languages import items
from tests.languages.items import comparable

SOURCE = '''"""The shop."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, TypeVar

from .store import Store, make

if TYPE_CHECKING:
    from .money import Money

T = TypeVar("T")
log = logging.getLogger(__name__)
store: Store = make()
for entry in store.entries():
    entry.touch()
defaults = [Item() for _ in range(3)]


class Item:
    """An item."""

    price: Money

    def cost(self) -> Money:
        return self.price.round()


@register("cart")
class Cart(Base, metaclass=Meta):
    """A cart.

    More words.
    """

    items: list[Item]

    def __init__(self, pricing: Pricing, name=make()):
        self.pricing = pricing
        self.tax = Tax()
        self.total: Money = Money()

    def add(self, item: Item) -> Cart:
        """Adds an item."""
        self.items.append(item)
        self.total.plus(item.cost())
        self.tax.apply(self.total)
        with self.pricing.session() as session:
            session.commit()
        return self

    class Line:
        qty: int

        def double(self):
            return self.qty * 2


def checkout(cart: Cart) -> None:
    cart.add(Item()).tax.apply(None)
    store.flush()
    log.info("done")
    for line in cart.items:
        line.cost().round()
    [c.cost() for c in defaults]


if TYPE_CHECKING:
    class Hint:
        value: Money
'''

SNIPPETS = [
    "",
    "store = OtherStore()",
    "    def discount(self): self.total.minus(1)",
    "class Extra:\n    field: Cart\n    def go(self):\n        self.field.add(None).tax",
    "        self.tax = WeakTax()",
    "log.info(store.size())",
    "def broken(:",
    "    x: int",
    "log, other = make(), 1",
    "import store",
    "from .store import Warehouse as Store",
    "        '''docs'''",
]

edit = st.tuples(st.sampled_from(["delete", "insert", "cut", "replace"]), st.integers(0, 10_000),
                 st.sampled_from(SNIPPETS))


def facts_of(text: str, cache: dict | None) -> FileFacts:
    return items.facts_of("shop/app.py", text, cache)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, min_size=1, max_size=8))
def test_the_item_cache_gives_the_facts_of_a_fresh_extraction(edits):
    items.check_edits("shop/app.py", SOURCE, edits)


def test_an_edit_in_one_body_extracts_that_item_only():
    cache: dict = {}
    facts_of(SOURCE, cache)
    before = set(cache)
    edited = SOURCE.replace("    log.info(\"done\")\n", "    log.info(\"done\")\n    log.info(\"twice\")\n")
    assert comparable(facts_of(edited, cache)) == comparable(facts_of(edited, None))
    assert len(set(cache) - before) == 1 and len(cache) == len(before)
    # a method: the method alone (a class's statements are items of their own)
    before = set(cache)
    edited = edited.replace("        return self.price.round()", "        return self.price")
    assert comparable(facts_of(edited, cache)) == comparable(facts_of(edited, None))
    changed = set(cache) - before
    assert len(changed) == 1 and b"def cost(self)" in next(iter(changed))[5]


def test_what_an_earlier_item_leaves_is_read_again_by_the_items_after_it():
    cache: dict = {}
    facts_of(SOURCE, cache)
    # the module's `store` now holds another type: `checkout`'s `store.flush()` (an unchanged item) follows it
    edited = SOURCE.replace("store: Store = make()", "store: Warehouse = make()")
    facts = facts_of(edited, cache)
    assert comparable(facts) == comparable(facts_of(edited, None))
    flush = [r for r in facts.references if r.path[-1:] == ("flush",)]
    assert flush and all("Warehouse" in "".join(r.receiver or ()) for r in flush)
    # a field assigned in `__init__` changes type: the class's published fields change with it
    edited = edited.replace("        self.tax = Tax()", "        self.tax = Levy()")
    facts = facts_of(edited, cache)
    assert comparable(facts) == comparable(facts_of(edited, None))
    fields = next(v for k, v in facts.imports.items() if k.endswith("app.Cart"))
    assert "Levy" in repr(fields)


def test_a_one_line_def_takes_no_docstring_of_the_items_after_it():
    # found by the property above: `def f(self): ...` on one line has no docstring, but its reader went on to the
    # next header and took that one's, text outside the item, so the cached docs went stale when it changed
    text = "class A:\n    def one(self): return 1\n\n    def two(self):\n        \"\"\"Two.\"\"\"\n        return 2\n"
    cache: dict = {}
    facts = facts_of(text, cache)
    assert sorted(facts.docs.values()) == ["Two."]
    edited = text.replace('"""Two."""', '"""Deux."""')
    assert comparable(facts_of(edited, cache)) == comparable(facts_of(edited, None))
    assert sorted(facts_of(edited, cache).docs.values()) == ["Deux."]


def test_a_function_written_twice_takes_the_docs_of_the_first_whichever_is_cached():
    # a method written again above the first one (same name and signature: one id) comes first with its docstring;
    # the cached one's "no docs" settled the id until docs were kept by node object (found in Java's item cache)
    text = "class A:\n    def g(self):\n        return 1\n\n    def f(self):\n        return 2\n"
    cache: dict = {}
    facts_of(text, cache)
    edited = text.replace("    def g(self):", "    def f(self):\n        \"\"\"Doc.\"\"\"\n        return 0\n\n    def g(self):")
    facts = facts_of(edited, cache)
    assert comparable(facts) == comparable(facts_of(edited, None))
    assert sorted(facts.docs.values()) == ["Doc."]
