"""deploy/'s production topology on this one machine (make topology, make topology-stop).

    .venv/bin/python deploy/topology.py start [--instances 2] [--dir DIR] [--port 8400]
    .venv/bin/python deploy/topology.py stop | status
    .venv/bin/python deploy/topology.py node-stop|node-start|node-kill pg1|pg2

Every part is Debian's package run as in production, from the files in deploy/ filled in
with loopback addresses and folders under ``--dir``: one etcd, two Patroni nodes (PostgreSQL
with PostGIS), HAProxy (the app on ``--port``, the primary on +1, a replica on +2),
pgbouncer in transaction mode (+3), Redis (+4) and ``--instances`` gunicorn instances of
the app (+30…). The passwords are generated once into ``<dir>/secrets/`` (mode 0600) and
handed to the processes in their environment. The demo data is loaded through pgbouncer.
Only the standard library: it runs before anything else is set up.
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent
ROOT = DEPLOY.parent
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
NODES = ("pg1", "pg2")
THREADS = 4  # gunicorn threads per worker
SECRETS = ("superuser", "replication", "app", "secret_key")
# the processes this Python process started (kept, so they are reaped and not reported as
# dropped while running): pid -> Popen
_CHILDREN: dict[int, subprocess.Popen] = {}


class TopologyError(RuntimeError):
    """Something did not start or answer; the message says what and where its log is."""


@dataclass
class Topology:
    """Where everything is: written to ``<dir>/topology.json`` by ``start``."""

    base: str
    port: int
    instances: int = 2
    pids: dict = field(default_factory=dict)

    # -- addresses ----------------------------------------------------------------
    @property
    def app_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def instance_url(self, index: int) -> str:
        return f"http://{HOST}:{self.port + 30 + index}"

    def ports(self) -> dict:
        p = self.port
        return {"APP_PORT": p, "PRIMARY_PORT": p + 1, "REPLICA_PORT": p + 2,
                "PGBOUNCER_PORT": p + 3, "REDIS_PORT": p + 4, "ETCD_PORT": p + 5,
                "ETCD_PEER_PORT": p + 6}

    def node_ports(self, node: str) -> tuple[int, int]:
        """(PostgreSQL, Patroni REST) ports of ``node``."""
        index = NODES.index(node)
        return self.port + 10 + index, self.port + 20 + index

    def database_url(self, reports: bool = False, user: str = "smultron") -> str:
        name = "smultron_reports" if reports else "smultron"
        password = self.secret("app")
        return (f"postgresql+psycopg://{user}:{password}@{HOST}:{self.port + 3}/{name}")

    def primary_libpq(self) -> str:
        """The primary through HAProxy, not pgbouncer (for checks and pg_dump)."""
        return f"postgresql://smultron:{self.secret('app')}@{HOST}:{self.port + 1}/smultron"

    # -- folders -----------------------------------------------------------------
    def path(self, *parts: str) -> Path:
        return Path(self.base, *parts)

    def secret(self, name: str) -> str:
        return self.path("secrets", name).read_text().strip()

    def save(self) -> None:
        self.path("topology.json").write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, base: Path) -> Topology:
        state = base / "topology.json"
        if not state.exists():
            raise TopologyError(f"no topology in {base} (start it with make topology)")
        return cls(**json.loads(state.read_text()))


# -- small helpers -------------------------------------------------------------------

def _as_root() -> bool:
    return os.geteuid() == 0


def _owner_kwargs() -> dict:
    """Popen arguments that run a PostgreSQL-side process as ``postgres`` when we are root
    (PostgreSQL, Patroni and pgbouncer refuse to run as root)."""
    if not _as_root():
        return {}
    return {"user": "postgres", "group": "postgres", "extra_groups": []}


def _chown(path: Path) -> None:
    if _as_root():
        shutil.chown(path, "postgres", "postgres")


def _reachable_by_postgres(path: Path) -> bool:
    if not _as_root():
        return True
    pwd.getpwnam("postgres")
    return subprocess.run(["runuser", "-u", "postgres", "--", "test", "-w", str(path)],
                          check=False).returncode == 0


def default_base() -> Path:
    """instance/topology, or a folder under /var/lib/smultron when the postgres user cannot
    reach the checkout (a clone under /root, which is 0700)."""
    wanted = ROOT / "instance" / "topology"
    wanted.mkdir(parents=True, exist_ok=True)
    if _as_root():
        wanted.chmod(0o755)
        _chown(wanted)
    if _reachable_by_postgres(wanted):
        return wanted
    import hashlib

    return Path("/var/lib/smultron") / (hashlib.sha256(str(wanted).encode()).hexdigest()[:12]
                                        + "-topology")


def _render(template: str, target: Path, values: dict) -> Path:
    text = string.Template((DEPLOY / template).read_text()).substitute(values)
    target.write_text(text)
    _chown(target)
    return target


def _spawn(topology: Topology, name: str, argv: list[str], env: dict | None = None,
           as_postgres: bool = False) -> int:
    log = topology.path("log", f"{name}.out").open("ab")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, cwd=topology.base,
                            env={**os.environ, **(env or {})}, start_new_session=True,
                            **(_owner_kwargs() if as_postgres else {}))
    log.close()
    _CHILDREN[proc.pid] = proc
    topology.pids[name] = proc.pid
    topology.save()
    return proc.pid


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    if pid in _CHILDREN:
        return _CHILDREN[pid].poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie (our own child, not reaped yet) is not alive
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return False


def http_status(url: str, timeout: float = 2.0) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def wait(what: str, condition, topology: Topology, log: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    tail = ""
    log_file = topology.path("log", f"{log}.out")
    if log_file.exists():
        tail = log_file.read_text(errors="replace")[-3000:]
    raise TopologyError(f"{what} within {timeout:.0f} s; {log_file}:\n{tail}")


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((HOST, port)) == 0


# -- the parts -----------------------------------------------------------------------

def _folders(topology: Topology) -> None:
    for part in ("log", "run", "secrets", "etcd", "conf", *NODES):
        folder = topology.path(part)
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700 if part in ("secrets", *NODES) else 0o755)
        _chown(folder)
    for name in SECRETS:
        secret = topology.path("secrets", name)
        if not secret.exists():
            secret.write_text(secrets.token_urlsafe(32))
            secret.chmod(0o600)
    # pgbouncer's auth_file: the app role's password (pgbouncer logs in with it too)
    users = topology.path("secrets", "pgbouncer-users.txt")
    users.write_text(f'"smultron" "{topology.secret("app")}"\n')
    users.chmod(0o600)
    for path in (users, *(topology.path("secrets", n) for n in SECRETS)):
        _chown(path)


def start_etcd(topology: Topology) -> None:
    ports = topology.ports()
    client, peer = f"http://{HOST}:{ports['ETCD_PORT']}", f"http://{HOST}:{ports['ETCD_PEER_PORT']}"
    _spawn(topology, "etcd", [
        "etcd", "--name", "etcd1", "--data-dir", str(topology.path("etcd", "data")),
        "--listen-client-urls", client, "--advertise-client-urls", client,
        "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
        "--initial-cluster", f"etcd1={peer}", "--initial-cluster-state", "new",
        "--logger", "zap", "--log-outputs", "stderr"])
    wait("etcd did not answer", lambda: http_status(f"{client}/health") == 200, topology, "etcd")


def _patroni_env(topology: Topology) -> dict:
    return {"PATRONI_SUPERUSER_PASSWORD": topology.secret("superuser"),
            "PATRONI_REPLICATION_PASSWORD": topology.secret("replication")}


def _bindir() -> str:
    import glob

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), reverse=True)
    if not found:
        raise TopologyError("PostgreSQL's server binaries are not installed (make system)")
    return str(Path(found[0]).parent)


def start_node(topology: Topology, node: str) -> None:
    pg_port, rest_port = topology.node_ports(node)
    values = {"NODE": node, "REST_HOST": HOST,
              "REST_PORT": rest_port, "ETCD_HOSTS": f"{HOST}:{topology.ports()['ETCD_PORT']}",
              "PG_HOST": HOST, "PG_PORT": pg_port, "DATA_DIR": topology.path(node, "data"),
              "BIN_DIR": _bindir(), "PGPASS": topology.path(node, "pgpass"),
              "SOCKET_DIR": topology.path(node), "CLIENT_NET": f"{HOST}/32"}
    config = _render("patroni.yml", topology.path("conf", f"patroni-{node}.yml"), values)
    _spawn(topology, node, ["patroni", str(config)], _patroni_env(topology), as_postgres=True)
    wait(f"Patroni {node} did not answer", lambda: http_status(
        f"http://{HOST}:{rest_port}/health") is not None, topology, node)


def node_role(topology: Topology, node: str) -> str | None:
    """'primary', 'replica' (streaming) or None, as Patroni's REST API says."""
    rest = topology.node_ports(node)[1]
    if http_status(f"http://{HOST}:{rest}/primary") == 200:
        return "primary"
    if http_status(f"http://{HOST}:{rest}/replica") == 200:
        return "replica"
    return None


def leader(topology: Topology) -> str | None:
    for node in NODES:
        if node_role(topology, node) == "primary":
            return node
    return None


def _psql(topology: Topology, node: str, dbname: str, sql: str) -> str:
    pg_port = topology.node_ports(node)[0]
    argv = [str(Path(_bindir()) / "psql"), "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
            "-h", str(topology.path(node)), "-p", str(pg_port), "-U", "postgres",
            "-d", dbname, "-c", sql]
    if _as_root():
        argv = ["runuser", "-u", "postgres", "--", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd="/")
    if done.returncode != 0:
        raise TopologyError(f"psql on {node} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def create_database(topology: Topology, node: str) -> None:
    """The app's role and database with PostGIS (once, on the primary)."""
    if _psql(topology, node, "postgres", "SELECT 1 FROM pg_roles WHERE rolname = 'smultron'"):
        return
    password = topology.secret("app").replace("'", "''")
    _psql(topology, node, "postgres",
          f"CREATE ROLE smultron LOGIN PASSWORD '{password}'")  # noqa: S608 - generated
    _psql(topology, node, "postgres", "CREATE DATABASE smultron OWNER smultron")
    _psql(topology, node, "smultron", "CREATE EXTENSION IF NOT EXISTS postgis")


def start_proxies(topology: Topology) -> None:
    run, ports = topology.path("run"), topology.ports()
    values = {**ports, "LISTEN_HOST": HOST, "RUN_DIR": run, "LOG_DIR": topology.path("log"),
              "HAPROXY_HOST": HOST, "AUTH_FILE": topology.path("secrets", "pgbouncer-users.txt"),
              "APP_SERVERS": "\n".join(
                  f"    server app{i + 1} {HOST}:{topology.port + 30 + i} check"
                  for i in range(topology.instances)),
              "PRIMARY_SERVERS": _pg_servers(topology), "REPLICA_SERVERS": _pg_servers(topology),
              "APP_MAXCONN": _workers() * THREADS}
    haproxy = _render("haproxy.cfg", topology.path("conf", "haproxy.cfg"), values)
    check = subprocess.run(["haproxy", "-c", "-q", "-f", str(haproxy)], capture_output=True,
                           text=True, check=False)
    if check.returncode != 0:
        raise TopologyError(f"haproxy.cfg is wrong: {check.stdout}{check.stderr}")
    _spawn(topology, "haproxy", ["haproxy", "-W", "-db", "-f", str(haproxy)])
    pgbouncer = _render("pgbouncer.ini", topology.path("conf", "pgbouncer.ini"), values)
    argv = ["pgbouncer", str(pgbouncer)]
    _spawn(topology, "pgbouncer", argv, as_postgres=True)
    redis = _render("redis.conf", topology.path("conf", "redis.conf"), values)
    _spawn(topology, "redis", ["redis-server", str(redis)])
    for name, port in (("haproxy", ports["PRIMARY_PORT"]), ("pgbouncer", ports["PGBOUNCER_PORT"]),
                       ("redis", ports["REDIS_PORT"])):
        wait(f"{name} did not listen on {port}", lambda p=port: _port_open(p), topology, name)


def _pg_servers(topology: Topology) -> str:
    lines = []
    for node in NODES:
        pg_port, rest_port = topology.node_ports(node)
        lines.append(f"    server {node} {HOST}:{pg_port} check port {rest_port}")
    return "\n".join(lines)


def app_env(topology: Topology) -> dict:
    """The app instances' environment: every setting as production has it."""
    return {"SMULTRON_ENV": "production", "SMULTRON_SECRET_KEY": topology.secret("secret_key"),
            "DATABASE_URL": topology.database_url(),
            "REPORTS_DATABASE_URL": topology.database_url(reports=True),
            "SMULTRON_DB_POOLER": "transaction",
            "REDIS_URL": f"redis://{HOST}:{topology.ports()['REDIS_PORT']}/0",
            "SMULTRON_PROXY_HOPS": "1", "SMULTRON_INSECURE_COOKIES": "1",
            "SMULTRON_TILE_URL": os.environ.get("SMULTRON_TILE_URL", "")}


def smultron_cli(topology: Topology, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([str(VENV_BIN / "smultron"), *args], input=stdin,
                          capture_output=True, text=True, check=False, cwd=ROOT,
                          env={**os.environ, **app_env(topology), "SMULTRON_ENV": "development"})
    if done.returncode != 0:
        raise TopologyError(f"smultron {' '.join(args)} failed: {done.stdout}{done.stderr}")
    return done.stdout


def _workers() -> int:
    return int(os.environ.get("SMULTRON_TOPOLOGY_WORKERS", "2"))


def start_app(topology: Topology, index: int) -> None:
    port = topology.port + 30 + index
    _spawn(topology, f"app{index + 1}", [
        str(VENV_BIN / "gunicorn"), "--workers", str(_workers()),
        "--worker-class", "gthread", "--threads", str(THREADS), "--bind", f"{HOST}:{port}",
        "--graceful-timeout", "5", "--log-level", "warning", "smultron:create_app()"],
        app_env(topology))


def _wait_app(topology: Topology) -> None:
    for index in range(topology.instances):
        url = f"{topology.instance_url(index)}/healthz"
        wait(f"app instance {index + 1} did not answer {url}",
             lambda u=url: http_status(u) == 200, topology, f"app{index + 1}", timeout=90)
    wait("HAProxy did not pass /healthz to the app",
         lambda: http_status(f"{topology.app_url}/healthz") == 200, topology, "haproxy")


# -- the commands --------------------------------------------------------------------

def start(base: Path, port: int, instances: int = 2, demo: bool = True) -> Topology:
    """Start everything (or what of it is not running) and wait until the app answers
    through HAProxy."""
    base.mkdir(parents=True, exist_ok=True)
    topology = Topology(str(base), port, instances)
    if topology.path("topology.json").exists():
        old = Topology.load(base)
        if any(_alive(pid) for pid in old.pids.values()):
            raise TopologyError(f"a topology runs in {base} already (make topology-stop)")
    _folders(topology)
    topology.save()
    start_etcd(topology)
    for node in NODES:
        start_node(topology, node)
        wait(f"Patroni {node} did not join as primary or replica",
             lambda n=node: node_role(topology, n) is not None, topology, node, timeout=90)
    create_database(topology, leader(topology))
    start_proxies(topology)
    smultron_cli(topology, "db", "upgrade")
    if demo:
        print(smultron_cli(topology, "demo", "--if-empty").strip())
    for index in range(instances):
        start_app(topology, index)
    _wait_app(topology)
    return topology


def stop_process(topology: Topology, name: str, sig: int = signal.SIGTERM,
                 timeout: float = 30) -> None:
    pid = topology.pids.get(name)
    if not _alive(pid):
        return
    os.kill(pid, sig)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if _alive(pid):
        os.killpg(pid, signal.SIGKILL)


def node_kill(topology: Topology, node: str) -> None:
    """The node dies at once (kill -9 of Patroni and of its PostgreSQL), as a machine that
    loses power: nothing is handed over, the leader key expires after its ttl."""
    postmaster = topology.path(node, "data", "postmaster.pid")
    pids = [topology.pids.get(node)]
    if postmaster.exists():
        pids.append(int(postmaster.read_text().split()[0]))
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)


def stop(base: Path) -> None:
    topology = Topology.load(base)
    order = [f"app{i + 1}" for i in range(topology.instances)]
    order += ["haproxy", "pgbouncer", "redis", *reversed(NODES), "etcd"]
    for name in order:
        stop_process(topology, name)
    for node in NODES:  # a PostgreSQL left behind by a killed Patroni
        postmaster = topology.path(node, "data", "postmaster.pid")
        if postmaster.exists():
            pid = int(postmaster.read_text().split()[0])
            if _alive(pid):
                os.kill(pid, signal.SIGINT)
    topology.pids = {}
    topology.save()


def status(topology: Topology) -> dict:
    running = {name: _alive(pid) for name, pid in topology.pids.items()}
    return {"running": running, "roles": {n: node_role(topology, n) for n in NODES},
            "app": topology.app_url, "healthz": http_status(f"{topology.app_url}/healthz")}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "stop", "status", "node-stop",
                                            "node-start", "node-kill"])
    parser.add_argument("node", nargs="?", choices=NODES)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--port", type=int, default=int(os.environ.get(
        "SMULTRON_TOPOLOGY_PORT", "8400")))
    parser.add_argument("--instances", type=int, default=2)
    args = parser.parse_args(argv)
    base = (args.dir or default_base()).absolute()
    try:
        return _command(args, base)
    except TopologyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def _command(args, base: Path) -> int:
    if args.command == "start":
        topology = start(base, args.port, args.instances)
        print(f"Smultron runs at {topology.app_url} (HAProxy → {topology.instances} gunicorn "
              f"instances; pgbouncer, Patroni {leader(topology)} primary, Redis); "
              f"files in {base}. Stop it with: make topology-stop")
        return 0
    if args.command == "stop":
        stop(base)
        print("The topology is stopped.")
        return 0
    topology = Topology.load(base)
    if args.command == "status":
        print(json.dumps(status(topology), indent=2))
    elif args.command == "node-stop":
        stop_process(topology, args.node)
    elif args.command == "node-kill":
        node_kill(topology, args.node)
    elif args.command == "node-start":
        start_node(topology, args.node)
    return 0


if __name__ == "__main__":
    sys.exit(main())
