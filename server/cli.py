"""Administration commands: `python -m server.cli --help`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path

from core.config import get_settings
from core.db import dispose_engine, get_sessionmaker
from core.embedded import ensure_servers
from core.errors import AppError
from core.migrate import upgrade
from core.storage import close_storage
from models.enums import Role
from services.backup import BackupError, backup, restore
from services.payments.banks import BankData, create_bank
from services.demo import load_demo_data
from services.pii_rotation import reseal
from services.users import bank_id_by_code, create_staff_user


async def _create_user(args) -> None:
    password = args.password or getpass.getpass("password: ")
    async with get_sessionmaker()() as session:
        user = await create_staff_user(session, username=args.username, password=password, name=args.name,
                                       roles=[Role(args.role)], bank_id=await bank_id_by_code(session, args.bank))
    print(f"created {args.role} user {user.username} (id {user.id})")


async def _create_bank(args) -> None:
    async with get_sessionmaker()() as session:
        bank = await create_bank(session, None, BankData(code=args.code, name=args.name, account_name=args.account_name,
                                                         account_number=args.account_number, is_default=args.default))
    print(f"created bank {bank.code}" + (" (the default bank)" if bank.is_default else ""))


async def _demo(_args) -> None:
    async with get_sessionmaker()() as session:
        print("demo data loaded" if await load_demo_data(session) else "demo data already present")


async def _rotate_pii(args) -> None:
    total = await reseal(get_sessionmaker(), batch=args.batch,
                         progress=lambda what, n: print(f"{what}: {n} rows resealed", flush=True))
    print(f"done: {total} rows resealed under key {get_settings().pii_keys[0][0]}")


async def _backup(args) -> None:
    summary = await backup(Path(args.dest))
    print(f"backup written to {summary.path}: the database and {summary.documents} documents ({summary.bytes} bytes)")


async def _restore(args) -> None:
    summary = await restore(Path(args.src))
    print(f"restored {summary.path}: the database and {summary.documents} documents ({summary.bytes} bytes)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.cli", description="wxfund administration")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="apply the database migrations")
    sub.add_parser("demo", help="load the demo data (once)")
    u = sub.add_parser("create-user", help="create a clerk, bank or admin account")
    u.add_argument("--role", required=True, choices=["CLERK", "BANK", "ADMIN"])
    u.add_argument("--username", required=True)
    u.add_argument("--name", required=True)
    u.add_argument("--password", help="asked for when omitted")
    u.add_argument("--bank", help="the bank code of a BANK user")
    b = sub.add_parser("create-bank", help="create a 专户银行")
    for name in ("code", "name", "account-name", "account-number"):
        b.add_argument(f"--{name}", required=True)
    b.add_argument("--default", action="store_true", help="make it the default bank (the first bank is anyway)")
    r = sub.add_parser("rotate-pii", help="reseal owners' ID numbers and phones under the first key of PII_KEYS "
                                          "(online, in batches)")
    r.add_argument("--batch", type=int, default=1000)
    d = sub.add_parser("backup", help="a consistent backup: a PostgreSQL dump and the documents it names, into DEST")
    d.add_argument("dest", help="a new or empty folder")
    rs = sub.add_parser("restore", help="restore a backup into an empty database and an empty document store")
    rs.add_argument("src", help="a folder written by backup")
    args = parser.parse_args(argv)
    if not get_settings().database_url:
        ensure_servers(get_settings().data_dir)
        get_settings.cache_clear()
    if args.command == "migrate":
        upgrade()
        return 0
    handler = {"demo": _demo, "create-user": _create_user, "create-bank": _create_bank,
               "rotate-pii": _rotate_pii, "backup": _backup, "restore": _restore}[args.command]

    async def run() -> None:
        try:
            await handler(args)
        finally:
            await dispose_engine()
            await close_storage()

    try:
        asyncio.run(run())
    except AppError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 1
    except BackupError as exc:
        print(f"backup/restore: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
