"""`isg-lsp mcp`: the workspace's graph for AI agents, over the Model Context Protocol (docs/agents.md).

``run_mcp`` checks the command line, starts the live index (``watch.py``) at once and only then loads the MCP SDK
(``server.py``), so that the index's warm start overlaps the SDK's import.
"""

from __future__ import annotations

import ipaddress
import os
import threading

TOKEN_ENV = "ISG_LSP_MCP_TOKEN"


class ConfigError(ValueError):
    """A command line the server cannot start with (the message says why)."""


def parse_address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ConfigError(f"--http wants HOST:PORT (e.g. 127.0.0.1:8765), not {text!r}")
    host = host.strip("[]")
    port_number = int(port)
    if port_number > 65535:
        raise ConfigError(f"no such port: {port_number}")
    return host, port_number


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def read_token(token_file: str | None) -> str | None:
    if token_file:
        try:
            token = open(token_file, encoding="utf-8").read().strip()
        except OSError as error:
            raise ConfigError(f"cannot read the token file {token_file}: {error.strerror or error}") from None
        if not token:
            raise ConfigError(f"the token file {token_file} is empty")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    return token or None


def run_mcp(path, http: str | None = None, token_file: str | None = None, db_path=None, persist: bool = True,
            exclude: list[str] | None = None) -> int:
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
            raise ConfigError(f"refusing to listen on {address[0]} without a bearer token: anyone who can reach it "
                              f"could read the code's structure. Set {TOKEN_ENV} or pass --token-file FILE, or "
                              f"listen on 127.0.0.1")
    config = WorkspaceConfig(exclude=list(DEFAULT_EXCLUDE) + list(exclude or []))
    _stop_on_signals()
    live = LiveIndex(root, db_path=db_path, config=config, persist=persist)
    live.start()                                    # indexes while the SDK loads and the client connects
    threading.Thread(target=_warm_up, args=(live,), name="isg-warm-up", daemon=True).start()
    try:
        import anyio

        from .server import build_server, serve_http, serve_stdio

        server = build_server(live)
        if address is None:
            anyio.run(serve_stdio, server)
        else:
            serve_http(server, address[0], address[1], token)
    except KeyboardInterrupt:
        pass
    finally:
        live.close()
    return 0


def _warm_up(live) -> None:
    """Once the index is there, loads what the first query would otherwise load (networkx), off the request path."""
    if live.wait_ready(600):
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
