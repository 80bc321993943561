"""Registry figures: push and cold pull of a 200 MB, 5-layer image (5 x 40 MiB
of random bytes on busybox) through a registry on 127.0.0.1 — barge's
registry and Debian's docker-registry as servers; barge's client, the
reference Docker engine's client and skopeo as clients — and `barge save`
/ `barge load` of it. MB/s over the image's uncompressed size (MiB),
median of --rounds runs. Each timed push goes to a fresh, empty registry;
each timed pull starts with the image's layers gone."""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid

from common import Env, find_barge, stats

REF_SOCK = "/run/docker-ref.sock"
DOCKER = "/usr/local/bin/docker"
DOCKER_REGISTRY = "/usr/bin/docker-registry"
LAYERS, LAYER_MB = 5, 40
DOCKERFILE = "FROM busybox\n" + "".join(
    f"RUN head -c {LAYER_MB << 20} /dev/urandom > /blob{i}\n" for i in range(LAYERS))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen, log: str) -> None:
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"registry exited: {open(log).read()[-2000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("registry did not come up")


class Registry:
    """One server process on 127.0.0.1:<free port> over an empty root in `base`."""

    def __init__(self, kind: str, barge: str, base: str) -> None:
        self.kind = kind
        self.dir = tempfile.mkdtemp(prefix=f"reg-{kind}-", dir=base)
        self.port = free_port()
        self.addr = f"127.0.0.1:{self.port}"
        log = os.path.join(self.dir, "log")
        root = os.path.join(self.dir, "root")
        if kind == "barge":
            argv = [barge, "registry", "serve", "--addr", self.addr, "--root", root]
        else:
            cfg = os.path.join(self.dir, "config.yml")
            with open(cfg, "w") as f:
                json.dump({"version": 0.1, "log": {"level": "error", "accesslog": {"disabled": True}},
                           "storage": {"filesystem": {"rootdirectory": root}, "delete": {"enabled": True}},
                           "http": {"addr": self.addr}}, f)
            argv = [DOCKER_REGISTRY, "serve", cfg]
        with open(log, "wb") as lf:
            self.proc = subprocess.Popen(argv, stdout=lf, stderr=lf, stdin=subprocess.DEVNULL)
        wait_port(self.port, self.proc, log)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class OwnDaemon:
    """A barged of the benchmark's own (temporary data root, socket and bridge),
    so the figures are of this checkout's code; removed afterwards."""

    def __init__(self, barge: str, base: str) -> None:
        tag = uuid.uuid4().hex[:6]
        self.data_root = os.path.join(base, "data")
        self.exec_root = f"/run/brb-{tag}"
        self.bridge = f"brb-{tag}"
        self.host = f"unix://{self.exec_root}/barge.sock"
        cfg = os.path.join(base, "daemon.json")
        with open(cfg, "w") as f:
            json.dump({"bridge": self.bridge}, f)
        barged = os.path.join(os.path.dirname(barge), "barged")
        os.makedirs(self.exec_root)
        self.log = open(os.path.join(base, "barged.log"), "wb")
        self.proc = subprocess.Popen([barged, "-H", self.host, "--data-root", self.data_root,
                                      "--exec-root", self.exec_root, "--config-file", cfg],
                                     stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        env = dict(os.environ, BARGE_HOST=self.host)
        deadline = time.time() + 30
        while subprocess.run([barge, "version"], env=env, capture_output=True).returncode != 0:
            if self.proc.poll() is not None or time.time() > deadline:
                self.close()
                raise RuntimeError("barged did not start")
            time.sleep(0.1)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        run([os.path.join(root, "scripts", "make-busybox.sh"), barge], env)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        try:
            from barge.net.firewall import Firewall
            from barge.net.iptables import Iptables
            Firewall(Iptables()).remove_bridge(self.bridge)
        except Exception:
            pass
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        with open("/proc/self/mountinfo") as f:
            points = [line.split()[4] for line in f]
        for p in sorted((p for p in points if p.startswith((self.data_root, self.exec_root))), reverse=True):
            subprocess.run(["umount", "-l", p], capture_output=True)
        shutil.rmtree(self.exec_root, ignore_errors=True)


def run(argv: list[str], env: dict | None = None, timeout: float = 600, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("stdout", subprocess.DEVNULL)
    p = subprocess.run(argv, stderr=subprocess.PIPE, env=env, timeout=timeout, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} exited {p.returncode}: {p.stderr.decode(errors='replace')[-800:]}")
    return p


def timed(argv: list[str], env: dict | None = None, **kw) -> float:
    t0 = time.perf_counter()
    run(argv, env, **kw)
    return time.perf_counter() - t0


class Bench:
    def __init__(self, env: Env, rounds: int, base: str) -> None:
        self.env = env
        self.rounds = rounds
        self.base = base
        self.uid = uuid.uuid4().hex[:8]
        self.tag = f"barge-bench-registry:{self.uid}"
        self.mib = 0.0
        self.rows: list[tuple[str, str, list[float]]] = []     # (what, command, seconds per run)
        self.registries: list[Registry] = []
        self.docker_refs: set[str] = set()

    # --- helpers ---------------------------------------------------------------

    def barge(self, *args: str, **kw) -> list[str]:
        return [self.env.barge, *args]

    def registry(self, kind: str) -> Registry:
        r = Registry(kind, self.env.barge, self.base)
        self.registries.append(r)
        return r

    def drop(self, r: Registry) -> None:
        r.close()
        self.registries.remove(r)

    def record(self, what: str, cmd: str, secs: list[float]) -> None:
        self.rows.append((what, cmd, secs))
        med = stats(secs)["median"]
        print(f"  {what:<48} {self.mib / med:8.1f} MB/s  (median {med:.2f} s of {len(secs)}: "
              f"{', '.join(f'{s:.2f}' for s in secs)})", flush=True)

    def barge_rmi(self, *refs: str) -> None:
        subprocess.run(self.barge("rmi", *refs), env=self.env.environ(), capture_output=True)

    # --- the image -----------------------------------------------------------------

    def make_image(self) -> None:
        ctx = tempfile.mkdtemp(prefix="ctx-", dir=self.base)
        with open(os.path.join(ctx, "Dockerfile"), "w") as f:
            f.write(DOCKERFILE)
        run(self.barge("build", "-q", "--network", "none", "-t", self.tag, ctx), self.env.environ())
        shutil.rmtree(ctx)
        size = int(self.env.out("image", "inspect", "-f", "{{.Size}}", self.tag))
        self.mib = size / (1 << 20)
        print(f"image {self.tag}: {self.mib:.1f} MiB, {LAYERS} layers of {LAYER_MB} MiB random bytes "
              f"on busybox", flush=True)

    # --- barge's client ---------------------------------------------------------------

    def barge_client(self, kind: str) -> None:
        e = self.env.environ()
        pushes, pulls = [], []
        for _ in range(self.rounds):
            r = self.registry(kind)
            ref = f"{r.addr}/bench/img:1"
            run(self.barge("tag", self.tag, ref), e)
            pushes.append(timed(self.barge("push", ref), e))
            self.barge_rmi(ref, self.tag)                 # the layers go: a cold pull
            pulls.append(timed(self.barge("pull", ref), e))
            run(self.barge("tag", ref, self.tag), e)
            self.barge_rmi(ref)
            self.drop(r)
        self.record(f"barge push -> {kind}", f"barge push {kind}/bench/img:1", pushes)
        self.record(f"barge pull <- {kind} (cold)", f"barge pull {kind}/bench/img:1", pulls)

    def first_push(self) -> None:
        """The first push of a fresh image also gzips its layers (kept for later pushes)."""
        r = self.registry("barge")
        ref = f"{r.addr}/bench/first:1"
        e = self.env.environ()
        run(self.barge("tag", self.tag, ref), e)
        secs = timed(self.barge("push", ref), e)
        self.barge_rmi(ref)
        self.drop(r)
        self.record("barge push, first (each layer gzipped once)", "barge push barge/bench/first:1", [secs])

    # --- the reference Docker's client ------------------------------------------------------

    def docker_client(self) -> None:
        if not os.path.exists(REF_SOCK) or not os.access(DOCKER, os.X_OK):
            print("  (the reference Docker engine is not running: skipped)")
            return
        docker = [DOCKER, "-H", f"unix://{REF_SOCK}"]
        save = subprocess.Popen(self.barge("save", self.tag), env=self.env.environ(), stdout=subprocess.PIPE)
        run(docker + ["load"], stdin=save.stdout)
        save.stdout.close()
        if save.wait() != 0:
            raise RuntimeError("barge save failed")
        self.docker_refs.add(self.tag)
        for kind in ("barge", "docker-registry"):
            pushes, pulls = [], []
            for _ in range(self.rounds):
                r = self.registry(kind)
                ref = f"{r.addr}/bench/img:1"
                run(docker + ["tag", self.tag, ref])
                self.docker_refs.add(ref)
                pushes.append(timed(docker + ["push", "-q", ref]))
                run(docker + ["rmi", ref, self.tag])
                pulls.append(timed(docker + ["pull", "-q", ref]))
                run(docker + ["tag", ref, self.tag])
                run(docker + ["rmi", ref])
                self.docker_refs.discard(ref)
                self.drop(r)
            self.record(f"docker push -> {kind}", f"docker -H unix://{REF_SOCK} push {kind}/bench/img:1", pushes)
            self.record(f"docker pull <- {kind} (cold)", f"docker -H unix://{REF_SOCK} pull {kind}/bench/img:1",
                        pulls)

    # --- skopeo --------------------------------------------------------------------

    def skopeo_client(self) -> None:
        skopeo = shutil.which("skopeo")
        if not skopeo:
            print("  (skopeo is not installed: skipped)")
            return
        env = dict(os.environ, HOME=self.base)
        layout = os.path.join(self.base, "layout")
        r = self.registry("barge")                      # an OCI layout of the image, untimed
        ref = f"{r.addr}/bench/src:1"
        run(self.barge("tag", self.tag, ref), self.env.environ())
        run(self.barge("push", ref), self.env.environ())
        self.barge_rmi(ref)
        run([skopeo, "copy", "-q", "--src-tls-verify=false", f"docker://{ref}", f"oci:{layout}:x"], env)
        self.drop(r)
        for kind in ("barge", "docker-registry"):
            pushes, pulls = [], []
            for i in range(self.rounds):
                r = self.registry(kind)
                dst = f"docker://{r.addr}/bench/img:1"
                pushes.append(timed([skopeo, "copy", "-q", "--dest-tls-verify=false", f"oci:{layout}:x", dst], env))
                out = os.path.join(self.base, f"pulled-{kind}-{i}")
                pulls.append(timed([skopeo, "copy", "-q", "--src-tls-verify=false", dst, f"oci:{out}:x"], env))
                shutil.rmtree(out, ignore_errors=True)
                self.drop(r)
            self.record(f"skopeo copy oci: -> {kind}", f"skopeo copy oci:DIR:x docker://{kind}/bench/img:1", pushes)
            self.record(f"skopeo copy {kind} -> oci: (cold)", f"skopeo copy docker://{kind}/bench/img:1 oci:DIR:x",
                        pulls)
        shutil.rmtree(layout, ignore_errors=True)

    # --- save and load -------------------------------------------------------------

    def save_load(self) -> None:
        e = self.env.environ()
        tar = os.path.join(self.base, "img.tar")
        saves, loads = [], []
        for _ in range(self.rounds):
            if os.path.exists(tar):
                os.unlink(tar)
            saves.append(timed(self.barge("save", "-o", tar, self.tag), e))
            self.barge_rmi(self.tag)
            loads.append(timed(self.barge("load", "-q", "-i", tar), e))
        os.unlink(tar)
        self.record("barge save", "barge save -o FILE IMAGE", saves)
        self.record("barge load", "barge load -q -i FILE", loads)

    def cleanup(self) -> None:
        for r in list(self.registries):
            self.drop(r)
        if self.docker_refs:
            subprocess.run([DOCKER, "-H", f"unix://{REF_SOCK}", "rmi", *self.docker_refs], capture_output=True)
        self.barge_rmi(self.tag)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", help="an existing barged (default: start one of the benchmark's own)")
    ap.add_argument("--barge")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=["barge", "docker", "skopeo", "saveload"],
                    help="parts to run: barge docker skopeo saveload")
    a = ap.parse_args(argv)
    barge = find_barge(a.barge)
    base = tempfile.mkdtemp(prefix="barge-registry-bench-")
    own = None
    if not a.host:
        own = OwnDaemon(barge, base)
    env = Env(barge=barge, host=a.host or own.host)
    print(f"barged: {env.host}" + (" (the benchmark's own)" if own else ""))
    b = Bench(env, a.rounds, base)
    try:
        b.make_image()
        if "barge" in a.only:
            print("barge's client:", flush=True)
            b.first_push()
            b.barge_client("barge")
            if os.access(DOCKER_REGISTRY, os.X_OK):
                b.barge_client("docker-registry")
            else:
                print("  (docker-registry is not installed: skipped)")
        if "docker" in a.only:
            print("the reference Docker's client:", flush=True)
            b.docker_client()
        if "skopeo" in a.only:
            print("skopeo:", flush=True)
            b.skopeo_client()
        if "saveload" in a.only:
            print("save and load:", flush=True)
            b.save_load()
    finally:
        b.cleanup()
        if own:
            own.close()
        shutil.rmtree(base, ignore_errors=True)
    print()
    print(f"{'what':<48} {'MB/s':>8}  command")
    for what, cmd, secs in b.rows:
        print(f"{what:<48} {b.mib / stats(secs)['median']:8.1f}  {cmd}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
