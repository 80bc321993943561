"""Wait for a container to stop, exit again, or be removed."""
from __future__ import annotations

import asyncio

from barge.daemon.container import Container
from barge.daemon.containers.context import Ctx
from barge.errdefs import InvalidParameter

CONDITIONS = ("not-running", "next-exit", "removed", "")


async def until(ctx: Ctx, pred, timeout: float | None = None) -> bool:
    """Wait until `pred()` holds; False on timeout."""
    cond = ctx.registry.changed

    async def _wait():
        async with cond:
            await cond.wait_for(pred)
    try:
        await asyncio.wait_for(_wait(), timeout)
        return True
    except asyncio.TimeoutError:
        return False


def check_condition(condition: str) -> str:
    if condition not in CONDITIONS:
        raise InvalidParameter(f'invalid condition: "{condition}"')
    return condition or "not-running"


def prepare(ctx: Ctx, c: Container, condition: str):
    """Capture the state now, so an exit that happens before the caller
    starts waiting still counts; return the coroutine function to await."""
    seen = c.exits

    async def wait() -> int:
        if condition == "not-running":
            await until(ctx, lambda: not c.state.running)
        elif condition == "next-exit":
            await until(ctx, lambda: c.exits > seen or not ctx.registry.exists(c.id))
        elif condition == "removed":
            await until(ctx, lambda: not ctx.registry.exists(c.id))
        return c.state.exit_code
    return wait
