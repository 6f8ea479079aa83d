from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, DateTime, Enum, MetaData, Numeric, func
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Money in yuan and areas in m², always exact: NUMERIC with two decimals.
Money = Numeric(14, 2)
Area = Numeric(12, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {
        int: BigInteger,
        Decimal: Money,
        datetime: DateTime(timezone=True),
    }


def str_enum(enum_cls: type[enum.Enum], name: str) -> Enum:
    """An enum stored as its name in a VARCHAR with a CHECK constraint (easy to migrate)."""
    return Enum(
        enum_cls, name=name, native_enum=False, create_constraint=True, length=40,
        values_callable=lambda e: [m.value for m in e],
    )


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)
