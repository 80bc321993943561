"""Test support: a real barged on a temporary socket and data root."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_BIN = os.path.dirname(sys.executable)
BARGE = os.path.join(VENV_BIN, "barge")
BARGED = os.path.join(VENV_BIN, "barged")


def needs_root():
    if os.geteuid() != 0 or not shutil.which("runc") or not shutil.which("conmon"):
        pytest.skip("needs root, runc and conmon")


class Daemon:
    """One barged process with its own socket, data root and exec root."""

    def __init__(self, data_root: str | None = None) -> None:
        tag = uuid.uuid4().hex[:8]
        self.base = tempfile.mkdtemp(prefix=f"barge-test-{tag}-")
        self.data_root = data_root or os.path.join(self.base, "data")
        self.exec_root = f"/run/bt-{tag}"        # short: conmon's attach socket path must fit
        self.sock = os.path.join(self.exec_root, "barge.sock")
        self.host = f"unix://{self.sock}"
        self.log = os.path.join(self.base, "barged.log")
        self.proc: subprocess.Popen | None = None
        self.bridge = f"bt-{tag}"                # each test daemon has a default bridge of its own
        self.config = os.path.join(self.base, "daemon.json")
        with open(self.config, "w") as f:
            json.dump({"bridge": self.bridge}, f)

    def configure(self, **values) -> None:
        """Merge keys into daemon.json (effective at the next start)."""
        with open(self.config) as f:
            cfg = json.load(f)
        cfg.update(values)
        with open(self.config, "w") as f:
            json.dump(cfg, f)

    def start(self) -> "Daemon":
        os.makedirs(self.exec_root, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [BARGED, "-H", self.host, "--data-root", self.data_root, "--exec-root", self.exec_root,
                 "--config-file", self.config],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"barged exited: {open(self.log).read()[-3000:]}")
            if os.path.exists(self.sock) and self.cli("version").returncode == 0:
                return self
            time.sleep(0.05)
        raise RuntimeError("barged did not come up: " + open(self.log).read()[-3000:])

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def env(self) -> dict:
        e = dict(os.environ)
        e["BARGE_HOST"] = self.host
        e["DOCKER_HOST"] = self.host
        return e

    def cli(self, *args: str, input: bytes | None = None, timeout: float = 60,
            check: bool = False) -> subprocess.CompletedProcess:
        r = subprocess.run([BARGE, *args], input=input, capture_output=True, env=self.env(), timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"barge {' '.join(args)} -> {r.returncode}: {r.stderr.decode()}")
        return r

    def out(self, *args: str, **kw) -> str:
        return self.cli(*args, check=True, **kw).stdout.decode()

    def make_busybox(self) -> None:
        subprocess.run([os.path.join(ROOT, "scripts", "make-busybox.sh"), BARGE], env=self.env(), check=True)

    def destroy(self) -> None:
        """Remove every container (killing conmon's charges), stop, unmount, delete."""
        if self.proc is None:
            try:
                self.start()
            except Exception:
                pass
        if self.proc is not None:
            ids = self.cli("ps", "-aq", "--no-trunc").stdout.decode().split()
            if ids:
                self.cli("rm", "-f", *ids)
            self.cli("network", "prune", "-f")
            self.cli("volume", "prune", "-a", "-f")
        self.stop()
        drop_bridge(self.bridge)                 # a real daemon keeps its bridge; a test one must not
        _unmount_under(self.data_root)
        _unmount_under(self.exec_root)
        shutil.rmtree(self.exec_root, ignore_errors=True)
        shutil.rmtree(self.base, ignore_errors=True)


@contextlib.contextmanager
def untag_new(daemon: "Daemon"):
    """Remove every image reference a test added (pulls and tags of busybox
    under registry names would otherwise change what later tests see)."""
    def refs() -> set[str]:
        from barge.client.http import Client
        found = set()
        for img in Client(daemon.host).get("/images/json").json():
            found |= set(img.get("RepoTags") or []) | set(img.get("RepoDigests") or [])
        return {r for r in found if "<none>" not in r}
    before = refs()
    try:
        yield
    finally:
        new = sorted(refs() - before)
        if new:
            daemon.cli("rmi", "-f", *new)


def layer_tar(files: dict[str, bytes]) -> bytes:
    """A layer tar of regular files (name -> content)."""
    import io
    import tarfile
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def fetch(url: str, timeout: float = 5) -> str:
    """GET a URL, retrying while the server comes up."""
    import urllib.request
    deadline = time.time() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                return r.read().decode()
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def drop_bridge(bridge: str) -> None:
    """Delete a bridge and every barge firewall rule that names it."""
    from barge.net.firewall import Firewall
    from barge.net.iptables import Iptables
    try:
        fw = Firewall(Iptables())
        fw.remove_bridge(bridge)
        fw.teardown_if_unused()            # the last test daemon takes barge's chains along
    except Exception:
        pass
    subprocess.run(["ip", "link", "del", bridge], capture_output=True)


def _unmount_under(path: str) -> None:
    path = os.path.realpath(path)
    with open("/proc/self/mountinfo") as f:
        points = [line.split()[4] for line in f]
    for p in sorted((p for p in points if p == path or p.startswith(path + "/")), reverse=True):
        subprocess.run(["umount", "-l", p], capture_output=True)


@contextlib.contextmanager
def running_daemon():
    """A started barged with busybox:latest, destroyed (containers, mounts, dirs) afterwards."""
    needs_root()
    d = Daemon().start()
    try:
        d.make_busybox()
        yield d
    finally:
        d.destroy()


class BargeRegistry:
    """`barge registry serve` on loopback; its address read from the
    "listening" line. The access log goes to a file (a pipe nobody reads
    would fill and stall the server)."""

    def __init__(self, root: str, *extra: str, addr: str = "127.0.0.1:0") -> None:
        self.root = root
        self.extra = extra
        self.addr = addr
        self.log = root.rstrip("/") + ".log"
        self.proc: subprocess.Popen | None = None

    @property
    def port(self) -> int:
        return int(self.addr.rsplit(":", 1)[1])

    def start(self) -> "BargeRegistry":
        os.makedirs(os.path.dirname(os.path.abspath(self.root)), exist_ok=True)
        with open(self.log, "ab") as logf:
            start = logf.tell()
            self.proc = subprocess.Popen([BARGE, "registry", "serve", "--addr", self.addr, "--root", self.root,
                                          *self.extra], stdout=subprocess.DEVNULL, stderr=logf,
                                         stdin=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            with open(self.log, "rb") as f:
                f.seek(start)
                for line in f:
                    if b'"listening"' in line:
                        self.addr = json.loads(line)["addr"]
                        return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("barge registry did not start: " + open(self.log).read()[-2000:])

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


@contextlib.contextmanager
def barge_registry(root: str, *extra: str, addr: str = "127.0.0.1:0"):
    """A started `barge registry serve`, stopped afterwards."""
    reg = BargeRegistry(root, *extra, addr=addr).start()
    try:
        yield reg
    finally:
        reg.stop()
