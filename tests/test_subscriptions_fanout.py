"""One Redis listener per process (services/events.Hub): subscriptions of a process share one
pub/sub connection, each message is parsed once and handed to those who listen to its channel;
a reader that falls behind is ended alone; the listener comes back with Redis and goes away with
its last subscriber."""

import asyncio
from contextlib import AsyncExitStack

import pytest
from redis.asyncio import Redis as RedisClient

from core.errors import RateLimited
from core.redis import get_redis
from services import events
from tests.api import gql
from tests.faults import Redis
from tests.ws import subscribe, ws_client

QUERY = "subscription($id: ID) { applicationStatusChanged(applicationId: $id) { application { number } event { status } } }"
SUBSCRIBERS = 20


async def _channel_subscribers(redis) -> list[dict]:
    """Redis clients subscribed to at least one channel (the token cache's pattern listener has
    psub=1 and sub=0, and is not counted)."""
    return [c for c in await redis.client_list() if int(c.get("sub", 0)) > 0]


async def _until(check, attempts: int = 200):
    for _ in range(attempts):
        if value := await check():
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(check)


async def test_many_subscriptions_of_one_process_share_one_redis_connection_and_all_hear_the_change(session):
    from tests.appflow import make_world

    async with ws_client() as client:
        world = await make_world(client, session)
        create = """mutation { createEstateCollection(input: {name: "共享花园", district: "蓬江区",
                    address: "江门市蓬江区 2 号", depositTiming: BEFORE_HANDOVER}) { id } }"""
        app = (await gql(client, create, token=world.dev)).ok()["createEstateCollection"]["id"]
        async with AsyncExitStack() as stack:
            subs = [await stack.enter_async_context(subscribe(client, QUERY, {"id": app}, token=world.dev))
                    for _ in range(SUBSCRIBERS)]
            await _until(lambda: _all_listening(SUBSCRIBERS))  # each resolver subscribes once it has started
            assert len(await _channel_subscribers(get_redis())) == 1
            withdrawn = await gql(client, "mutation($id: ID!) { withdrawApplication(id: $id) { status } }", {"id": app},
                                  token=world.dev)
            assert withdrawn.ok()["withdrawApplication"]["status"] == "WITHDRAWN"
            for sub in subs:
                message = await sub.next()
                assert message["payload"]["data"]["applicationStatusChanged"]["event"]["status"] == "WITHDRAWN", message
        # The sockets are closed: their subscriptions are removed, and with the last one the connection.
        await _until(lambda: _nobody_listening())
        assert await _channel_subscribers(get_redis()) == []


async def _all_listening(count: int) -> bool:
    return events.hub.listeners(events.APPLICATIONS) == count


async def _no_channel_subscribers(redis) -> bool:
    return await _channel_subscribers(redis) == []


async def _nobody_listening() -> bool:
    return events.hub.channels == [] and await _channel_subscribers(get_redis()) == []


async def test_a_subscriber_that_does_not_read_is_ended_alone_with_a_coded_error(monkeypatch):
    monkeypatch.setattr(events, "SUBSCRIBER_QUEUE", 4)
    heard = []
    async with events.listen("fanout-test") as quick, events.listen("fanout-test") as slow:
        for n in range(10):
            await events.publish("fanout-test", {"n": n})
            channel, payload = await anext(quick)  # the quick reader hears everything, in order
            heard.append(payload["n"])
        with pytest.raises(RateLimited) as ended:
            async for _ in slow:  # what was queued before the overflow is not delivered
                pass
        assert ended.value.code == "RATE_LIMITED"
        await events.publish("fanout-test", {"n": 10})
        assert (await anext(quick))[1] == {"n": 10}
    assert heard == list(range(10))
    assert events.hub.channels == []


async def test_the_listener_comes_back_with_redis_and_tells_every_listener_to_reread(monkeypatch):
    """Redis restarted under an open subscription: the hub subscribes again by itself; what was
    published meanwhile is lost, what comes after arrives; each channel's listener is told so
    (RESUBSCRIBED): a `user:` listener re-checks its login, a job's re-reads its job."""
    server = Redis()
    client = RedisClient.from_url(server.url, decode_responses=True)
    monkeypatch.setattr(events, "get_redis", lambda: client)
    monkeypatch.setattr(events, "RETRY_SECONDS", (0.05,))
    try:
        async with events.listen("fanout-test", events.user_sessions_channel(7)) as messages:
            await events.publish("fanout-test", {"n": 1})
            assert await anext(messages) == ("fanout-test", {"n": 1})
            server.stop()
            server.start()
            told = [await asyncio.wait_for(anext(messages), 30) for _ in range(2)]  # once for each channel
            assert sorted(told) == [("fanout-test", events.RESUBSCRIBED), (events.user_sessions_channel(7), events.RESUBSCRIBED)]
            assert all(payload is events.RESUBSCRIBED for _, payload in told)
            async with RedisClient.from_url(server.url) as fresh:  # the pool's idle connections died with Redis
                await fresh.publish("fanout-test", '{"n": 2}')
            assert await anext(messages) == ("fanout-test", {"n": 2})
            assert len(await _channel_subscribers(client)) == 1
        assert events.hub.channels == []
        await _until(lambda: _no_channel_subscribers(client))  # Redis sees the closed connection go
    finally:
        await client.aclose()
        server.close()


async def test_a_subscription_hears_only_what_its_filter_wants():
    """The filter runs in the listener: what it refuses is never queued for the subscription. A
    filter that fails on an unexpected payload lets the event through (the subscription decides)."""
    async with events.listen("fanout-test", wants=lambda channel, payload: payload["n"] % 2 == 0) as even:
        for n in range(6):
            await events.publish("fanout-test", {"n": n})
        await events.publish("fanout-test", {"other": True})
        heard = [(await anext(even))[1] for _ in range(4)]
    assert heard == [{"n": 0}, {"n": 2}, {"n": 4}, {"other": True}]


SHARED = """subscription($id: ID) { applicationStatusChanged(applicationId: $id) {
  application { number organization { name } } from event { status by { username } } } }"""
OWN = "subscription($id: ID) { applicationStatusChanged(applicationId: $id) { application { number status } } }"


async def _one_change(client, world, subscriptions: list[tuple[str, str]]) -> tuple[list[dict], list[str]]:
    """The payloads that subscriptions (token, query) get for one withdrawal, and the SQL the
    process ran meanwhile."""
    from bench.sqlcount import Counter
    from core.db import get_engine

    create = """mutation { createEstateCollection(input: {name: "共享花园", district: "蓬江区", address: "江门市蓬江区 2 号",
                depositTiming: BEFORE_HANDOVER}) { id } }"""
    app = (await gql(client, create, token=world.dev)).ok()["createEstateCollection"]["id"]
    async with AsyncExitStack() as stack:
        subs = [await stack.enter_async_context(subscribe(client, query, {"id": app}, token=token))
                for token, query in subscriptions]
        await asyncio.sleep(0.3)  # each subscription listens on Redis once its resolver has started
        with Counter(get_engine()) as counter:
            (await gql(client, "mutation($id: ID!) { withdrawApplication(id: $id) { status } }", {"id": app},
                       token=world.dev)).ok()
            payloads = [(await sub.next())["payload"] for sub in subs]
    return payloads, [s.summary for s in counter.statements]


async def test_subscribers_asking_the_same_as_the_same_viewer_share_one_execution_of_a_change(session):
    """Each subscriber of a change ran the selection for itself (its loaders: an organisation read
    each, here): hundreds of times the same answer under bench/load.py. Those with the same query,
    variables and viewer now share one execution; another viewer or another selection gets its own."""
    from tests.appflow import make_world

    async with ws_client() as client:
        world = await make_world(client, session)
        _, alone = await _one_change(client, world, [(world.dev, SHARED)])
        payloads, together = await _one_change(client, world, [(world.dev, SHARED)] * 8 + [(world.clerk, SHARED),
                                                                                            (world.dev, OWN)])
    organisation_reads = [s for s in alone if s.startswith("organizations")]
    assert organisation_reads, alone
    # the 8 alike, the clerk's: two executions that read the organisation
    assert len([s for s in together if s.startswith("organizations")]) == 2 * len(organisation_reads), together
    shared = payloads[0]["data"]["applicationStatusChanged"]
    assert shared["event"] == {"status": "WITHDRAWN", "by": {"username": shared["event"]["by"]["username"]}}
    assert shared["application"]["organization"]["name"] and shared["from"] == "DRAFT"
    assert all(p == payloads[0] for p in payloads[:9]), payloads
    assert payloads[9]["data"]["applicationStatusChanged"] == {
        "application": {"number": shared["application"]["number"], "status": "WITHDRAWN"}}
