"""OpenTelemetry: off by default; when on, a span for each GraphQL operation (in the caller's
trace), its database statements beneath it, and the job it started beneath it too, from the
request into the worker. The spans are read with the SDK's in-memory exporter."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from core import tracing
from tests.api import gql
from tests.appflow import make_world, wait_job

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{CALLER_TRACE}-00f067aa0ba902b7-01"


@pytest.fixture
def spans():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        yield exporter
    finally:
        tracing.uninstall()


def test_off_by_default(monkeypatch):
    for name in ("OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    assert not tracing.wanted() and not tracing.active()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    assert tracing.wanted()
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert not tracing.wanted()
    monkeypatch.delenv("OTEL_SDK_DISABLED")
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert not tracing.wanted()


async def test_operation_statements_and_job_in_one_trace(client, session, worker, spans):
    world = await make_world(client, session)
    spans.clear()
    response = await client.post("/graphql", json={"query": "mutation Recalculate { recalculateDeposits { id } }"},
                                 headers={"Authorization": f"Bearer {world.clerk}", "traceparent": TRACEPARENT})
    job_id = response.json()["data"]["recalculateDeposits"]["id"]
    job = await wait_job(client, world.clerk, job_id)
    assert job["status"] == "SUCCEEDED"

    finished = spans.get_finished_spans()
    (operation,) = [s for s in finished if s.name == "graphql mutation Recalculate"]
    assert operation.context.trace_id == int(CALLER_TRACE, 16)  # joins the caller's trace
    assert operation.attributes["graphql.operation.name"] == "Recalculate"
    assert operation.status.status_code != StatusCode.ERROR
    statements = [s for s in finished if s.parent is not None and s.parent.span_id == operation.context.span_id
                  and s.attributes.get("db.system") == "postgresql"]
    assert {s.name for s in statements} >= {"INSERT"}  # the job row, at least
    (job_span,) = [s for s in finished if s.name == "job"]
    assert job_span.context.trace_id == operation.context.trace_id
    assert job_span.parent.span_id == operation.context.span_id
    in_job = [s for s in finished if s.parent is not None and s.parent.span_id == job_span.context.span_id]
    assert any(s.attributes.get("db.system") == "postgresql" for s in in_job)
    # Statements carry their text, never their parameters.
    assert all("db.statement.parameters" not in s.attributes for s in finished)


async def test_an_operation_that_fails_is_marked(client, session, spans):
    world = await make_world(client, session)
    spans.clear()
    r = await gql(client, "mutation Recalc { recalculateDeposits { id } }", token=world.dev)
    assert r.code == "FORBIDDEN"
    (operation,) = [s for s in spans.get_finished_spans() if s.name == "graphql mutation Recalc"]
    assert operation.status.status_code == StatusCode.ERROR
    assert list(operation.attributes["wxfund.error_codes"]) == ["FORBIDDEN"]
