"""houses: fillfactor 70, so updates of dues and balances stay on their page (HOT) and leave the
indexes alone: the recalculation of 100 000 dues took 2.6 s of index upkeep at fillfactor 100,
about 1.5 s in all at 70 (docs/benchmarks.md).

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE houses SET (fillfactor = 70)")


def downgrade() -> None:
    op.execute("ALTER TABLE houses RESET (fillfactor)")
