"""The `isg-lsp` command: index, export, map, query, context, serve, mcp and watch."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from . import __version__

log = logging.getLogger("isg_lsp")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extras = parser.parse_known_args(argv)
    _place_positionals(parser, args, extras)
    logging.basicConfig(
        level=logging.DEBUG if getattr(args, "verbose", False) else logging.WARNING,
        stream=sys.stderr,
        format="isg-lsp: %(levelname)s: %(message)s",
    )
    if not hasattr(args, "run"):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.run(args)
    except CliError as error:
        print(f"isg-lsp: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


class CliError(Exception):
    pass


def _place_positionals(parser: argparse.ArgumentParser, args, extras: list[str]) -> None:
    """`query` and `context` take `[PATH] TEXT`: one word is the text (the workspace is the current folder), two
    are the workspace and the text. argparse alone cannot read `query PATH --json TEXT` (an optional positional
    before a required one, options between them), so the words are placed here."""
    text_dest = getattr(args, "text_dest", None)
    if text_dest is None:
        if extras:
            parser.error(f"unrecognized arguments: {' '.join(extras)}")
        return
    words = [w for w in (args.path, getattr(args, text_dest)) if w is not None]
    stray = [w for w in extras if w.startswith("-") and w != "-"]
    if stray:
        parser.error(f"unrecognized arguments: {' '.join(stray)}")
    words += extras
    if text_dest == "target" and getattr(args, "focus", None) and len(words) <= 1:
        if not words or Path(words[0]).is_dir():  # `context [PATH] --focus A --focus B`: no main target
            args.path = Path(words[0]) if words else Path(".")
            setattr(args, text_dest, "")
            return
    if not words:
        parser.error(f"{args.command}: give the {text_dest} text (`isg-lsp {args.command} [PATH] {text_dest.upper()}`)")
    if len(words) > 2:
        parser.error(f"unrecognized arguments: {' '.join(words[2:])}")
    path, text = (words[0], words[1]) if len(words) == 2 else (".", words[0])
    args.path = Path(path)
    setattr(args, text_dest, text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="isg-lsp",
        description="The Interface Signature Graph of a workspace: a language server, and the commands below.",
    )
    parser.add_argument("--version", action="version", version=f"isg-lsp {__version__}")
    sub = parser.add_subparsers(metavar="COMMAND")

    def workspace_command(name: str, help_text: str, text: tuple[str, str] | None = None):
        usage = f"isg-lsp {name} [options] [PATH]" + (f" {text[0].upper()}" if text else "")
        p = sub.add_parser(name, help=help_text, description=help_text, usage=usage)
        p.set_defaults(command=name)
        if text is None:
            p.add_argument(
                "path",
                type=Path,
                nargs="?",
                default=Path("."),
                help="the workspace folder (default: the current folder)",
            )
        else:  # placed by _place_positionals: `[PATH] TEXT`
            p.add_argument(
                "path",
                nargs="?",
                default=None,
                metavar="PATH",
                help="the workspace folder (default: the current folder)",
            )
            p.add_argument(text[0], nargs="?", default=None, metavar=text[0].upper(), help=text[1])
            p.set_defaults(text_dest=text[0])
        p.add_argument("--db", type=Path, default=None, help="the database file (default: PATH/.isg/isg.db)")
        p.add_argument("--no-db", action="store_true", help="keep the index in memory only")
        _store_options(p)
        p.add_argument(
            "--exclude",
            action="append",
            default=[],
            metavar="GLOB",
            help="a path pattern (gitignore syntax) not to index; may be repeated",
        )
        p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
        return p

    p = workspace_command("index", "Index (or refresh the index of) a workspace and print a summary.")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--shard",
        metavar="K/N",
        default=None,
        help="index only shard K of N (files grouped by crate, package or folder) into the PostgreSQL "
        "store; a CI matrix runs K = 1..N, then `index --resolve` (docs/team-index.md)",
    )
    p.add_argument(
        "--resolve",
        action="store_true",
        help="join the shards of a sharded index (cross-shard references resolved) and report counts",
    )
    p.set_defaults(run=cmd_index)

    p = workspace_command("export", "Write the ISG as JSONL (ISG-SPEC §3): byte-identical for the same code.")
    p.add_argument("-o", "--output", type=Path, default=None, help="the output file (default: stdout)")
    p.set_defaults(run=cmd_export)

    p = workspace_command(
        "map",
        "Print the compact map of the workspace for language models: by default the "
        "public API, ranked and cut to 3%% of the source's tokens.",
    )
    p.add_argument(
        "--level",
        choices=("modules", "api", "full"),
        default="api",
        help="modules: one line per module; api (default): public items, signatures, impl/extends/"
        "bounds; full: private items and calls too",
    )
    p.add_argument(
        "--budget",
        type=int,
        default=None,
        metavar="TOKENS",
        help="cut to this many tokens, most referenced items first (default for api: 3%% of the "
        "source's tokens; 0: no cut)",
    )
    p.add_argument(
        "--focus",
        action="append",
        default=[],
        metavar="FILE|TARGET|QUERY",
        help="rank around a file (workspace-relative), an FQP or name, or a 'find ...' query; may be "
        "repeated (default budget then 4000)",
    )
    p.add_argument("--module", action="append", default=None, help="only these modules and their submodules (FQPs)")
    p.add_argument("--tests", action="store_true", help="include tests, examples and benches")
    p.add_argument("--json", action="store_true", help="print JSON with the text and its measures")
    p.set_defaults(run=cmd_map)

    p = workspace_command(
        "query",
        "Answer a query (see docs/query-language.md), e.g. 'who-implements Display'.",
        text=("query", "the query text"),
    )
    p.add_argument("--json", action="store_true", help="print JSON rows")
    p.add_argument("--triples", action="store_true", help="print relations as the spec's triples")
    p.set_defaults(run=cmd_query)

    p = workspace_command(
        "context",
        "Print the context of a target (or a query) for a language model.",
        text=(
            "target",
            "an FQP, a public path, a name, Type::member, a SigHash, or a query such "
            "as 'find trait where name = \"X\"'",
        ),
    )
    p.add_argument("--budget", type=int, default=2000, help="the budget in tokens (default 2000)")
    p.add_argument(
        "--focus",
        action="append",
        default=[],
        metavar="TARGET",
        help="one more target of the same context (may be repeated; TARGET may then be left out)",
    )
    p.add_argument(
        "--tests",
        action="store_true",
        help="rank tests, examples, benches and Debug/Display-style boilerplate like the rest "
        "(by default they come last)",
    )
    p.add_argument("--json", action="store_true", help="print JSON with the text and its measures")
    p.set_defaults(run=cmd_context)

    p = workspace_command(
        "enrich",
        "Add what a compiler knows to the ISG (rustdoc JSON: IMPL edges from macros, "
        "derives, re-exports), written to PATH/.isg/enrich/rust.json and marked exact.",
    )
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--rustdoc-json",
        type=Path,
        metavar="FILE",
        help="rustdoc's JSON of a crate of the workspace (cargo rustdoc -- -Z unstable-options "
        "--output-format json, with RUSTC_BOOTSTRAP=1)",
    )
    source.add_argument(
        "--cargo",
        type=Path,
        nargs="?",
        const=Path("."),
        metavar="DIR",
        help="run rustdoc itself (cargo, offline, every feature) on each library crate at or under "
        "DIR (default: the workspace)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(run=cmd_enrich)

    p = sub.add_parser(
        "mcp",
        help="Run the MCP server for AI agents (stdio by default; docs/agents.md).",
        description="The workspace's graph for AI agents over the Model Context Protocol: warm from "
        "the database, kept current from the files on disk.",
    )
    p.add_argument("path", type=Path, nargs="?", default=Path("."), help="the workspace folder (default: .)")
    p.add_argument(
        "--http",
        metavar="HOST:PORT",
        default=None,
        help="serve streamable HTTP at http://HOST:PORT/mcp instead of stdio (a host other than loopback "
        "needs a bearer token)",
    )
    p.add_argument(
        "--token-file",
        metavar="FILE",
        default=None,
        help="the bearer token HTTP clients must send (default: $ISG_LSP_MCP_TOKEN)",
    )
    p.add_argument("--db", type=Path, default=None, help="the database file (default: PATH/.isg/isg.db)")
    p.add_argument("--no-db", action="store_true", help="keep the index in memory only")
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="a path pattern (gitignore syntax) not to index; may be repeated",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    p.set_defaults(run=cmd_mcp)

    p = sub.add_parser(
        "watch",
        help="Keep a workspace's database current as its files change (headless).",
        description="Index (warm) and watch a workspace, keeping its database current for the CLI, "
        "SQL readers and MCP servers. Stops on Ctrl-C or SIGTERM.",
    )
    p.add_argument("path", type=Path, nargs="?", default=Path("."), help="the workspace folder (default: .)")
    p.add_argument("--db", type=Path, default=None, help="the database file (default: PATH/.isg/isg.db)")
    p.add_argument(
        "--exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="a path pattern (gitignore syntax) not to index; may be repeated",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    p.set_defaults(run=cmd_watch)

    p = sub.add_parser("serve", help="Run the language server (stdio by default).")
    p.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default)")
    p.add_argument(
        "--tcp",
        metavar="HOST:PORT",
        default=None,
        help="listen on a TCP address instead (loopback; clients send the token printed on stderr, or "
        "$ISG_LSP_TOKEN, as initializationOptions.token: docs/security.md)",
    )
    p.add_argument("--allow-remote", action="store_true", help="allow --tcp on an address that is not loopback")
    p.add_argument(
        "--base",
        metavar="URL@COMMIT",
        default=None,
        help="answer from a shared index (postgresql://READER@HOST/DB@COMMIT) plus the files that differ "
        "from it, indexed locally (default: $ISG_BASE; docs/team-index.md)",
    )
    p.add_argument(
        "--workspace",
        metavar="NAME",
        default=None,
        help="the workspace's name in the shared index (default: $ISG_WORKSPACE, else the folder's name)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser(
        "store-setup",
        help="Prepare a PostgreSQL database for a shared index (an administrator, once).",
        description="Create the schema isg (owned by the writer role CI uses) and let reader roles "
        "(editors, agents) read it. The roles must exist (CREATE ROLE ... LOGIN). "
        "docs/team-index.md",
    )
    p.add_argument(
        "url",
        metavar="URL",
        help="postgresql://ADMIN@HOST/DB: a role that may create the schema and act as the writer role",
    )
    p.add_argument("--writer", required=True, metavar="ROLE", help="the role that writes (CI)")
    p.add_argument(
        "--reader",
        action="append",
        default=[],
        metavar="ROLE",
        help="a role that reads (editors, agents); may be repeated",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    p.set_defaults(run=cmd_store_setup)

    p = sub.add_parser(
        "completion",
        help="Print a shell completion script (bash or zsh).",
        description="Print a completion script for the shell, generated from these commands. "
        'bash: `eval "$(isg-lsp completion bash)"` in ~/.bashrc; zsh: '
        "`isg-lsp completion zsh > ~/.zfunc/_isg-lsp` with ~/.zfunc in $fpath.",
    )
    p.add_argument("shell", choices=["bash", "zsh"], help="the shell")
    p.set_defaults(run=cmd_completion)
    return parser


def _store_options(p) -> None:
    p.add_argument(
        "--store",
        metavar="PATH|URL",
        default=None,
        help="where the index lives: a SQLite file (the default is PATH/.isg/isg.db) or a shared "
        "PostgreSQL database, postgresql://USER@HOST/DB[@COMMIT] (default: $ISG_STORE; "
        "docs/team-index.md)",
    )
    p.add_argument(
        "--workspace",
        metavar="NAME",
        default=None,
        help="the workspace's name in a shared store (default: $ISG_WORKSPACE, else the folder's name)",
    )
    p.add_argument(
        "--commit",
        metavar="REF",
        default=None,
        help="the commit of the snapshot in a shared store (default: the URL's @COMMIT, else git's HEAD)",
    )


def store_spec(args):
    """The store the command line (or $ISG_STORE) names; None for the default SQLite file."""
    from .storage import StoreSpecError, from_environment

    try:
        return from_environment(
            getattr(args, "store", None),
            workspace=getattr(args, "workspace", None),
            commit=getattr(args, "commit", None),
        )
    except StoreSpecError as error:
        raise CliError(f"--store: {error}") from None


def open_engine(args, persist_default: bool = True):
    from .engine import Engine
    from .workspace import DEFAULT_EXCLUDE, WorkspaceConfig

    path: Path = args.path
    if not path.exists():
        raise CliError(f"no such folder: {path}")
    if not path.is_dir():
        raise CliError(f"not a folder: {path} (give the workspace's root folder)")
    config = WorkspaceConfig(exclude=list(DEFAULT_EXCLUDE) + list(args.exclude))
    spec = store_spec(args)
    if spec is not None and not spec.is_postgres:
        if args.db is not None:
            raise CliError("give --db or --store, not both")
        args.db = spec.path
        spec = None
    # a shared store is written by `index` (the writer role); other commands read it as a base, with the files
    # that differ from it indexed locally and nothing written
    engine = Engine(
        path,
        db_path=args.db,
        config=config,
        persist=persist_default and not args.no_db,
        store_spec=spec,
        store_write=args.command == "index",
    )
    if engine.store_message:
        print(f"isg-lsp: {engine.store_message}", file=sys.stderr)
    return engine


def indexed_engine(args):
    engine = open_engine(args)
    report = engine.index()
    if report.files == 0:
        engine.close()
        raise CliError(f"no source files found under {args.path} (supported: {_supported()})")
    return engine


def _supported() -> str:
    from . import languages

    return ", ".join(sorted({ext for spec in languages.available_languages() for ext in spec.extensions}))


def cmd_index(args) -> int:
    if args.shard is not None or args.resolve:
        return cmd_index_sharded(args)
    engine = open_engine(args)
    if engine.store_spec is not None and engine.store is None:  # asked to write the shared index, and cannot
        engine.close()
        raise CliError(f"the shared index was not written: {engine.store_message}")
    progress = None
    if not args.quiet and sys.stderr.isatty():
        progress = _progress_bar
    try:
        report = engine.index(progress, measure_map=True)
    finally:
        engine.close()
    if progress:
        sys.stderr.write("\r" + " " * 60 + "\r")
    if report.files == 0:
        raise CliError(f"no source files found under {args.path} (supported: {_supported()})")
    if args.json:
        data = dict(report.__dict__)
        data.update(nodes=report.nodes, edges=report.edges, map_share=report.map_share, map_shares=report.map_shares)
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print(format_report(report, engine))
    return 0


def _progress_bar(done: int, total: int, message: str) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} files {message}   ")
    sys.stderr.flush()


def format_report(report, engine) -> str:
    from .model import EdgeKind, NodeKind

    rows = [
        ("files", f"{report.files} ({report.parsed} parsed, {report.reused} unchanged, {report.deleted} removed)"),
        ("languages", ", ".join(f"{k} {v}" for k, v in sorted(report.by_language.items()))),
        ("lines of code", f"{report.loc:,}"),
        (
            "nodes",
            f"{report.nodes:,} (+{report.external_nodes:,} external, {report.workspace_stand_ins:,} of them "
            f"with a workspace crate's path)",
        ),
    ]
    for kind in NodeKind:
        if report.nodes_by_kind.get(kind.value):
            rows.append((f"  {kind.value} {kind.long_name}", f"{report.nodes_by_kind[kind.value]:,}"))
    rows.append(("edges", f"{report.edges:,} ({report.heuristic_edges:,} heuristic)"))
    for edge_kind in EdgeKind:
        if report.edges_by_kind.get(edge_kind.value):
            rows.append((f"  {edge_kind.value}", f"{report.edges_by_kind[edge_kind.value]:,}"))
    rows += [
        ("unresolved references", f"{report.unresolved:,}"),
        (
            "macro calls not read",
            f"{report.macro_calls:,} item-position calls whose items only an expansion makes (out of reach)",
        ),
        ("syntax errors recovered", f"{report.syntax_errors:,}"),
        ("files skipped", f"{len(report.skipped)}"),
        ("seconds", f"{report.seconds:.2f}"),
        ("peak memory", f"{report.peak_rss_mb:.0f} MB"),
        (
            "database",
            f"{report.db_bytes / 1e6:.1f} MB at {engine.store_location}"
            if engine.store is not None or report.db_bytes
            else "none (memory only)",
        ),
        (
            "map size",
            f"{report.map_tokens:,} tokens = {100 * report.map_share:.1f}% of the source's "
            f"{report.source_tokens:,} (the default map)",
        ),
    ]
    for level, tokens in report.map_tokens_by_level.items():
        rows.append(
            (
                f"  {level}",
                f"{tokens:,} tokens = {100 * report.map_shares[level]:.2f}%"
                + (" (whole level)" if level == "api" else ""),
            )
        )
    width = max(len(r[0]) for r in rows)
    return "\n".join(f"{label.ljust(width)}  {value}" for label, value in rows)


def cmd_export(args) -> int:
    from .export import jsonl_lines

    engine = indexed_engine(args)
    try:
        out = open(args.output, "w", encoding="utf-8", newline="\n") if args.output else sys.stdout
        try:
            for line in jsonl_lines(engine.graph):
                out.write(line)
                out.write("\n")
        finally:
            if args.output:
                out.close()
    finally:
        engine.close()
    return 0


def cmd_map(args) -> int:
    from .repomap import MapError, default_map

    if args.budget is not None and args.budget < 0:
        raise CliError("--budget must be 0 (no cut) or a number of tokens")
    engine = indexed_engine(args)
    try:
        source_tokens = engine.report(measure_map=False).source_tokens
        try:
            result = default_map(
                engine.graph,
                source_tokens,
                level=args.level,
                budget=args.budget,
                focus=args.focus,
                include_tests=args.tests,
                modules=args.module,
            )
        except MapError as error:
            raise CliError(str(error)) from None
        if args.json:
            data = result.to_json()
            data.update(
                sourceTokens=source_tokens, share=round(result.tokens / source_tokens, 5) if source_tokens else 0.0
            )
            print(json.dumps(data, indent=2, ensure_ascii=False))
        else:
            sys.stdout.write(result.text)
    finally:
        engine.close()
    return 0


def cmd_query(args) -> int:
    from .analysis import Analysis
    from .querylang import QueryLanguageError

    engine = indexed_engine(args)
    analysis = Analysis(engine)
    try:
        try:
            result = analysis.query(args.query)
        except QueryLanguageError as error:
            raise CliError(str(error)) from None
        if args.json:
            print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
        elif args.triples:
            print(analysis.triples(result))
        else:
            print(result.to_text())
    finally:
        engine.close()
    return 0


def cmd_context(args) -> int:
    from .analysis import Analysis
    from .querylang import QueryLanguageError

    engine = indexed_engine(args)
    try:
        try:
            context = Analysis(engine).context(
                args.target or "", budget_tokens=args.budget, focus=args.focus, include_tests=args.tests
            )
        except (QueryLanguageError, ValueError) as error:
            raise CliError(str(error)) from None
        if args.json:
            print(json.dumps(context.to_json(), indent=2, ensure_ascii=False))
        else:
            sys.stdout.write(context.text)
    finally:
        engine.close()
    return 0


def cmd_enrich(args) -> int:
    from . import enrich

    docs = [args.rustdoc_json] if args.rustdoc_json is not None else None
    if docs is not None and not args.rustdoc_json.is_file():
        raise CliError(f"no such file: {args.rustdoc_json}")
    if docs is None:  # --cargo: rustdoc JSON of each library crate, built here
        start = args.cargo if args.cargo.is_absolute() else args.path / args.cargo
        if not start.is_dir():
            raise CliError(f"no such folder: {start}")
        crates = enrich.cargo_crates(args.path, start)
        if not crates:
            raise CliError(f"no library crate (a Cargo.toml with its lib target) at or under {start}")

        def progress(message: str) -> None:
            print(f"isg-lsp enrich: {message}", file=sys.stderr, flush=True)

        try:
            built = enrich.rustdoc_for_crates(args.path, crates, progress)
        except enrich.CargoError as error:
            raise CliError(f"enrich --cargo: {error}") from None
        docs = [doc for _crate, doc, _features in built]
    engine = indexed_engine(args)
    try:
        try:
            record = enrich.build_many(engine.root, docs, engine.graph)
        except (ValueError, KeyError, TypeError) as error:
            raise CliError(f"cannot read {', '.join(map(str, docs))} as rustdoc JSON: {error}") from None
        target = enrich.write(engine.root, record)
        before = engine.graph.edge_count()
        enrich.load(engine.graph, engine.root)
        added = engine.graph.edge_count() - before
    finally:
        engine.close()
    summary = {
        "file": str(target),
        "impls": len(record["impls"]),
        "edges_added": added,
        "format_version": record.get("format_version"),
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"{len(record['impls'])} IMPL relations the syntax lacks ({added} new edges) written to {target}")
    return 0


def cmd_completion(args) -> int:
    from .completion import script

    sys.stdout.write(script(build_parser(), args.shell))
    return 0


def _agents_extra(*modules: str) -> None:
    """`isg-lsp mcp` and `isg-lsp watch` need the MCP SDK and watchdog (dependencies of the package, left out of the
    VS Code extension's bundle): say so when they are missing."""
    import importlib.util

    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise CliError(
            f"this command needs {', '.join(missing)}, which this installation of isg-lsp lacks (the VS "
            f"Code extension's bundled server leaves it out): install isg-lsp from a clone with "
            f"`pipx install .` (or `uv tool install .`; docs/agents.md)"
        )


def cmd_mcp(args) -> int:
    _agents_extra("mcp", "watchdog")
    from .mcp import ConfigError, run_mcp

    try:
        return run_mcp(
            args.path,
            http=args.http,
            token_file=args.token_file,
            db_path=args.db,
            persist=not args.no_db,
            exclude=args.exclude,
        )
    except ConfigError as error:
        raise CliError(str(error)) from None


def cmd_watch(args) -> int:
    _agents_extra("watchdog")
    from .watch import run_watch
    from .workspace import DEFAULT_EXCLUDE, WorkspaceConfig

    if not args.path.is_dir():
        raise CliError(f"not a folder: {args.path}")
    config = WorkspaceConfig(exclude=list(DEFAULT_EXCLUDE) + list(args.exclude))
    return run_watch(args.path, db_path=args.db, config=config)


def cmd_index_sharded(args) -> int:
    from . import shard
    from .engine import Engine
    from .workspace import DEFAULT_EXCLUDE, WorkspaceConfig

    spec = store_spec(args)
    if spec is None or not spec.is_postgres:
        raise CliError(
            "--shard and --resolve write a shared index: give --store postgresql://WRITER@HOST/DB (or $ISG_STORE)"
        )
    if args.shard is not None and args.resolve:
        raise CliError("give --shard K/N or --resolve, not both")
    if not args.path.is_dir():
        raise CliError(f"not a folder: {args.path}")
    config = WorkspaceConfig(exclude=list(DEFAULT_EXCLUDE) + list(args.exclude))
    engine = Engine(args.path, config=config, persist=False)
    try:
        if args.shard is not None:
            try:
                k, n = shard.parse_shard(args.shard)
            except ValueError as error:
                raise CliError(f"--shard: {error}") from None
            result = shard.index_shard(engine, spec, k, n)
        else:
            result = shard.resolve(engine, spec)
    except shard.ShardError as error:
        raise CliError(str(error)) from None
    finally:
        engine.close()
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        width = max(len(k) for k in result)
        print("\n".join(f"{key.ljust(width)}  {value}" for key, value in result.items()))
    return 0


def cmd_store_setup(args) -> int:
    from .store import StoreError
    from .store_pg import check_schema, connect, create_schema
    from .storage import StoreSpecError, parse_store

    try:
        spec = parse_store(args.url)
    except StoreSpecError as error:
        raise CliError(str(error)) from None
    if not spec.is_postgres or spec.url is None:
        raise CliError("store-setup takes a postgresql:// URL")
    try:
        conn = connect(spec.url)
    except StoreError as error:
        raise CliError(str(error)) from None
    try:
        create_schema(conn, owner=args.writer, readers=args.reader)
        check_schema(conn)
    except StoreError as error:
        raise CliError(str(error)) from None
    except Exception as error:  # noqa: BLE001 - psycopg's errors, said in one line
        raise CliError(f"store-setup failed: {str(error).strip().splitlines()[0]}") from None
    finally:
        conn.close()
    print(f"schema isg ready (writer {args.writer}; readers {', '.join(args.reader) or 'none'})")
    return 0


def cmd_serve(args) -> int:
    import os

    from .server import run_server

    if args.base is not None or args.workspace is not None:  # read by the session for each workspace folder
        from .storage import ENV_BASE, ENV_WORKSPACE, StoreSpecError, parse_store

        if args.base is not None:
            try:
                if not parse_store(args.base).is_postgres:
                    raise CliError("--base takes a postgresql:// URL (postgresql://READER@HOST/DB@COMMIT)")
            except StoreSpecError as error:
                raise CliError(f"--base: {error}") from None
            os.environ[ENV_BASE] = args.base
        if args.workspace is not None:
            os.environ[ENV_WORKSPACE] = args.workspace
    return run_server(tcp=args.tcp, verbose=args.verbose, allow_remote=args.allow_remote)


if __name__ == "__main__":
    sys.exit(main())
