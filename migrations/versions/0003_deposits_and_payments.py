"""deposits and payments: 交存标准, 交存通知单 and lines, bank payments, refunds

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:04:46.366818
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deposit_standards',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('usage', sa.Enum('RESIDENTIAL', 'COMMERCIAL', 'OFFICE', 'GARAGE', 'PARKING_SPACE', 'STORAGE', 'OTHER', name='house_usage', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('has_elevator', sa.Boolean(), nullable=True),
    sa.Column('min_floors', sa.Integer(), nullable=True),
    sa.Column('max_floors', sa.Integer(), nullable=True),
    sa.Column('basis', sa.Enum('PER_SQUARE_METRE', 'FRACTION_OF_PRICE', name='deposit_basis', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('rate', sa.Numeric(precision=14, scale=6), nullable=False),
    sa.Column('round_to_yuan', sa.Boolean(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_deposit_standards_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deposit_standards'))
    )
    op.create_table('payment_notices',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('number', sa.String(length=20), nullable=False),
    sa.Column('type', sa.Enum('FIRST_DEPOSIT', 'MAKE_UP', 'RENEWAL', 'OTHER', name='payment_type', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('payer_kind', sa.Enum('DEVELOPER', 'OWNER', name='payer_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('payer_name', sa.String(length=300), nullable=False),
    sa.Column('organization_id', sa.BigInteger(), nullable=False),
    sa.Column('estate_id', sa.BigInteger(), nullable=False),
    sa.Column('building_id', sa.BigInteger(), nullable=True),
    sa.Column('bank_id', sa.BigInteger(), nullable=False),
    sa.Column('bank_name', sa.String(length=100), nullable=False),
    sa.Column('bank_account', sa.String(length=40), nullable=False),
    sa.Column('total', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('status', sa.Enum('ISSUED', 'PAID', 'CANCELLED', name='notice_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('issued_by_id', sa.BigInteger(), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('application_id', sa.BigInteger(), nullable=True),
    sa.Column('job_id', sa.BigInteger(), nullable=True),
    sa.Column('document_id', sa.BigInteger(), nullable=True),
    sa.Column('document_job_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_payment_notices_application_id_applications'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_payment_notices_bank_id_banks')),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_payment_notices_building_id_buildings')),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_payment_notices_document_id_documents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['document_job_id'], ['jobs.id'], name=op.f('fk_payment_notices_document_job_id_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_payment_notices_estate_id_estates')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_payment_notices_issued_by_id_users')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_payment_notices_job_id_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_payment_notices_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_notices')),
    sa.UniqueConstraint('number', name=op.f('uq_payment_notices_number'))
    )
    op.create_index(op.f('ix_payment_notices_application_id'), 'payment_notices', ['application_id'], unique=False)
    op.create_index(op.f('ix_payment_notices_bank_id'), 'payment_notices', ['bank_id'], unique=False)
    op.create_index(op.f('ix_payment_notices_building_id'), 'payment_notices', ['building_id'], unique=False)
    op.create_index(op.f('ix_payment_notices_estate_id'), 'payment_notices', ['estate_id'], unique=False)
    op.create_index(op.f('ix_payment_notices_job_id'), 'payment_notices', ['job_id'], unique=False)
    op.create_index(op.f('ix_payment_notices_organization_id'), 'payment_notices', ['organization_id'], unique=False)
    op.create_table('refunds',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('application_id', sa.BigInteger(), nullable=False),
    sa.Column('organization_id', sa.BigInteger(), nullable=False),
    sa.Column('house_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('account_name', sa.String(length=100), nullable=False),
    sa.Column('bank_name', sa.String(length=100), nullable=False),
    sa.Column('account_number', sa.String(length=40), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'COMPLETED', name='refund_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by_id', sa.BigInteger(), nullable=True),
    sa.Column('form_document_id', sa.BigInteger(), nullable=True),
    sa.Column('form_job_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_refunds_application_id_applications')),
    sa.ForeignKeyConstraint(['completed_by_id'], ['users.id'], name=op.f('fk_refunds_completed_by_id_users')),
    sa.ForeignKeyConstraint(['form_document_id'], ['documents.id'], name=op.f('fk_refunds_form_document_id_documents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['form_job_id'], ['jobs.id'], name=op.f('fk_refunds_form_job_id_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['house_id'], ['houses.id'], name=op.f('fk_refunds_house_id_houses')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_refunds_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds'))
    )
    op.create_index(op.f('ix_refunds_application_id'), 'refunds', ['application_id'], unique=False)
    op.create_index(op.f('ix_refunds_house_id'), 'refunds', ['house_id'], unique=False)
    op.create_index(op.f('ix_refunds_organization_id'), 'refunds', ['organization_id'], unique=False)
    op.create_index('uq_refunds_pending_house', 'refunds', ['house_id'], unique=True, postgresql_where=sa.text("status = 'PENDING'"))
    op.create_table('notice_lines',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('notice_id', sa.BigInteger(), nullable=False),
    sa.Column('house_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('building_area', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('standard', sa.String(length=100), nullable=True),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('open', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['house_id'], ['houses.id'], name=op.f('fk_notice_lines_house_id_houses')),
    sa.ForeignKeyConstraint(['notice_id'], ['payment_notices.id'], name=op.f('fk_notice_lines_notice_id_payment_notices'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_lines'))
    )
    op.create_index(op.f('ix_notice_lines_house_id'), 'notice_lines', ['house_id'], unique=False)
    op.create_index(op.f('ix_notice_lines_notice_id'), 'notice_lines', ['notice_id'], unique=False)
    op.create_index('uq_notice_lines_open_house', 'notice_lines', ['house_id'], unique=True, postgresql_where=sa.text('open'))
    op.create_table('payments',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('notice_id', sa.BigInteger(), nullable=False),
    sa.Column('bank_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('bank_transaction_id', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.Enum('BANK_COUNTER', 'CITY_WINDOW', 'POS', name='payment_channel', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('confirmed_by_id', sa.BigInteger(), nullable=True),
    sa.Column('receipt_document_id', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_payments_bank_id_banks')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_payments_confirmed_by_id_users')),
    sa.ForeignKeyConstraint(['notice_id'], ['payment_notices.id'], name=op.f('fk_payments_notice_id_payment_notices')),
    sa.ForeignKeyConstraint(['receipt_document_id'], ['documents.id'], name=op.f('fk_payments_receipt_document_id_documents'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
    sa.UniqueConstraint('bank_transaction_id', name=op.f('uq_payments_bank_transaction_id')),
    sa.UniqueConstraint('notice_id', name=op.f('uq_payments_notice_id'))
    )
    op.create_index(op.f('ix_payments_bank_id'), 'payments', ['bank_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_payments_bank_id'), table_name='payments')
    op.drop_table('payments')
    op.drop_index('uq_notice_lines_open_house', table_name='notice_lines', postgresql_where=sa.text('open'))
    op.drop_index(op.f('ix_notice_lines_notice_id'), table_name='notice_lines')
    op.drop_index(op.f('ix_notice_lines_house_id'), table_name='notice_lines')
    op.drop_table('notice_lines')
    op.drop_index('uq_refunds_pending_house', table_name='refunds', postgresql_where=sa.text("status = 'PENDING'"))
    op.drop_index(op.f('ix_refunds_organization_id'), table_name='refunds')
    op.drop_index(op.f('ix_refunds_house_id'), table_name='refunds')
    op.drop_index(op.f('ix_refunds_application_id'), table_name='refunds')
    op.drop_table('refunds')
    op.drop_index(op.f('ix_payment_notices_organization_id'), table_name='payment_notices')
    op.drop_index(op.f('ix_payment_notices_job_id'), table_name='payment_notices')
    op.drop_index(op.f('ix_payment_notices_estate_id'), table_name='payment_notices')
    op.drop_index(op.f('ix_payment_notices_building_id'), table_name='payment_notices')
    op.drop_index(op.f('ix_payment_notices_bank_id'), table_name='payment_notices')
    op.drop_index(op.f('ix_payment_notices_application_id'), table_name='payment_notices')
    op.drop_table('payment_notices')
    op.drop_table('deposit_standards')
