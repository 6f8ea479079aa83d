"""GraphiQL in a real browser, offline: a uvicorn server of server.asgi:app, headless Debian
Chromium driven by Playwright (the system browser; Playwright never downloads one), every
request to another host than 127.0.0.1 refused and reported. Logs in through the GraphiQL UI,
puts the token in the Headers editor, and runs `{ me { name } }`.

Skipped, with the reason, when no chromium binary is found (CHROMIUM=/path picks one; a path
that does not exist skips) or the GraphiQL assets are not installed (`python3 dev.py test`
installs them)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from server.uvicorn_options import API_OPTIONS
from tests.factories import PASSWORD, make_org

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 20_000


def chromium_path() -> str | None:
    if "CHROMIUM" in os.environ:
        path = os.environ["CHROMIUM"]
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def wait_healthy(base: str, server: subprocess.Popen, log: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited with {server.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server was not healthy within {timeout:.0f}s:\n{log.read_text(errors='replace')}")


@pytest.fixture
def chromium() -> str:
    """The system chromium, and the GraphiQL assets; skips the test without either."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("no chromium binary found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)")
    from server import vendor

    if not vendor.installed():
        pytest.skip(f"GraphiQL assets not installed in {vendor.VENDOR} (python3 dev.py test installs them)")
    return executable


@pytest.fixture
def server():
    """uvicorn server.asgi:app on a free port, with this process's environment (conftest has put
    the test DATABASE_URL / REDIS_URL there)."""
    port = free_port()
    base = f"http://{HOST}:{port}"
    with tempfile.NamedTemporaryFile("w+b", prefix="uvicorn-", suffix=".log", delete=False) as out:
        log = Path(out.name)
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "server.asgi:app", "--host", HOST, "--port", str(port),
             "--log-level", "warning", *API_OPTIONS],
            cwd=ROOT, env=dict(os.environ), stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_healthy(base, proc, log)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.unlink(missing_ok=True)


async def replace_text(page, editor, text: str) -> None:
    """Replaces a CodeMirror editor's contents through the keyboard: click, select all, type.
    insert_text sends the text as one input, so auto-closed brackets do not double up."""
    await editor.click()
    await page.keyboard.press("ControlOrMeta+a")
    await page.keyboard.press("Delete")
    await page.keyboard.insert_text(text)


async def test_graphiql_login_and_me_offline(chromium, server, session):
    from playwright.async_api import async_playwright

    org = await make_org(session)  # its admin is named 测试用户
    name = "测试用户"

    foreign: list[str] = []  # every request or websocket for another host than ours

    async def only_local(route):
        url = route.request.url
        if urlsplit(url).hostname == HOST:
            await route.continue_()
        else:
            foreign.append(url)
            await route.abort("blockedbyclient")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(locale="zh-CN")
            await context.route("**/*", only_local)
            page = await context.new_page()
            page.on("websocket", lambda ws: foreign.append(ws.url) if urlsplit(ws.url).hostname != HOST else None)
            page.set_default_timeout(TIMEOUT_MS)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            # failed loads (404s) and Content-Security-Policy refusals show up here
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            response = await page.goto(f"{server}/graphql", wait_until="load")
            assert response is not None and response.ok
            assert await page.title() == "维修资金 GraphiQL"

            query_editor = page.locator(".graphiql-query-editor .CodeMirror")
            run = page.locator("button.graphiql-execute-button")
            result = page.locator(".result-window .CodeMirror-code")
            await query_editor.wait_for()

            # 1. log in through the editor and the run button
            await replace_text(page, query_editor,
                               f'mutation {{ login(username: "{org.admin_username}", password: "{PASSWORD}") {{ token }} }}')
            await run.click()
            await page.wait_for_function(
                "() => /\"token\": \"[^\"]+\"/.test(document.querySelector('.result-window').innerText)",
                timeout=TIMEOUT_MS)
            match = re.search(r'"token": "([^"]+)"', await result.inner_text())
            assert match, await result.inner_text()
            token = match.group(1)

            # 2. the token into the Headers editor
            headers_tab = page.locator(".graphiql-editor-tools button[data-name='headers']")
            if "active" not in (await headers_tab.get_attribute("class") or ""):
                await headers_tab.click()
            headers_editor = page.locator(".graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror")
            await replace_text(page, headers_editor, f'{{"Authorization": "Bearer {token}"}}')

            # 3. who am I
            await replace_text(page, query_editor, "{ me { name } }")
            await run.click()
            await page.wait_for_function(
                "name => document.querySelector('.result-window').innerText.includes(`\"name\": \"${name}\"`)",
                arg=name, timeout=TIMEOUT_MS)
            shown = await result.inner_text()
            assert '"me"' in shown and f'"name": "{name}"' in shown, shown
            assert '"errors"' not in shown, shown
            assert not errors, errors
        finally:
            await browser.close()

    assert not foreign, f"requests left for other hosts: {foreign}"
