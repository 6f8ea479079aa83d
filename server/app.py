"""The ASGI application: GraphQL (HTTP, multipart uploads, graphql-transport-ws) at /graphql
with the offline GraphiQL, signed file downloads, health, readiness and metrics, and the
developer portal at / (server/portal.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from contextlib import asynccontextmanager, suppress
from typing import Any
from urllib.parse import quote

import orjson
from arq.constants import health_check_key_suffix
from graphql import GraphQLError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from cross_web import HTTPException
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler

from core import gc_policy, tracing
from core.config import get_settings
from core.db import dispose_engine, get_engine, get_sessionmaker
from core.errors import Unauthenticated
from core.logs import configure_logging, request_id_var
from core.metrics import HTTP_REQUESTS
from core.media import GRAPHQL_RESPONSE, JSON, negotiate
from core.outage import OUTAGE_MESSAGE, is_outage, wants_graphql_response
from core.redis import close_redis, get_redis
from core.storage import close_storage, get_storage
from schema import schema
from schema.context import Context
from server import graphiql
from server.console_operations import catalogue
from server.portal import portal
from services import auth
from services.documents import document_by_id, url_is_valid
from services.jobs import close_pool
from services.templates import HOUSE_TEMPLATE_NAME, XLSX, house_template_bytes
from services.token_cache import cache as token_cache

log = logging.getLogger("wxfund.http")


def bearer(value: str | None) -> str | None:
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


class SocketHandler(BaseGraphQLTransportWSHandler):
    """graphql-transport-ws where every operation (a query or mutation too) re-checks the login
    the socket gave at connection_init: once it has ended (logout, a password change from
    another login, deactivation) the operation gets UNAUTHENTICATED and the socket closes.
    Subscriptions check again once they listen (resolvers/subscriptions.py)."""

    async def run_operation(self, operation) -> None:
        if self.context.viewer is not None:
            viewer = await auth.recheck(self.context.viewer)
            if viewer is None:
                await operation.send_initial_errors([GraphQLError(
                    "登录已失效（已退出、密码已修改或账号已注销），请重新登录", extensions={"code": Unauthenticated.code})])
                await self.websocket.close(code=4401, reason="Unauthorized")
                return
            self.context.viewer = viewer
        self.context.renew_loaders()  # per operation, as per HTTP request
        await super().run_operation(operation)


class GraphQLApp(GraphQL):
    graphql_transport_ws_handler_class = SocketHandler

    async def get_context(self, request, response) -> Context:
        token = bearer(request.headers.get("authorization")) if request.scope["type"] == "http" else None
        signed_in = None if token is None else await auth.check_token(token)
        return Context(sessions=get_sessionmaker(), viewer=None if signed_in is None else signed_in.viewer,
                       request_id=request_id_var.get(), request=request, response=response,
                       token_rejected=token is not None and signed_in is None,
                       viewer_user=None if signed_in is None else signed_in.user)

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        token = bearer(params.get("Authorization") or params.get("authorization")) if isinstance(params, dict) else None
        signed_in = None if token is None else await auth.check_token(token)
        context.viewer = None if signed_in is None else signed_in.viewer
        context.token_rejected = token is not None and context.viewer is None
        return None

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql.page()

    def create_response(self, response_data, sub_response: Response) -> Response:
        """The body encoded by orjson, straight to UTF-8 bytes: json.dumps spent about 65 ms of a
        5.5 MB estate tree (and escaped every Chinese character to six bytes); orjson takes a
        tenth of that. Same JSON values; keys that are not strings become strings as json.dumps
        makes them. WebSocket messages keep Strawberry's encode_json (text frames)."""
        response = Response(orjson.dumps(response_data, option=orjson.OPT_NON_STR_KEYS), status_code=200,
                            media_type="application/json")
        response.headers.raw.extend(sub_response.headers.raw)
        if sub_response.background:
            response.background = sub_response.background
        if sub_response.status_code:
            response.status_code = sub_response.status_code
        return response

    async def parse_multipart(self, request):
        try:
            return await super().parse_multipart(request)
        except HTTPException:
            raise
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
            # operations or map that is not JSON, not an object of lists, or a path into nothing
            raise HTTPException(400, "Malformed multipart operations or map") from exc

    async def process_result(self, request, result):
        """A request that fails before execution (syntax, validation, variables that do not
        coerce) has no `data` under application/graphql-response+json, and answers 400."""
        body = await super().process_result(request, result)
        if request.state.media_type == GRAPHQL_RESPONSE and is_request_error(result):
            body.pop("data", None)
            request.state.request_error = True
        return body

    async def __call__(self, scope, receive, send) -> None:
        """Strawberry answers a request it cannot read in plain text; ours is a coded JSON error
        in the media type the client accepts (core/media.py), with the GraphQL-over-HTTP status."""
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        request = Request(scope=scope, receive=receive)
        media = request.state.media_type = negotiate(request.headers.get("accept"))
        request.state.request_error = False
        try:
            if media is None and not self.should_render_graphql_ide(self.request_adapter_class(request)):
                raise HTTPException(406, "Not Acceptable")
            response = await self.run(request)
        except HTTPException as exc:
            response = refusal(exc.status_code, exc.reason, media)
        else:
            if media == GRAPHQL_RESPONSE and response.headers.get("content-type") == JSON:
                response.headers["content-type"] = GRAPHQL_RESPONSE
                if request.state.request_error and response.status_code == 200:
                    response.status_code = 400
        await response(scope, receive, send)


def is_request_error(result) -> bool:
    """No data and every error outside any field: the document or its variables were refused
    before anything ran (an error inside a resolver has a path)."""
    return (not isinstance(result, list) and result.data is None and bool(result.errors)
            and all(error.path is None for error in result.errors))


# Strawberry's reasons for refusing a request, in the client's terms.
REFUSALS = {
    "Unable to parse request body as JSON": "请求体不是有效的 JSON",
    "Unable to parse the multipart body": "multipart 请求体无法解析",
    "Malformed multipart operations or map": "multipart 请求的 operations 或 map 不正确（map 应为 {\"0\": [\"variables.file\"]} 的形式）",
    "File(s) missing in form data": "multipart 请求的 map 与所传文件不符",
    "Unsupported content type": "不支持的 Content-Type，请使用 application/json 或 multipart/form-data",
    "Not Acceptable": "Accept 所列的响应格式都不支持，请接受 application/graphql-response+json 或 application/json",
    "No GraphQL query found in the request": "请求中没有 GraphQL 查询（query）",
    "The GraphQL operation's `query`": "query 应为字符串",
    "The GraphQL operation's `variables`": "variables 应为 JSON 对象",
    "The GraphQL operation's `extensions`": "extensions 应为 JSON 对象",
    "subscriptions are not allowed": "订阅只能通过 WebSocket（graphql-transport-ws）使用",
    "mutations are not allowed": "GET 请求只能执行查询，修改请使用 POST",
    "queries are not allowed": "此方式不能执行查询",
    "Unknown operation named": "找不到 operationName 所指的操作",
    "Can't get GraphQL operation type": "请求中没有可执行的操作",
    "GraphQL only supports GET and POST": "只支持 GET 和 POST 请求",
}


# GraphQL over HTTP: a mutation sent by GET is 405 (with Allow: POST), an unreadable request
# body type 415; every other refusal keeps Strawberry's status (400, 405, 406).
STATUS = {"mutations are not allowed when using GET": 405, "Unsupported content type": 415}


def error_body(message: str, extensions: dict, media: str | None = JSON) -> bytes:
    """The legacy application/json body keeps `"data": null`; a request error under
    application/graphql-response+json has no data entry (the spec)."""
    body = {"errors": [{"message": message, "extensions": extensions}]}
    return json.dumps(body if media == GRAPHQL_RESPONSE else {"data": None, **body}, ensure_ascii=False).encode()


def refusal(status: int, reason: str, media: str | None = JSON) -> Response:
    message = next((m for prefix, m in REFUSALS.items() if reason.startswith(prefix)), "请求不正确")
    status = STATUS.get(reason, status)
    headers = {"Allow": "POST"} if status == 405 else None
    return Response(error_body(message, {"code": "VALIDATION_FAILED", "detail": reason, "requestId": request_id_var.get()}, media),
                    status_code=status, media_type=media or JSON, headers=headers)


graphql_app = GraphQLApp(
    schema,
    multipart_uploads_enabled=True,
    subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
    # A browser's WebSocket from another origin is refused (HTTP 403) unless CORS_ORIGINS lists it;
    # same-origin pages and clients that send no Origin (integrations) pass.
    allowed_origins=get_settings().cors_origins,
)


async def healthz(_: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(_: Request) -> Response:
    checks: dict[str, str] = {}
    try:
        async with get_engine().connect() as conn:
            await conn.execute(text("select 1"))
        checks["database"] = "ok"
    except Exception as exc:  # report, never raise: this is a probe
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        await get_redis().ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    # Reported, not required: this process serves without a worker (jobs wait in the queue).
    worker = "unknown"
    if checks["redis"] == "ok":
        alive = await get_redis().exists(get_settings().queue_name + health_check_key_suffix)
        worker = "ok" if alive else "missing"
    return JSONResponse({"status": "ok" if ready else "unavailable", **checks, "worker": worker},
                        status_code=200 if ready else 503)


async def console_operations(_: Request) -> Response:
    """The ready operations of GraphiQL's 业务操作 pane (server/console_operations.py)."""
    return JSONResponse(catalogue())


async def metrics(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def download(request: Request) -> Response:
    """A stored document behind a signed, expiring link (Document.url)."""
    doc_id = request.path_params["doc_id"]
    if not url_is_valid(doc_id, request.query_params.get("expires", ""), request.query_params.get("sig", "")):
        return JSONResponse({"error": "链接无效或已过期", "code": "NOT_FOUND"}, status_code=404)
    record = await document_by_id(get_sessionmaker(), doc_id)
    storage = get_storage()
    path = storage.path(record.storage_key) if record else None
    if path is not None and path.is_file():
        # no-store: the link is a credential until it expires; no cache should keep the file.
        return FileResponse(path, media_type=record.content_type, filename=record.filename,
                            headers={"Cache-Control": "no-store"})
    # An object store: the service streams the object itself, so the signed link (expiry, who
    # got one) stays the only way in and the bucket needs no public or presigned access.
    chunks = await storage.stream(record.storage_key) if record and path is None else None
    if chunks is None:
        return JSONResponse({"error": "文件不存在", "code": "NOT_FOUND"}, status_code=404)
    quoted = quote(record.filename)  # as FileResponse writes it
    disposition = f"attachment; filename*=utf-8''{quoted}" if quoted != record.filename \
        else f'attachment; filename="{record.filename}"'
    return StreamingResponse(chunks, media_type=record.content_type, headers={
        "Cache-Control": "no-store", "Content-Disposition": disposition, "Content-Length": str(record.size_bytes)})


async def house_template(_: Request) -> Response:
    """The import template for 采集 and 补充 (also Query.importTemplate)."""
    return Response(house_template_bytes(), media_type=XLSX, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(HOUSE_TEMPLATE_NAME)}"})


class RequestMiddleware:
    """Request id (X-Request-ID in and out), a cap on request size, one JSON log line a request,
    and the HTTP metrics."""

    def __init__(self, app):
        self.app = app
        self.max_bytes = get_settings().max_request_mb * 1024 * 1024

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        rid = headers.get(b"x-request-id", b"").decode("latin-1")[:64] or uuid.uuid4().hex
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = {"code": 0}
        try:
            if scope["type"] == "websocket":
                return await self.app(scope, receive, send)
            length = headers.get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.max_bytes:
                status["code"] = 413
                return await self._too_large(send, rid)

            received = {"bytes": 0}

            async def limited_receive():
                message = await receive()
                if message["type"] == "http.request":
                    received["bytes"] += len(message.get("body", b""))
                    if received["bytes"] > self.max_bytes:
                        raise RequestTooLarge()
                return message

            async def send_with_id(message):
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                    headers = list(message.get("headers") or [])
                    message["headers"] = headers + [(b"x-request-id", rid.encode())] + security_headers(scope, headers)
                await send(message)

            try:
                await self.app(scope, limited_receive, send_with_id)
            except RequestTooLarge:
                if status["code"] == 0:
                    status["code"] = 413
                    await self._too_large(send, rid)
            except Exception as exc:
                # Whatever escapes the app (a database outage while reading the token, a bug) is a
                # coded JSON error with the request id, never Starlette's plain-text 500.
                if status["code"] != 0:
                    raise
                status["code"] = await self._failed(scope, send_with_id, rid, exc)
        finally:
            path = scope.get("path", "")
            route = path if path in ("/graphql", "/healthz", "/readyz", "/metrics") else path.split("/")[1:2] and "/" + path.split("/")[1]
            HTTP_REQUESTS.labels(scope.get("method", "WS"), route or "/", str(status["code"])).inc()
            if path not in ("/healthz", "/metrics"):
                log.info("%s %s", scope.get("method", "WS"), path, extra={
                    "method": scope.get("method", "WS"), "path": path, "status": status["code"],
                    "durationMs": round((time.perf_counter() - started) * 1000, 1)})
            request_id_var.reset(token)

    async def _failed(self, scope, send, rid: str, exc: Exception) -> int:
        outage = is_outage(exc)
        if outage:
            log.warning("outage: %s", type(exc).__name__)
        else:
            log.error("unexpected error", exc_info=exc)
        accept = dict(scope.get("headers") or []).get(b"accept", b"").decode("latin-1")
        media = GRAPHQL_RESPONSE if wants_graphql_response(accept) else JSON
        code = 503 if outage and media == GRAPHQL_RESPONSE else 500
        body = error_body(OUTAGE_MESSAGE if outage else "系统内部错误，请稍后重试；如仍失败请把请求编号告知管理员",
                          {"code": "INTERNAL", "requestId": rid})
        await send({"type": "http.response.start", "status": code, "headers": [(b"content-type", media.encode())]})
        await send({"type": "http.response.body", "body": body})
        return code

    async def _too_large(self, send, rid: str) -> None:
        limit = get_settings().max_request_mb
        body = json.dumps({"data": None, "errors": [{
            "message": f"请求超过 {limit} MB 的上限", "extensions": {"code": "FILE_REJECTED", "requestId": rid}}]},
            ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"x-request-id", rid.encode())]})
        await send({"type": "http.response.body", "body": body})


class RequestTooLarge(Exception):
    pass


# GraphiQL loads only its own files from this origin (server/static); React sets inline styles.
GRAPHIQL_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                   "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
                   "form-action 'self'; frame-ancestors 'none'")
# Everything else is data, never a page to render or frame.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def security_headers(scope, headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Added to every HTTP response: no framing, no type sniffing, no referrer (download links
    carry their signature), and no caching of API answers or downloads (static files may be)."""
    present = {name.lower() for name, _ in headers}
    content_type = next((value for name, value in headers if name.lower() == b"content-type"), b"")
    added = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
             (b"referrer-policy", b"no-referrer"),
             (b"content-security-policy", (GRAPHIQL_POLICY if content_type.startswith(b"text/html") else API_POLICY).encode())]
    if not scope.get("path", "").startswith("/static/"):
        added.append((b"cache-control", b"no-store"))
    return [(name, value) for name, value in added if name not in present]


@asynccontextmanager
async def lifespan(_app):
    gc_policy.settle()
    if get_settings().token_cache_seconds > 0:
        # The first requests may use the token cache; with Redis unreachable, start without it.
        with suppress(asyncio.TimeoutError):
            await token_cache.listening(timeout=5)
    yield
    await token_cache.close()
    await close_pool()
    await dispose_engine()
    await close_redis()
    await close_storage()


def create_app() -> Starlette:
    configure_logging(get_settings().log_level)
    tracing.configure("wxfund-api")
    app = Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route("/graphiql/operations.json", console_operations),
            Route("/files/{doc_id:int}", download),
            Route("/templates/houses.xlsx", house_template),
            Mount("/static", StaticFiles(directory=str(graphiql.STATIC_DIR), check_dir=False), name="static"),
            # last: the portal answers every other GET path (it routes in the browser)
            Route("/{path:path}", portal, methods=["GET", "HEAD"]),
        ],
        lifespan=lifespan,
    )
    app.router.routes.append(WebSocketRoute("/graphql", graphql_app))
    # Frontends on other origins (CORS_ORIGINS): preflight answered, bearer tokens allowed; no
    # cookies are used, so no credentials.
    app.add_middleware(CORSMiddleware, allow_origins=list(get_settings().cors_origins), allow_methods=["GET", "POST"],
                       allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID",
                                      "Apollo-Require-Preflight", "GraphQL-Require-Preflight"],
                       expose_headers=["X-Request-ID"], max_age=600)
    app.add_middleware(RequestMiddleware)
    return app
