"""Bootstrap accounts from the command line."""

from sqlalchemy import select

from core.cli import main
from models import Bank, User


async def test_create_bank_and_staff_users(session, client):
    import asyncio

    from core.db import dispose_engine

    def run(*argv):
        return main(list(argv))

    # The CLI runs its own event loop; hand it the database without ours holding connections.
    await dispose_engine()
    assert await asyncio.to_thread(run, "create-bank", "--code", "ICBC", "--name", "工商银行", "--account-name", "专户",
                                   "--account-number", "2012000001") == 0
    assert await asyncio.to_thread(run, "create-user", "--role", "CLERK", "--username", "lin", "--name", "林受理",
                                   "--password", "Clerk-2026") == 0
    assert await asyncio.to_thread(run, "create-user", "--role", "BANK", "--username", "icbc", "--name", "工行",
                                   "--password", "Bank-2026x", "--bank", "ICBC") == 0
    assert await asyncio.to_thread(run, "create-user", "--role", "BANK", "--username", "nobank", "--name", "无",
                                   "--password", "Bank-2026x", "--bank", "NOPE") == 1
    assert await asyncio.to_thread(run, "create-user", "--role", "CLERK", "--username", "lin", "--name", "重复",
                                   "--password", "Clerk-2026") == 1
    await dispose_engine()
    users = {u.username: u for u in await session.scalars(select(User))}
    assert users["lin"].roles == ["CLERK"] and users["icbc"].bank_id == await session.scalar(select(Bank.id))
    assert "nobank" not in users
    from tests.factories import login

    assert await login(client, "lin", "Clerk-2026")
