"""Receiver types for calls (languages/infer.py): one case per inference rule per language, each a small workspace
whose caller's CALLS are compared whole (callee FQP → resolution), then graph surgery against fresh indexes when a
declared type that answers depend on changes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from isg_lsp.engine import Engine
from isg_lsp.model import EdgeKind, Resolution


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))


def calls_of(engine: Engine, caller: str) -> dict[str, str]:
    """The CALLS of every node with this FQP: callee FQP → "exact" / "import" / "heuristic N"."""
    graph = engine.graph
    found: dict[str, str] = {}
    nodes = [n for n in graph.by_fqp(caller) if not n.external]
    assert nodes, f"no node {caller}"
    for node in nodes:
        for edge in graph.successors(node.id, (EdgeKind.CALLS,)):
            label = edge.resolution.value
            if edge.resolution is Resolution.HEURISTIC:
                label += f" {edge.candidates}"
            found[graph.nodes[edge.dst].fqp] = label
    return found


def check(tmp_path: Path, files: dict[str, str], caller: str, expected: dict[str, str]) -> Engine:
    write(tmp_path, files)
    engine = Engine(tmp_path, persist=False)
    engine.index()
    assert calls_of(engine, caller) == expected
    return engine


# ---- Java -------------------------------------------------------------------------------------------------------

JAVA_B = {"p/B.java": """
    package p;
    public class B {
        public C next() { return new C(); }
        public B self() { return this; }
        public void m() {}
        public static B create() { return new B(); }
    }
    """, "p/C.java": """
    package p;
    public class C { public void done() {} }
    """}

JAVA_CASES = {
    "parameter": ("class A { void f(B b) { b.m(); } }", {"p.B.m": "exact"}),
    "local": ("class A { void f() { B b = B.create(); b.m(); } }", {"p.B.create": "exact", "p.B.m": "exact"}),
    "var initializer": ("class A { void f() { var b = new B(); b.m(); } }", {"p.B.m": "exact"}),
    "field": ("class A { B b; void f() { b.m(); this.b.m(); } }", {"p.B.m": "exact"}),
    "constructor": ("class A { void f() { new B().m(); } }", {"p.B.m": "exact"}),
    "this": ("class A { void g() {} void f() { this.g(); } }", {"p.A.g": "exact"}),
    "return type chain": ("class A { void f(B b) { b.next().done(); } }", {"p.B.next": "exact", "p.C.done": "exact"}),
    "static factory chain": ("class A { void f() { B.create().self().next().done(); } }",
                             {"p.B.create": "exact", "p.B.self": "exact", "p.B.next": "exact", "p.C.done": "exact"}),
    "generic element of a list": ("import java.util.List;\nclass A { void f(List<B> bs) { bs.get(0).m(); } }",
                                  {"p.B.m": "exact"}),
    "for each": ("import java.util.List;\nclass A { void f(List<B> bs) { for (B b : bs) b.m();"
                 " for (var c : bs) c.next(); } }", {"p.B.m": "exact", "p.B.next": "exact"}),
    "map value": ("import java.util.Map;\nclass A { Map<String, B> bs; void f() { bs.get(\"k\").m(); } }",
                  {"p.B.m": "exact"}),
    "bounded type parameter": ("class A { <T extends B> void f(T t) { t.m(); } }", {"p.B.m": "exact"}),
    "outside type: no edge, no guess": ("class A { void f(String s) { s.m(); s.trim().m(); } }", {}),
    "unknown receiver: a guess": ("class A { void f(Object[] xs) { ((B) xs[0]).m(); java.util.Objects.hash().done(); "
                                  "g().m(); } Object g() { return null; } }",
                                  {"p.B.m": "exact", "p.A.g": "exact"}),
}


@pytest.mark.parametrize("rule", list(JAVA_CASES))
def test_java_rule(tmp_path, rule):
    body, expected = JAVA_CASES[rule]
    check(tmp_path, {**JAVA_B, "p/A.java": "package p;\n" + body + "\n"}, "p.A.f", expected)


def test_java_generic_field_and_inherited_field(tmp_path):
    check(tmp_path, {**JAVA_B, "p/Box.java": """
        package p;
        public class Box<T> { public T value; public T get() { return value; } }
        """, "p/Base.java": """
        package p;
        public class Base { protected Box<B> box; }
        """, "p/A.java": """
        package p;
        class A extends Base { void f() { box.get().m(); box.value.next(); } }
        """}, "p.A.f", {"p.Box.get": "exact", "p.B.m": "exact", "p.B.next": "exact"})


def test_java_instance_initializers_are_called_by_constructors_that_do_not_call_this(tmp_path):
    engine = check(tmp_path, {**JAVA_B, "p/A.java": """
        package p;
        class A {
            private final B b = B.create();
            { B.create().next(); }
            static C shared = new C();
            A() {}
            A(int x) { this(); }
        }
        """}, "p.A.A", {"p.B.create": "exact", "p.B.next": "exact", "p.A.A": "exact"})
    graph = engine.graph
    by_signature = {n.signature: n for n in graph.by_fqp("p.A.A")}
    assert {graph.nodes[e.dst].fqp for e in graph.successors(by_signature["A()"].id, (EdgeKind.CALLS,))} == {
        "p.B.create", "p.B.next"}
    assert {graph.nodes[e.dst].signature for e in graph.successors(by_signature["A(int x)"].id,
                                                                   (EdgeKind.CALLS,))} == {"A()"}


def test_java_for_each_calls_iterator_of_a_workspace_iterable(tmp_path):
    check(tmp_path, {**JAVA_B, "p/Bag.java": """
        package p;
        import java.util.Iterator;
        public class Bag implements Iterable<B> { public Iterator<B> iterator() { return null; } }
        """, "p/A.java": """
        package p;
        class A { void f(Bag bag, java.util.List<B> list) { for (B b : bag) b.m(); for (B b : list) {} } }
        """}, "p.A.f", {"p.Bag.iterator": "exact", "p.B.m": "exact"})


def test_java_overloads_told_apart_by_inferred_argument_types(tmp_path):
    check(tmp_path, {**JAVA_B, "p/A.java": """
        package p;
        class A {
            void take(B b) {}
            void take(C c) {}
            void take(Runnable r) {}
            void f(B b) { take(b.next()); take(B.create()); }
        }
        """}, "p.A.f", {"p.A.take": "exact", "p.B.next": "exact", "p.B.create": "exact"})


def test_java_super_calls_reach_the_superclass_only(tmp_path):
    check(tmp_path, {"p/I.java": "package p;\npublic interface I { void m(); }\n",
                     "p/Base.java": "package p;\npublic class Base { public void m() {} }\n",
                     "p/A.java": "package p;\nclass A extends Base implements I { public void m() { super.m(); } }\n"},
          "p.A.m", {"p.Base.m": "exact"})


# ---- TypeScript -------------------------------------------------------------------------------------------------

TS_B = {"src/b.ts": """
    import { C } from "./c";
    export class B {
        next(): C { return new C(); }
        self(): this { return this; }
        m(): void {}
        static create(): B { return new B(); }
        async load(): Promise<C> { return new C(); }
    }
    export interface I { run(): void }
    export function make(): B { return new B(); }
    export function each(bs: B[], f: (b: B, i: number) => void): void {}
    export function isB(x: unknown): x is B { return x instanceof B; }
    export const shared = new B();
    """, "src/c.ts": """
    export class C { done(): void {} trim(): void {} }
    """}

TS_CASES = {
    "parameter": ("function f(b: B) { b.m(); }", {"src/b::B::m": "import"}),
    "typed local": ("function f() { const b: B = make(); b.m(); }", {"src/b::make": "import", "src/b::B::m": "import"}),
    "local from new": ("function f() { let b = new B(); b.m(); }", {"src/b::B::m": "import"}),
    # the resolution of a call on an inferred receiver is how the receiver's type was named where it is written:
    # `make()` is declared in b.ts to return `B`, a name of b.ts itself (exact); `next()` returns `C`, which b.ts
    # imports (import)
    "local from a call": ("function f() { const b = make(); b.next().done(); }",
                          {"src/b::make": "import", "src/b::B::next": "exact", "src/c::C::done": "import"}),
    "static factory chain": ("function f() { B.create().self().next().done(); }",
                             {"src/b::B::create": "import", "src/b::B::self": "exact", "src/b::B::next": "exact",
                              "src/c::C::done": "import"}),
    "await": ("async function f(b: B) { const c = await b.load(); c.done(); (await b.load()).done(); }",
              {"src/b::B::load": "import", "src/c::C::done": "import"}),
    "for of": ("function f(bs: B[]) { for (const b of bs) { b.m(); } bs[0].next(); }",
               {"src/b::B::m": "import", "src/b::B::next": "import"}),
    "array callback": ("function f(bs: Array<B>) { bs.forEach(b => b.m()); }", {"src/b::B::m": "import"}),
    "callback typed by the callee": ("function f(bs: B[]) { each(bs, (b, i) => b.m()); }",
                                     {"src/b::each": "import", "src/b::B::m": "exact"}),
    "type guard": ("function f(x: unknown) { if (isB(x)) { x.m(); } }", {"src/b::isB": "import", "src/b::B::m": "exact"}),
    "instanceof": ("function f(x: object) { if (x instanceof B) x.m(); }", {"src/b::B::m": "import"}),
    # a callback's parameters are bound when its body first reads a name (infer.Env.defer): the same answers
    "callback in a callback": ("function f(bss: B[][]) { bss.forEach(bs => bs.forEach(b => b.m())); }",
                               {"src/b::B::m": "import"}),
    "a callback's local": ("function f(bs: B[]) { bs.forEach(b => { const c = b.next(); c.done(); }); }",
                           {"src/b::B::next": "import", "src/c::C::done": "import"}),
    "a callback's declared this": ("function f(bs: B[]) { each(bs, function (this: B, b) { this.m(); }); }",
                                   {"src/b::each": "import", "src/b::B::m": "import"}),
    "interface": ("function f(i: I) { i.run(); }", {"src/b::I::run": "import"}),
    "bounded type parameter": ("function f<T extends B>(t: T) { t.m(); }", {"src/b::B::m": "exact"}),
    "imported value": ("function f() { shared.m(); }", {"src/b::B::m": "exact"}),
    "outside type: no edge, no guess": ("function f(s: string, m: Map<string, B>) { s.trim(); m.get('k').m(); "
                                        "m.keys().next(); }", {"src/b::B::m": "import"}),
}


@pytest.mark.parametrize("rule", list(TS_CASES))
def test_typescript_rule(tmp_path, rule):
    body, expected = TS_CASES[rule]
    header = 'import { B, I, make, each, isB, shared } from "./b";\n'
    check(tmp_path, {**TS_B, "src/a.ts": header + body + "\n"}, "src/a::f", expected)


def test_typescript_fields_this_and_declared_this(tmp_path):
    files = {**TS_B, "src/a.ts": """
        import { B } from "./b";
        import { C } from "./c";
        export class A {
            typed: B;
            made = new C();
            constructor(private held: B) { this.late = new C(); }
            f() { this.typed.m(); this.made.done(); this.held.next(); this.late.trim(); this.g(); }
            g() {}
        }
        export function h(this: A) { this.g(); }
        """}
    engine = check(tmp_path, files, "src/a::A::f", {"src/b::B::m": "import", "src/c::C::done": "import",
                                                      "src/b::B::next": "import", "src/c::C::trim": "import",
                                                      "src/a::A::g": "exact"})
    assert calls_of(engine, "src/a::h") == {"src/a::A::g": "exact"}


def test_typescript_unknown_receivers_are_guessed_only_by_uncommon_names(tmp_path):
    check(tmp_path, {**TS_B, "src/a.ts": """
        export function f(x: any, y) { x.done(); y.get(); Object.keys(y).forEach(k => k); JSON.parse(y).m(); }
        """}, "src/a::f", {"src/c::C::done": "heuristic 1"})


def test_javascript_constructor_assignments_type_fields(tmp_path):
    check(tmp_path, {"lib/c.js": "export class C { done() {} }\n", "lib/a.js": """
        import { C } from "./c";
        export class A {
            constructor() { this.c = new C(); }
            f() { this.c.done(); }
        }
        """}, "lib/a::A::f", {"lib/c::C::done": "import"})


# ---- Python -----------------------------------------------------------------------------------------------------

PY_B = {"pkg/__init__.py": "", "pkg/b.py": """
    from __future__ import annotations
    import typing as t
    from pkg.c import C

    class B:
        def next(self) -> C:
            return C()
        def self_(self) -> "B":
            return self
        def m(self) -> None:
            pass
        @classmethod
        def create(cls) -> B:
            return cls()
        @property
        def peer(self) -> C:
            return C()
        def __enter__(self) -> B:
            return self
        def __exit__(self, *args) -> None:
            pass

    def make() -> t.Optional[B]:
        return B()

    shared = B()
    """, "pkg/c.py": """
    class C:
        def done(self) -> None:
            pass
        def append(self) -> None:
            pass
        def paint(self) -> None:
            pass
    """}

PY_CASES = {
    "parameter": ("def f(b: B):\n    b.m()", {"pkg.b.B.m": "import"}),
    "local from a class call": ("def f():\n    b = B()\n    b.m()", {"pkg.b.B.m": "import"}),
    "typed local": ("def f(x):\n    b: B = x\n    b.m()", {"pkg.b.B.m": "import"}),
    "return type chain": ("def f(b: B):\n    b.next().done()", {"pkg.b.B.next": "import", "pkg.c.C.done": "import"}),
    "optional return and classmethod": ("def f():\n    make().self_().m()\n    B.create().next().done()",
                                        {"pkg.b.make": "import", "pkg.b.B.self_": "exact", "pkg.b.B.m": "exact",
                                         "pkg.b.B.create": "import", "pkg.b.B.next": "exact",
                                         "pkg.c.C.done": "import"}),
    "property": ("def f(b: B):\n    b.peer.done()", {"pkg.c.C.done": "import"}),
    "for over a list": ("def f(bs: list[B]):\n    for b in bs:\n        b.m()\n    [x.next() for x in bs]",
                        {"pkg.b.B.m": "import", "pkg.b.B.next": "import"}),
    "with as": ("def f():\n    with B() as b:\n        b.next()", {"pkg.b.B.next": "exact"}),
    "imported value": ("def f():\n    shared.m()", {"pkg.b.B.m": "exact"}),
    "cast": ("import typing as t\ndef f(x):\n    t.cast(B, x).m()", {"pkg.b.B.m": "import"}),
    "outside type: no edge, no guess": ("import os\ndef f(s: str):\n    s.done()\n    os.getcwd().done()",
                                        {}),
    "unknown receiver: a guess by an uncommon name only": ("def f(x):\n    x.paint()\n    x.append()",
                                                           {"pkg.c.C.paint": "heuristic 1"}),
}


@pytest.mark.parametrize("rule", list(PY_CASES))
def test_python_rule(tmp_path, rule):
    body, expected = PY_CASES[rule]
    header = "from pkg.b import B, make, shared\n"
    check(tmp_path, {**PY_B, "pkg/a.py": header + body + "\n"}, "pkg.a.f", expected)


def test_python_attributes_and_self(tmp_path):
    check(tmp_path, {**PY_B, "pkg/a.py": """
        from pkg.b import B
        from pkg.c import C

        class A:
            typed: C
            def __init__(self, b: B) -> None:
                self.b = b
                self.made = B.create()
                self.c: C = C()
            def f(self) -> None:
                self.b.m()
                self.made.next()
                self.c.done()
                self.typed.done()
                self.g()
            def g(self) -> None:
                pass
        """}, "pkg.a.A.f", {"pkg.b.B.m": "import", "pkg.b.B.next": "exact", "pkg.c.C.done": "import",
                            "pkg.a.A.g": "exact"})


# ---- Go ---------------------------------------------------------------------------------------------------------

GO_B = {"go.mod": "module example.com/m\n\ngo 1.21\n", "b/b.go": """
    package b

    import "example.com/m/c"

    type Base struct{}

    func (Base) Hello() {}

    type B struct {
        Base
        Peer *c.C
        all  map[string]*c.C
    }

    type Bs []*B

    type Runner interface{ Run() }

    func New() (*B, error) { return &B{}, nil }

    func (b *B) Next() *c.C  { return b.Peer }
    func (b *B) Self() *B    { return b }
    func (b *B) M()          {}
    func (b *B) Get(k string) *c.C { return b.all[k] }

    var Shared = &B{}
    """, "c/c.go": """
    package c

    type C struct{}

    func (C) Done()  {}
    func (C) Paint() {}
    func (C) Len() int { return 0 }
    """}

# Go's resolution is `exact` within the caller's package and `import` across packages, whatever the receiver
GO_CASES = {
    "parameter": ("func F(x *b.B) { x.M() }", {"example.com/m/b.B.M": "import"}),
    "var": ("func F() { var x b.B; x.M() }", {"example.com/m/b.B.M": "import"}),
    "composite literal": ("func F() { x := &b.B{}; x.Self().M() }",
                          {"example.com/m/b.B.Self": "import", "example.com/m/b.B.M": "import"}),
    "first result of a call": ("func F() { x, err := b.New(); _ = err; x.Next().Done() }",
                               {"example.com/m/b.New": "import", "example.com/m/b.B.Next": "import",
                                "example.com/m/c.C.Done": "import"}),
    "field": ("func F(x *b.B) { x.Peer.Done() }", {"example.com/m/c.C.Done": "import"}),
    "promoted method": ("func F(x b.B) { x.Hello() }", {"example.com/m/b.Base.Hello": "import"}),
    "range over a defined slice type": ("func F(xs b.Bs) { for _, x := range xs { x.M() } }",
                                        {"example.com/m/b.B.M": "import"}),
    "interface": ("func F(r b.Runner) { r.Run() }", {"example.com/m/b.Runner.Run": "import"}),
    "package variable": ("func F() { b.Shared.M() }", {"example.com/m/b.B.M": "import"}),
    "closure parameter": ("func F() { f := func(x *b.B) { x.M() }; _ = f }", {"example.com/m/b.B.M": "import"}),
    "type assertion": ("func F(v any) { v.(*b.B).M() }", {"example.com/m/b.B.M": "import"}),
    "outside type: no edge, no guess": ('func F(s strings.Builder) { s.Paint(); strings.ToUpper("x").Paint() }', {}),
    "unknown receiver: a guess by an uncommon name only": ("func F(f func() any) { f().Paint(); f().Len() }",
                                                           {"example.com/m/c.C.Paint": "heuristic 1"}),
}


@pytest.mark.parametrize("rule", list(GO_CASES))
def test_go_rule(tmp_path, rule):
    body, expected = GO_CASES[rule]
    header = 'package a\n\nimport (\n\t"strings"\n\t"example.com/m/b"\n)\n\nvar _ = strings.ToUpper\n\n'
    check(tmp_path, {**GO_B, "a/a.go": header + body + "\n"}, "example.com/m/a.F", expected)


# ---- Rust -------------------------------------------------------------------------------------------------------

RUST_B = {"Cargo.toml": '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n', "src/lib.rs": """
    pub mod b;
    pub mod c;
    pub mod a;
    """, "src/c.rs": """
    pub struct C;
    impl C {
        pub fn done(&self) {}
        pub fn paint(&self) {}
    }
    """, "src/b.rs": """
    use crate::c::C;

    pub type Result<T> = std::result::Result<T, String>;

    pub trait Run {
        fn run(&self);
    }

    pub struct Router {
        pub peer: C,
        routes: Vec<C>,
    }

    impl Router {
        pub fn new() -> Self { Router { peer: C, routes: Vec::new() } }
        pub fn route(mut self, _p: &str) -> Self { self }
        pub fn with_state(self) -> Router { self }
        pub fn next(&self) -> &C { &self.peer }
        pub fn load(&self) -> Result<C> { Ok(C) }
        pub fn find(&self) -> Option<C> { None }
        pub async fn fetch(&self) -> C { C }
        pub fn all(&self) -> &Vec<C> { &self.routes }
    }

    impl Run for Router {
        fn run(&self) {}
    }
    """}

# `C` is named in b.rs through `use crate::c::C`: a call on a C that b.rs declares is `import`
RUST_CASES = {
    "parameter": ("pub fn f(r: &Router) { r.next().done(); }",
                  {"app::b::Router::next": "import", "app::c::C::done": "import"}),
    "builder chain through Self": ("pub fn f() { Router::new().route(\"/\").route(\"/x\").with_state(); }",
                                   {"app::b::Router::new": "import", "app::b::Router::route": "exact",
                                    "app::b::Router::with_state": "exact"}),
    "let": ("pub fn f() { let r = Router::new(); r.next().done(); }",
            {"app::b::Router::new": "import", "app::b::Router::next": "exact", "app::c::C::done": "import"}),
    "shadowing let": ("pub fn f(r: &Router) { let x = r.find(); let x = x.unwrap(); x.done(); }",
                      {"app::b::Router::find": "import", "app::c::C::done": "import"}),
    "typed let and field": ("pub fn f() { let r: Router = Router::new(); r.peer.done(); }",
                            {"app::b::Router::new": "import", "app::c::C::done": "import"}),
    "struct expression": ("pub fn f() { let r = Router { peer: crate::c::C, routes: vec![] }; r.next(); }",
                          {"app::b::Router::next": "import"}),
    "? through an alias of Result": ("pub fn f(r: &Router) -> Result<()> { r.load()?.done(); Ok(()) }",
                                     {"app::b::Router::load": "import", "app::c::C::done": "import"}),
    "unwrap of an Option": ("pub fn f(r: &Router) { r.find().unwrap().done(); r.find().expect(\"c\").paint(); }",
                            {"app::b::Router::find": "import", "app::c::C::done": "import", "app::c::C::paint": "import"}),
    "await": ("pub async fn f(r: &Router) { r.fetch().await.done(); }",
              {"app::b::Router::fetch": "import", "app::c::C::done": "import"}),
    "for over a Vec": ("pub fn f(r: &Router) { for c in r.all() { c.done(); } }",
                       {"app::b::Router::all": "import", "app::c::C::done": "import"}),
    "trait method": ("pub fn f(r: &Router) { r.run(); }", {"<app::b::Router as app::b::Run>::run": "import"}),
    "bounded type parameter": ("pub fn f<T: Run>(t: &T) { t.run(); }", {"app::b::Run::run": "import"}),
    "dyn trait in a Box": ("pub fn f(t: Box<dyn Run>) { t.run(); }", {"app::b::Run::run": "import"}),
    "closure parameter": ("pub fn f(r: &Router) { let g = |x: &Router| x.next(); g(r); }",
                          {"app::b::Router::next": "import"}),
    "outside type: no edge, no guess": ("pub fn f(s: String) { s.paint(); String::new().paint(); }", {}),
    "unknown receiver: a guess by an uncommon name only": ("pub fn f<T>(x: T) { x.paint(); x.clone(); }",
                                                           {"app::c::C::paint": "heuristic 1"}),
}


@pytest.mark.parametrize("rule", list(RUST_CASES))
def test_rust_rule(tmp_path, rule):
    body, expected = RUST_CASES[rule]
    header = "use crate::b::{Router, Run, Result};\n\n"
    check(tmp_path, {**RUST_B, "src/a.rs": header + body + "\n"}, "app::a::f", expected)


# ---- incremental: an answer that read a declared type changes with it --------------------------------------------

CHAIN_EDITS = {
    "java": ("p/A.java", "p.A.f", {**JAVA_B, "p/D.java": "package p;\npublic class D { public void done() {} }\n",
                                    "p/A.java": "package p;\nclass A { void f(B b) { b.next().done(); b.self().m(); } }\n"},
             [("p/B.java", lambda t: t.replace("public C next()", "public D next()")),
              ("p/D.java", lambda t: t.replace("done()", "finish()")),
              ("p/B.java", lambda t: t.replace("public B self()", "public C self()")),
              ("p/C.java", lambda t: t.replace("class C {", "class C { public void m() {}")),
              ("p/A.java", lambda t: t.replace("b.next()", "b.self()"))]),
    "typescript": ("src/a.ts", "src/a::f", {**TS_B, "src/d.ts": "export class D { done(): void {} }\n",
                                            "src/a.ts": 'import { B, make } from "./b";\n'
                                                        "export function f() { make().next().done(); "
                                                        "const b = make(); b.self().m(); }\n"},
                   [("src/b.ts", lambda t: t.replace("next(): C", "next(): D").replace(
                       'import { C } from "./c";', 'import { C } from "./c";\nimport { D } from "./d";')),
                    ("src/d.ts", lambda t: t.replace("done()", "finish()")),
                    ("src/b.ts", lambda t: t.replace("self(): this", "self(): C")),
                    ("src/c.ts", lambda t: t.replace("trim()", "m()")),
                    ("src/a.ts", lambda t: t.replace("const b = make()", "const b = new B()"))]),
    "python": ("pkg/a.py", "pkg.a.f", {**PY_B, "pkg/d.py": "class D:\n    def done(self) -> None:\n        pass\n",
                                       "pkg/a.py": "from pkg.b import B, make\n"
                                                   "def f(b: B):\n    b.next().done()\n    x = make()\n"
                                                   "    x.self_().m()\n"},
               [("pkg/b.py", lambda t: t.replace("def next(self) -> C:", "def next(self) -> D:").replace(
                   "from pkg.c import C", "from pkg.c import C\nfrom pkg.d import D")),
                ("pkg/d.py", lambda t: t.replace("def done", "def finish")),
                ("pkg/b.py", lambda t: t.replace('def self_(self) -> "B":', "def self_(self) -> C:")),
                ("pkg/c.py", lambda t: t.replace("def append", "def m")),
                ("pkg/a.py", lambda t: t.replace("x = make()", "x = B()"))]),
    "go": ("a/a.go", "example.com/m/a.F", {**GO_B, "d/d.go": "package d\n\ntype D struct{}\n\nfunc (D) Done() {}\n",
                                           "a/a.go": 'package a\n\nimport "example.com/m/b"\n\n'
                                                     "func F(x *b.B) {\n\tx.Next().Done()\n\ty, _ := b.New()\n"
                                                     "\ty.Self().M()\n}\n"},
           [("b/b.go", lambda t: t.replace("func (b *B) Next() *c.C  { return b.Peer }",
                                           "func (b *B) Next() *d.D  { return nil }").replace(
               'import "example.com/m/c"', 'import (\n\t"example.com/m/c"\n\t"example.com/m/d"\n)')),
            ("d/d.go", lambda t: t.replace("Done()", "Finish()")),
            ("b/b.go", lambda t: t.replace("func (b *B) Self() *B    { return b }",
                                           "func (b *B) Self() *c.C  { return nil }")),
            ("c/c.go", lambda t: t.replace("func (C) Paint() {}", "func (C) M() {}")),
            ("a/a.go", lambda t: t.replace("y, _ := b.New()", "y := &b.B{}"))]),
    "rust": ("src/a.rs", "app::a::f", {**RUST_B, "src/lib.rs": "pub mod b;\npub mod c;\npub mod d;\npub mod a;\n",
                                       "src/d.rs": "pub struct D;\nimpl D {\n    pub fn done(&self) {}\n}\n",
                                       "src/a.rs": "use crate::b::Router;\n\npub fn f(r: &Router) {\n"
                                                   "    r.next().done();\n    let x = Router::new();\n"
                                                   "    x.route(\"/\").peer.paint();\n}\n"},
             [("src/b.rs", lambda t: t.replace("pub fn next(&self) -> &C", "pub fn next(&self) -> &crate::d::D")),
              ("src/d.rs", lambda t: t.replace("fn done", "fn finish")),
              ("src/b.rs", lambda t: t.replace("pub peer: C,", "pub peer: crate::d::D,")),
              ("src/d.rs", lambda t: t.replace("pub fn finish(&self) {}", "pub fn finish(&self) {}\n    pub fn paint(&self) {}")),
              ("src/a.rs", lambda t: t.replace("let x = Router::new();", "let x: crate::c::C = crate::c::C;"))]),
}


@pytest.mark.parametrize("lang", list(CHAIN_EDITS))
def test_a_changed_return_type_re_resolves_the_chains_that_read_it(tmp_path, lang):
    _, caller, files, edits = CHAIN_EDITS[lang]
    write(tmp_path, files)
    engine = Engine(tmp_path, persist=False)
    engine.index()
    before = calls_of(engine, caller)
    seen = [before]
    for rel, edit in edits:
        path = tmp_path / rel
        text = edit(path.read_text())
        path.write_text(text)
        engine.update_file(rel, text.encode())
        fresh = Engine(tmp_path, persist=False)
        fresh.index()
        assert engine.graph.snapshot() == fresh.graph.snapshot(), f"after editing {rel}"
        seen.append(calls_of(engine, caller))
    assert len({tuple(sorted(s.items())) for s in seen}) == len(seen), "every edit changes what the chains reach"
