"""Rotate container logs: `log` -> `log.1` -> … -> `log.<max-file - 1>`,
then ask conmon to reopen its log file (control message `2`)."""
from __future__ import annotations

import asyncio
import logging
import os

from barge.daemon.containers.context import Ctx
from barge.daemon.containers.start import log_limits
from barge.oci.conmon import write_ctl

log = logging.getLogger("barge.logrotate")
INTERVAL = 0.05   # a file overshoots max-size by at most what is written in this time


def rotate(path: str, max_file: int) -> None:
    if max_file <= 1:
        os.truncate(path, 0)
        return
    oldest = f"{path}.{max_file - 1}"
    if os.path.exists(oldest):
        os.unlink(oldest)
    for n in range(max_file - 2, 0, -1):
        if os.path.exists(f"{path}.{n}"):
            os.rename(f"{path}.{n}", f"{path}.{n + 1}")
    os.rename(path, f"{path}.1")


class LogRotator:
    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._loop())

    def stop(self) -> None:
        if self._task:
            self._task.cancel()

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(INTERVAL)
            for c in self.ctx.registry.all():
                if not c.state.running or not c.log_path:
                    continue
                try:
                    size, files = log_limits(c.host_config["LogConfig"]["Config"])
                    if size > 0 and os.path.getsize(c.log_path) >= size:
                        rotate(c.log_path, files)
                        write_ctl(c.path("ctl"), "2 0 0\n")
                except FileNotFoundError:
                    continue
                except Exception:
                    log.exception("rotating the log of %s", c.id[:12])
