"""search feedback and content gaps

Revision ID: 0002_search
Revises: 0001_core
Create Date: 2026-11-24 00:06:47.511093
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_search'
down_revision = '0001_core'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('content_gaps',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('query', sa.String(length=80), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('seen_on', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_gaps')),
    sa.UniqueConstraint('query', 'lang', 'seen_on', name='uq_content_gaps_query')
    )
    op.create_table('feedback',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('service_id', sa.String(length=40), nullable=True),
    sa.Column('topic', sa.String(length=40), nullable=True),
    sa.Column('value', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback'))
    )
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_kind_status', ['kind', 'status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('feedback', schema=None) as batch_op:
        batch_op.drop_index('ix_feedback_kind_status')

    op.drop_table('feedback')
    op.drop_table('content_gaps')
