"""Schema extensions that count, time (core/metrics.py) and trace (core/tracing.py) each
GraphQL operation."""

from __future__ import annotations

import time
from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from core import tracing
from core.metrics import GRAPHQL_LATENCY, GRAPHQL_OPERATIONS


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
