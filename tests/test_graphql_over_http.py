"""GraphQL over HTTP to the letter: the `graphql-http` package's server audits (MUST, SHOULD
and MAY) all pass against the running service, and the status codes and media types the audits
look at, checked here in our own terms as well, so a failure says what broke."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.processes import free_port, running, start_api

AUDIT = Path(__file__).resolve().parent / "audit"
GRAPHQL_RESPONSE = "application/graphql-response+json"
# The number of audits graphql-http 1.23.1 (pinned in tests/audit/package-lock.json) runs.
AUDITS = 61


def _install_audit() -> None:
    """`npm ci` from the lock file; once node_modules is there it is not run again."""
    if not (AUDIT / "node_modules" / "graphql-http" / "package.json").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--prefer-offline"], cwd=AUDIT, check=True,
                       stdout=subprocess.DEVNULL, timeout=300)


@pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None,
                    reason="Node.js (node and npm) is not installed: the graphql-http audit suite runs on Node")
async def test_every_graphql_over_http_audit_passes():
    _install_audit()
    port = free_port()
    with running(start_api(port)):
        done = subprocess.run(["node", "audit.mjs", f"http://127.0.0.1:{port}/graphql"], cwd=AUDIT, check=True,
                              capture_output=True, text=True, timeout=300)
    results = json.loads(done.stdout)
    failed = [f"{r['id']} {r['name']}: {r['reason']}" for r in results if r["status"] != "ok"]
    assert not failed, "\n".join(failed)
    assert len(results) == AUDITS, f"{len(results)} audits ran; graphql-http was updated? pin it or update AUDITS"


# The same rules in our own terms (docs/decisions.md, "## http").

def post(client: httpx.AsyncClient, body, accept: str | None = GRAPHQL_RESPONSE, **headers):
    if accept is not None:
        headers["accept"] = accept
    return client.post("/graphql", json=body, headers=headers)


REQUEST_ERRORS = [
    {"query": "{ me { username "},  # syntax
    {"query": "{ me { usrname } }"},  # validation
    {"query": "query($d: Date!) { payments(date: $d) { totalCount } }", "variables": {"d": "2026-13-01"}},  # coercion
    {"query": "query($id: ID!) { __typename }", "variables": {}},  # a required variable not sent
]


@pytest.mark.parametrize("body", REQUEST_ERRORS)
async def test_a_request_error_is_400_without_data_for_graphql_response_clients(client, body):
    response = await post(client, body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == GRAPHQL_RESPONSE
    answer = response.json()
    assert "data" not in answer and answer["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED", answer


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", "application/json, multipart/mixed"])
@pytest.mark.parametrize("body", REQUEST_ERRORS)
async def test_legacy_json_clients_keep_200_with_null_data(client, body, accept):
    response = await post(client, body, accept=accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert answer["data"] is None and answer["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED", answer


@pytest.mark.parametrize("body", [
    {"query": "{ " + " ".join(f"a{n}: __typename" for n in range(40)) + " }"},  # over the alias limit
    {"query": "query A { me { username } } query B { banks { name } }"},  # several, no operationName
])
async def test_other_refused_requests_are_400_for_graphql_response_clients(client, body):
    response = await post(client, body)
    assert response.status_code == 400 and "data" not in response.json(), response.text
    assert response.json()["errors"][0]["extensions"]["code"] in ("QUERY_TOO_COMPLEX", "VALIDATION_FAILED")


async def test_an_error_inside_a_field_is_200_with_data_for_graphql_response_clients(client):
    response = await post(client, {"query": "{ me { username } }"}, authorization="Bearer not-a-token")
    assert response.status_code == 200 and response.headers["content-type"] == GRAPHQL_RESPONSE
    answer = response.json()
    assert "data" in answer and answer["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", answer


@pytest.mark.parametrize(("accept", "media"), [
    ("application/graphql-response+json, application/json;q=0.9", GRAPHQL_RESPONSE),
    ("application/json, application/graphql-response+json", "application/json"),
    ("application/graphql-response+json;q=0.5, application/json", "application/json"),
    ("application/json;q=0, */*", GRAPHQL_RESPONSE),
])
async def test_the_preferred_media_type_is_answered(client, accept, media):
    response = await post(client, {"query": "{ __typename }"}, accept=accept)
    assert response.status_code == 200 and response.headers["content-type"] == media
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_an_unacceptable_accept_is_406_and_graphiql_still_opens(client):
    response = await post(client, {"query": "{ __typename }"}, accept="text/plain")
    assert response.status_code == 406
    assert response.json()["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"
    page = await client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")


async def test_get_runs_queries_and_refuses_mutations_with_405(client):
    query = await client.get("/graphql", params={"query": "{ __typename }"}, headers={"accept": GRAPHQL_RESPONSE})
    assert query.status_code == 200 and query.json() == {"data": {"__typename": "Query"}}
    mutation = await client.get("/graphql", params={"query": "mutation { __typename }"}, headers={"accept": GRAPHQL_RESPONSE})
    assert mutation.status_code == 405 and mutation.headers["allow"] == "POST"
    error = mutation.json()["errors"][0]
    assert error["extensions"]["code"] == "VALIDATION_FAILED" and "POST" in error["message"]


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
async def test_a_body_of_another_type_is_415(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post("/graphql", content=b'{"query": "{ __typename }"}', headers=headers)
    assert response.status_code == 415
    assert response.json()["errors"][0]["extensions"]["code"] == "VALIDATION_FAILED"
