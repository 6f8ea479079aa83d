"""A graphql-transport-ws client for tests."""

from __future__ import annotations

import asyncio
import json
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

from httpx_ws import aconnect_ws


class Subscription:
    def __init__(self, ws):
        self.ws = ws

    async def next(self, timeout: float = 15) -> dict[str, Any]:
        """The next message of the subscription (type next, error or complete)."""
        while True:
            message = json.loads(await asyncio.wait_for(self.ws.receive_text(), timeout))
            if message["type"] in ("next", "error", "complete"):
                return message
            if message["type"] == "ping":
                await self.ws.send_text(json.dumps({"type": "pong"}))


@asynccontextmanager
async def ws_client():
    """An HTTP client whose transport also speaks WebSocket to the app. Used inside a test
    (not as a fixture: its task group must be entered and left in one task)."""
    import httpx
    from httpx_ws.transport import ASGIWebSocketTransport

    from server.asgi import app

    async with httpx.AsyncClient(transport=ASGIWebSocketTransport(app=app), base_url="http://test") as client:
        yield client


@asynccontextmanager
async def connect(client, *, token: str | None) -> AsyncIterator[Subscription]:
    """A socket past connection_ack, on which the test sends its own subscribe messages."""
    async with aconnect_ws("http://test/graphql", client, subprotocols=["graphql-transport-ws"]) as ws:
        payload = {"Authorization": f"Bearer {token}"} if token else {}
        await ws.send_text(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(ws.receive_text(), 10))
        assert ack["type"] == "connection_ack", ack
        yield Subscription(ws)


async def send_subscribe(socket: Subscription, query: str, variables: dict | None = None, *, id: str = "1") -> None:
    await socket.ws.send_text(json.dumps({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables or {}}}))


@asynccontextmanager
async def subscribe(client, query: str, variables: dict | None = None, *, token: str | None) -> AsyncIterator[Subscription]:
    async with connect(client, token=token) as socket:
        await send_subscribe(socket, query, variables)
        yield socket
