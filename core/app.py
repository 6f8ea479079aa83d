"""The ASGI application: GraphQL (HTTP, multipart uploads, graphql-transport-ws) at /graphql
with the offline GraphiQL, signed file downloads, health, readiness and metrics, and the
developer portal at / (core/portal.py)."""

from __future__ import annotations

import gc
import json
import logging
import time
import uuid
from contextlib import asynccontextmanager
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from strawberry.asgi import GraphQL
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from core import graphiql
from core.portal import portal
from core.config import get_settings
from core.db import dispose_engine, get_engine, get_reader, get_sessionmaker
from core.logs import configure_logging, request_id_var
from core.metrics import HTTP_REQUESTS
from core.redis import close_redis, get_redis
from schema import schema
from schema.context import Context
from services import auth
from services.documents import url_is_valid
from services.documents_read import document_by_id
from core.storage import get_storage

log = logging.getLogger("wxfund.http")


def bearer(value: str | None) -> str | None:
    if value and value[:7].lower() == "bearer ":
        return value[7:].strip() or None
    return None


class GraphQLApp(GraphQL):
    async def _viewer(self, token: str | None):
        if token is None:
            return None
        async with get_reader().connect() as connection:
            return await auth.authenticate(connection, token)

    async def get_context(self, request, response) -> Context:
        token = bearer(request.headers.get("authorization")) if request.scope["type"] == "http" else None
        ctx = Context(sessions=get_sessionmaker(), viewer=await self._viewer(token),
                      request_id=request_id_var.get(), request=request, response=response)
        ctx.token_rejected = token is not None and ctx.viewer is None
        return ctx

    async def on_ws_connect(self, context: Context) -> Any:
        params = context.connection_params or {}
        token = bearer(params.get("Authorization") or params.get("authorization")) if isinstance(params, dict) else None
        context.viewer = await self._viewer(token)
        context.token_rejected = token is not None and context.viewer is None
        return None

    async def render_graphql_ide(self, request: Request) -> Response:
        return graphiql.page()


graphql_app = GraphQLApp(
    schema,
    multipart_uploads_enabled=True,
    subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
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
    return JSONResponse({"status": "ok" if ready else "unavailable", **checks}, status_code=200 if ready else 503)


async def metrics(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def download(request: Request) -> Response:
    """A stored document behind a signed, expiring link (Document.url)."""
    doc_id = request.path_params["doc_id"]
    if not url_is_valid(doc_id, request.query_params.get("expires", ""), request.query_params.get("sig", "")):
        return JSONResponse({"error": "链接无效或已过期", "code": "NOT_FOUND"}, status_code=404)
    record = await document_by_id(get_sessionmaker(), doc_id)
    path = get_storage().path(record.storage_key) if record else None
    if record is None or path is None or not path.exists():
        return JSONResponse({"error": "文件不存在", "code": "NOT_FOUND"}, status_code=404)
    return FileResponse(path, media_type=record.content_type, filename=record.filename,
                        headers={"Cache-Control": "private, max-age=60", "X-Content-Type-Options": "nosniff"})


async def house_template(_: Request) -> Response:
    """The import template for 采集 and 补充 (also Query.importTemplate)."""
    from services.templates import HOUSE_TEMPLATE_NAME, XLSX, house_template_bytes

    from urllib.parse import quote

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
                    message.setdefault("headers", [])
                    message["headers"] = list(message["headers"]) + [(b"x-request-id", rid.encode())]
                await send(message)

            try:
                await self.app(scope, limited_receive, send_with_id)
            except RequestTooLarge:
                if status["code"] == 0:
                    status["code"] = 413
                    await self._too_large(send, rid)
        finally:
            path = scope.get("path", "")
            route = path if path in ("/graphql", "/healthz", "/readyz", "/metrics") else path.split("/")[1:2] and "/" + path.split("/")[1]
            HTTP_REQUESTS.labels(scope.get("method", "WS"), route or "/", str(status["code"])).inc()
            if path not in ("/healthz", "/metrics"):
                log.info("%s %s", scope.get("method", "WS"), path, extra={
                    "method": scope.get("method", "WS"), "path": path, "status": status["code"],
                    "durationMs": round((time.perf_counter() - started) * 1000, 1)})
            request_id_var.reset(token)

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


def tune_gc() -> None:
    """Large GraphQL results allocate hundreds of thousands of short-lived objects, and the cyclic
    collector spent about 40 % of the whole-estate query's time re-scanning the long-lived
    heap (docs/benchmarks.md). Freeze what start-up made and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)


@asynccontextmanager
async def lifespan(_app):
    tune_gc()
    yield
    from services.jobs import close_pool

    await close_pool()
    await dispose_engine()
    await close_redis()


def create_app() -> Starlette:
    configure_logging(get_settings().log_level)
    app = Starlette(
        routes=[
            Route("/graphql", graphql_app, methods=["GET", "POST"]),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route("/files/{doc_id:int}", download),
            Route("/templates/houses.xlsx", house_template),
            Mount("/static", StaticFiles(directory=str(graphiql.STATIC_DIR), check_dir=False), name="static"),
            # last: the portal answers every other GET path (it routes in the browser)
            Route("/{path:path}", portal, methods=["GET", "HEAD"]),
        ],
        lifespan=lifespan,
    )
    from starlette.routing import WebSocketRoute

    app.router.routes.append(WebSocketRoute("/graphql", graphql_app))
    app.add_middleware(RequestMiddleware)
    return app
