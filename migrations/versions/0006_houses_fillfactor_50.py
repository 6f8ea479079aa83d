"""houses: fillfactor 50. At 70 a recalculation that changes every house's due found room on
the page for fewer than half of the new row versions; the others moved to other pages and were
written into every index (5 WAL records and 900 bytes of WAL a house). At 50 each page keeps
room for a new version of every row on it, so the whole update stays on its pages (HOT).

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE houses SET (fillfactor = 50)")


def downgrade() -> None:
    op.execute("ALTER TABLE houses SET (fillfactor = 70)")
