"""Answers an agent can trust (issue #18), on real crates from Debian (installed by the test command), through the
CLI: targets as users write them, external traits as targets, external implementors with their crate and impl site,
empty answers that say why, impact that stops at hubs, cycles that honour `exclude heuristic`."""

from __future__ import annotations

import json

import pytest

from isg_lsp.cli import main as cli_main
from tests.helpers import debian_crate

pytestmark = pytest.mark.realcode


def query(capsys, crate: str, db, text: str, as_json: bool = True):
    argv = ["query", str(debian_crate(crate)), "--db", str(db)] + (["--json"] if as_json else []) + [text]
    assert cli_main(argv) == 0
    out = capsys.readouterr().out
    return json.loads(out) if as_json else out


@pytest.fixture(scope="module")
def dbs(tmp_path_factory):
    return tmp_path_factory.mktemp("answers")


def test_serde_public_path_and_external_implementors(capsys, dbs):
    answer = query(capsys, "serde", dbs / "serde.db", "who-implements serde::Serialize")
    (target,) = answer["targets"]
    assert target["how"] == "public path" and [s["fqp"] for s in target["symbols"]] == ["serde::ser::Serialize"]
    rows = {r["fqp"]: r for r in answer["rows"]}
    assert len(rows) >= 25 and "serde::__private::ser::content::Content" in rows
    # a std type implementing the trait: the crate it comes from and the file where its impl is written
    assert rows["Option"]["from"] == "std (prelude)" and rows["Option"]["file"] == "src/ser/impls.rs"
    assert rows["Option"]["line"] is not None
    text = query(capsys, "serde", dbs / "serde.db", "who-implements serde::Serialize", as_json=False)
    assert text.splitlines()[0] == ("target: serde::Serialize = serde::ser::Serialize (trait, src/ser/mod.rs:"
                                    f"{target['symbols'][0]['line']}) (a public path)")
    assert "\tfrom" in text.splitlines()[1]


def test_erased_serde_bare_name_is_never_a_silent_empty_answer(capsys, dbs):
    """erased-serde's `Serialize` has one impl, `impl<T> Serialize for T where T: serde::Serialize`: a blanket impl
    over a type parameter, which names no type. The answer says what the name resolved to and why it is empty."""
    text = query(capsys, "erased-serde", dbs / "erased.db", "who-implements Serialize", as_json=False)
    lines = text.splitlines()
    # the name is the crate's own trait and serde's (an external node: erased-serde names serde::Serialize)
    assert lines[0].startswith("target: 'Serialize' names 2 symbols: erased_serde::ser::Serialize (trait, src/ser.rs:")
    assert lines[0].endswith("; serde::Serialize (external trait, from serde)")
    assert lines[1] == "(no results)"
    assert lines[2].startswith("note: nothing in the graph implements erased_serde::ser::Serialize (trait); ")
    assert "blanket impls over a type parameter" in lines[2]
    assert lines[3].startswith("note: nothing in the graph implements serde::Serialize (external trait); ")
    source = (debian_crate("erased-serde") / "src" / "ser.rs").read_text()
    assert "impl<T> Serialize for T" in source
    # the trait and the struct named `Serializer`: who-implements keeps the trait and says it left the struct out
    answer = query(capsys, "erased-serde", dbs / "erased.db", "who-implements Serializer")
    (target,) = answer["targets"]
    assert [s["fqp"] for s in target["symbols"]] == ["erased_serde::ser::Serializer", "serde::Serializer"]
    assert target["setAside"] == ["erased_serde::ser::erase::Serializer"]


def test_tokio_public_paths_and_bare_names(capsys, dbs):
    db = dbs / "tokio.db"
    answer = query(capsys, "tokio", db, "who-implements tokio::io::AsyncRead")
    (target,) = answer["targets"]
    assert [s["fqp"] for s in target["symbols"]] == ["tokio::io::async_read::AsyncRead"]
    found = {r["fqp"] for r in answer["rows"]}
    assert {"tokio::net::tcp::stream::TcpStream", "tokio::fs::file::File"} <= found
    by_name = query(capsys, "tokio", db, "who-implements AsyncRead")
    assert {r["fqp"] for r in by_name["rows"]} == found
    spawn = query(capsys, "tokio", db, "callers tokio::spawn exclude heuristic")
    assert spawn["targets"][0]["symbols"][0]["fqp"] == "tokio::task::spawn::spawn"
    assert spawn["rows"] and all(r["resolution"] != "heuristic" for r in spawn["rows"])
    member = query(capsys, "tokio", db, "callers Handle::current")
    assert member["targets"][0]["symbols"][0]["fqp"] == "tokio::runtime::handle::Handle::current"
    assert len(member["rows"]) >= 5


def test_tokio_external_traits_impact_hubs_cycles_and_context(capsys, dbs):
    db = dbs / "tokio.db"
    future = query(capsys, "tokio", db, "who-implements Future")          # an external trait, by its bare name
    symbols = {s["fqp"] for t in future["targets"] for s in t["symbols"]}
    assert "std::future::Future" in symbols and all(s["external"] for t in future["targets"] for s in t["symbols"])
    found = {r["fqp"] for r in future["rows"]}
    assert {"tokio::runtime::task::join::JoinHandle", "tokio::time::sleep::Sleep"} <= found
    # impact stops at external nodes (std::pin::Pin, Box) and says so; through hubs goes on
    radius = query(capsys, "tokio", db, "blast-radius tokio::io::AsyncRead depth 3")
    stopped = {s["fqp"] for s in radius["summary"]["stoppedAt"]}
    assert {"std::pin::Pin", "Box"} <= stopped
    through = query(capsys, "tokio", db, "blast-radius tokio::io::AsyncRead depth 3 through hubs")
    assert through["summary"]["total"] > radius["summary"]["total"] and through["summary"]["stoppedAt"] == []
    assert len(radius["rows"]) < radius["summary"]["total"] and radius["truncated"]     # the default budget
    text = query(capsys, "tokio", db, "blast-radius tokio::io::AsyncRead depth 3", as_json=False)
    lines = text.splitlines()
    assert lines[1].startswith("impact: ") and lines[2].startswith("by module: ") and len(text) < 4 * 2600
    # module cycles that rest on guesses are marked, and go away without them
    cycles = query(capsys, "tokio", db, "cycles module")
    assert cycles["heuristicCount"] >= 1 and any(r["heuristic"] for r in cycles["rows"])
    strict = query(capsys, "tokio", db, "cycles module exclude heuristic")
    assert strict["heuristicCount"] == 0 and not any(r["heuristic"] for r in strict["rows"])
    # the context carries the docs and leaves tests, examples and Debug impls for last
    assert cli_main(["context", str(debian_crate("tokio")), "--db", str(db), "tokio::io::AsyncRead",
                     "--budget", "8000"]) == 0
    context = capsys.readouterr().out
    assert "    /// Reads bytes from a source." in context
    signatures = [line for line in context.split("## signatures\n", 1)[1].split("## bodies")[0].splitlines()
                  if line.startswith("[")]
    assert len(signatures) > 40
    assert not [line for line in signatures if "(tests/" in line or "(examples/" in line or " as Debug>" in line]


def test_an_unknown_module_is_an_error(capsys, dbs):
    root = str(debian_crate("serde"))
    assert cli_main(["map", root, "--db", str(dbs / "serde.db"), "--module", "serde::nope"]) == 2
    assert "no module 'serde::nope' in the workspace" in capsys.readouterr().err
    assert cli_main(["query", root, "--db", str(dbs / "serde.db"), "cycles module in serde::nope"]) == 2
    assert "no module matches 'serde::nope'" in capsys.readouterr().err
