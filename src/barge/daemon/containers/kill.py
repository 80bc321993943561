"""Send a signal to a container's main process."""
from __future__ import annotations

import signal

from barge.daemon.containers.context import Ctx
from barge.daemon.containers.pause import resume_for_stop
from barge.daemon.containers.restart import cancel_pending
from barge.errdefs import Conflict, NotFound
from barge.spec import signals


async def kill(ctx: Ctx, ref: str, sig: str | None = None) -> None:
    try:
        c = ctx.registry.get(ref)
    except NotFound as e:
        raise NotFound(f"Cannot kill container: {ref}: {e}") from None
    n = signals.parse(sig, signal.SIGKILL)
    if not c.state.running:
        await cancel_pending(ctx, c)     # an exit being handled right now must not restart it
        raise Conflict(f"Cannot kill container: {ref}: Container {c.id} is not running")
    if c.state.status == "restarting":   # nothing runs: the kill drops the pending restart
        c.manually_stopped = True
        if await cancel_pending(ctx, c):
            return
    if n in (signal.SIGKILL, signals.parse(c.config.get("StopSignal") or "SIGTERM", signal.SIGTERM)):
        c.manually_stopped = True
        await cancel_pending(ctx, c)
        await resume_for_stop(ctx, c)
    await ctx.runc.kill(c.id, n, all_procs=n == signal.SIGKILL)
    ctx.event(c, "kill", {"signal": str(n)})
