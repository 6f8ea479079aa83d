"""What the portal's end-to-end modules share: the built portal, one API process and one worker
per module (the tables are emptied before each test as everywhere; the service keeps nothing of
a test that the next could see but its caches, and the query-cost bounds are read afresh), a
Chromium page that refuses every other host, and the steps a person takes (sign in, pick from a
searchable select, open a PDF).

Set PORTAL_SCREENSHOTS=/some/dir to keep a 1366×768 screenshot of each screen a test names with
shot(): for looking at what the user sees."""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from server import webbuild
from tests import processes
from tests.factories import PASSWORD, make_bank, make_org
from tests.test_browser import CHROMIUM_ARGS, HOST, chromium_path

TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def portal_built() -> None:
    if chromium_path() is None:
        pytest.skip("no chromium binary found (apt-get install chromium, or set CHROMIUM=/path/to/chromium)")
    if webbuild.npm() is None:
        pytest.skip("Node.js and npm are not installed, so the portal cannot be built")
    assert webbuild.ensure_built(print), "the portal did not build (see the output above)"


@pytest.fixture(scope="module")
def live(portal_built):
    """An API process serving the portal, and a worker on its queue (imports, PDFs), for the
    whole module: starting them is most of a short test's time."""
    port = processes.free_port()
    # the data changes under the process between tests: count the query-cost bounds each time
    api = processes.start_api(port, QUERY_BOUNDS_TTL_SECONDS="0")
    worker = processes.start_worker()
    with processes.running(api, worker):
        yield f"http://{HOST}:{port}"


@asynccontextmanager
async def browser_page(base: str):
    from playwright.async_api import async_playwright

    foreign: list[str] = []
    errors: list[str] = []

    async def only_local(route):
        if urlsplit(route.request.url).hostname == HOST:
            await route.continue_()
        else:
            foreign.append(route.request.url)
            await route.abort("blockedbyclient")

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768}, base_url=base)
            await context.route("**/*", only_local)
            page = await context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            try:
                yield page
            except BaseException:
                # what the page showed when the step failed, for the person reading the failure
                test = os.environ.get("PYTEST_CURRENT_TEST", "test").split("::")[-1].split(" ")[0]
                shot_path = Path(tempfile.gettempdir()) / f"portal-failure-{test}-{os.getpid()}.png"
                await page.screenshot(path=str(shot_path), full_page=True)
                print(f"the page at the failure: {shot_path}")
                raise
        finally:
            await browser.close()
    assert not foreign, f"requests left for other hosts: {foreign}"
    assert not errors, errors


async def shot(page, name: str) -> None:
    """A screenshot of what the page shows now, kept only when PORTAL_SCREENSHOTS names a folder."""
    folder = os.environ.get("PORTAL_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.wait_for_timeout(400)  # a dialog's opening animation done, for a clear picture
        await page.screenshot(path=str(Path(folder) / f"{name}.png"))


async def sign_in(page, username: str, password: str = PASSWORD) -> None:
    await page.goto("/login")
    await page.get_by_label("用户名").fill(username)
    await page.get_by_label("密码").fill(password)
    await page.get_by_role("button", name="登录").click()
    await page.get_by_role("navigation", name="主菜单").wait_for()


async def choose(page, label: str, option: str, scope=None) -> None:
    """A searchable select: focus it by its label, type the option's text, Enter picks the match.
    The text goes into the select's own input (fill), so a slow page that was still settling when
    it was clicked cannot lose the keystrokes; and if the select was re-made under it (its
    options arriving) and the text went with it, it is typed again."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    select = (scope or page).get_by_label(label)
    wanted = page.get_by_role("option", name=re.compile(re.escape(option))).first
    for attempt in range(3):
        await select.click()
        await select.fill(option)
        try:
            await wanted.wait_for(state="attached", timeout=TIMEOUT_MS // 3)
            break
        except PlaywrightTimeout:
            if attempt == 2:
                raise
            await page.keyboard.press("Escape")
    await page.keyboard.press("Enter")


async def pick(page, label: str, option: str, scope=None) -> None:
    """A plain select (no search): open it by its label and click the option in its open list."""
    await (scope or page).get_by_label(label, exact=True).click()
    await page.locator(".ant-select-dropdown:visible").get_by_title(option, exact=True).click()


async def fetch_pdf(page, link) -> bytes:
    href = await link.get_attribute("href")
    assert href and "/files/" in href, href
    response = await page.request.get(href)
    assert response.ok and response.headers["content-type"] == "application/pdf"
    body = await response.body()
    assert body.startswith(b"%PDF")
    return body


async def world(session):
    from services.seed import create_example_standards

    bank = await make_bank(session)
    org = await make_org(session)
    await create_example_standards(session)
    await session.commit()
    return bank, org
