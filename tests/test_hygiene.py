"""API hygiene: error codes, masking of unexpected failures, query limits, scalars, the printed
schema, health, readiness and metrics."""

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schema.scalars import format_decimal, parse_datetime, parse_decimal
from server.uvicorn_options import API_OPTIONS
from tests.api import gql
from tests.factories import login, make_org

ROOT = Path(__file__).resolve().parent.parent


async def test_depth_20_is_too_complex(client, session):
    org = await make_org(session)
    token = await login(client, org.admin_username)
    deep = "{ me " + "{ organization { users " * 10 + "{ name }" + " } }" * 10 + " }"
    r = await gql(client, deep, token=token)
    assert r.code == "QUERY_TOO_COMPLEX" and r.data is None


async def test_1000_aliases_are_too_complex(client):
    query = "{ " + " ".join(f"a{i}: registrationAgreement {{ version }}" for i in range(1000)) + " }"
    r = await gql(client, query)
    assert r.code == "QUERY_TOO_COMPLEX"


async def test_too_many_tokens(client):
    query = "{ registrationAgreement { " + " ".join(["version"] * 6000) + " } }"
    r = await gql(client, query)
    assert r.code == "QUERY_TOO_COMPLEX"


async def test_cost_multiplied_by_first(client, session):
    org = await make_org(session)
    token = await login(client, org.admin_username)
    fields = " ".join(["id code name address district remark status"] * 1)
    inner = "edges { node { " + fields + " developer { estates(first: 100) { edges { node { " + fields + " developer { estates(first: 100) { edges { node { " + fields + " } } } } } } } } } }"
    r = await gql(client, "{ estates(first: 100) { " + inner + " } }", token=token)
    assert r.code == "QUERY_TOO_COMPLEX"
    assert not (await gql(client, "{ estates(first: 100) { totalCount edges { node { name } } } }", token=token)).errors


async def test_a_repeated_query_is_validated_once_and_still_limited(client, monkeypatch):
    import strawberry.schema.schema as strawberry_schema

    calls = []
    real = strawberry_schema.validate_document
    monkeypatch.setattr(strawberry_schema, "validate_document", lambda *a: calls.append(1) or real(*a))
    from strawberry.extensions import validation_cache

    validation_cache._get_validate_cache.cache_clear()
    query = "{ registrationAgreement { version } }"
    for _ in range(3):
        assert not (await gql(client, query)).errors
    assert len(calls) == 1
    too_many = "{ " + " ".join(f"a{i}: registrationAgreement {{ version }}" for i in range(1000)) + " }"
    for _ in range(2):
        assert (await gql(client, too_many)).code == "QUERY_TOO_COMPLEX"
    validation_cache._get_validate_cache.cache_clear()


async def test_syntax_and_unknown_fields_are_validation_failed(client):
    assert (await gql(client, "{ me { ")).code == "VALIDATION_FAILED"
    r = await gql(client, "{ nope }")
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["message"]


async def test_unexpected_errors_are_masked_with_a_request_id(client, session, monkeypatch, caplog):
    org = await make_org(session)
    token = await login(client, org.admin_username)

    async def broken(*args, **kwargs):
        raise RuntimeError("SELECT secret FROM internals")

    monkeypatch.setattr("services.tree.read.all_banks", broken)
    response = await client.post("/graphql", json={"query": "{ banks { code } }"},
                                 headers={"Authorization": f"Bearer {token}", "X-Request-ID": "req-123"})
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "INTERNAL", "requestId": "req-123"}
    assert "SELECT" not in response.text and "Traceback" not in response.text
    assert response.headers["x-request-id"] == "req-123"
    assert any("SELECT secret" in (r.exc_text or "") or r.exc_info for r in caplog.records if r.name == "wxfund.errors")


def test_readme_production_command_starts_the_api_as_the_launcher_does():
    """The README's uvicorn command carries every option of server/uvicorn_options.py (the event
    loop above all: on uvloop a saturated process answered some requests ten times later)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = readme.split("-m uvicorn server.asgi:app", 1)[1].split("```", 1)[0].replace("\\\n", " ").split()
    pairs = list(zip(API_OPTIONS, API_OPTIONS[1:]))
    for flag in API_OPTIONS:
        assert flag in command, f"README's production command lacks {flag}"
    for flag, value in pairs:
        if flag.startswith("--") and not value.startswith("--"):
            assert command[command.index(flag) + 1] == value, f"README's production command: {flag} is not {value}"


def test_printed_schema_is_current():
    from strawberry.printer import print_schema

    from schema import schema

    assert (ROOT / "schema.graphql").read_text(encoding="utf-8") == print_schema(schema) + "\n", \
        "schema.graphql is stale: run  .venv/bin/python -m schema.print > schema.graphql"


@pytest.mark.parametrize("bad", [1, 1.5, "1e2", "NaN", "Infinity", "1,000", "", " 1", "0x10", "1.", ".5",
                                 "１０.５", "\u0661\u0660.50", "1\u0967"])  # full-width, Arabic-Indic, Devanagari digits
def test_decimal_refuses_numbers_and_exponents(bad):
    with pytest.raises(ValueError):
        parse_decimal(bad)


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False))
def test_money_round_trips_with_two_decimals(value):
    text = format_decimal(value)
    assert text.split(".")[1].__len__() == 2
    assert parse_decimal(text) == value


def test_datetime_needs_an_offset():
    with pytest.raises(ValueError):
        parse_datetime("2026-11-27T09:30:00")
    assert parse_datetime("2026-11-27T09:30:00+08:00").utcoffset().total_seconds() == 8 * 3600


async def test_health_ready_metrics(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    body = ready.json()
    assert ready.status_code == 200 and body == {"status": "ok", "database": "ok", "redis": "ok", "worker": body["worker"]}
    assert body["worker"] in ("ok", "missing")  # whether a worker on this queue has checked in lately
    await gql(client, "query Agreement { registrationAgreement { version } }")
    metrics = (await client.get("/metrics")).text
    assert 'graphql_operations_total{operation="Agreement",outcome="ok",type="query"}' in metrics
    assert "graphql_operation_seconds_bucket" in metrics


async def test_graphql_over_get_ide_and_ws_protocol_only(client):
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "unpkg" not in page.text and "cdn" not in page.text.lower()


def test_json_log_lines_carry_the_extra_fields():
    import json
    import logging

    from core.logs import JsonFormatter, request_id_var

    record = logging.LogRecord("wxfund.applications", logging.INFO, __file__, 1, "import.done", (), None)
    record.__dict__.update(job_id=7, rows=10000, read_s=0.52, path=Path("/x"))
    token = request_id_var.set("req-1")
    try:
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert entry["message"] == "import.done" and entry["requestId"] == "req-1"
    assert (entry["job_id"], entry["rows"], entry["read_s"], entry["path"]) == (7, 10000, 0.52, "/x")
    assert "args" not in entry and "levelno" not in entry and "lineno" not in entry
