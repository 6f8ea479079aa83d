"""Query, Mutation and Subscription fields of applications and jobs (mixed into the roots)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.file_uploads import Upload
from strawberry.types import Info

from resolvers import applications as application_resolvers
from resolvers import subscriptions as subscription_resolvers
from schema.application_inputs import (
    ApplicationFilter, BuildingChangeInput, EstateCollectionInput, HouseCancellationInput, HouseInfoChangeInput,
    HouseSplitMergeInput, HouseSupplementInput, OwnershipChangeInput, RefundAccountInput, UpdateEstateInput,
)
from schema.applications import Application, ApplicationConnection, ApplicationStatusEvent, Job
from schema.enums import TemplateKind
from schema.types import Document, Estate


@strawberry.type
class ApplicationQuery:
    @strawberry.field
    async def import_template(self, info: Info, kind: TemplateKind) -> Document:
        return await application_resolvers.import_template(info, kind)

    @strawberry.field
    async def applications(self, info: Info, first: int | None = None, after: str | None = None,
                           filter: ApplicationFilter | None = None) -> ApplicationConnection:
        return ApplicationConnection.of(await application_resolvers.applications(info, first=first, after=after, filter=filter))

    @strawberry.field
    async def application(self, info: Info, id: strawberry.ID) -> Application | None:
        return await application_resolvers.application(info, id)

    @strawberry.field
    async def job(self, info: Info, id: strawberry.ID) -> Job | None:
        return await application_resolvers.job(info, id)


@strawberry.type
class ApplicationMutation:
    @strawberry.mutation
    async def create_estate_collection(self, info: Info, input: EstateCollectionInput) -> Application:
        return await application_resolvers.create_estate_collection(info, input)

    @strawberry.mutation
    async def update_estate(self, info: Info, id: strawberry.ID, input: UpdateEstateInput) -> Estate:
        return await application_resolvers.update_estate(info, id, input)

    @strawberry.mutation
    async def create_building_change(self, info: Info, input: BuildingChangeInput) -> Application:
        return await application_resolvers.save_building_change(info, None, input)

    @strawberry.mutation
    async def create_house_split_merge(self, info: Info, input: HouseSplitMergeInput) -> Application:
        return await application_resolvers.save_split_merge(info, None, input)

    @strawberry.mutation
    async def create_house_supplement(self, info: Info, input: HouseSupplementInput) -> Application:
        return await application_resolvers.create_supplement(info, input)

    @strawberry.mutation
    async def create_house_info_change(self, info: Info, input: HouseInfoChangeInput) -> Application:
        return await application_resolvers.save_info_change(info, None, input)

    @strawberry.mutation
    async def create_ownership_change(self, info: Info, input: OwnershipChangeInput) -> Application:
        return await application_resolvers.save_ownership_change(info, None, input)

    @strawberry.mutation
    async def create_house_cancellation(self, info: Info, input: HouseCancellationInput) -> Application:
        return await application_resolvers.save_cancellation(info, None, input)

    @strawberry.mutation(description="edits of a DRAFT or REJECTED application, each replacing what its create mutation set")
    async def update_estate_collection(self, info: Info, id: strawberry.ID, input: EstateCollectionInput) -> Application:
        return await application_resolvers.update_estate_collection(info, id, input)

    @strawberry.mutation
    async def update_building_change(self, info: Info, id: strawberry.ID, input: BuildingChangeInput) -> Application:
        return await application_resolvers.save_building_change(info, id, input)

    @strawberry.mutation
    async def update_house_split_merge(self, info: Info, id: strawberry.ID, input: HouseSplitMergeInput) -> Application:
        return await application_resolvers.save_split_merge(info, id, input)

    @strawberry.mutation
    async def update_house_supplement(self, info: Info, id: strawberry.ID, input: HouseSupplementInput) -> Application:
        return await application_resolvers.update_supplement(info, id, input)

    @strawberry.mutation
    async def update_house_info_change(self, info: Info, id: strawberry.ID, input: HouseInfoChangeInput) -> Application:
        return await application_resolvers.save_info_change(info, id, input)

    @strawberry.mutation
    async def update_ownership_change(self, info: Info, id: strawberry.ID, input: OwnershipChangeInput) -> Application:
        return await application_resolvers.save_ownership_change(info, id, input)

    @strawberry.mutation
    async def update_house_cancellation(self, info: Info, id: strawberry.ID, input: HouseCancellationInput) -> Application:
        return await application_resolvers.save_cancellation(info, id, input)

    @strawberry.mutation(description="reads a workbook into the application, replacing any earlier import: the houses of a collection or supplement, the result houses of a split/merge, the new values of an info change")
    async def import_houses(self, info: Info, application_id: strawberry.ID, file: Upload) -> Job:
        return await application_resolvers.import_houses(info, application_id, file)

    @strawberry.mutation(description="a workbook of the chosen houses in the house-sheet layout; with an application, its proposed values")
    async def export_houses(self, info: Info, house_ids: list[strawberry.ID] | None = None,
                            application_id: strawberry.ID | None = None) -> Job:
        return await application_resolvers.export_houses(info, house_ids, application_id)

    @strawberry.mutation
    async def add_attachment(self, info: Info, application_id: strawberry.ID, file: Upload) -> Document:
        return await application_resolvers.add_attachment(info, application_id, file)

    @strawberry.mutation
    async def remove_attachment(self, info: Info, application_id: strawberry.ID, document_id: strawberry.ID) -> Application:
        return await application_resolvers.remove_attachment(info, application_id, document_id)

    @strawberry.mutation
    async def submit_application(self, info: Info, id: strawberry.ID, refund_account: RefundAccountInput | None = None) -> Application:
        account = None if refund_account is None else {
            "accountName": refund_account.account_name, "bankName": refund_account.bank_name,
            "accountNumber": refund_account.account_number}
        return await application_resolvers.submit(info, id, refund_account=account)

    @strawberry.mutation
    async def withdraw_application(self, info: Info, id: strawberry.ID) -> Application:
        return await application_resolvers.withdraw(info, id)

    @strawberry.mutation
    async def accept_application(self, info: Info, id: strawberry.ID) -> Application:
        return await application_resolvers.accept(info, id)

    @strawberry.mutation
    async def approve_application(self, info: Info, id: strawberry.ID, comment: str | None = None) -> Application:
        return await application_resolvers.approve(info, id, comment=comment)

    @strawberry.mutation
    async def reject_application(self, info: Info, id: strawberry.ID, comment: str) -> Application:
        return await application_resolvers.reject(info, id, comment=comment)


@strawberry.type
class Subscription:
    @strawberry.subscription(description="the job's current state at once, then every change until it finishes")
    async def job_updated(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Job, None]:
        async for job in subscription_resolvers.job_updated(info, id):
            yield job

    @strawberry.subscription(description="every status change of the applications the subscriber may see, optionally narrowed")
    async def application_status_changed(self, info: Info, application_id: strawberry.ID | None = None,
                                         organization_id: strawberry.ID | None = None) -> AsyncGenerator[ApplicationStatusEvent, None]:
        async for event in subscription_resolvers.application_status_changed(info, application_id, organization_id):
            # shared_by: the subscribers that got the same event share one execution (schema/shared_events.py)
            yield ApplicationStatusEvent(application=event["application"], from_=event["from"], event=event["event"],
                                         shared_by=event)
