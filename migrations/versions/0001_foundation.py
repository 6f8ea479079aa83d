"""foundation: accounts, organisations, the estate tree, documents, the audit log

Revision ID: 0001
Revises: 
Create Date: 2026-11-27 11:27:55.877020
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("ledger_entries", "audit_events")
# Human-readable numbers: 物业区域编号, 房屋编号, 分户账号.
SEQUENCES = ("estate_code_seq", "house_code_seq", "account_number_seq")


def upgrade() -> None:
    op.create_table('banks',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('account_name', sa.String(length=100), nullable=False),
    sa.Column('account_number', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_banks')),
    sa.UniqueConstraint('code', name=op.f('uq_banks_code'))
    )
    op.create_table('organizations',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('legal_representative', sa.String(length=50), nullable=False),
    sa.Column('contact_name', sa.String(length=50), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('agreement_version', sa.String(length=20), nullable=False),
    sa.Column('agreement_accepted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('materials_verified', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('materials_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('materials_verified_by_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_organizations_credit_code'))
    )
    op.create_table('estates',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('district', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('remark', sa.String(length=1000), nullable=True),
    sa.Column('deposit_timing', sa.Enum('BEFORE_CONTRACT_FILING', 'BEFORE_INITIAL_REGISTRATION', 'BEFORE_HANDOVER', name='deposit_timing', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('developer_id', sa.BigInteger(), nullable=False),
    sa.Column('bank_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'ACTIVE', 'CANCELLED', name='record_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_estates_bank_id_banks')),
    sa.ForeignKeyConstraint(['developer_id'], ['organizations.id'], name=op.f('fk_estates_developer_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_estates')),
    sa.UniqueConstraint('code', name=op.f('uq_estates_code'))
    )
    op.create_index(op.f('ix_estates_developer_id'), 'estates', ['developer_id'], unique=False)
    op.create_table('users',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('username', sa.String(length=50), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('status', sa.Enum('ACTIVE', 'DEACTIVATED', name='user_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('roles', sa.ARRAY(sa.String(length=20)), nullable=False),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('bank_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['bank_id'], ['banks.id'], name=op.f('fk_users_bank_id_banks')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_users_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users'))
    )
    op.create_index(op.f('ix_users_organization_id'), 'users', ['organization_id'], unique=False)
    op.create_index('uq_users_username_lower', 'users', [sa.literal_column('lower(username)')], unique=True)
    op.create_table('audit_events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor_id', sa.BigInteger(), nullable=True),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('entity_id', sa.BigInteger(), nullable=True),
    sa.Column('before', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('after', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('request_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_audit_events_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    op.create_index(op.f('ix_audit_events_actor_id'), 'audit_events', ['actor_id'], unique=False)
    op.create_index(op.f('ix_audit_events_organization_id'), 'audit_events', ['organization_id'], unique=False)
    op.create_table('buildings',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('estate_id', sa.BigInteger(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('built_year', sa.SmallInteger(), nullable=True),
    sa.Column('structure', sa.Enum('REINFORCED_CONCRETE', 'MIXED', 'FRAME', 'FRAME_SHEAR_WALL', 'STEEL', 'BRICK_WOOD', 'OTHER', name='building_structure', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('floors_above_ground', sa.SmallInteger(), nullable=True),
    sa.Column('floors_below_ground', sa.SmallInteger(), nullable=True),
    sa.Column('status', sa.Enum('PENDING', 'ACTIVE', 'CANCELLED', name='record_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['estate_id'], ['estates.id'], name=op.f('fk_buildings_estate_id_estates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buildings'))
    )
    op.create_index(op.f('ix_buildings_estate_id'), 'buildings', ['estate_id'], unique=False)
    op.create_table('documents',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Enum('ATTACHMENT', 'APPLICATION_FORM', 'PAYMENT_NOTICE', 'REFUND_FORM', 'PAYMENT_RECEIPT', 'HOUSE_EXPORT', 'AMOUNT_EXPORT', 'TEMPLATE', name='document_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('organization_id', sa.BigInteger(), nullable=True),
    sa.Column('registration_kind', sa.Enum('BUSINESS_LICENCE', 'LEGAL_REPRESENTATIVE_ID', 'AUTHORIZATION_LETTER', 'OTHER', name='registration_file_kind', native_enum=False, create_constraint=True, length=40), nullable=True),
    sa.Column('created_by_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_documents_created_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_documents_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_documents'))
    )
    op.create_index(op.f('ix_documents_organization_id'), 'documents', ['organization_id'], unique=False)
    op.create_table('user_sessions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    op.create_index(op.f('ix_user_sessions_user_id'), 'user_sessions', ['user_id'], unique=False)
    op.create_table('houses',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.String(length=24), nullable=False),
    sa.Column('building_id', sa.BigInteger(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=True),
    sa.Column('floor', sa.SmallInteger(), nullable=False),
    sa.Column('room_number', sa.String(length=20), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('usage', sa.Enum('RESIDENTIAL', 'COMMERCIAL', 'OFFICE', 'GARAGE', 'PARKING_SPACE', 'STORAGE', 'OTHER', name='house_usage', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('has_elevator', sa.Boolean(), nullable=False),
    sa.Column('building_area', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('inner_area', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('real_estate_unit_number', sa.String(length=28), nullable=True),
    sa.Column('sales_status', sa.Enum('UNSOLD', 'SOLD', name='sales_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('deposit_timing', sa.Enum('BEFORE_CONTRACT_FILING', 'BEFORE_INITIAL_REGISTRATION', 'BEFORE_HANDOVER', name='deposit_timing', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('status', sa.Enum('PENDING', 'ACTIVE', 'CANCELLED', name='record_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('account_status', sa.Enum('UNOPENED', 'OPENED', 'CLOSED', name='account_status', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('account_number', sa.String(length=30), nullable=True),
    sa.Column('deposit_due', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('deposit_paid', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('balance', sa.Numeric(precision=14, scale=2), server_default='0', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['buildings.id'], name=op.f('fk_houses_building_id_buildings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_houses')),
    sa.UniqueConstraint('account_number', name=op.f('uq_houses_account_number')),
    sa.UniqueConstraint('code', name=op.f('uq_houses_code'))
    )
    op.create_index(op.f('ix_houses_building_id'), 'houses', ['building_id'], unique=False)
    op.create_index('uq_houses_building_unit_floor_room', 'houses', ['building_id', sa.literal_column("coalesce(unit, '')"), 'floor', 'room_number'], unique=True, postgresql_where=sa.text("status <> 'CANCELLED'"))
    op.create_table('ledger_entries',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('house_id', sa.BigInteger(), nullable=False),
    sa.Column('kind', sa.Enum('DEPOSIT', 'REFUND', 'TRANSFER_IN', 'TRANSFER_OUT', 'ADJUSTMENT', name='ledger_kind', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('balance_after', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('memo', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['house_id'], ['houses.id'], name=op.f('fk_ledger_entries_house_id_houses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries'))
    )
    op.create_index(op.f('ix_ledger_entries_house_id'), 'ledger_entries', ['house_id'], unique=False)
    op.create_table('owners',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('house_id', sa.BigInteger(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('id_type', sa.Enum('RESIDENT_ID', 'PASSPORT', 'HK_MACAO_PERMIT', 'TAIWAN_PERMIT', 'FOREIGN_PERMANENT_RESIDENT_ID', 'CREDIT_CODE', 'OTHER', name='id_type', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('id_number', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('share', sa.Numeric(precision=9, scale=8), nullable=True),
    sa.ForeignKeyConstraint(['house_id'], ['houses.id'], name=op.f('fk_owners_house_id_houses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owners'))
    )
    op.create_index(op.f('ix_owners_house_id'), 'owners', ['house_id'], unique=False)

    for seq in SEQUENCES:
        op.execute(f"CREATE SEQUENCE {seq}")

    # The ledger and the audit log are append-only: refuse UPDATE and DELETE in the database.
    op.execute("""
        CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
        END $$
    """)
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )


def downgrade() -> None:
    for seq in SEQUENCES:
        op.execute(f"DROP SEQUENCE {seq}")
    for table in APPEND_ONLY:
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
    op.execute("DROP FUNCTION refuse_change()")
    op.drop_index(op.f('ix_owners_house_id'), table_name='owners')
    op.drop_table('owners')
    op.drop_index(op.f('ix_ledger_entries_house_id'), table_name='ledger_entries')
    op.drop_table('ledger_entries')
    op.drop_index('uq_houses_building_unit_floor_room', table_name='houses', postgresql_where=sa.text("status <> 'CANCELLED'"))
    op.drop_index(op.f('ix_houses_building_id'), table_name='houses')
    op.drop_table('houses')
    op.drop_index(op.f('ix_user_sessions_user_id'), table_name='user_sessions')
    op.drop_table('user_sessions')
    op.drop_index(op.f('ix_documents_organization_id'), table_name='documents')
    op.drop_table('documents')
    op.drop_index(op.f('ix_buildings_estate_id'), table_name='buildings')
    op.drop_table('buildings')
    op.drop_index(op.f('ix_audit_events_organization_id'), table_name='audit_events')
    op.drop_index(op.f('ix_audit_events_actor_id'), table_name='audit_events')
    op.drop_table('audit_events')
    op.drop_index('uq_users_username_lower', table_name='users')
    op.drop_index(op.f('ix_users_organization_id'), table_name='users')
    op.drop_table('users')
    op.drop_index(op.f('ix_estates_developer_id'), table_name='estates')
    op.drop_table('estates')
    op.drop_table('organizations')
    op.drop_table('banks')
