"""Subscriptions: authentication in connection_init, re-checked on every subscribe; deactivation,
logout and a password change end the live subscriptions of the logins they end."""

import asyncio
import json

from core.ids import encode_id
from models.enums import Role
from tests.api import gql
from tests.factories import PASSWORD, login, make_org, make_user
from tests.ws import connect, send_subscribe, subscribe, ws_client

EVENTS = "subscription { applicationStatusChanged { application { number } } }"
JOB = "subscription($id: ID!) { jobUpdated(id: $id) { status } }"


async def _queued_job(session, organization_id: int) -> str:
    from models import Job
    from models.enums import JobKind, JobStatus

    job = Job(kind=JobKind.HOUSE_EXPORT, status=JobStatus.QUEUED, organization_id=organization_id, progress=0.0,
              processed=0, errors=[], params={}, attempts=0)
    session.add(job)
    await session.commit()
    return encode_id("Job", job.id)


async def _ends_unauthenticated(sub) -> None:
    """The subscription's next message is UNAUTHENTICATED, then the server closes the socket."""
    message = await sub.next()
    assert message["type"] in ("next", "error"), message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    closed = None
    for _ in range(5):  # a "complete" for the operation may come first, then the close
        try:
            extra = json.loads(await asyncio.wait_for(sub.ws.receive_text(), 3))
        except Exception as exc:  # the server closed the socket
            closed = exc
            break
        assert extra["type"] == "complete", extra
    assert closed is not None and ("4401" in repr(closed) or "Unauthorized" in repr(closed)), repr(closed)


async def test_deactivated_user_gets_unauthenticated_and_the_socket_closes(session):
    org = await make_org(session)
    await make_user(session, "op1", [Role.ESTATE_OPERATOR], organization_id=org.org_id)
    async with ws_client() as client:
        admin = await login(client, org.admin_username)
        operator = await login(client, "op1")
        async with subscribe(client, EVENTS, token=operator) as sub:
            await asyncio.sleep(0.2)
            r = await gql(client, "query { me { organization { users { id username } } } }", token=admin)
            target = next(u["id"] for u in r.ok()["me"]["organization"]["users"] if u["username"] == "op1")
            (await gql(client, "mutation($id: ID!) { deactivateUser(id: $id) { status } }", {"id": target}, token=admin)).ok()
            await _ends_unauthenticated(sub)


async def test_logout_ends_the_live_subscriptions_of_that_login(session):
    org = await make_org(session)
    job = await _queued_job(session, org.org_id)
    async with ws_client() as client:
        token = await login(client, org.admin_username)
        async with subscribe(client, JOB, {"id": job}, token=token) as sub:
            assert (await sub.next())["payload"]["data"]["jobUpdated"]["status"] == "QUEUED"  # live
            assert (await gql(client, "mutation { logout }", token=token)).ok()["logout"] is True
            await _ends_unauthenticated(sub)


async def test_password_change_ends_the_other_logins_subscriptions_not_its_own(session):
    from core.ids import decode_id
    from services import jobs

    org = await make_org(session)
    job = await _queued_job(session, org.org_id)
    async with ws_client() as client:
        other = await login(client, org.admin_username)
        current = await login(client, org.admin_username)
        async with subscribe(client, JOB, {"id": job}, token=other) as ended, \
                subscribe(client, JOB, {"id": job}, token=current) as kept:
            assert (await ended.next())["payload"]["data"]["jobUpdated"]["status"] == "QUEUED"
            assert (await kept.next())["payload"]["data"]["jobUpdated"]["status"] == "QUEUED"
            changed = await gql(client, 'mutation { changePassword(oldPassword: "%s", newPassword: "Newpass-2026") }'
                                % PASSWORD, token=current)
            assert changed.ok()["changePassword"] is True
            await _ends_unauthenticated(ended)
            await jobs.start(decode_id(job, "Job"))  # the login that changed the password still hears its job
            assert (await kept.next())["payload"]["data"]["jobUpdated"]["status"] == "RUNNING"


async def test_a_socket_whose_login_ended_refuses_new_subscriptions(session):
    org = await make_org(session)
    job = await _queued_job(session, org.org_id)
    async with ws_client() as client:
        token = await login(client, org.admin_username)
        async with connect(client, token=token) as socket:
            assert (await gql(client, "mutation { logout }", token=token)).ok()["logout"] is True
            await send_subscribe(socket, JOB, {"id": job})
            await _ends_unauthenticated(socket)


async def test_subscription_without_a_valid_token_is_refused(session):
    async with ws_client() as client:
        async with subscribe(client, EVENTS, token="not-a-token") as sub:
            message = await sub.next()
            errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            assert errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_job_of_another_organisation_is_not_found(session, client):
    from models import Job
    from models.enums import JobKind, JobStatus

    mine = await make_org(session)
    theirs = await make_org(session)
    job = Job(kind=JobKind.HOUSE_EXPORT, status=JobStatus.SUCCEEDED, organization_id=mine.org_id, progress=1.0,
              processed=0, errors=[], params={}, attempts=1)
    session.add(job)
    await session.commit()
    gid = encode_id("Job", job.id)
    async with ws_client() as ws:
        token = await login(ws, theirs.admin_username)
        async with subscribe(ws, "subscription($id: ID!) { jobUpdated(id: $id) { status } }", {"id": gid}, token=token) as sub:
            message = await sub.next()
            errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
            assert errors[0]["extensions"]["code"] == "NOT_FOUND"
        own = await login(ws, mine.admin_username)
        async with subscribe(ws, "subscription($id: ID!) { jobUpdated(id: $id) { status } }", {"id": gid}, token=own) as sub:
            message = await sub.next()
            assert message["payload"]["data"]["jobUpdated"]["status"] == "SUCCEEDED"
    assert json


async def test_a_socket_whose_login_ended_refuses_queries_and_mutations_too(session):
    """graphql-transport-ws carries queries and mutations in `subscribe` messages as well."""
    org = await make_org(session)
    async with ws_client() as client:
        token = await login(client, org.admin_username)
        async with connect(client, token=token) as socket:
            await send_subscribe(socket, "{ me { username } }")
            assert (await socket.next())["payload"]["data"]["me"]["username"] == org.admin_username
            assert (await socket.next()) == {"id": "1", "type": "complete"}
            assert (await gql(client, "mutation { logout }", token=token)).ok()["logout"] is True
            await send_subscribe(socket, "{ me { username } }", id="2")
            await _ends_unauthenticated(socket)

async def _reads_of_one_change(client, world, subscribers: int) -> int:
    """SELECTs of applications by id while one application is created, withdrawn and the
    withdrawal heard by `subscribers` subscriptions of this process."""
    from contextlib import AsyncExitStack

    from bench.sqlcount import Counter
    from core.db import get_engine

    create = """mutation { createEstateCollection(input: {name: "订阅花园", district: "蓬江区", address: "江门市蓬江区 1 号",
                depositTiming: BEFORE_HANDOVER}) { id } }"""
    app = (await gql(client, create, token=world.dev)).ok()["createEstateCollection"]["id"]
    query = "subscription($id: ID) { applicationStatusChanged(applicationId: $id) { application { number status } event { status } } }"
    async with AsyncExitStack() as stack:
        subs = [await stack.enter_async_context(subscribe(client, query, {"id": app}, token=world.dev))
                for _ in range(subscribers)]
        await asyncio.sleep(0.3)  # each subscription listens on Redis once its resolver has started
        with Counter(get_engine()) as counter:
            (await gql(client, "mutation($id: ID!) { withdrawApplication(id: $id) { status } }", {"id": app}, token=world.dev)).ok()
            for sub in subs:
                message = await sub.next()
                assert message["payload"]["data"]["applicationStatusChanged"]["event"]["status"] == "WITHDRAWN", message
    return sum(1 for s in counter.statements if s.summary.startswith("applications: applications.id IN"))


async def test_subscribers_of_one_process_share_one_read_of_a_changed_application(session):
    """Every subscription of a process wakes on the same change; reading the application once for
    each of them took a pooled connection each, and hundreds of open subscriptions emptied the
    pool (bench/load.py: QueuePool timeouts for subscribers and HTTP requests alike)."""
    from tests.appflow import make_world

    async with ws_client() as client:
        world = await make_world(client, session)
        one = await _reads_of_one_change(client, world, 1)
        many = await _reads_of_one_change(client, world, 8)
    assert many == one, (one, many)


async def test_a_failure_while_a_subscription_runs_is_a_coded_error_without_its_text(session, monkeypatch):
    """The database going away between two events of a subscription: the event is an error with
    its code and request id, never the raw exception's text (which may carry SQL)."""
    from core.ids import decode_id
    from services import events, jobs

    org = await make_org(session)
    job = await _queued_job(session, org.org_id)
    async with ws_client() as client:
        token = await login(client, org.admin_username)
        async with subscribe(client, JOB, {"id": job}, token=token) as sub:
            first = await sub.next()
            assert first["payload"]["data"]["jobUpdated"]["status"] == "QUEUED"

            async def unreachable(session, pk):
                raise OSError("connection refused while running SELECT id_number FROM owners")

            monkeypatch.setattr(jobs, "get_record", unreachable)
            pk = decode_id(job, "Job")
            await events.publish(events.job_channel(pk), {"id": pk, "status": "SUCCEEDED", "progress": 1.0,
                                                          "processed": 1, "total": 1, "message": None})
            message = await sub.next()
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["extensions"]["code"] == "INTERNAL" and errors[0]["extensions"].get("requestId") is not None
    assert "SELECT" not in json.dumps(errors, ensure_ascii=False) and "owners" not in errors[0]["message"]


async def test_a_job_that_ended_unannounced_reaches_its_subscriber(session, monkeypatch):
    """A worker killed between committing a job's end and publishing it: the event is never sent.
    A jobUpdated subscriber that has heard nothing for JOB_STALE_SECONDS reads the row, and gets
    the end from it (tests/test_cluster.py met this once: a flow waited for good)."""
    from sqlalchemy import update

    from core.ids import decode_id
    from models import Job
    from models.enums import JobStatus

    monkeypatch.setenv("JOB_STALE_SECONDS", "0.5")
    org = await make_org(session)
    job = await _queued_job(session, org.org_id)
    async with ws_client() as client:
        token = await login(client, org.admin_username)
        async with subscribe(client, JOB, {"id": job}, token=token) as sub:
            assert (await sub.next())["payload"]["data"]["jobUpdated"]["status"] == "QUEUED"
            await session.execute(update(Job).where(Job.id == decode_id(job, "Job")).values(status=JobStatus.SUCCEEDED))
            await session.commit()  # and no event: its worker died before publishing
            ended = await asyncio.wait_for(sub.next(), 10)
            assert ended["payload"]["data"]["jobUpdated"]["status"] == "SUCCEEDED", ended
