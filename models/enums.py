"""Enumerations shared by the tables, the services and the GraphQL schema (values = contract names)."""

import enum


class Role(str, enum.Enum):
    ORG_ADMIN = "ORG_ADMIN"
    ESTATE_OPERATOR = "ESTATE_OPERATOR"
    PAYMENT_OPERATOR = "PAYMENT_OPERATOR"
    CLERK = "CLERK"
    BANK = "BANK"
    ADMIN = "ADMIN"


ORG_ROLES = frozenset({Role.ORG_ADMIN, Role.ESTATE_OPERATOR, Role.PAYMENT_OPERATOR})


class UserStatus(str, enum.Enum):
    ACTIVE = "ACTIVE"
    DEACTIVATED = "DEACTIVATED"


class RecordStatus(str, enum.Enum):
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    CANCELLED = "CANCELLED"


class DepositTiming(str, enum.Enum):
    BEFORE_CONTRACT_FILING = "BEFORE_CONTRACT_FILING"
    BEFORE_INITIAL_REGISTRATION = "BEFORE_INITIAL_REGISTRATION"
    BEFORE_HANDOVER = "BEFORE_HANDOVER"


class BuildingStructure(str, enum.Enum):
    REINFORCED_CONCRETE = "REINFORCED_CONCRETE"
    MIXED = "MIXED"
    FRAME = "FRAME"
    FRAME_SHEAR_WALL = "FRAME_SHEAR_WALL"
    STEEL = "STEEL"
    BRICK_WOOD = "BRICK_WOOD"
    OTHER = "OTHER"


class HouseUsage(str, enum.Enum):
    RESIDENTIAL = "RESIDENTIAL"
    COMMERCIAL = "COMMERCIAL"
    OFFICE = "OFFICE"
    GARAGE = "GARAGE"
    PARKING_SPACE = "PARKING_SPACE"
    STORAGE = "STORAGE"
    OTHER = "OTHER"


class SalesStatus(str, enum.Enum):
    UNSOLD = "UNSOLD"
    SOLD = "SOLD"


class AccountStatus(str, enum.Enum):
    UNOPENED = "UNOPENED"
    OPENED = "OPENED"
    CLOSED = "CLOSED"


class IdType(str, enum.Enum):
    RESIDENT_ID = "RESIDENT_ID"
    PASSPORT = "PASSPORT"
    HK_MACAO_PERMIT = "HK_MACAO_PERMIT"
    TAIWAN_PERMIT = "TAIWAN_PERMIT"
    FOREIGN_PERMANENT_RESIDENT_ID = "FOREIGN_PERMANENT_RESIDENT_ID"
    CREDIT_CODE = "CREDIT_CODE"
    OTHER = "OTHER"


class LedgerKind(str, enum.Enum):
    DEPOSIT = "DEPOSIT"
    REFUND = "REFUND"
    TRANSFER_IN = "TRANSFER_IN"
    TRANSFER_OUT = "TRANSFER_OUT"
    ADJUSTMENT = "ADJUSTMENT"


class DocumentKind(str, enum.Enum):
    ATTACHMENT = "ATTACHMENT"
    APPLICATION_FORM = "APPLICATION_FORM"
    PAYMENT_NOTICE = "PAYMENT_NOTICE"
    REFUND_FORM = "REFUND_FORM"
    PAYMENT_RECEIPT = "PAYMENT_RECEIPT"
    HOUSE_EXPORT = "HOUSE_EXPORT"
    AMOUNT_EXPORT = "AMOUNT_EXPORT"
    TEMPLATE = "TEMPLATE"


class RegistrationFileKind(str, enum.Enum):
    BUSINESS_LICENCE = "BUSINESS_LICENCE"
    LEGAL_REPRESENTATIVE_ID = "LEGAL_REPRESENTATIVE_ID"
    AUTHORIZATION_LETTER = "AUTHORIZATION_LETTER"
    OTHER = "OTHER"


DISTRICTS = ("蓬江区", "江海区", "新会区", "台山市", "开平市", "鹤山市", "恩平市")


class ApplicationType(str, enum.Enum):
    ESTATE_COLLECTION = "ESTATE_COLLECTION"
    BUILDING_CHANGE = "BUILDING_CHANGE"
    HOUSE_SPLIT_MERGE = "HOUSE_SPLIT_MERGE"
    HOUSE_SUPPLEMENT = "HOUSE_SUPPLEMENT"
    HOUSE_INFO_CHANGE = "HOUSE_INFO_CHANGE"
    OWNERSHIP_CHANGE = "OWNERSHIP_CHANGE"
    HOUSE_CANCELLATION = "HOUSE_CANCELLATION"


APPLICATION_LABELS = {
    ApplicationType.ESTATE_COLLECTION: "物业区域采集",
    ApplicationType.BUILDING_CHANGE: "楼幢变更",
    ApplicationType.HOUSE_SPLIT_MERGE: "房屋拆分合并",
    ApplicationType.HOUSE_SUPPLEMENT: "房屋补充",
    ApplicationType.HOUSE_INFO_CHANGE: "房屋信息变更",
    ApplicationType.OWNERSHIP_CHANGE: "房屋权属批量变更",
    ApplicationType.HOUSE_CANCELLATION: "房屋注销",
}


class ApplicationStatus(str, enum.Enum):
    DRAFT = "DRAFT"
    SUBMITTED = "SUBMITTED"
    ACCEPTED = "ACCEPTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    WITHDRAWN = "WITHDRAWN"


class JobKind(str, enum.Enum):
    HOUSE_IMPORT = "HOUSE_IMPORT"
    HOUSE_EXPORT = "HOUSE_EXPORT"
    AMOUNT_EXPORT = "AMOUNT_EXPORT"
    AMOUNT_IMPORT = "AMOUNT_IMPORT"
    DEPOSIT_RECALCULATION = "DEPOSIT_RECALCULATION"
    PDF_RENDER = "PDF_RENDER"


class JobStatus(str, enum.Enum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class TemplateKind(str, enum.Enum):
    HOUSES = "HOUSES"
    RENEWAL_AMOUNTS = "RENEWAL_AMOUNTS"


class DepositBasis(str, enum.Enum):
    PER_SQUARE_METRE = "PER_SQUARE_METRE"
    FRACTION_OF_PRICE = "FRACTION_OF_PRICE"


class PaymentType(str, enum.Enum):
    FIRST_DEPOSIT = "FIRST_DEPOSIT"
    MAKE_UP = "MAKE_UP"
    RENEWAL = "RENEWAL"
    OTHER = "OTHER"


PAYMENT_TYPE_LABELS = {PaymentType.FIRST_DEPOSIT: "首期交存", PaymentType.MAKE_UP: "补交", PaymentType.RENEWAL: "续筹",
                       PaymentType.OTHER: "其他"}


class PayerKind(str, enum.Enum):
    DEVELOPER = "DEVELOPER"
    OWNER = "OWNER"


class NoticeStatus(str, enum.Enum):
    ISSUED = "ISSUED"
    PAID = "PAID"
    CANCELLED = "CANCELLED"


class PaymentChannel(str, enum.Enum):
    BANK_COUNTER = "BANK_COUNTER"
    CITY_WINDOW = "CITY_WINDOW"
    POS = "POS"


class RefundStatus(str, enum.Enum):
    PENDING = "PENDING"
    COMPLETED = "COMPLETED"
