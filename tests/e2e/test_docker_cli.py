"""The stock docker CLI (28.x) driving barged: the commands of issue 2, with Docker's output.

Every expectation here is what Docker itself prints for the same command
(checked against the reference Docker engine); where barge differs, the test
fails rather than being loosened.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import platform
import re
import tarfile
import time

import pytest

DOCKER = "/usr/local/bin/docker"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not os.access(DOCKER, os.X_OK), reason=f"{DOCKER} is not installed"),
]

HEX64 = re.compile(r"[0-9a-f]{64}")
IMAGE_ID = re.compile(r"sha256:[0-9a-f]{64}")
# go-units HumanDuration as `docker ps` uses it
DURATION = r"(?:Less than a second|1 second|\d+ seconds|About a minute|\d+ minutes|About an hour|\d+ hours)"
AGO = DURATION + " ago"
UP = "Up " + DURATION
TIMESTAMP = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d{1,9})?Z")
# a container that ends promptly and cleanly on SIGTERM (sh as pid 1 runs the trap between sleeps)
LOOP = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())

PS_COLUMNS = ["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
IMAGES_COLUMNS = ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]
HISTORY_COLUMNS = ["IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT"]


# ---------------------------------------------------------------- helpers

def table(text: str) -> tuple[list[str], list[dict[str, str]]]:
    """Split a Docker table (Go tabwriter output) into its header and rows.

    Cells are cut where the header's words start (a header word starts after
    two or more spaces), so a value not aligned under its header lands in the
    wrong cell and the assertion on it fails.
    """
    lines = text.rstrip("\n").split("\n")
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", header)]
    bounds = list(zip(starts, starts[1:] + [None]))
    names = [header[s:e].strip() for s, e in bounds]
    rows = [dict(zip(names, (line[s:e].strip() for s, e in bounds))) for line in lines[1:]]
    return names, rows


def human_size(n: float) -> str:
    """go-units HumanSizeWithPrecision(n, 3): decimal units, 3 significant digits."""
    units = ["B", "kB", "MB", "GB", "TB", "PB"]
    i = 0
    while n >= 1000 and i < len(units) - 1:
        n /= 1000.0
        i += 1
    return f"{n:.3g}{units[i]}"


def parse_ts(s: str) -> float:
    m = TIMESTAMP.fullmatch(s)
    assert m, f"not an RFC 3339 nano timestamp: {s!r}"
    base = dt.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc)
    return base.timestamp() + float(m.group(2) or 0)


def image_id(docker_cli, ref: str) -> str:
    return docker_cli.out("image", "inspect", "-f", "{{.Id}}", ref).strip()


def container_id(docker_cli, name: str) -> str:
    return docker_cli.out("inspect", "-f", "{{.Id}}", name).strip()


def wait_for(pred, timeout: float = 10, every: float = 0.05):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() > deadline:
            return v
        time.sleep(every)


# ---------------------------------------------------------------- run

def test_run_rm_echo_hello(docker_cli, made):
    name = made.container(prefix="hello")
    r = docker_cli("run", "--rm", "--name", name, "busybox", "echo", "hello")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hello\n"
    assert r.stderr == ""
    # --rm: the container is gone once the CLI returns
    assert docker_cli.out("ps", "-a", "-q", "--filter", f"name={name}") == ""


def test_run_without_rm_keeps_exited_container(docker_cli, made):
    name = made.container(prefix="keep")
    r = docker_cli("run", "--name", name, "busybox", "echo", "kept")
    assert (r.returncode, r.stdout) == (0, "kept\n"), r.stderr
    assert docker_cli.out("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.Name}}", name) \
        == f"exited 0 /{name}\n"


def test_run_detached_prints_full_id(docker_cli, made):
    name = made.container(prefix="det")
    r = docker_cli("run", "-d", "--name", name, "busybox", "sleep", "30")
    assert r.returncode == 0, r.stderr
    assert HEX64.fullmatch(r.stdout.rstrip("\n")) and r.stdout.endswith("\n") and r.stdout.count("\n") == 1
    assert docker_cli.out("inspect", "-f", "{{.Id}} {{.State.Running}}", name) == f"{r.stdout.strip()} true\n"


def test_ps_family(docker_cli, made):
    up = made.container(prefix="sleepy")
    cid = docker_cli.out("run", "-d", "--name", up, "busybox", "sleep", "30").strip()
    done = made.container(prefix="done")
    r = docker_cli("run", "--name", done, "busybox", "sh", "-c", "exit 3")
    assert r.returncode == 3, r.stderr
    done_id = container_id(docker_cli, done)

    # docker ps: running containers only
    names, rows = table(docker_cli.out("ps"))
    assert names == PS_COLUMNS
    mine = [row for row in rows if row["NAMES"] == up]
    assert len(mine) == 1, rows
    row = mine[0]
    assert row["CONTAINER ID"] == cid[:12]
    assert row["IMAGE"] == "busybox"
    assert row["COMMAND"] == '"sleep 30"'
    assert re.fullmatch(AGO, row["CREATED"]), row
    assert re.fullmatch(UP, row["STATUS"]), row
    assert row["PORTS"] == ""
    assert done not in [r["NAMES"] for r in rows]

    # docker ps -a: exited ones too, newest first, Docker's command quoting
    names, rows = table(docker_cli.out("ps", "-a"))
    assert names == PS_COLUMNS
    by_name = {r["NAMES"]: r for r in rows}
    assert by_name[done]["CONTAINER ID"] == done_id[:12]
    assert re.fullmatch(r"Exited \(3\) " + AGO, by_name[done]["STATUS"]), by_name[done]
    assert by_name[up]["CONTAINER ID"] == cid[:12]
    order = [r["NAMES"] for r in rows]
    assert order.index(done) < order.index(up)

    # docker ps -q: short ids of running containers, one a line
    q = docker_cli.out("ps", "-q").split("\n")
    assert q[-1] == ""
    q = q[:-1]
    assert all(re.fullmatch(r"[0-9a-f]{12}", x) for x in q), q
    assert cid[:12] in q and done_id[:12] not in q

    # docker ps -l: the latest created container, whatever its state
    names, rows = table(docker_cli.out("ps", "-l"))
    assert names == PS_COLUMNS
    assert [(r["CONTAINER ID"], r["NAMES"]) for r in rows] == [(done_id[:12], done)]

    # docker ps --format
    lines = docker_cli.out("ps", "--format", "{{.Names}} {{.Status}}").splitlines()
    assert any(re.fullmatch(re.escape(up) + " " + UP, line) for line in lines), lines
    assert not any(line.startswith(done + " ") for line in lines)


def test_ps_command_column_quotes_arguments_with_spaces(docker_cli, made):
    # Docker's daemon puts single quotes around an argument holding a space:
    # `sh -c 'exit 3'` is listed as "sh -c 'exit 3'"
    name = made.container(prefix="quote")
    docker_cli("run", "--name", name, "busybox", "sh", "-c", "exit 3")
    assert docker_cli.out("ps", "-a", "--filter", f"name={name}", "--format", "{{.Command}}") \
        == "\"sh -c 'exit 3'\"\n"
    _, rows = table(docker_cli.out("ps", "-a", "--filter", f"name={name}"))
    assert [r["COMMAND"] for r in rows] == ["\"sh -c 'exit 3'\""]
    # only arguments with a space are quoted, with bare single quotes; not shell quoting
    other = made.container(prefix="quote2")
    docker_cli.out("create", "--name", other, "busybox", "echo", "x|y", "a b")
    assert docker_cli.out("ps", "-a", "--no-trunc", "--filter", f"name={other}", "--format", "{{.Command}}") \
        == "\"echo x|y 'a b'\"\n"


# ---------------------------------------------------------------- logs

def test_logs_follow_tail_timestamps(docker_cli, made):
    name = made.container(prefix="logs")
    docker_cli.out("run", "-d", "--name", name, "busybox", "sh", "-c",
                   "for i in $(seq 1 15); do echo line$i; done; sleep 2; echo last")
    assert wait_for(lambda: "line15" in docker_cli.out("logs", name)), docker_cli.out("logs", name)
    t0 = time.time()
    r = docker_cli("logs", "-f", "--tail", "10", "-t", name, timeout=20)
    elapsed = time.time() - t0
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    lines = r.stdout.split("\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    stamps, texts = zip(*(line.split(" ", 1) for line in lines))
    # the last 10 lines written so far, then what follows until the container exits
    assert list(texts) == [f"line{i}" for i in range(6, 16)] + ["last"]
    times = [parse_ts(s) for s in stamps]
    assert times == sorted(times)
    assert times[-1] - times[-2] >= 1.5          # "last" came 2 s after line15
    assert abs(times[-1] - time.time()) < 60     # real wall-clock times
    assert elapsed < 10                          # -f ended when the container exited


def test_stdout_and_stderr_kept_apart(docker_cli, made):
    name = made.container(prefix="streams")
    r = docker_cli("run", "--name", name, "busybox", "sh", "-c", "echo out; echo err >&2")
    assert r.returncode == 0
    assert r.stdout == "out\n"
    assert r.stderr == "err\n"
    r = docker_cli("logs", name)
    assert r.returncode == 0
    assert r.stdout == "out\n"
    assert r.stderr == "err\n"


def test_run_interactive_pipes_stdin(docker_cli):
    r = docker_cli("run", "-i", "--rm", "busybox", "cat", input="hi\n")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "hi\n"
    blob = bytes(range(256)) * 256          # 64 KiB, every byte value
    r = docker_cli("run", "-i", "--rm", "busybox", "cat", input=blob, text=False)
    assert r.returncode == 0, r.stderr
    assert (len(r.stdout), r.stdout == blob) == (len(blob), True)


# ---------------------------------------------------------------- lifecycle

def test_stop_start_restart_kill_inspect_rename_wait_rm(docker_cli, made):
    name = made.container(prefix="life")
    cid = docker_cli.out("run", "-d", "--name", name, "busybox", *LOOP).strip()
    fmt = "{{.State.Running}} {{.Config.Image}}"
    assert docker_cli.out("inspect", "-f", fmt, name) == "true busybox\n"

    t0 = time.time()
    assert docker_cli.out("stop", name) == name + "\n"
    assert time.time() - t0 < 8                  # SIGTERM was delivered; no 10 s kill timeout
    assert docker_cli.out("inspect", "-f", "{{.State.Running}} {{.State.Status}} {{.State.ExitCode}}", name) \
        == "false exited 0\n"
    status = docker_cli.out("ps", "-a", "--filter", f"name={name}", "--format", "{{.Status}}").strip()
    assert re.fullmatch(r"Exited \(0\) " + AGO, status), status

    assert docker_cli.out("start", name) == name + "\n"
    assert docker_cli.out("inspect", "-f", fmt, name) == "true busybox\n"
    started1, pid1 = docker_cli.out("inspect", "-f", "{{.State.StartedAt}} {{.State.Pid}}", name).split()

    assert docker_cli.out("restart", "-t", "2", name) == name + "\n"
    assert docker_cli.out("inspect", "-f", fmt, name) == "true busybox\n"
    started2, pid2 = docker_cli.out("inspect", "-f", "{{.State.StartedAt}} {{.State.Pid}}", name).split()
    assert started2 != started1 and parse_ts(started2) > parse_ts(started1)
    assert pid2 != pid1 and int(pid2) > 0

    assert docker_cli.out("kill", "-s", "KILL", name) == name + "\n"
    assert docker_cli.out("wait", name) == "137\n"
    assert docker_cli.out("inspect", "-f", "{{.State.Running}} {{.State.ExitCode}} {{.Config.Image}}", name) \
        == "false 137 busybox\n"

    new = made.container(prefix="life2")
    r = docker_cli("rename", name, new)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert docker_cli.out("inspect", "-f", "{{.Name}} {{.Id}}", new) == f"/{new} {cid}\n"
    r = docker_cli("inspect", name)
    assert r.returncode == 1
    assert f"No such object: {name}" in r.stderr
    assert docker_cli.out("wait", new) == "137\n"

    assert docker_cli.out("start", new) == new + "\n"
    assert docker_cli.out("rm", "-f", new) == new + "\n"
    r = docker_cli("inspect", new)
    assert r.returncode == 1
    assert f"No such object: {new}" in r.stderr


def test_restart_honours_timeout(docker_cli, made):
    # `sleep` as pid 1 ignores SIGTERM: restart -t 2 kills it after 2 seconds
    name = made.container(prefix="rst")
    docker_cli.out("run", "-d", "--name", name, "busybox", "sleep", "30")
    pid1 = docker_cli.out("inspect", "-f", "{{.State.Pid}}", name).strip()
    t0 = time.time()
    assert docker_cli.out("restart", "-t", "2", name, timeout=20) == name + "\n"
    elapsed = time.time() - t0
    assert 1.8 <= elapsed < 8, elapsed
    out = docker_cli.out("inspect", "-f", "{{.State.Running}} {{.State.Pid}}", name).split()
    assert out[0] == "true" and out[1] != pid1


def test_wait_prints_exit_codes(docker_cli, made):
    a = made.container(prefix="wa")
    b = made.container(prefix="wb")
    docker_cli.out("run", "-d", "--name", a, "busybox", "sh", "-c", "sleep 0.3; exit 7")
    docker_cli.out("run", "-d", "--name", b, "busybox", "sh", "-c", "exit 5")
    r = docker_cli("wait", a, b)
    assert (r.returncode, r.stdout) == (0, "7\n5\n"), r.stderr


# ---------------------------------------------------------------- exit codes

def test_exit_code_passed_through(docker_cli):
    r = docker_cli("run", "--rm", "busybox", "sh", "-c", "exit 3")
    assert (r.returncode, r.stdout) == (3, "")


def test_exit_127_for_missing_command(docker_cli, made):
    name = made.container(prefix="e127")
    r = docker_cli("run", "--rm", "--name", name, "busybox", "nosuchcmd")
    assert r.returncode == 127
    assert 'exec: "nosuchcmd": executable file not found in $PATH' in r.stderr
    assert r.stderr.startswith("docker: Error response from daemon: ")
    assert docker_cli.out("ps", "-a", "-q", "--filter", f"name={name}") == ""


def test_exit_126_for_non_executable(docker_cli):
    r = docker_cli("run", "--rm", "busybox", "/etc/passwd")
    assert r.returncode == 126
    assert 'exec: "/etc/passwd": permission denied' in r.stderr


def test_exit_125_for_daemon_error_on_run(docker_cli, made):
    name = made.container(prefix="dup")
    cid = docker_cli.out("create", "--name", name, "busybox", "true").strip()
    r = docker_cli("run", "--name", name, "busybox", "true")
    assert r.returncode == 125
    assert (f'docker: Error response from daemon: Conflict. The container name "/{name}" is already in use '
            f'by container "{cid}". You have to remove (or rename) that container to be able to reuse that '
            "name.") in r.stderr


def test_exit_125_for_missing_image(docker_cli):
    r = docker_cli("run", "--rm", "e2e-no-such-image:1", "true")
    assert r.returncode == 125
    assert "Unable to find image 'e2e-no-such-image:1' locally" in r.stderr


def test_stop_missing_container_exits_1(docker_cli):
    r = docker_cli("stop", "e2e-nosuch-container")
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr == "Error response from daemon: No such container: e2e-nosuch-container\n"


# ---------------------------------------------------------------- images

def test_images(docker_cli):
    bid = image_id(docker_cli, "busybox")
    size = int(docker_cli.out("image", "inspect", "-f", "{{.Size}}", "busybox"))
    names, rows = table(docker_cli.out("images"))
    assert names == IMAGES_COLUMNS
    bb = [r for r in rows if (r["REPOSITORY"], r["TAG"]) == ("busybox", "latest")]
    assert len(bb) == 1, rows
    assert bb[0]["IMAGE ID"] == bid[7:19]
    assert re.fullmatch(r".+ ago", bb[0]["CREATED"]), bb
    assert bb[0]["SIZE"] == human_size(size)
    q = docker_cli.out("images", "-q").split()
    assert bid[7:19] in q
    assert docker_cli.out("images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}", "busybox") \
        == f"busybox:latest {bid[7:19]}\n"


def test_tag_and_rmi(docker_cli, made):
    ref = made.image("mybox:1")
    bid = image_id(docker_cli, "busybox")
    r = docker_cli("tag", "busybox", ref)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    assert image_id(docker_cli, ref) == bid
    _, rows = table(docker_cli.out("images"))
    assert [r["IMAGE ID"] for r in rows if (r["REPOSITORY"], r["TAG"]) == ("mybox", "1")] == [bid[7:19]]
    tags = json.loads(docker_cli.out("image", "inspect", "-f", "{{json .RepoTags}}", "busybox"))
    assert sorted(tags) == ["busybox:latest", "mybox:1"]

    r = docker_cli("rmi", "mybox:1")
    assert (r.returncode, r.stdout) == (0, "Untagged: mybox:1\n"), r.stderr
    assert docker_cli("image", "inspect", "mybox:1").returncode == 1
    assert image_id(docker_cli, "busybox") == bid


def test_rmi_refuses_image_in_use_unless_forced(docker_cli, made, tmp_path):
    # an image with a single tag, used by a stopped container
    src = made.container(prefix="rmisrc")
    docker_cli.out("create", "--name", src, "busybox", "true")
    rootfs = docker_cli("export", src, text=False).stdout
    ref = made.image(prefix="only")
    iid = docker_cli("import", "-", ref, input=rootfs, text=False).stdout.decode().strip()
    user = made.container(prefix="rmiuser")
    uid = docker_cli.out("create", "--name", user, ref, "true").strip()

    r = docker_cli("rmi", ref)
    assert r.returncode == 1
    assert r.stderr == (f'Error response from daemon: conflict: unable to remove repository reference "{ref}" '
                        f"(must force) - container {uid[:12]} is using its referenced image {iid[7:19]}\n")
    assert image_id(docker_cli, ref) == iid

    # forced: Docker untags and deletes the image, though a stopped container used it
    r = docker_cli("rmi", "-f", ref)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:2] == [f"Untagged: {ref}", f"Deleted: {iid}"]
    assert docker_cli("image", "inspect", iid).returncode == 1
    assert iid[7:19] not in docker_cli.out("images", "-a", "-q").split()


def test_history(docker_cli):
    bid = image_id(docker_cli, "busybox")
    size = int(docker_cli.out("image", "inspect", "-f", "{{.Size}}", "busybox"))
    names, rows = table(docker_cli.out("history", "busybox"))
    assert names == HISTORY_COLUMNS
    assert len(rows) == 1, rows               # busybox:latest is one imported layer
    row = rows[0]
    assert row["IMAGE"] == bid[7:19]
    assert re.fullmatch(r".+ ago", row["CREATED"]), row
    assert row["CREATED BY"] == ""
    assert row["SIZE"] == human_size(size)
    assert row["COMMENT"].startswith("Imported from "), row
    assert docker_cli.out("history", "-q", "busybox") == bid[7:19] + "\n"


def test_image_inspect(docker_cli):
    r = docker_cli("image", "inspect", "busybox")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert isinstance(data, list) and len(data) == 1
    img = data[0]
    for key in ("Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "Author", "Config",
                "Architecture", "Os", "Size", "GraphDriver", "RootFS", "Metadata"):
        assert key in img, key
    assert IMAGE_ID.fullmatch(img["Id"])
    assert img["RepoTags"] == ["busybox:latest"]
    assert img["Os"] == "linux"
    assert img["Architecture"] == ARCH
    assert img["Config"]["Cmd"] == ["sh"]
    assert any(e.startswith("PATH=") for e in img["Config"]["Env"])
    assert img["RootFS"]["Type"] == "layers"
    assert len(img["RootFS"]["Layers"]) == 1 and IMAGE_ID.fullmatch(img["RootFS"]["Layers"][0])
    assert img["Size"] > 1_000_000
    parse_ts(re.sub(r"[+-]00:00$", "Z", img["Created"]))
    assert docker_cli.out("image", "inspect", "-f", "{{.Config.Cmd}} {{.Os}}", "busybox") == "[sh] linux\n"
    r = docker_cli("image", "inspect", "e2e-no-such-image:1")
    assert r.returncode == 1
    assert "No such image: e2e-no-such-image:1" in r.stderr


def test_save_and_load(docker_cli, made, tmp_path):
    bid = image_id(docker_cli, "busybox")
    path = tmp_path / "bb.tar"
    r = docker_cli("save", "-o", str(path), "busybox")
    assert (r.returncode, r.stdout) == (0, ""), r.stderr
    with tarfile.open(path) as tf:
        names = set(tf.getnames())
        assert {"manifest.json", "repositories"} <= names
        manifest = json.load(tf.extractfile("manifest.json"))
        assert len(manifest) == 1
        assert manifest[0]["RepoTags"] == ["busybox:latest"]
        config = tf.extractfile(manifest[0]["Config"]).read()
        assert "sha256:" + hashlib.sha256(config).hexdigest() == bid     # image id = digest of its config
        assert len(manifest[0]["Layers"]) == len(json.loads(config)["rootfs"]["diff_ids"]) == 1
        layer = tf.extractfile(manifest[0]["Layers"][0]).read()
    with tarfile.open(fileobj=io.BytesIO(layer)) as lt:
        members = {m.name.lstrip("./"): m for m in lt.getmembers()}
    assert members["bin/busybox"].isfile()
    assert "etc/passwd" in members

    ref = made.image(prefix="loadme")
    docker_cli.out("tag", "busybox", ref)
    lm = tmp_path / "lm.tar"
    docker_cli.out("save", "-o", str(lm), ref)
    assert docker_cli.out("rmi", ref) == f"Untagged: {ref}\n"
    r = docker_cli("load", "-i", str(lm))
    assert (r.returncode, r.stdout) == (0, f"Loaded image: {ref}\n"), r.stderr
    assert image_id(docker_cli, ref) == bid

    # load from stdin
    assert docker_cli.out("rmi", ref) == f"Untagged: {ref}\n"
    r = docker_cli("load", input=lm.read_bytes(), text=False)
    assert (r.returncode, r.stdout) == (0, f"Loaded image: {ref}\n".encode()), r.stderr
    assert image_id(docker_cli, ref) == bid


def test_load_rejects_garbage(docker_cli, tmp_path):
    bid = image_id(docker_cli, "busybox")
    bad = tmp_path / "bad.tar"
    bad.write_bytes(b"this is not a tar archive\n" * 10)
    r = docker_cli("load", "-i", str(bad))
    assert r.returncode == 1
    assert r.stderr.strip()
    assert image_id(docker_cli, "busybox") == bid


def test_export_and_import(docker_cli, made, tmp_path):
    src = made.container(prefix="exp")
    r = docker_cli("run", "--name", src, "busybox", "sh", "-c", "echo marker-data > /marker.txt")
    assert r.returncode == 0, r.stderr

    # export to stdout
    r = docker_cli("export", src, text=False)
    assert r.returncode == 0, r.stderr
    rootfs = r.stdout
    with tarfile.open(fileobj=io.BytesIO(rootfs)) as tf:
        members = {m.name.lstrip("./"): m for m in tf.getmembers()}
        assert tf.extractfile(members["marker.txt"]).read() == b"marker-data\n"
    assert members["bin/busybox"].isfile()
    assert "etc/passwd" in members
    # export -o
    out = tmp_path / "c.tar"
    r = docker_cli("export", "-o", str(out), src)
    assert (r.returncode, r.stdout) == (0, ""), r.stderr
    with tarfile.open(out) as tf:
        assert {m.name.lstrip("./") for m in tf.getmembers()} == set(members)

    # import from a file
    ref1 = made.image(prefix="impfile")
    r = docker_cli("import", str(out), ref1)
    assert r.returncode == 0, r.stderr
    id1 = r.stdout.strip()
    assert IMAGE_ID.fullmatch(id1) and r.stdout == id1 + "\n"
    assert image_id(docker_cli, ref1) == id1
    assert docker_cli.out("image", "inspect", "-f", "{{json .Config.Cmd}}", ref1) == "null\n"
    assert docker_cli.out("run", "--rm", ref1, "cat", "/marker.txt") == "marker-data\n"
    names, rows = table(docker_cli.out("history", ref1))
    assert names == HISTORY_COLUMNS
    assert [(r["IMAGE"], r["COMMENT"]) for r in rows] == [(id1[7:19], "Imported from -")]

    # import from stdin, with a CMD
    ref2 = made.image(prefix="impstdin")
    r = docker_cli("import", "-c", 'CMD ["sh"]', "-", ref2, input=rootfs, text=False)
    assert r.returncode == 0, r.stderr
    id2 = r.stdout.decode().strip()
    assert IMAGE_ID.fullmatch(id2)
    assert docker_cli.out("image", "inspect", "-f", "{{json .Config.Cmd}}", ref2) == '["sh"]\n'
    r = docker_cli("run", "-i", "--rm", ref2, input="echo via-cmd\n")        # runs the CMD, sh
    assert (r.returncode, r.stdout) == (0, "via-cmd\n"), r.stderr

    # rmi of the only tag deletes the image
    r = docker_cli("rmi", ref1)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[:2] == [f"Untagged: {ref1}", f"Deleted: {id1}"]
    assert all(re.fullmatch(r"Deleted: sha256:[0-9a-f]{64}", line) for line in lines[2:]), lines
    assert docker_cli("image", "inspect", id1).returncode == 1


def test_imported_image_comment(docker_cli, made, tmp_path):
    # Docker records "Imported from -" as the image's comment, not only in its history
    src = made.container(prefix="cmt")
    docker_cli.out("create", "--name", src, "busybox", "true")
    rootfs = docker_cli("export", src, text=False).stdout
    ref = made.image(prefix="cmt")
    assert docker_cli("import", "-", ref, input=rootfs, text=False).returncode == 0
    assert docker_cli.out("image", "inspect", "-f", "{{.Comment}}", ref) == "Imported from -\n"
    ref2 = made.image(prefix="cmtmsg")
    assert docker_cli("import", "-m", "my message", "-", ref2, input=rootfs, text=False).returncode == 0
    assert docker_cli.out("image", "inspect", "-f", "{{.Comment}}", ref2) == "my message\n"


# ---------------------------------------------------------------- system

def test_version(docker_cli):
    r = docker_cli("version")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Client:"
    server = lines[next(i for i, line in enumerate(lines) if line.startswith("Server:")):]
    assert " Engine:" in server
    fields = {}
    for line in server:
        m = re.fullmatch(r"  ([A-Za-z/ ]+):\s+(.*)", line)
        if m and m.group(1) not in fields:
            fields[m.group(1)] = m.group(2)
    assert re.fullmatch(r"1\.\d+ \(minimum version 1\.\d+\)", fields["API version"]), fields
    assert fields["OS/Arch"] == f"linux/{ARCH}"
    assert fields["Experimental"] == "false"            # Go's bool, as dockerd sends it
    assert fields["Version"] == docker_cli.out("version", "--format", "{{.Server.Version}}").strip()

    api = docker_cli.out("version", "--format", "{{.Server.APIVersion}}").strip()
    major, minor = map(int, api.split("."))
    assert major == 1 and 24 <= minor <= 45
    assert docker_cli.out("version", "--format", "{{.Server.Os}}/{{.Server.Arch}}") == f"linux/{ARCH}\n"
    srv = json.loads(docker_cli.out("version", "--format", "{{json .Server}}"))
    engine = [c for c in srv["Components"] if c["Name"] == "Engine"]
    assert len(engine) == 1
    assert all(isinstance(v, str) for v in engine[0]["Details"].values()), engine


def test_info(docker_cli, made):
    name = made.container(prefix="info")
    docker_cli.out("run", "-d", "--name", name, "busybox", "sleep", "30")
    r = docker_cli("info")
    assert r.returncode == 0, r.stderr
    assert "Server:" in r.stdout
    assert not any(line.lstrip().startswith("ERROR") for line in r.stdout.splitlines()), r.stdout
    version = docker_cli.out("version", "--format", "{{.Server.Version}}").strip()
    assert f" Server Version: {version}\n" in r.stdout
    assert " Storage Driver: overlay2\n" in r.stdout
    assert f" Architecture: {platform.machine()}\n" in r.stdout
    assert f" OSType: linux\n" in r.stdout

    info = json.loads(docker_cli.out("info", "--format", "{{json .}}"))
    all_ids = docker_cli.out("ps", "-aq").split()
    running = docker_cli.out("ps", "-q").split()
    assert info["Containers"] == len(all_ids)
    assert info["ContainersRunning"] == len(running) >= 1
    assert info["Containers"] == info["ContainersRunning"] + info["ContainersStopped"] + info["ContainersPaused"]
    assert info["Images"] == len(set(docker_cli.out("images", "-aq").split()))
    assert info["OSType"] == "linux"
    assert docker_cli.out("info", "--format", "{{.OSType}} {{.Architecture}}") == f"linux {platform.machine()}\n"
