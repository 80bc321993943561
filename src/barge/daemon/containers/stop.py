"""Stop: the stop signal, a grace period, then SIGKILL."""
from __future__ import annotations

import signal

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.daemon.containers.pause import resume_for_stop
from barge.daemon.containers.restart import cancel_pending
from barge.daemon.containers.wait import until
from barge.errdefs import NotFound, NotModified
from barge.spec import signals

DEFAULT_TIMEOUT = 10


async def stop(ctx: Ctx, ref: str, timeout: int | None = None, sig: str | None = None) -> None:
    c = ctx.registry.get(ref)
    if not c.state.running:
        await cancel_pending(ctx, c)     # an exit being handled right now must not restart it
        raise NotModified("container already stopped")
    c.manually_stopped = True
    await stop_container(ctx, c, timeout, sig)
    ctx.event(c, "stop")       # after "die", as Docker emits it


async def stop_container(ctx: Ctx, c: Container, timeout: int | None = None, sig: str | None = None) -> None:
    if timeout is None:
        timeout = c.config.get("StopTimeout")
        if timeout is None:
            timeout = DEFAULT_TIMEOUT
    stop_sig = signals.parse(sig or c.config.get("StopSignal") or "SIGTERM", signal.SIGTERM)
    if await cancel_pending(ctx, c):          # it was waiting to restart: nothing runs any more
        await ctx.registry.notify()
        return
    await resume_for_stop(ctx, c)
    if stop_sig != signal.SIGKILL and timeout != 0:
        await _signal(ctx, c, stop_sig)
        if timeout < 0:
            await until(ctx, lambda: not c.state.running)
            return
        if await until(ctx, lambda: not c.state.running, timeout):
            return
    await _signal(ctx, c, signal.SIGKILL)
    await until(ctx, lambda: not c.state.running)


async def _signal(ctx: Ctx, c: Container, sig: int) -> None:
    try:
        await ctx.runc.kill(c.id, sig, all_procs=sig == signal.SIGKILL)
    except NotFound:
        pass
    except Exception as e:
        if c.state.running and "container not running" not in str(e):   # exited, not yet recorded
            raise
