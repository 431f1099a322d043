"""Java ground truth: the JDK's own compiled classes (`javap -p -v` over `jrt:/java.base`, built by javac from the
very sources that `openjdk-17-source` ships in `src.zip`), converted into ISG-SPEC's vocabulary; `isg-lsp export`
runs over those sources.

From each class file: its kind (interface/annotation T, enum E, class and record S), header (type parameters with
their bounds: G and BOUND_BY; superclass: EXTENDS, except the implicit `Object`/`Enum`/`Record`; interfaces: IMPL from
a class, EXTENDS from an interface), fields (USES, from their generic types; enum constants and synthetic fields
left out), methods and constructors (F, CONTAINS, or DEFINES in an interface; ACCEPTS and RETURNS from their generic
signatures; synthetic and bridge methods, `values`/`valueOf` of enums and implicit default constructors left out),
and CALLS from the invoke instructions of each method and from its method references (`Foo::bar`, `this::bar`,
`Foo::new`: LambdaMetafactory bootstrap methods whose implementation is not a lambda's body): the call's owner class,
name and parameter descriptor resolved to the declaring overload through the corpus' class hierarchy (ISG-SPEC §1
Clarifications: overloads are separate nodes, compared by FQP and parameter types, `Foo.m(int,String)`); calls in lambdas (`lambda$m$0`) and in anonymous or local classes
(`EnclosingMethod`) count for the method that encloses them in the source. Calls to methods outside the corpus are
left out (they are not nodes), as are calls the compiler adds (boxing, string concatenation).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from .common import Truth, Unavailable, apt_install, converter_hash, log, run, which

LANG = "java"
PACKAGES_FULL = ["java.util.concurrent", "java.util.concurrent.atomic", "java.util.concurrent.locks"]
PACKAGES_QUICK = ["java.util.concurrent.atomic"]
EDGE_KINDS = ("CONTAINS", "DEFINES", "IMPL", "EXTENDS", "BOUND_BY", "ACCEPTS", "RETURNS", "USES", "CALLS")
PRIMITIVES = frozenset({"boolean", "byte", "char", "short", "int", "long", "float", "double", "void"})
IMPLICIT_SUPERS = frozenset({"java.lang.Object", "java.lang.Enum", "java.lang.Record"})
JVM_CANDIDATES = ["/usr/lib/jvm/java-17-openjdk-amd64", "/usr/lib/jvm/openjdk-17"]


def jdk() -> Path:
    for candidate in JVM_CANDIDATES:
        home = Path(candidate)
        if (home / "bin" / "javap").is_file() and (home / "lib" / "src.zip").is_file():
            return home
    apt_install(["openjdk-17-jdk-headless", "openjdk-17-source"])
    for candidate in JVM_CANDIDATES:
        home = Path(candidate)
        if (home / "bin" / "javap").is_file() and (home / "lib" / "src.zip").is_file():
            return home
    raise Unavailable("JDK 17 (javap) and its sources (openjdk-17-source) are not installed")


def run_lang(quick: bool, work: Path) -> list[dict]:
    home = jdk()
    packages = PACKAGES_QUICK if quick else PACKAGES_FULL
    label = "+".join(p.rsplit(".", 1)[-1] for p in packages)
    folder = work / "java"
    workspace = folder / "src" / label
    truth_path = folder / f"{label}.truth.jsonl"
    stamp = folder / f"{label}.stamp"
    version = run([str(home / "bin" / "java"), "-version"], check=False).stderr.split("\n")[0]
    stamp_text = f"{version}\n{converter_hash('java')}"
    if not (truth_path.is_file() and stamp.is_file() and stamp.read_text() == stamp_text):
        extract_sources(home, packages, workspace)
        log(f"java: javap of {', '.join(packages)}")
        truth = Converter(home, packages, workspace).run()
        truth.write(truth_path)
        stamp.write_text(stamp_text)
    return [{"label": label, "workspace": workspace, "truth": truth_path, "scope": "", "edge_kinds": EDGE_KINDS,
             "local_roots": tuple(packages), "meta": {"jdk": version}, "node_key": node_key}]


def extract_sources(home: Path, packages: list[str], workspace: Path) -> None:
    import shutil

    if workspace.exists():
        shutil.rmtree(workspace)
    wanted = {"java.base/" + p.replace(".", "/") + "/" for p in packages}
    with zipfile.ZipFile(home / "lib" / "src.zip") as archive:
        for name in archive.namelist():
            folder = name.rsplit("/", 1)[0] + "/"
            if folder in wanted and name.endswith(".java") and not name.endswith("package-info.java"):
                target = workspace / name[len("java.base/"):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))


# ---- javap ------------------------------------------------------------------------------------------------------

class Member:
    __slots__ = ("header", "flags", "calls", "lines", "is_method", "descriptor", "indy")

    def __init__(self, header: str) -> None:
        self.header = header
        self.flags: set[str] = set()
        self.calls: list[tuple[str, str, str]] = []    # (owner binary name, method name, parameter descriptor)
        self.indy: list[int] = []                      # bootstrap method indexes of its invokedynamic instructions
        self.descriptor = ""                           # the parameters' part of the descriptor: `(IJ)`
        self.lines: list[int] = []
        self.is_method = "(" in header


class ClassFile:
    def __init__(self, name: str) -> None:
        self.name = name                  # binary name, java.util.concurrent.Foo$Bar
        self.header = ""
        self.flags: set[str] = set()
        self.members: list[Member] = []
        self.enclosing: str | None = None  # EnclosingMethod: owner.method
        self.inner_static = False          # a static nested class (InnerClasses says so)
        self.source: str | None = None
        self.method_refs: dict[int, tuple[str, str, str]] = {}   # bootstrap index -> the method it makes a value of
        self.enclosing_descriptor = ""

    @property
    def fqp(self) -> str:
        return self.name.replace("$", ".")

    @property
    def is_named(self) -> bool:
        return not any(part[:1].isdigit() for part in self.name.split("$")[1:])


_INVOKE = re.compile(r"invoke(?:virtual|special|static|interface)\s+#\d+(?:,\s*\d+)?\s+// (?:Interface)?Method "
                     r"(?:([\w/$]+)\.)?(\"?<?[\w$]+>?\"?):(\([^)]*\))")
_INDY = re.compile(r"invokedynamic\s+#\d+,\s*\d+\s+// InvokeDynamic #(\d+):")
# a bootstrap method of LambdaMetafactory whose implementation is a method of its own (a method reference such as
# `Foo::bar`, `this::bar`, `Foo::new`), not a lambda's body (`lambda$m$0`)
_BOOTSTRAP = re.compile(r"^\s*(\d+): #\d+ REF_invokeStatic java/lang/invoke/LambdaMetafactory\.\w+:.*\n"
                        r"\s*Method arguments:\n\s*#\d+ .*\n\s*#\d+ REF_\w+ ([\w/$]+)\.(\"?<?[\w$]+>?\"?):"
                        r"(\([^)]*\))", re.M)
_ENCLOSING = re.compile(r"EnclosingMethod: .*// ([\w/$]+)(?:\.([\w$<>\"]+))?")


def javap(home: Path, classes: list[str]) -> list[ClassFile]:
    out: list[ClassFile] = []
    for start in range(0, len(classes), 150):
        batch = classes[start:start + 150]
        text = run([str(home / "bin" / "javap"), "-p", "-v", *batch], timeout=1200).stdout
        out.extend(parse_javap(text))
    return out


def parse_javap(text: str) -> list[ClassFile]:
    classes: list[ClassFile] = []
    current: ClassFile | None = None
    member: Member | None = None
    in_body = False
    in_lines = False
    for line in text.split("\n"):
        if line.startswith("Classfile "):
            name = line.split("jrt:/", 1)[-1].split("/", 1)[-1].rsplit(".class", 1)[0].replace("/", ".")
            current = ClassFile(name)
            classes.append(current)
            member, in_body = None, False
            continue
        if current is None:
            continue
        if not in_body:
            if line.startswith("  Compiled from"):
                current.source = line.split('"')[1]
            elif line and not line.startswith(" ") and not current.header and ("class " in line or
                                                                                 "interface " in line):
                current.header = line.strip()
            elif line.startswith("  flags:") and not current.flags:
                current.flags = set(re.findall(r"ACC_\w+", line))
            elif line == "{":
                in_body = True
            continue
        if line == "}":
            in_body = False
            member = None
            continue
        if line.startswith("  ") and not line.startswith("   ") and line.rstrip().endswith(";"):
            member = Member(line.strip().rstrip(";"))
            current.members.append(member)
            in_lines = False
            continue
        if member is None:
            continue
        stripped = line.strip()
        if stripped.startswith("flags:") and line.startswith("    flags"):
            member.flags = set(re.findall(r"ACC_\w+", stripped))
        elif stripped.startswith("descriptor:") and line.startswith("    descriptor"):
            member.descriptor = stripped.split(":", 1)[1].strip().split(")", 1)[0] + ")"
        elif "invokedynamic" in stripped:
            match = _INDY.search(stripped)
            if match:
                member.indy.append(int(match.group(1)))
        elif "invoke" in stripped:
            match = _INVOKE.search(stripped)
            if match:
                member.calls.append((match.group(1) or "", match.group(2).strip('"'), match.group(3)))
        elif stripped == "LineNumberTable:":
            in_lines = True
        elif in_lines and stripped.startswith("line "):
            member.lines.append(int(stripped.split()[1].rstrip(":")))
        elif in_lines:
            in_lines = False
    # EnclosingMethod follows the body
    for block in text.split("Classfile ")[1:]:
        name = block.split("\n", 1)[0].split("jrt:/", 1)[-1].split("/", 1)[-1].rsplit(".class", 1)[0]
        match = _ENCLOSING.search(block)
        binary = name.replace("/", ".")
        own = re.search(r"^\s*([a-z ]*)#\d+= #\d+ of #\d+;\s*// \w+=class " + re.escape(name.split(".class")[0]) +
                        r" of ", block, re.M)
        if own and "static" in own.group(1):
            for c in classes:
                if c.name == binary:
                    c.inner_static = True
        refs = {int(m.group(1)): (m.group(2), m.group(3).strip('"'), m.group(4)) for m in _BOOTSTRAP.finditer(block)}
        if refs:
            for c in classes:
                if c.name == binary:
                    c.method_refs = refs
        if match:
            descriptor = ""
            pool = re.search(r"EnclosingMethod: #\d+\.#(\d+)", block)
            if pool:
                entry = re.search(rf"^\s*#{pool.group(1)} = NameAndType\s.*// [^:]*:(\([^)]*\))", block, re.M)
                descriptor = entry.group(1) if entry else ""
            for c in classes:
                if c.name == binary:
                    owner = match.group(1).replace("/", ".")
                    c.enclosing = f"{owner}.{match.group(2)}" if match.group(2) else owner
                    c.enclosing_descriptor = descriptor
    return classes


# ---- conversion -------------------------------------------------------------------------------------------------

def split_top(text: str, sep: str = ",") -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def type_params(text: str) -> list[tuple[str, list[str]]]:
    """`<K extends A & B, V>` → [(K, [A, B]), (V, [])] (bounds as written, with their arguments)."""
    out = []
    for part in split_top(text):
        name, _, bounds = part.partition(" extends ")
        out.append((name.strip(), [b.strip() for b in split_top(bounds, "&")] if bounds else []))
    return out


def leading_type_params(text: str) -> tuple[str, str]:
    """(`K, V` , rest) when text starts with `<...>`."""
    if not text.startswith("<"):
        return "", text
    depth = 0
    for i, ch in enumerate(text):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
            if depth == 0:
                return text[1:i], text[i + 1:].strip()
    return "", text


_NAME = re.compile(r"[A-Za-z_$][\w$.]*")


def type_names(text: str) -> list[str]:
    """The names a type mentions, a qualified inner type whole (`Outer<E>.Inner` gives Outer.Inner, then E)."""
    outer, inner, depth, start = [], [], 0, 0
    for i, ch in enumerate(text):
        if ch == "<":
            if depth == 0:
                start = i + 1
            depth += 1
        elif ch == ">":
            depth -= 1
            if depth == 0:
                inner.append(text[start:i])
        elif depth == 0:
            outer.append(ch)
    names = _NAME.findall("".join(outer))
    for part in inner:
        names.extend(type_names(part))
    return names


def head_name(text: str) -> str | None:
    names = type_names(text.strip())
    return names[0] if names else None
def simple_type(text: str) -> str:
    """`java.util.Map$Entry<K, V>[]` → `Entry[]`: a parameter's type as overloads are told apart here."""
    text = re.sub(r"@[\w.$]+(?:\([^)]*\))?", " ", text)
    depth, out = 0, []
    for ch in text:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    flat = "".join(out).replace("...", "[]")
    words = [w for w in re.split(r"\s+", flat.replace("[", " [").strip()) if w and w != "final"]
    base = next((w for w in words if not w.startswith("[")), "")
    dims = "".join(w for w in words if w.startswith("[")).replace(" ", "")
    return re.split(r"[.$]", base)[-1] + dims


def overload_key(params: list[str]) -> str:
    return "(" + ",".join(simple_type(p) for p in params) + ")"


def source_overload_key(signature: str) -> str | None:
    """The overload key of one of our Java signatures (`public <T> T f(final List<T> xs, int... n) throws X`):
    `(List,int[])`; parameter names dropped."""
    text = re.sub(r"@[\w.$]+(?:\([^)]*\))?", " ", signature)
    depth, start = 0, -1
    for i, ch in enumerate(text):
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth -= 1
        elif ch == "(" and depth == 0:
            start = i
            break
    if start < 0:
        return None
    depth, end = 0, -1
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                end = i
                break
    inner = text[start + 1:end if end > 0 else len(text)]
    params = []
    for part in split_top(inner):
        part = part.strip()
        if not part:
            continue
        c_dims = "".join(re.findall(r"\[\s*\]", part[part.rfind(" "):])) if " " in part else ""
        part = re.sub(r"\s*[\w$]+(\s*\[\s*\])*\s*$", "", part)     # the parameter's name (and `x[]`)
        params.append(part + c_dims)
    return overload_key(params)


def node_key(node: dict, key: str) -> str:
    """Compared keys: a method or constructor is known by its FQP and its parameter types (overloads are separate
    nodes in Java), our nodes' from their signatures, the truth's from javap's."""
    if node.get("kind") != "F" or node.get("external"):
        return key
    signature = node.get("signature") or ""
    if signature.startswith("("):
        return key + signature
    found = source_overload_key(signature)
    return key + found if found is not None else key


def descriptor_count(descriptor: str) -> int:
    """How many parameters a JVM descriptor's `(...)` holds."""
    inner = descriptor.strip("()")
    count, i = 0, 0
    while i < len(inner):
        ch = inner[i]
        if ch == "[":
            i += 1
            continue
        if ch == "L":
            i = inner.index(";", i)
        count += 1
        i += 1
    return count


MODIFIERS = frozenset({"public", "private", "protected", "static", "final", "abstract", "synchronized", "native",
                       "transient", "volatile", "strictfp", "default", "sealed", "non-sealed"})


class Converter:
    def __init__(self, home: Path, packages: list[str], workspace: Path) -> None:
        self.home = home
        self.packages = packages
        self.workspace = workspace
        self.t = Truth(LANG)
        self.classes: dict[str, ClassFile] = {}
        self.kinds: dict[str, str] = {}
        self.methods: dict[str, set[str]] = {}   # class FQP -> method names declared (nodes)
        self.overloads: dict[str, dict[str, list[tuple[str, str]]]] = {}   # class -> name -> [(descriptor, key)]
        self.member_sig: dict[tuple[str, str], tuple[str, str]] = {}        # (class, javap header) -> (name, key)
        self.supers: dict[str, list[str]] = {}

    def list_classes(self) -> list[str]:
        listing = run([str(self.home / "bin" / "jimage"), "list", str(self.home / "lib" / "modules")],
                      timeout=600).stdout if which("jimage", [str(self.home / "bin")]) else ""
        wanted = {p.replace(".", "/") + "/" for p in self.packages}
        names = []
        for line in listing.split("\n"):
            line = line.strip()
            if line.endswith(".class") and line.rsplit("/", 1)[0] + "/" in wanted:
                names.append(line[:-6].replace("/", "."))
        if not names:
            raise Unavailable("jimage listed no classes of " + ", ".join(self.packages))
        return sorted(names)

    def run(self) -> Truth:
        for c in javap(self.home, self.list_classes()):
            self.classes[c.name] = c
        named = [c for c in self.classes.values() if c.is_named and c.header]
        for c in named:
            self.kinds[c.fqp] = self.kind_of(c)
        for c in named:
            self.declare(c)
        for package in self.packages:
            node = self.t.node("M", package)
            parent = package.rsplit(".", 1)[0]
            if parent in self.packages:
                self.t.edge(self.t.node("M", parent), "CONTAINS", node)
        for c in self.classes.values():
            if c.header:
                self.calls(c)
        return self.t

    def kind_of(self, c: ClassFile) -> str:
        if "ACC_INTERFACE" in c.flags or "ACC_ANNOTATION" in c.flags:
            return "T"
        if "ACC_ENUM" in c.flags:
            return "E"
        return "S"

    def ref(self, name: str) -> str:
        fqp = name.replace("$", ".")
        kind = self.kinds.get(fqp)
        return self.t.node(kind or "S", fqp, external=kind is None)

    def types(self, text: str, generics: dict[str, str]) -> list[str]:
        out = []
        for token in type_names(text):
            if token in ("extends", "super") or token in PRIMITIVES:
                continue
            if token in generics:
                out.append(generics[token])
            elif "." in token:
                out.append(self.ref(token))
        return list(dict.fromkeys(out))

    def generics(self, owner: str, text: str, outer: dict[str, str]) -> dict[str, str]:
        scope = dict(outer)
        params = type_params(text) if text else []
        for name, _ in params:
            scope[name] = self.t.node("G", f"{owner}.<{name}>", name=name)
        for name, bounds in params:
            for bound in bounds:
                head = _NAME.match(bound.strip())
                if head is None or head.group(0) == "java.lang.Object":
                    continue
                token = head.group(0)
                dst = scope.get(token) if token in scope else self.ref(token)
                self.t.edge(scope[name], "BOUND_BY", dst)
        return scope

    def outer_generics(self, c: ClassFile) -> dict[str, str]:
        """Type parameters in scope in a class: its own and, for inner (non-static) classes, its outers'."""
        return self._class_generics.get(c.fqp, {})

    def declare(self, c: ClassFile) -> None:
        if not hasattr(self, "_class_generics"):
            self._class_generics: dict[str, dict[str, str]] = {}
        fqp = c.fqp
        kind = self.kinds[fqp]
        node = self.t.node(kind, fqp)
        header = c.header
        # header: modifiers kind name<params> extends X implements Y
        match = re.search(r"(?:class|interface)\s+([\w.$]+)(.*)$", header)
        rest = match.group(2).strip() if match else ""
        params, rest = leading_type_params(rest)
        outer = {}
        if "$" in c.name:
            outer_name = c.name.rsplit("$", 1)[0]
            outer = self._class_generics.get(outer_name.replace("$", "."), {})
            if outer_name in self.classes and self.classes[outer_name].is_named:
                self.t.edge(self.t.node(self.kinds.get(outer_name.replace("$", "."), "S"),
                                        outer_name.replace("$", ".")), "CONTAINS", node)
        else:
            package = fqp.rsplit(".", 1)[0]
            self.t.edge(self.t.node("M", package), "CONTAINS", node)
        scope = self.generics(fqp, params, outer)
        self._class_generics[fqp] = scope
        extends = re.search(r"\bextends (.*?)(?: implements |$)", rest)
        implements = re.search(r"\bimplements (.*)$", rest)
        supers = []
        if extends:
            for part in split_top(extends.group(1)):
                name = head_name(part)
                if name is None:
                    continue
                supers.append(name.replace("$", "."))
                if name in IMPLICIT_SUPERS or (kind == "T" and name == "java.lang.annotation.Annotation"):
                    continue
                self.t.edge(node, "EXTENDS", self.ref(name))
        if implements:
            for part in split_top(implements.group(1)):
                name = head_name(part)
                if name is None:
                    continue
                supers.append(name.replace("$", "."))
                self.t.edge(node, "EXTENDS" if kind == "T" else "IMPL", self.ref(name))
        self.supers[fqp] = supers
        simple = c.name.rsplit("$", 1)[-1].rsplit(".", 1)[-1]
        declared = self.methods.setdefault(fqp, set())
        for m in c.members:
            if "ACC_SYNTHETIC" in m.flags or "ACC_BRIDGE" in m.flags:
                continue
            if not m.is_method:
                if "ACC_ENUM" in m.flags:
                    continue
                for dst in self.types(self._strip_modifiers(m.header).rsplit(" ", 1)[0], scope):
                    self.t.edge(node, "USES", dst)
                continue
            if m.header.startswith("static {}") or m.header == "static {}":
                continue
            text = self._strip_modifiers(m.header)
            mparams, text = leading_type_params(text)
            head, _, args = text.partition("(")
            args = args.rsplit(")", 1)[0].replace("...", "[]")
            words = head.strip().rsplit(" ", 1)
            name = words[-1]
            returns = words[0] if len(words) == 2 else ""
            is_ctor = not returns and name.replace("$", ".") == fqp
            if is_ctor:
                name = simple
                outer_name = c.name.rsplit("$", 1)[0] if "$" in c.name else None
                params = split_top(args)
                if outer_name and params and type_names(params[0])[:1] == [outer_name] \
                        and "ACC_STATIC" not in self._inner_flags(c):
                    args = ", ".join(params[1:])          # an inner class's outer instance, added by javac
                if self.implicit_ctor(c, m):   # (an inner class's takes its outer instance: args are no sign)
                    continue
            if kind == "E" and (name == "values" and not args or name == "valueOf" and args == "java.lang.String"):
                continue
            member_fqp = f"{fqp}.{name}"
            signature = overload_key(split_top(args))
            mnode = self.t.node("F", member_fqp, signature=signature)
            declared.add(name)
            self.overloads.setdefault(fqp, {}).setdefault(name, []).append((m.descriptor, signature))
            self.member_sig[(c.name, m.header)] = (name, signature)
            self.t.edge(node, "DEFINES" if kind == "T" else "CONTAINS", mnode)
            mscope = self.generics(member_fqp, mparams, scope)
            for dst in self.types(args, mscope):
                self.t.edge(mnode, "ACCEPTS", dst)
            if returns:
                for dst in self.types(returns, mscope):
                    self.t.edge(mnode, "RETURNS", dst)

    def _inner_flags(self, c: ClassFile) -> set[str]:
        """The class's own flags as its InnerClasses entry gives them (`static` is only there)."""
        return {"ACC_STATIC"} if c.inner_static else set()

    def _strip_modifiers(self, header: str) -> str:
        words = header.split(" ")
        while words and words[0] in MODIFIERS:
            words.pop(0)
        text = " ".join(words)
        return text.split(" throws ", 1)[0]

    def implicit_ctor(self, c: ClassFile, m: Member) -> bool:
        """A constructor javac made up (no constructor in the source): its first line is the class's header."""
        if not m.lines or not c.source:
            return False
        lines = self._source_lines(c)
        if not lines or m.lines[0] > len(lines):
            return False
        simple = c.name.rsplit("$", 1)[-1].rsplit(".", 1)[-1]
        return re.search(rf"\b(class|enum|record)\s+{re.escape(simple)}\b", lines[m.lines[0] - 1]) is not None

    def _source_lines(self, c: ClassFile) -> list[str]:
        if not hasattr(self, "_sources"):
            self._sources: dict[str, list[str]] = {}
        package = c.name.rsplit(".", 1)[0]
        path = self.workspace / package.replace(".", "/") / c.source
        key = str(path)
        if key not in self._sources:
            try:
                self._sources[key] = path.read_text("utf-8", "replace").split("\n")
            except OSError:
                self._sources[key] = []
        return self._sources[key]

    # ---- calls ----

    def find_method(self, owner: str, name: str, descriptor: str, depth: int = 0) -> tuple[str, str] | None:
        """(FQP, overload key) of the method a call names: by name and parameter descriptor, in the owner class or
        its supertypes; a method of the same name and parameter count when the descriptor is a bridge's."""
        if depth > 20:
            return None
        overloads = self.overloads.get(owner, {}).get(name)
        if overloads:
            exact = [sig for desc, sig in overloads if desc == descriptor]
            if exact:
                return f"{owner}.{name}", exact[0]
            count = descriptor_count(descriptor)
            same = [sig for desc, sig in overloads if descriptor_count(desc) == count]
            if len(same) == 1:
                return f"{owner}.{name}", same[0]
        for parent in self.supers.get(owner, ()):
            found = self.find_method(parent, name, descriptor, depth + 1)
            if found:
                return found
        return None

    def source_method(self, c: ClassFile, m: Member, depth: int = 0) -> tuple[str, str, str] | None:
        """(class FQP, name, overload key) of the method whose source holds the code of `m`: itself, the method a
        lambda's body (`lambda$m$0`) stands in, the method an anonymous or local class stands in."""
        if depth > 10:
            return None
        if c.is_named:
            text = self._strip_modifiers(m.header)
            _, text = leading_type_params(text)
            name = text.partition("(")[0].strip().rsplit(" ", 1)[-1]
            if name.startswith("lambda$"):
                for other in c.members:                  # the member whose invokedynamic makes this lambda
                    if any(c.method_refs.get(i, ("", "", ""))[1] == name for i in other.indy):
                        return self.source_method(c, other, depth + 1)
                return None
            if "ACC_SYNTHETIC" in m.flags or "ACC_BRIDGE" in m.flags:
                return None
            found = self.member_sig.get((c.name, m.header))
            return (c.fqp, *found) if found else None
        if not c.enclosing or "." not in c.enclosing:
            return None
        owner, _, method = c.enclosing.rpartition(".")
        owner_fqp = owner.replace("$", ".")
        name = method.strip('"')
        if name == "<init>":
            name = owner.rsplit("$", 1)[-1].rsplit(".", 1)[-1]
        overloads = self.overloads.get(owner_fqp, {}).get(name, [])
        exact = [sig for desc, sig in overloads if desc == c.enclosing_descriptor]
        if exact:
            return owner_fqp, name, exact[0]
        if len(overloads) == 1:
            return owner_fqp, name, overloads[0][1]
        return None

    def call_target(self, fqp: str, call_owner: str, call_name: str, descriptor: str) -> tuple[str, str] | None:
        target_owner = call_owner.replace("/", ".").replace("$", ".") if call_owner else fqp
        if call_name == "<init>":
            simple = target_owner.rsplit(".", 1)[-1]
            return self.find_method(target_owner, simple, descriptor, depth=20)
        return self.find_method(target_owner, call_name, descriptor)

    def calls(self, c: ClassFile) -> None:
        fqp = c.fqp
        for m in c.members:
            if not m.is_method or not (m.calls or m.indy):
                continue
            source = self.source_method(c, m)
            if source is None:
                continue
            owner_fqp, name, signature = source
            src = self.t.node("F", f"{owner_fqp}.{name}", signature=signature)
            targets = list(m.calls)
            for index in m.indy:                         # method references (`Foo::bar`, `this::bar`, `Foo::new`)
                ref = c.method_refs.get(index)
                if ref is not None and not ref[1].startswith("lambda$"):
                    targets.append(ref)
            for call_owner, call_name, descriptor in targets:
                target = self.call_target(fqp, call_owner, call_name, descriptor)
                if target is not None:
                    self.t.edge(src, "CALLS", self.t.node("F", target[0], signature=target[1]))
