"""Bootstrap accounts from the command line."""

import asyncio
import os
import subprocess
import sys

from sqlalchemy import select

from models import Bank, User
from tests.processes import ROOT


async def test_create_bank_and_staff_users(session, client):
    async def run(*argv: str) -> int:
        """The command as an operator runs it, in a process of its own."""
        done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "server.cli", *argv], env=dict(os.environ),
                                       cwd=ROOT, capture_output=True, text=True, timeout=120)
        return done.returncode

    assert await run("create-bank", "--code", "ICBC", "--name", "工商银行", "--account-name", "专户",
                     "--account-number", "2012000001") == 0
    assert await run("create-user", "--role", "CLERK", "--username", "lin", "--name", "林受理",
                     "--password", "Clerk-2026") == 0
    assert await run("create-user", "--role", "BANK", "--username", "icbc", "--name", "工行",
                     "--password", "Bank-2026x", "--bank", "ICBC") == 0
    assert await run("create-user", "--role", "BANK", "--username", "nobank", "--name", "无",
                     "--password", "Bank-2026x", "--bank", "NOPE") == 1
    assert await run("create-user", "--role", "CLERK", "--username", "lin", "--name", "重复",
                     "--password", "Clerk-2026") == 1
    users = {u.username: u for u in await session.scalars(select(User))}
    assert users["lin"].roles == ["CLERK"] and users["icbc"].bank_id == await session.scalar(select(Bank.id))
    assert "nobank" not in users
    from tests.factories import login

    assert await login(client, "lin", "Clerk-2026")
