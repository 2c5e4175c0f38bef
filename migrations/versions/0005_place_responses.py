"""place_response, plan_assessment, plan_weighing, plan_decision: planners answer the children

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

A planner's answer to a place (status, a short reason, optionally a plan area): every
answer is kept, the shown one has replaced_at NULL (a partial unique index: at most one
per place). A plan area's child impact assessment: the plan-level texts, each place's
weighing (consequence, measure), the revisions of both, and a dated decision log.
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('plan_assessment',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('law', sa.Text(), server_default='', nullable=False),
    sa.Column('views', sa.Text(), server_default='', nullable=False),
    sa.Column('alternatives', sa.Text(), server_default='', nullable=False),
    sa.Column('conflicts', sa.Text(), server_default='', nullable=False),
    sa.Column('consequences', sa.Text(), server_default='', nullable=False),
    sa.Column('measures', sa.Text(), server_default='', nullable=False),
    sa.Column('feedback', sa.Text(), server_default='', nullable=False),
    sa.Column('version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('char_length(alternatives) <= 5000', name=op.f('ck_plan_assessment_alternatives_length')),
    sa.CheckConstraint('char_length(conflicts) <= 5000', name=op.f('ck_plan_assessment_conflicts_length')),
    sa.CheckConstraint('char_length(consequences) <= 5000', name=op.f('ck_plan_assessment_consequences_length')),
    sa.CheckConstraint('char_length(feedback) <= 5000', name=op.f('ck_plan_assessment_feedback_length')),
    sa.CheckConstraint('char_length(law) <= 5000', name=op.f('ck_plan_assessment_law_length')),
    sa.CheckConstraint('char_length(measures) <= 5000', name=op.f('ck_plan_assessment_measures_length')),
    sa.CheckConstraint('char_length(views) <= 5000', name=op.f('ck_plan_assessment_views_length')),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_plan_assessment_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['plan_id'], ['plan_area.id'], name=op.f('fk_plan_assessment_plan_id_plan_area'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['user.id'], name=op.f('fk_plan_assessment_updated_by_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('plan_id', name=op.f('pk_plan_assessment'))
    )
    op.create_index(op.f('ix_plan_assessment_municipality_id'), 'plan_assessment', ['municipality_id'], unique=False)
    op.create_table('plan_decision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('char_length(text) BETWEEN 1 AND 1000', name=op.f('ck_plan_decision_text_length')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_plan_decision_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['plan_id'], ['plan_area.id'], name=op.f('fk_plan_decision_plan_id_plan_area'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_decision'))
    )
    op.create_index('ix_plan_decision_plan', 'plan_decision', ['plan_id', 'decided_on'], unique=False)
    op.create_table('place_response',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('place_id', sa.UUID(), nullable=False),
    sa.Column('municipality_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), server_default='', nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('replaced_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('kept', 'improved', 'changed', 'not_possible', 'considering')", name=op.f('ck_place_response_status')),
    sa.CheckConstraint('char_length(text) <= 300', name=op.f('ck_place_response_text_length')),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_place_response_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['municipality_id'], ['municipality.id'], name=op.f('fk_place_response_municipality_id_municipality')),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], name=op.f('fk_place_response_place_id_place'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['plan_area.id'], name=op.f('fk_place_response_plan_id_plan_area'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_place_response'))
    )
    op.create_index(op.f('ix_place_response_municipality_id'), 'place_response', ['municipality_id'], unique=False)
    op.create_index(op.f('ix_place_response_place_id'), 'place_response', ['place_id'], unique=False)
    op.create_index(op.f('ix_place_response_plan_id'), 'place_response', ['plan_id'], unique=False)
    op.create_index('uq_place_response_current', 'place_response', ['place_id'], unique=True, postgresql_where=sa.text('replaced_at IS NULL'))
    op.create_table('plan_assessment_revision',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('place_id', sa.UUID(), nullable=True),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_plan_assessment_revision_author_id_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], name=op.f('fk_plan_assessment_revision_place_id_place'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['plan_area.id'], name=op.f('fk_plan_assessment_revision_plan_id_plan_area'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_assessment_revision'))
    )
    op.create_index('ix_plan_assessment_revision_plan', 'plan_assessment_revision', ['plan_id', 'id'], unique=False)
    op.create_table('plan_weighing',
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('place_id', sa.UUID(), nullable=False),
    sa.Column('consequence', sa.Text(), server_default='', nullable=False),
    sa.Column('measure', sa.Text(), server_default='', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_by', sa.Integer(), nullable=True),
    sa.CheckConstraint('char_length(consequence) <= 1000', name=op.f('ck_plan_weighing_consequence_length')),
    sa.CheckConstraint('char_length(measure) <= 1000', name=op.f('ck_plan_weighing_measure_length')),
    sa.ForeignKeyConstraint(['place_id'], ['place.id'], name=op.f('fk_plan_weighing_place_id_place'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['plan_area.id'], name=op.f('fk_plan_weighing_plan_id_plan_area'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by'], ['user.id'], name=op.f('fk_plan_weighing_updated_by_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('plan_id', 'place_id', name=op.f('pk_plan_weighing'))
    )
    op.create_index(op.f('ix_plan_weighing_place_id'), 'plan_weighing', ['place_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_plan_weighing_place_id'), table_name='plan_weighing')
    op.drop_table('plan_weighing')
    op.drop_index('ix_plan_assessment_revision_plan', table_name='plan_assessment_revision')
    op.drop_table('plan_assessment_revision')
    op.drop_index('uq_place_response_current', table_name='place_response', postgresql_where=sa.text('replaced_at IS NULL'))
    op.drop_index(op.f('ix_place_response_plan_id'), table_name='place_response')
    op.drop_index(op.f('ix_place_response_place_id'), table_name='place_response')
    op.drop_index(op.f('ix_place_response_municipality_id'), table_name='place_response')
    op.drop_table('place_response')
    op.drop_index('ix_plan_decision_plan', table_name='plan_decision')
    op.drop_table('plan_decision')
    op.drop_index(op.f('ix_plan_assessment_municipality_id'), table_name='plan_assessment')
    op.drop_table('plan_assessment')
