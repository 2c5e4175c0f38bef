"""Shared by the benchmarks: servers on free ports, users and tokens, waiting, tables."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from generate import Generated, free_port  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from smultron import accounts  # noqa: E402
from smultron.core.db import make_engine  # noqa: E402

PASSWORD = "bench password 2026"  # noqa: S105 - a throwaway benchmark database
SECRET = "bench-secret-not-for-production"  # noqa: S105


def planner_token(data: Generated, email: str = "planner@bench.example") -> str:
    """A planner account with an API token in the generated database."""
    engine = make_engine(data.url)
    with sessionmaker(engine)() as session:
        user = accounts.create_user(session, email, "planner", PASSWORD)
        token = accounts.create_token(session, user, "bench")
        session.commit()
    engine.dispose()
    return token


def staff_account(data: Generated, preschool_names: list[str], email: str) -> None:
    engine = make_engine(data.url)
    with sessionmaker(engine)() as session:
        accounts.create_user(session, email, "staff", PASSWORD, preschool_names)
        session.commit()
    engine.dispose()


def app_env(data: Generated, **extra) -> dict:
    return {**os.environ, "DATABASE_URL": data.url, "SMULTRON_ENV": "production",
            "SMULTRON_SECRET_KEY": SECRET, "SMULTRON_INSECURE_COOKIES": "1",
            "SMULTRON_TILE_URL": "", "SMULTRON_LOGIN_RATE_LIMIT": "100000 per minute",
            **extra}


@contextmanager
def server(argv: list[str], env: dict, url_to_poll: str, cwd: Path = ROOT, timeout: float = 60):
    """Start a server process, wait until ``url_to_poll`` answers, stop it afterwards."""
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            wait_for(url_to_poll, proc, log, timeout)
            yield proc
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def wait_for(url: str, proc, log, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise SystemExit(f"{' '.join(proc.args[:3])} did not start:\n"
                             f"{log.read().decode(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                if response.status < 500:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def gunicorn(app: str, port: int, workers: int, bin_dir: Path = VENV_BIN,
             worker_class: str = "sync", threads: int = 1, preload: bool = False) -> list[str]:
    return [str(bin_dir / "gunicorn"), "--workers", str(workers), "--worker-class",
            worker_class, "--threads", str(threads), "--bind", f"127.0.0.1:{port}",
            "--log-level", "warning", *(["--preload"] if preload else []), app]


__all__ = ["free_port", "planner_token", "app_env", "server", "gunicorn", "ROOT"]
