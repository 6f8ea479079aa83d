"""Permissions declared on fields. Each raises the coded error itself."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from models.enums import Role
from services.access import require_role, require_viewer


class IsAuthenticated(BasePermission):
    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        require_viewer(info.context.viewer)
        return True


def has_role(*roles: Role) -> type[BasePermission]:
    class HasRole(BasePermission):
        def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
            require_role(info.context.viewer, *roles)
            return True

    HasRole.__name__ = "Has" + "Or".join(r.value.title().replace("_", "") for r in roles)
    return HasRole


IsOrgAdmin = has_role(Role.ORG_ADMIN)
IsClerk = has_role(Role.CLERK)
IsOrgAdminOrAdmin = has_role(Role.ORG_ADMIN, Role.ADMIN)
IsStaff = has_role(Role.CLERK, Role.ADMIN)
