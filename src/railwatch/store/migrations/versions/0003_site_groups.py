"""site groups: named sets of sites analysed as one series

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 01:10:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('site_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_groups')),
    sa.UniqueConstraint('slug', name=op.f('uq_site_groups_slug'))
    )
    op.create_table('site_group_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['site_groups.id'], name=op.f('fk_site_group_members_group_id_site_groups'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_site_group_members_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_group_members')),
    sa.UniqueConstraint('group_id', 'site_id', name='group_site')
    )
    with op.batch_alter_table('site_group_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_group_members_group_id'), ['group_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('site_group_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_group_members_group_id'))
    op.drop_table('site_group_members')
    op.drop_table('site_groups')
