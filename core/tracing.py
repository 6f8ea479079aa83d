"""OpenTelemetry tracing for operators who run the service beside others: a span for each
GraphQL operation (joining the caller's trace from its `traceparent` header), one for each of
its database statements, and one for each background job it started, in the same trace, from
the request into the worker.

Off by default. The standard variables switch it on: `OTEL_TRACES_EXPORTER` (`otlp`, `console`,
or both, comma-separated) or an `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`;
`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` and the other `OTEL_EXPORTER_OTLP_*` settings
are read by the SDK as usual; `OTEL_SDK_DISABLED=true` keeps it off. When off, every hook here
returns at once."""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from typing import Any, Iterator

from opentelemetry import context, propagate, trace
from sqlalchemy import event
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.trace import Status, StatusCode

log = logging.getLogger("wxfund.tracing")

_provider: Any = None  # the TracerProvider once tracing is on
_engines: list[Any] = []  # the process's engines (core.db registers them), traced once tracing is on
_instrumented: list[Any] = []  # engines whose statements are traced
TRACER_NAME = "wxfund"
CARRIER_TTL_SECONDS = 24 * 3600


def wanted() -> bool:
    """Whether the OTEL_* environment asks for traces."""
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporters = [e.strip() for e in os.environ.get("OTEL_TRACES_EXPORTER", "").split(",") if e.strip()]
    if exporters:
        return exporters != ["none"]
    return bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def active() -> bool:
    return _provider is not None


def configure(service_name: str) -> bool:
    """Turns tracing on for this process if the environment asks for it (idempotent)."""
    if _provider is not None or not wanted():
        return _provider is not None
    resource = Resource.create({SERVICE_NAME: os.environ.get("OTEL_SERVICE_NAME") or service_name})
    provider = TracerProvider(resource=resource)
    for name in [e.strip() for e in os.environ.get("OTEL_TRACES_EXPORTER", "otlp").split(",") if e.strip()]:
        if name == "otlp":
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        elif name != "none":
            log.warning("tracing.unknown_exporter", extra={"exporter": name})
    install(provider)
    return True


def install(provider: Any) -> None:
    """Uses `provider` for this process's spans (configure, or a test's in-memory exporter)."""
    global _provider
    _provider = provider
    for engine in _engines:
        _instrument(engine)


def uninstall() -> None:
    """Back to no tracing (tests)."""
    global _provider
    for engine in _instrumented:
        for name, listener in _LISTENERS:
            event.remove(engine, name, listener)
    _instrumented.clear()
    _provider = None


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME, tracer_provider=_provider)


def register_engine(async_engine: Any) -> None:
    """An engine of this process: a span per database statement, child of the operation or job
    that ran it, whenever tracing is on."""
    _engines[:] = [e for e in _engines if e is not async_engine.sync_engine] + [async_engine.sync_engine]
    if _provider is not None:
        _instrument(async_engine.sync_engine)


def _statement_span(sql: str) -> Any:
    # The statement's text only: its parameters may carry personal data.
    verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "SQL"
    return tracer().start_span(verb, kind=trace.SpanKind.CLIENT, attributes={
        "db.system": "postgresql", "db.statement": sql[:4000], "db.operation": verb})


def _statement_started(conn, cursor, statement, parameters, execution, executemany) -> None:
    execution._wxfund_span = _statement_span(statement)


def _statement_ended(conn, cursor, statement, parameters, execution, executemany) -> None:
    span = getattr(execution, "_wxfund_span", None)
    if span is not None:
        span.end()


def _statement_failed(exception_context) -> None:
    span = getattr(exception_context.execution_context, "_wxfund_span", None)
    if span is not None:
        span.set_status(Status(StatusCode.ERROR, type(exception_context.original_exception).__name__))
        span.end()


@contextmanager
def statement(sql: str) -> Iterator[None]:
    """A span for a statement run on the driver connection itself (services/batches.DriverQuery),
    which SQLAlchemy's events do not see: the same span its listeners make for the others."""
    if _provider is None:
        yield
        return
    span = _statement_span(sql)
    try:
        yield
    except BaseException as error:
        span.set_status(Status(StatusCode.ERROR, type(error).__name__))
        raise
    finally:
        span.end()


_LISTENERS = (("before_cursor_execute", _statement_started), ("after_cursor_execute", _statement_ended),
              ("handle_error", _statement_failed))


def _instrument(engine: Any) -> None:
    if engine in _instrumented:
        return
    for name, listener in _LISTENERS:
        event.listen(engine, name, listener)
    _instrumented.append(engine)


@contextmanager
def operation_span(headers: Any) -> Iterator[Any]:
    """The span of one GraphQL operation, in the trace its caller's `traceparent` names."""
    if _provider is None:
        yield None
        return
    parent = propagate.extract(dict(headers)) if headers is not None else None
    with tracer().start_as_current_span("graphql.operation", context=parent, kind=trace.SpanKind.SERVER) as span:
        yield span


def describe_operation(span: Any, *, name: str | None, kind: str | None, error_codes: list[str]) -> None:
    if span is None:
        return
    span.update_name(f"graphql {kind or 'operation'} {name or ''}".strip())
    span.set_attribute("graphql.operation.type", kind or "")
    if name:
        span.set_attribute("graphql.operation.name", name)
    if error_codes:
        span.set_attribute("wxfund.error_codes", error_codes)
        span.set_status(Status(StatusCode.ERROR, ",".join(error_codes)))


def carrier_key(arq_job_id: str) -> str:
    return f"trace:{arq_job_id}"


async def remember_context(redis: Any, arq_job_id: str) -> None:
    """At enqueue: the current trace context, for the worker that runs the job."""
    if _provider is None:
        return
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    if carrier:
        await redis.set(carrier_key(arq_job_id), json.dumps(carrier), ex=CARRIER_TTL_SECONDS)


async def job_started(ctx: dict) -> None:
    """arq's on_job_start: a span for the job, child of the request that enqueued it. The job's
    task is created after this hook in the same context, so its statements are children too."""
    if _provider is None:
        return
    raw = await ctx["redis"].get(carrier_key(ctx["job_id"]))
    parent = propagate.extract(json.loads(raw)) if raw else None
    span = tracer().start_span("job", context=parent, kind=trace.SpanKind.CONSUMER,
                               attributes={"arq.job_id": ctx["job_id"], "arq.job_try": ctx.get("job_try", 1)})
    ctx["trace_span"] = span
    ctx["trace_token"] = context.attach(trace.set_span_in_context(span))


async def job_ended(ctx: dict) -> None:
    span = ctx.pop("trace_span", None)
    if span is None:
        return
    context.detach(ctx.pop("trace_token"))
    span.end()
