"""houses: 户型 (layout), optional free text up to 20 characters (三房两厅). Snapshots written
before it simply lack the key; readers take a missing key as no 户型.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable with no default: PostgreSQL adds it without rewriting the table.
    op.add_column("houses", sa.Column("layout", sa.String(length=20), nullable=True))


def downgrade() -> None:
    op.drop_column("houses", "layout")
