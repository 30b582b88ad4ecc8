"""core tables

Revision ID: 0001_core
Revises: 
Create Date: 2026-11-23 23:49:59.406665
"""
from alembic import op
import sqlalchemy as sa
import bot.storage.models


revision = '0001_core'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_state',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_state'))
    )
    op.create_table('inbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('provider_message_id', sa.String(length=128), nullable=False),
    sa.Column('channel_user_id', sa.String(length=128), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('received_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('handled_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox')),
    sa.UniqueConstraint('channel', 'provider_message_id', name='uq_inbox_provider_id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_pending', ['status', 'channel', 'channel_user_id', 'id'], unique=False)

    op.create_table('rate_limits',
    sa.Column('key', sa.String(length=96), nullable=False),
    sa.Column('window_start', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limits'))
    )
    op.create_table('users',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('channel_user_id', sa.String(length=128), nullable=False),
    sa.Column('lang', sa.String(length=8), nullable=True),
    sa.Column('consent_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_inbound_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unreachable_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('channel', 'channel_user_id', name='uq_users_channel_user'),
    sqlite_autoincrement=True
    )
    op.create_table('conversation_state',
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('flow', sa.String(length=32), nullable=True),
    sa.Column('step', sa.String(length=32), nullable=True),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('menu', sa.JSON(), nullable=False),
    sa.Column('prefs', sa.JSON(), nullable=False),
    sa.Column('updated_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conversation_state_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_conversation_state'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('address', sa.String(length=128), nullable=True),
    sa.Column('recipient', sa.String(length=160), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_at', bot.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', bot.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('provider_message_id', sa.String(length=128), nullable=True),
    sa.Column('error_class', sa.String(length=16), nullable=True),
    sa.Column('error_code', sa.String(length=32), nullable=True),
    sa.Column('template', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_outbox_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_provider_message_id'), ['provider_message_id'], unique=False)
        batch_op.create_index('ix_outbox_recipient_status', ['recipient', 'status', 'id'], unique=False)
        batch_op.create_index('ix_outbox_status_due', ['status', 'next_attempt_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status_due')
        batch_op.drop_index('ix_outbox_recipient_status')
        batch_op.drop_index(batch_op.f('ix_outbox_provider_message_id'))

    op.drop_table('outbox')
    op.drop_table('conversation_state')
    op.drop_table('users')
    op.drop_table('rate_limits')
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_pending')

    op.drop_table('inbox')
    op.drop_table('app_state')
