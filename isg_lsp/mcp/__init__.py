"""`isg-lsp mcp`: the workspace's graph for AI agents, over the Model Context Protocol (docs/agents.md).

``run_mcp`` checks the command line, starts the live index (``watch.py``) at once and only then loads the MCP SDK
(``server.py``), so that the index's warm start overlaps the SDK's import.
"""

from __future__ import annotations

import threading

from .config import TOKEN_ENV, ConfigError, is_loopback, parse_address, read_token

__all__ = ["ConfigError", "TOKEN_ENV", "run_mcp"]


def run_mcp(
    path,
    http: str | None = None,
    token_file: str | None = None,
    db_path=None,
    persist: bool = True,
    exclude: list[str] | None = None,
) -> int:
    """Runs the server until its client goes away (stdio) or it is stopped (HTTP)."""
    from pathlib import Path

    from ..watch import LiveIndex
    from ..workspace import DEFAULT_EXCLUDE, WorkspaceConfig

    root = Path(path)
    if not root.is_dir():
        raise ConfigError(f"not a folder: {path}")
    address = None
    token = None
    if http is not None:
        address = parse_address(http)
        token = read_token(token_file)
        if token is None and not is_loopback(address[0]):
            raise ConfigError(
                f"refusing to listen on {address[0]} without a bearer token: anyone who can reach it "
                f"could read the code's structure. Set {TOKEN_ENV} or pass --token-file FILE, or "
                f"listen on 127.0.0.1"
            )
    config = WorkspaceConfig(exclude=list(DEFAULT_EXCLUDE) + list(exclude or []))
    _stop_on_signals()
    live = LiveIndex(root, db_path=db_path, config=config, persist=persist)
    live.start()  # indexes while the SDK loads and the client connects
    answered = threading.Event()  # set once the first tool call is answered
    threading.Thread(target=_warm_up, args=(live, answered), name="isg-warm-up", daemon=True).start()
    try:
        import anyio

        from .server import build_server, serve_http, serve_stdio

        server = build_server(live, answered)
        if address is None:
            anyio.run(serve_stdio, server)
        else:
            serve_http(server, address[0], address[1], token)
    except KeyboardInterrupt:
        pass
    finally:
        live.close()
    return 0


def _warm_up(live, answered: threading.Event) -> None:
    """Once the index is there and the first call answered (or after a quiet while), loads what a later query would
    otherwise load (networkx), off the request path. Not before: on a fresh start the first answer would share the
    interpreter with this import (~0.1 s of a < 1 s start to first answer)."""
    if live.wait_ready(600):
        answered.wait(3.0)
        from ..querylang import _load_graph_algorithms

        _load_graph_algorithms()


class Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP: stop as on Ctrl-C, through the ``finally`` that writes the database and ends the parser
    workers (the default action would kill the process on the spot and leave them behind)."""


def _stop_on_signals() -> None:
    import signal

    def stop(signum, frame):
        raise Stopped(signal.Signals(signum).name)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, stop)
