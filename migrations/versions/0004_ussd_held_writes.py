"""ussd_held_writes: a confirmed report or call-back kept in the database until applied

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 18:50:00

A USSD report whose reference was shown must survive Redis losing its pending-writes list
(issue 12): the confirming hop writes it here before its Redis write.
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'ussd_held_writes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('item', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ussd_held_writes')),
    )
    op.create_index(op.f('ix_ussd_held_writes_created_at'), 'ussd_held_writes', ['created_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_ussd_held_writes_created_at'), table_name='ussd_held_writes')
    op.drop_table('ussd_held_writes')
