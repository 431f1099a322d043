"""The TCP transport (`isg-lsp serve --tcp HOST:PORT`): for the one client that holds the token (docs/security.md).

Any local process can connect to a TCP port, so:

- the address is a loopback one unless ``--allow-remote`` says otherwise;
- a client proves it holds the token before anything else is read: its first message is `initialize` with
  ``initializationOptions.token``, or carries the header ``Isg-Token: <token>``. The token is generated at start and
  printed once to stderr (or taken from ``ISG_LSP_TOKEN``); it never reaches the options or the logs. Before that
  proof a connection may send one message of at most 1 MiB within 10 s, and at most 16 connections may be proving at
  once; an HTTP request, a port scan or a wrong token is answered (or not) and closed, and the server keeps serving;
- frames are read with the limits of stdio (header lines of 8 KiB, bodies of ``MAX_MESSAGE_BYTES``);
- one client at a time: another is refused while one is connected, so none reads another's traffic. When a client
  goes, its requests in flight are cancelled (their answers are never sent to the next client) and its open
  documents are closed (its unsaved text leaves the graph); the server stays up, its index warm, for the next client,
  until a client sends `shutdown` and `exit` (or `shutdown` and leaves).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import itertools
import json
import logging
import os
import secrets
import socket
import struct
import sys
import threading
from typing import Any

from lsprotocol import types

from .stdio import EOF, MAX_MESSAGE_BYTES, FrameReader, RawInput, SafeWriter, dispatch, respond_error

log = logging.getLogger(__name__)

AUTH_MAX_BYTES = 1024 * 1024
AUTH_TIMEOUT_S = 10.0
MAX_HANDSHAKES = 16
TOKEN_ENV = "ISG_LSP_TOKEN"
TOKEN_HEADER = b"isg-token"


class _NullWriter:
    """Between clients: what the server sends goes nowhere."""

    def write(self, data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def is_loopback(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addresses = {str(info[4][0]) for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def token_from_environment() -> str | None:
    token = os.environ.get(TOKEN_ENV, "")
    return token if len(token) >= 16 else None


def _send_raw(conn: socket.socket, message: dict) -> None:
    body = json.dumps(message).encode("utf-8")
    try:
        conn.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    except OSError:
        pass


def _receive_timeout(conn: socket.socket, seconds: float) -> None:
    """A blocking read gives up after ``seconds`` (0: never): the end of the stream, for RawInput."""
    whole = int(seconds)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", whole, int((seconds - whole) * 1e6)))


def _close(conn: socket.socket) -> None:
    try:
        conn.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        conn.close()
    except OSError:
        pass


def _authorized(message: Any, headers: dict[bytes, bytes], token: str) -> bool:
    """Whether the first message proves the token (and strips it from the message)."""
    expected = token.encode()
    given = headers.get(TOKEN_HEADER)
    if given is not None and hmac.compare_digest(given, expected):
        _strip_token(message)
        return True
    if not isinstance(message, dict) or message.get("method") != "initialize":
        return False
    params = message.get("params")
    options = params.get("initializationOptions") if isinstance(params, dict) else None
    claimed = options.get("token") if isinstance(options, dict) else None
    if isinstance(claimed, str) and hmac.compare_digest(claimed.encode(), expected):
        _strip_token(message)
        return True
    return False


def _strip_token(message: Any) -> None:
    params = message.get("params") if isinstance(message, dict) else None
    options = params.get("initializationOptions") if isinstance(params, dict) else None
    if isinstance(options, dict):
        options.pop("token", None)


def serve_tcp(server, host: str, port: int, token: str | None = None, allow_remote: bool = False, announce=None) -> int:
    """Serves LSP on ``host:port`` until a client sends `exit` (or `shutdown` and leaves). Returns the exit code."""
    if not allow_remote and not is_loopback(host):
        print(
            f"isg-lsp: {host} is not a loopback address; anyone who can reach it could connect. Use "
            f"127.0.0.1, or add --allow-remote if that is what you want",
            file=sys.stderr,
        )
        return 2
    generated = token is None
    token = token or secrets.token_urlsafe(32)
    try:
        listener = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as error:
        print(f"isg-lsp: cannot listen on {host}:{port}: {error.strerror or error}", file=sys.stderr)
        return 2
    bound = listener.getsockname()[1]
    where = f"{host}:{bound}"
    if generated:
        print(
            f"isg-lsp: listening on {where}; token {token} (clients send it as initializationOptions.token "
            f"or the header Isg-Token)",
            file=sys.stderr,
            flush=True,
        )
    else:
        print(f"isg-lsp: listening on {where}; token from ${TOKEN_ENV}", file=sys.stderr, flush=True)
    if announce is not None:
        announce(bound)
    protocol = server.protocol
    result: dict[str, int | None] = {"code": None}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        guard = threading.Lock()
        active: dict[str, Any] = {"id": None}
        handshakes = threading.BoundedSemaphore(MAX_HANDSHAKES)
        ids = itertools.count(1)

        def put(item) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the loop has ended
                pass

        def handshake(conn: socket.socket) -> None:
            try:
                _receive_timeout(conn, AUTH_TIMEOUT_S)  # the fd stays blocking: RawInput reads it with os.read
                reader = FrameReader(RawInput(conn.fileno()), max_bytes=AUTH_MAX_BYTES, discard_oversized=False)
                try:
                    item = reader.read()
                except (OSError, ValueError):
                    item = EOF
                if item is EOF or item[0] != "message":
                    _close(conn)  # a port scan, a timeout, garbage: nothing to answer
                    return
                message = item[1]
                msg_id = message.get("id") if isinstance(message, dict) else None
                if not _authorized(message, reader.headers, token):
                    log.warning("refused a TCP connection without the token")
                    _send_raw(
                        conn,
                        {
                            "jsonrpc": "2.0",
                            "id": msg_id if isinstance(msg_id, (int, str)) else None,
                            "error": {
                                "code": -32600,
                                "message": "unauthorized: send the token printed by "
                                "isg-lsp as initializationOptions.token",
                            },
                        },
                    )
                    _close(conn)
                    return
                with guard:
                    busy = active["id"] is not None
                    if not busy:
                        active["id"] = next(ids)
                        cid = active["id"]
                if busy:
                    _send_raw(
                        conn,
                        {
                            "jsonrpc": "2.0",
                            "id": msg_id if isinstance(msg_id, (int, str)) else None,
                            "error": {"code": -32600, "message": "another client is connected"},
                        },
                    )
                    _close(conn)
                    return
                _receive_timeout(conn, 0)
                reader.max_bytes = None  # stdio's limits from now on
                reader.discard_oversized = True
                put(("connect", (cid, conn, reader, message)))
            except Exception:  # noqa: BLE001 - one connection never ends the server
                log.exception("a TCP connection failed")
                _close(conn)
            finally:
                handshakes.release()

        def accept() -> None:
            while True:
                try:
                    conn, _address = listener.accept()
                except OSError:
                    return  # the listener was closed
                if not handshakes.acquire(blocking=False):
                    _close(conn)  # too many connections proving at once
                    continue
                threading.Thread(target=handshake, args=(conn,), name="isg-tcp-auth", daemon=True).start()

        def read_frames(cid: int, reader: FrameReader) -> None:
            while True:
                try:
                    item = reader.read()
                except Exception as error:  # noqa: BLE001 - a broken connection is the end of this client
                    log.info("reading a TCP connection failed: %s", error)
                    item = EOF
                put((item[0], item[1], cid))
                if item is EOF:
                    return

        threading.Thread(target=accept, name="isg-tcp-accept", daemon=True).start()
        connection: socket.socket | None = None
        current = None
        try:
            while True:
                kind, payload, *rest = await queue.get()
                if kind == "connect":
                    current, connection, reader, first = payload
                    stream = connection.makefile("wb")
                    cid = current
                    protocol.set_writer(SafeWriter(stream, lambda cid=cid: put(("eof", None, cid))))
                    threading.Thread(
                        target=read_frames, args=(current, reader), name="isg-tcp-read", daemon=True
                    ).start()
                    log.info("a client connected over TCP")
                    payload = first
                    kind = "message"
                elif rest and rest[0] != current:
                    continue  # what a client that has gone still had in the pipe
                if kind == "eof":
                    await _disconnected(server, protocol)
                    if connection is not None:
                        _close(connection)
                    connection = current = None
                    with guard:
                        active["id"] = None
                    if protocol._shutdown:
                        break  # shut down, then left: the end
                    log.info("the client left; waiting for the next one")
                    continue
                if kind == "error":
                    error_code, text = payload
                    respond_error(protocol, None, error_code, text)
                    continue
                try:
                    dispatch(protocol, payload)
                except SystemExit as exit_:
                    result["code"] = exit_.code if isinstance(exit_.code, int) else 0
                    break
                except Exception:  # noqa: BLE001 - one bad message never ends the session
                    log.exception("handling a message failed")
                await asyncio.sleep(0)
        finally:
            try:
                listener.close()
            except OSError:
                pass
            if connection is not None:
                _close(connection)

    try:
        asyncio.run(main())
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        try:
            server.shutdown()
        except Exception:  # noqa: BLE001
            pass
    if result["code"] is not None:
        return result["code"]
    return 0 if protocol._shutdown else 1


async def _disconnected(server, protocol) -> None:
    """A client went: its requests in flight are cancelled (no answer reaches the next client), its documents are
    closed (its unsaved text leaves the graph), and nothing is sent until the next client comes."""
    for future in list(protocol._request_futures.values()):
        future.cancel()
    protocol._request_futures.clear()
    for _ in range(3):
        await asyncio.sleep(0)  # cancelled handlers finish, writing to the old connection
    protocol.set_writer(_NullWriter())
    session = getattr(server, "session", None)
    if session is not None and not getattr(server, "closed", False):
        for uri in list(session.documents):
            try:
                session.close_document(
                    types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
                )
            except Exception:  # noqa: BLE001
                log.exception("closing %s after the client left failed", uri)


__all__ = ["serve_tcp", "MAX_MESSAGE_BYTES"]
