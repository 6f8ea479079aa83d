"""Fewer index entries per imported house: 分户账号's unique index leaves out the houses without
an account (every PENDING house an import writes), and application_houses loses its index on
application_id, which the unique (application_id, house_id) index already serves.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint("uq_houses_account_number", "houses", type_="unique")
    op.create_index("uq_houses_account_number", "houses", ["account_number"], unique=True,
                    postgresql_where="account_number IS NOT NULL")
    op.drop_index("ix_application_houses_application_id", table_name="application_houses")


def downgrade() -> None:
    op.create_index("ix_application_houses_application_id", "application_houses", ["application_id"])
    op.drop_index("uq_houses_account_number", table_name="houses")
    op.create_unique_constraint("uq_houses_account_number", "houses", ["account_number"])
