"""smultron db backup / restore: a round trip loses nothing; a database with data is
not overwritten without --force."""

from __future__ import annotations

import itertools

import pytest
from shapely.geometry import LineString, Point
from sqlalchemy import text

from smultron.cli import main
from smultron.core.db import make_engine
from tests import factories

_names = itertools.count()
TABLES = ("municipality", "preschool", "department", "campaign", "mapping_session", "place",
          "category", '"user"', "user_preschool", "api_token", "audit_event")


@pytest.fixture
def empty_database(cluster):
    """A fresh database with PostGIS but no schema (as a new server would have)."""
    name = f"restore_{next(_names)}"
    cluster.create_database(name)
    yield cluster.url(name)
    cluster.drop_database(name)


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as connection:
        counts = {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in TABLES}
    engine.dispose()
    return counts


def _geometry(url: str, place_id) -> str:
    engine = make_engine(url)
    with engine.connect() as connection:
        ewkt = connection.execute(text("SELECT ST_AsEWKT(geom) FROM place WHERE id = :id"),
                                  {"id": place_id}).scalar()
    engine.dispose()
    return ewkt


def _cli(args, database_url):
    from click.testing import CliRunner

    return CliRunner().invoke(main, args, env={"DATABASE_URL": database_url})


@pytest.fixture
def filled(db, world, database_url):
    session_row = factories.mapping_session(db, world.campaign, world.school_a)
    factories.place(db, session_row, comment="Här bor trollen", comment_state="pending")
    line = factories.place(db, session_row, LineString([(20.22, 67.85), (20.23, 67.86)]))
    factories.place(db, session_row, Point(20.2301, 67.8512), feeling="scary")
    db.commit()
    return line.id


def test_round_trip_loses_nothing(filled, database_url, empty_database, tmp_path):
    archive = tmp_path / "smultron.dump"
    done = _cli(["db", "backup", str(archive)], database_url)
    assert done.exit_code == 0, done.output
    assert archive.stat().st_size > 0 and "Backed up" in done.output

    restored = _cli(["db", "restore", str(archive)], empty_database)
    assert restored.exit_code == 0, restored.output
    before, after = _counts(database_url), _counts(empty_database)
    assert after == before and after["place"] == 3 and after['"user"'] == 5
    assert _geometry(empty_database, filled) == _geometry(database_url, filled)
    assert _geometry(empty_database, filled).startswith("SRID=4326;LINESTRING(20.22 67.85")


def test_restore_refuses_a_database_with_data_unless_forced(filled, database_url, tmp_path,
                                                            db, world):
    archive = tmp_path / "smultron.dump"
    assert _cli(["db", "backup", str(archive)], database_url).exit_code == 0
    factories.place(db, factories.mapping_session(db, world.campaign, world.school_b))
    db.commit()
    db.close()

    refused = _cli(["db", "restore", str(archive)], database_url)
    assert refused.exit_code == 1
    assert "not empty" in refused.output and "4 place" in refused.output
    assert _counts(database_url)["place"] == 4  # untouched

    forced = _cli(["db", "restore", "--force", str(archive)], database_url)
    assert forced.exit_code == 0, forced.output
    assert _counts(database_url)["place"] == 3  # exactly the backup's contents


def test_a_broken_archive_changes_nothing(filled, database_url, tmp_path):
    bogus = tmp_path / "not-a-backup.dump"
    bogus.write_bytes(b"PGDMP but not really")
    done = _cli(["db", "restore", "--force", str(bogus)], database_url)
    assert done.exit_code == 1
    assert "not a Smultron backup" in done.output
    assert _counts(database_url)["place"] == 3
