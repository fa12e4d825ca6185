"""Each part of a reply recorded as it is sent; when a user was shown the first-contact notice.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("part", sa.Integer(), nullable=True))
        batch.create_unique_constraint("uq_deliveries_message_id", ["message_id", "part"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("notified_at", sa.DateTime(timezone=True), nullable=True))
    # people who wrote before the notice existed are not new: they are not shown it
    op.execute(sa.text("UPDATE users SET notified_at = created_at"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notified_at")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_constraint("uq_deliveries_message_id", type_="unique")
        batch.drop_column("part")
