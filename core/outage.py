"""Outages of what the service stands on (PostgreSQL, Redis, the network to them): told apart
from bugs so that a client hears "try again later" (INTERNAL with this message and the request
id; HTTP 503 where the client asked for application/graphql-response+json) rather than a
plain-text 500 or a bare INTERNAL."""

from __future__ import annotations

import errno
import socket

import asyncpg
from redis import exceptions as redis_errors
from sqlalchemy import exc as sa_errors

from core.media import GRAPHQL_RESPONSE, negotiate

OUTAGE_MESSAGE = "服务暂时不可用，请稍后再试"

_UNREACHABLE = (
    ConnectionError,  # refused, reset, broken pipe
    TimeoutError,
    socket.gaierror,  # the host name does not resolve
    redis_errors.ConnectionError,  # includes a Redis still loading its data
    redis_errors.TimeoutError,
    sa_errors.TimeoutError,  # no pooled connection became free
    sa_errors.DisconnectionError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,  # starting up or shutting down
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    asyncpg.ConnectionDoesNotExistError,
)
_NETWORK_ERRNOS = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH, errno.ENETDOWN, errno.EHOSTDOWN,
                             errno.EADDRNOTAVAIL, errno.ECONNREFUSED})


def is_outage(error: BaseException | None) -> bool:
    """True if the error, or one it was raised from, says a server could not be reached or
    is not serving. asyncio reports a failed connect to several addresses as a bare OSError."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, _UNREACHABLE):
            return True
        if isinstance(error, OSError) and (error.errno in _NETWORK_ERRNOS
                                           or str(error).startswith("Multiple exceptions: ")):
            return True
        if isinstance(error, sa_errors.DBAPIError) and error.connection_invalidated:
            return True
        error = error.__cause__ or error.__context__
    return False


def wants_graphql_response(accept: str | None) -> bool:
    """The GraphQL-over-HTTP media type, whose clients read the HTTP status (503 = try later)."""
    return negotiate(accept) == GRAPHQL_RESPONSE
