"""The stdio transport: reading LSP frames defensively, writing without dying with the client.

pygls' own reader trusts its input: a malformed or unparsable message is dropped without an answer, a header line
or ``Content-Length`` of any size is read into memory, and a request after ``shutdown`` is dropped silently. This
reader (docs/reliability.md, "Protocol abuse"):

- reads frames on a daemon thread (a blocked read never holds the process at exit), with header lines of at most
  8 KiB and bodies of at most ``MAX_MESSAGE_BYTES`` (a larger body is read and thrown away in chunks, so the
  stream stays in step);
- answers what it cannot read with the JSON-RPC errors: -32700 (not JSON, nested too deeply) and -32600 (not a
  request object, too large) with ``id: null``, or with the request's id when it is known;
- ends on end of input (the client closed the pipe or died), when the client process named in ``initialize``
  (``processId``) is gone, and after ``exit``; a write to a closed pipe ends the session instead of raising.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
from typing import Any, BinaryIO

from lsprotocol import types

log = logging.getLogger(__name__)

MAX_HEADER_LINE = 8 * 1024
MAX_MESSAGE_BYTES = int(os.environ.get("ISG_LSP_MAX_MESSAGE_BYTES", str(256 * 1024 * 1024)))
PARENT_POLL_S = 2.0
_CHUNK = 1 << 20

EOF = ("eof", None)


class RawInput:
    """``readline(limit)`` and ``read(n)`` over a file descriptor with ``os.read`` and a buffer of our own: a daemon
    thread blocked here holds no lock of Python's buffered I/O, so the interpreter can always exit."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()
        self.eof = False

    def _fill(self) -> bool:
        if self.eof:
            return False
        try:
            chunk = os.read(self.fd, _CHUNK)
        except InterruptedError:
            return True
        except OSError:
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buffer += chunk
        return True

    def readline(self, limit: int) -> bytes:
        while True:
            end = self.buffer.find(b"\n", 0, limit)
            if end != -1:
                return self._take(end + 1)
            if len(self.buffer) >= limit or not self._fill():
                return self._take(min(limit, len(self.buffer)))

    def read(self, n: int) -> bytes:
        while len(self.buffer) < n and self._fill():
            pass
        return self._take(min(n, len(self.buffer)))

    def _take(self, n: int) -> bytes:
        data = bytes(self.buffer[:n])
        del self.buffer[:n]
        return data


class FrameReader:
    """Reads LSP frames from a binary stream; each frame becomes ``("message", obj)`` or ``("error", (code,
    text))``; the end of the stream becomes ``EOF``."""

    def __init__(self, stream, max_bytes: int | None = None, discard_oversized: bool = True) -> None:
        self.stream = stream
        self.max_bytes = max_bytes  # None: MAX_MESSAGE_BYTES
        self.discard_oversized = discard_oversized  # False: an oversized body is the end (not read at all)
        self.headers: dict[bytes, bytes] = {}  # the last frame's headers (lower-case names)

    def read(self) -> tuple[str, Any]:
        stream = self.stream
        length: int | None = None
        problem: str | None = None
        self.headers = {}
        limit = self.max_bytes if self.max_bytes is not None else MAX_MESSAGE_BYTES
        while True:
            line = stream.readline(MAX_HEADER_LINE + 1)
            if not line:
                return EOF
            if len(line) > MAX_HEADER_LINE and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):
                    line = stream.readline(_CHUNK)
                if not line:
                    return EOF
                problem = "a header line longer than 8 KiB"
                continue
            stripped = line.strip()
            if not stripped:
                if length is None:
                    if problem is not None:
                        return "error", (-32600, f"invalid message header: {problem}")
                    continue  # stray blank lines between frames
                break
            name, sep, value = stripped.partition(b":")
            if not sep:
                problem = "a header line without ':'"
                continue
            if len(self.headers) < 32:
                self.headers[name.strip().lower()] = value.strip()
            if name.strip().lower() == b"content-length":
                try:
                    length = int(value.strip())
                except ValueError:
                    length = None
                if length is None or length < 0:
                    problem = "an invalid Content-Length"
                    length = None
        if length > limit:
            if not self.discard_oversized:
                return EOF
            remaining = length
            while remaining > 0:
                chunk = stream.read(min(remaining, _CHUNK))
                if not chunk:
                    return EOF
                remaining -= len(chunk)
            return "error", (-32600, f"message of {length} bytes is larger than the limit of {limit}")
        body = stream.read(length)
        if len(body) < length:
            return EOF  # the stream ended in the middle of a message
        try:
            return "message", json.loads(body)
        except RecursionError:
            return "error", (-32700, "parse error: JSON nested too deeply")
        except (ValueError, UnicodeDecodeError) as error:
            return "error", (-32700, f"parse error: {str(error)[:200]}")


class SafeWriter:
    """stdout for pygls: a write to a client that went away ends the session instead of raising."""

    def __init__(self, stream: BinaryIO, on_lost) -> None:
        self._stream = stream
        self._on_lost = on_lost
        self.lost = False
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        if self.lost:
            return
        try:
            with self._lock:
                self._stream.write(data)
                self._stream.flush()
        except (OSError, ValueError):  # BrokenPipeError, or the stream was closed
            self.lost = True
            self._on_lost()

    def close(self) -> None:
        try:
            self._stream.close()
        except (OSError, ValueError):
            pass


def serve_stdio(server, stdin=None, stdout: BinaryIO | None = None) -> int:
    """Runs the server on stdin/stdout until the input ends, the client is gone, or ``exit``. Returns the exit
    code: 0 after ``shutdown``, 1 otherwise (LSP's rule for ``exit``)."""
    stdin = stdin or RawInput(sys.stdin.fileno())
    stdout = stdout or sys.stdout.buffer
    protocol = server.protocol
    code: dict[str, int | None] = {"value": None}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()

        def stop() -> None:
            loop.call_soon_threadsafe(queue.put_nowait, EOF)

        writer = SafeWriter(stdout, stop)
        protocol.set_writer(writer)
        server.stop_transport = stop
        reader = FrameReader(stdin)

        def read_frames() -> None:  # the daemon thread
            while True:
                try:
                    item = reader.read()
                except Exception as error:  # noqa: BLE001 - a broken stdin is the end of the session
                    log.info("reading stdin failed: %s", error)
                    item = EOF
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, item)
                except RuntimeError:  # the loop has ended
                    return
                if item is EOF:
                    return

        threading.Thread(target=read_frames, name="isg-stdin", daemon=True).start()
        watchdog = asyncio.ensure_future(_watch_parent(server, stop))
        try:
            while True:
                kind, payload = await queue.get()
                if kind == "eof":
                    break
                if kind == "error":
                    error_code, text = payload
                    log.warning("unreadable message from the client: %s", text)
                    respond_error(protocol, None, error_code, text)
                    continue
                try:
                    dispatch(protocol, payload)
                except SystemExit as exit_:
                    code["value"] = exit_.code if isinstance(exit_.code, int) else 0
                    break
                except Exception:  # noqa: BLE001 - one bad message never ends the session
                    log.exception("handling a message failed")
                # let the tasks this message started take their first step before the next message is read, as
                # pygls' own reader does (an async notification handler runs before the request that follows it)
                await asyncio.sleep(0)
        finally:
            watchdog.cancel()

    try:
        asyncio.run(main())
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        try:
            server.shutdown()
        except Exception:  # noqa: BLE001
            pass
    if code["value"] is not None:
        return code["value"]
    return 0 if protocol._shutdown else 1


def dispatch(protocol, data: Any) -> None:
    """Structures one JSON value as a message and hands it to pygls, answering what cannot be handled."""
    if not isinstance(data, dict):
        respond_error(protocol, None, -32600, "invalid request: a message is a JSON object (batches are not supported)")
        return
    msg_id = data.get("id")
    has_id = isinstance(msg_id, (int, str)) and not isinstance(msg_id, bool)
    if data.get("jsonrpc") != "2.0":
        if has_id and "method" in data:
            respond_error(protocol, msg_id, -32600, 'invalid request: "jsonrpc" must be "2.0"')
        else:
            log.warning('ignoring a message without "jsonrpc": "2.0"')
        return
    if "method" in data and not isinstance(data.get("method"), str):
        if has_id:
            respond_error(protocol, msg_id, -32600, 'invalid request: "method" must be a string')
        return
    if "id" in data and "method" in data and not has_id:
        respond_error(protocol, None, -32600, 'invalid request: "id" must be a number or a string')
        return
    if has_id and _is_notification(data.get("method")):
        # a notification sent as a request: the client waits for an answer. Handled as the notification it is,
        # and answered with null (before `exit` ends the session)
        protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "result": None})
        data = {k: v for k, v in data.items() if k != "id"}
        has_id = False
    try:
        message = protocol.structure_message(data)
    except Exception as error:  # noqa: BLE001 - pygls raises for params it cannot structure
        log.warning("cannot read %s: %s", data.get("method", "a message"), type(error).__name__)
        if has_id and "method" in data:
            respond_error(protocol, msg_id, -32602, f"invalid params for {data['method']}")
        return
    protocol.handle_message(message)


def _is_notification(method: Any) -> bool:
    entry = types.METHOD_TO_TYPES.get(method) if isinstance(method, str) else None
    return entry is not None and entry[1] is None and entry[0].__name__.endswith("Notification")


def respond_error(protocol, msg_id, code: int, text: str) -> None:
    if msg_id is None:  # JSON-RPC: "id": null when the request's id could not be read
        protocol._send_data({"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": text}})
        return
    protocol._send_response(msg_id, error=types.ResponseError(code=code, message=text))


async def _watch_parent(server, stop) -> None:
    """Ends the session when the client process named in ``initialize`` no longer exists."""
    while True:
        await asyncio.sleep(PARENT_POLL_S)
        pid = getattr(server, "process_id", None)
        if not pid or not isinstance(pid, int) or pid <= 0:
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            log.warning("the client process %d is gone; exiting", pid)
            stop()
            return
        except OSError:  # exists, owned by someone else
            continue
