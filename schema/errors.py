"""The one place where failures become GraphQL errors with `extensions.code`:
AppError subclasses keep their code; parse and validation errors (including variables that
fail coercion) become VALIDATION_FAILED or QUERY_TOO_COMPLEX; an outage of PostgreSQL or Redis
is INTERNAL saying "try again later" (HTTP 503 for application/graphql-response+json); anything
else is INTERNAL with the request id, logged with its stack, and shows no detail."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import GraphQLError

from core.errors import AppError
from core.logs import request_id_var
from core.outage import OUTAGE_MESSAGE, is_outage, wants_graphql_response
from strawberry.extensions import SchemaExtension

log = logging.getLogger("wxfund.errors")

TOO_COMPLEX = re.compile(r"exceeds maximum operation depth|aliases found|more than \d+ tokens|查询代价")

MESSAGES = {
    "QUERY_TOO_COMPLEX": "查询过于复杂（层级、别名、长度或数据量超过上限），请拆分查询",
    "INTERNAL": "系统内部错误，请稍后重试；如仍失败请把请求编号告知管理员",
}


def _with(error: GraphQLError, message: str, extensions: dict) -> GraphQLError:
    return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                        path=error.path, original_error=None, extensions=extensions)


def coded(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, AppError):
        return error if error.extensions.get("code") == original.code else _with(error, original.message, original.extensions)
    if error.path is None and (original is None or isinstance(original, (GraphQLError, ValueError, TypeError))):
        # syntax, validation, or a variable that failed coercion (bad enum, Decimal, DateTime)
        if TOO_COMPLEX.search(error.message):
            return _with(error, MESSAGES["QUERY_TOO_COMPLEX"], {"code": "QUERY_TOO_COMPLEX", "detail": error.message})
        return _with(error, f"请求不正确：{error.message}", {"code": "VALIDATION_FAILED"})
    return internal(error)


def internal(error: GraphQLError) -> GraphQLError:
    """INTERNAL with the request id and no detail; the stack goes to the log."""
    original = error.original_error
    request_id = request_id_var.get()
    if is_outage(original):
        log.warning("outage at %s: %s", ".".join(map(str, error.path or [])) or "-", type(original).__name__)
        return _with(error, OUTAGE_MESSAGE, {"code": "INTERNAL", "requestId": request_id})
    log.error("unexpected error at %s", ".".join(map(str, error.path or [])) or "-",
              exc_info=(type(original), original, original.__traceback__) if original else None)
    return _with(error, MESSAGES["INTERNAL"], {"code": "INTERNAL", "requestId": request_id})


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and getattr(result, "errors", None):
            if any(is_outage(e.original_error) for e in result.errors if e.original_error):
                self._unavailable()
            result.errors = [coded(e) for e in result.errors]
        pre = self.execution_context.pre_execution_errors
        if pre:
            self.execution_context.pre_execution_errors = [coded(e) for e in pre]

    def _unavailable(self) -> None:
        """HTTP 503 for clients of the GraphQL-over-HTTP media type; application/json keeps 200."""
        context = self.execution_context.context
        request, response = getattr(context, "request", None), getattr(context, "response", None)
        if (request is not None and request.scope["type"] == "http" and hasattr(response, "status_code")
                and wants_graphql_response(request.headers.get("accept"))):
            response.status_code = 503
