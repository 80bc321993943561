"""`run` and `create`, and attaching a terminal or pipes to a container."""
from __future__ import annotations

import os
import signal
import sys
import threading

from barge.cli import streams
from barge.cli.commands._common import F, parse
from barge.cli.context import Context
from barge.cli.flags import Flag


def _mount_value(raw: str) -> dict:
    """One --mount value, parsed when the flag is read (docker's MountOpt.Set)."""
    from barge.cli.mountopt import parse_mount
    return parse_mount(raw, warn=_logrus_warning)


def _netopt(name: str):
    """A flag parser from barge.cli.netopt, imported when a value is read."""
    def parse_value(raw: str):
        from barge.cli import netopt
        return getattr(netopt, name)(raw)
    return parse_value


def _logrus_warning(text: str) -> None:
    import time
    from barge.cli.rows import rfc3339
    sys.stderr.write(f'time="{rfc3339(int(time.time()))}" level=warning msg="{text}"\n')


CREATE_FLAGS = [
    F("add-host", None, "list", None, "Add a custom host-to-IP mapping (host:ip)",
      parser=_netopt("validate_extra_host")),
    F("attach", "a", "list", None, "Attach to STDIN, STDOUT or STDERR"),
    F("cap-add", None, "list", None, "Add Linux capabilities"),
    F("cap-drop", None, "list", None, "Drop Linux capabilities"),
    F("cidfile", None, "string", "", "Write the container ID to the file"),
    F("device", None, "list", None, "Add a host device to the container"),
    F("dns", None, "list", None, "Set custom DNS servers", parser=_netopt("validate_ip")),
    F("dns-opt", None, "list", None, "Set DNS options", hidden=True),
    F("dns-option", None, "list", None, "Set DNS options"),
    F("dns-search", None, "list", None, "Set custom DNS search domains", parser=_netopt("validate_dns_search")),
    F("domainname", None, "string", "", "Container NIS domain name"),
    F("entrypoint", None, "string", None, "Overwrite the default ENTRYPOINT of the image"),
    F("env", "e", "list", None, "Set environment variables"),
    F("env-file", None, "list", None, "Read in a file of environment variables"),
    F("expose", None, "list", None, "Expose a port or a range of ports"),
    F("health-cmd", None, "string", "", "Command to run to check health"),
    F("health-interval", None, "duration", 0.0, "Time between running the check (ms|s|m|h) (default 0s)"),
    F("health-retries", None, "int", 0, "Consecutive failures needed to report unhealthy"),
    F("health-start-interval", None, "duration", 0.0, "Time between running the check during the start period (ms|s|m|h) (default 0s)"),
    F("health-start-period", None, "duration", 0.0, "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)"),
    F("health-timeout", None, "duration", 0.0, "Maximum time to allow one check to run (ms|s|m|h) (default 0s)"),
    F("hostname", "h", "string", "", "Container host name"),
    F("init", None, "bool", False, "Run an init inside the container that forwards signals and reaps processes"),
    F("interactive", "i", "bool", False, "Keep STDIN open even if not attached"),
    F("ip", None, "string", "", "IPv4 address (e.g., 172.30.100.104)"),
    F("ip6", None, "string", "", "IPv6 address (e.g., 2001:db8::33)"),
    F("label", "l", "list", None, "Set meta data on a container"),
    F("label-file", None, "list", None, "Read in a line delimited file of labels"),
    F("link", None, "list", None, "Add link to another container", parser=_netopt("validate_link")),
    F("link-local-ip", None, "list", None, "Container IPv4/IPv6 link-local addresses"),
    F("log-driver", None, "string", "", "Logging driver for the container"),
    F("mac-address", None, "string", "", "Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
    F("memory", "m", "string", "", "Memory limit"),
    Flag("mount", kind="list", help="Attach a filesystem mount to the container", type_name="mount",
         parser=_mount_value),
    F("memory-reservation", None, "string", "", "Memory soft limit"),
    F("memory-swap", None, "string", "", "Swap limit equal to memory plus swap: '-1' to enable unlimited swap"),
    F("cpus", None, "string", "", "Number of CPUs"),
    F("cpu-shares", "c", "int", 0, "CPU shares (relative weight)"),
    F("cpu-period", None, "int", 0, "Limit CPU CFS (Completely Fair Scheduler) period"),
    F("cpu-quota", None, "int", 0, "Limit CPU CFS (Completely Fair Scheduler) quota"),
    F("cpuset-cpus", None, "string", "", "CPUs in which to allow execution (0-3, 0,1)"),
    F("cpuset-mems", None, "string", "", "MEMs in which to allow execution (0-3, 0,1)"),
    F("pids-limit", None, "int", 0, "Tune container pids limit (set -1 for unlimited)"),
    F("ulimit", None, "list", None, "Ulimit options"),
    F("oom-kill-disable", None, "bool", False, "Disable OOM Killer"),
    F("shm-size", None, "string", "", "Size of /dev/shm"),
    F("sysctl", None, "list", None, "Sysctl options"),
    F("group-add", None, "list", None, "Add additional groups to join"),
    F("tmpfs", None, "list", None, "Mount a tmpfs directory"),
    F("log-opt", None, "list", None, "Log driver options"),
    F("name", None, "string", "", "Assign a name to the container"),
    F("no-healthcheck", None, "bool", False, "Disable any container-specified HEALTHCHECK"),
    Flag("network", kind="list", help="Connect a container to a network", type_name="network",
         parser=_netopt("validate_network")),
    Flag("net", kind="list", help="Connect a container to a network", hidden=True, type_name="network",
         parser=_netopt("validate_network")),
    F("network-alias", None, "list", None, "Add network-scoped alias for the container"),
    F("net-alias", None, "list", None, "Add network-scoped alias for the container", hidden=True),
    F("platform", None, "string", "", "Set platform if server is multi-platform capable"),
    F("privileged", None, "bool", False, "Give extended privileges to this container"),
    F("publish", "p", "list", None, "Publish a container's port(s) to the host"),
    F("publish-all", "P", "bool", False, "Publish all exposed ports to random ports"),
    F("pull", None, "string", "missing", "Pull image before creating (\"always\", \"missing\", \"never\")"),
    F("quiet", "q", "bool", False, "Suppress the pull output"),
    F("read-only", None, "bool", False, "Mount the container's root filesystem as read only"),
    F("restart", None, "string", "no", "Restart policy to apply when a container exits"),
    F("rm", None, "bool", False, "Automatically remove the container and its associated anonymous volumes when it exits"),
    F("security-opt", None, "list", None, "Security Options"),
    F("stop-signal", None, "string", "", "Signal to stop the container"),
    F("stop-timeout", None, "int", None, "Timeout (in seconds) to stop a container"),
    F("tty", "t", "bool", False, "Allocate a pseudo-TTY"),
    F("user", "u", "string", "", "Username or UID (format: <name|uid>[:<group|gid>])"),
    F("volume", "v", "list", None, "Bind mount a volume"),
    F("volume-driver", None, "string", "", "Optional volume driver for the container"),
    F("volumes-from", None, "list", None, "Mount volumes from the specified container(s)"),
    F("workdir", "w", "string", "", "Working directory inside the container"),
]
RUN_FLAGS = CREATE_FLAGS + [
    F("detach", "d", "bool", False, "Run container in background and print container ID"),
    F("detach-keys", None, "string", "", "Override the key sequence for detaching a container"),
    F("sig-proxy", None, "bool", True, "Proxy received signals to the process"),
]


def _run_error(ctx: Context, msg: str, code: int = 125) -> int:
    ctx.err(f"{ctx.prog}: {msg.rstrip()}\n\nRun '{ctx.prog} {ctx.command} --help' for more information")
    return code


def exit_code_for(msg: str) -> int:
    """Docker's CLI picks the exit code of a failed run from the error text."""
    if "executable file not found" in msg or "no such file or directory" in msg \
            or "system cannot find the file specified" in msg:
        return 127
    if "permission denied" in msg or "is a directory" in msg:
        return 126
    return 125


def _read_files(paths: list[str] | None) -> dict[str, str]:
    out = {}
    for p in paths or []:
        with open(p) as f:
            out[p] = f.read()
    return out


def _create(ctx: Context, p, detach_default: bool) -> str:
    """Create the container; raise _Fail with Docker's message on errors."""
    from barge.cli.runopts import create_body
    from barge.client.http import APIError
    o = dict(p.opts)
    o.setdefault("detach", detach_default)
    for f in RUN_FLAGS:   # the parser fills zero values; "not given" matters for these
        if f.default is None and f.name not in p.set:
            o[f.name] = None
    for flag, hidden in (("network", "net"), ("network-alias", "net-alias"), ("dns-option", "dns-opt")):
        if o.get(hidden):                 # docker's hidden spellings fill the same list
            o[flag] = (o.get(flag) or []) + o[hidden]
    image, cmd = p.args[0], p.args[1:]
    from barge.errdefs import InvalidParameter
    from barge.spec import reference
    pull = o.get("pull") or "missing"
    if pull not in ("always", "missing", "never"):
        raise _Fail(f"invalid pull option: '{pull}': must be one of \"always\", \"missing\" or \"never\"",
                    client_side=True)
    try:
        ref = reference.parse(image).with_default_tag()
    except InvalidParameter as e:
        raise _Fail(str(e), client_side=True) from None
    try:
        body = create_body(o, image, cmd, dict(os.environ), _read_files(o.get("env-file")),
                           _read_files(o.get("label-file")), cwd=os.getcwd())
    except OSError as e:
        raise _Fail(f"open {e.filename}: {e.strerror.lower()}") from None
    except InvalidParameter as e:         # docker's parse errors: "docker: ...", exit 125
        raise _Fail(str(e), client_side=True) from None
    except Exception as e:
        raise _Fail(str(e)) from None
    from barge.cli.netopt import is_loopback
    for dns in body["HostConfig"]["Dns"]:
        if is_loopback(dns):
            ctx.err(f"WARNING: Localhost DNS ({dns}) may fail in containers.")
            break
    if o.get("cidfile") and os.path.exists(o["cidfile"]):
        raise _Fail(f"container ID file found, make sure the other container isn't running or delete {o['cidfile']}")
    params = {"name": o.get("name") or None}
    if pull == "always":
        _pull(ctx, ref, o)
    try:
        try:
            res = ctx.client.post("/containers/create", params, json_body=body).json()
        except APIError as e:
            if e.status != 404 or pull != "missing":    # docker pulls on any 404, as here
                raise
            if not o.get("quiet"):
                ctx.err(f"Unable to find image '{ref.familiar()}' locally")
            _pull(ctx, ref, o)
            res = ctx.client.post("/containers/create", params, json_body=body).json()
    except APIError as e:
        raise _Fail("Error response from daemon: " + e.message) from None
    except _Fail:
        raise
    except Exception as e:
        raise _Fail(str(e)) from None
    cid = res["Id"]
    if o.get("cidfile"):
        with open(o["cidfile"], "w") as f:
            f.write(cid)
    return cid


def _pull(ctx: Context, ref, o: dict) -> None:
    """docker's pullImage for create/run: the progress on stderr (none with -q)."""
    from barge.cli.commands.registry import _error_text, pull_image
    try:
        pull_image(ctx, ref, sys.stderr, quiet=bool(o.get("quiet")), platform=o.get("platform") or "")
    except Exception as e:
        raise _Fail(_error_text(e)) from None


class _Fail(Exception):
    def __init__(self, msg: str, client_side: bool = False) -> None:
        super().__init__(msg)
        self.client_side = client_side


def create(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "create", "docker create [OPTIONS] IMAGE [COMMAND] [ARG...]", "Create a new container",
              CREATE_FLAGS, argv, min_args=1, interspersed=False)
    try:
        cid = _create(ctx, p, True)
    except _Fail as e:
        if e.client_side:
            return _run_error(ctx, str(e))
        ctx.err(str(e))               # docker create: the daemon's error, exit 1
        return 1
    ctx.out(cid)
    return 0


def run(ctx: Context, argv: list[str]) -> int:
    p = parse(ctx, "run", "docker run [OPTIONS] IMAGE [COMMAND] [ARG...]", "Create and run a new container from an image",
              RUN_FLAGS, argv, min_args=1, interspersed=False)
    o = p.opts
    attach = [a.lower() for a in (o.get("attach") or [])]
    stdin = o["interactive"] and (not attach or "stdin" in attach) and not o["detach"]
    if o["tty"] and stdin and not sys.stdin.isatty():
        ctx.err("the input device is not a TTY")
        return 1
    try:
        cid = _create(ctx, p, False)
    except _Fail as e:
        return _run_error(ctx, str(e))
    if o["detach"]:
        try:
            ctx.client.post(f"/containers/{cid}/start").close()
        except Exception as e:
            msg = getattr(e, "message", str(e))
            return _run_error(ctx, "Error response from daemon: " + msg, exit_code_for(msg))
        ctx.out(cid)
        return 0
    session = Attached(ctx, cid, stdin=stdin, tty=o["tty"],
                       stdout=not attach or "stdout" in attach, stderr=not attach or "stderr" in attach,
                       detach_keys=o.get("detach-keys") or "")
    return session.run(condition="removed" if o["rm"] else "next-exit", start=True,
                       sig_proxy=o["sig-proxy"] and not o["tty"])


def attach_and_start(ctx: Context, ref: str, stdin: bool) -> int:
    info = ctx.client.get_json(f"/containers/{ref}/json")
    session = Attached(ctx, info["Id"], stdin=stdin and info["Config"].get("OpenStdin"),
                       tty=info["Config"].get("Tty"), stdout=True, stderr=True)
    return session.run(condition="next-exit", start=True, sig_proxy=not info["Config"].get("Tty"))


def attach_running(ctx: Context, ref: str, stdin: bool, detach_keys: str = "", sig_proxy: bool = True) -> int:
    try:
        info = ctx.client.get_json(f"/containers/{ref}/json")
    except Exception as e:
        return ctx.daemon_error(e)
    if not info["State"]["Running"]:
        ctx.err("You cannot attach to a stopped container, start it first")
        return 1
    session = Attached(ctx, info["Id"], stdin=stdin and info["Config"].get("OpenStdin"),
                       tty=info["Config"].get("Tty"), stdout=True, stderr=True, detach_keys=detach_keys)
    return session.run(condition="not-running", start=False,
                       sig_proxy=sig_proxy and not info["Config"].get("Tty"))


class Attached:
    """A hijacked attach connection plus the wait that gives the exit code."""

    def __init__(self, ctx: Context, cid: str, stdin: bool, tty: bool, stdout: bool, stderr: bool,
                 detach_keys: str = "") -> None:
        self.ctx, self.cid = ctx, cid
        self.stdin, self.tty, self.stdout, self.stderr = stdin, tty, stdout, stderr
        self.detach_keys = detach_keys

    def run(self, condition: str, start: bool, sig_proxy: bool) -> int:
        ctx = self.ctx
        try:
            from barge.spec.detachkeys import parse_detach_keys
            keys = parse_detach_keys(self.detach_keys) if self.tty and self.stdin else b""
            conn = ctx.client.post(f"/containers/{self.cid}/attach",
                                   {"stream": 1, "stdin": int(self.stdin), "stdout": int(self.stdout),
                                    "stderr": int(self.stderr), "detachKeys": self.detach_keys or None},
                                   upgrade=True)
            waiter = ctx.client.post(f"/containers/{self.cid}/wait", {"condition": condition})
        except Exception as e:
            return _run_error(ctx, "Error response from daemon: " + getattr(e, "message", str(e)))
        # only a terminal whose keys go to the container is put in raw mode
        restore = streams.raw_terminal() if self.tty and self.stdin and sys.stdin.isatty() else None
        try:
            if start:
                try:
                    ctx.client.post(f"/containers/{self.cid}/start").close()
                except Exception as e:
                    conn.close()
                    msg = getattr(e, "message", str(e))
                    if restore:
                        restore()
                        restore = None
                    return _run_error(ctx, "Error response from daemon: " + msg, exit_code_for(msg))
            if self.tty:
                self._resize()
                streams.on_winch(self._resize)
            if sig_proxy:
                _proxy_signals(ctx, self.cid)
            detached = threading.Event()
            if self.stdin:
                threading.Thread(target=streams.copy_stdin, args=(conn, keys, detached), daemon=True).start()
            streams.copy_output(conn, self.tty)
            if detached.is_set():          # ctrl-p ctrl-q: the container runs on
                waiter.close()
                return 0
            try:
                code = waiter.json()["StatusCode"]
            except Exception:
                code = 125
            return code
        finally:
            if restore:
                restore()

    def _resize(self, *_):
        try:
            size = os.get_terminal_size(sys.stdout.fileno())
            self.ctx.client.post(f"/containers/{self.cid}/resize", {"h": size.lines, "w": size.columns}).close()
        except Exception:
            pass


def _proxy_signals(ctx: Context, cid: str) -> None:
    def forward(signum, _frame):
        try:
            ctx.client.post(f"/containers/{cid}/kill", {"signal": str(signum)}).close()
        except Exception:
            pass
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        try:
            signal.signal(s, forward)
        except ValueError:
            pass
