"""An editor over a shared base (docs/team-index.md): which files of the working copy differ from the snapshot a
PostgreSQL store holds, so that only those are indexed locally and shadow the base.

git answers when the workspace is a repository that knows the base commit (``git diff`` against it, plus untracked
files); otherwise, and for any file whose size differs from the base's record, the content hash decides. A file the
base does not have, or one that cannot be read, is indexed locally.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from .workspace import read_source

if TYPE_CHECKING:
    from .store import StoredFile


def git(root: Path, *args: str) -> str | None:
    """A git command's output in the workspace, or None (not a repository, no git, an unknown commit)."""
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            timeout=120,
            check=False,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "surrogateescape")


def head_commit(root: Path) -> str | None:
    out = git(root, "rev-parse", "--verify", "-q", "HEAD")
    return out.strip() if out else None


def resolve_commit(root: Path, commit: str) -> str:
    """A ref or an abbreviated hash, as the full hash the local repository knows (else as given)."""
    if commit.startswith("-"):
        return commit
    out = git(root, "rev-parse", "--verify", "-q", "--end-of-options", commit + "^{commit}")
    return out.strip() if out else commit


def changed_since(root: Path, commit: str) -> set[str] | None:
    """Workspace-relative paths that differ from ``commit`` in the working copy (tracked changes, staged or not,
    and untracked files); None when git cannot tell."""
    if commit.startswith("-"):
        return None
    diff = git(root, "diff", "--name-only", "--no-renames", "--relative", "-z", "--end-of-options", commit, "--")
    if diff is None:
        return None
    untracked = git(root, "ls-files", "--others", "--exclude-standard", "-z")
    if untracked is None:
        return None
    return {p for p in (diff + untracked).split("\0") if p}


def unchanged_files(
    root: Path, commit: str, files: list[str], stored: dict[str, StoredFile], max_bytes: int
) -> set[str]:
    """The files of ``files`` whose content is the base's: by git when it knows the commit, else (and whenever the
    size differs from the base's record) by content hash."""
    changed = changed_since(root, commit)
    same: set[str] = set()
    for rel in files:
        old = stored.get(rel)
        if old is None:
            continue
        try:
            size = os.stat(root / rel).st_size
        except OSError:
            continue
        if changed is not None and rel not in changed and size == old.size:
            same.add(rel)
            continue
        if changed is not None and rel in changed:
            continue
        if size == old.size and read_source(root, rel, max_bytes).content_hash == old.hash:
            same.add(rel)
    return same
