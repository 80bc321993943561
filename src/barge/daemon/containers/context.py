"""What every container service function needs, built once in `app.py`."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from barge.daemon.config import DaemonConfig
from barge.daemon.events import Events
from barge.daemon.registry import ContainerRegistry
from barge.oci.runc import Runc
from barge.oci.spec import HostFacts
from barge.spec.container import HostDefaults
from barge.store import Store


@dataclass
class Ctx:
    cfg: DaemonConfig
    store: Store
    registry: ContainerRegistry
    runc: Runc
    events: Events
    host: HostDefaults
    pool: ThreadPoolExecutor
    facts: HostFacts = field(default_factory=HostFacts)
    attach_waiters: dict = field(default_factory=dict)   # container id -> [AttachSession]
    restarts: object = None      # the RestartManager (restart.py), set by daemon/app.py
    health: object = None        # the HealthMonitor (health.py), set by daemon/app.py
    volumes: object = None       # the VolumeService (daemon/volumes), set by daemon/app.py
    networks: object = None      # the NetworkService (daemon/networks), set by daemon/app.py
    build_digests: dict = field(default_factory=dict)   # file digests by stat, across builds

    def event(self, c, action: str, extra: dict | None = None) -> None:
        attrs = {"image": c.config.get("Image", ""), "name": c.name}
        attrs.update(c.config.get("Labels") or {})
        attrs.update(extra or {})
        self.events.publish("container", action, c.id, attrs)
