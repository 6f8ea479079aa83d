"""Input types of the contract."""

from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload

from schema.enums import RecordStatus, RegistrationFileKind, Role, SalesStatus


@strawberry.input
class RegistrationFileInput:
    kind: RegistrationFileKind
    file: Upload


@strawberry.input
class RegisterDeveloperInput:
    name: str
    credit_code: str
    legal_representative: str
    contact_name: str
    contact_phone: str
    address: str
    admin_username: str
    admin_password: str
    admin_name: str
    agreement_version: str = strawberry.field(description="the version of the registration agreement accepted (Query.registrationAgreement)")
    agreement_accepted: bool
    attachments: list[RegistrationFileInput] = strawberry.field(
        description="要件: scanned registration materials, PDF, JPG or PNG, at most 10 MB each; a BUSINESS_LICENCE is required"
    )


@strawberry.input
class UpdateOrganizationInput:
    name: str | None = None
    legal_representative: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    address: str | None = None


@strawberry.input
class CreateOrgUserInput:
    username: str
    password: str
    name: str
    phone: str | None = None
    roles: list[Role]


@strawberry.input
class UpdateOrgUserInput:
    name: str | None = None
    phone: str | None = None
    roles: list[Role] | None = None
    password: str | None = None


@strawberry.input
class EstateFilter:
    search: str | None = None
    district: str | None = None
    developer_id: strawberry.ID | None = None
    status: RecordStatus | None = None


@strawberry.input
class HouseFilter:
    estate_id: strawberry.ID | None = None
    building_id: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None, description="matches room number, address or an owner's name")
    status: RecordStatus | None = None
    sales_status: SalesStatus | None = None
    unpaid: bool | None = strawberry.field(default=None, description="only houses whose deposit due is not fully paid")
