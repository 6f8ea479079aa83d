"""A small GraphQL client over the HTTP endpoint, as a frontend or integration would use it."""

from __future__ import annotations

import json
from typing import Any

import httpx


class Result:
    def __init__(self, response: httpx.Response):
        self.response = response
        self.body = response.json()
        self.data = self.body.get("data")
        self.errors = self.body.get("errors") or []

    @property
    def codes(self) -> list[str]:
        return [e.get("extensions", {}).get("code") for e in self.errors]

    @property
    def code(self) -> str | None:
        return self.codes[0] if self.codes else None

    def ok(self) -> dict:
        assert not self.errors, self.errors
        return self.data

    def __repr__(self) -> str:
        return f"Result({self.body!r})"


async def gql(client: httpx.AsyncClient, query: str, variables: dict | None = None, *, token: str | None = None,
              files: dict[str, tuple[str, bytes, str]] | None = None) -> Result:
    """POST a GraphQL operation; with files, as a GraphQL multipart request (the file map's keys
    are variable paths such as "variables.input.attachments.0.file")."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if not files:
        response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)
        return Result(response)
    keys = list(files)
    operations = {"query": query, "variables": variables or {}}
    mapping = {str(i): [key] for i, key in enumerate(keys)}
    multipart = {str(i): files[key] for i, key in enumerate(keys)}
    response = await client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files=multipart,
        headers={**headers, "Apollo-Require-Preflight": "true"},
    )
    return Result(response)


def with_path(obj: dict, path: str, value: Any) -> dict:
    """Sets variables.x.y.0.z = value (multipart file slots are null in the operations)."""
    parts = path.split(".")[1:]
    target: Any = obj
    for p in parts[:-1]:
        target = target[int(p)] if p.isdigit() else target[p]
    last = parts[-1]
    if last.isdigit():
        target[int(last)] = value
    else:
        target[last] = value
    return obj
