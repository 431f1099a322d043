"""Unpacking downloaded archives works, and stays inside its folder, on Pythons with and without tarfile's filters."""

from __future__ import annotations

import io
import sys
import tarfile
from pathlib import Path

import pytest

from bench.archives import HAS_DATA_FILTER, UnsafeArchive, extract_tar

WAYS = [False] + ([True] if HAS_DATA_FILTER else [])


def make_tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            elif kind == "file":
                info.size = len(payload)
                info.mode = 0o4777 if name.endswith(".sh") else 0o666
                tar.addfile(info, io.BytesIO(payload))
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = payload
                tar.addfile(info)
    return path


@pytest.mark.parametrize("use_filter", WAYS)
def test_an_ordinary_archive_unpacks(tmp_path, use_filter):
    archive = make_tar(tmp_path / "a.tgz", [("package", "dir", None), ("package/src/a.py", "file", b"x = 1\n"),
                                            ("package/run.sh", "file", b"#!/bin/sh\n")])
    with tarfile.open(archive) as tar:
        extract_tar(tar, tmp_path / "out", use_filter=use_filter)
    assert (tmp_path / "out/package/src/a.py").read_bytes() == b"x = 1\n"
    mode = (tmp_path / "out/package/run.sh").stat().st_mode
    assert mode & 0o4000 == 0 and mode & 0o022 == 0 and mode & 0o100


@pytest.mark.parametrize("use_filter", WAYS)
@pytest.mark.parametrize("members", [
    [("../escaped.txt", "file", b"no")],
    [("/tmp/isg-absolute-escape.txt", "file", b"no")],
    [("package/link", "symlink", "OUTSIDE"), ("package/link/escaped.txt", "file", b"no")],
    [("package/up", "symlink", "../.."), ("package/up/escaped.txt", "file", b"no")],
], ids=["dotdot", "absolute", "link-out", "link-up"])
def test_nothing_lands_outside_the_folder(tmp_path, members, use_filter):
    outside = tmp_path / "outside"
    outside.mkdir()
    members = [(name, kind, str(outside) if payload == "OUTSIDE" else payload) for name, kind, payload in members]
    archive = make_tar(tmp_path / "evil.tgz", members)
    out = tmp_path / "deep" / "out"
    out.mkdir(parents=True)
    with tarfile.open(archive) as tar:
        try:
            extract_tar(tar, out, use_filter=use_filter)
        except (UnsafeArchive, tarfile.TarError):
            pass    # refusing is fine; the fallback may also skip the link and unpack the rest inside
    escaped = [p for p in tmp_path.rglob("*") if p.name == "escaped.txt" and out not in p.parents]
    assert escaped == [] and not Path("/tmp/isg-absolute-escape.txt").exists()


@pytest.mark.parametrize("members", [[("../escaped.txt", "file", b"no")], [("/abs.txt", "file", b"no")]],
                         ids=["dotdot", "absolute"])
def test_the_fallback_refuses_escaping_names(tmp_path, members):
    archive = make_tar(tmp_path / "evil.tgz", members)
    with tarfile.open(archive) as tar, pytest.raises(UnsafeArchive):
        extract_tar(tar, tmp_path / "out", use_filter=False)


def test_the_default_matches_what_this_python_has():
    assert HAS_DATA_FILTER == (sys.version_info >= (3, 11, 4))
