"""The embedded PostGIS cluster: one PostgreSQL server that Smultron runs itself.

Used when DATABASE_URL is unset (``make run``, the CLI) and by the test suite.
The cluster lives in a folder (``instance/postgres`` by default) and listens on a
Unix socket inside it; no TCP port is opened unless one is asked for. As root,
the server runs as the ``postgres`` user, because initdb refuses to run as root.
"""

from __future__ import annotations

import glob
import hashlib
import os
import pwd
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DB_NAME = "smultron"
SOCKET_PORT = 5432
TEST_SETTINGS = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")


class EmbeddedPostgresError(RuntimeError):
    """Something the person running Smultron must fix (a missing package, say)."""


def _find_bindir() -> Path:
    candidates = [os.environ.get("SMULTRON_PG_BINDIR", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += sorted(glob.glob("/opt/homebrew/opt/postgresql@*/bin"), reverse=True)
    candidates += sorted(glob.glob("/usr/local/opt/postgresql@*/bin"), reverse=True)
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        candidates.append(str(Path(pg_ctl).parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    raise EmbeddedPostgresError(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install them with "
        "'apt-get install postgresql postgresql-15-postgis-3' (Debian/Ubuntu) or "
        "'brew install postgresql@15 postgis' (macOS), or run 'make run', "
        "or set DATABASE_URL to an existing PostGIS database."
    )


def _check_identifier(*names: str | None) -> None:
    for name in names:
        if name is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,62}", name):
            raise EmbeddedPostgresError(f"'{name}' is not a plain database name")


def _postgis_available(bindir: Path) -> bool:
    sharedir = subprocess.run(
        [str(bindir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False
    ).stdout.strip()
    return bool(sharedir) and (Path(sharedir) / "extension" / "postgis.control").exists()


def fallback_folder(wanted: Path) -> Path:
    """Where a root-run cluster lives when the ``postgres`` user cannot reach ``wanted``
    (a clone under /root, which is 0700)."""
    digest = hashlib.sha256(str(wanted).encode()).hexdigest()[:12]
    return Path("/var/lib/smultron") / digest


def _folder_for_root(wanted: Path) -> Path:
    """The cluster's folder when running as root, the same for every command and every run:
    a cluster that exists already is used where it is; otherwise ``wanted``'s parent (say
    ``instance/``) is made first, so that whether the ``postgres`` user can reach it never
    depends on which command happened to create it."""
    fallback = fallback_folder(wanted)
    for folder in (wanted, fallback):
        if (folder / "data" / "PG_VERSION").exists():
            return folder
    wanted.parent.mkdir(parents=True, exist_ok=True)
    return wanted if _reachable_by_postgres(wanted.parent) else fallback


def _reachable_by_postgres(path: Path) -> bool:
    try:
        pwd.getpwnam("postgres")
    except KeyError as exc:
        raise EmbeddedPostgresError(
            "Running as root needs a 'postgres' system user to run the database server "
            "(the postgresql package creates it)."
        ) from exc
    probe = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(path)],
                           check=False)
    return probe.returncode == 0


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL cluster in ``base_dir``; ``ensure()`` makes it exist and run."""

    base_dir: Path
    port: int | None = None  # a TCP port on 127.0.0.1, only when asked for
    fast: bool = False  # no fsync: for throwaway test clusters only
    bindir: Path = field(default_factory=_find_bindir)
    started_here: bool = False

    def __post_init__(self) -> None:
        self.base_dir = Path(self.base_dir).absolute()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            self.base_dir = _folder_for_root(self.base_dir)

    # -- paths and URLs ---------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base_dir

    @property
    def log_file(self) -> Path:
        return self.base_dir / "server.log"

    def url(self, dbname: str = DB_NAME) -> str:
        port = self.port or SOCKET_PORT
        return f"postgresql+psycopg://postgres@/{dbname}?host={self.socket_dir}&port={port}"

    def libpq_url(self, dbname: str = DB_NAME) -> str:
        """A plain libpq URI (for ADBC, ogr2ogr, psql)."""
        port = self.port or SOCKET_PORT
        return f"postgresql://postgres@/{dbname}?host={self.socket_dir}&port={port}"

    # -- life cycle --------------------------------------------------------
    def ensure(self, dbname: str = DB_NAME) -> EmbeddedPostgres:
        """Create the cluster once, start it unless it runs, create db and PostGIS."""
        if not _postgis_available(self.bindir):
            raise EmbeddedPostgresError(
                f"PostGIS is not installed for the PostgreSQL in {self.bindir}. Install it with "
                "'apt-get install postgresql-15-postgis-3' (Debian/Ubuntu, match your version) "
                "or 'brew install postgis' (macOS), or run 'make run'."
            )
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        if not self.is_running():
            self.start()
        self.create_database(dbname)
        return self

    def is_running(self) -> bool:
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        done = self._run(["pg_ctl", "-D", str(self.data_dir), "status"], check=False)
        return done.returncode == 0

    def start(self) -> None:
        options = [f"-p {self.port or SOCKET_PORT}", f"-k {self.socket_dir}"]
        options.append(f"-c listen_addresses={'127.0.0.1' if self.port else chr(39) * 2}")
        if self.fast:
            options += [f"-c {setting}" for setting in TEST_SETTINGS]
        self._run(
            ["pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_file), "-w", "-t", "60",
             "-o", " ".join(options), "start"],
            failure="PostgreSQL did not start",
        )
        self.started_here = True

    def stop(self) -> None:
        if self.is_running():
            self._run(["pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                      check=False)
        self.started_here = False

    def restart(self) -> None:
        self.stop()
        self.start()

    def create_database(self, dbname: str, template: str | None = None) -> None:
        """Create ``dbname`` (with PostGIS) unless it exists."""
        _check_identifier(dbname, template)
        exists = self.psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{dbname}'")  # noqa: S608
        if exists.strip() != "1":
            clause = f' TEMPLATE "{template}"' if template else ""
            self.psql("postgres", f'CREATE DATABASE "{dbname}"{clause}')
        if template is None:
            self.psql(dbname, "CREATE EXTENSION IF NOT EXISTS postgis")

    def drop_database(self, dbname: str) -> None:
        _check_identifier(dbname)
        self.psql("postgres", f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')

    def psql(self, dbname: str, sql: str) -> str:
        port = str(self.port or SOCKET_PORT)
        done = self._run(
            ["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h", str(self.socket_dir),
             "-p", port, "-U", "postgres", "-d", dbname, "-c", sql],
            failure=f"SQL failed on {dbname}",
        )
        return done.stdout

    def replica(self, base_dir: Path) -> EmbeddedPostgres:
        """A streaming replica of this running cluster in ``base_dir`` (its own socket),
        made once by pg_basebackup -R (standby.signal and primary_conninfo written for
        it), started. Read-only: it replays the primary's WAL as it is streamed."""
        standby = EmbeddedPostgres(base_dir, fast=self.fast, bindir=self.bindir)
        if not (standby.data_dir / "PG_VERSION").exists():
            standby.base_dir.mkdir(parents=True, exist_ok=True)
            if standby._as_postgres:
                shutil.chown(standby.base_dir, "postgres", "postgres")
            self._run(["pg_basebackup", "-D", str(standby.data_dir), "-h", str(self.socket_dir),
                       "-p", str(self.port or SOCKET_PORT), "-U", "postgres", "-R",
                       "-X", "stream", "-c", "fast"],
                      failure="pg_basebackup failed")
        if not standby.is_running():
            standby.start()
        return standby

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)

    # -- helpers -------------------------------------------------------------
    def _initdb(self) -> None:
        self.base_dir.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.base_dir, "postgres", "postgres")
        self._run(
            ["initdb", "-D", str(self.data_dir), "-U", "postgres", "-A", "trust",
             "-E", "UTF8", "--no-locale"],
            failure="initdb failed",
        )

    def _run(self, argv: list[str], failure: str = "", check: bool = True):
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False,
                              cwd="/", env={**os.environ, "LC_ALL": "C"})
        if check and done.returncode != 0:
            log = self.log_file.read_text()[-2000:] if self.log_file.exists() else ""
            raise EmbeddedPostgresError(f"{failure}: {done.stderr.strip()}\n{log}".strip())
        return done


def wait_until_ready(pg: EmbeddedPostgres, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pg.is_running():
            return
        time.sleep(0.1)
    raise EmbeddedPostgresError("PostgreSQL did not become ready")
