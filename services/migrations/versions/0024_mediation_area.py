"""mediation: the applicant's area on the case (grid and community), so a declined case goes
to the next organisation that serves that area

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("mediation_case", sa.Column("grid", sa.String(length=32), nullable=True))
    op.add_column("mediation_case", sa.Column("community", sa.String(length=32), nullable=True))


def downgrade() -> None:
    op.drop_column("mediation_case", "community")
    op.drop_column("mediation_case", "grid")
