"""owners: 证件号码 and 手机号码 sealed (AES-GCM, services/pii.py) with keyed hashes beside them;
the plain values already stored, in the owners table and in the owners of application
snapshots, are sealed here. Down, they are opened again.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 5000


def _owners(snapshot, change):
    if not snapshot or not snapshot.get("owners"):
        return snapshot, False
    owners = [change(dict(o)) for o in snapshot["owners"]]
    return {**snapshot, "owners": owners}, owners != snapshot["owners"]


def _rewrite_snapshots(conn, change) -> None:
    rows = conn.execute(sa.text("SELECT id, before, after FROM application_houses "
                                "WHERE jsonb_array_length(COALESCE(before->'owners', '[]')) > 0 "
                                "OR jsonb_array_length(COALESCE(after->'owners', '[]')) > 0")).all()
    update = sa.text("UPDATE application_houses SET before = CAST(:b AS jsonb), after = CAST(:a AS jsonb) WHERE id = :id")
    import json

    for row in rows:
        before, b_changed = _owners(row.before, change)
        after, a_changed = _owners(row.after, change)
        if b_changed or a_changed:
            conn.execute(update, {"id": row.id, "b": json.dumps(before, ensure_ascii=False) if before is not None else None,
                                  "a": json.dumps(after, ensure_ascii=False) if after is not None else None})


def upgrade() -> None:
    from services import pii

    op.alter_column("owners", "id_number", type_=sa.String(200))
    op.alter_column("owners", "phone", type_=sa.String(200))
    op.add_column("owners", sa.Column("id_number_hash", sa.String(64), nullable=True))
    op.add_column("owners", sa.Column("phone_hash", sa.String(64), nullable=True))
    conn = op.get_bind()
    select = sa.text("SELECT id, id_number, phone FROM owners WHERE id > :after AND id_number_hash IS NULL "
                     "ORDER BY id LIMIT :n")
    update = sa.text("UPDATE owners SET id_number = :id_number, phone = :phone, id_number_hash = :id_number_hash, "
                     "phone_hash = :phone_hash WHERE id = :id")
    after = 0
    while rows := conn.execute(select, {"after": after, "n": BATCH}).all():
        conn.execute(update, [{"id": r.id, **pii.sealed_columns(r.id_number, r.phone)} for r in rows])
        after = rows[-1].id

    def seal(owner):
        if not str(owner.get("idNumber", "")).startswith(pii.PREFIX):
            owner["idNumber"] = pii.seal(owner["idNumber"], pii.ID_NUMBER)
            owner["phone"] = pii.seal(owner["phone"], pii.PHONE)
        return owner

    _rewrite_snapshots(conn, seal)
    op.alter_column("owners", "id_number_hash", nullable=False)
    op.alter_column("owners", "phone_hash", nullable=False)
    op.create_index("ix_owners_id_number_hash", "owners", ["id_number_hash"])
    op.create_index("ix_owners_phone_hash", "owners", ["phone_hash"])


def downgrade() -> None:
    from services import pii

    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, id_number, phone FROM owners")).all()
    if rows:
        conn.execute(sa.text("UPDATE owners SET id_number = :i, phone = :p WHERE id = :id"),
                     [{"id": r.id, "i": pii.reveal(r.id_number, pii.ID_NUMBER), "p": pii.reveal(r.phone, pii.PHONE)}
                      for r in rows])

    def unseal(owner):
        if str(owner.get("idNumber", "")).startswith(pii.PREFIX):
            owner["idNumber"] = pii.reveal(owner["idNumber"], pii.ID_NUMBER)
            owner["phone"] = pii.reveal(owner["phone"], pii.PHONE)
        return owner

    _rewrite_snapshots(conn, unseal)
    op.drop_index("ix_owners_phone_hash", table_name="owners")
    op.drop_index("ix_owners_id_number_hash", table_name="owners")
    op.drop_column("owners", "phone_hash")
    op.drop_column("owners", "id_number_hash")
    op.alter_column("owners", "phone", type_=sa.String(20))
    op.alter_column("owners", "id_number", type_=sa.String(40))
