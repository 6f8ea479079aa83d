"""Helpers for application tests: a world with a developer, a clerk and an estate, and the
steps of an application's life through the API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from core.ids import encode_id
from models.enums import Role
from tests.api import gql
from tests.factories import login, make_bank, make_estate, make_org, make_user

APP_FIELDS = "id number type status reason reviewComment houseChangeCount history { status comment by { username } }"


@dataclass
class World:
    bank: int
    org: object
    other: object
    estate: int
    dev: str
    clerk: str
    rival: str

    @property
    def estate_gid(self) -> str:
        return encode_id("Estate", self.estate)


async def make_world(client, session) -> World:
    bank = await make_bank(session)
    org = await make_org(session)
    other = await make_org(session)
    await make_user(session, "clerk1", [Role.CLERK])
    from services.seed import create_example_standards

    await create_example_standards(session)
    await session.commit()
    estate = await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=2, floors=3, units=1,
                               rooms_per_unit=2, sold_ratio=1.0)
    return World(bank, org, other, estate, await login(client, org.admin_username), await login(client, "clerk1"),
                 await login(client, other.admin_username))


async def make_paying_world(client, session) -> World:
    """make_world with every house's due under the example standards and a bank user of the
    estate's bank logged in (`bank_token`): the world of the payment tests."""
    from services.payments.deposits import recalculate

    w = await make_world(client, session)
    await recalculate(session, estate_id=w.estate)
    await session.commit()
    await make_user(session, "bank1", [Role.BANK], bank_id=w.bank)
    w.bank_token = await login(client, "bank1")
    return w


async def tree(client, world: World) -> dict:
    q = """query($id: ID!) { estate(id: $id) { buildings { id name builtYear structure address
            houses { id code unit floor roomNumber buildingArea balance depositDue status salesStatus owners { name } } } } }"""
    return (await gql(client, q, {"id": world.estate_gid}, token=world.dev)).ok()["estate"]


async def wait_job(client, token: str, job_id: str, timeout: float = 30) -> dict:
    q = "query($id: ID!) { job(id: $id) { id kind status progress processed total message errors { row column code message } result { url filename } } }"
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        job = (await gql(client, q, {"id": job_id}, token=token)).ok()["job"]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return job
        assert asyncio.get_running_loop().time() < deadline, job
        await asyncio.sleep(0.05)


async def step(client, token: str, mutation: str, app_id: str, **extra) -> dict:
    args = "".join(f", {k}: ${k}" for k in extra)
    params = "".join(f", ${k}: String!" for k in extra)
    r = await gql(client, f"mutation($id: ID!{params}) {{ {mutation}(id: $id{args}) {{ {APP_FIELDS} }} }}",
                  {"id": app_id, **extra}, token=token)
    return r


async def through_review(client, world: World, app_id: str) -> dict:
    """submit → accept → approve, each checked; returns the approved application."""
    (await step(client, world.dev, "submitApplication", app_id)).ok()
    (await step(client, world.clerk, "acceptApplication", app_id)).ok()
    return (await step(client, world.clerk, "approveApplication", app_id)).ok()["approveApplication"]


async def pdf_pages(client, url: str) -> list[str]:
    """The text of each page of a stored PDF (pdftotext, as printed: line breaks kept)."""
    import shutil
    import subprocess
    import tempfile

    import pytest

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is not on PATH (apt-get install poppler-utils)")
    data = (await client.get(url)).content
    assert data.startswith(b"%PDF")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        text = subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True, check=True).stdout
    return text.split("\f")[:-1]  # pdftotext ends every page with a form feed


async def rendered_form(client, token: str, app_id: str) -> list[str]:
    """The pages of the application's 申请表, once its rendering job is done."""
    q = "query($id: ID!) { application(id: $id) { form { url } formJob { id } } }"
    app = (await gql(client, q, {"id": app_id}, token=token)).ok()["application"]
    job = await wait_job(client, token, app["formJob"]["id"])
    assert job["status"] == "SUCCEEDED", job
    app = (await gql(client, q, {"id": app_id}, token=token)).ok()["application"]
    return await pdf_pages(client, app["form"]["url"])
