"""A real S3-compatible object store for the tests: Ceph's RADOS Gateway (Debian's
``radosgw``, the S3 API of Ceph as run in production) on a throwaway one-node Ceph
cluster of its own: one monitor, one OSD (BlueStore in a sparse file) and the gateway,
all on loopback ports, no authentication inside the cluster, under a temporary folder.

Started once per test process by the session fixture ``s3_server`` (tests/conftest.py),
about 6 s; its logs are in the RuntimeError when it does not come up."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.sso_helpers import free_port

BINARIES = ("ceph-mon", "ceph-osd", "radosgw", "radosgw-admin", "monmaptool", "ceph-authtool",
            "ceph")
ACCESS_KEY = "SMULTRONTESTKEY"
SECRET_KEY = "smultron-test-secret-not-for-production"
BUCKET = "smultron-photos"


def available() -> bool:
    return all(shutil.which(name) for name in BINARIES)


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    bucket: str = BUCKET
    access_key: str = ACCESS_KEY
    secret_key: str = SECRET_KEY

    def client(self):
        """A boto3 client of our own, to look into the bucket behind the app's back."""
        import boto3
        from botocore.config import Config

        return boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1",
                            aws_access_key_id=self.access_key,
                            aws_secret_access_key=self.secret_key,
                            config=Config(s3={"addressing_style": "path"},
                                          request_checksum_calculation="when_required",
                                          response_checksum_validation="when_required"))

    def keys(self, prefix: str = "") -> list[str]:
        answer = self.client().list_objects_v2(Bucket=self.bucket, Prefix=prefix)
        return sorted(item["Key"] for item in answer.get("Contents", ()))

    def config(self, prefix: str, **overrides) -> dict:
        """The app's PHOTO_STORE* settings for this server under ``prefix``."""
        return {"PHOTO_STORE": f"s3://{self.bucket}/{prefix}",
                "PHOTO_STORE_ENDPOINT": self.endpoint,
                "PHOTO_STORE_ACCESS_KEY": self.access_key,
                "PHOTO_STORE_SECRET_KEY": self.secret_key, **overrides}


def _conf(base: Path, mon_port: int, rgw_port: int) -> str:
    return f"""[global]
fsid = {uuid.uuid4()}
mon host = v1:127.0.0.1:{mon_port}
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
mon warn on insecure global id reclaim allowed = false
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd pool default pg num = 1
osd pool default pgp num = 1
paxos propose interval = 0.05
paxos min wait = 0.01
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 1
osd objectstore = bluestore
bluestore block create = true
bluestore block size = 4294967296
bluestore fsck on mkfs = false
bluestore cache autotune = false
bluestore cache size = 134217728
osd memory target = 939524096
osd crush chooseleaf type = 0
# A daemon that asks the monitor before it has the monitor's map is refused ("wrong fsid",
# the ceph CLI's "problem getting command descriptions"), and an OSD refused at start
# stops: it asks nothing at start, its place in the CRUSH map is set beforehand.
osd class update on start = false
osd crush update on start = false
run dir = {base}/run
admin socket = {base}/run/$name.asok
log file = {base}/log/$name.log
pid file = {base}/run/$name.pid
keyring = {base}/keyring
mon data = {base}/mon/$cluster-$id
osd data = {base}/osd/$cluster-$id
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:{rgw_port}
rgw data = {base}/rgw
"""


class _Cluster:
    def __init__(self, base: Path):
        self.base = base
        self.conf = base / "ceph.conf"
        self.processes: list[subprocess.Popen] = []

    def run(self, *argv: str, tries: int = 5) -> str:
        """A command to the cluster; retried, since a client that asks the monitor before
        it has the monitor's map is refused ("problem getting command descriptions")."""
        for attempt in range(tries):
            done = subprocess.run([argv[0], "-c", str(self.conf), *argv[1:]],
                                  capture_output=True, text=True, timeout=60, check=False)
            if done.returncode == 0:
                return done.stdout.strip()
            time.sleep(0.2 * (attempt + 1))
        raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr[-2000:]}\n{self.logs()}")

    def start(self, *argv: str) -> subprocess.Popen:
        out = open(self.base / "log" / f"{argv[0]}.out", "w")  # noqa: SIM115
        process = subprocess.Popen([argv[0], "-c", str(self.conf), "-f", *argv[1:]],
                                   stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self.processes.append(process)
        return process

    def logs(self) -> str:
        parts = []
        for path in sorted((self.base / "log").glob("*")):
            parts.append(f"--- {path.name}\n{path.read_text(errors='replace')[-3000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        """Killed, not shut down: the cluster and its data are thrown away (a graceful
        OSD shutdown takes seconds)."""
        for process in self.processes:
            process.kill()
        for process in self.processes:
            process.wait(10)


def _bootstrap(cluster: _Cluster, mon_port: int) -> None:
    base = cluster.base
    for name in ("run", "log", "mon", "osd", "rgw"):
        (base / name).mkdir()
    subprocess.run(["ceph-authtool", "--create-keyring", str(base / "keyring"), "--gen-key",
                    "-n", "mon.", "--cap", "mon", "allow *"], capture_output=True, check=True)
    fsid = next(line.split(" = ")[1] for line in cluster.conf.read_text().splitlines()
                if line.startswith("fsid"))
    subprocess.run(["monmaptool", "--create", "--addv", "a", f"[v1:127.0.0.1:{mon_port}]",
                    "--fsid", fsid, str(base / "monmap")], capture_output=True, check=True)
    cluster.run("ceph-mon", "--mkfs", "-i", "a", "--monmap", str(base / "monmap"),
                "--keyring", str(base / "keyring"))
    cluster.start("ceph-mon", "-i", "a")
    osd_uuid = str(uuid.uuid4())
    osd = cluster.run("ceph", "osd", "new", osd_uuid)
    cluster.run("ceph", "osd", "crush", "add", f"osd.{osd}", "1.0", "root=default")
    (base / "osd" / f"ceph-{osd}").mkdir()
    cluster.run("ceph-osd", "-i", osd, "--mkfs", "--osd-uuid", osd_uuid)
    cluster.start("ceph-osd", "-i", osd)
    cluster.start("radosgw", "-n", "client.rgw")


def _wait(cluster: _Cluster, endpoint: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in cluster.processes):
            raise RuntimeError(f"a Ceph daemon stopped:\n{cluster.logs()}")
        try:
            if requests.get(endpoint, timeout=2).status_code in (200, 403):
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"the RADOS Gateway at {endpoint} did not answer:\n{cluster.logs()}")


def _start(tries: int = 3) -> tuple[_Cluster, S3Server]:
    """A cluster up with its gateway answering; started afresh up to ``tries`` times (a
    daemon may still lose the race above)."""
    for attempt in range(tries):
        base = Path(tempfile.mkdtemp(prefix="smt-s3-"))
        mon_port, rgw_port = free_port(), free_port()
        cluster = _Cluster(base)
        cluster.conf.write_text(_conf(base, mon_port, rgw_port))
        try:
            _bootstrap(cluster, mon_port)
            server = S3Server(f"http://127.0.0.1:{rgw_port}")
            _wait(cluster, server.endpoint)
            return cluster, server
        except RuntimeError:
            cluster.stop()
            shutil.rmtree(base, ignore_errors=True)
            if attempt == tries - 1:
                raise
    raise AssertionError("unreachable")


@contextmanager
def rgw_process():
    """A running gateway with a user and an empty bucket: yields an ``S3Server``."""
    cluster, server = _start()
    try:
        cluster.run("radosgw-admin", "user", "create", "--uid=smultron",
                    "--display-name=Smultron tests", f"--access-key={ACCESS_KEY}",
                    f"--secret-key={SECRET_KEY}")
        s3 = server.client()
        s3.create_bucket(Bucket=server.bucket)  # (the gateway makes its pools now: ~1 s)
        s3.put_object(Bucket=server.bucket, Key="warm-up", Body=b"x")
        s3.delete_object(Bucket=server.bucket, Key="warm-up")
        yield server
    finally:
        cluster.stop()
        shutil.rmtree(cluster.base, ignore_errors=True)
