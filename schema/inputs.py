"""Input types of the contract."""

from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload

from schema.enums import RecordStatus, RegistrationFileKind, Role, SalesStatus, UserStatus


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


@strawberry.input(description="专户银行: a bank whose fund account estates pay into")
class BankInput:
    code: str = strawberry.field(description="银行代码, e.g. ICBC-JM")
    name: str = strawberry.field(description="银行名称")
    account_name: str = strawberry.field(description="专户户名")
    account_number: str = strawberry.field(description="专户账号")
    is_default: bool | None = strawberry.field(
        default=None, description="默认银行: collections that name no bank pay into it; setting it moves the mark from the old default")


@strawberry.input(description="staff of the fund office or a bank: CLERK, BANK (with bankId) or ADMIN")
class CreateStaffUserInput:
    username: str
    password: str
    name: str
    phone: str | None = None
    roles: list[Role]
    bank_id: strawberry.ID | None = None


@strawberry.input
class UserFilter:
    role: Role | None = None
    status: UserStatus | None = None
    organization_id: strawberry.ID | None = None
    search: str | None = strawberry.field(default=None, description="matches username or name")
