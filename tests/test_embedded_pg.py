"""The embedded PostGIS manager: create once, start, stop, restart, data kept."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from smultron.core import embedded_pg
from smultron.core.embedded_pg import EmbeddedPostgres, EmbeddedPostgresError


@pytest.fixture
def own_cluster():
    base = Path(tempfile.mkdtemp(prefix="smt-own-"))
    base.chmod(0o755)
    pg = EmbeddedPostgres(base / "pg", fast=True)
    yield pg
    pg.remove()


def test_cluster_lifecycle_keeps_data(own_cluster):
    pg = own_cluster.ensure()
    assert pg.started_here and pg.is_running()
    assert pg.psql("smultron", "SELECT postgis_lib_version() IS NOT NULL").strip() == "t"
    pg.psql("smultron", "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")

    pg.restart()
    assert pg.psql("smultron", "SELECT x FROM kept").strip() == "42"

    pg.stop()
    assert not pg.is_running()
    again = EmbeddedPostgres(pg.base_dir, fast=True).ensure()  # no second initdb
    assert again.psql("smultron", "SELECT x FROM kept").strip() == "42"


def test_a_running_cluster_is_found_not_started_twice(own_cluster):
    own_cluster.ensure()
    second = EmbeddedPostgres(own_cluster.base_dir).ensure()
    assert second.is_running()
    assert not second.started_here  # so the CLI leaves the server's cluster running


def test_unix_socket_only_by_default(own_cluster):
    pg = own_cluster.ensure()
    assert (pg.socket_dir / ".s.PGSQL.5432").exists()
    assert pg.psql("postgres", "SHOW listen_addresses").strip() == ""
    assert "host=" in pg.url() and "@/" in pg.url()


def test_missing_postgis_names_the_package(own_cluster, monkeypatch):
    monkeypatch.setattr(embedded_pg, "_postgis_available", lambda bindir: False)
    with pytest.raises(EmbeddedPostgresError, match="postgis"):
        own_cluster.ensure()


def test_missing_server_names_the_package(monkeypatch):
    monkeypatch.setattr(embedded_pg.glob, "glob", lambda pattern: [])
    monkeypatch.setattr(embedded_pg.shutil, "which", lambda name: None)
    monkeypatch.setenv("SMULTRON_PG_BINDIR", "/nonexistent")
    with pytest.raises(EmbeddedPostgresError, match="apt-get install postgresql"):
        embedded_pg._find_bindir()


def test_the_folder_does_not_depend_on_whether_instance_exists_yet():
    """The folder's parent (instance/) is made before anything is decided, and a cluster
    that exists is used where it is: every command picks the same folder."""
    base = Path(tempfile.mkdtemp(prefix="smt-clone-"))
    try:
        base.chmod(0o755)
        wanted = base / "instance" / "postgres"
        first = EmbeddedPostgres(wanted)
        assert (base / "instance").is_dir()
        assert EmbeddedPostgres(wanted).base_dir == first.base_dir
        if os.geteuid() == 0:  # /tmp/… is reachable by the postgres user: no fallback
            assert first.base_dir == wanted
    finally:
        shutil.rmtree(base)
