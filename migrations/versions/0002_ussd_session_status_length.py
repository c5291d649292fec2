"""ussd_sessions.status no longer than its column on SQLite too

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 15:00:00

PostgreSQL's VARCHAR(20) already refuses a longer status; SQLite ignores declared lengths, so a
CHECK makes it refuse what production refuses (issue 11, finding 10).
"""
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ussd_sessions', schema=None) as batch_op:
        batch_op.create_check_constraint(op.f('ck_ussd_sessions_status_length'), 'length(status) <= 20')


def downgrade():
    with op.batch_alter_table('ussd_sessions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_ussd_sessions_status_length'), type_='check')
