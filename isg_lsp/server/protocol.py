"""The isg/* requests as typed attrs classes (docs/protocol.md), and the JSON-RPC protocol that carries them.

Params arrive as these classes (camelCase JSON ↔ snake_case fields, through lsprotocol's converter); results are
attrs classes serialised with the same naming, keeping `null`s except in fields the protocol marks optional.
``IsgProtocol`` also fixes three behaviours of pygls for this server: positions are always UTF-16 (our spans are),
documents are kept by the server itself (pygls would apply every change a second time), and error responses never
carry a Python traceback.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import re
from typing import Any, Optional, Union

import attrs
import cattrs
from lsprotocol import types
from cattrs.errors import ClassValidationError
from pygls.exceptions import JsonRpcException, JsonRpcInternalError, JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol, default_converter, lsp_method
from pygls.protocol.json_rpc import (
    JsonRPCNotification,
    JsonRPCRequestMessage,
    JsonRPCResponseMessage,
    ResponseErrorMessage,
)

log = logging.getLogger(__name__)

OPTIONAL = {"omit_if_none": True}


def _opt(default=None):
    """A result field omitted from the JSON when it is None (`field?: T` in docs/protocol.md)."""
    return attrs.field(default=default, metadata=OPTIONAL)


# ---- params --------------------------------------------------------------------------------------------------


@attrs.define
class TargetParams:
    """`TargetRef`: the first of id, fqp, textDocument + position that is present names the target."""

    id: Optional[str] = None
    fqp: Optional[str] = None
    text_document: Optional[types.TextDocumentIdentifier] = None
    position: Optional[types.Position] = None
    include_heuristic: Optional[bool] = None


@attrs.define
class WhoImplementsParams(TargetParams):
    pass


@attrs.define
class CallsParams(TargetParams):
    pass


@attrs.define
class BlastRadiusParams(TargetParams):
    depth: Optional[int] = None
    direction: Optional[str] = None
    edge_kinds: Optional[list[str]] = None
    limit: Optional[int] = None
    through_hubs: Optional[bool] = None


@attrs.define
class CyclesParams:
    level: Optional[str] = None
    within: Optional[str] = None
    limit: Optional[int] = None
    include_heuristic: Optional[bool] = None


@attrs.define
class SearchParams:
    pattern: str = ""
    kinds: Optional[list[str]] = None
    field: Optional[str] = None
    limit: Optional[int] = None


@attrs.define
class StatsParams:
    pass


@attrs.define
class QueryParams:
    query: str = ""
    format: Optional[str] = None
    limit: Optional[int] = None


@attrs.define
class SqlParams:
    sql: str = ""
    limit: Optional[int] = None


@attrs.define
class ContextParams(TargetParams):
    query: Optional[str] = None
    budget_tokens: Optional[int] = None
    focus: Optional[list[str]] = None
    include_tests: Optional[bool] = None


@attrs.define
class MapParams:
    level: Optional[str] = None
    budget_tokens: Optional[int] = None
    focus: Optional[list[str]] = None
    modules: Optional[list[str]] = None
    include_tests: Optional[bool] = None


# ---- results -------------------------------------------------------------------------------------------------


@attrs.define
class IsgLocation:
    uri: str
    range: types.Range


@attrs.define
class IsgNode:
    id: str
    kind: str
    kind_name: str
    name: str
    fqp: str
    lang: str
    signature: str
    visibility: Optional[str]
    external: bool
    location: Optional[IsgLocation]


@attrs.define
class IsgEdgeInfo:
    kind: str
    resolution: str
    candidates: Optional[int] = _opt()
    derived: Optional[bool] = _opt()


@attrs.define
class NodeWithEdge:
    node: IsgNode
    edge: IsgEdgeInfo


@attrs.define
class WhoImplementsResult:
    target: list[IsgNode]
    implementors: list[NodeWithEdge]
    heuristic_count: int
    notes: list[str] = attrs.Factory(list)


@attrs.define
class CallsResult:
    target: list[IsgNode]
    calls: list[NodeWithEdge]
    heuristic_count: int
    notes: list[str] = attrs.Factory(list)
    unresolved: Optional[list[str]] = _opt()


@attrs.define
class ImpactedNode:
    node: IsgNode
    distance: int
    via: str
    heuristic: bool
    path: list[str]
    stop: bool = False


@attrs.define
class ModuleCount:
    module: str
    count: int


@attrs.define
class KindCount:
    kind: str
    count: int


@attrs.define
class BlastRadiusResult:
    target: list[IsgNode]
    impacted: list[ImpactedNode]
    by_module: list[ModuleCount]
    by_kind: list[KindCount]
    total: int
    heuristic_count: int
    truncated: bool
    stopped_at: list[str] = attrs.Factory(list)


@attrs.define
class CycleInfo:
    size: int
    members: list[str]
    example: list[str]
    heuristic: bool = False


@attrs.define
class CyclesResult:
    cycles: list[CycleInfo]
    heuristic_count: int = 0


@attrs.define
class SearchResult:
    nodes: list[IsgNode]
    total: int


@attrs.define
class Progress:
    done: int
    total: int


@attrs.define
class DatabaseInfo:
    path: Optional[str]
    persistent: bool
    message: Optional[str] = _opt()


@attrs.define
class LatencySummary:
    p50: float
    p95: float
    p99: float
    count: int


@attrs.define
class Latencies:
    update: LatencySummary
    query: LatencySummary


@attrs.define
class FolderStats:
    """One workspace folder (an addition to the protocol: multi-root workspaces)."""

    uri: str
    state: str
    indexed: Progress
    files: int
    nodes: int
    edges: int
    database: DatabaseInfo


@attrs.define
class StatsResult:
    state: str
    indexed: Progress
    files: int
    nodes: int
    edges: int
    nodes_by_kind: dict[str, int]
    edges_by_kind: dict[str, int]
    by_language: dict[str, int]
    unresolved_references: int
    heuristic_edges: int
    database: DatabaseInfo
    latency_ms: Latencies
    folders: list[FolderStats] = attrs.field(factory=list)
    external_nodes: int = 0
    graph_version: int = 0
    # item-position macro calls whose tokens are not items: what they expand to is out of a parser's reach
    macro_calls_not_read: int = 0
    # external nodes whose path begins with a workspace crate's name (stand-ins for workspace items; should be 0)
    workspace_stand_ins: int = 0


# isg/query, isg/sql and isg/context results are built by their modules (querylang, sqlquery, context) and sent
# as the JSON those modules produce, completed by the server where the protocol asks for more.


# ---- the protocol --------------------------------------------------------------------------------------------

ISG_PARAMS: dict[str, type] = {
    "isg/whoImplements": WhoImplementsParams,
    "isg/callers": CallsParams,
    "isg/callees": CallsParams,
    "isg/blastRadius": BlastRadiusParams,
    "isg/cycles": CyclesParams,
    "isg/search": SearchParams,
    "isg/stats": StatsParams,
    "isg/query": QueryParams,
    "isg/sql": SqlParams,
    "isg/context": ContextParams,
    "isg/map": MapParams,
}


def _request_class(method: str, params_cls: type) -> type:
    cls = attrs.make_class(
        f"{params_cls.__name__[:-6]}Request",
        {
            "id": attrs.field(type=Union[int, str]),  # type: ignore[call-overload]  # a typing form, as attrs takes it
            "params": attrs.field(type=Optional[params_cls], default=None),  # type: ignore[call-overload]
            "method": attrs.field(type=str, default=method),
            "jsonrpc": attrs.field(type=str, default="2.0"),
        },
    )
    return cls


ISG_REQUESTS = {method: _request_class(method, cls) for method, cls in ISG_PARAMS.items()}


def _to_camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


_RESULT_CLASSES = (
    IsgLocation,
    IsgNode,
    IsgEdgeInfo,
    NodeWithEdge,
    WhoImplementsResult,
    CallsResult,
    ImpactedNode,
    ModuleCount,
    KindCount,
    BlastRadiusResult,
    CycleInfo,
    CyclesResult,
    SearchResult,
    Progress,
    DatabaseInfo,
    LatencySummary,
    Latencies,
    FolderStats,
    StatsResult,
)


def converter_factory() -> cattrs.Converter:
    """pygls' converter, plus exact JSON for our results: camelCase keys, `null` kept unless the field is optional."""
    converter = default_converter()

    def make_unstructure(cls):
        overrides = {
            a.name: cattrs.gen.override(rename=_to_camel(a.name), omit_if_default=bool(a.metadata.get("omit_if_none")))
            for a in attrs.fields(cls)
        }
        return cattrs.gen.make_dict_unstructure_fn(cls, converter, **overrides)  # type: ignore[arg-type]

    for cls in _RESULT_CLASSES:
        converter.register_unstructure_hook(cls, make_unstructure(cls))
    return converter


class JsonText(str):
    """A result already written as JSON text (``convert``'s ``*_text`` functions, for the requests whose answers run
    to hundreds of nodes, each node's text made once): sent as it is, neither structured field by field by pygls nor
    encoded again. Its value is what the converter makes of the corresponding attrs result
    (tests/lsp/test_json_results.py)."""

    __slots__ = ()


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/:]+){2,}[\\/]?")


def clean_message(text: str) -> str:
    """An error message fit for the client: one line, file system paths reduced to their last part."""
    text = " ".join(str(text).split())
    text = _PATH.sub(lambda m: "…/" + re.split(r"[\\/]", m.group(0).rstrip("\\/"))[-1], text)
    return text[:500]


_ANSWERED = object()  # a request already answered with an error while it was read


def _validation_detail(error: BaseException | None) -> str:
    if error is None:
        return "malformed message"
    try:
        lines = cattrs.transform_error(error)
    except Exception:  # noqa: BLE001 - not a cattrs error
        lines = [f"{type(error).__name__}: {error}"]
    return "; ".join(line.replace("$.params.", "").replace("$.params", "params") for line in lines[:3])


class IsgProtocol(LanguageServerProtocol):
    """pygls' LSP protocol with the isg/* requests typed, positions in UTF-16 and no tracebacks in responses."""

    def _structure(self, data: dict[str, Any]):
        """pygls' ``structure_message`` without its traceback in the log for every malformed message."""
        if "jsonrpc" not in data:
            return data
        try:
            if "id" in data:
                if "error" in data:
                    return self._converter.structure(data, ResponseErrorMessage)
                if "method" in data:
                    request_type = self.get_message_type(data["method"]) or JsonRPCRequestMessage
                    return self._converter.structure(data, request_type)
                response_type = self._result_types.pop(data["id"], None) or JsonRPCResponseMessage
                return self._converter.structure(data, response_type)
            notification_type = self.get_message_type(data.get("method", "")) or JsonRPCNotification
            return self._converter.structure(data, notification_type)
        except ClassValidationError as exc:
            raise JsonRpcInvalidParams() from exc
        except Exception as exc:  # noqa: BLE001
            raise JsonRpcInternalError() from exc

    def structure_message(self, data: dict[str, Any]):
        try:
            return self._structure(data)
        except JsonRpcException as error:
            if data.get("method") == types.TEXT_DOCUMENT_DID_CHANGE and "id" not in data:
                # a change we cannot read is a change we did not apply: the document is out of sync
                params = data.get("params")
                document = params.get("textDocument") if isinstance(params, dict) else None
                uri = document.get("uri") if isinstance(document, dict) else None
                session = getattr(self._server, "session", None)
                if session is not None and isinstance(uri, str):
                    session.desync_uri(uri, "a change with invalid parameters")
            if "id" in data and "method" in data:
                # pygls would drop the request unanswered: answer it with what was wrong
                detail = _validation_detail(error.__cause__)
                message = clean_message(f"invalid params for {data['method']}: {detail}")
                log.warning("%s", message)
                self._send_response(data["id"], error=types.ResponseError(code=-32602, message=message))
                return _ANSWERED
            raise

    def handle_message(self, message):
        if message is _ANSWERED:
            return
        method = getattr(message, "method", None)
        msg_id = getattr(message, "id", None)
        is_request = method is not None and msg_id is not None and not hasattr(message, "result")
        if is_request and self._shutdown and method != types.EXIT:
            # LSP: requests after shutdown are answered with InvalidRequest (pygls would drop them unanswered)
            self._send_response(
                msg_id, error=types.ResponseError(code=-32600, message=f"the server is shutting down: {method} refused")
            )
            return
        if is_request and method != types.INITIALIZE and getattr(self, "_initialize_seen", False) is False:
            self._send_response(
                msg_id,
                error=types.ResponseError(code=-32002, message=f"the server is not initialized: {method} refused"),
            )
            return
        if method == types.INITIALIZE:
            self._initialize_seen = True
        super().handle_message(message)

    def get_message_type(self, method: str) -> Any:  # type: ignore[override]  # pygls wraps its own in lru_cache
        request = ISG_REQUESTS.get(method)
        if request is not None:
            return request
        return super().get_message_type(method)

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(self, params: types.InitializeParams):
        # Our spans are UTF-16 (ISG-SPEC §1); every client supports UTF-16, so never negotiate another encoding.
        general = params.capabilities.general if params.capabilities is not None else None
        if general is not None and general.position_encodings:
            general.position_encodings = [types.PositionEncodingKind.Utf16]
        return (yield from super().lsp_initialize(params))

    @lsp_method(types.SHUTDOWN)
    def lsp_shutdown(self, *args):
        # pygls 2.1 cancels the futures of unanswered requests while iterating over them; a cancelled future's
        # callbacks pop it from the same dict, so a shutdown that arrives while a request of ours (a progress token,
        # a lens refresh) is unanswered failed with "dictionary changed size during iteration" and the server
        # exited with 1. Iterate over a copy.
        if (handler := self.fm.features.get(types.SHUTDOWN)) is not None:
            yield handler, args, None
        current_id = self.msg_id
        for msg_id, future in list(self._request_futures.items()):
            if msg_id != current_id and not future.done():
                future.cancel()
        self._shutdown = True
        return None

    # The server keeps its own documents (text, tree-sitter tree): pygls' copy would cost a second application of
    # every change, so the built-in handlers only forward to ours.

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    def _execute_handler(self, msg_id, handler, callback, args=None, kwargs=None):
        super()._execute_handler(msg_id, handler, callback, args, kwargs)
        # pygls keeps the future of every generator or coroutine handler in `_request_futures` and removes it only
        # when it answers a request: each notification (every didChange!) would leave one behind for good (found by
        # tests/robustness/test_soak.py). Forget those when they are done.
        is_request = isinstance(callback, functools.partial) and callback.func == self._send_handler_result
        future = self._request_futures.get(msg_id)
        if future is not None and not is_request:
            future.add_done_callback(lambda _f, key=msg_id: self._request_futures.pop(key, None))  # type: ignore[misc]

    def _send_handler_result(self, future, *, msg_id):
        if not future.cancelled():
            error = future.exception()
            if isinstance(error, JsonRpcException):
                # an answer for the caller to act on (invalid params): one line in the log, not a traceback
                self._request_futures.pop(msg_id, None)
                log.debug("request %s: %s", msg_id, error)
                self._send_response(msg_id, error=error.to_response_error())
                return
            if error is not None:
                # A handler failed unexpectedly: log the traceback here, send the client one clean line.
                self._request_futures.pop(msg_id, None)
                log.error("request %s failed", msg_id, exc_info=(type(error), error, error.__traceback__))
                message = clean_message(f"isg-lsp internal error: {type(error).__name__}: {error}")
                self._send_response(msg_id, error=types.ResponseError(code=-32603, message=message))
                return
        super()._send_handler_result(future, msg_id=msg_id)

    def _send_text(self, body: str) -> None:
        """pygls' ``_send_data`` for a message already encoded (ASCII: ``json.dumps`` escapes the rest)."""
        if self.writer is None:
            log.error("no transport to send a response on")
            return
        data = f"Content-Length: {len(body)}\r\nContent-Type: {self.CONTENT_TYPE}; charset={self.CHARSET}\r\n\r\n{body}"
        try:
            res = self.writer.write(data.encode(self.CHARSET))
            if inspect.isawaitable(res):
                asyncio.ensure_future(res)
        except BrokenPipeError:
            log.exception("sending a response: the client's pipe is closed")
            raise
        except Exception as error:  # noqa: BLE001 - as pygls' _send_data: report, keep serving
            log.exception("sending a response failed")
            self._server._report_server_error(error, JsonRpcInternalError)

    def _send_response(self, msg_id, result=None, error=None):
        if error is None and type(result) is JsonText:
            self._send_text(f'{{"jsonrpc":"2.0","id":{json.dumps(msg_id)},"result":{result}}}')
            return
        if error is not None:
            # Whatever path produced it (pygls' own handlers included), no traceback and no path leaves the server.
            error = types.ResponseError(code=error.code, message=clean_message(error.message), data=None)
        super()._send_response(msg_id, result=result, error=error)
