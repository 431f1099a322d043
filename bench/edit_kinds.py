"""The benchmark's three kinds of edit, written in each language: a statement typed into a function's body, a
parameter added to a function's signature, and a type implementing an interface appended to the file.

`bench.measure` (edit → graph ready in-process, the mixed run's writer) and `bench.lsp_latency` (edits through a
real client) take their edits from here, so every corpus is edited the same way whatever its language. Each edit
is returned as bytes (the new text and the byte range it replaced), which both callers turn into what they need:
a tree edit for the incremental parse, or an LSP range and its undo.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KINDS = ("body", "signature", "impl")


@dataclass(frozen=True)
class Language:
    name: str
    extensions: tuple[str, ...]
    function: re.Pattern            # a line opening a function whose body starts on the next line
    statement: str                  # typed into the body (``{i}``: the edit's number; ``{indent}``: the body's)
    parameter: str                  # added to the parameter list
    implementation: str             # appended: a type implementing ``{trait}`` (``{i}``: the edit's number)
    default_trait: str              # the interface ``impl`` edits implement in ``bench.measure``
    saved: str                      # appended by the mixed run's writer: a new top-level item
    declaration: re.Pattern         # a line declaring or implementing a type (definition/references are asked there)


LANGUAGES = {
    "rust": Language(
        "rust", (".rs",),
        re.compile(r"^(\s*)(pub(\([^)]*\))?\s+)?((const|async|unsafe|extern\s+\"\w+\")\s+)*fn\s+\w+[^;]*\{\s*$"),
        "{indent}    let bench_{i} = {i};\n",
        "bench_{i}: u32",
        "\npub struct BenchEdit{i};\nimpl {trait} for BenchEdit{i} {{}}\n",
        "Clone",
        "\nfn bench_saved_{i}() {{}}\n",
        re.compile(r"\s*(pub(\([^)]*\))?\s+)?(unsafe\s+)?(impl|trait)\b"),
    ),
    "java": Language(
        "java", (".java",),
        re.compile(r"^(\s*)(@\w+\s+)*((public|protected|private|static|final|synchronized|abstract|default|native)\s+)*"
                   r"(<[^>]*>\s+)?[\w.<>\[\], ?]+\s+\w+\s*\([^;{}]*\)\s*(throws\s+[\w., ]+)?\s*\{\s*$"),
        "{indent}    int bench_{i} = {i};\n",
        "int bench_{i}",
        "\nclass BenchEdit{i} implements {trait} {{\n}}\n",
        "Runnable",
        "\nclass BenchSaved{i} {{\n}}\n",
        re.compile(r".*\b(class|interface|enum|record|implements|extends)\b"),
    ),
    "typescript": Language(
        "typescript", (".ts", ".tsx", ".mts", ".cts"),
        re.compile(r"^(\s*)(?!\s)(?!(if|for|while|switch|catch|return|else|do|with|new|await|yield|super|this)\b)"
                   r"((export|default|async|public|private|protected|static|readonly|override|function)\s+)*"
                   r"\*?\s*\w+\s*(<[^>]*>)?\s*\([^;{}]*\)\s*(:\s*[^;{}=]+)?\{\s*$"),
        "{indent}  const bench_{i} = {i};\n",
        "bench_{i}: number",
        "\nexport class BenchEdit{i} implements {trait} {{\n}}\n",
        "Iterable<number>",
        "\nexport function benchSaved{i}(): void {{}}\n",
        re.compile(r".*\b(class|interface|implements|extends)\b"),
    ),
    "javascript": Language(
        "javascript", (".js", ".jsx", ".mjs", ".cjs"),
        re.compile(r"^(\s*)(export\s+)?(default\s+)?(async\s+)?function\*?\s+\w+\s*\([^;{}]*\)\s*\{\s*$"),
        "{indent}  const bench_{i} = {i};\n",
        "bench_{i}",
        "\nexport class BenchEdit{i} extends {trait} {{\n}}\n",
        "Error",
        "\nexport function benchSaved{i}() {{}}\n",
        re.compile(r".*\b(class|extends)\b"),
    ),
    "python": Language(
        "python", (".py", ".pyi"),
        re.compile(r"^(\s*)(async\s+)?def\s+\w+\s*\([^()]*(\([^()]*\)[^()]*)*\)\s*(->\s*[^:]+)?:\s*$"),
        "{indent}    bench_{i} = {i}\n",
        "bench_{i}=0",
        "\n\nclass BenchEdit{i}({trait}):\n    pass\n",
        "Exception",
        "\n\ndef bench_saved_{i}():\n    pass\n",
        re.compile(r"\s*class\s+\w+"),
    ),
    "go": Language(
        "go", (".go",),
        re.compile(r"^(\s*)func\s+(\([^)]*\)\s*)?\w+\s*(\[[^\]]*\])?\s*\([^{}]*\)[^{}]*\{\s*$"),
        "{indent}\tbench_{i} := {i}\n{indent}\t_ = bench_{i}\n",
        "bench_{i} int",
        "\ntype BenchEdit{i} struct{{}}\n\nfunc (BenchEdit{i}) Error() string {{ return \"\" }}\n",
        "error",
        "\nfunc benchSaved{i}() {{}}\n",
        re.compile(r"\s*type\s+\w+"),
    ),
}


def language_of(path: str) -> Language | None:
    for language in LANGUAGES.values():
        if path.endswith(language.extensions):
            return language
    return None


def main_language(files: list[str]) -> Language | None:
    """The language most of the files are written in."""
    counts: dict[str, int] = {}
    for f in files:
        language = language_of(f)
        if language is not None:
            counts[language.name] = counts.get(language.name, 0) + 1
    if not counts:
        return None
    return LANGUAGES[max(sorted(counts), key=lambda name: counts[name])]


def function_lines(language: Language, lines: list[str]) -> list[int]:
    """The lines that open a function whose body follows on the next lines."""
    return [n for n, line in enumerate(lines) if n + 1 < len(lines) and language.function.match(line)]


def make_edit(language: Language, data: bytes, kind: str, i: int, pick: int | None = None,
              trait: str | None = None):
    """(new data, start byte, old end byte, new end byte) of one edit of ``kind``, or (None, 0, 0, 0) when the
    file has no place for it. ``pick`` chooses among the file's functions (by default the first one past a third
    of the file, as the benchmark always did); ``trait`` is the interface an ``impl`` edit implements."""
    text = data.decode("utf-8", errors="surrogateescape")
    if kind == "impl":
        at = len(data)
        added = language.implementation.format(i=i, trait=trait or language.default_trait).encode()
        return data + added, at, at, at + len(added)
    lines = text.split("\n")
    found = function_lines(language, lines)
    if not found:
        return None, 0, 0, 0
    if pick is None:
        third = text.count("\n", 0, len(text) // 3)
        line = next((n for n in found if n >= third), found[0])
    else:
        line = found[pick % len(found)]
    opening = lines[line]
    if kind == "body":
        indent = language.function.match(opening).group(1)
        at = _byte_offset(lines, line + 1)
        added = language.statement.format(i=i, indent=indent).encode()
        return data[:at] + added + data[at:], at, at, at + len(added)
    # signature: the parameter goes first in the list, or last in Python (a `self` stays first)
    head = opening
    if language.name == "go":
        named = re.match(r"\s*func\s+(\([^)]*\)\s*)?\w+\s*(\[[^\]]*\])?\s*\(", head)
        paren = named.end() - 1
    else:
        paren = head.find("(")
    if paren < 0:
        return None, 0, 0, 0
    parameter = language.parameter.format(i=i)
    if language.name == "python":
        close = _closing(head, paren)
        inside = head[paren + 1:close].strip()
        column = close
        added_text = (", " + parameter) if inside else parameter
    else:
        column = paren + 1
        added_text = parameter if head[column:column + 1] == ")" else parameter + ", "
    at = _byte_offset(lines, line) + len(head[:column].encode("utf-8", errors="surrogateescape"))
    added = added_text.encode()
    return data[:at] + added + data[at:], at, at, at + len(added)


def _byte_offset(lines: list[str], line: int) -> int:
    return sum(len(x.encode("utf-8", errors="surrogateescape")) + 1 for x in lines[:line])


def _closing(text: str, paren: int) -> int:
    depth = 0
    for k in range(paren, len(text)):
        if text[k] == "(":
            depth += 1
        elif text[k] == ")":
            depth -= 1
            if depth == 0:
                return k
    return len(text)


def saved_item(language: Language, i: int) -> bytes:
    return language.saved.format(i=i).encode()
