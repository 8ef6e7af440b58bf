"""黑名单 (失信惩戒) entries, their cases and steps; indexes on hazards for the supervisor console.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('approved', 'candidate', 'collected', 'objection', 'published', 'reviewed')"
RUNNING = "status IN ('assigned', 'rectifying')"
RUNNING_INDEX = 'ix_hazards_running_deadline'
MAJOR_OPEN = "level = 'major' AND status <> 'closed'"
RATES_COLUMNS = ['site_id', 'status', 'department_id', 'domain', 'deadline_at', 'closed_at', 'found_by_id']

# hazard_status_counts is kept by these triggers (see HazardStatusCount). It has no foreign key to
# sites, and a decrement never inserts: whichever of the two tables is emptied first (tests delete
# every table's rows), the other ends empty too. A later SQLite migration that rebuilds the hazards
# table with batch_alter_table drops these triggers and must create them again.
PG_FUNCTION = '''
CREATE OR REPLACE FUNCTION hazard_status_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE hazard_status_counts SET n = n - 1
         WHERE site_id = OLD.site_id AND department_key = COALESCE(OLD.department_id, 0) AND status = OLD.status;
        DELETE FROM hazard_status_counts
         WHERE site_id = OLD.site_id AND department_key = COALESCE(OLD.department_id, 0) AND status = OLD.status
           AND n <= 0;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO hazard_status_counts (site_id, department_key, status, n)
        VALUES (NEW.site_id, COALESCE(NEW.department_id, 0), NEW.status, 1)
        ON CONFLICT (site_id, department_key, status) DO UPDATE SET n = hazard_status_counts.n + 1;
    END IF;
    RETURN NULL;
END $$
'''
PG_TRIGGERS = [
    "CREATE TRIGGER hazards_status_counts AFTER INSERT OR DELETE ON hazards "
    "FOR EACH ROW EXECUTE FUNCTION hazard_status_counts_apply()",
    "CREATE TRIGGER hazards_status_counts_moved AFTER UPDATE OF status, site_id, department_id ON hazards "
    "FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.site_id IS DISTINCT FROM NEW.site_id "
    "OR OLD.department_id IS DISTINCT FROM NEW.department_id) EXECUTE FUNCTION hazard_status_counts_apply()",
]
_SQLITE_ADD = '''INSERT INTO hazard_status_counts (site_id, department_key, status, n)
        VALUES (NEW.site_id, COALESCE(NEW.department_id, 0), NEW.status, 1)
        ON CONFLICT (site_id, department_key, status) DO UPDATE SET n = n + 1;'''
_SQLITE_REMOVE = '''UPDATE hazard_status_counts SET n = n - 1
         WHERE site_id = OLD.site_id AND department_key = COALESCE(OLD.department_id, 0) AND status = OLD.status;
        DELETE FROM hazard_status_counts
         WHERE site_id = OLD.site_id AND department_key = COALESCE(OLD.department_id, 0) AND status = OLD.status
           AND n <= 0;'''
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER hazards_status_counts_added AFTER INSERT ON hazards BEGIN {_SQLITE_ADD} END",
    f"CREATE TRIGGER hazards_status_counts_removed AFTER DELETE ON hazards BEGIN {_SQLITE_REMOVE} END",
    "CREATE TRIGGER hazards_status_counts_moved AFTER UPDATE OF status, site_id, department_id ON hazards "
    "WHEN OLD.status IS NOT NEW.status OR OLD.site_id IS NOT NEW.site_id OR OLD.department_id IS NOT "
    f"NEW.department_id BEGIN {_SQLITE_REMOVE} {_SQLITE_ADD} END",
]
BACKFILL = ("INSERT INTO hazard_status_counts (site_id, department_key, status, n) "
            "SELECT site_id, COALESCE(department_id, 0), status, count(*) FROM hazards "
            "GROUP BY site_id, COALESCE(department_id, 0), status")


def upgrade():
    op.create_table('blacklist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('enterprise_name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('candidate', 'collected', 'reviewed', 'approved', 'published', 'objection', "
                       "'removed', 'dismissed')", name=op.f('ck_blacklist_entries_status_known')),
    sa.CheckConstraint("status NOT IN ('published', 'objection') OR published_at IS NOT NULL",
                       name=op.f('ck_blacklist_entries_published_has_time')),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_blacklist_entries_site_id_sites'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blacklist_entries'))
    )
    with op.batch_alter_table('blacklist_entries', schema=None) as batch_op:
        batch_op.create_index('ix_blacklist_entries_one_active_per_site', ['site_id'], unique=True,
                              postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))
        batch_op.create_index('ix_blacklist_entries_status_id', ['status', 'id'], unique=False)

    op.create_table('blacklist_cases',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['escalation_cases.id'], name=op.f('fk_blacklist_cases_case_id_escalation_cases'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['entry_id'], ['blacklist_entries.id'],
                            name=op.f('fk_blacklist_cases_entry_id_blacklist_entries'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_blacklist_cases'))
    )
    with op.batch_alter_table('blacklist_cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_blacklist_cases_entry_id'), ['entry_id'], unique=False)

    op.create_table('blacklist_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=24), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=False),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=False),
    sa.Column('actor_role', sa.String(length=24), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('client_event_id', sa.String(length=64), nullable=True),
    sa.Column('audit_event_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_blacklist_steps_actor_id_users')),
    sa.ForeignKeyConstraint(['audit_event_id'], ['audit_events.id'],
                            name=op.f('fk_blacklist_steps_audit_event_id_audit_events')),
    sa.ForeignKeyConstraint(['entry_id'], ['blacklist_entries.id'],
                            name=op.f('fk_blacklist_steps_entry_id_blacklist_entries'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_blacklist_steps')),
    sa.UniqueConstraint('client_event_id', name=op.f('uq_blacklist_steps_client_event_id'))
    )
    with op.batch_alter_table('blacklist_steps', schema=None) as batch_op:
        batch_op.create_index('ix_blacklist_steps_entry', ['entry_id', 'id'], unique=False)

    op.create_table('hazard_status_counts',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('department_key', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('site_id', 'department_key', 'status', name=op.f('pk_hazard_status_counts'))
    )
    if op.get_context().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    op.execute(BACKFILL)

    # The console's indexes on hazards (declared in hazardloop/console/models.py).
    if op.get_context().dialect.name == 'postgresql':
        # Built without blocking writes on a live, large table.
        with op.get_context().autocommit_block():
            op.create_index(RUNNING_INDEX, 'hazards', ['deadline_at', 'id'], unique=False,
                            postgresql_include=['site_id'], postgresql_where=sa.text(RUNNING),
                            postgresql_concurrently=True, if_not_exists=True)
            op.create_index('ix_hazards_major_open', 'hazards', ['site_id', 'supervised'], unique=False,
                            postgresql_where=sa.text(MAJOR_OPEN), postgresql_concurrently=True, if_not_exists=True)
            op.create_index('ix_hazards_found_at_rates', 'hazards', ['found_at'], unique=False,
                            postgresql_include=RATES_COLUMNS, postgresql_concurrently=True, if_not_exists=True)
    else:
        op.create_index(RUNNING_INDEX, 'hazards', ['deadline_at', 'id'], unique=False,
                        sqlite_where=sa.text(RUNNING))
        op.create_index('ix_hazards_major_open', 'hazards', ['site_id', 'supervised'], unique=False,
                        sqlite_where=sa.text(MAJOR_OPEN))
        op.create_index('ix_hazards_found_at_rates', 'hazards', ['found_at'], unique=False)


def downgrade():
    names = ['ix_hazards_found_at_rates', 'ix_hazards_major_open', RUNNING_INDEX]
    if op.get_context().dialect.name == 'postgresql':
        with op.get_context().autocommit_block():
            for name in names:
                op.drop_index(name, table_name='hazards', postgresql_concurrently=True, if_exists=True)
    else:
        for name in names:
            op.drop_index(name, table_name='hazards')
    if op.get_context().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS hazards_status_counts_moved ON hazards")
        op.execute("DROP TRIGGER IF EXISTS hazards_status_counts ON hazards")
        op.execute("DROP FUNCTION IF EXISTS hazard_status_counts_apply()")
    else:
        for name in ("hazards_status_counts_added", "hazards_status_counts_removed", "hazards_status_counts_moved"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('hazard_status_counts')
    with op.batch_alter_table('blacklist_steps', schema=None) as batch_op:
        batch_op.drop_index('ix_blacklist_steps_entry')
    op.drop_table('blacklist_steps')
    with op.batch_alter_table('blacklist_cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_blacklist_cases_entry_id'))
    op.drop_table('blacklist_cases')
    with op.batch_alter_table('blacklist_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_blacklist_entries_status_id')
        batch_op.drop_index('ix_blacklist_entries_one_active_per_site')
    op.drop_table('blacklist_entries')
