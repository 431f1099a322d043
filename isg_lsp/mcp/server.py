"""`isg-lsp mcp`: the Model Context Protocol server, on the official Python SDK's low-level ``Server``.

The tools (``tools.py``) answer from a ``LiveIndex`` (``watch.py``): the workspace's graph, warm-started from its
database and kept current from the disk. A tool call runs in a worker thread (the event loop stays free for other
requests, cancellations and disconnects) that holds the index's lock while it reads the graph. Every failure a model
can act on (a malformed argument, a target that names nothing, a query that does not parse or runs too long, an
index not built yet) is a tool result with ``isError`` and a message that says what to send instead; the server
never dies of a request.

Transports: stdio (the default), or streamable HTTP (``--http HOST:PORT``, path ``/mcp``). HTTP listens on loopback
unless told otherwise; any other address needs a bearer token (``ISG_LSP_MCP_TOKEN`` or ``--token-file``), checked on
every request in constant time. Logs go to stderr, never stdout.
"""

from __future__ import annotations

import hmac
import logging
import os
import socket
import sys
import threading
import time
import urllib.parse
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from .. import __version__
from ..watch import LiveIndex, NotReady
from . import adapter
from .config import ConfigError
from .adapter import ToolError
from .tools import BY_NAME, TOOLS, check_arguments, normalized

log = logging.getLogger(__name__)

TEST_DELAY_ENV = "ISG_LSP_MCP_TEST_DELAY_MS"  # tests only: every tool call sleeps this long first
MAX_TEXT_CHARS = 400_000

INSTRUCTIONS = """\
isg-lsp answers architectural questions about the workspace {root} from its Interface Signature Graph: \
declarations (traits/interfaces, types, functions, modules) named by fully qualified paths, and their relations \
(IMPL, EXTENDS, CALLS, ACCEPTS, RETURNS, BOUND_BY, USES, CONTAINS, DEFINES), current with the files on disk. \
Start with isg_map for the layout, isg_context before editing a symbol, isg_blast_radius before changing a \
signature. Rows marked ? (or ~) rest on heuristic edges: guesses by name, not facts."""


# ---- the server ---------------------------------------------------------------------------------------------------


def build_server(live: LiveIndex, answered: threading.Event | None = None) -> Server:
    """The MCP server over ``live``; ``answered`` is set once a tool call has been answered without an error (the
    warm-up waits for it, or a few seconds)."""

    async def list_tools(ctx, params) -> types.ListToolsResult:
        return types.ListToolsResult(
            tools=[
                types.Tool(
                    name=t.name,
                    title=t.title,
                    description=t.description,
                    input_schema=t.schema,
                    annotations=types.ToolAnnotations(read_only_hint=True, open_world_hint=False, idempotent_hint=True),
                )
                for t in TOOLS
            ]
        )

    async def call_tool(ctx, params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = BY_NAME.get(params.name)
        if tool is None:
            return _error(f"unknown tool {params.name!r}; the tools are {', '.join(t.name for t in TOOLS)}")
        try:
            arguments = normalized(tool, check_arguments(tool, params.arguments))
        except ToolError as error:
            return _error(str(error))
        try:
            answer, text = await anyio.to_thread.run_sync(
                partial(answer_call, live, tool, arguments), abandon_on_cancel=True
            )
        except ToolError as error:
            return _error(str(error))
        except Exception as error:  # noqa: BLE001 - one failed call, never a dead server
            log.exception("%s failed", tool.name)
            return _error(
                f"{tool.name} failed inside the server ({type(error).__name__}: {error}); this is a bug in "
                f"isg-lsp. Try a narrower question, or isg_query."
            )
        result = types.CallToolResult(
            content=[types.TextContent(text=_cap(text))], structured_content=_structured(tool.name, answer)
        )
        if answered is not None:
            answered.set()
        return result

    async def list_resources(ctx, params) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(
                    uri="isg://map",
                    name="map",
                    title="Architecture map of the workspace",
                    description="The compact map of every module (ISG-SPEC §3), current with the disk.",
                    mime_type="text/plain",
                ),
                types.Resource(uri="isg://stats", name="stats", title="Index statistics", mime_type="text/plain"),
            ]
        )

    async def list_templates(ctx, params) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(
            resource_templates=[
                types.ResourceTemplate(
                    uri_template="isg://map/{module}",
                    name="module-map",
                    title="Map of a module",
                    description="The compact map of one module and its submodules.",
                    mime_type="text/plain",
                ),
                types.ResourceTemplate(
                    uri_template="isg://triples/{target}",
                    name="triples",
                    title="Relations of a symbol",
                    description="A symbol's direct relations as the spec's triples ([kind] FQP x EDGE x [kind] FQP).",
                    mime_type="text/plain",
                ),
            ]
        )

    async def read_resource(ctx, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        try:
            text = await anyio.to_thread.run_sync(partial(read_resource_text, live, uri), abandon_on_cancel=True)
        except (ToolError, NotReady) as error:
            raise MCPError(code=types.INVALID_PARAMS, message=str(error)) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type="text/plain", text=text)]
        )

    return Server(
        "isg-lsp",
        version=__version__,
        title="isg-lsp: the Interface Signature Graph",
        instructions=INSTRUCTIONS.format(root=live.root),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_list_resource_templates=list_templates,
        on_read_resource=read_resource,
    )


def answer_call(live: LiveIndex, tool, arguments: dict) -> tuple[dict, str]:
    """One tool call, in a worker thread: the adapter's answer from a current graph, and its text for the model."""
    delay = float(os.environ.get(TEST_DELAY_ENV, "0") or 0)
    if delay:
        time.sleep(delay / 1000)
    try:
        if tool.name == "isg_stats":
            try:
                with live.read(wait_s=2.0) as view:
                    answer = tool.run(live, view, **arguments)
            except NotReady:
                answer = adapter.stats(live, None)
            notes: list[str] = []
        else:
            with live.read() as view:
                answer = tool.run(live, view, **arguments)
                notes = view.notes
    except NotReady as error:
        raise ToolError(str(error)) from None
    text = tool.render(answer, arguments)
    if notes:
        answer.setdefault("notes", [])
        answer["notes"] = list(answer["notes"]) + notes
        text += "\n" + "\n".join(notes)
    return answer, text


def read_resource_text(live: LiveIndex, uri: str) -> str:
    parsed = urllib.parse.urlsplit(uri)
    if parsed.scheme != "isg":
        raise ToolError(f"unknown resource {uri!r}: isg://map, isg://map/MODULE, isg://triples/TARGET, isg://stats")
    kind = parsed.netloc
    rest = urllib.parse.unquote(parsed.path.lstrip("/"))
    if kind == "stats" and not rest:
        return answer_call(live, BY_NAME["isg_stats"], {})[1]
    with live.read() as view:
        if kind == "map":
            answer = adapter.workspace_map(view, rest or None, max_tokens=0)
            return answer["text"] or "(no items)\n"
        if kind == "triples" and rest:
            return adapter.node_triples(view, rest) or "(no relations)\n"
    raise ToolError(f"unknown resource {uri!r}: isg://map, isg://map/MODULE, isg://triples/TARGET, isg://stats")


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


def _cap(text: str) -> str:
    if len(text) <= MAX_TEXT_CHARS:
        return text
    return text[:MAX_TEXT_CHARS] + "\n... (cut: the answer is too long; ask a narrower question)"


def _structured(name: str, answer: dict) -> dict:
    """The answer for programs. Texts already in the content (a context, a map) are left out of it."""
    data = {k: v for k, v in answer.items() if v is not None}
    if name in ("isg_context", "isg_map"):
        data.pop("text", None)
    if name in ("isg_who_implements", "isg_callers", "isg_blast_radius"):
        data.pop("text", None)
        data.pop("triples", None)
    return data


# ---- transports -----------------------------------------------------------------------------------------------


class BearerAuth:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>`` (compared in constant time)."""

    def __init__(self, app, token: str) -> None:
        self.app = app
        self.expected = b"Bearer " + token.encode("utf-8")

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            given = b""
            for key, value in scope.get("headers") or ():
                if key.lower() == b"authorization":
                    given = value
                    break
            if not hmac.compare_digest(given, self.expected):
                await send(
                    {
                        "type": "http.response.start",
                        "status": 401,
                        "headers": [
                            (b"content-type", b"text/plain; charset=utf-8"),
                            (b"www-authenticate", b'Bearer realm="isg-lsp"'),
                        ],
                    }
                )
                await send(
                    {
                        "type": "http.response.body",
                        "body": b"isg-lsp: a bearer token is required (Authorization: Bearer <token>)\n",
                    }
                )
                return
        await self.app(scope, receive, send)


async def serve_stdio(server: Server) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


class QuietDisconnects(logging.Filter):
    """A client that goes away mid-request is a normal event, not a server error: the SDK's HTTP transport (2.3)
    logs it with a traceback (upstream: modelcontextprotocol/python-sdk#3469) and uvicorn adds another. Those
    records become one line each."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and _is_disconnect(record.exc_info[1]):
            record.msg = "a client went away during a request (%s)"
            record.args = (type(record.exc_info[1]).__name__,)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _is_disconnect(error: BaseException | None) -> bool:
    from starlette.requests import ClientDisconnect

    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, (anyio.ClosedResourceError, anyio.BrokenResourceError, ClientDisconnect)):
            return True
        error = error.__context__
        seen += 1
    return False


def serve_http(server: Server, host: str, port: int, token: str | None) -> None:
    import asyncio

    import uvicorn

    for name in ("mcp.server.streamable_http", "uvicorn.error"):
        logging.getLogger(name).addFilter(QuietDisconnects())

    app: Any = server.streamable_http_app(host=host)  # SSE answers: measured faster than json_response here
    if token is not None:
        app = BearerAuth(app, token)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    sock.listen(128)
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    print(
        f"isg-lsp mcp: listening on http://{shown}:{bound}/mcp{' (bearer token required)' if token else ''}",
        file=sys.stderr,
        flush=True,
    )
    config = uvicorn.Config(
        app, log_config=None, access_log=False, log_level="warning", lifespan="on", timeout_graceful_shutdown=2
    )
    asyncio.run(uvicorn.Server(config).serve(sockets=[sock]))
