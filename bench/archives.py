"""Unpacking downloaded archives safely on every Python the project supports.

`TarFile.extractall(filter="data")` refuses members that would land outside the target folder (absolute names,
`..`, links pointing out, devices). The `filter` argument exists from Python 3.11.4 (and 3.8.17, 3.9.17, 3.10.12)
on, but the package supports 3.11.0 and later, and Debian 12 ships 3.11.2. On those, `extract_tar` does the same
checks itself and unpacks only folders and regular files (what sdists and npm tarballs hold), with safe permissions.
"""

from __future__ import annotations

import os
import tarfile
from pathlib import Path, PurePosixPath

HAS_DATA_FILTER = hasattr(tarfile, "data_filter")


class UnsafeArchive(ValueError):
    pass


def extract_tar(archive: tarfile.TarFile, target: Path, use_filter: bool | None = None) -> None:
    """Unpacks `archive` into `target`; raises `UnsafeArchive` (or tarfile's own FilterError) for a member that
    would escape it. `use_filter` forces one way or the other (tests check both); by default the standard library's
    filter is used where it exists."""
    if HAS_DATA_FILTER if use_filter is None else use_filter:
        archive.extractall(target, filter="data")
        return
    root = Path(target).resolve()
    root.mkdir(parents=True, exist_ok=True)
    for member in archive.getmembers():
        name = PurePosixPath(member.name)
        if name.is_absolute() or member.name.startswith(("/", "\\")) or ".." in name.parts or \
                (os.sep != "/" and ":" in member.name):
            raise UnsafeArchive(f"{member.name!r} would be unpacked outside {root}")
        destination = (root / Path(*name.parts)).resolve() if name.parts else root
        if destination != root and root not in destination.parents:
            raise UnsafeArchive(f"{member.name!r} would be unpacked outside {root} (through a link)")
        if member.isdir():
            destination.mkdir(parents=True, exist_ok=True)
        elif member.isfile():
            destination.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            with source, open(destination, "wb") as out:
                while chunk := source.read(1 << 20):
                    out.write(chunk)
            # as the "data" filter does: no set-id bits, no group or other write bits
            os.chmod(destination, 0o755 if member.mode & 0o100 else 0o644)
        # links, devices and fifos are skipped: the archives we unpack (sdists, npm tarballs) need none
