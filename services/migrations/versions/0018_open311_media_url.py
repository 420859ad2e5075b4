"""tickets: the media_url an Open311 client sent with its request (a link to its photo)

Revision ID: 0018
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ticket", sa.Column("media_url", sa.String(length=1000), nullable=True))


def downgrade() -> None:
    op.drop_column("ticket", "media_url")
