"""Dockerfile builds against a real barged: the tutorials' examples, the
cache, multi-stage, ONBUILD, HEALTHCHECK, .dockerignore, failures."""
from __future__ import annotations

import json
import os
import time
import uuid

import pytest


def name(prefix="b"):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def write(d, files: dict) -> str:
    for rel, text in files.items():
        p = os.path.join(d, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
    return str(d)


@pytest.fixture
def tag(daemon):
    made = []

    def make(prefix="img"):
        t = f"{name(prefix)}:1"
        made.append(t)
        return t
    yield make
    for t in made:
        daemon.cli("rmi", "-f", t)


def build(daemon, ctx, *args, check=True):
    r = daemon.cli("build", *args, ctx, timeout=300)
    if check and r.returncode != 0:
        raise AssertionError(f"build failed: {r.stdout.decode()}\n{r.stderr.decode()}")
    return r


def test_debian_style_run_chain_and_history(daemon, tmp_path, tag):
    t = tag()
    ctx = write(tmp_path, {"Dockerfile": (
        "FROM busybox\n"
        "ENV APP_HOME=/srv/app\n"
        "RUN mkdir -p $APP_HOME && echo one > $APP_HOME/a \\\n"
        "    && echo two >> $APP_HOME/a\n"
        "WORKDIR $APP_HOME\n"
        "CMD [\"cat\", \"a\"]\n")})
    out = build(daemon, ctx, "-t", t).stdout.decode()
    assert "Step 1/5 : FROM busybox" in out and "Step 3/5 : RUN mkdir -p $APP_HOME" in out
    assert f"Successfully tagged {t}" in out and "Successfully built " in out
    assert daemon.out("run", "--rm", t) == "one\ntwo\n"
    hist = daemon.out("history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Size}}", t).splitlines()
    assert hist[0] == '/bin/sh -c #(nop)  CMD ["cat" "a"]|0B'
    assert hist[1] == "/bin/sh -c #(nop) WORKDIR /srv/app|0B"
    assert hist[2].startswith("/bin/sh -c mkdir -p $APP_HOME") and not hist[2].endswith("|0B")
    cfg = json.loads(daemon.out("image", "inspect", "-f", "{{json .Config}}", t))
    assert cfg["WorkingDir"] == "/srv/app" and "APP_HOME=/srv/app" in cfg["Env"]


def test_cache_reuse_and_bust(daemon, tmp_path, tag):
    t = tag()
    ctx = write(tmp_path, {"Dockerfile": "FROM busybox\nCOPY pkg.txt /app/\nRUN cat /app/pkg.txt\nCOPY . /app/\n",
                           "pkg.txt": "deps\n", "main.txt": "v1\n"})
    build(daemon, ctx, "-t", t)
    again = build(daemon, ctx, "-t", t).stdout.decode()
    assert again.count("---> Using cache") == 3
    with open(os.path.join(ctx, "main.txt"), "w") as f:
        f.write("v2\n")
    third = build(daemon, ctx, "-t", t).stdout.decode()
    assert third.count("---> Using cache") == 2            # only the last COPY reran
    assert daemon.out("run", "--rm", t, "cat", "/app/main.txt") == "v2\n"
    nocache = build(daemon, ctx, "--no-cache", "-t", t).stdout.decode()
    assert "Using cache" not in nocache


def test_node_style_layout(daemon, tmp_path, tag):
    t = tag()
    ctx = write(tmp_path, {
        "Dockerfile": (
            "FROM busybox\n"
            "RUN echo 'node:x:1000:1000::/home/node:/bin/sh' >> /etc/passwd && echo 'node:x:1000:' >> /etc/group\n"
            "WORKDIR /usr/src/app\n"
            "COPY package.json ./\n"
            "RUN cp package.json installed.json\n"
            "COPY --chown=node:node . .\n"
            "USER node\n"
            "EXPOSE 8080\n"
            "CMD [\"sh\", \"-c\", \"id -u; ls -ln server.js | awk '{print $3}'; cat installed.json\"]\n"),
        "package.json": '{"name": "app"}\n', "server.js": "console.log(1)\n"})
    build(daemon, ctx, "-t", t)
    assert daemon.out("run", "--rm", t).split() == ["1000", "1000", '{"name":', '"app"}']
    ports = json.loads(daemon.out("image", "inspect", "-f", "{{json .Config.ExposedPorts}}", t))
    assert ports == {"8080/tcp": {}}


def test_multi_stage_final_image_holds_only_the_artifact(daemon, tmp_path, tag):
    t = tag()
    ctx = write(tmp_path, {"Dockerfile": (
        "FROM busybox AS build\n"
        "RUN mkdir /out && echo built > /out/artifact && echo junk > /junk\n"
        "FROM busybox AS unused\n"
        "RUN echo never-run\n"
        "FROM scratch\n"
        "COPY --from=build /out/artifact /artifact\n")})
    out = build(daemon, ctx, "-t", t).stdout.decode()
    assert "never-run" not in out                          # a stage the target does not need is skipped
    c = name("art")
    daemon.out("create", "--name", c, t, "x")
    try:
        files = daemon.out("export", c)
    finally:
        daemon.cli("rm", c)
    assert "artifact" in files and "junk" not in files
    r = build(daemon, ctx, "--target", "build", "-t", t)
    assert "never-run" not in r.stdout.decode()


def test_onbuild_parent_and_child(daemon, tmp_path, tag):
    parent, child = tag("parent"), tag("child")
    pdir, cdir = tmp_path / "p", tmp_path / "c"
    write(pdir, {"Dockerfile": "FROM busybox\nONBUILD COPY hello.txt /hello.txt\nONBUILD RUN cat /hello.txt\n"})
    build(daemon, str(pdir), "-t", parent)
    write(cdir, {"Dockerfile": f"FROM {parent}\nCMD [\"cat\", \"/hello.txt\"]\n", "hello.txt": "from child\n"})
    out = build(daemon, str(cdir), "-t", child).stdout.decode()
    assert "from child" in out
    assert daemon.out("run", "--rm", child) == "from child\n"


def test_healthcheck_makes_ps_healthy(daemon, tmp_path, tag):
    t = tag()
    ctx = write(tmp_path, {"Dockerfile": "FROM busybox\nHEALTHCHECK --interval=1s --timeout=2s CMD true\n"
                                         "CMD [\"sleep\", \"1d\"]\n"})
    build(daemon, ctx, "-t", t)
    c = name("hc")
    daemon.out("run", "-d", "--name", c, t)
    try:
        deadline = time.time() + 15
        while time.time() < deadline:
            if "(healthy)" in daemon.out("ps", "--filter", f"name={c}", "--format", "{{.Status}}"):
                break
            time.sleep(0.2)
        assert "(healthy)" in daemon.out("ps", "--filter", f"name={c}", "--format", "{{.Status}}")
    finally:
        daemon.cli("rm", "-f", c)


@pytest.mark.parametrize("upload", ["0", "1"])
def test_dockerignore_excludes_big_folder(daemon, tmp_path, tag, upload):
    """Both ways a context reaches barged: read in place (barge's CLI on this
    host) and uploaded as a tar (BARGE_BUILD_UPLOAD=1, as docker sends it)."""
    import subprocess
    from barge_testlib import BARGE
    t = tag()
    ctx = write(tmp_path, {"Dockerfile": "FROM busybox\nCOPY . /ctx/\n", ".dockerignore": "node_modules\n*.log\n!keep.log\n",
                           "node_modules/big/a.js": "x" * 100000, "app.js": "1", "debug.log": "no", "keep.log": "yes"})
    r = subprocess.run([BARGE, "build", "-t", t, ctx], capture_output=True, timeout=120,
                       env=dict(daemon.env(), BARGE_BUILD_UPLOAD=upload))
    assert r.returncode == 0, r.stderr
    assert (b"Sending build context" in r.stdout) == (upload == "1")
    files = daemon.out("run", "--rm", t, "ls", "-A", "/ctx").split()
    assert "node_modules" not in files and "debug.log" not in files
    assert {"app.js", "keep.log", "Dockerfile", ".dockerignore"} <= set(files)


def test_build_args_and_arg_before_from(daemon, tmp_path, tag):
    t = tag()
    ctx = write(tmp_path, {"Dockerfile": "ARG BASE=busybox\nFROM ${BASE}\nARG WHO=world\nRUN echo hello-$WHO > /greeting\n"})
    out = build(daemon, ctx, "--build-arg", "WHO=barge", "--build-arg", "UNUSED=1", "-t", t).stdout.decode()
    assert "[Warning] One or more build-args [UNUSED] were not consumed" in out
    assert daemon.out("run", "--rm", t, "cat", "/greeting") == "hello-barge\n"


def test_failures_are_clear_and_leave_nothing_tagged(daemon, tmp_path, tag):
    t = tag()
    ctx = write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo before && exit 3\n"})
    r = build(daemon, ctx, "-t", t, check=False)
    assert r.returncode == 3                    # the docker CLI exits with the step's code
    assert b"The command '/bin/sh -c echo before && exit 3' returned a non-zero code: 3" in r.stderr
    assert b"before" in r.stdout
    assert daemon.cli("image", "inspect", t).returncode == 1
    for bad, msg in (("FROM busybox\nRUNN x\n", b"unknown instruction"),
                     ("FROM busybox\nCOPY missing.txt /x\n", b"missing.txt"),
                     ("FROM busybox\nCOPY ../outside /x\n", b"outside the build context"),
                     ("", b"cannot be empty")):
        write(tmp_path, {"Dockerfile": bad})
        r = build(daemon, ctx, "-t", t, check=False)
        assert r.returncode == 1 and msg in r.stderr, (bad, r.stderr)
    assert daemon.cli("image", "inspect", t).returncode == 1


def test_docker_cli_classic_build(daemon, tmp_path, tag):
    import subprocess
    t = tag()
    ctx = write(tmp_path, {"Dockerfile": "FROM busybox\nLABEL who=docker\nRUN echo via-docker > /v\n"})
    env = daemon.env()
    env["DOCKER_BUILDKIT"] = "0"
    r = subprocess.run(["/usr/local/bin/docker", "build", "-t", t, ctx], capture_output=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert b"Successfully tagged" in r.stdout
    assert daemon.out("run", "--rm", t, "cat", "/v") == "via-docker\n"


def test_copy_and_add_forms(daemon, tmp_path, tag):
    import http.server
    import io
    import tarfile
    import threading
    t = tag()
    arch = io.BytesIO()
    with tarfile.open(fileobj=arch, mode="w:gz") as tf:
        data = b"inside the archive\n"
        info = tarfile.TarInfo("pkg/readme")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    (tmp_path / "bundle.tar.gz").write_bytes(arch.getvalue())
    served = tmp_path / "www"
    served.mkdir()
    (served / "remote.txt").write_text("fetched\n")
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(served))  # noqa: E731
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    port = srv.server_address[1]
    try:
        ctx = write(tmp_path, {"a.sh": "echo a\n", "dir/x": "x\n", "dir/sub/y": "y\n", "Dockerfile": (
            "FROM busybox\n"
            "COPY --chmod=755 a.sh /bin/\n"
            "COPY dir /d\n"
            "COPY dir/ /e/\n"
            "COPY *.sh /globbed/\n"
            "ADD bundle.tar.gz /opt/\n"
            f"ADD http://127.0.0.1:{port}/remote.txt /r.txt\n"
            "COPY --from=busybox /bin/busybox /copied-from-image\n"
            "COPY <<EOF /etc/greeting\nhello heredoc\nEOF\n")})
        build(daemon, ctx, "-t", t)
        out = daemon.out("run", "--rm", t, "sh", "-c",
                         "stat -c %a /bin/a.sh; cat /d/x /d/sub/y /e/x /globbed/a.sh /opt/pkg/readme /r.txt "
                         "/etc/greeting; test -x /copied-from-image && echo bin")
        assert out.split("\n") == ["755", "x", "y", "x", "echo a", "inside the archive", "fetched", "hello heredoc",
                                   "bin", ""]
        write(tmp_path, {"Dockerfile": f"FROM busybox\nADD http://127.0.0.1:{_dead_port()}/nope /x\n"})
        r = build(daemon, ctx, "-t", t, check=False)
        assert r.returncode != 0 and b"failed to GET http://127.0.0.1:" in r.stderr
    finally:
        srv.shutdown()
        srv.server_close()


def _dead_port() -> int:
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_cache_survives_restart_and_sigkill_mid_build_leaves_nothing(fresh_daemon, tmp_path):
    import signal
    import subprocess
    from barge_testlib import BARGE
    d = fresh_daemon
    ctx = write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo cached > /c\n"})
    d.out("build", "-t", "keep:1", ctx, timeout=120)
    d.stop()
    d.start()
    assert "Using cache" in d.out("build", "-t", "keep:1", ctx, timeout=120)
    write(tmp_path, {"Dockerfile": "FROM busybox\nRUN touch /started && sleep 60\n"})
    p = subprocess.Popen([BARGE, "build", "-t", "half:1", ctx], env=d.env(), stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while time.time() < deadline and not d.out("ps", "-q"):
        time.sleep(0.05)
    assert d.out("ps", "-q"), "the build's RUN container never started"
    d.proc.send_signal(signal.SIGKILL)
    d.proc.wait()
    d.proc = None
    p.wait(30)
    d.start()
    assert d.out("ps", "-aq") == ""                          # the dead build's container is gone
    assert d.cli("image", "inspect", "half:1").returncode == 1
    with open("/proc/self/mountinfo") as f:
        assert not [ln for ln in f if os.path.join(d.exec_root, "build") in ln]


def test_context_symlink_pointing_outside_stays_inside(daemon, tmp_path, tag):
    t = tag()
    ctx = write(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nCOPY escape/passwd /leak\n"})
    os.symlink("/etc", os.path.join(ctx, "escape"))
    r = build(daemon, ctx, "-t", t, check=False)
    assert r.returncode == 1 and b"escape/passwd" in r.stderr        # scoped to the context: not found
    write(tmp_path / "ctx", {"Dockerfile": "FROM busybox\nCOPY escape /link\n"})
    r = build(daemon, ctx, "-t", t, check=False)        # as Docker: followed within the context, so absent
    assert r.returncode == 1 and b"stat escape: file does not exist" in r.stderr


def test_rmi_takes_the_build_steps_images_along(daemon, tmp_path):
    before = set(daemon.out("images", "-aq", "--no-trunc").split())
    ctx = write(tmp_path, {"Dockerfile": "FROM busybox\nENV A=1\nRUN echo x > /x\nCMD [\"true\"]\n"})
    t = f"{name('chain')}:1"
    build(daemon, ctx, "-t", t)
    after = set(daemon.out("images", "-aq", "--no-trunc").split())
    assert len(after - before) == 3
    assert len(set(daemon.out("images", "-q", "--no-trunc").split()) - before) == 1   # steps hidden without -a
    middle = sorted(after - before)[0]
    r = daemon.cli("rmi", middle) if middle != daemon.out("image", "inspect", "-f", "{{.Id}}", t).strip() else None
    if r is not None:
        assert r.returncode == 1 and b"image has dependent child images" in r.stderr
    out = daemon.out("rmi", t)
    assert out.count("Deleted: sha256:") >= 3
    assert set(daemon.out("images", "-aq", "--no-trunc").split()) == before
