"""Frontends on other origins: CORS from the CORS_ORIGINS allow-list (none by default), the
preflight answered with the Authorization header allowed, and WebSocket origins checked
against the same list."""

from __future__ import annotations

import json
import os

import httpx
import pytest
from httpx_ws import WebSocketUpgradeError, aconnect_ws

from tests.processes import free_port, start_api, stop

ALLOWED = "https://portal.example.cn"


@pytest.fixture
def api():
    """An API process with CORS_ORIGINS set (the setting is read once per process)."""
    port = free_port()
    os.environ["CORS_ORIGINS"] = f"{ALLOWED}, https://other.example.cn"
    try:
        proc = start_api(port)
    finally:
        del os.environ["CORS_ORIGINS"]
    yield f"http://127.0.0.1:{port}"
    stop(proc)


async def test_preflight_and_answers_for_allowed_origins_only(api):
    async with httpx.AsyncClient(base_url=api) as client:
        preflight = await client.options("/graphql", headers={
            "Origin": ALLOWED, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ALLOWED
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        assert "POST" in preflight.headers["access-control-allow-methods"]
        answer = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": ALLOWED})
        assert answer.json() == {"data": {"__typename": "Query"}}
        assert answer.headers["access-control-allow-origin"] == ALLOWED
        assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()
        assert "access-control-allow-credentials" not in answer.headers  # bearer tokens, no cookies

        evil = "https://evil.example.com"
        refused = await client.options("/graphql", headers={"Origin": evil, "Access-Control-Request-Method": "POST"})
        assert refused.status_code == 400 and "access-control-allow-origin" not in refused.headers
        plain = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": evil})
        assert "access-control-allow-origin" not in plain.headers  # the browser keeps the answer from the page


async def test_websocket_origins(api):
    ws_url = api.replace("http", "ws") + "/graphql"
    async with httpx.AsyncClient() as client:
        for origin in (ALLOWED, None, api):  # allowed, an integration without Origin, same origin
            headers = {"Origin": origin} if origin else {}
            async with aconnect_ws(ws_url, client, subprotocols=["graphql-transport-ws"], headers=headers) as ws:
                await ws.send_text(json.dumps({"type": "connection_init", "payload": {}}))
                assert json.loads(await ws.receive_text())["type"] == "connection_ack"
        with pytest.raises(WebSocketUpgradeError) as refused:
            async with aconnect_ws(ws_url, client, subprotocols=["graphql-transport-ws"],
                                   headers={"Origin": "https://evil.example.com"}):
                pass
        assert refused.value.response.status_code == 403


async def test_no_origins_by_default(client):
    refused = await client.options("/graphql", headers={"Origin": "https://portal.example.cn",
                                                        "Access-Control-Request-Method": "POST"})
    assert refused.status_code == 400
