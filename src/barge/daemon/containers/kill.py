"""Send a signal to a container's main process."""
from __future__ import annotations

import signal

from barge.daemon.containers.context import Ctx
from barge.errdefs import Conflict, NotFound
from barge.spec import signals


async def kill(ctx: Ctx, ref: str, sig: str | None = None) -> None:
    try:
        c = ctx.registry.get(ref)
    except NotFound as e:
        raise NotFound(f"Cannot kill container: {ref}: {e}") from None
    n = signals.parse(sig, signal.SIGKILL)
    if not c.state.running:
        raise Conflict(f"Cannot kill container: {ref}: Container {c.id} is not running")
    if n == signal.SIGKILL:
        c.manually_stopped = True
    await ctx.runc.kill(c.id, n, all_procs=n == signal.SIGKILL)
    ctx.event(c, "kill", {"signal": str(n)})
