"""jobs.heartbeat_at: the last sign of life of a job's worker (or, while QUEUED, when it was
queued). A sweeper in every worker finds the RUNNING jobs whose heartbeat stopped and the
QUEUED ones Redis lost, through a partial index over just those live rows.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), server_default=sa.text("now()"),
                                      nullable=True))
    op.create_index("ix_jobs_live_heartbeat", "jobs", ["heartbeat_at"],
                    postgresql_where=sa.text("status IN ('QUEUED', 'RUNNING')"))


def downgrade() -> None:
    op.drop_index("ix_jobs_live_heartbeat", table_name="jobs")
    op.drop_column("jobs", "heartbeat_at")
