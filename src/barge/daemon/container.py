"""The container record: what `inspect` shows, persisted atomically as
`containers/<id>/container.json`."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field

from barge.spec import apiconv
from barge.spec.container import ContainerSpec
from barge.util.atomic import write_bytes

ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass
class State:
    status: str = "created"       # created|running|paused|restarting|removing|exited|dead
    pid: int = 0
    exit_code: int = 0
    error: str = ""
    started_at: str = ZERO_TIME
    finished_at: str = ZERO_TIME
    oom_killed: bool = False
    conmon_pid: int = 0
    health: dict | None = None

    @property
    def running(self) -> bool:
        return self.status in ("running", "paused", "restarting")


@dataclass
class Container:
    id: str
    name: str
    created: str
    image_id: str
    config: dict                  # Docker's Config shape, merged with the image
    host_config: dict             # Docker's HostConfig shape, defaults filled
    state: State = field(default_factory=State)
    restart_count: int = 0
    has_been_started: bool = False
    manually_stopped: bool = False
    lower_dirs: list[str] = field(default_factory=list)
    dir: str = ""                 # containers/<id>
    log_path: str = ""
    exits: int = 0                # times it has exited; `wait --condition next-exit` counts on it
    mount_points: list[dict] = field(default_factory=list)   # spec.mounts.MountPoint dicts
    networks: dict[str, dict] = field(default_factory=dict)  # NetworkSettings.Networks
    sandbox: str = ""             # the pinned network namespace while running
    port_map: dict[str, list] = field(default_factory=dict)  # NetworkSettings.Ports while running

    @property
    def spec(self) -> ContainerSpec:
        return apiconv.to_spec(self.config, self.host_config)

    @property
    def rootfs(self) -> str:
        return os.path.join(self.dir, "merged")

    def path(self, *parts: str) -> str:
        return os.path.join(self.dir, *parts)

    def save(self) -> None:
        data = asdict(self)
        write_bytes(self.path("container.json"), json.dumps(data).encode(), 0o600)

    @classmethod
    def load(cls, path: str) -> "Container":
        with open(path, "rb") as f:
            data = json.load(f)
        data["state"] = State(**data["state"])
        return cls(**data)
