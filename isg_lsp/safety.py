"""Files from an untrusted workspace, read and written without being led astray (docs/security.md).

- ``read_bounded``: a regular file, at most ``limit`` bytes, never blocking (a FIFO or a device named like a source
  file or a `.gitignore` is refused, not read: `/dev/zero` is endless, a FIFO blocks the reader forever).
- ``check_private_file`` / ``open_private``: a file isg-lsp writes (its database, the database's lock, enrichment)
  must be a regular file of ours with one link; a symbolic link, a hard link, a device or a file of another user is
  never opened for writing (``O_NOFOLLOW``, then ``fstat`` of what was opened).
- ``user_secret``: a per-user secret (``$XDG_STATE_HOME/isg-lsp/secret``, mode 0600) that stamps what isg-lsp wrote,
  so that a database or an enrichment file that came with a checkout is recognised as foreign and never trusted.
- ``user_cache_dir``: where settings may put databases outside a workspace.
"""

from __future__ import annotations

import errno
import hashlib
import hmac
import logging
import os
import secrets
import stat
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

CONFIG_FILE_LIMIT = 4 * 1024 * 1024  # Cargo.toml, tsconfig.json, go.mod, .gitignore: more is refused
SOURCE_READ_LIMIT = 64 * 1024 * 1024  # a source file read for its lines or text (hover, context, sync)


class UnsafePath(OSError):
    """A path isg-lsp refuses to read or write; the message says why."""


def _nonblocking_flags(follow: bool) -> int:
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow:
        flags |= os.O_NOFOLLOW
    return flags


def read_bounded(path: Path | str, limit: int, follow: bool = True) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. Raises ``UnsafePath`` for anything else (a FIFO, a
    device, a folder, a larger file, a symbolic link when ``follow`` is false) and ``OSError`` when it cannot be
    read. Opening never blocks (``O_NONBLOCK``), and the file that was opened is the one checked (``fstat``)."""
    try:
        fd = os.open(path, _nonblocking_flags(follow))
    except OSError as error:
        if error.errno == errno.ELOOP and not follow:
            raise UnsafePath(errno.ELOOP, "a symbolic link", str(path)) from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(errno.EINVAL, "not a regular file", str(path))
        if st.st_size > limit:
            raise UnsafePath(errno.EFBIG, f"larger than {limit} bytes", str(path))
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:  # grew while read
            raise UnsafePath(errno.EFBIG, f"larger than {limit} bytes", str(path))
        return data
    finally:
        os.close(fd)


def read_file(path: Path | str, limit: int = SOURCE_READ_LIMIT) -> bytes:
    """A workspace file's bytes for its text (never a FIFO or a device, never blocking); ``OSError`` otherwise."""
    return read_bounded(path, limit)


def read_config_text(path: Path | str, limit: int = CONFIG_FILE_LIMIT) -> str:
    """A small text file of the workspace (a manifest, an ignore file), bounded; ``OSError`` when refused."""
    return read_bounded(path, limit).decode("utf-8", "replace")


def is_regular_file(path: Path | str) -> bool:
    """Whether the path (followed) is a regular file: FIFOs, sockets and devices are not."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


# ---- files isg-lsp writes -----------------------------------------------------------------------------------------


def problem_with(st: os.stat_result) -> str | None:
    """Why a file isg-lsp writes must not be used as it is (None when it may)."""
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link"
    if not stat.S_ISREG(st.st_mode):
        return "not a regular file"
    if st.st_uid != os.geteuid():
        return f"owned by another user (uid {st.st_uid})"
    if st.st_nlink > 1:
        return "a hard link"
    return None


def check_private_file(path: Path | str) -> str | None:
    """Why an existing file isg-lsp would write must not be used (None when it is absent or fine); never follows a
    symbolic link."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    return problem_with(st)


def check_private_dir(path: Path | str) -> str | None:
    """Why a folder isg-lsp writes into must not be used (None when it is fine or absent)."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return "a symbolic link"
    if not stat.S_ISDIR(st.st_mode):
        return "not a folder"
    if st.st_uid != os.geteuid():
        return f"owned by another user (uid {st.st_uid})"
    return None


def open_private(path: Path | str, flags: int = os.O_RDWR | os.O_CREAT, mode: int = 0o600) -> int:
    """Opens (creating when asked) a file isg-lsp writes, never through a symbolic link; checks what was opened
    (a regular file of ours, one link) before anything is written to it. Raises ``UnsafePath``."""
    try:
        fd = os.open(path, flags | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0) | os.O_NONBLOCK, mode)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise UnsafePath(errno.ELOOP, "a symbolic link", str(path)) from None
        raise
    why = problem_with(os.fstat(fd))
    if why is not None:
        os.close(fd)
        raise UnsafePath(errno.EPERM, why, str(path))
    return fd


def write_private(path: Path, data: bytes) -> None:
    """Replaces a file isg-lsp owns with ``data``: written to a fresh temporary file (``O_EXCL``, never through a
    link) and renamed over the target (a rename replaces a link, it never writes through it)."""
    folder = path.parent
    why = check_private_dir(folder)
    if why is not None:
        raise UnsafePath(errno.EPERM, why, str(folder))
    tmp = folder / f".{path.name}.{secrets.token_hex(6)}.tmp"
    fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        os.unlink(tmp)
        raise
    os.close(fd)
    os.replace(tmp, path)


def make_private_dir(path: Path) -> None:
    """Creates a folder isg-lsp writes into (mode 0700), or checks an existing one; ``UnsafePath`` when it is a
    link, not a folder, or another user's."""
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
    why = check_private_dir(path)
    if why is not None:
        raise UnsafePath(errno.EPERM, why, str(path))


# ---- the per-user secret ------------------------------------------------------------------------------------------

_SECRET: bytes | None = None
_SECRET_LOCK = threading.Lock()


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or ""
    return (Path(base) if base.startswith("/") else Path.home() / ".local" / "state") / "isg-lsp"


def user_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or ""
    return (Path(base) if base.startswith("/") else Path.home() / ".cache") / "isg-lsp"


def user_secret() -> bytes:
    """This user's secret (32 random bytes, created once, mode 0600). When it cannot be kept (no writable home),
    a secret for this process only: stamps then hold for this process, and databases are rebuilt at each start."""
    global _SECRET
    with _SECRET_LOCK:
        if _SECRET is None:
            try:
                _SECRET = _load_or_create_secret(state_dir() / "secret")
            except OSError as error:
                log.warning(
                    "cannot keep a secret in %s (%s): databases are trusted for this process only", state_dir(), error
                )
                _SECRET = secrets.token_bytes(32)
        return _SECRET


def _load_or_create_secret(path: Path) -> bytes:
    for _attempt in range(5):
        try:
            data = read_bounded(path, 4096, follow=False)
            st = os.lstat(path)
            why = problem_with(st)
            if why == "a hard link":  # another process is linking it into place right now
                time.sleep(0.05)
                continue
            if why is not None:
                raise UnsafePath(errno.EPERM, why, str(path))
            if st.st_mode & 0o077:
                os.chmod(path, 0o600)
            if len(data) >= 32:
                return data
        except FileNotFoundError:
            pass
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(f".secret.{os.getpid()}.{secrets.token_hex(4)}")
        fd = open_private(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
        try:
            os.write(fd, secrets.token_bytes(32))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic, and never replaces a secret another process just made
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    raise UnsafePath(errno.EPERM, "cannot create the secret", str(path))


def stamp(purpose: str, data: bytes) -> str:
    """A hex HMAC of ``data`` under this user's secret: proves that this user's isg-lsp wrote it."""
    return hmac.new(user_secret(), purpose.encode() + b"\0" + data, hashlib.sha256).hexdigest()


def stamp_ok(purpose: str, data: bytes, claimed: object) -> bool:
    return isinstance(claimed, str) and hmac.compare_digest(stamp(purpose, data), claimed)


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` (resolved, links followed) lies inside ``folder`` (resolved)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True
