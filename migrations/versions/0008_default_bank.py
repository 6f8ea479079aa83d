"""banks.is_default: exactly one bank is the default (SPEC round 2, "The default bank"); a
collection that names no bank pays into it. An existing installation makes its first bank by
code the default, as that is the bank collections without one used to get.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("banks", sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False))
    # At most one default, enforced by the database; "at least one" is kept by the service.
    op.create_index("uq_banks_one_default", "banks", ["is_default"], unique=True,
                    postgresql_where=sa.text("is_default"))
    op.execute("UPDATE banks SET is_default = true WHERE id = (SELECT id FROM banks ORDER BY code LIMIT 1)")


def downgrade() -> None:
    op.drop_index("uq_banks_one_default", table_name="banks")
    op.drop_column("banks", "is_default")
