"""`build` (also `image build`, `builder build`): docker's classic builder
client. Makes the context (barge.cli.buildcontext), POSTs it to /build with
the query docker 28 sends, and prints the daemon's JSON messages as docker
does when BuildKit is off."""
from __future__ import annotations

import os
import sys
import time

from barge.cli.commands._common import F, label_arg, parse
from barge.cli.context import Context
from barge.cli.flags import Flag

USAGE = "[OPTIONS] PATH | URL | -"
DESC = "Build an image from a Dockerfile"
SENDING = "Sending build context to Docker daemon"
UPDATE_EVERY = 512 * 1024          # docker's progress reader: a line per 512 KiB on a terminal ...
UPDATE_INTERVAL = 0.1              # ... at most every 100 ms
READ_SIZE = 32 * 1024              # what Go's HTTP client reads at a time

BUILDKIT_DISABLED_WARNING = """\
DEPRECATED: The legacy builder is deprecated and will be removed in a future release.
            BuildKit is currently disabled; enable it by removing the DOCKER_BUILDKIT=0
            environment-variable."""
BUILDX_MISSING_WARNING = """\
DEPRECATED: The legacy builder is deprecated and will be removed in a future release.
            Install the buildx component to build images with BuildKit:
            https://docs.docker.com/go/buildx/"""
BUILDX_MISSING_ERROR = """\
ERROR: BuildKit is enabled but the buildx component is missing or broken.
       Install the buildx component to build images with BuildKit:
       https://docs.docker.com/go/buildx/"""


def _tag_arg(value: str) -> str:
    """docker's validateTag: a reference ParseNormalizedNamed accepts."""
    from barge.spec import reference
    reference.parse(value)
    return value


def _build_arg(value: str) -> str:
    """docker's opts.ValidateEnv: "k=v" as is, "k" takes k's value from the
    environment when it has one (else stays "k", sent as null)."""
    key, eq, _ = value.partition("=")
    if not key:
        raise ValueError(f"invalid environment variable: {value}")
    if not eq and key in os.environ:
        return f"{key}={os.environ[key]}"
    return value


def _extra_host(value: str) -> str:
    from barge.cli.netopt import validate_extra_host
    return validate_extra_host(value)


def _ulimit(value: str) -> dict:
    from barge.cli.runopts import ulimits
    return ulimits([value])[0]


def _csv(value: str) -> list[str]:
    """A pflag StringSlice occurrence: CSV fields ("" is none)."""
    if not value:
        return []
    import csv
    return next(csv.reader([value]))


def _mem_swap(value: str) -> int:
    """docker's MemSwapBytes: "-1" (unlimited) or a size."""
    from barge.spec.units import ram_in_bytes
    return -1 if value == "-1" else ram_in_bytes(value)


def _flags() -> list:
    return [
        F("add-host", None, "list", None, 'Add a custom host-to-IP mapping ("host:ip")', parser=_extra_host),
        F("build-arg", None, "list", None, "Set build-time variables", parser=_build_arg),
        Flag("cache-from", kind="list", help="Images to consider as cache sources", type_name="strings",
             parser=_csv),
        F("cgroup-parent", None, "string", "", 'Set the parent cgroup for the "RUN" instructions during build'),
        F("compress", None, "bool", False, "Compress the build context using gzip"),
        F("cpu-period", None, "int", 0, "Limit the CPU CFS (Completely Fair Scheduler) period"),
        F("cpu-quota", None, "int", 0, "Limit the CPU CFS (Completely Fair Scheduler) quota"),
        F("cpu-shares", "c", "int", 0, "CPU shares (relative weight)"),
        F("cpuset-cpus", None, "string", "", "CPUs in which to allow execution (0-3, 0,1)"),
        F("cpuset-mems", None, "string", "", "MEMs in which to allow execution (0-3, 0,1)"),
        F("disable-content-trust", None, "bool", True, "Skip image verification"),
        F("file", "f", "string", "", 'Name of the Dockerfile (Default is "PATH/Dockerfile")'),
        F("force-rm", None, "bool", False, "Always remove intermediate containers"),
        F("iidfile", None, "string", "", "Write the image ID to the file"),
        F("isolation", None, "string", "", "Container isolation technology"),
        F("label", None, "list", None, "Set metadata for an image", parser=label_arg),
        F("memory", "m", "bytes", 0, "Memory limit"),
        Flag("memory-swap", kind="bytes", parser=_mem_swap,
             help="Swap limit equal to memory plus swap: -1 to enable unlimited swap"),
        F("network", None, "string", "default", "Set the networking mode for the RUN instructions during build"),
        F("no-cache", None, "bool", False, "Do not use cache when building the image"),
        F("platform", None, "string", os.environ.get("DOCKER_DEFAULT_PLATFORM", ""),
          "Set platform if server is multi-platform capable"),
        F("pull", None, "bool", False, "Always attempt to pull a newer version of the image"),
        F("quiet", "q", "bool", False, "Suppress the build output and print image ID on success"),
        F("rm", None, "bool", True, "Remove intermediate containers after a successful build"),
        Flag("security-opt", kind="list", help="Security options", type_name="strings", parser=_csv),
        F("shm-size", None, "bytes", 0, 'Size of "/dev/shm"'),
        F("squash", None, "bool", False, "Squash newly built layers into a single new layer", hidden=True),
        F("tag", "t", "list", None, 'Name and optionally a tag in the "name:tag" format', parser=_tag_arg),
        F("target", None, "string", "", "Set the target build stage to build."),
        Flag("ulimit", kind="list", help="Ulimit options", type_name="ulimit", default_text="[]", parser=_ulimit),
    ]


def go_json(value) -> str:
    """json.Marshal's text: compact, <, >, & and U+2028/9 escaped (keys in
    the order given: sort a Go map's first, keep a struct's field order)."""
    import json
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                    ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


def build_params(o: dict, dockerfile: str) -> dict[str, str | list[str]]:
    """The /build query docker 28 sends (client.imageBuildOptionsToQuery),
    in its (sorted) order; defaults are left out."""
    p: dict[str, str | list[str]] = {}
    build_args: dict[str, str | None] = {}
    for item in o["build-arg"]:
        k, eq, v = item.partition("=")
        build_args[k] = v if eq else None
    labels = dict(item.partition("=")[::2] for item in o["label"])
    ulimits = {u["Name"]: u for u in o["ulimit"]}
    cache_from = [v for values in o["cache-from"] for v in values]
    security = [v for values in o["security-opt"] for v in values]
    isolation = o["isolation"]
    candidates = {
        "buildargs": go_json(dict(sorted(build_args.items()))) if build_args else None,
        "cachefrom": go_json(cache_from) if cache_from else None,
        "cgroupparent": o["cgroup-parent"] or None,
        "cpuperiod": o["cpu-period"] or None, "cpuquota": o["cpu-quota"] or None,
        "cpusetcpus": o["cpuset-cpus"] or None, "cpusetmems": o["cpuset-mems"] or None,
        "cpushares": o["cpu-shares"] or None,
        "dockerfile": dockerfile or None,
        "extrahosts": o["add-host"] or None,
        "forcerm": "1" if o["force-rm"] else None,
        "isolation": isolation if isolation.lower() not in ("", "default") else None,
        "labels": go_json(dict(sorted(labels.items()))) if labels else None,
        "memory": o["memory"] or None, "memswap": o["memory-swap"] or None,
        "networkmode": o["network"] if o["network"] not in ("", "default") else None,
        "nocache": "1" if o["no-cache"] else None,
        "platform": o["platform"].lower() or None,
        "pull": "1" if o["pull"] else None,
        "q": "1" if o["quiet"] else None,
        "rm": None if o["rm"] else "0",
        "securityopt": security or None,
        "shmsize": o["shm-size"] or None,
        "squash": "1" if o["squash"] else None,
        "t": o["tag"] or None,
        "target": o["target"] or None,
        "ulimits": go_json([{"Name": u["Name"], "Hard": u["Hard"], "Soft": u["Soft"]} for u in ulimits.values()])
        if ulimits else None,
        "version": "1",
    }
    for key in sorted(candidates):
        value = candidates[key]
        if value is not None:
            p[key] = value if isinstance(value, list) else str(value)
    return p


def build(ctx: Context, argv: list[str]) -> int:
    refused = _builder_notice(ctx)
    if refused:
        return refused
    p = parse(ctx, ctx.command or "build", USAGE, DESC, _flags(), argv, min_args=1, max_args=1)
    o = p.opts
    ping = None
    if o["squash"]:
        ping = _ping(ctx)
        if ping is None:
            return 1
        if ping.headers.get("docker-experimental", "").lower() != "true":
            ctx.err('"--squash" is only supported on a Docker daemon with experimental features enabled')
            return 1
    if o["iidfile"] and not _remove_stale(ctx, o["iidfile"]):
        return 1
    local = _local_context(ctx, p.args[0], o["file"])
    if local is not None:
        ping = ping or _ping(ctx)
        if ping is None:
            return 1
        if ping.headers.get("server", "").startswith("barge/"):
            rc = _send(ctx, o, None, local)
            if rc is not None:
                return rc
    from barge.cli import buildcontext
    from barge.errdefs import InvalidParameter
    try:
        context = buildcontext.prepare(p.args[0], o["file"], sys.stdin.buffer, o["compress"])
    except InvalidParameter as e:
        ctx.err(str(e))
        return 1
    if ping is None and _ping(ctx) is None:
        return 1
    return _send(ctx, o, context)


def _local_context(ctx: Context, context: str, dockerfile: str) -> tuple[str, str] | None:
    """(context dir, dockerfile) when barged on this host can read the context in
    place: a directory, a unix socket, no Dockerfile on stdin. BARGE_BUILD_UPLOAD=1
    always uploads, as docker does."""
    if os.environ.get("BARGE_BUILD_UPLOAD") == "1" or dockerfile == "-" or context == "-":
        return None
    if not getattr(ctx.client, "host", "").startswith("unix://") or not os.path.isdir(context):
        return None
    root = os.path.realpath(context)
    if not dockerfile:
        return root, "Dockerfile"
    path = os.path.abspath(dockerfile)
    inside = path.startswith(root + os.sep)
    return root, os.path.relpath(path, root) if inside else path


def _send(ctx: Context, o: dict, context, local: tuple[str, str] | None = None) -> int | None:
    """POST /build with the context streamed, then show the answer as docker
    does; -q keeps everything back and prints it only if the build fails.
    With `local`, the daemon reads the context in place (None: it can't, upload)."""
    quiet = o["quiet"]
    progress_out = _Buffer() if quiet else _Stdout()
    headers = {"Content-Type": "application/x-tar", "X-Registry-Config": "e30="}
    if local is not None:
        body, params = b"", dict(build_params(o, local[1]), bargecontext=local[0])
    else:
        body = _sending(context.chunks, progress_out, not quiet and sys.stdout.isatty())
        params = build_params(o, context.dockerfile)
    try:
        resp = ctx.client.post("/build", params, body=body, headers=headers)
    except Exception as e:
        if local is not None and "local build context" in str(e):
            return None
        if quiet:
            sys.stderr.write(progress_out.text())
        return ctx.daemon_error(e)
    build_out = _Buffer() if quiet else _Stdout()
    try:
        image_id, failure = display(resp.iter_json(), build_out.write)
    except Exception as e:
        return ctx.daemon_error(e)
    finally:
        resp.close()
    if failure is not None:
        if quiet:
            sys.stderr.write(progress_out.text() + build_out.text())
        ctx.err(failure[1])
        return failure[0]
    if quiet:
        image_id = build_out.text()
        sys.stdout.write(image_id)
    return _write_iidfile(ctx, o["iidfile"], image_id) if o["iidfile"] else 0


def _remove_stale(ctx: Context, path: str) -> bool:
    """docker removes an old --iidfile first, so a failed build leaves none."""
    try:
        os.remove(path)
    except FileNotFoundError:
        pass
    except OSError as e:
        ctx.err(f"Removing image ID file: remove {path}: {(e.strerror or str(e)).lower()}")
        return False
    return True


def _write_iidfile(ctx: Context, path: str, image_id: str) -> int:
    if not image_id:
        ctx.err(f"Server did not provide an image ID. Cannot write {path}")
        return 1
    try:
        with open(path, "w") as f:
            f.write(image_id)
    except OSError as e:
        ctx.err(f"open {path}: {(e.strerror or str(e)).lower()}")
        return 1
    return 0


def _builder_notice(ctx: Context) -> int:
    """What docker's CLI says before a build without BuildKit (it has no
    buildx here, and barge never has): a deprecation notice, or the error it
    stops with when DOCKER_BUILDKIT asks for BuildKit. Returns an exit code
    to stop with, or 0."""
    value = os.environ.get("DOCKER_BUILDKIT")
    if value is None:
        ctx.err(BUILDX_MISSING_WARNING + "\n")
        return 0
    from barge.errdefs import InvalidParameter
    from barge.spec.gostrconv import parse_go_bool
    try:
        enabled = parse_go_bool(value)
    except InvalidParameter as e:
        ctx.err(f"DOCKER_BUILDKIT environment variable expects boolean value: {e}")
        return 1
    if enabled:
        ctx.err(BUILDX_MISSING_ERROR)
        return 1
    ctx.err(BUILDKIT_DISABLED_WARNING + "\n")
    return 0


def _ping(ctx: Context):
    """GET /_ping, which settles the API version before the body is streamed
    (a streamed body can't be sent twice); None after printing the error."""
    try:
        resp = ctx.client.get("/_ping")
    except Exception as e:
        ctx.daemon_error(e)
        return None
    resp.close()
    return resp


class _Stdout:
    def write(self, text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()


class _Buffer:
    """Where -q keeps what docker would have printed (shown if the build fails)."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)


def _sending(chunks, out, tty: bool, clock=time.monotonic):
    """The context chunks, counted into docker's "Sending build context to
    Docker daemon  2.048kB" line: refreshed with "\\r" on a terminal (counted
    in 32 KiB reads, as Go's client reads), and always a last one ending
    "\\r\\r\\n" once everything is sent."""
    from barge.spec.units import human_size
    sent = last = 0
    last_time = None
    for chunk in chunks:
        if not tty:
            sent += len(chunk)
            yield chunk
            continue
        for off in range(0, len(chunk), READ_SIZE):
            sent += min(READ_SIZE, len(chunk) - off)
            if sent - last > UPDATE_EVERY:
                last = sent
                now = clock()
                if last_time is None or now - last_time >= UPDATE_INTERVAL:
                    last_time = now
                    out.write(f"{SENDING} {human_size(sent, 4):>8}\r")
        yield chunk
    out.write(f"{SENDING} {human_size(sent, 4):>8}\r\r\n")


def display(messages, write) -> tuple[str, tuple[int, str] | None]:
    """docker's DisplayJSONMessagesStream as its classic build uses it (never
    in terminal mode): each message's text to `write`; returns the image ID
    (from the last `aux`) and, for an error message, (exit code, text)."""
    image_id = ""
    for m in messages:
        if not isinstance(m, dict):
            continue
        if m.get("aux") is not None:
            aux = m["aux"]
            if isinstance(aux, dict):
                image_id = aux.get("ID") or ""
            else:
                sys.stderr.write("Failed to parse aux message: json: cannot unmarshal into Go value "
                                 "of type types.BuildResult")
            continue
        detail = m.get("errorDetail")
        if detail is not None:
            return image_id, (detail.get("code") or 1, detail.get("message") or "")
        write(_message_text(m))
    return image_id, None


def _message_text(m: dict) -> str:
    """One message as JSONMessage.Display prints it off a terminal ("" for a
    progress bar, which only a terminal shows)."""
    from barge.cli.jsonmessage import message_text
    return message_text(m)
