"""Global ids of the API decoded into row ids for the services."""

from __future__ import annotations

from core.ids import decode_id

# An id that was given but names no row (undecodable, or of another type). No row has id 0, so
# the service answers NOT_FOUND for it, while None keeps its own meaning: no id given (a filter
# left out, or "create" rather than "update").
NO_SUCH_ROW = 0


def row_id(gid: str | None, type_name: str) -> int | None:
    """The row id named by `gid`; None when no id was given or it names nothing."""
    return None if gid is None else decode_id(gid, type_name)


def given_row_id(gid: str | None, type_name: str) -> int | None:
    """None when no id was given; else the row id, or NO_SUCH_ROW when the id names nothing."""
    if gid is None:
        return None
    pk = decode_id(gid, type_name)
    return NO_SUCH_ROW if pk is None else pk
