"""The migrations upgrade an empty database to head and go back down to nothing."""

import asyncio
import os
import secrets

import asyncpg
from urllib.parse import urlsplit, urlunsplit

from core.migrate import downgrade, upgrade


def test_upgrade_to_head_and_back_down():
    admin = os.environ["WXFUND_ADMIN_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    name = f"wxfund_migrate_{secrets.token_hex(3)}"
    url = urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))

    async def admin_exec(sql: str):
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def tables() -> set[str]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            return {r["tablename"] for r in rows}
        finally:
            await conn.close()

    asyncio.run(admin_exec(f'CREATE DATABASE "{name}"'))
    try:
        sa_url = url.replace("postgresql://", "postgresql+asyncpg://")
        upgrade(sa_url)
        assert {"organizations", "users", "user_sessions", "estates", "buildings", "houses", "owners",
                "ledger_entries", "documents", "audit_events"} <= asyncio.run(tables())
        from alembic import command

        from core.migrate import alembic_config

        command.check(alembic_config(sa_url))  # the models and the migrations describe the same schema
        downgrade(sa_url)
        assert asyncio.run(tables()) == {"alembic_version"}
        upgrade(sa_url)  # and up again: the downgrade left nothing behind
    finally:
        asyncio.run(admin_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
