"""The benchmark's corpora: real code fetched from the package registries into ``bench/.cache/`` (never committed),
and seeded synthetic Rust workspaces (``synthetic.py``).

Real corpora (each a folder of source files, built once and reused while its ``.ready`` stamp stands):

- ``rust-10k``: serde, from Debian's ``librust-serde-dev``;
- ``rust-100k``: syn and gimli (``librust-syn-dev``, ``librust-gimli-dev``);
- ``rust-500k``: many crates (the Debian packages below; the set the test command's crates pull in and more);
- ``java-100k``: part of the JDK's own sources (``openjdk-17-source``'s ``src.zip``: ``java.base``'s ``java.util``,
  ``java.io``, ``java.nio``, ``java.time``, ``java.lang`` packages until ~100K lines);
- ``ts-130k``: TypeScript sources shipped in npm packages (``rxjs``'s ``src/`` and ``effect``'s ``src/``, pinned);
- ``python-100k``: Python sdists from PyPI (``pip download --no-binary :all: --no-deps``, pinned).

Debian packages are fetched with ``apt-get download`` and unpacked with ``dpkg-deb -x`` into the cache (no root, the
system is not changed); when the package is already installed its files are copied from the system instead.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from . import synthetic

CACHE = Path(__file__).resolve().parent / ".cache"
CORPORA = CACHE / "corpora"
DOWNLOADS = CACHE / "downloads"
CARGO_REGISTRY = Path("/usr/share/cargo/registry")
JDK_SRC_ZIP = Path("/usr/lib/jvm/openjdk-17/lib/src.zip")

RUST_SMALL = ["librust-serde-dev"]
RUST_MEDIUM = ["librust-syn-dev", "librust-gimli-dev"]
RUST_LARGE = [
    "librust-addr2line-dev", "librust-adler-dev", "librust-ahash-0.7-dev", "librust-anyhow-dev",
    "librust-arbitrary-dev", "librust-autocfg-dev", "librust-backtrace-dev", "librust-bumpalo-dev", "librust-cc-dev",
    "librust-cfg-if-dev", "librust-compiler-builtins-dev", "librust-const-random-dev",
    "librust-const-random-macro-dev", "librust-crc32fast-dev", "librust-crossbeam-channel-dev",
    "librust-crossbeam-deque-dev", "librust-crossbeam-epoch-dev", "librust-crossbeam-utils-dev",
    "librust-crunchy-dev", "librust-ctor-dev", "librust-derive-arbitrary-dev", "librust-either-dev",
    "librust-erased-serde-dev", "librust-fallible-iterator-dev", "librust-flate2-dev", "librust-getrandom-dev",
    "librust-gimli-dev", "librust-hashbrown-dev", "librust-indexmap-dev", "librust-lazy-static-dev",
    "librust-libc-dev", "librust-lock-api-dev", "librust-log-dev", "librust-memchr-dev", "librust-memoffset-dev",
    "librust-miniz-oxide-dev", "librust-num-cpus-dev", "librust-object-dev", "librust-once-cell-dev",
    "librust-owning-ref-dev", "librust-parking-lot-core-dev", "librust-ppv-lite86-dev",
    "librust-proc-macro-hack-dev", "librust-proc-macro2-dev", "librust-quickcheck-dev", "librust-quote-dev",
    "librust-rand-chacha-dev", "librust-rand-core-dev", "librust-rand-dev", "librust-rayon-core-dev",
    "librust-rayon-dev", "librust-rustc-demangle-dev", "librust-scopeguard-dev", "librust-serde-derive-dev",
    "librust-serde-dev", "librust-smallvec-dev", "librust-spin-dev", "librust-stable-deref-trait-dev",
    "librust-sval-dev", "librust-syn-dev", "librust-tiny-keccak-dev", "librust-unicode-ident-dev",
    "librust-value-bag-dev", "librust-version-check-dev",
]
JAVA_PACKAGES = ["java.base/java/util", "java.base/java/io", "java.base/java/nio", "java.base/java/time",
                 "java.base/java/lang", "java.base/java/net", "java.base/java/text"]
NPM_PACKAGES = [("rxjs@7.8.1", "package/src/"), ("effect@3.10.0", "package/src/")]
PYPI_PACKAGES = ["requests==2.32.3", "flask==3.0.3", "werkzeug==3.0.3", "jinja2==3.1.4", "click==8.1.7",
                 "rich==13.7.1"]


@dataclass
class Corpus:
    name: str
    lang: str
    path: Path
    files: int = 0
    loc: int = 0                   # lines holding something other than white space (what the engine counts)
    bytes: int = 0
    sources: list[str] = field(default_factory=list)   # where it came from, with versions
    synthetic: bool = False
    error: str | None = None

    def as_dict(self) -> dict:
        return {"name": self.name, "lang": self.lang, "path": str(self.path), "files": self.files, "loc": self.loc,
                "bytes": self.bytes, "sources": self.sources, "synthetic": self.synthetic, "error": self.error}


EXTENSIONS = {"rust": (".rs",), "java": (".java",), "typescript": (".ts",), "python": (".py",)}


def count(path: Path, lang: str) -> tuple[int, int, int]:
    """(files, non-blank lines, bytes) of a corpus's source files."""
    files = loc = size = 0
    for dirpath, _dirs, names in os.walk(path):
        for name in names:
            if name.endswith(EXTENSIONS[lang]):
                data = (Path(dirpath) / name).read_bytes()
                files += 1
                size += len(data)
                loc += sum(1 for line in data.split(b"\n") if line.strip())
    return files, loc, size


def _stamp(corpus: Corpus) -> None:
    (corpus.path / ".ready").write_text("\n".join(corpus.sources) + "\n")


def _ready(path: Path) -> list[str] | None:
    stamp = path / ".ready"
    if stamp.is_file():
        return stamp.read_text().split("\n")[:-1]
    return None


def _finish(corpus: Corpus) -> Corpus:
    corpus.files, corpus.loc, corpus.bytes = count(corpus.path, corpus.lang)
    return corpus


def _fresh(path: Path) -> None:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)


# ---- Debian crates --------------------------------------------------------------------------------------------

def _deb_version(package: str) -> str | None:
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status} ${Version}", package], capture_output=True, text=True)
    if out.returncode == 0 and out.stdout.startswith("install ok installed"):
        return out.stdout.rsplit(" ", 1)[-1]
    return None


def _crate_dirs_of_installed(package: str) -> list[Path]:
    out = subprocess.run(["dpkg-query", "-L", package], capture_output=True, text=True)
    dirs = set()
    for line in out.stdout.splitlines():
        p = Path(line)
        if p.parent == CARGO_REGISTRY:
            dirs.add(p)
    return sorted(dirs)


def _fetch_debs(packages: list[str], log) -> list[str]:
    """Crate folders of the packages: copied from the system when installed, else downloaded and unpacked."""
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    missing = []
    for package in packages:
        if not _deb_version(package) and not glob.glob(str(DOWNLOADS / f"{package}_*.deb")):
            missing.append(package)
    if missing:
        log(f"  apt-get download {' '.join(missing)}")
        run = subprocess.run(["apt-get", "download", *missing], cwd=DOWNLOADS, capture_output=True, text=True)
        if run.returncode != 0:
            log("  apt-get download failed; running apt-get update once")
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True)
            run = subprocess.run(["apt-get", "download", *missing], cwd=DOWNLOADS, capture_output=True, text=True)
            if run.returncode != 0:
                raise RuntimeError(f"apt-get download failed: {run.stderr.strip()[-300:]}")
    return missing


def build_rust(name: str, packages: list[str], log) -> Corpus:
    path = CORPORA / name
    corpus = Corpus(name, "rust", path)
    sources = _ready(path)
    if sources is not None:
        corpus.sources = sources
        return _finish(corpus)
    _fetch_debs(packages, log)
    _fresh(path)
    for package in packages:
        version = _deb_version(package)
        if version:
            for crate_dir in _crate_dirs_of_installed(package):
                shutil.copytree(crate_dir, path / crate_dir.name, symlinks=False, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns(".cargo-checksum.json"))
            corpus.sources.append(f"{package}={version} (installed)")
            continue
        deb = sorted(glob.glob(str(DOWNLOADS / f"{package}_*.deb")))[-1]
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["dpkg-deb", "-x", deb, tmp], check=True)
            for crate_dir in sorted(Path(tmp, "usr/share/cargo/registry").glob("*")):
                if crate_dir.is_dir():
                    shutil.copytree(crate_dir, path / crate_dir.name, symlinks=False, dirs_exist_ok=True)
        corpus.sources.append(f"{package}={Path(deb).name.split('_')[1]}")
    _stamp(corpus)
    return _finish(corpus)


# ---- the JDK --------------------------------------------------------------------------------------------------

def build_java(name: str, budget_loc: int, log) -> Corpus:
    path = CORPORA / name
    corpus = Corpus(name, "java", path)
    sources = _ready(path)
    if sources is not None:
        corpus.sources = sources
        return _finish(corpus)
    src_zip = JDK_SRC_ZIP
    version = _deb_version("openjdk-17-source")
    if not src_zip.is_file():
        DOWNLOADS.mkdir(parents=True, exist_ok=True)
        debs = glob.glob(str(DOWNLOADS / "openjdk-17-source_*.deb"))
        if not debs:
            log("  apt-get download openjdk-17-source (about 47 MB)")
            subprocess.run(["apt-get", "download", "openjdk-17-source"], cwd=DOWNLOADS, check=True,
                           capture_output=True)
            debs = glob.glob(str(DOWNLOADS / "openjdk-17-source_*.deb"))
        unpacked = DOWNLOADS / "openjdk-17-source"
        if not unpacked.is_dir():
            subprocess.run(["dpkg-deb", "-x", sorted(debs)[-1], str(unpacked)], check=True)
        found = list(unpacked.rglob("src.zip"))
        if not found:
            raise RuntimeError("openjdk-17-source has no src.zip")
        src_zip = found[0]
        version = Path(sorted(debs)[-1]).name.split("_")[1]
    _fresh(path)
    loc = 0
    with zipfile.ZipFile(src_zip) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".java"))
        for prefix in JAVA_PACKAGES:
            for member in names:
                if not member.startswith(prefix + "/") or loc >= budget_loc:
                    continue
                data = archive.read(member)
                target = path / member
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                loc += sum(1 for line in data.split(b"\n") if line.strip())
    corpus.sources.append(f"openjdk-17-source={version} ({', '.join(JAVA_PACKAGES)}, first {budget_loc} lines)")
    _stamp(corpus)
    return _finish(corpus)


# ---- npm ------------------------------------------------------------------------------------------------------

def build_typescript(name: str, budget_loc: int, log) -> Corpus:
    path = CORPORA / name
    corpus = Corpus(name, "typescript", path)
    sources = _ready(path)
    if sources is not None:
        corpus.sources = sources
        return _finish(corpus)
    DOWNLOADS.mkdir(parents=True, exist_ok=True)
    _fresh(path)
    loc = 0
    for spec, prefix in NPM_PACKAGES:
        package, version = spec.rsplit("@", 1)
        tgz = DOWNLOADS / f"{package.replace('/', '-').lstrip('@')}-{version}.tgz"
        if not tgz.is_file():
            log(f"  npm pack {spec}")
            subprocess.run(["npm", "pack", spec, "--silent"], cwd=DOWNLOADS, check=True, capture_output=True)
        with tarfile.open(tgz) as archive:
            for member in sorted(archive.getmembers(), key=lambda m: m.name):
                if not (member.isfile() and member.name.startswith(prefix) and member.name.endswith(".ts")
                        and not member.name.endswith(".d.ts")) or loc >= budget_loc:
                    continue
                data = archive.extractfile(member).read()
                target = path / package / member.name[len("package/"):]
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                loc += sum(1 for line in data.split(b"\n") if line.strip())
        corpus.sources.append(f"npm {spec} ({prefix[len('package/'):]})")
    _stamp(corpus)
    return _finish(corpus)


# ---- PyPI -----------------------------------------------------------------------------------------------------

def build_python(name: str, log) -> Corpus:
    path = CORPORA / name
    corpus = Corpus(name, "python", path)
    sources = _ready(path)
    if sources is not None:
        corpus.sources = sources
        return _finish(corpus)
    sdists = DOWNLOADS / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    wanted = []
    for spec in PYPI_PACKAGES:
        package, version = spec.split("==")
        if not glob.glob(str(sdists / f"{package}-{version}.tar.gz")) and not glob.glob(
                str(sdists / f"{package.capitalize()}-{version}.tar.gz")):
            wanted.append(spec)
    if wanted:
        log(f"  pip download --no-binary :all: --no-deps {' '.join(wanted)}")
        subprocess.run(["python3", "-m", "pip", "download", "--no-binary", ":all:", "--no-deps", "-q",
                        "--disable-pip-version-check", "-d", str(sdists), *wanted], check=True, capture_output=True)
    _fresh(path)
    for spec in PYPI_PACKAGES:
        package, version = spec.split("==")
        found = glob.glob(str(sdists / f"{package}-{version}.tar.gz")) or glob.glob(
            str(sdists / f"{package.capitalize()}-{version}.tar.gz"))
        with tarfile.open(found[0]) as archive:
            for member in archive.getmembers():
                if member.isfile() and member.name.endswith(".py"):
                    data = archive.extractfile(member).read()
                    target = path / member.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(data)
        corpus.sources.append(f"pypi {spec} (sdist)")
    _stamp(corpus)
    return _finish(corpus)


def build_synthetic(name: str, log=print) -> Corpus:
    """The corpus ``synthetic-<size>`` in the cache, generated (``synthetic.py``) when missing or made by another
    generator."""
    loc = synthetic.SIZES[name]
    path = CACHE / "synthetic" / name
    info = _synthetic_info(path, loc)
    if info is None:
        # generated aside and moved into place: processes that ask at once (bench.edits_ab's two workers on a clean
        # checkout) each generate their own, and the first in place is the one all use
        log(f"  generating {name} (seed 7)")
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=path.parent))
        try:
            synthetic.generate(aside / name, loc)
            if _synthetic_info(path, loc) is None:
                shutil.rmtree(path, ignore_errors=True)  # another generator's version, if any
                try:
                    (aside / name).rename(path)
                except OSError:  # another process moved its own into place first
                    pass
        finally:
            shutil.rmtree(aside, ignore_errors=True)
        info = _synthetic_info(path, loc)
        if info is None:
            raise RuntimeError(f"{name}: generated, but no valid corpus at {path}")
    result = Corpus(name, "rust", path, synthetic=True,
                    sources=[f"bench.synthetic seed={info['seed']} loc={loc} generator={synthetic.GENERATOR_VERSION}"])
    result.files, result.loc, result.bytes = count(path, "rust")
    return result


def _synthetic_info(path: Path, loc: int) -> dict | None:
    """The stamp of a synthetic corpus made by this generator at this size, else None."""
    stamp = path / ".synthetic.json"
    if not stamp.is_file():
        return None
    info = json.loads(stamp.read_text())
    if info.get("generator") != synthetic.GENERATOR_VERSION or info.get("loc_target") != loc:
        return None
    return info


# ---- the catalogue --------------------------------------------------------------------------------------------

REAL = {
    "rust-10k": lambda log: build_rust("rust-10k", RUST_SMALL, log),
    "rust-100k": lambda log: build_rust("rust-100k", RUST_MEDIUM, log),
    "rust-500k": lambda log: build_rust("rust-500k", RUST_LARGE, log),
    "java-100k": lambda log: build_java("java-100k", 110_000, log),
    "ts-130k": lambda log: build_typescript("ts-130k", 130_000, log),
    "python-100k": lambda log: build_python("python-100k", log),
}


def get(name: str, log=print) -> Corpus:
    """Builds (or reuses) one corpus; a corpus that cannot be fetched comes back with ``error`` set."""
    if name.startswith("synthetic-"):
        return build_synthetic(name, log)
    try:
        return REAL[name](log)
    except Exception as error:  # noqa: BLE001 - a registry that cannot be reached costs its corpus only
        return Corpus(name, name.split("-")[0].replace("ts", "typescript"), CORPORA / name,
                      error=f"{type(error).__name__}: {error}")


__all__ = ["Corpus", "get", "count", "REAL", "CACHE"]

