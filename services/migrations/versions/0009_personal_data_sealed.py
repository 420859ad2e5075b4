"""personal data sealed: an application's name, birth date and selfie encrypted; room for names

Revision ID: 0009
Revises: 0008

An application's full name, date of birth and selfie file id move into encrypted columns, as
the document number and phone already were. Rows already there are encrypted by this migration
itself, with the same data key the bot uses: the bot hands its cipher to the migration (at start
and in `python -m bot migrate`, both built from the same settings), so there is no release in
which plaintext and ciphertext live side by side, no second migration to drop the plaintext
later, and no start-up job that could be skipped. A database with such rows and no key given
stops the migration with a message saying so, rather than losing the data or keeping it plain.

On SQLite the rewrite runs with `PRAGMA secure_delete`, so the freed cells that held the plain
values are zeroed rather than left in the file; on PostgreSQL the old row versions go with the
next VACUUM (run VACUUM FULL application once to be sure at once).

Names that come from Telegram (first and last name, up to 129 characters) get 256, and a ticket
event's detail (a message of up to 4096 characters, with a mark before it) is unbounded text.
"""

from collections.abc import Callable, Sequence
from datetime import date

import sqlalchemy as sa
from alembic import context, op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENCRYPTED = sa.String(length=1024)
NAME = sa.String(length=256)
application = sa.table(
    "application",
    sa.column("id", sa.Integer()),
    sa.column("full_name", sa.String()),
    sa.column("birth_date", sa.Date()),
    sa.column("selfie_file_id", sa.String()),
    sa.column("full_name_encrypted", sa.String()),
    sa.column("birth_date_encrypted", sa.String()),
    sa.column("selfie_file_id_encrypted", sa.String()),
)
NAMES = (
    ("ticket", "resident_name", False),
    ("ticket", "assignee_name", True),
    ("ticket_event", "actor_name", False),
    ("application", "decided_by_name", True),
)


def _cipher() -> object:
    """The bot's FieldCipher (services.migrate passes a function that gives it)."""
    opener: Callable[[], object] | None = context.config.attributes.get("cipher")
    if opener is None:
        raise RuntimeError(
            "migration 0009 encrypts the personal data of existing applications and needs the "
            "data key: run it with `python -m bot migrate` (or start the bot) with the "
            "DATA_KEY or DATA_DIR the bot uses"
        )
    return opener()


def upgrade() -> None:
    bind = op.get_bind()
    plain = application.c
    selected = bind.execute(
        sa.select(plain.id, plain.full_name, plain.birth_date, plain.selfie_file_id)
    ).all()
    rows = [row for row in selected if row.full_name or row.birth_date or row.selfie_file_id]
    cipher = _cipher() if rows else None  # before any change: SQLite cannot undo its DDL
    if bind.dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete = ON")
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_name_encrypted", ENCRYPTED, nullable=False, server_default=""))
        batch_op.add_column(sa.Column("birth_date_encrypted", ENCRYPTED, nullable=True))
        batch_op.add_column(
            sa.Column("selfie_file_id_encrypted", ENCRYPTED, nullable=False, server_default="")
        )
    if cipher is not None:
        encrypt: Callable[[str], str] = cipher.encrypt  # type: ignore[attr-defined]
        for row in rows:
            bind.execute(
                application.update()
                .where(application.c.id == row.id)
                .values(
                    full_name_encrypted=encrypt(row.full_name) if row.full_name else "",
                    birth_date_encrypted=encrypt(_iso(row.birth_date)) if row.birth_date else None,
                    selfie_file_id_encrypted=encrypt(row.selfie_file_id) if row.selfie_file_id else "",
                    full_name="",
                    birth_date=None,
                    selfie_file_id="",
                )
            )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("full_name")
        batch_op.drop_column("birth_date")
        batch_op.drop_column("selfie_file_id")
    for table, column, nullable in NAMES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=sa.String(length=128), type_=NAME,
                                  existing_nullable=nullable)
    with op.batch_alter_table("ticket_event", schema=None) as batch_op:
        batch_op.alter_column("detail", existing_type=sa.String(length=4000), type_=sa.Text(),
                              existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_event", schema=None) as batch_op:
        batch_op.alter_column("detail", existing_type=sa.Text(), type_=sa.String(length=4000),
                              existing_nullable=False)
    for table, column, nullable in NAMES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, existing_type=NAME, type_=sa.String(length=128),
                                  existing_nullable=nullable)
    bind = op.get_bind()
    sealed = application.c
    selected = bind.execute(
        sa.select(sealed.id, sealed.full_name_encrypted, sealed.birth_date_encrypted,
                  sealed.selfie_file_id_encrypted)
    ).all()
    rows = [row for row in selected if row.full_name_encrypted or row.birth_date_encrypted
            or row.selfie_file_id_encrypted]
    cipher = _cipher() if rows else None  # before any change, as in upgrade
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("full_name", sa.String(length=128), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("selfie_file_id", sa.String(length=256), nullable=False, server_default=""))
    if cipher is not None:
        decrypt: Callable[[str], str] = cipher.decrypt  # type: ignore[attr-defined]
        for row in rows:
            bind.execute(
                application.update()
                .where(application.c.id == row.id)
                .values(
                    full_name=decrypt(row.full_name_encrypted) if row.full_name_encrypted else "",
                    birth_date=date.fromisoformat(decrypt(row.birth_date_encrypted))
                    if row.birth_date_encrypted else None,
                    selfie_file_id=decrypt(row.selfie_file_id_encrypted)
                    if row.selfie_file_id_encrypted else "",
                )
            )
    with op.batch_alter_table("application", schema=None) as batch_op:
        batch_op.drop_column("selfie_file_id_encrypted")
        batch_op.drop_column("birth_date_encrypted")
        batch_op.drop_column("full_name_encrypted")


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)
