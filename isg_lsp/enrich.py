"""Semantic enrichment (the seeds' "level 3"): what a compiler knows that the syntax does not, added to the ISG.

``isg-lsp enrich PATH --rustdoc-json FILE`` reads rustdoc's JSON of a crate of the workspace
(`RUSTC_BOOTSTRAP=1 cargo rustdoc -- -Z unstable-options --output-format json --document-private-items`) and writes
``PATH/.isg/enrich/rust.json``: the IMPL relations the compiler sees (impls written by macros, derives, impls whose
names only resolve through re-exports), each as a pair of absolute paths. ``load(graph, root)`` turns that file into
one more ``FileFacts`` of the workspace (path ``.isg/enrich/rust.json``, lang ``rust``) whose references carry those
absolute paths: the Rust resolver settles them like any other reference, as ``exact`` edges between the workspace's
nodes (or to an external node with the compiler's path), and graph surgery keeps working, since the enrichment is
an ordinary file's facts: replacing or removing it replaces or removes exactly its edges, and an edit that removes
a node an enrichment edge pointed at re-resolves it through the usual dependency tracking. Nothing of this runs on
the edit path: the file is read once, when the workspace is loaded or the command is run again.

The rustdoc JSON format changes between versions; the reader accepts the old shape (``{"kind": K, "inner": ...}``,
string ids) and the new one (``{"inner": {K: ...}}``, integer ids).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from .model import EdgeKind, FileFacts, Reference

ENRICH_PATH = ".isg/enrich/rust.json"
VERSION = 1
# marker traits the compiler adds next to derives: not written anywhere
COMPILER_MARKERS = frozenset({"StructuralPartialEq", "StructuralEq", "TrivialClone"})


def _variant(obj):
    if isinstance(obj, dict):
        kind = obj.get("kind")
        if isinstance(kind, str) and "inner" in obj:
            return kind, obj["inner"]
        if len(obj) == 1:
            key = next(iter(obj))
            return key, obj[key]
    return None, obj


def _item_kind(item: dict):
    if isinstance(item.get("kind"), str):
        return item["kind"], item.get("inner") or {}
    return _variant(item.get("inner"))


def _path(obj) -> dict | None:
    if not isinstance(obj, dict):
        return None
    if "id" in obj and ("path" in obj or "name" in obj):
        return obj
    kind, inner = _variant(obj)
    return inner if kind == "resolved_path" and isinstance(inner, dict) else None


def _head(type_) -> dict | None:
    """The named type an impl is for (`&Foo<T>` gives Foo); None for generics, primitives, tuples."""
    for _ in range(8):
        kind, inner = _variant(type_)
        if kind == "resolved_path":
            return _path(type_)
        if kind == "borrowed_ref":
            type_ = inner.get("type")
        elif kind in ("slice",):
            type_ = inner
        elif kind == "array":
            type_ = inner.get("type")
        else:
            return None
    return None


def impl_pairs(doc: dict) -> list[dict]:
    """The IMPL relations of a rustdoc JSON document, as absolute paths: [{"src", "dst", "derived"}]. Impls the
    compiler makes up (auto traits, blanket impls shown on each type) and negative impls are left out."""
    index = {str(k): v for k, v in doc.get("index", {}).items()}
    paths = {str(k): v for k, v in doc.get("paths", {}).items()}

    def fqp(path: dict) -> str | None:
        entry = paths.get(str(path.get("id")))
        if entry and entry.get("path"):
            return "::".join(entry["path"])
        return None

    found: dict[tuple[str, str], dict] = {}
    for item in index.values():
        if item.get("crate_id", 0) != 0:
            continue
        kind, inner = _item_kind(item)
        if kind != "impl" or not isinstance(inner, dict) or not inner.get("trait"):
            continue
        if (
            inner.get("is_synthetic")
            or inner.get("synthetic")
            or inner.get("blanket_impl") is not None
            or inner.get("is_negative")
            or inner.get("negative")
        ):
            continue
        head = _head(inner.get("for"))
        trait = _path(inner.get("trait"))
        if head is None or trait is None:
            continue
        src, dst = fqp(head), fqp(trait)
        if src is None or dst is None or dst.rsplit("::", 1)[-1] in COMPILER_MARKERS:
            continue
        derived = "automatically_derived" in json.dumps(item.get("attrs") or [])
        found[(src, dst)] = {"src": src, "dst": dst, "derived": derived}
    return [found[k] for k in sorted(found)]


def build(root: Path, rustdoc_json: Path, graph=None) -> dict:
    """The enrichment record of a workspace from rustdoc's JSON; with a ``graph``, only relations it lacks (by the
    source's FQP and the trait's last path segment) are kept."""
    doc = json.loads(Path(rustdoc_json).read_text("utf-8"))
    pairs = impl_pairs(doc)
    if graph is not None:
        known = set()
        for edge in graph.edges():
            if edge.kind is EdgeKind.IMPL:
                src, dst = graph.nodes[edge.src], graph.nodes[edge.dst]
                known.add((src.fqp, dst.fqp.rsplit("::", 1)[-1]))
        pairs = [p for p in pairs if (p["src"], p["dst"].rsplit("::", 1)[-1]) not in known]
    return {
        "version": VERSION,
        "lang": "rust",
        "source": "rustdoc",
        "format_version": doc.get("format_version"),
        "crate": doc.get("index", {}).get(str(doc.get("root")), {}).get("name")
        if isinstance(doc.get("index"), dict)
        else None,
        "impls": pairs,
    }


STAMP_PURPOSE = "isg-lsp enrichment"


def _body(record: dict) -> bytes:
    return json.dumps({k: v for k, v in record.items() if k != "stamp"}, sort_keys=True).encode("utf-8")


def _stamp(record: dict) -> str:
    from . import safety

    return safety.stamp(STAMP_PURPOSE, _body(record))


def write(root: Path, record: dict) -> Path:
    """Writes the record, stamped with this user's secret (``load`` trusts only stamped files: one that came with
    a checkout is ignored), never through a link (safety.py)."""
    from . import safety

    target = Path(root) / ENRICH_PATH
    safety.make_private_dir(target.parent.parent)
    safety.make_private_dir(target.parent)
    record = dict(record, stamp=_stamp(record))
    safety.write_private(target, (json.dumps(record, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    return target


def facts(record: dict) -> FileFacts:
    """The enrichment as one file's facts: references from absolute paths, resolved as `exact` by the resolver."""
    text = json.dumps(record, sort_keys=True).encode("utf-8")
    out = FileFacts(
        path=ENRICH_PATH, lang=record.get("lang", "rust"), content_hash=hashlib.blake2b(text, digest_size=16).digest()
    )
    for pair in record.get("impls", []):
        src = tuple(pair["src"].split("::"))
        dst = tuple(pair["dst"].split("::"))
        out.references.append(
            Reference(
                EdgeKind.IMPL, src[0], "trait", ("", *dst), src_path=("", *src), derived=bool(pair.get("derived"))
            )
        )
    return out


MAX_BYTES = 64 * 1024 * 1024


def _is_path(value) -> bool:
    return isinstance(value, str) and 0 < len(value) < 2000 and all(value.split("::"))


def load(graph, root: Path) -> FileFacts | None:
    """Adds the workspace's enrichment file (when there is one) to a graph, by graph surgery. Only a file this
    user's `isg-lsp enrich` wrote (its stamp) is loaded: a committed one would add `exact` edges nobody asked for.
    A file that cannot be read or makes no sense is left out (it never fails the index)."""
    import logging

    from . import safety

    path = Path(root) / ENRICH_PATH
    if not os.path.lexists(path):
        return None
    try:
        record = json.loads(safety.read_bounded(path, MAX_BYTES, follow=False))
        if not isinstance(record, dict) or record.get("version") != VERSION:
            return None
        if not safety.stamp_ok(STAMP_PURPOSE, _body(record), record.get("stamp")):
            logging.getLogger(__name__).warning(
                "ignoring %s: it was not written by `isg-lsp enrich` for this user (it may have come with the "
                "workspace); run `isg-lsp enrich` to make one",
                path,
            )
            return None
        impls = record.get("impls")
        record["impls"] = (
            [p for p in impls if isinstance(p, dict) and _is_path(p.get("src")) and _is_path(p.get("dst"))]
            if isinstance(impls, list)
            else []
        )
        enrichment = facts(record)
    except (OSError, ValueError, TypeError, AttributeError, KeyError, RecursionError) as error:
        logging.getLogger(__name__).warning("ignoring %s: %s", path, error)
        return None
    graph.replace_file(enrichment)
    return enrichment


# ---- running rustdoc itself (`isg-lsp enrich --cargo`) ----------------------------------------------------------
# The compiler's facts in one command where a Rust toolchain is installed: stable rustc with RUSTC_BOOTSTRAP=1 (its
# JSON output is unstable), private and hidden items, every feature when that builds (else the default ones),
# offline. A crate whose dependencies are not in cargo's own cache is built from a copy (dev-dependencies dropped,
# since Debian packages few of them) with Debian's registry (/usr/share/cargo/registry) standing in for crates.io.
# bench/accuracy/rust.py builds its ground truth with these same functions.

DEBIAN_REGISTRY = Path("/usr/share/cargo/registry")
RUSTDOC_FLAGS = [
    "--",
    "-Z",
    "unstable-options",
    "--output-format",
    "json",
    "--document-private-items",
    "--document-hidden-items",
]


class CargoError(RuntimeError):
    """rustdoc JSON could not be had; the message says why and what to do."""


def find_cargo() -> str | None:
    """The first `cargo` on PATH, else rustup's (~/.cargo/bin), else None."""
    found = shutil.which("cargo")
    if found:
        return found
    candidate = Path("~/.cargo/bin/cargo").expanduser()
    return str(candidate) if candidate.is_file() and os.access(candidate, os.X_OK) else None


def toolchain_version(cargo: str) -> str:
    rustc = shutil.which("rustc", path=str(Path(cargo).parent)) or shutil.which("rustc") or "rustc"
    try:
        return subprocess.run([rustc, "--version"], capture_output=True, text=True, timeout=60).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "rustc (version unknown)"


def lib_name(crate_dir: Path) -> str | None:
    """The library crate's name (`[lib] name`, else `[package] name`, `-` read as `_`); None without a library."""
    try:
        data = tomllib.loads((crate_dir / "Cargo.toml").read_text("utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    package = data.get("package") or {}
    lib = data.get("lib") or {}
    name = lib.get("name") or package.get("name")
    if not name or not isinstance(name, str):
        return None
    lib_path = lib.get("path") or "src/lib.rs"
    if not (crate_dir / lib_path).is_file():
        return None
    return name.replace("-", "_")


def prepare_copy(source: Path, work: Path) -> Path:
    """A buildable copy of a crate in `work`: no dev-dependencies (nor benches, tests, examples), no pinned
    toolchain, a workspace of its own."""
    target = work / source.name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target, symlinks=False, ignore=shutil.ignore_patterns(".git", "target", ".isg"))
    (target / "rust-toolchain.toml").unlink(missing_ok=True)
    (target / "rust-toolchain").unlink(missing_ok=True)
    (target / "Cargo.lock").unlink(missing_ok=True)
    manifest = target / "Cargo.toml"
    kept, skipping = [], False
    for line in manifest.read_text("utf-8").splitlines():
        header = re.match(r"^\s*\[+([^\]]+)\]+\s*$", line)
        if header:
            skipping = "dev-dependencies" in header.group(1) or header.group(1).strip() in (
                "workspace",
                "bench",
                "test",
                "example",
            )
        if not skipping:
            kept.append(line)
    manifest.write_text("\n".join(kept) + "\n\n[workspace]\n", "utf-8")
    return target


def debian_cargo_home(work: Path, registry: Path = DEBIAN_REGISTRY) -> Path:
    """A CARGO_HOME whose crates.io is Debian's registry folder (a directory source), offline."""
    home = work / "cargo-home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        '[source.crates-io]\nreplace-with = "debian"\n[source.debian]\ndirectory = "%s"\n[net]\noffline = true\n'
        % registry,
        "utf-8",
    )
    return home


def run_rustdoc(
    crate_dir: Path,
    cargo: str,
    target_dir: Path,
    cargo_home: Path | None = None,
    echo: bool = False,
    locked: bool = False,
) -> tuple[Path, str]:
    """`cargo rustdoc --lib` with JSON output for one crate, offline: every feature, else the default ones.
    Returns (the JSON file, "all" or "default"); raises CargoError with cargo's own words when neither builds."""
    env = dict(
        os.environ,
        RUSTC_BOOTSTRAP="1",
        CARGO_TARGET_DIR=str(target_dir),
        RUSTFLAGS="--cap-lints=allow",
        RUSTDOCFLAGS="--cap-lints=allow",
    )
    if cargo_home is not None:
        env["CARGO_HOME"] = str(cargo_home)
    if "/.cargo/bin" in cargo:
        env["PATH"] = str(Path(cargo).parent) + os.pathsep + env.get("PATH", "")
    errors = []
    for features, extra in (("all", ["--all-features"]), ("default", [])):
        command = [
            cargo,
            "rustdoc",
            "--lib",
            "--offline",
            *(["--locked"] if locked else []),
            *extra,
            *([] if echo else ["-q"]),
            *RUSTDOC_FLAGS,
        ]
        try:
            proc = subprocess.run(
                command,
                cwd=crate_dir,
                env=env,
                text=True,
                timeout=3600,
                stdout=subprocess.DEVNULL,
                stderr=None if echo else subprocess.PIPE,
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise CargoError(f"cannot run {cargo}: {error}") from None
        if proc.returncode == 0:
            name = lib_name(crate_dir)
            doc = target_dir / "doc" / f"{name}.json"
            if not doc.is_file():
                raise CargoError(f"rustdoc wrote no JSON for {crate_dir.name} (looked for {doc})")
            return doc, features
        errors.append((proc.stderr or "").strip())
    raise CargoError(_explain(errors[-1] or errors[0]))


def _explain(stderr: str) -> str:
    """cargo's failure in one paragraph, with what to do when dependencies are missing."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    excerpt = "\n".join(lines[-8:])
    if re.search(
        r"offline|no matching package|failed to (select|load|download)|unable to update|"
        r"failed to get .* as a dependency",
        stderr,
    ):
        return (
            "its dependencies are not available offline (run `cargo fetch` in the crate, or install Debian's "
            "librust-*-dev packages of them):\n" + excerpt
        )
    return excerpt or "cargo failed without a message"


def cargo_crates(root: Path, start: Path) -> list[Path]:
    """The library crates at or under `start` (their folders holding a Cargo.toml), outside target/ and .isg/."""
    found = []
    for manifest in sorted(start.rglob("Cargo.toml")):
        parts = manifest.relative_to(start).parts
        if any(p in ("target", ".isg", ".git") for p in parts):
            continue
        if lib_name(manifest.parent) is not None:
            found.append(manifest.parent)
    return found


def rustdoc_for_crates(root: Path, crates: list[Path], progress=None) -> list[tuple[Path, Path, str]]:
    """rustdoc JSON of each crate: [(crate folder, JSON file, features)]. Each is built in place (its target dir in
    PATH/.isg/enrich/target) with cargo's own cache, else from a copy with Debian's registry standing in for
    crates.io (when there is one). Raises CargoError when there is no toolchain or when no crate builds."""
    cargo = find_cargo()
    if cargo is None:
        raise CargoError(
            "no Rust toolchain found: `cargo` is neither on PATH nor in ~/.cargo/bin (install one with "
            "rustup, or Debian's `cargo` and `rustc` packages), so rustdoc cannot be run"
        )
    work = Path(root) / ".isg" / "enrich"
    out, failures = [], []
    say = progress or (lambda message: None)
    say(f"toolchain: {toolchain_version(cargo)} ({cargo})")
    for number, crate in enumerate(crates, 1):
        label = f"[{number}/{len(crates)}] {crate.name}"
        attempts = []
        if os.access(crate, os.W_OK) and (crate / "Cargo.lock").is_file():
            # where it stands, as locked: nothing written in the tree (the target dir is ours)
            attempts.append(("in place", lambda c=crate: run_rustdoc(c, cargo, work / "target", locked=True)))

        def from_copy(c=crate, home=None):
            copy = prepare_copy(c, work / "src")
            return run_rustdoc(copy, cargo, work / ("target-debian" if home else "target-copy"), home)

        attempts.append(("a copy, cargo's cache", from_copy))
        if DEBIAN_REGISTRY.is_dir():
            attempts.append(("a copy, Debian's registry", lambda c=crate: from_copy(c, debian_cargo_home(work))))
        last = None
        for how, attempt in attempts:
            say(f"{label}: cargo rustdoc ({how})")
            try:
                doc, features = attempt()
            except CargoError as error:
                last = error
                continue
            out.append((crate, doc, features))
            say(f"{label}: rustdoc JSON, {features} features")
            last = None
            break
        if last is not None:
            failures.append(f"{crate.name}: {last}")
            say(f"{label}: failed")
    if not out:
        raise CargoError("rustdoc JSON could not be built for any crate:\n" + "\n".join(failures))
    for failure in failures:
        print(f"isg-lsp: skipped {failure}", file=sys.stderr)
    return out


def build_many(root: Path, docs: list[Path], graph=None) -> dict:
    """One enrichment record from several crates' rustdoc JSON (their IMPL relations together)."""
    records = [build(root, doc, graph) for doc in docs]
    impls: dict[tuple[str, str], dict] = {}
    for record in records:
        for pair in record["impls"]:
            impls[(pair["src"], pair["dst"])] = pair
    return {
        "version": VERSION,
        "lang": "rust",
        "source": "rustdoc",
        "format_version": next((r["format_version"] for r in records if r.get("format_version")), None),
        "crate": ",".join(sorted(str(r["crate"]) for r in records if r.get("crate"))),
        "impls": [impls[k] for k in sorted(impls)],
    }
