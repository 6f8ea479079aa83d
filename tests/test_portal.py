"""The portal at `/`: the built files with index.html for the browser's own routes, GraphiQL
and the API's paths untouched, and without a build a page that says how to get one."""

from __future__ import annotations

import pytest


@pytest.fixture
def built(tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>portal</title><div id=root></div>", encoding="utf-8")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log('portal')", encoding="utf-8")
    (tmp_path / ".sources-sha256").write_text("x")
    monkeypatch.setenv("PORTAL_DIST", str(tmp_path))
    return tmp_path


async def test_without_a_build_root_says_how_to_get_the_portal(client, tmp_path, monkeypatch):
    monkeypatch.setenv("PORTAL_DIST", str(tmp_path / "missing"))
    r = await client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "门户尚未构建" in r.text and "python3 dev.py serve" in r.text and "Node.js" in r.text
    assert 'href="/graphql"' in r.text


async def test_built_portal_is_served_with_its_routes_falling_back_to_index(client, built):
    root = await client.get("/")
    assert root.status_code == 200 and "<title>portal</title>" in root.text
    assert root.headers["cache-control"] == "no-cache"

    deep = await client.get("/estates/RXN0YXRlOjE/buildings/QnVpbGRpbmc6Mg")
    assert deep.status_code == 200 and "<title>portal</title>" in deep.text

    asset = await client.get("/assets/index-abc123.js")
    assert asset.status_code == 200 and asset.text == "console.log('portal')"
    assert "immutable" in asset.headers["cache-control"]

    # a missing hashed asset is a 404, not index.html (a stale tab must not run HTML as JS)
    assert (await client.get("/assets/gone.js")).status_code == 404
    # nothing outside dist/, and no dotfiles from inside it
    for path in ("/../pyproject.toml", "/%2e%2e/pyproject.toml", "/.sources-sha256"):
        r = await client.get(path)
        assert "[project]" not in r.text and r.text != "x", path


async def test_api_paths_are_not_taken_by_the_portal(client, built):
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "GraphiQL" in page.text and "<title>portal</title>" not in page.text
    r = await client.post("/graphql", json={"query": "{ registrationAgreement { version } }"})
    assert r.status_code == 200 and r.json()["data"]["registrationAgreement"]["version"]
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/templates/houses.xlsx")).headers["content-type"].startswith(
        "application/vnd.openxmlformats")
