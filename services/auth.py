"""Login sessions (登录): opaque bearer tokens stored as hashes, expiring and revocable, and
throttling of failed logins per client address and per username. A token checked lately is
served from this process's token cache (services/token_cache.py), which every change to a login
or user clears on every process through sessions_changed()."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from argon2 import PasswordHasher
from redis.exceptions import RedisError
from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core import security
from core.config import get_settings
from core.db import get_reader
from core.errors import RateLimited, Unauthenticated, ValidationFailed
from core.metrics import TOKEN_CHECKS
from core.redis import get_redis
from models import User, UserSession
from models.enums import Role, UserStatus
from services import audit, events
from services.access import Viewer
from services.records import UserRecord
from services.token_cache import cache as token_cache
from services.validators import password_problem

log = logging.getLogger("wxfund.auth")
_FROM_CACHE, _FROM_DATABASE = TOKEN_CHECKS.labels("cache"), TOKEN_CHECKS.labels("database")


@dataclass(frozen=True)
class LoginResult:
    token: str
    expires_at: datetime
    user: User


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    s = get_settings()
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib).hash("dummy-password-0")


MAX_DELAY_SECONDS = 4.0


def _username_key(username: str) -> str:
    # Its own prefix, so no typed username can name an address's counter; usernames are at most
    # 50 characters, so the cut merges none.
    return f"login-failures:user:{username.strip().lower()[:64]}"


def _address_key(address: str | None) -> str:
    return f"login-failures:address:{address or 'unknown'}"


async def _reserve(key: str) -> int:
    """Counts one attempt before it is checked, so concurrent attempts each see their own number
    (a burst cannot all read the same count and all pass). The window starts at the first
    attempt (SET NX EX works on Redis 6 too)."""
    async with get_redis().pipeline(transaction=True) as pipe:
        pipe.set(key, 0, ex=get_settings().login_window_seconds, nx=True)
        pipe.incr(key)
        _, count = await pipe.execute()
    return int(count)


async def reserve_attempt(address: str | None) -> None:
    """One more failure-prone attempt (a login, or a registration that may collide) from a client
    address: over LOGIN_BLOCK_AFTER in the window the address is refused with RATE_LIMITED. A
    success gives its attempt back (give_back_attempt); a failure keeps it."""
    key = _address_key(address)
    if await _reserve(key) > get_settings().login_block_after:
        raise RateLimited("失败次数过多，请稍后再试", retry_after=max(await get_redis().ttl(key), 1))


# Only while the window lasts: a DECR after it ended would leave a counter with no expiry.
_GIVE_BACK = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('decr', KEYS[1]) end return 0"


async def give_back_attempt(address: str | None) -> None:
    await get_redis().eval(_GIVE_BACK, 1, _address_key(address))


async def _slow_down(username: str) -> None:
    """After LOGIN_SLOW_AFTER failed attempts on a username each further attempt waits longer, up
    to MAX_DELAY_SECONDS; the username is never refused, so guesses from elsewhere cannot
    lock its owner out (the guessing address is refused instead)."""
    s = get_settings()
    attempt = await _reserve(_username_key(username))
    if attempt > s.login_slow_after:
        await asyncio.sleep(min(0.25 * 2 ** (attempt - 1 - s.login_slow_after), MAX_DELAY_SECONDS))


async def issue_session(session: AsyncSession, user: User) -> LoginResult:
    token = security.new_token()
    expires_at = datetime.now(timezone.utc) + timedelta(hours=get_settings().token_ttl_hours)
    session.add(UserSession(user_id=user.id, token_hash=security.token_hash(token), expires_at=expires_at))
    return LoginResult(token=token, expires_at=expires_at, user=user)


async def login(session: AsyncSession, *, username: str, password: str, address: str | None = None) -> LoginResult:
    """Failures count per client address (refused past the limit) and per username (slowed)."""
    await reserve_attempt(address)
    await _slow_down(username)
    user = await session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))
    ok = await security.verify_password(user.password_hash if user else _dummy_hash(), password)
    if not user or not ok or user.status != UserStatus.ACTIVE:
        raise Unauthenticated("用户名或密码错误，或账号已注销")
    await give_back_attempt(address)
    await get_redis().delete(_username_key(username))
    result = await issue_session(session, user)
    await session.commit()
    return result


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A valid login: who it is, and their user row, so that `me` costs no second query."""

    viewer: Viewer
    user: UserRecord


def _signed_in_query(which):
    """A login and its user's row by `which` (a condition on UserSession), if the login has
    not ended and the user is active. Built once: building it per request showed in the profile."""
    return (
        select(UserSession.id, UserSession.expires_at, *(User.__table__.c[name] for name in UserRecord.columns))
        .join(User, User.id == UserSession.user_id)
        .where(which, UserSession.revoked_at.is_(None), UserSession.expires_at > func.now(),
               User.status == UserStatus.ACTIVE)
    )


_BY_TOKEN = _signed_in_query(UserSession.token_hash == bindparam("token_hash"))
_BY_SESSION = _signed_in_query(UserSession.id == bindparam("session_id"))


async def _signed_in(connection, query, **params) -> tuple[SignedIn, datetime] | None:
    row = (await connection.execute(query, params)).first()
    if row is None:
        return None
    session_id, expires_at, *columns = row
    user = UserRecord(*columns)
    return SignedIn(viewer=viewer_of(user, session_id), user=user), expires_at


async def authenticate(connection, token: str) -> Viewer | None:
    """The viewer of a bearer token, or None if the token is unknown, expired or revoked, or
    its user is deactivated. One query (a session or a plain connection), no cache."""
    found = await _signed_in(connection, _BY_TOKEN, token_hash=security.token_hash(token))
    return None if found is None else found[0].viewer


async def check_token(token: str) -> SignedIn | None:
    """authenticate() for a request: from the token cache if it holds the token, else one
    query on a reader connection, whose answer the cache then keeps for TOKEN_CACHE_SECONDS
    (less if the token expires sooner)."""
    key = security.token_hash(token)
    ttl = get_settings().token_cache_seconds
    if ttl > 0 and (cached := token_cache.get(key)) is not None:
        _FROM_CACHE.inc()
        return cached
    _FROM_DATABASE.inc()
    epoch = token_cache.epoch
    async with get_reader().connect() as connection:
        found = await _signed_in(connection, _BY_TOKEN, token_hash=key)
    if found is None:
        return None
    signed_in, expires_at = found
    if ttl > 0:
        seconds = min(ttl, (expires_at - datetime.now(timezone.utc)).total_seconds())
        token_cache.put(key, signed_in.viewer.user_id, signed_in, seconds=seconds, epoch=epoch)
    return signed_in


async def recheck(viewer: Viewer) -> Viewer | None:
    """The viewer's login read again from the database (no cache): its current roles, or None
    if it has ended (logout, another login's password change, deactivation, expiry)."""
    async with get_reader().connect() as connection:
        found = await _signed_in(connection, _BY_SESSION, session_id=viewer.session_id)
    return None if found is None else found[0].viewer


async def sessions_changed(user_id: int) -> None:
    """After the commit that ended a login of the user or changed the user: this process
    forgets the user's cached tokens now, every other API process as the message arrives, and
    the user's live subscriptions re-check their login. The database is the truth: if Redis
    cannot take the message, the change stands, and the other processes' listeners, cut off
    too, serve nothing from their caches (a listener cut off alone is bounded by the TTL)."""
    token_cache.forget_user(user_id)
    try:
        await events.publish(events.user_sessions_channel(user_id), {"userId": user_id})
    except (RedisError, OSError) as exc:  # see above
        log.warning("user %s: sessions change not published: %s: %s", user_id, type(exc).__name__, exc)


def viewer_of(user: User | UserRecord, session_id: int | None = None) -> Viewer:
    return Viewer(
        user_id=user.id,
        username=user.username,
        roles=frozenset(Role(r) for r in user.roles),
        organization_id=user.organization_id,
        bank_id=user.bank_id,
        session_id=session_id,
    )


async def logout(session: AsyncSession, viewer: Viewer) -> None:
    await session.execute(
        update(UserSession).where(UserSession.id == viewer.session_id).values(revoked_at=func.now())
    )
    await session.commit()
    await sessions_changed(viewer.user_id)


async def revoke_all_sessions(session: AsyncSession, user_id: int) -> None:
    """In the caller's transaction; the caller calls sessions_changed() after its commit."""
    await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )


async def change_password(session: AsyncSession, viewer: Viewer, *, old_password: str, new_password: str) -> None:
    user = await session.get_one(User, viewer.user_id)
    if not await security.verify_password(user.password_hash, old_password):
        raise ValidationFailed("原密码不正确", field="oldPassword")
    if problem := password_problem(new_password, user.username):
        raise ValidationFailed(problem, field="newPassword")
    user.password_hash = await security.hash_password(new_password)
    # Every other login of the user ends; this one stays.
    await session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.id != viewer.session_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=func.now())
    )
    audit.record(session, actor=viewer, action="user.change_password", entity_type="User", entity_id=user.id,
                 organization_id=user.organization_id)
    await session.commit()
    await sessions_changed(user.id)


async def purge_expired_sessions(session: AsyncSession) -> int:
    cutoff = func.now() - timedelta(days=1)
    result = await session.execute(
        delete(UserSession).where(or_(UserSession.expires_at < cutoff, UserSession.revoked_at < cutoff))
    )
    await session.commit()
    return result.rowcount or 0
