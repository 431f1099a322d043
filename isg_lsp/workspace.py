"""Which files of a workspace are indexed: the walk, exclusions, `.gitignore`, and reading files safely.

Everything here is untrusted input (docs/security.md): a `.gitignore` is read only when it is a regular file (not
a link: git 2.32+ does not follow in-tree `.gitignore` links either), at most ``GITIGNORE_LIMIT`` bytes, and its
patterns are matched by pathspec's RE2 backend, in linear time (``*a*a*a*a*a*a*a*a*b`` against a long name took
pathspec's default backend minutes); a `.gitignore` that cannot be read or compiled is left out, alone. Source files
are read only when regular (a FIFO named `x.rs` would block the reader forever), bounded by ``max_file_bytes``.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from . import languages, safety

log = logging.getLogger(__name__)

DEFAULT_EXCLUDE = ("target/", "node_modules/", ".git/", ".isg/", ".hg/", ".svn/", "__pycache__/", ".venv/", "venv/")
BINARY_SNIFF_BYTES = 8192
GITIGNORE_LIMIT = 1024 * 1024


_STAR_RUNS = re.compile(r"\*+")


def _spec(lines: list[str]) -> pathspec.PathSpec:
    """Gitignore-style patterns, matched in linear time (RE2, the `google-re2` wheel). Without RE2 (a platform
    without the wheel), pathspec's own backend backtracks: patterns with more than two runs of `*` are left out."""
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines, backend="re2")
    except (ImportError, ValueError, TypeError) as error:  # no RE2 on this platform
        log.debug("pathspec's RE2 backend is unavailable (%s)", error)
    kept = [line for line in lines if len(_STAR_RUNS.findall(line)) <= 2]
    if len(kept) < len(lines):
        log.warning(
            "without RE2, %d ignore patterns with more than two runs of '*' are left out", len(lines) - len(kept)
        )
    return pathspec.GitIgnoreSpec.from_lines(kept)


@dataclass
class WorkspaceConfig:
    """What to index. Built from the CLI's flags or the server's initialization options."""

    exclude: list[str] = field(default_factory=lambda: list(DEFAULT_EXCLUDE))
    use_gitignore: bool = True
    max_file_bytes: int = 2_000_000


def walk(root: Path, config: WorkspaceConfig | None = None) -> list[str]:
    """Workspace-relative, `/`-separated paths of the source files to index, sorted.

    The walk never follows a directory link (so link loops end) and keeps a file link only when it points inside
    the workspace.
    """
    config = config or WorkspaceConfig()
    root = root.resolve()
    exclude = _spec(config.exclude)
    found: list[str] = []
    ignores: list[tuple[str, pathspec.PathSpec]] = []  # (folder relative to root, its .gitignore)
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        abs_dir = root / rel_dir if rel_dir else root
        if config.use_gitignore:
            spec = _read_gitignore(abs_dir / ".gitignore")
            if spec is not None:
                ignores.append((rel_dir, spec))
        try:
            entries = sorted(os.scandir(abs_dir), key=lambda e: e.name)
        except OSError as error:
            log.warning("cannot list %s: %s", abs_dir, error)
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                continue
            probe = rel + "/" if is_dir else rel
            if exclude.match_file(probe) or _ignored(probe, ignores):
                continue
            if is_dir:
                stack.append(rel)
                continue
            if languages.language_for_path(entry.name) is None:
                continue
            try:
                if not entry.is_file():  # a FIFO, a socket, a device or a dangling link
                    log.info("skipping %s: not a regular file", rel)
                    continue
            except OSError:
                continue
            if is_link and not _inside(root, Path(entry.path)):
                log.info("skipping %s: a link pointing outside the workspace", rel)
                continue
            found.append(rel)
    found.sort()
    return found


def is_excluded(root: Path, rel: str, config: WorkspaceConfig) -> bool:
    """Whether one path would be left out by `walk` (used for files changed on disk)."""
    exclude = _spec(config.exclude)
    if exclude.match_file(rel):
        return True
    parts = rel.split("/")
    for i in range(1, len(parts)):
        if exclude.match_file("/".join(parts[:i]) + "/"):
            return True
    if config.use_gitignore:
        ignores = []
        for i in range(len(parts)):
            folder = "/".join(parts[:i])
            spec = _read_gitignore((root / folder / ".gitignore") if folder else root / ".gitignore")
            if spec is not None:
                ignores.append((folder, spec))
        for i in range(1, len(parts)):
            if _ignored("/".join(parts[:i]) + "/", ignores):
                return True
        if _ignored(rel, ignores):
            return True
    return languages.language_for_path(rel) is None


def _read_gitignore(path: Path) -> pathspec.PathSpec | None:
    try:
        lines = safety.read_bounded(path, GITIGNORE_LIMIT, follow=False).decode("utf-8", "replace").splitlines()
    except safety.UnsafePath as error:
        log.warning("ignoring %s: %s", path, error.strerror)
        return None
    except OSError:
        return None
    try:
        return _spec(lines)
    except Exception as error:  # noqa: BLE001 - one bad ignore file costs that file only
        log.warning("ignoring %s: its patterns cannot be compiled (%s)", path, error)
        return None


def _ignored(rel: str, ignores: list[tuple[str, pathspec.PathSpec]]) -> bool:
    for folder, spec in ignores:
        if folder and not rel.startswith(folder + "/"):
            continue
        inner = rel[len(folder) + 1 :] if folder else rel
        if spec.match_file(inner):
            return True
    return False


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError, RuntimeError):
        return False
    return True


@dataclass
class SourceFile:
    data: bytes | None
    content_hash: bytes
    size: int
    mtime_ns: int
    skipped: str | None = None  # why the file's content is not indexed


def read_source(root: Path, rel: str, max_bytes: int) -> SourceFile:
    """Reads one file as UTF-8 bytes for tree-sitter; binary, huge, unreadable or irregular files (FIFOs, devices,
    links out of the workspace) come back skipped. Never blocks (safety.read_bounded)."""
    path = root / rel
    try:
        stat = path.stat()
    except OSError as error:
        return SourceFile(None, b"", 0, 0, f"cannot stat: {error.strerror or error}")
    if not safety.is_regular_file(path):
        return SourceFile(None, _stat_hash(stat), 0, stat.st_mtime_ns, "not a regular file")
    if stat.st_size > max_bytes:
        return SourceFile(None, _stat_hash(stat), stat.st_size, stat.st_mtime_ns, f"larger than {max_bytes} bytes")
    if path.is_symlink() and not _inside(root.resolve(), path):
        return SourceFile(
            None, _stat_hash(stat), stat.st_size, stat.st_mtime_ns, "a link pointing outside the workspace"
        )
    try:
        data = safety.read_bounded(path, max_bytes)
    except safety.UnsafePath as error:
        return SourceFile(None, _stat_hash(stat), stat.st_size, stat.st_mtime_ns, error.strerror or str(error))
    except OSError as error:
        return SourceFile(None, b"", stat.st_size, stat.st_mtime_ns, f"cannot read: {error.strerror or error}")
    raw_hash = content_hash(data)
    text, why = normalize_source(data)
    return SourceFile(text, content_hash(text) if text is not None else raw_hash, stat.st_size, stat.st_mtime_ns, why)


def normalize_source(data: bytes) -> tuple[bytes | None, str | None]:
    """UTF-8 for tree-sitter, as an editor shows the text: UTF-16 files are transcoded, a UTF-8 byte order mark is
    dropped (editors do not count it in positions); binary data is refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return None, "undecodable UTF-16"
        return (data[3:] if data.startswith(b"\xef\xbb\xbf") else data), None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None, "binary content"
    return data, None


def content_hash(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def _stat_hash(stat: os.stat_result) -> bytes:
    return hashlib.blake2b(f"{stat.st_size}:{stat.st_mtime_ns}".encode(), digest_size=16).digest()


def database_location_allowed(path: Path, root: Path) -> bool:
    """Whether a database path from settings may be used: inside the workspace or the user's cache folder
    (``~/.cache/isg-lsp``), links followed. Settings can come from the workspace (`.vscode/settings.json`), and a
    database at a path of the attacker's choosing would be moved aside and overwritten (docs/security.md)."""
    folder = path.parent
    return safety.inside(folder, root) or safety.inside(folder, safety.user_cache_dir())
