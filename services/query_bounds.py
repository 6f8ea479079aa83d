"""Bounds from the data for the query cost (schema/cost.py): the most items any one parent has
in each unpaginated list (houses per building, owners per house, lines per notice, ...). They
are true maxima of the data when read; they are kept for QUERY_BOUNDS_TTL_SECONDS, so a list
that grows meanwhile is still held by the result cap the executor keeps (schema/execution.py).
One statement of index-only counts, at most once per TTL per process."""

from __future__ import annotations

import time

from sqlalchemy import text

from core.config import get_settings
from core.db import get_reader


def _max_per(table: str, key: str, where: str = "") -> str:
    return f"(SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM {table} {where} GROUP BY {key}) s)"


STATEMENTS = {
    "buildings_per_estate": _max_per("buildings", "estate_id"),
    "houses_per_building": _max_per("houses", "building_id"),
    "houses_per_estate": _max_per("houses JOIN buildings ON buildings.id = houses.building_id", "buildings.estate_id"),
    "owners_per_house": _max_per("owners", "house_id"),
    "ledger_per_house": _max_per("ledger_entries", "house_id"),
    "lines_per_notice": _max_per("notice_lines", "notice_id"),
    "houses_per_application": _max_per("application_houses", "application_id"),
    "buildings_per_application": _max_per("application_buildings", "application_id"),
    "events_per_application": _max_per("application_events", "application_id"),
    "documents_per_application": _max_per("documents", "application_id", "WHERE application_id IS NOT NULL"),
    "registration_files_per_organization": _max_per("documents", "organization_id", "WHERE registration_kind IS NOT NULL"),
    "refunds_per_application": _max_per("refunds", "application_id"),
    "notices_per_application": _max_per("payment_notices", "application_id", "WHERE application_id IS NOT NULL"),
    "notices_per_job": _max_per("payment_notices", "job_id", "WHERE job_id IS NOT NULL"),
    "users_per_organization": _max_per("users", "organization_id", "WHERE organization_id IS NOT NULL"),
    "history_per_record": _max_per("audit_events", "entity_type, entity_id",
                                   "WHERE action IN ('organization.update', 'estate.update')"),
    "errors_per_job": "(SELECT coalesce(max(jsonb_array_length(errors)), 0) FROM jobs)",
    "banks": "(SELECT count(*) FROM banks)",
    "deposit_standards": "(SELECT count(*) FROM deposit_standards)",
}
QUERY = text("SELECT " + ", ".join(f"{sql} AS {name}" for name, sql in STATEMENTS.items()))

_cached: tuple[float, dict[str, int]] | None = None


async def data_bounds() -> dict[str, int]:
    global _cached
    ttl = get_settings().query_bounds_ttl_seconds
    if _cached is not None and time.monotonic() - _cached[0] < ttl:
        return _cached[1]
    # Two first queries at once may both count: harmless, and no lock to tie to one event loop.
    async with get_reader().connect() as connection:
        row = (await connection.execute(QUERY)).one()
    _cached = (time.monotonic(), {k: int(v) for k, v in row._mapping.items()})
    return _cached[1]


def forget() -> None:
    """Read the data again on the next query (tests empty the database between them)."""
    global _cached
    _cached = None
