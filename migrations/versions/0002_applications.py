"""applications: 业务单, their history, houses and buildings, locks, jobs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 11:46:09.723319
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('daily_counters',
    sa.Column('name', sa.String(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', 'day', name=op.f('pk_daily_counters'))
    )
    op.create_table('applications',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('type', sa.Enum('ESTATE_COLLECTION', 'BUILDING_CHANGE', 'HOUSE_SPLIT_MERGE', 'HOUSE_SUPPLEMENT', 'HOUSE_INFO_CHANGE', 'OWNERSHIP_CHANGE', 'HOUSE_CANCELLATION', name='application_type', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('status', sa.Enum('DRAFT', 'SUBMITTED', 'ACCEPTED', 'APPROVED', 'REJECTED', 'WITHDRAWN', name='application_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('organization_id', sa.BigInteger(), nullable=False),
    sa.Column('estate_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('refund_account', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_by_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('review_comment', sa.String(length=1000), nullable=True),
    sa.Column('import_job_id', sa.BigInteger(), nullable=True),
    sa.Column('form_job_id', sa.BigInteger(), nullable=True),
    sa.Column('form_document_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_applications_created_by_id_users')),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_applications_estate_id_estates'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['form_document_id'], ['documents.id'], name=op.f('fk_applications_form_document_id_documents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['form_job_id'], ['jobs.id'], name=op.f('fk_applications_form_job_id_jobs'), ondelete='SET NULL', use_alter=True),
    sa.ForeignKeyConstraint(['import_job_id'], ['jobs.id'], name=op.f('fk_applications_import_job_id_jobs'), ondelete='SET NULL', use_alter=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_applications_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_applications')),
    sa.UniqueConstraint('number', name=op.f('uq_applications_number'))
    )
    op.create_index(op.f('ix_applications_estate_id'), 'applications', ['estate_id'], unique=False)
    op.create_index(op.f('ix_applications_organization_id'), 'applications', ['organization_id'], unique=False)
    op.create_table('application_buildings',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('building_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('target_estate_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_buildings_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_application_buildings_building_id_buildings')),
    sa.ForeignKeyConstraint(['target_estate_id'], ['estates.id'], name=op.f('fk_application_buildings_target_estate_id_estates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_buildings')),
    sa.UniqueConstraint('application_id', 'building_id', name=op.f('uq_application_buildings_application_id'))
    )
    op.create_index(op.f('ix_application_buildings_application_id'), 'application_buildings', ['application_id'], unique=False)
    op.create_index(op.f('ix_application_buildings_building_id'), 'application_buildings', ['building_id'], unique=False)
    op.create_table('application_events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('from_status', sa.Enum('DRAFT', 'SUBMITTED', 'ACCEPTED', 'APPROVED', 'REJECTED', 'WITHDRAWN', name='from_status', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('to_status', sa.Enum('DRAFT', 'SUBMITTED', 'ACCEPTED', 'APPROVED', 'REJECTED', 'WITHDRAWN', name='to_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('by_id', sa.BigInteger(), nullable=True),
    sa.Column('comment', sa.String(length=1000), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_events_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_application_events_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_events'))
    )
    op.create_index('ix_application_events_app_at', 'application_events', ['application_id', 'id'], unique=False)
    op.create_index(op.f('ix_application_events_application_id'), 'application_events', ['application_id'], unique=False)
    op.create_table('application_houses',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('house_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('target_building_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_application_houses_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['house_id'], ['houses.id'], name=op.f('fk_application_houses_house_id_houses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['target_building_id'], ['buildings.id'], name=op.f('fk_application_houses_target_building_id_buildings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_application_houses')),
    sa.UniqueConstraint('application_id', 'house_id', name=op.f('uq_application_houses_application_id'))
    )
    op.create_index(op.f('ix_application_houses_application_id'), 'application_houses', ['application_id'], unique=False)
    op.create_index(op.f('ix_application_houses_house_id'), 'application_houses', ['house_id'], unique=False)
    op.create_table('jobs',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Enum('HOUSE_IMPORT', 'HOUSE_EXPORT', 'AMOUNT_EXPORT', 'AMOUNT_IMPORT', 'DEPOSIT_RECALCULATION', 'PDF_RENDER', name='job_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('status', sa.Enum('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', name='job_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('progress', sa.Float(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True),
    sa.Column('message', sa.String(length=500), nullable=True),
    sa.Column('errors', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('params', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('input_document_id', sa.BigInteger(), nullable=True),
    sa.Column('result_document_id', sa.BigInteger(), nullable=True),
    sa.Column('application_id', sa.BigInteger(), nullable=True),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('created_by_id', sa.BigInteger(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_jobs_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_jobs_created_by_id_users')),
    sa.ForeignKeyConstraint(['input_document_id'], ['documents.id'], name=op.f('fk_jobs_input_document_id_documents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_jobs_organization_id_organizations')),
    sa.ForeignKeyConstraint(['result_document_id'], ['documents.id'], name=op.f('fk_jobs_result_document_id_documents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    op.create_index(op.f('ix_jobs_application_id'), 'jobs', ['application_id'], unique=False)
    op.create_index(op.f('ix_jobs_organization_id'), 'jobs', ['organization_id'], unique=False)
    for column in ("import_job_id", "form_job_id"):
        op.create_foreign_key(f"fk_applications_{column}_jobs", "applications", "jobs", [column], ["id"], ondelete="SET NULL")
    op.create_table('locks',
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('target_id', sa.BigInteger(), nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_locks_application_id_applications'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('kind', 'target_id', name=op.f('pk_locks'))
    )
    op.create_index(op.f('ix_locks_application_id'), 'locks', ['application_id'], unique=False)
    op.add_column('buildings', sa.Column('application_id', sa.BigInteger(), nullable=True))
    op.create_index(op.f('ix_buildings_application_id'), 'buildings', ['application_id'], unique=False)
    op.create_foreign_key(op.f('fk_buildings_application_id_applications'), 'buildings', 'applications', ['application_id'], ['id'], ondelete='SET NULL', use_alter=True)
    op.add_column('documents', sa.Column('application_id', sa.BigInteger(), nullable=True))
    op.create_index(op.f('ix_documents_application_id'), 'documents', ['application_id'], unique=False)
    op.create_foreign_key(op.f('fk_documents_application_id_applications'), 'documents', 'applications', ['application_id'], ['id'], ondelete='SET NULL', use_alter=True)
    op.add_column('estates', sa.Column('application_id', sa.BigInteger(), nullable=True))
    op.create_index(op.f('ix_estates_application_id'), 'estates', ['application_id'], unique=False)
    op.create_foreign_key(op.f('fk_estates_application_id_applications'), 'estates', 'applications', ['application_id'], ['id'], ondelete='SET NULL', use_alter=True)
    op.add_column('houses', sa.Column('application_id', sa.BigInteger(), nullable=True))
    op.create_index(op.f('ix_houses_application_id'), 'houses', ['application_id'], unique=False)
    op.create_foreign_key(op.f('fk_houses_application_id_applications'), 'houses', 'applications', ['application_id'], ['id'], ondelete='SET NULL', use_alter=True)
    # ACTIVE houses only: a split/merge's PENDING result may reuse a number it frees on approval.
    op.drop_index("uq_houses_building_unit_floor_room", table_name="houses")
    op.create_index("uq_houses_building_unit_floor_room", "houses",
                    ["building_id", sa.literal_column("coalesce(unit, '')"), "floor", "room_number"],
                    unique=True, postgresql_where=sa.text("status = 'ACTIVE'"))


def downgrade() -> None:
    op.drop_index("uq_houses_building_unit_floor_room", table_name="houses")
    op.create_index("uq_houses_building_unit_floor_room", "houses",
                    ["building_id", sa.literal_column("coalesce(unit, '')"), "floor", "room_number"],
                    unique=True, postgresql_where=sa.text("status <> 'CANCELLED'"))
    op.drop_constraint(op.f('fk_houses_application_id_applications'), 'houses', type_='foreignkey')
    op.drop_index(op.f('ix_houses_application_id'), table_name='houses')
    op.drop_column('houses', 'application_id')
    op.drop_constraint(op.f('fk_estates_application_id_applications'), 'estates', type_='foreignkey')
    op.drop_index(op.f('ix_estates_application_id'), table_name='estates')
    op.drop_column('estates', 'application_id')
    op.drop_constraint(op.f('fk_documents_application_id_applications'), 'documents', type_='foreignkey')
    op.drop_index(op.f('ix_documents_application_id'), table_name='documents')
    op.drop_column('documents', 'application_id')
    op.drop_constraint(op.f('fk_buildings_application_id_applications'), 'buildings', type_='foreignkey')
    op.drop_index(op.f('ix_buildings_application_id'), table_name='buildings')
    op.drop_column('buildings', 'application_id')
    op.drop_index(op.f('ix_locks_application_id'), table_name='locks')
    op.drop_table('locks')
    for column in ("import_job_id", "form_job_id"):
        op.drop_constraint(f"fk_applications_{column}_jobs", "applications", type_="foreignkey")
    op.drop_index(op.f('ix_jobs_organization_id'), table_name='jobs')
    op.drop_index(op.f('ix_jobs_application_id'), table_name='jobs')
    op.drop_table('jobs')
    op.drop_index(op.f('ix_application_houses_house_id'), table_name='application_houses')
    op.drop_index(op.f('ix_application_houses_application_id'), table_name='application_houses')
    op.drop_table('application_houses')
    op.drop_index(op.f('ix_application_events_application_id'), table_name='application_events')
    op.drop_index('ix_application_events_app_at', table_name='application_events')
    op.drop_table('application_events')
    op.drop_index(op.f('ix_application_buildings_building_id'), table_name='application_buildings')
    op.drop_index(op.f('ix_application_buildings_application_id'), table_name='application_buildings')
    op.drop_table('application_buildings')
    op.drop_index(op.f('ix_applications_organization_id'), table_name='applications')
    op.drop_index(op.f('ix_applications_estate_id'), table_name='applications')
    op.drop_table('applications')
    op.drop_table('daily_counters')
