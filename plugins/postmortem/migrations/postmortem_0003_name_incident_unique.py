"""postmortem: the report's unique incident_id constraint gets the name the model gives it

postmortem_0001 declared the column ``unique=True`` inline, so PostgreSQL named the constraint
itself (``postmortem_reports_incident_id_key``) and SQLite left it unnamed, where the model's
naming convention says ``uq_postmortem_reports_incident_id``. A later migration that drops or
alters the constraint can now name it on both databases.

Revision ID: postmortem_0003
Revises: postmortem_0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

from core.db import NAMING_CONVENTION

revision = "postmortem_0003"
down_revision = "postmortem_0002"
branch_labels = None
depends_on = None

TABLE, NAME = "postmortem_reports", "uq_postmortem_reports_incident_id"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # An unnamed constraint cannot be dropped by name: rebuild the table, whose reflected
        # constraint takes its name from the convention.
        with op.batch_alter_table(TABLE, naming_convention=NAMING_CONVENTION, recreate="always"):
            pass
        return
    op.drop_constraint(_incident_unique(), TABLE, type_="unique")
    op.create_unique_constraint(NAME, TABLE, ["incident_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # the name is all that changed, and SQLite has no use for it
    op.drop_constraint(NAME, TABLE, type_="unique")
    op.create_unique_constraint(f"{TABLE}_incident_id_key", TABLE, ["incident_id"])


def _incident_unique() -> str:
    """The name PostgreSQL gave the constraint (its own scheme, looked up rather than assumed)."""
    constraints = sa.inspect(op.get_bind()).get_unique_constraints(TABLE)
    [name] = [c["name"] for c in constraints if c["column_names"] == ["incident_id"]]
    return str(name)
