"""`barge`: the Docker-compatible command line. Commands are imported lazily."""
from __future__ import annotations

import sys

PROG = "barge"

# command path -> (module under barge.cli.commands, function)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("run", "run"), "create": ("run", "create"),
    "start": ("container", "start"), "stop": ("container", "stop"), "restart": ("container", "restart"),
    "kill": ("container", "kill"), "rm": ("container", "rm"), "ps": ("container", "ps"),
    "logs": ("container", "logs"), "inspect": ("inspect", "inspect"), "rename": ("container", "rename"),
    "wait": ("container", "wait"), "export": ("container", "export"), "attach": ("container", "attach"),
    "update": ("container", "update"), "port": ("container", "port"),
    "cp": ("files", "cp"), "diff": ("files", "diff"), "commit": ("files", "commit"),
    "exec": ("exec", "exec_"),
    "pause": ("lifecycle", "pause"), "unpause": ("lifecycle", "unpause"), "top": ("lifecycle", "top"),
    "stats": ("stats", "stats"),
    "images": ("image", "images"), "tag": ("image", "tag"), "rmi": ("image", "rmi"),
    "history": ("image", "history"), "save": ("image", "save"), "load": ("image", "load"),
    "import": ("image", "import_"), "pull": ("registry", "pull"), "build": ("build", "build"),
    "push": ("registry", "push"), "login": ("registry", "login"), "logout": ("registry", "logout"),
    "search": ("registry", "search"),
    "version": ("system", "version"), "info": ("system", "info"), "events": ("system", "events"),
}
GROUPS: dict[str, dict[str, str]] = {
    "container": {"ls": "ps", "list": "ps", "ps": "ps", "run": "run", "create": "create", "start": "start",
                  "stop": "stop", "restart": "restart", "kill": "kill", "rm": "rm", "remove": "rm",
                  "logs": "logs", "inspect": "container inspect", "rename": "rename", "wait": "wait",
                  "export": "export", "attach": "attach", "update": "update", "port": "port", "exec": "exec", "prune": "container prune",
                  "pause": "pause", "unpause": "unpause", "top": "top", "stats": "stats",
                  "cp": "cp", "diff": "diff", "commit": "commit"},
    "image": {"ls": "images", "list": "images", "tag": "tag", "rm": "rmi", "remove": "rmi",
              "history": "history", "save": "save", "load": "load", "import": "import",
              "inspect": "image inspect", "prune": "image prune", "pull": "pull", "push": "push", "build": "build"},
    "builder": {"build": "build"},
    "system": {"info": "info", "events": "events", "df": "system df"},
    "volume": {"create": "volume create", "ls": "volume ls", "list": "volume ls", "inspect": "volume inspect",
               "rm": "volume rm", "remove": "volume rm", "prune": "volume prune"},
    "network": {"create": "network create", "ls": "network ls", "list": "network ls",
                "inspect": "network inspect", "rm": "network rm", "remove": "network rm",
                "prune": "network prune", "connect": "network connect", "disconnect": "network disconnect"},
}
EXTRA: dict[str, tuple[str, str]] = {
    "container inspect": ("inspect", "container_inspect"), "image inspect": ("inspect", "image_inspect"),
    "container prune": ("container", "prune"), "image prune": ("image", "prune"),
    "system df": ("system", "df"),
    "volume create": ("volume", "create"), "volume ls": ("volume", "ls"), "volume inspect": ("volume", "inspect"),
    "volume rm": ("volume", "rm"), "volume prune": ("volume", "prune"),
    "network create": ("network", "create"), "network ls": ("network", "ls"),
    "network inspect": ("network", "inspect"), "network rm": ("network", "rm"),
    "network prune": ("network", "prune"), "network connect": ("network", "connect"),
    "network disconnect": ("network", "disconnect"),
}

USAGE = f"""
Usage:  {PROG} [OPTIONS] COMMAND

A Docker-compatible container engine

Common Commands:
  run         Create and run a new container from an image
  build       Build an image from a Dockerfile
  ps          List containers
  images      List images
  logs        Fetch the logs of a container
  version     Show the barge version information
  info        Display system-wide information

Management Commands:
  builder     Manage builds
  container   Manage containers
  image       Manage images
  network     Manage networks
  registry    Run an image registry (serve, garbage-collect)
  system      Manage barge
  volume      Manage volumes

Commands:
  create attach exec start stop restart kill rm rename wait export inspect
  pause unpause top stats update port cp diff commit
  tag rmi history save load import events
  pull push login logout search

Global Options:
  -H, --host string   Daemon socket to connect to
  -v, --version       Print version information and quit

Run '{PROG} COMMAND --help' for more information on a command.
"""


def _global_opts(argv: list[str]) -> tuple[dict, list[str]]:
    opts: dict = {"host": None}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-H", "--host"):
            if i + 1 >= len(argv):
                raise SystemExit(_usage_error("flag needs an argument: --host"))
            opts["host"] = argv[i + 1]
            i += 2
        elif a.startswith("--host="):
            opts["host"] = a.split("=", 1)[1]
            i += 1
        elif a.startswith("-H") and len(a) > 2:
            opts["host"] = a[2:].lstrip("=")
            i += 1
        elif a in ("-D", "--debug", "--tls", "--tlsverify"):
            i += 1
        elif a in ("-l", "--log-level", "--config", "--context", "-c"):
            i += 2
        elif a in ("-v", "--version"):
            opts["version"] = True
            i += 1
        elif a in ("-h", "--help"):
            opts["help"] = True
            i += 1
        else:
            break
    return opts, argv[i:]


def _usage_error(msg: str) -> int:
    print(f"{PROG}: {msg}\n\nRun '{PROG} --help' for more information", file=sys.stderr)
    return 125


def _resolve(argv: list[str]) -> tuple[str, tuple[str, str], list[str]] | None:
    if not argv:
        return None
    head = argv[0]
    if head in GROUPS:
        if len(argv) < 2 or argv[1] in ("-h", "--help"):
            return None
        sub = GROUPS[head].get(argv[1])
        if sub is None:
            return None
        target = EXTRA.get(sub) or COMMANDS.get(sub)
        return f"{head} {argv[1]}", target, argv[2:]
    if head in COMMANDS:
        return head, COMMANDS[head], argv[1:]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    opts, rest = _global_opts(argv)
    if opts.get("version"):
        from barge import __version__
        print(f"barge version {__version__}")
        return 0
    if not rest or opts.get("help"):
        print(USAGE.strip("\n"))
        return 0
    if rest[0] == "registry":  # the registry server: no daemon, no client
        from barge.distribution.registry.main import main as registry_main
        return registry_main(rest[1:])
    found = _resolve(rest)
    if found is None:
        if rest[0] in GROUPS:
            print(USAGE.strip("\n"))
            return 0
        print(f"{PROG}: unknown command: {PROG} {rest[0]}\n\nRun '{PROG} --help' for more information",
              file=sys.stderr)
        return 1
    name, (module, func), args = found
    import importlib
    mod = importlib.import_module(f"barge.cli.commands.{module}")
    from barge.cli.context import Context, Exit
    ctx = Context(PROG, name, opts.get("host"))
    try:
        return getattr(mod, func)(ctx, args) or 0
    except Exit as e:
        return e.code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
