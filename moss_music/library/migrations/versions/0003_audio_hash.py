"""tracks.hash_scheme: which content-hash scheme made a track's hash

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

The content hash used to sample 3 x 256 KiB of the whole file, tags included, so a
tag edit orphaned the analyses and different recordings could share a hash. It
now covers all of the audio stream and none of the tags (``HASH_SCHEME`` 2).
Existing rows keep their legacy hash (``hash_scheme`` NULL) so nothing is lost
on upgrade; the next scan rehashes each track whose bytes still give the stored
legacy hash and moves its analyses to the new hash (``Scanner``), which reads
every file once — work for a scan with progress, not for a migration at start-up.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tracks") as batch_op:
        batch_op.add_column(sa.Column("hash_scheme", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracks") as batch_op:
        batch_op.drop_column("hash_scheme")
