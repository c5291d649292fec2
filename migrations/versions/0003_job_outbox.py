"""job_outbox: jobs held in the database while Redis is unreachable

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 18:40:00

An inbound SMS is committed before its job is queued; when Redis refuses the job, the job is
written here instead and relayed once Redis answers again (issue 12).
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('job', sa.String(length=100), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job_outbox')),
    )


def downgrade():
    op.drop_table('job_outbox')
