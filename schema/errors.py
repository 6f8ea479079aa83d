"""The one place where failures become GraphQL errors with `extensions.code`:
AppError subclasses keep their code; parse and validation errors (including variables that
fail coercion) become VALIDATION_FAILED, said in Chinese (schema/graphql_messages.py), or
QUERY_TOO_COMPLEX; a database constraint that
refuses a write becomes the code of its kind (a check that should have caught it first missed
a race); an outage of PostgreSQL or Redis is INTERNAL saying "try again later" (HTTP 503 for
application/graphql-response+json); anything else is INTERNAL with the request id, logged once
with its stack, and shows no detail."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

from graphql import DocumentNode, GraphQLError

from sqlalchemy.exc import DBAPIError

from core.errors import AppError, Conflict, ValidationFailed
from core.logs import request_id_var
from core.outage import OUTAGE_MESSAGE, is_outage, wants_graphql_response
from schema.graphql_messages import translate
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


# SQLSTATE classes and codes of refused writes (PostgreSQL appendix A): what the user may do.
CONSTRAINTS: dict[str, tuple[type[AppError], str]] = {
    "23505": (Conflict, "数据冲突：单元、楼层、房号或编号已被占用，请刷新后重试"),  # unique_violation
    "23P01": (Conflict, "数据冲突：与已有记录重叠，请刷新后重试"),  # exclusion_violation
    "23503": (Conflict, "关联的记录已被修改或删除，请刷新后重试"),  # foreign_key_violation
    "40001": (Conflict, "记录已被他人同时修改，请重试"),  # serialization_failure
    "40P01": (Conflict, "记录已被他人同时修改，请重试"),  # deadlock_detected
    "23502": (ValidationFailed, "必填的信息缺失"),  # not_null_violation
    "23514": (ValidationFailed, "输入的值超出允许的范围"),  # check_violation
    "22": (ValidationFailed, "输入的值超出允许的范围或格式不正确"),  # data exceptions: too long, overflow
}


def _constraint(original: BaseException | None) -> AppError | None:
    """The coded error for a write the database refused, or None for anything else."""
    if not isinstance(original, DBAPIError):
        return None
    state = getattr(original.orig, "sqlstate", None) or getattr(original.orig, "pgcode", None) or ""
    known = CONSTRAINTS.get(state) or CONSTRAINTS.get(state[:2])
    if known is None:
        return None
    log.warning("write refused by the database (%s) at request %s: %s", state, request_id_var.get(),
                type(original.orig).__name__)
    cls, message = known
    return cls(message)


def coded(error: GraphQLError, document: DocumentNode | None = None) -> GraphQLError:
    original = error.original_error
    if (refused := _constraint(original)) is not None:
        return _with(error, refused.message, refused.extensions)
    if isinstance(original, AppError):
        return error if error.extensions.get("code") == original.code else _with(error, original.message, original.extensions)
    if error.path is None and (original is None or isinstance(original, (GraphQLError, ValueError, TypeError))):
        # syntax, validation, or a variable that failed coercion (bad enum, Decimal, DateTime)
        if TOO_COMPLEX.search(error.message):
            return _with(error, MESSAGES["QUERY_TOO_COMPLEX"], {"code": "QUERY_TOO_COMPLEX", "detail": error.message})
        said = translate(error, document)
        extensions = {"code": "VALIDATION_FAILED", **({"field": said.field} if said.field else {})}
        if said.message != error.message:
            extensions["detail"] = error.message  # the English original, for the developer
        return _with(error, said.message, extensions)
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
        # Strawberry puts an execution's errors in both lists: code (and log) each error once.
        done: dict[int, GraphQLError] = {}

        def once(error: GraphQLError) -> GraphQLError:
            if id(error) not in done:
                done[id(error)] = coded(error, self.execution_context.graphql_document)
            return done[id(error)]

        result = self.execution_context.result
        if result is not None and getattr(result, "errors", None):
            if any(is_outage(e.original_error) for e in result.errors if e.original_error):
                self._unavailable()
            result.errors = [once(e) for e in result.errors]
        pre = self.execution_context.pre_execution_errors
        if pre:
            self.execution_context.pre_execution_errors = [once(e) for e in pre]

    def _unavailable(self) -> None:
        """HTTP 503 for clients of the GraphQL-over-HTTP media type; application/json keeps 200."""
        context = self.execution_context.context
        request, response = getattr(context, "request", None), getattr(context, "response", None)
        if (request is not None and request.scope["type"] == "http" and hasattr(response, "status_code")
                and wants_graphql_response(request.headers.get("accept"))):
            response.status_code = 503
