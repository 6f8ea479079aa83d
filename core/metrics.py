"""Prometheus metrics: HTTP requests by path and status, GraphQL operations by name, bearer
token checks by where the answer came from."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import Counter, Histogram
from strawberry.extensions import SchemaExtension

from core import tracing

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "path", "status"])
GRAPHQL_OPERATIONS = Counter("graphql_operations_total", "GraphQL operations", ["operation", "type", "outcome"])
GRAPHQL_LATENCY = Histogram(
    "graphql_operation_seconds", "GraphQL operation latency", ["operation", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TOKEN_CHECKS = Counter("token_checks_total", "Bearer token checks (services/auth.check_token)", ["source"])


class OperationMetrics(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        yield
        ctx = self.execution_context
        name = ctx.operation_name or "anonymous"
        try:
            kind = ctx.operation_type.value
        except Exception:  # the document did not parse
            kind = "invalid"
        result = ctx.result
        outcome = "error" if (ctx.pre_execution_errors or (result is not None and getattr(result, "errors", None))) else "ok"
        GRAPHQL_OPERATIONS.labels(name, kind, outcome).inc()
        GRAPHQL_LATENCY.labels(name, kind).observe(time.perf_counter() - started)


class OperationTracing(SchemaExtension):
    """A span for each operation when tracing is on (core/tracing.py); nothing when it is off."""

    def on_operation(self) -> Iterator[None]:
        if not tracing.active():
            yield
            return
        request = getattr(self.execution_context.context, "request", None)
        with tracing.operation_span(getattr(request, "headers", None)) as span:
            yield
            ctx = self.execution_context
            try:
                kind = ctx.operation_type.value
            except Exception:  # the document did not parse
                kind = "invalid"
            errors = getattr(ctx.result, "errors", None) or ctx.pre_execution_errors or []
            codes = [(getattr(e, "extensions", None) or {}).get("code") or "INTERNAL" for e in errors]
            tracing.describe_operation(span, name=ctx.operation_name, kind=kind, error_codes=codes)
