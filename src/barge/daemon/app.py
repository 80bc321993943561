"""Wires the daemon: store, runtime, services; recovers state at start."""
from __future__ import annotations

import json
import logging
import os
import resource
import shutil
from concurrent.futures import ThreadPoolExecutor

from barge.daemon.build import service as build_service
from barge.daemon.networks import recover as netrecover
from barge.daemon.networks.service import NetworkService
from barge.daemon.volumes.service import VolumeService
from barge.volume.local import LocalDriver
from barge.daemon.config import DaemonConfig
from barge.daemon.containers.context import Ctx
from barge.daemon.containers.logrotate import LogRotator
from barge.daemon.containers.monitor import ExitMonitor
from barge.daemon.containers.restart import RestartManager
from barge.daemon.containers.start import start_locked
from barge.daemon.containers.exec import ExecService
from barge.daemon.containers.health import HealthMonitor
from barge.daemon.containers.service import ContainerService
from barge.daemon.events import Events
from barge.daemon.images.service import ImageService
from barge.daemon.registry import ContainerRegistry
from barge.oci.runc import Runc
from barge.oci.spec import probe_host_facts
from barge.spec.container import HostDefaults
from barge.store import open_store

log = logging.getLogger("barge.daemon")
SECCOMP_PROFILE = os.path.join(os.path.dirname(__file__), "..", "oci", "seccomp_default.json")


def host_defaults(cfg: DaemonConfig) -> HostDefaults:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    return HostDefaults(rlimit_nofile=(soft, hard), arch=os.uname().machine,
                        seccomp_profile=_seccomp_profile(cfg), init_path=shutil.which("tini-static"))


def _seccomp_profile(cfg: DaemonConfig) -> dict | None:
    if cfg.seccomp_profile == "unconfined":
        return None
    path = cfg.seccomp_profile or SECCOMP_PROFILE
    with open(path) as f:
        return json.load(f)


def _firewall(cfg: DaemonConfig):
    if not cfg.iptables:
        return None
    from barge.net.firewall import Firewall
    from barge.net.iptables import Iptables
    return Firewall(Iptables())


class Daemon:
    def __init__(self, cfg: DaemonConfig) -> None:
        self.cfg = cfg
        for d in (cfg.data_root, cfg.exec_root, cfg.runc_root, cfg.exit_dir, cfg.socket_dir):
            os.makedirs(d, exist_ok=True)
        self.store = open_store(cfg.data_root)
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="barge-io")
        self.ctx = Ctx(cfg=cfg, store=self.store,
                       registry=ContainerRegistry(os.path.join(cfg.data_root, "containers")),
                       runc=Runc(cfg.runc_root), events=Events(), host=host_defaults(cfg),
                       pool=self.pool, facts=probe_host_facts())
        self.restarts = RestartManager(self.ctx, start_locked)
        self.ctx.restarts = self.restarts      # stop/kill/remove cancel pending restarts through it
        self.volumes = VolumeService(self.ctx, LocalDriver(os.path.join(cfg.data_root, "volumes")))
        self.ctx.volumes = self.volumes        # create/start/rm use volumes through it
        self.networks = NetworkService(self.ctx, _firewall(cfg))
        self.ctx.networks = self.networks      # create/start/exit wire containers through it
        self.containers = ContainerService(self.ctx)
        self.images = ImageService(self.ctx)
        self.execs = ExecService(self.ctx)
        self.health = HealthMonitor(self.ctx, self.execs)
        self.ctx.health = self.health          # start/on_exit begin and end the probes through it
        self.monitor: ExitMonitor | None = None
        self.rotator: LogRotator | None = None

    async def start(self) -> None:
        """Recover what a crash left and re-adopt running containers."""
        self.store.content.clean_ingest()
        self.store.layers.recover()
        shutil.rmtree(os.path.join(self.cfg.data_root, "tmp"), ignore_errors=True)
        self.ctx.registry.load()
        self.volumes.recover()
        await self.networks.start()
        await self.restarts.settle_interrupted()
        self.monitor = ExitMonitor(self.ctx, self.containers.on_exit)
        self.monitor.start()
        await self.monitor.recover()
        await self.health.restore()            # running containers get their health checks back
        await netrecover.recover(self.ctx)     # ports held, DNS served, leftovers of dead ones gone
        build_service.unmount_leftovers(self.ctx)
        await build_service.cleanup(self.ctx)  # the builds a killed daemon was running are gone
        for c in list(self.ctx.registry.all()):
            if c.host_config.get("AutoRemove") and not c.state.running and c.has_been_started:
                await self.containers.on_exit(c)
        await self.restarts.restart_at_boot()
        self.rotator = LogRotator(self.ctx)
        self.rotator.start()

    async def close(self) -> None:
        await self.networks.close()
        self.restarts.close()
        self.health.close()
        if self.rotator:
            self.rotator.stop()
        if self.monitor:
            self.monitor.close()
        self.pool.shutdown(wait=False, cancel_futures=True)
        self.store.meta.close()
