"""Java's item cache (an editor's file extracted one item at a time: the members of classes, interfaces, enums and
records): an item whose text and the file's outline (package, imports, and the file without the bodies of methods
and constructors) did not change takes its earlier facts. The facts must be exactly those of a fresh extraction,
whatever the edits.
"""

from __future__ import annotations

import random
import shutil
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isg_lsp.languages import java
from isg_lsp.model import FileFacts
from tests.languages import items
from tests.languages.items import comparable

REL = "src/main/java/com/shop/Cart.java"

SOURCE = """package com.shop;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import static java.util.Objects.requireNonNull;
import com.shop.money.*;

/**
 * A cart.
 *
 * More words.
 */
public class Cart<T extends Item> extends Base implements Iterable<T>, Comparable<Cart<T>> {
    private final List<T> items = new ArrayList<>();
    private Money total = Money.zero();
    private Tax tax;
    static int created;

    {
        created = counter().next();
    }

    static {
        Registry.register(Cart.class);
    }

    /** An empty cart. */
    public Cart() {
        this(Tax.standard());
    }

    public Cart(Tax tax) {
        this.tax = requireNonNull(tax);
        audit(tax.rate());
    }

    /** Adds an item. */
    public Cart<T> add(T item) {
        items.add(item);
        total = total.plus(item.cost());
        tax.apply(total).round();
        return this;
    }

    public <R> List<R> map(Function<? super T, R> mapper) {
        List<R> out = new ArrayList<>();
        for (T item : items) {
            out.add(mapper.apply(item));
        }
        items.forEach(i -> i.cost().round());
        return out;
    }

    @Override
    public java.util.Iterator<T> iterator() {
        return items.iterator();
    }

    @Override
    public int compareTo(Cart<T> other) {
        return total.compareTo(other.total);
    }

    private static Counter counter() {
        return new Counter() {
            @Override
            public int next() {
                return Cart.created + 1;
            }
        };
    }

    class Line {
        int qty;
        Money price;

        Money cost() {
            return price.times(qty);
        }
    }

    static class Totals {
        private final Cart<?> cart;

        Totals(Cart<?> cart) {
            this.cart = cart;
        }

        Money sum() {
            return cart.total.plus(cart.tax.apply(cart.total));
        }
    }
}

enum Kind implements Labelled {
    SMALL(1) {
        @Override
        public String label() {
            return "s".trim();
        }
    },
    LARGE(2);

    private final int size;

    Kind(int size) {
        this.size = Math.abs(size);
    }

    public Kind next() {
        return values()[(ordinal() + 1) % values().length];
    }

    public String label() {
        return name().toLowerCase();
    }
}

interface Labelled {
    String label();

    default String shout() {
        return label().toUpperCase();
    }
}

record Pair<A, B>(A first, B second) {
    Pair {
        requireNonNull(first);
    }

    <C> Pair<A, C> withSecond(C value) {
        return new Pair<>(first, value);
    }
}
"""

SNIPPETS = [
    "",
    "        items.clear();",
    "    private Money total = Money.one();",
    "    public void reset() { total = Money.zero(); tax.reset(); }",
    "        return this.items.size();",
    "    private Tax tax = Tax.standard();",
    "import com.shop.money.Money;",
    "    Cart(int n) { }",
    "    {",
    "    }",
    "    void broken(",
    "        Money m = total; m.round();",
    "class Extra extends Cart<Item> { Money field; Money go() { return field.plus(null); } }",
    "    /** Docs. */",
    "    private final Function<T, Money> price = t -> t.cost().round();",
    "    private final Runnable hook = new Runnable() { public void run() { audit(2); } };",
    "    /*",
    "        String s = \"import x.Y;\"; s.trim();",
    "    MEDIUM(3),",
    "    <V extends Money> V pick(V a) { return a.round(); }",
    "        this.total.plus(Tax.of(1)).round();",
    "    public Cart<T> add(T item, int times) { return add(item); }",
    "    public <R> List<R> map(Function<? super T, R> mapper, int limit) { return map(mapper); }",
    "    @Override",
    "    static <T extends Item> Cart<T> of(T first) { return new Cart<T>().add(first); }",
    "    public Cart(Tax tax, Money start) { this(tax); total = start; }",
]

edit = st.tuples(st.sampled_from(["delete", "insert", "cut", "replace"]), st.integers(0, 10_000),
                 st.sampled_from(SNIPPETS))


def facts_of(text: str, cache: dict | None) -> FileFacts:
    return items.facts_of(REL, text, cache)


def test_the_source_is_read_item_by_item():
    assert len(SOURCE.encode()) > java.ITEM_CACHE_MIN_BYTES
    cache: dict = {}
    assert comparable(facts_of(SOURCE, cache)) == comparable(facts_of(SOURCE, None))
    assert len(cache) > 20


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, min_size=1, max_size=8))
def test_the_item_cache_gives_the_facts_of_a_fresh_extraction(edits):
    items.check_edits(REL, SOURCE, edits)


def test_an_edit_in_one_body_extracts_that_method_only():
    cache: dict = {}
    facts_of(SOURCE, cache)
    before = set(cache)
    edited = SOURCE.replace("        tax.apply(total).round();\n", "        tax.apply(total).round();\n        audit(1);\n")
    assert comparable(facts_of(edited, cache)) == comparable(facts_of(edited, None))
    changed = set(cache) - before
    assert len(changed) == 1 and b"public Cart<T> add(T item)" in next(iter(changed))[5]
    assert len(cache) == len(before)


def test_a_new_method_or_signature_extracts_that_method_only():
    cache: dict = {}
    facts_of(SOURCE, cache)
    before = set(cache)
    edited = SOURCE.replace("    public Cart<T> add(T item) {", "    public Cart<T> add(T item, int times) {")
    assert comparable(facts_of(edited, cache)) == comparable(facts_of(edited, None))
    assert len(set(cache) - before) == 1 and len(cache) == len(before)
    before = set(cache)
    edited = edited.replace("    @Override\n    public int compareTo", "    void reset() { total = Money.zero(); }\n\n"
                                                                    "    @Override\n    public int compareTo")
    facts = facts_of(edited, cache)
    assert comparable(facts) == comparable(facts_of(edited, None))
    # the new method, and the one before it (the first bytes after an item are in its key: common.extract_items)
    assert len(set(cache) - before) == 2 and len(cache) == len(before) + 1
    assert any(n.fqp == "com.shop.Cart.reset" for n in facts.nodes)


def test_a_new_class_leaves_the_other_types_members_cached():
    cache: dict = {}
    facts_of(SOURCE, cache)
    before = set(cache)
    edited = SOURCE + "\nclass Extra implements Labelled {\n    public String label() {\n        return \"x\";\n    }\n}\n"
    facts = facts_of(edited, cache)
    assert comparable(facts) == comparable(facts_of(edited, None))
    assert any(n.fqp == "com.shop.Extra.label" for n in facts.nodes)
    # no member of the other types is read again: only the new class's, and the file's package and imports (items
    # in no type take the whole file's outline; they extract nothing)
    new = set(cache) - before
    members = [key for key in new if key[1]]
    assert len(members) == 1 and members[0][1] == (b"class Extra implements Labelled ",)
    assert all(key[3] in ("package_declaration", "import_declaration") for key in new if not key[1])
    # a field of Kind changes: Kind's members are read again, Cart's stay
    before = set(cache)
    edited = edited.replace("    private final int size;", "    private final long size;")
    assert comparable(facts_of(edited, cache)) == comparable(facts_of(edited, None))
    again = set(cache) - before
    assert again and all(b"Cart" not in key[5] or b"Kind" in key[5] for key in again)
    assert any(b"public Kind next()" in key[5] for key in again)


def test_a_field_change_is_read_by_the_unchanged_methods():
    cache: dict = {}
    facts_of(SOURCE, cache)
    # `tax` is now a Levy: `add`'s `tax.apply(total)` (an unchanged method) says so
    edited = SOURCE.replace("    private Tax tax;\n", "    private Levy tax;\n")
    facts = facts_of(edited, cache)
    assert comparable(facts) == comparable(facts_of(edited, None))
    apply = [r for r in facts.references if r.path[:1] == ("apply",)]
    assert apply and any("Levy" in repr(r.receiver) for r in apply)


def test_initializer_calls_follow_the_constructors_whatever_is_cached():
    # javac runs instance initializers in every constructor that does not call this(...): their calls are those
    # constructors' calls; a body edit elsewhere must keep them, and a new constructor gets them too
    cache: dict = {}
    facts_of(SOURCE, cache)
    edited = SOURCE.replace("        return items.iterator();", "        return this.items.iterator();")
    facts = facts_of(edited, cache)
    assert comparable(facts) == comparable(facts_of(edited, None))
    callers = {r.src for r in facts.references if r.path[:1] == ("next",)}
    assert len(callers) == 1                                   # Cart(Tax): Cart() starts with this(...)
    edited = edited.replace("    public Cart(Tax tax) {", "    Cart(int n) { }\n\n    public Cart(Tax tax) {")
    facts = facts_of(edited, cache)
    assert comparable(facts) == comparable(facts_of(edited, None))
    assert len({r.src for r in facts.references if r.path[:1] == ("next",)}) == 2


@pytest.mark.realcode
def test_edits_of_the_jdks_own_files_give_the_facts_of_a_fresh_extraction():
    """Seeded line edits (a statement typed in a body, a line deleted, a line cut in half, a line doubled) of the
    largest files of java.util.concurrent, from the JDK's src.zip (openjdk-17-source)."""
    from bench.accuracy.java import jdk

    with zipfile.ZipFile(jdk() / "lib" / "src.zip") as archive:
        names = [n for n in archive.namelist() if n.startswith("java.base/java/util/concurrent/")
                 and n.count("/") == 4 and n.endswith(".java")]
        names.sort(key=lambda n: (-archive.getinfo(n).file_size, n))
        sources = {n: archive.read(n).decode("utf-8") for n in names[:6]}
    rnd = random.Random(23)
    for name, text in sources.items():
        rel = name.split("/", 1)[1]
        lines = text.split("\n")
        cache: dict = {}
        items.facts_of(rel, text, cache)
        for _ in range(12):
            at = rnd.randrange(len(lines))
            op = rnd.choice(["type", "delete", "cut", "double"])
            if op == "type":
                lines.insert(at, "        audit(" + str(at) + ");")
            elif op == "delete":
                lines.pop(at)
            elif op == "cut":
                lines[at] = lines[at][: len(lines[at]) // 2]
            else:
                lines.insert(at, lines[at])
            edited = "\n".join(lines)
            assert comparable(items.facts_of(rel, edited, cache)) == comparable(items.facts_of(rel, edited, None)), (
                name, op, at)


def test_a_method_written_twice_takes_the_docs_of_the_first_whichever_is_cached():
    # found by the property above: a new method declaring the id of a cached one (same name and signature) comes
    # first, so its docs are the id's; the cached one's "no docs" settled the id before nodes were kept by object
    text = SOURCE.replace("    static class Totals {", "    void reset() { }\n\n    static class Totals {")
    cache: dict = {}
    facts_of(text, cache)
    edited = text.replace("    /** An empty cart. */\n", "    /** Resets. */\n    void reset() { }\n\n    /** An empty cart. */\n")
    facts = facts_of(edited, cache)
    assert comparable(facts) == comparable(facts_of(edited, None))
    assert "Resets." in facts.docs.values()


@pytest.mark.realcode
def test_an_editors_edits_of_jdk_files_keep_the_graph_of_a_fresh_index(tmp_path):
    """The engine's path (incremental parse of the editor's text, then the item cache, then graph surgery) over seeded
    edits of three java.util files: typed statements, deleted, cut and doubled lines, new methods and classes; the
    graph equals a fresh index of the same texts every few edits."""
    from bench.accuracy.java import jdk
    from isg_lsp.engine import Engine

    names = [f"java.base/java/util/{n}.java" for n in ("ServiceLoader", "Calendar", "Locale")]
    with zipfile.ZipFile(jdk() / "lib" / "src.zip") as archive:
        texts = {n.split("/", 1)[1]: archive.read(n).decode("utf-8") for n in names}
    live, fresh_root = tmp_path / "live", tmp_path / "fresh"
    for rel, text in texts.items():
        (live / rel).parent.mkdir(parents=True, exist_ok=True)
        (live / rel).write_text(text)
    engine = Engine(live, persist=False)
    engine.index()
    rnd = random.Random(23)
    for step in range(30):
        rel = rnd.choice(sorted(texts))
        lines = texts[rel].split("\n")
        at = rnd.randrange(len(lines))
        op = rnd.choice(["type", "delete", "cut", "double", "method", "class"])
        if op == "type":
            lines.insert(at, f"        audit({step});")
        elif op == "delete":
            lines.pop(at)
        elif op == "cut":
            lines[at] = lines[at][: len(lines[at]) // 2]
        elif op == "double":
            lines.insert(at, lines[at])
        elif op == "method":
            lines.insert(at, f"    void typed{step}(int x) {{ audit(x); }}")
        else:
            lines.append(f"class Typed{step} implements Runnable {{ public void run() {{ }} }}")
        texts[rel] = "\n".join(lines)
        engine.update_document(rel, texts[rel].encode())
        if step % 5 == 4:
            shutil.rmtree(fresh_root, ignore_errors=True)
            for name, text in texts.items():
                (fresh_root / name).parent.mkdir(parents=True, exist_ok=True)
                (fresh_root / name).write_text(text)
            fresh = Engine(fresh_root, persist=False)
            fresh.index()
            assert engine.graph.snapshot() == fresh.graph.snapshot(), (step, op, rel, at)
            fresh.close()
    engine.close()
