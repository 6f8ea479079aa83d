"""Who is asking (Viewer) and what they may see. Rules from SPEC "Who uses it":
a developer's users see their own organisation's data only; clerks and admins see all;
a bank sees notices and payments only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.errors import Forbidden, Unauthenticated
from models.enums import Role


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int
    username: str
    roles: frozenset[Role]
    organization_id: int | None
    bank_id: int | None
    session_id: int | None = None

    @property
    def is_staff(self) -> bool:
        """Clerks and admins of the fund office see every organisation's data."""
        return Role.CLERK in self.roles or Role.ADMIN in self.roles

    def has(self, *roles: Role) -> bool:
        return any(r in self.roles for r in roles)

    def can_see_org(self, organization_id: int | None) -> bool:
        return self.is_staff or (organization_id is not None and organization_id == self.organization_id)

    # Reads: a record the viewer may not see is answered as absent (null), never as "forbidden",
    # so that its existence is not revealed. Writes and lists use the require_* checks below.

    def can_see_user(self, user: Any) -> bool:
        """Oneself; admins everyone; staff and the organisation's admins its users."""
        if user.id == self.user_id or self.has(Role.ADMIN):
            return True
        return user.organization_id is not None and self.can_see_org(user.organization_id) and (
            self.is_staff or self.has(Role.ORG_ADMIN))

    def can_see_document(self, document: Any) -> bool:
        """Its organisation and staff; 注册要件 only the organisation's admins and staff (as
        Organization.attachments)."""
        if not (self.is_staff or (document.organization_id and self.can_see_org(document.organization_id))):
            return False
        return document.registration_kind is None or self.is_staff or self.has(Role.ORG_ADMIN)

    def can_see_notice(self, notice: Any) -> bool:
        """A payment notice (and its payment): staff, the notice's bank, and its organisation."""
        return self.is_staff or (self.bank_id is not None and notice.bank_id == self.bank_id) or (
            self.organization_id is not None and notice.organization_id == self.organization_id)


def require_viewer(viewer: Viewer | None) -> Viewer:
    if viewer is None:
        raise Unauthenticated()
    return viewer


def require_role(viewer: Viewer | None, *roles: Role) -> Viewer:
    v = require_viewer(viewer)
    if not v.has(*roles):
        raise Forbidden()
    return v


def require_sees_org(viewer: Viewer | None, organization_id: int | None) -> Viewer:
    """The tree below a record reached on the way (a notice's estate, a house's building): only
    for its developer and staff. A bank reaches a notice's lines and houses, and no further."""
    v = require_viewer(viewer)
    if not v.can_see_org(organization_id):
        raise Forbidden("无权查看该数据")
    return v


def require_org_admin_of(viewer: Viewer | None, organization_id: int) -> Viewer:
    """An organisation's own matters (its users, its registration materials): its admins and staff."""
    v = require_viewer(viewer)
    if not (v.is_staff or (v.organization_id == organization_id and v.has(Role.ORG_ADMIN))):
        raise Forbidden("只有本机构管理员和管理部门可以查看")
    return v


def require_tree_reader(viewer: Viewer | None) -> Viewer:
    """Estates, buildings and houses: org users of the developer, clerks and admins."""
    v = require_viewer(viewer)
    if not (v.is_staff or v.organization_id is not None):
        raise Forbidden()
    return v
