"""`stats`: containers' resource usage, once (--no-stream) or as a live table."""
from __future__ import annotations

import sys
import threading
import time

from barge.cli.commands._common import F, parse
from barge.cli.context import Context

FLAGS = [
    F("all", "a", "bool", False, "Show all containers (default shows just running)"),
    F("format", None, "string", "", "Format output using a custom template"),
    F("no-stream", None, "bool", False, "Disable streaming stats and only pull the first result"),
    F("no-trunc", None, "bool", False, "Do not truncate output"),
]
MAX_PARALLEL = 64


def _list(ctx: Context, all_: bool) -> list[str]:
    items = ctx.client.get_json("/containers/json", {"all": all_ or None})
    return [c["Id"][:12] for c in items]


def stats(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "stats", "docker stats [OPTIONS] [CONTAINER...]",
              "Display a live stream of container(s) resource usage statistics", FLAGS, argv)
    o = p.opts
    names = list(dict.fromkeys(p.args))
    trunc = not o["no-trunc"]
    from barge.cli.format import render
    from barge.cli.statsrows import STATS_HEADERS, STATS_TABLE, StatsEntry
    from barge.errdefs import InvalidParameter
    try:
        render([], o["format"], STATS_TABLE, STATS_HEADERS)       # a bad template fails first
        keys = names or _list(ctx, o["all"])
    except InvalidParameter as e:
        sys.stderr.write(f"{e}\n")
        return 1
    except Exception as e:
        return ctx.daemon_error(e)
    if o["no-stream"]:
        entries = [StatsEntry(k, trunc) for k in keys]
        errors = _collect_once(ctx, entries)
        if errors:
            for e in errors:
                ctx.daemon_error(e)
            return 1
        try:
            sys.stdout.write(render(entries, o["format"], STATS_TABLE, STATS_HEADERS))
        except InvalidParameter as e:
            sys.stderr.write(f"{e}\n")
            return 1
        return 0
    return _live(ctx, keys, bool(names), o["all"], o["format"], trunc)


def _collect_once(ctx: Context, entries) -> list[Exception]:
    """stream=false for every container at once (each takes ~1 s on the daemon)."""
    if not entries:
        return []
    from concurrent.futures import ThreadPoolExecutor
    errors: list[Exception] = []

    def one(entry):
        try:
            entry.update(ctx.client.get_json(f"/containers/{entry.container}/stats", {"stream": False}))
        except Exception as e:            # noqa: BLE001 - reported below, as Docker does
            entry.invalid = True
            errors.append(e)
    with ThreadPoolExecutor(min(MAX_PARALLEL, len(entries))) as pool:
        list(pool.map(one, entries))
    return errors


class _Collector:
    """One thread per container reading its stats stream into a StatsEntry."""

    def __init__(self, ctx: Context, entry) -> None:
        self.ctx = ctx
        self.entry = entry
        self.first = threading.Event()
        self.stopped = False
        self.error: Exception | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            resp = self.ctx.client.get(f"/containers/{self.entry.container}/stats", {"stream": True})
            try:
                for doc in resp.iter_json():
                    if self.stopped:
                        break
                    self.entry.update(doc)
                    self.first.set()
            finally:
                resp.close()
        except Exception as e:            # noqa: BLE001
            self.error = e
            self.entry.invalid = True
        self.first.set()


def _live(ctx: Context, keys: list[str], named: bool, all_: bool, fmt: str, trunc: bool) -> int:
    from barge.cli.format import render
    from barge.cli.statsrows import STATS_HEADERS, STATS_TABLE, StatsEntry
    collectors: dict[str, _Collector] = {}

    def sync(wanted: list[str]) -> None:
        for k in wanted:
            if k not in collectors:
                collectors[k] = _Collector(ctx, StatsEntry(k, trunc))
        if not named:
            for k in list(collectors):
                if k not in wanted:
                    collectors.pop(k).stopped = True

    sync(keys)
    deadline = time.monotonic() + 2.0
    for c in collectors.values():
        c.first.wait(max(0.0, deadline - time.monotonic()))
    if named:
        errors = [c.error for c in collectors.values() if c.error]
        if errors:
            for e in errors:
                ctx.daemon_error(e)
            return 1
    out = sys.stdout
    while True:
        text = render([c.entry for c in collectors.values()], fmt, STATS_TABLE, STATS_HEADERS)
        # as the Docker CLI: cursor home, each line then erase-to-end-of-line, erase below
        out.write("\033[H" + "".join(line + "\033[K\n" for line in text.rstrip("\n").split("\n"))
                  + "\033[J")
        out.flush()
        time.sleep(1.0)
        if not named:
            try:
                sync(_list(ctx, all_))
            except Exception as e:        # noqa: BLE001
                return ctx.daemon_error(e)
