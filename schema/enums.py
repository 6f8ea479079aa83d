"""The contract's enums, exposed from models.enums (one definition for tables, services and API)."""

import strawberry

from models import enums

Role = strawberry.enum(enums.Role)
UserStatus = strawberry.enum(enums.UserStatus)
RecordStatus = strawberry.enum(enums.RecordStatus)
DepositTiming = strawberry.enum(enums.DepositTiming)
BuildingStructure = strawberry.enum(enums.BuildingStructure)
HouseUsage = strawberry.enum(enums.HouseUsage)
SalesStatus = strawberry.enum(enums.SalesStatus)
AccountStatus = strawberry.enum(enums.AccountStatus)
IdType = strawberry.enum(enums.IdType)
LedgerKind = strawberry.enum(enums.LedgerKind)
DocumentKind = strawberry.enum(enums.DocumentKind)
RegistrationFileKind = strawberry.enum(enums.RegistrationFileKind)
ApplicationType = strawberry.enum(enums.ApplicationType)
ApplicationStatus = strawberry.enum(enums.ApplicationStatus)
JobKind = strawberry.enum(enums.JobKind)
JobStatus = strawberry.enum(enums.JobStatus)
TemplateKind = strawberry.enum(enums.TemplateKind)
DepositBasis = strawberry.enum(enums.DepositBasis)
PaymentType = strawberry.enum(enums.PaymentType)
PayerKind = strawberry.enum(enums.PayerKind)
NoticeStatus = strawberry.enum(enums.NoticeStatus)
PaymentChannel = strawberry.enum(enums.PaymentChannel)
RefundStatus = strawberry.enum(enums.RefundStatus)
