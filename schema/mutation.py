from __future__ import annotations

import strawberry
from strawberry.types import Info

from models.enums import UserStatus
from resolvers import accounts
from schema.application_roots import ApplicationMutation
from schema.payment_roots import PaymentMutation
from schema.inputs import (
    BankInput, CreateOrgUserInput, CreateStaffUserInput, RegisterDeveloperInput, UpdateOrganizationInput,
    UpdateOrgUserInput,
)
from schema.types import Bank, LoginPayload, Organization, User
from services.organizations import Registration, RegistrationFile


def _payload(result) -> LoginPayload:
    token, expires_at, user = result
    return LoginPayload(token=token, expires_at=expires_at, user=user)


@strawberry.type
class Mutation(ApplicationMutation, PaymentMutation):
    @strawberry.mutation(description="registers the organisation and its admin, and logs the admin in")
    async def register_developer(self, info: Info, input: RegisterDeveloperInput) -> LoginPayload:
        data = Registration(
            name=input.name, credit_code=input.credit_code, legal_representative=input.legal_representative,
            contact_name=input.contact_name, contact_phone=input.contact_phone, address=input.address,
            admin_username=input.admin_username, admin_password=input.admin_password, admin_name=input.admin_name,
            agreement_version=input.agreement_version, agreement_accepted=input.agreement_accepted,
            attachments=[RegistrationFile(kind=a.kind, upload=a.file) for a in input.attachments],
        )
        return _payload(await accounts.register_developer(info, data))

    @strawberry.mutation
    async def login(self, info: Info, username: str, password: str) -> LoginPayload:
        return _payload(await accounts.login(info, username=username, password=password))

    @strawberry.mutation
    async def logout(self, info: Info) -> bool:
        return await accounts.logout(info)

    @strawberry.mutation
    async def change_password(self, info: Info, old_password: str, new_password: str) -> bool:
        return await accounts.change_password(info, old_password=old_password, new_password=new_password)

    @strawberry.mutation
    async def update_organization(self, info: Info, input: UpdateOrganizationInput) -> Organization:
        changes = {k: getattr(input, k) for k in ("name", "legal_representative", "contact_name", "contact_phone", "address")}
        return await accounts.update_organization(info, changes)

    @strawberry.mutation
    async def mark_materials_verified(self, info: Info, organization_id: strawberry.ID) -> Organization:
        return await accounts.mark_materials_verified(info, organization_id)

    @strawberry.mutation
    async def create_org_user(self, info: Info, input: CreateOrgUserInput) -> User:
        return await accounts.create_org_user(info, username=input.username, password=input.password,
                                              name=input.name, phone=input.phone, roles=list(input.roles))

    @strawberry.mutation
    async def update_org_user(self, info: Info, id: strawberry.ID, input: UpdateOrgUserInput) -> User:
        return await accounts.update_org_user(info, id, name=input.name, phone=input.phone,
                                              roles=None if input.roles is None else list(input.roles),
                                              password=input.password)

    @strawberry.mutation
    async def deactivate_user(self, info: Info, id: strawberry.ID) -> User:
        return await accounts.set_user_status(info, id, UserStatus.DEACTIVATED)

    @strawberry.mutation
    async def activate_user(self, info: Info, id: strawberry.ID) -> User:
        return await accounts.set_user_status(info, id, UserStatus.ACTIVE)

    @strawberry.mutation(description="ADMIN")
    async def create_bank(self, info: Info, input: BankInput) -> Bank:
        return await accounts.create_bank(info, input)

    @strawberry.mutation(description="ADMIN")
    async def update_bank(self, info: Info, id: strawberry.ID, input: BankInput) -> Bank:
        return await accounts.update_bank(info, id, input)

    @strawberry.mutation(description="ADMIN: clerks, bank users and admins (org users are made by their org admin with createOrgUser)")
    async def create_staff_user(self, info: Info, input: CreateStaffUserInput) -> User:
        return await accounts.create_staff_user(info, input)
