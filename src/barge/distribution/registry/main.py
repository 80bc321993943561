"""`barge registry serve|garbage-collect`: the registry's command line."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import ssl
import sys

DEFAULTS = {"addr": "127.0.0.1:5000", "root": "/var/lib/barge-registry", "htpasswd": None,
            "tls_cert": None, "tls_key": None, "token_auth": False, "token_secret": None,
            "token_realm": None, "token_ttl": 300, "access": []}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="barge registry", description="An OCI distribution registry")
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve", help="Serve the registry HTTP API")
    s.add_argument("--config", help="YAML file with the same keys as the flags (addr, root, htpasswd, "
                   "tls_cert, tls_key, token_auth, token_secret, token_realm, token_ttl, access)")
    s.add_argument("--addr", help=f"host:port to listen on (default {DEFAULTS['addr']})")
    s.add_argument("--root", help=f"storage directory (default {DEFAULTS['root']})")
    s.add_argument("--htpasswd", help="htpasswd file (bcrypt) enabling authentication")
    s.add_argument("--tls-cert", dest="tls_cert")
    s.add_argument("--tls-key", dest="tls_key")
    s.add_argument("--token-auth", dest="token_auth", action="store_true", default=None,
                   help="bearer-token auth with a token endpoint at /auth/token")
    g = sub.add_parser("garbage-collect", help="Delete blobs no manifest references (server stopped)")
    g.add_argument("--root", default=DEFAULTS["root"])
    g.add_argument("--dry-run", "-m", action="store_true")
    return p


def load_config(args: argparse.Namespace) -> dict:
    cfg = dict(DEFAULTS)
    if args.config:
        import yaml
        with open(args.config, encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{args.config}: not a mapping")
        for k, v in data.items():
            key = k.replace("-", "_")
            if key not in DEFAULTS:
                raise ValueError(f"{args.config}: unknown key {k!r}")
            cfg[key] = v
    for k in DEFAULTS:
        v = getattr(args, k, None)
        if v is not None:
            cfg[k] = v
    return cfg


def _split_addr(addr: str) -> tuple[str, int]:
    host, _, port = addr.rpartition(":")
    return (host.strip("[]") or "127.0.0.1"), int(port)


def _ssl_context(cfg: dict) -> ssl.SSLContext | None:
    if not cfg["tls_cert"]:
        return None
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cfg["tls_cert"], cfg["tls_key"])
    return ctx


async def serve(cfg: dict) -> None:
    from barge.distribution.registry.app import Registry
    from barge.distribution.registry.auth import Auth
    from barge.distribution.registry.httpserver import HTTPServer
    from barge.distribution.registry.storage import Storage
    secret = cfg["token_secret"].encode() if cfg["token_secret"] else b""
    auth = Auth(htpasswd=cfg["htpasswd"], access=list(cfg["access"] or []), token=bool(cfg["token_auth"]),
                secret=secret, token_ttl=int(cfg["token_ttl"]))
    if auth.enabled:
        auth._load_users()
    registry = Registry(Storage(cfg["root"]), auth, cfg["token_realm"])
    server = HTTPServer(registry, ssl_context=_ssl_context(cfg))
    host, port = _split_addr(cfg["addr"])
    port = await server.listen(host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"msg": "listening", "addr": f"{host}:{port}", "root": cfg["root"],
                      "tls": bool(cfg["tls_cert"]), "auth": ("token" if auth.token else "basic")
                      if auth.enabled else "none"}), file=sys.stderr, flush=True)
    await stop.wait()
    await server.close()


def garbage_collect(root: str, dry_run: bool) -> int:
    from barge.distribution.registry.storage import gc
    if not os.path.isdir(root):
        print(f"barge registry: no such directory: {root}", file=sys.stderr)
        return 1
    report = gc(root, dry_run)
    verb = "would delete" if dry_run else "deleted"
    for d in report["deleted"]:
        print(f"{verb} {d}")
    print(f"{len(report['marked'])} blobs marked, {len(report['deleted'])} blobs {verb}, "
          f"{report['freed']} bytes {'to free' if dry_run else 'freed'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    if args.cmd == "garbage-collect":
        return garbage_collect(args.root, args.dry_run)
    try:
        cfg = load_config(args)
        asyncio.run(serve(cfg))
    except (OSError, ValueError, ssl.SSLError) as e:
        print(f"barge registry: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
