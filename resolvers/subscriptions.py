"""Subscriptions: events arrive through Redis pub/sub (services/events.py), so a subscriber on
any API process hears changes made anywhere. The socket's login is checked again in the
database on every subscribe, and each subscription listens for changes to its user's logins
(`user:{id}:sessions`): once its login has ended (logout, a password change from another
login, deactivation) it gets UNAUTHENTICATED and the socket closes."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import datetime
from typing import Any, AsyncIterator

from core.errors import NotFound, RateLimited, Unauthenticated
from core.ids import decode_id
from models.enums import ApplicationStatus, JobStatus
from resolvers.ids import NO_SUCH_ROW
from services import auth, events, jobs
from services.applications.read import applications_by_id, events_by_application
from services.access import Viewer, require_viewer

TERMINAL = (JobStatus.SUCCEEDED.value, JobStatus.FAILED.value)
CLOSE_UNAUTHORIZED = 4401


@dataclasses.dataclass(frozen=True)
class EventRecord:
    to_status: ApplicationStatus
    at: datetime
    by_id: int | None
    comment: str | None


async def _signed_in(info) -> Viewer:
    """The socket's login read again (no cache); the context takes its current roles. Called
    after listening starts, so a change published meanwhile is not missed."""
    viewer = await auth.recheck(require_viewer(info.context.viewer))
    if viewer is None:
        raise _refuse(info)
    info.context.viewer = viewer
    return viewer


def _refuse(info) -> Unauthenticated:
    """The socket closes just after the error frame is sent."""
    socket = info.context.request
    if socket is not None and hasattr(socket, "close"):
        loop = asyncio.get_running_loop()
        loop.call_later(0.2, lambda: asyncio.ensure_future(_close(socket)))
    return Unauthenticated("登录已失效（已退出、密码已修改或账号已注销），订阅已终止")


async def _close(socket) -> None:
    try:
        await socket.close(code=CLOSE_UNAUTHORIZED, reason="Unauthorized")
    except Exception:  # already closed by the client
        pass


async def job_updated(info, gid: str) -> AsyncIterator[Any]:
    user_id = require_viewer(info.context.viewer).user_id
    pk = decode_id(gid, "Job")
    # An id naming no job listens on a channel no job uses; NOT_FOUND follows below.
    channel = events.job_channel(NO_SUCH_ROW if pk is None else pk)
    async with events.listen(channel, events.user_sessions_channel(user_id)) as messages:
        viewer = await _signed_in(info)
        async with info.context.sessions() as session:
            record = None if pk is None else await jobs.get_record(session, pk)
        if record is None or not jobs.can_see(viewer, record):
            raise NotFound("任务不存在", field="id")
        info.context.renew_loaders()
        yield record
        if record.status.value in TERMINAL:
            return
        # Heard nothing for as long as the sweeper waits before it judges a job's worker lost: the
        # row is read, as the end of a job whose worker died before publishing it is never heard.
        async for channel, payload in events.with_quiet(messages, jobs.liveness().stale):
            if channel.startswith("user:"):
                await _signed_in(info)
                continue
            info.context.renew_loaders()
            if payload is events.RESUBSCRIBED or payload is events.QUIET:
                # Redis was away, or all was quiet: the job may have moved on, or ended, meanwhile
                # (the row is the truth).
                async with info.context.sessions() as session:
                    fresh = await jobs.get_record(session, pk)
                if fresh is None:
                    raise NotFound("任务不存在", field="id")
                if _shown(fresh) == _shown(record):
                    continue
                record = fresh
                yield record
                if record.status.value in TERMINAL:
                    return
                continue
            if payload["status"] in TERMINAL:
                async with info.context.sessions() as session:
                    yield await jobs.get_record(session, pk)
                return
            record = dataclasses.replace(record, status=JobStatus(payload["status"]), progress=payload["progress"],
                                         processed=payload["processed"], total=payload["total"],
                                         message=payload.get("message"))
            yield record


def _shown(job: Any) -> tuple:
    """What a subscriber sees change (not the heartbeat, which moves all the time)."""
    return job.status, job.progress, job.processed, job.total, job.message


# One status change wakes every subscription of this process at once. Each reading the application
# for itself took a pooled connection each: with hundreds open, one change emptied the pool and HTTP
# requests timed out behind the subscribers (bench/load.py). They share one read per change instead,
# and one event: every subscriber gets the same (immutable) object, so those that ask the same
# selection as the same viewer share one execution of it too (schema/shared_events.py). Each
# subscription checked that its viewer may see the change before asking.
_CHANGES: dict[tuple[int, str, str], asyncio.Future] = {}
_CHANGE_KEPT_SECONDS = 10.0


async def _read_change(sessions, payload: dict) -> dict | None:
    async with sessions() as session:
        application = (await applications_by_id(session, [payload["applicationId"]]))[0]
    if application is None:
        return None
    return {
        "application": application,
        "from": None if payload["from"] is None else ApplicationStatus(payload["from"]),
        "event": EventRecord(to_status=ApplicationStatus(payload["to"]), at=datetime.fromisoformat(payload["at"]),
                             by_id=payload["byId"], comment=payload["comment"]),
    }


async def _change(info, payload: dict) -> dict | None:
    key = (payload["applicationId"], payload["to"], payload["at"])
    read = _CHANGES.get(key)
    if read is None:
        read = _CHANGES[key] = asyncio.ensure_future(_read_change(info.context.sessions, payload))
        asyncio.get_running_loop().call_later(_CHANGE_KEPT_SECONDS, _CHANGES.pop, key, None)
    return await asyncio.shield(read)  # one subscriber going away does not cancel the others' read


def _wants_change(info, app_id: int | None, org_id: int | None) -> events.Wants:
    """The filter below, run in the process's one listener: the subscriptions of other
    organisations and applications are not woken for a change (the context's viewer is the
    latest `_signed_in` read)."""
    def wants(channel: str, payload: dict) -> bool:
        return channel != events.APPLICATIONS or (
            info.context.viewer.can_see_org(payload["organizationId"])
            and (app_id is None or payload["applicationId"] == app_id)
            and (org_id is None or payload["organizationId"] == org_id))
    return wants


async def application_status_changed(info, application_gid: str | None, organization_gid: str | None) -> AsyncIterator[dict]:
    user_id = require_viewer(info.context.viewer).user_id
    app_id = None if application_gid is None else decode_id(application_gid, "Application")
    org_id = None if organization_gid is None else decode_id(organization_gid, "Organization")
    async with events.listen(events.APPLICATIONS, events.user_sessions_channel(user_id),
                             wants=_wants_change(info, app_id, org_id)) as messages:
        viewer = await _signed_in(info)
        if application_gid is not None:
            found = None if app_id is None else await info.context.loaders.application_by_id.load(app_id)
            if found is None or not viewer.can_see_org(found.organization_id):
                raise NotFound("业务单不存在", field="applicationId")
        if organization_gid is not None and (org_id is None or not viewer.can_see_org(org_id)):
            raise NotFound("机构不存在", field="organizationId")
        known = None if application_gid is None else found.status  # the watched application's, as last told
        async for channel, payload in messages:
            if channel.startswith("user:"):
                viewer = await _signed_in(info)
                continue
            if payload is events.RESUBSCRIBED:
                # Redis was away: the changes published meanwhile are lost (docs/decisions.md, resub).
                if application_gid is None:
                    raise RateLimited("实时事件连接曾中断，期间的业务单状态变化可能未送达，订阅已终止，"
                                      "请重新订阅并刷新列表", retry_after=1)
                info.context.renew_loaders()
                missed = await _missed_change(info, viewer, app_id, known)
                if missed is not None:
                    known = missed["event"].to_status
                    yield missed
                continue
            if not viewer.can_see_org(payload["organizationId"]):
                continue
            if app_id is not None and payload["applicationId"] != app_id:
                continue
            if org_id is not None and payload["organizationId"] != org_id:
                continue
            info.context.renew_loaders()
            change = await _change(info, payload)
            if change is None:
                continue
            known = change["event"].to_status
            yield change  # the same object for every subscriber of this process: do not change it


async def _missed_change(info, viewer: Viewer, app_id: int, known: ApplicationStatus) -> dict | None:
    """The watched application re-read after a gap: its last transition, if its status is not the
    one the subscriber was last told (the transitions between are in its history)."""
    async with info.context.sessions() as session:
        application = (await applications_by_id(session, [app_id]))[0]
        history = (await events_by_application(session, [app_id]))[0]
    if application is None or not viewer.can_see_org(application.organization_id):
        raise NotFound("业务单不存在", field="applicationId")
    if application.status == known or not history:
        return None
    last = history[-1]
    return {"application": application, "from": last.from_status, "event": last}
