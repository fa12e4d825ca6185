"""A reply's delivery is claimed before it is sent; on PostgreSQL, the job queue's tables.

`claimed_by` / `claimed_until` on a reply: the process sending it and until when its claim
holds, so two workers never both send one reply and a dead worker's claim runs out.
On PostgreSQL the queue (procrastinate) gets its schema here, so one `omnivox db upgrade`
prepares everything; SQLite runs all in one process and has no queue. With it, a trigger
of ours: when a job holding a chat's lock finishes, the workers are woken as for a new
job, since that chat's next message may run now (procrastinate wakes them only when a job
is queued, and would otherwise leave it to its polling interval).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE_TABLE = "procrastinate_jobs"
WAKE = """
CREATE FUNCTION omnivox_wake_lock_waiters() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('procrastinate_queue_v1#' || OLD.queue_name,
                      json_build_object('type', 'job_inserted', 'job_id', OLD.id)::text);
    RETURN NULL;
END;
$$;
CREATE TRIGGER omnivox_lock_freed_on_update AFTER UPDATE OF status ON procrastinate_jobs
    FOR EACH ROW WHEN (OLD.status = 'doing' AND NEW.status <> 'doing' AND OLD.lock IS NOT NULL)
    EXECUTE PROCEDURE omnivox_wake_lock_waiters();
CREATE TRIGGER omnivox_lock_freed_on_delete AFTER DELETE ON procrastinate_jobs
    FOR EACH ROW WHEN (OLD.status = 'doing' AND OLD.lock IS NOT NULL)
    EXECUTE PROCEDURE omnivox_wake_lock_waiters();
"""


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=True))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and not sa.inspect(bind).has_table(QUEUE_TABLE):
        try:
            from procrastinate.schema import SchemaManager
        except ImportError as missing:
            raise RuntimeError(
                "PostgreSQL needs the postgres extra: pip install 'omnivox[postgres]'"
            ) from missing
        schema = SchemaManager.get_schema() + WAKE
        # many statements and $$-quoted functions: sent as one simple query by the driver
        bind.connection.dbapi_connection.run_async(lambda conn: conn.execute(schema))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
