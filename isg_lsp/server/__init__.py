"""The isg-lsp language server (pygls): the only package that knows LSP and JSON-RPC.

``run_server`` is what `isg-lsp serve` runs: stdio by default, or TCP with ``--tcp HOST:PORT``. Logs go to stderr
(and warnings to the client's log), never to stdout, which carries the protocol.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)


def run_server(tcp: str | None = None, verbose: bool = False, allow_remote: bool = False) -> int:
    from .server import build_server

    logging.getLogger("isg_lsp").setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("pygls").setLevel(logging.WARNING)  # at INFO, pygls logs every message it sends
    if not logging.getLogger().handlers:
        logging.basicConfig(stream=sys.stderr, format="isg-lsp: %(levelname)s: %(message)s")
    server = build_server()
    code = 0
    try:
        if tcp:
            host, _, port = tcp.rpartition(":")
            if not port.isdigit():
                print(f"isg-lsp: --tcp wants HOST:PORT, got {tcp!r}", file=sys.stderr)
                return 2
            from .tcp import serve_tcp, token_from_environment

            code = serve_tcp(
                server,
                (host or "127.0.0.1").strip("[]"),
                int(port),
                token=token_from_environment(),
                allow_remote=allow_remote,
            )
        else:
            from .stdio import serve_stdio

            code = serve_stdio(server)
    finally:
        server.close_session()
    return code


__all__ = ["run_server"]
