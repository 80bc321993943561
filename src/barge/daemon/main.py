"""`barged`: the daemon's entry point."""
from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys

from barge.daemon import config as dconfig

DEFAULT_CONFIG = "/etc/barge/daemon.json"


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="barged", description="The barge container engine daemon")
    p.add_argument("-H", "--host", action="append", dest="hosts", default=None,
                   help="daemon socket(s) to listen on (unix:///path, tcp://127.0.0.1:PORT)")
    p.add_argument("--data-root", default=None, help="root of persistent state (default /var/lib/barge)")
    p.add_argument("--exec-root", default=None, help="root of runtime state (default /run/barge)")
    p.add_argument("-p", "--pidfile", default=None, help="path of the daemon's PID file")
    p.add_argument("--config-file", default=DEFAULT_CONFIG, help="daemon configuration file")
    p.add_argument("--log-driver", default=None, help="default log driver for containers")
    p.add_argument("--seccomp-profile", default=None, help="seccomp profile path, or 'unconfined'")
    p.add_argument("-D", "--debug", action="store_true", default=None, help="debug logging")
    return p.parse_args(argv)


def _flags(ns: argparse.Namespace) -> dict:
    return {"hosts": ns.hosts, "data_root": ns.data_root, "exec_root": ns.exec_root,
            "pidfile": ns.pidfile, "log_driver": ns.log_driver,
            "seccomp_profile": ns.seccomp_profile, "debug": ns.debug}


async def serve(cfg: dconfig.DaemonConfig) -> None:
    from barge.api.app import build_router
    from barge.api.server import Server
    from barge.daemon.app import Daemon

    daemon = Daemon(cfg)
    await daemon.start()
    server = Server(build_router(daemon))
    for h in cfg.hosts:
        await server.listen(h)
    if cfg.pidfile:
        with open(cfg.pidfile, "w") as f:
            f.write(str(os.getpid()))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    logging.getLogger("barge").info("barged listening on %s", ", ".join(cfg.hosts))
    await stop.wait()
    await server.close()
    await daemon.close()
    if cfg.pidfile:
        try:
            os.unlink(cfg.pidfile)
        except FileNotFoundError:
            pass


def main(argv: list[str] | None = None) -> int:
    ns = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        cfg = dconfig.build(dconfig.load_file(ns.config_file), _flags(ns))
    except Exception as e:
        print(f"barged: {e}", file=sys.stderr)
        return 1
    logging.basicConfig(level=logging.DEBUG if cfg.debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if os.geteuid() != 0:
        print("barged: must run as root", file=sys.stderr)
        return 1
    asyncio.run(serve(cfg))
    return 0


if __name__ == "__main__":
    sys.exit(main())
