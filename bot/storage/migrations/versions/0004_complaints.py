"""anonymous complaints

Revision ID: 0004_complaints
Revises: 0003_tickets
Create Date: 2026-11-24 00:41:21.782661
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_complaints'
down_revision = '0003_tickets'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('complaints',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('org_id', sa.String(length=40), nullable=True),
    sa.Column('service_id', sa.String(length=40), nullable=True),
    sa.Column('handler_org', sa.String(length=40), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('assigned_to', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.Column('updated_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.Column('closed_by_person', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['assigned_to'], ['staff.id'], name=op.f('fk_complaints_assigned_to_staff'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('receipt_hash', name=op.f('uq_complaints_receipt_hash'))
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_queue', ['status', 'urgent', 'created_on'], unique=False)

    op.create_table('complaint_messages',
    sa.Column('complaint_id', sa.String(length=32), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('author', sa.String(length=8), nullable=False),
    sa.Column('staff_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_on', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_messages_complaint_id_complaints'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_complaint_messages_staff_id_staff'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('complaint_id', 'seq', name=op.f('pk_complaint_messages'))
    )


def downgrade() -> None:
    op.drop_table('complaint_messages')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_queue')

    op.drop_table('complaints')
