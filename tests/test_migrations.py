"""Migrations: upgrade from an empty database, and no drift from the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from smultron.core import migrate
from smultron.core.db import make_engine
from smultron.models import Base
from tests import factories


def test_upgrade_from_empty_creates_every_table(cluster):
    cluster.create_database("migrate_empty")
    engine = make_engine(cluster.url("migrate_empty"))
    try:
        migrate.upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        migrate.upgrade(engine)  # a second upgrade is a no-op
    finally:
        engine.dispose()
        cluster.drop_database("migrate_empty")


def test_models_and_migrations_agree(app):
    engine = app.extensions["smultron.engine"]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "include_object": alembic_helpers.include_object})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


BROKEN = {
    "children_count": "UPDATE place SET children_count = 0",
    "feeling": "UPDATE place SET feeling = 'meh'",
    "invalid polygon": "UPDATE place SET geom = ST_GeomFromText("
                       "'POLYGON((20 67,21 68,21 67,20 68,20 67))', 4326)",
    "srid": "UPDATE place SET geom = ST_SetSRID(geom, 3006)",
    "geometry type": "UPDATE place SET geom = ST_GeomFromText('MULTIPOINT(20 67, 21 68)', 4326)",
    "comment length": "UPDATE place SET comment = repeat('a', 501)",
    "age group": "UPDATE place SET age_group = '7-8'",
}


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_the_database_enforces_the_rules(db, world, rule):
    session_row = factories.mapping_session(db, world.campaign, world.school_a)
    factories.place(db, session_row)
    db.commit()
    with pytest.raises(DBAPIError):
        db.execute(text(BROKEN[rule]))
        db.flush()
    db.rollback()


@pytest.mark.parametrize("statement", ["UPDATE audit_event SET action = 'y'",
                                       "DELETE FROM audit_event"])
def test_audit_events_cannot_be_changed(db, statement):
    db.execute(text("INSERT INTO audit_event (action) VALUES ('x')"))
    db.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text(statement))
    db.rollback()


def test_report_pending_downgrades_and_upgrades_again(cluster):
    """0013 (the pending changes) goes down to 0011's triggers applying at once, and up."""
    from alembic import command

    cluster.create_database("migrate_0013")
    engine = make_engine(cluster.url("migrate_0013"))
    try:
        migrate.upgrade(engine)
        with engine.begin() as connection:
            config = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
            config.attributes["connection"] = connection
            command.downgrade(config, "0011")
        assert "report_pending" not in inspect(engine).get_table_names()
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT report_kept_refresh()")).scalar_one() == 0
    finally:
        engine.dispose()
        cluster.drop_database("migrate_0013")
