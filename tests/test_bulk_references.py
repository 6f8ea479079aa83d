"""The imports' rows skip PostgreSQL's per-row foreign-key triggers only where the writer has
made sure of every reference itself (services/bulk.references_checked_by_caller,
estate_collection.CreatingWriter): only with the privilege, only inside, and with the buildings
and the application held as the triggers would hold them."""

from __future__ import annotations

import secrets
from types import SimpleNamespace

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from core.db import get_sessionmaker
from core.errors import Conflict
from services import bulk
from services.applications.estate_collection import CreatingWriter
from tests.factories import make_bank, make_estate, make_org


async def role_setting(session) -> str:
    return await session.scalar(text("SHOW session_replication_role"))


async def test_skipped_only_inside_and_only_when_allowed(session):
    assert await bulk.may_skip_reference_triggers(session)  # the tests' superuser
    async with bulk.references_checked_by_caller(session, True):
        assert await role_setting(session) == "replica"
    assert await role_setting(session) == "origin"
    async with bulk.references_checked_by_caller(session, False):
        assert await role_setting(session) == "origin"
    await session.rollback()


async def test_a_role_may_only_with_the_grant(session):
    role = f"wx_limited_{secrets.token_hex(3)}"
    await session.execute(text(f"CREATE ROLE {role} NOLOGIN"))
    await session.commit()
    try:
        await session.execute(text(f"SET LOCAL ROLE {role}"))
        assert not await bulk.may_skip_reference_triggers(session)
        await session.rollback()
        await session.execute(text(f"GRANT SET ON PARAMETER session_replication_role TO {role}"))
        await session.commit()
        await session.execute(text(f"SET LOCAL ROLE {role}"))
        assert await bulk.may_skip_reference_triggers(session)
        await session.rollback()
    finally:
        await session.rollback()
        await session.execute(text(f"REVOKE SET ON PARAMETER session_replication_role FROM {role}"))
        await session.execute(text(f"DROP ROLE {role}"))
        await session.commit()


async def test_the_writer_holds_the_buildings_it_fills_and_refuses_a_missing_one(session):
    bank = await make_bank(session)
    org = await make_org(session)
    estate = await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=1, floors=1, units=1,
                               rooms_per_unit=1)
    building = await session.scalar(text("SELECT id FROM buildings WHERE estate_id = :e"), {"e": estate})
    await session.commit()
    app = SimpleNamespace(id=0, estate_id=estate, payload={"depositTiming": "BEFORE_HANDOVER"})
    writer = CreatingWriter(None, session, app)  # type: ignore[arg-type]
    writer.skip_reference_triggers = True
    await writer._hold_buildings([building, building])
    async with get_sessionmaker()() as other:
        # held as a foreign-key trigger holds it: a delete (which needs FOR UPDATE) would wait for the import
        with pytest.raises(DBAPIError) as refused:
            await other.execute(text("SELECT id FROM buildings WHERE id = :b FOR UPDATE NOWAIT"), {"b": building})
        assert refused.value.orig.sqlstate == "55P03"  # lock_not_available
        await other.rollback()
    with pytest.raises(Conflict):
        await writer._hold_buildings([building, 10**12])
    await session.rollback()


async def test_the_tables_written_so_have_no_trigger_of_their_own(session):
    """Replica mode skips every ordinary trigger, not only the foreign keys' (which PostgreSQL makes
    internal): a trigger added to these tables would be skipped by imports without a word."""
    own = (await session.execute(text(
        "SELECT tgrelid::regclass::text, tgname FROM pg_trigger "
        "WHERE tgrelid IN ('houses'::regclass, 'owners'::regclass, 'application_houses'::regclass) "
        "AND NOT tgisinternal"))).all()
    assert own == []
