"""A cancelled house owes nothing (SPEC, rules added in round 2): houses cancelled before this
rule keep their former due in the snapshot of the application that cancelled them, and owe 0.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        UPDATE application_houses ah SET before = ah.before || jsonb_build_object('depositDue', h.deposit_due::text)
        FROM houses h, applications a
        WHERE h.id = ah.house_id AND a.id = ah.application_id AND h.status = 'CANCELLED' AND h.deposit_due <> 0
          AND a.status = 'APPROVED' AND a.type IN ('HOUSE_CANCELLATION', 'HOUSE_SPLIT_MERGE')
          AND ah.before IS NOT NULL AND ah.after IS NULL
    """)
    op.execute("UPDATE houses SET deposit_due = 0 WHERE status = 'CANCELLED' AND deposit_due <> 0")


def downgrade() -> None:
    op.execute("""
        UPDATE houses h SET deposit_due = (ah.before->>'depositDue')::numeric
        FROM application_houses ah
        WHERE ah.house_id = h.id AND h.status = 'CANCELLED' AND ah.before ? 'depositDue'
    """)
