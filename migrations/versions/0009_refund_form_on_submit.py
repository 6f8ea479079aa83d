"""applications: the 退款申请表 rendered on submit (refund_form_job_id, refund_form_document_id)
and the refund of each house it printed (refund_form_amounts), which approval compares with
the amounts it computes.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("applications", sa.Column("refund_form_job_id", sa.BigInteger(), nullable=True))
    op.add_column("applications", sa.Column("refund_form_document_id", sa.BigInteger(), nullable=True))
    op.add_column("applications", sa.Column("refund_form_amounts", postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_foreign_key(op.f("fk_applications_refund_form_job_id_jobs"), "applications", "jobs",
                          ["refund_form_job_id"], ["id"], ondelete="SET NULL")
    op.create_foreign_key(op.f("fk_applications_refund_form_document_id_documents"), "applications", "documents",
                          ["refund_form_document_id"], ["id"], ondelete="SET NULL")


def downgrade() -> None:
    op.drop_constraint(op.f("fk_applications_refund_form_document_id_documents"), "applications", type_="foreignkey")
    op.drop_constraint(op.f("fk_applications_refund_form_job_id_jobs"), "applications", type_="foreignkey")
    op.drop_column("applications", "refund_form_amounts")
    op.drop_column("applications", "refund_form_document_id")
    op.drop_column("applications", "refund_form_job_id")
