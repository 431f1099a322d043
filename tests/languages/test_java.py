"""Java: the fixture's whole graph (golden), the resolution rules one by one, surgery = fresh index, and the JDK's own
sources (Debian's openjdk-17-source, installed by the test command) against known facts."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from isg_lsp.engine import Engine
from isg_lsp.model import EdgeKind, NodeKind, Resolution
from tests.helpers import FIXTURES, GOLDEN, check_golden, dump

DEMO = FIXTURES / "java" / "demo"
JDK_SOURCES = Path("/usr/lib/jvm/openjdk-17/lib/src.zip")
JDK_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "jdk17-subset"
JDK_PACKAGES = ("java/util/", "java/lang/", "java/io/")


@pytest.fixture(scope="module")
def demo():
    engine = Engine(DEMO, persist=False)
    report = engine.index()
    return engine.graph, report


def one(graph, fqp, kind=None):
    found = [n for n in graph.by_fqp(fqp) if not n.external and (kind is None or n.kind is kind)]
    assert len(found) == 1, f"{fqp}: {found}"
    return found[0]


def targets(graph, node, kind):
    return {graph.nodes[e.dst].fqp: e for e in graph.successors(node.id, (kind,))}


def test_demo_matches_golden(demo):
    check_golden(dump(demo[0]), GOLDEN / "java-demo.txt")


def test_demo_covers_every_java_node_and_edge_kind(demo):
    graph, report = demo
    kinds = {n.kind for n in graph.nodes.values() if not n.external}
    assert kinds == set(NodeKind) - {NodeKind.ASSOC_TYPE}          # Java has no associated types or aliases
    assert {e.kind for e in graph.edges()} == set(EdgeKind)
    assert report.syntax_errors == 0


def test_packages_types_and_members(demo):
    graph, _ = demo
    package = one(graph, "com.acme.shapes", NodeKind.MODULE)
    assert package.signature == "package com.acme.shapes"
    assert set(targets(graph, one(graph, "com.acme", NodeKind.MODULE), EdgeKind.CONTAINS)) == {
        "com.acme.App", "com.acme.shapes", "com.acme.util"}
    assert one(graph, "com.acme.shapes.Shape").kind is NodeKind.TRAIT
    assert one(graph, "com.acme.util.Tag").kind is NodeKind.TRAIT                   # @interface
    assert one(graph, "com.acme.shapes.Circle.Kind").kind is NodeKind.ENUM
    assert one(graph, "com.acme.shapes.Circle.Pair").kind is NodeKind.STRUCT         # record
    circle = one(graph, "com.acme.shapes.Circle")
    contains = targets(graph, circle, EdgeKind.CONTAINS)
    assert {"com.acme.shapes.Circle.Holder", "com.acme.shapes.Circle.Kind", "com.acme.shapes.Circle.area"} <= set(
        contains)
    # interfaces DEFINES their methods (default methods included), annotation types their elements
    assert set(targets(graph, one(graph, "com.acme.shapes.Shape"), EdgeKind.DEFINES)) == {
        "com.acme.shapes.Shape.area", "com.acme.shapes.Shape.describe"}
    assert set(targets(graph, one(graph, "com.acme.util.Tag"), EdgeKind.DEFINES)) == {"com.acme.util.Tag.value"}


def test_constructors_and_overloads_have_distinct_sighashes(demo):
    graph, _ = demo
    constructors = [n for n in graph.by_fqp("com.acme.shapes.Circle.Circle")]
    assert sorted(n.signature for n in constructors) == ["public Circle()", "public Circle(double radius)"]
    assert len({n.id for n in constructors}) == 2
    overloads = graph.by_fqp("com.acme.util.Registry.register")
    assert sorted(n.signature for n in overloads) == ["public void register(T item)",
                                                      "public void register(T item, int times)"]
    # annotations are not part of a signature
    (compare,) = graph.by_fqp("com.acme.shapes.Base.compareTo")
    assert compare.signature == "public int compareTo(Shape other)"
    assert compare.visibility == "public"


def test_generics_with_bounds(demo):
    graph, _ = demo
    holder_t = one(graph, "com.acme.shapes.Circle.Holder.<T>", NodeKind.GENERIC)
    assert holder_t.signature == "T extends Shape & Serializable"
    bounds = targets(graph, holder_t, EdgeKind.BOUND_BY)
    assert set(bounds) == {"com.acme.shapes.Shape", "java.io.Serializable"}
    pick_u = one(graph, "com.acme.shapes.Circle.Holder.pick.<U>")
    assert set(targets(graph, pick_u, EdgeKind.BOUND_BY)) == {"java.lang.Comparable"}
    pick = one(graph, "com.acme.shapes.Circle.Holder.pick")
    assert set(targets(graph, pick, EdgeKind.ACCEPTS)) == {"com.acme.shapes.Circle.Holder.pick.<U>"}


def test_extends_impl_and_imports(demo):
    graph, _ = demo
    circle = one(graph, "com.acme.shapes.Circle")
    assert set(targets(graph, circle, EdgeKind.EXTENDS)) == {"com.acme.shapes.Base"}
    base = one(graph, "com.acme.shapes.Base")
    impl = targets(graph, base, EdgeKind.IMPL)
    assert set(impl) == {"com.acme.shapes.Shape", "java.io.Serializable"}
    assert impl["com.acme.shapes.Shape"].resolution is Resolution.EXACT             # same package
    assert impl["java.io.Serializable"].resolution is Resolution.IMPORT             # single-type import, external
    assert graph.nodes[impl["java.io.Serializable"].dst].external
    shape = one(graph, "com.acme.shapes.Shape")
    assert set(targets(graph, shape, EdgeKind.EXTENDS)) == {"java.lang.Comparable"}  # java.lang, implicit


def test_field_types_are_reduced_to_named_types(demo):
    graph, _ = demo
    uses = targets(graph, one(graph, "com.acme.shapes.Circle"), EdgeKind.USES)
    # Map<String, List<Circle>> index; Registry<Shape> registry; double radius
    assert {"java.util.Map", "java.util.List", "java.lang.String", "com.acme.util.Registry",
            "com.acme.shapes.Shape"} <= set(uses)
    assert uses["java.util.Map"].resolution is Resolution.IMPORT                   # java.util.* on demand
    assert uses["com.acme.util.Registry"].resolution is Resolution.IMPORT
    # a record's components are its fields
    assert set(targets(graph, one(graph, "com.acme.shapes.Circle.Pair"), EdgeKind.USES)) == {
        "com.acme.shapes.Circle"}


def test_unknown_type_is_an_external_guess(demo):
    graph, _ = demo
    accepts = targets(graph, one(graph, "com.acme.shapes.Circle.split"), EdgeKind.ACCEPTS)
    widget = accepts["Widget"]
    assert (widget.resolution, widget.candidates) == (Resolution.HEURISTIC, 0)


def calls(graph, fqp, signature=None):
    nodes = [n for n in graph.by_fqp(fqp) if signature is None or n.signature == signature]
    found = {}
    for node in nodes:
        for edge in graph.successors(node.id, (EdgeKind.CALLS,)):
            found.setdefault(graph.nodes[edge.dst].fqp, []).append(edge)
    return found


def test_calls(demo):
    graph, _ = demo
    area = calls(graph, "com.acme.shapes.Circle.area")
    assert area["com.acme.shapes.Base.log"][0].resolution is Resolution.EXACT       # inherited, through EXTENDS
    assert area["com.acme.util.Maths.square"][0].resolution is Resolution.IMPORT   # `import static`
    # super(...) and this(...) in constructors
    assert set(calls(graph, "com.acme.shapes.Circle.Circle", "public Circle(double radius)")) == {
        "com.acme.shapes.Base.Base"}
    this_call = calls(graph, "com.acme.shapes.Circle.Circle", "public Circle()")["com.acme.shapes.Circle.Circle"]
    (target,) = [graph.nodes[e.dst].signature for e in this_call]   # overloads told apart by argument count
    assert target == "public Circle(double radius)"
    unit = calls(graph, "com.acme.shapes.Circle.unit")
    # `new Circle()` links the constructor; `c.describe()` on a local of type Circle finds the interface default
    assert [graph.nodes[e.dst].signature for e in unit["com.acme.shapes.Circle.Circle"]] == ["public Circle()"]
    assert unit["com.acme.shapes.Shape.describe"][0].resolution is Resolution.EXACT
    # `r.register(c)` on a Registry: one argument, one overload
    assert [graph.nodes[e.dst].signature for e in unit["com.acme.util.Registry.register"]] == [
        "public void register(T item)"]
    # a method reference `Circle::describeAll` is a call
    assert "com.acme.shapes.Circle.describeAll" in calls(graph, "com.acme.shapes.Circle.split")
    # a field's declared type: `left.compareTo(...)` with `Circle left` finds the inherited Base.compareTo
    assert "com.acme.shapes.Base.compareTo" in calls(graph, "com.acme.shapes.Circle.Pair.compareTo")
    # a receiver typed by a type parameter bounded by an external interface (`U extends Comparable<U>`): javac
    # resolves `a.compareTo(b)` to Comparable's, outside the workspace, so no edge and no guess
    assert calls(graph, "com.acme.shapes.Circle.Holder.pick") == {}
    # across packages, through an on-demand import; static call `Circle.unit()`
    main = calls(graph, "com.acme.App.main")
    assert {"com.acme.shapes.Circle.unit", "com.acme.shapes.Circle.area", "com.acme.shapes.Shape.describe",
            "com.acme.App.run"} == set(main)


def test_surgery_equals_fresh_index(copy_fixture):
    root = copy_fixture("java/demo")
    engine = Engine(root, persist=False)
    engine.index()
    edits = {
        # Base no longer has `log`, and no longer implements Shape: Circle.area's inherited call must go
        "src/com/acme/shapes/Base.java": lambda t: t.replace("protected void log(String message) {\n    }\n", "")
        .replace("implements Shape, Serializable", "implements Serializable"),
        # Circle extends nothing: its supertypes change for every file that resolves through them
        "src/com/acme/shapes/Circle.java": lambda t: t.replace("extends Base ", ""),
        # a static method renamed: the static import no longer resolves
        "src/com/acme/util/Maths.java": lambda t: t.replace("square(", "sq("),
        # the package of a file changes
        "src/com/acme/util/Tag.java": lambda t: t.replace("package com.acme.util;", "package com.acme.tags;"),
    }
    for rel, edit in edits.items():
        path = root / rel
        text = edit(path.read_text())
        path.write_text(text)
        engine.update_file(rel, text.encode())
        fresh = Engine(root, persist=False)
        fresh.index()
        assert engine.graph.snapshot() == fresh.graph.snapshot(), f"after editing {rel}"
    (root / "src/com/acme/shapes/Shape.java").unlink()
    engine.update_file("src/com/acme/shapes/Shape.java", None)
    fresh = Engine(root, persist=False)
    fresh.index()
    assert engine.graph.snapshot() == fresh.graph.snapshot()


def test_body_edits_in_a_package_of_several_files_equal_a_fresh_index(copy_fixture):
    """Every file of a package declares the package's module: an edit that moves a file's lines (its declarations
    and the module's span in it) takes the swap of node objects, and the node standing for the module stays the
    one a fresh index elects (the first file in path order), with that file's spans."""
    root = copy_fixture("java/demo")
    engine = Engine(root, persist=False)
    engine.index()
    graph = engine.graph
    for rel in ("src/com/acme/shapes/Base.java", "src/com/acme/shapes/Circle.java", "src/com/acme/shapes/Shape.java"):
        path = root / rel
        text = "\n\n// moved down\n" + path.read_text()
        path.write_text(text)
        structure = graph.structure_version
        engine.update_file(rel, text.encode())
        assert graph.structure_version == structure, f"{rel}: no relation changed"
        fresh = Engine(root, persist=False)
        fresh.index()
        assert graph.snapshot() == fresh.graph.snapshot(), f"after editing {rel}"
        module = next(n for n in graph.nodes.values() if n.fqp == "com.acme.shapes" and not n.external)
        assert module.file == "src/com/acme/shapes/Base.java"


def test_broken_syntax_still_gives_facts(tmp_path):
    (tmp_path / "A.java").write_text("package p;\npublic class A { void f( { }\nclass B extends A {}\n")
    engine = Engine(tmp_path, persist=False)
    report = engine.index()
    assert engine.graph.by_fqp("p.A")
    assert report.syntax_errors >= 1


# ---- real code: the JDK's own sources -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def jdk():
    if not JDK_SOURCES.is_file():
        pytest.fail(f"{JDK_SOURCES} is missing: run the test command (bash .ci/test.sh), which installs "
                    f"openjdk-17-source")
    marker = JDK_CACHE / ".complete"
    if not marker.is_file():
        with zipfile.ZipFile(JDK_SOURCES) as archive:
            for name in archive.namelist():
                rel = name.removeprefix("java.base/")
                if rel == name or not rel.endswith(".java"):
                    continue
                folder, _, _ = rel.rpartition("/")
                if folder + "/" in JDK_PACKAGES:
                    target = JDK_CACHE / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.read(name))
        marker.write_text("java.base: " + " ".join(JDK_PACKAGES))
    engine = Engine(JDK_CACHE, persist=False)
    report = engine.index()
    return engine.graph, report


@pytest.mark.realcode
def test_jdk_array_list(jdk):
    graph, report = jdk
    assert report.by_language == {"java": report.files} and report.files > 300
    array_list = one(graph, "java.util.ArrayList")
    assert array_list.kind is NodeKind.STRUCT
    assert array_list.file == "java/util/ArrayList.java"
    assert array_list.signature == ("public class ArrayList<E> extends AbstractList<E> implements List<E>, "
                                    "RandomAccess, Cloneable, java.io.Serializable")
    extends = targets(graph, array_list, EdgeKind.EXTENDS)
    assert set(extends) == {"java.util.AbstractList"}
    impl = targets(graph, array_list, EdgeKind.IMPL)
    assert set(impl) == {"java.util.List", "java.util.RandomAccess", "java.lang.Cloneable", "java.io.Serializable"}
    # all four are the JDK's own declarations, not external stand-ins
    assert not any(graph.nodes[e.dst].external for e in impl.values())
    assert impl["java.lang.Cloneable"].resolution is Resolution.IMPORT            # java.lang, implicit
    assert impl["java.io.Serializable"].resolution is Resolution.EXACT            # written in full
    # its type parameter, its overloaded constructors, its nested iterator
    assert one(graph, "java.util.ArrayList.<E>").kind is NodeKind.GENERIC
    assert len(graph.by_fqp("java.util.ArrayList.ArrayList")) == 3
    assert one(graph, "java.util.ArrayList.Itr").kind is NodeKind.STRUCT
    assert "java.util.Iterator" in targets(graph, one(graph, "java.util.ArrayList.Itr"), EdgeKind.IMPL)


@pytest.mark.realcode
def test_jdk_interfaces_generics_and_calls(jdk):
    graph, _ = jdk
    lst = one(graph, "java.util.List")
    assert lst.kind is NodeKind.TRAIT
    assert set(targets(graph, lst, EdgeKind.EXTENDS)) == {"java.util.Collection"}
    assert "java.util.List.add" in targets(graph, lst, EdgeKind.DEFINES)
    # Map.Entry, a nested interface, is implemented by HashMap.Node through `Map.Entry<K,V>`
    assert "java.util.Map.Entry" in targets(graph, one(graph, "java.util.HashMap.Node"), EdgeKind.IMPL)
    # String is the workspace's own java.lang.String
    string = one(graph, "java.lang.String")
    assert set(targets(graph, string, EdgeKind.IMPL)) >= {"java.io.Serializable", "java.lang.Comparable",
                                                          "java.lang.CharSequence"}
    # <T extends Comparable<? super T>> void sort(List<T> list)
    (sort_t,) = [n for n in graph.by_fqp("java.util.Collections.sort.<T>") if "extends" in n.signature]
    assert set(targets(graph, sort_t, EdgeKind.BOUND_BY)) == {"java.lang.Comparable"}
    # overloads: distinct ids; calls pick the overload by argument count
    as_list = one(graph, "java.util.Arrays.asList")
    assert as_list.signature == "public static <T> List<T> asList(T... a)"
    add = calls(graph, "java.util.ArrayList.add", "public boolean add(E e)")
    assert [graph.nodes[e.dst].signature for e in add["java.util.ArrayList.add"]] == [
        "private void add(E e, Object[] elementData, int s)"]
    # a static call to another workspace class, a call of an inherited method
    grow = calls(graph, "java.util.ArrayList.grow", "private Object[] grow(int minCapacity)")
    assert "java.util.Arrays.copyOf" in grow
    # ISG-SPEC §1 overloads on real code: `Arrays.copyOf(elementData, newCapacity)` with `Object[] elementData` and an
    # int is copyOf(T[], int) among Arrays' ten two-argument copyOf overloads, by the declared argument types
    assert [(graph.nodes[e.dst].signature, e.resolution) for e in grow["java.util.Arrays.copyOf"]] == [
        ("public static <T> T[] copyOf(T[] original, int newLength)", Resolution.EXACT)]
    assert "java.util.AbstractList.rangeCheckForAdd" not in calls(graph, "java.util.ArrayList.addAll")
    assert calls(graph, "java.util.ArrayList.addAll")["java.util.ArrayList.rangeCheckForAdd"]



# ---- idioms of java.util.concurrent (issue #9) ----------------------------------------------------------------

CONCURRENT_IDIOMS = {
    "p/Flow.java": "package p;\npublic final class Flow {\n  public static interface Subscriber<T> { void onNext(T t); }\n}\n",
    "p/Base.java": "package p;\npublic class Base {\n  public Base() {}\n  public Object clone() { return this; }\n}\n",
    "p/Queue.java": (
        "package p;\n"
        "import static p.Flow.Subscriber;\n"
        "public class Queue<E> extends Base {\n"
        "  Itrs itrs;\n"
        "  Queue() { int[] a = new int[1]; a.clone(); }\n"
        "  Queue(int n) { this(); }\n"
        "  void subscribe(Subscriber<? super E> s) {}\n"
        "  static Itr make() { return null; }\n"
        "  class Itrs {\n"
        "    private Node head;\n"
        "    void register(Itr itr) {}\n"
        "    private class Node { Node(Itr it) {} }\n"
        "  }\n"
        "  class Itr {}\n"
        "  static class Helper { void use(Itr itr) {} }\n"
        "}\n"),
}


@pytest.fixture(scope="module")
def idioms(tmp_path_factory):
    root = tmp_path_factory.mktemp("java-idioms")
    for rel, text in CONCURRENT_IDIOMS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    engine = Engine(root, persist=False)
    engine.index()
    return engine.graph


def test_static_imports_import_member_types(idioms):
    method = one(idioms, "p.Queue.subscribe")
    assert set(targets(idioms, method, EdgeKind.ACCEPTS)) == {"p.Flow.Subscriber", "p.Queue.<E>"}


def test_inner_classes_carry_the_outer_type_parameters(idioms):
    # `Itr` inside Queue<E> is Queue<E>.Itr (javac's signatures say so); not from static contexts
    assert set(targets(idioms, one(idioms, "p.Queue.Itrs.register"), EdgeKind.ACCEPTS)) == {
        "p.Queue.Itr", "p.Queue.<E>"}
    assert set(targets(idioms, one(idioms, "p.Queue.Itrs.Node.Node"), EdgeKind.ACCEPTS)) == {
        "p.Queue.Itr", "p.Queue.<E>"}
    assert set(targets(idioms, one(idioms, "p.Queue.Itrs"), EdgeKind.USES)) == {"p.Queue.Itrs.Node", "p.Queue.<E>"}
    assert set(targets(idioms, one(idioms, "p.Queue.make"), EdgeKind.RETURNS)) == {"p.Queue.Itr"}
    assert set(targets(idioms, one(idioms, "p.Queue.Helper.use"), EdgeKind.ACCEPTS)) == {"p.Queue.Itr"}


def test_implicit_super_calls_and_array_receivers(idioms):
    # Queue() has no this(...)/super(...): it calls Base(); `a.clone()` on an int[] is no workspace method
    assert set(calls(idioms, "p.Queue.Queue", "Queue()")) == {"p.Base.Base"}
    assert set(calls(idioms, "p.Queue.Queue", "Queue(int n)")) == {"p.Queue.Queue"}


# ---- overloads (ISG-SPEC §1 Clarifications: by argument count and declared types, else heuristic) -------------

OVERLOADS = {
    "q/Limiter.java": (
        "package q;\n"
        "public class Limiter {\n"
        "  public void reset() {}\n"
        "  public void take(int n) {}\n"
        "  public void take(long n) {}\n"
        "  public void take(String why) {}\n"
        "  public void put(Object o) {}\n"
        "  public void put(StringBuilder b) {}\n"
        "}\n"),
    "q/Bucket.java": (
        "package q;\n"
        "import java.util.function.Supplier;\n"
        "public class Bucket extends Limiter {\n"
        "  private long size;\n"
        "  public Bucket() { }\n"
        "  public void reset(long tokens) { reset(); size = tokens; }\n"
        "  void use(int i, long l, String s, Object o, int[] a) {\n"
        "    take(1); take(2L); take(\"x\"); take(i); take(l); take(s); take(size);\n"
        "    take((long) i); take(o.hashCode());\n"
        "    Runnable r = this::reset;\n"
        "    Supplier<Bucket> make = Bucket::new;\n"
        "  }\n"
        "}\n"),
}


@pytest.fixture(scope="module")
def overloads(tmp_path_factory):
    root = tmp_path_factory.mktemp("java-overloads")
    for rel, text in OVERLOADS.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, "utf-8")
    engine = Engine(root, persist=False)
    engine.index()
    return engine.graph


def _signatures(graph, edges):
    return sorted((graph.nodes[e.dst].signature, e.resolution.value, e.candidates) for e in edges)


def test_an_overloaded_call_is_chosen_by_argument_count_across_the_hierarchy(overloads):
    # `reset()` in reset(long) is Limiter's reset(), never reset(long) itself (the Bucket.reset case)
    found = calls(overloads, "q.Bucket.reset", "public void reset(long tokens)")
    assert _signatures(overloads, found["q.Limiter.reset"]) == [("public void reset()", "exact", None)]
    assert "q.Bucket.reset" not in found


def test_an_overloaded_call_is_chosen_by_declared_argument_types(overloads):
    take = [(overloads.nodes[e.dst].signature, e.resolution.value, e.candidates)
            for e in calls(overloads, "q.Bucket.use")["q.Limiter.take"]]
    # literals, parameters, a field and a cast say which overload: each is exact
    assert ("public void take(int n)", "exact", None) in take
    assert ("public void take(long n)", "exact", None) in take
    assert ("public void take(String why)", "exact", None) in take


def test_an_ambiguous_overloaded_call_is_heuristic_with_the_candidates_count(tmp_path):
    (tmp_path / "q").mkdir()
    (tmp_path / "q" / "Limiter.java").write_text(OVERLOADS["q/Limiter.java"], "utf-8")
    (tmp_path / "q" / "User.java").write_text(
        "package q;\nclass User {\n  void f(Limiter l, Object o) { l.take(o.hashCode()); }\n}\n", "utf-8")
    engine = Engine(tmp_path, persist=False)
    engine.index()
    found = calls(engine.graph, "q.User.f")["q.Limiter.take"]
    # `o.hashCode()`'s type is not declared at the call site: three one-argument overloads, never `exact`
    assert {(e.resolution.value, e.candidates) for e in found} == {("heuristic", 3)}
    assert len(found) == 3


def test_implicit_super_and_method_references_are_calls(overloads):
    # `public Bucket() { }` calls Limiter's implicit constructor only if the workspace declares one: none here
    assert "q.Limiter.Limiter" not in calls(overloads, "q.Bucket.Bucket")
    found = calls(overloads, "q.Bucket.use")
    # `this::reset`: two overloads named reset in Bucket's hierarchy, the functional type decides: heuristic
    assert {(e.resolution.value, e.candidates) for e in found["q.Bucket.reset"] + found["q.Limiter.reset"]} == {
        ("heuristic", 2)}
    assert _signatures(overloads, found["q.Bucket.Bucket"]) == [("public Bucket()", "exact", None)]


def test_type_parameters_in_signatures_and_bounds_between_them_are_edges_to_g_nodes(tmp_path):
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "Box.java").write_text(
        "package g;\npublic class Box<T, U extends T> {\n  T value;\n  java.util.List<U> others;\n"
        "  public <R extends U> R map(T t) { return null; }\n}\n", "utf-8")
    engine = Engine(tmp_path, persist=False)
    engine.index()
    graph = engine.graph
    assert set(targets(graph, one(graph, "g.Box.<U>"), EdgeKind.BOUND_BY)) == {"g.Box.<T>"}
    assert set(targets(graph, one(graph, "g.Box.map.<R>"), EdgeKind.BOUND_BY)) == {"g.Box.<U>"}
    assert set(targets(graph, one(graph, "g.Box"), EdgeKind.USES)) == {"g.Box.<T>", "g.Box.<U>", "java.util.List"}
    assert set(targets(graph, one(graph, "g.Box.map"), EdgeKind.ACCEPTS)) == {"g.Box.<T>"}
    assert set(targets(graph, one(graph, "g.Box.map"), EdgeKind.RETURNS)) == {"g.Box.map.<R>"}
