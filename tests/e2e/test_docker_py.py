"""The Docker SDK for Python (docker-py) driving barged, with the results Docker gives."""
from __future__ import annotations

import io
import json
import re
import tarfile
import time
import uuid

import pytest

docker = pytest.importorskip("docker")

pytestmark = pytest.mark.e2e

IMAGE_ID = re.compile(r"sha256:[0-9a-f]{64}")
LOOP = ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.1; done"]


def unique(prefix: str) -> str:
    return f"e2e-py-{prefix}-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def client(daemon):
    c = docker.DockerClient(base_url=daemon.host, timeout=60)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def cleanup(client):
    """Names of containers and image references to remove at teardown."""
    made = {"containers": [], "images": []}
    try:
        yield made
    finally:
        for name in made["containers"]:
            try:
                client.api.remove_container(name, force=True)
            except docker.errors.NotFound:
                pass
        for ref in reversed(made["images"]):
            try:
                client.api.remove_image(ref, force=True)
            except docker.errors.NotFound:
                pass


def named(cleanup, prefix: str) -> str:
    name = unique(prefix)
    cleanup["containers"].append(name)
    return name


def tagged(cleanup, prefix: str, tag: str = "1") -> tuple[str, str, str]:
    repo = unique(prefix)
    cleanup["images"].append(f"{repo}:{tag}")
    return repo, tag, f"{repo}:{tag}"


# ---------------------------------------------------------------- containers.run

def test_run_returns_output_bytes(client, cleanup):
    name = named(cleanup, "run")
    out = client.containers.run("busybox", ["echo", "hello"], name=name)
    assert out == b"hello\n"
    c = client.containers.get(name)
    assert c.status == "exited"
    assert c.attrs["State"]["ExitCode"] == 0
    c.remove()


def test_run_remove(client, cleanup):
    name = named(cleanup, "runrm")
    out = client.containers.run("busybox", "echo hello", name=name, remove=True)
    assert out == b"hello\n"
    assert client.containers.list(all=True, filters={"name": name}) == []
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(name)


def test_run_stdout_and_stderr_kept_apart(client):
    cmd = ["sh", "-c", "echo out; echo err >&2"]
    assert client.containers.run("busybox", cmd, remove=True) == b"out\n"
    assert client.containers.run("busybox", cmd, remove=True, stdout=False, stderr=True) == b"err\n"


def test_run_nonzero_exit_raises_container_error(client):
    with pytest.raises(docker.errors.ContainerError) as ei:
        client.containers.run("busybox", ["sh", "-c", "echo e >&2; exit 3"], remove=True)
    assert ei.value.exit_status == 3
    assert ei.value.stderr == b"e\n"


def test_run_detached(client, cleanup):
    name = named(cleanup, "det")
    c = client.containers.run("busybox", ["sh", "-c", "echo a; sleep 0.3; exit 4"], detach=True, name=name)
    assert isinstance(c, docker.models.containers.Container)
    assert re.fullmatch(r"[0-9a-f]{64}", c.id)
    assert c.name == name
    result = c.wait(timeout=20)
    assert result["StatusCode"] == 4
    assert result.get("Error") is None
    c.reload()
    assert c.status == "exited"
    assert c.attrs["State"]["ExitCode"] == 4
    assert c.logs() == b"a\n"
    c.remove()


# ---------------------------------------------------------------- lifecycle

def test_create_start_stop_kill_wait_remove(client, cleanup):
    name = named(cleanup, "life")
    c = client.containers.create("busybox", LOOP, name=name)
    assert c.status == "created"
    assert client.containers.get(name).id == c.id
    assert client.containers.get(c.id[:12]).name == name

    c.start()
    c.reload()
    assert c.status == "running"
    assert c.attrs["State"]["Running"] is True and c.attrs["State"]["Pid"] > 0
    assert c.attrs["Config"]["Image"] == "busybox"

    t0 = time.time()
    c.stop(timeout=5)
    assert time.time() - t0 < 5
    c.reload()
    assert c.status == "exited"
    assert c.attrs["State"]["ExitCode"] == 0
    c.stop()                                   # already stopped: 304, no error

    c.start()
    c.reload()
    assert c.status == "running"
    c.kill()                                   # SIGKILL by default
    assert c.wait(timeout=20)["StatusCode"] == 137
    c.reload()
    assert c.status == "exited" and c.attrs["State"]["ExitCode"] == 137

    c.start()
    c.kill(signal="SIGTERM")                   # the trap exits 0
    assert c.wait(timeout=20)["StatusCode"] == 0

    c.remove()
    with pytest.raises(docker.errors.NotFound):
        client.containers.get(name)


def test_remove_running_needs_force(client, cleanup):
    name = named(cleanup, "rmrun")
    c = client.containers.run("busybox", ["sleep", "30"], detach=True, name=name)
    with pytest.raises(docker.errors.APIError) as ei:
        c.remove()
    assert ei.value.status_code == 409
    assert "force remove" in ei.value.explanation
    c.remove(force=True)
    with pytest.raises(docker.errors.NotFound):
        c.reload()


def test_logs_stream_iterates_lines(client, cleanup):
    name = named(cleanup, "logs")
    c = client.containers.run("busybox", ["sh", "-c", "echo a; sleep 0.2; echo b >&2; sleep 0.2; echo c"],
                              detach=True, name=name)
    t0 = time.time()
    chunks = list(c.logs(stream=True, follow=True))
    assert time.time() - t0 < 15
    assert chunks == [b"a\n", b"b\n", b"c\n"]
    assert c.wait(timeout=20)["StatusCode"] == 0
    assert c.logs() == b"a\nb\nc\n"
    assert c.logs(stdout=True, stderr=False) == b"a\nc\n"
    assert c.logs(stdout=False, stderr=True) == b"b\n"
    assert c.logs(tail=1) == b"c\n"
    stamped = c.logs(timestamps=True).decode().splitlines()
    assert [line.split(" ", 1)[1] for line in stamped] == ["a", "b", "c"]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", line.split(" ", 1)[0])
               for line in stamped)


def test_list(client, cleanup):
    up = named(cleanup, "listup")
    done = named(cleanup, "listdone")
    cu = client.containers.run("busybox", ["sleep", "30"], detach=True, name=up)
    cd = client.containers.create("busybox", ["true"], name=done)

    running = client.containers.list()
    assert cu.id in [c.id for c in running]
    assert cd.id not in [c.id for c in running]
    everything = client.containers.list(all=True)
    assert {cu.id, cd.id} <= {c.id for c in everything}

    only = client.containers.list(all=True, filters={"name": done})
    assert [(c.id, c.name, c.status) for c in only] == [(cd.id, done, "created")]
    assert client.containers.list(filters={"name": done}) == []
    assert [c.id for c in client.containers.list(filters={"name": up})] == [cu.id]
    assert [c.id for c in client.containers.list(all=True, filters={"id": cu.id})] == [cu.id]
    assert [c.id for c in client.containers.list(all=True, filters={"name": done, "status": "created"})] \
        == [cd.id]
    cu.remove(force=True)
    cd.remove()


# ---------------------------------------------------------------- images

def test_images_list_and_get(client):
    img = client.images.get("busybox")
    assert IMAGE_ID.fullmatch(img.id)
    assert img.tags == ["busybox:latest"]
    assert img.short_id == img.id[:19]
    assert img.attrs["Config"]["Cmd"] == ["sh"]
    assert client.images.get(img.id).id == img.id
    assert client.images.get(img.id[7:19]).id == img.id
    listed = client.images.list()
    assert img.id in [i.id for i in listed]
    assert [i.id for i in client.images.list(name="busybox")] == [img.id]
    history = img.history()
    assert len(history) == 1 and history[0]["Id"] == img.id


def test_images_tag_and_remove(client, cleanup):
    repo, tag, ref = tagged(cleanup, "tag")
    img = client.images.get("busybox")
    assert img.tag(repo, tag) is True
    assert client.images.get(ref).id == img.id
    img.reload()
    assert sorted(img.tags) == sorted(["busybox:latest", ref])
    client.images.remove(ref)
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get(ref)
    img.reload()
    assert img.tags == ["busybox:latest"]


def test_images_save_and_load(client, cleanup):
    repo, tag, ref = tagged(cleanup, "saved")
    img = client.images.get("busybox")
    img.tag(repo, tag)
    saved = client.images.get(ref)

    buf = io.BytesIO()
    for chunk in saved.save(named=ref):
        assert isinstance(chunk, bytes)
        buf.write(chunk)
    data = buf.getvalue()
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        names = tf.getnames()
        assert "manifest.json" in names
        manifest = json.load(tf.extractfile("manifest.json"))
    assert manifest[0]["RepoTags"] == [ref]
    assert all(layer in names for layer in manifest[0]["Layers"])

    client.images.remove(ref)
    loaded = client.images.load(data)
    assert [i.id for i in loaded] == [img.id]
    assert ref in loaded[0].tags
    assert client.images.get(ref).id == img.id


# ---------------------------------------------------------------- errors

def test_missing_container_is_not_found(client):
    with pytest.raises(docker.errors.NotFound) as ei:
        client.containers.get("e2e-py-no-such-container")
    assert ei.value.status_code == 404
    assert "No such container: e2e-py-no-such-container" in ei.value.explanation


def test_missing_image_is_not_found(client):
    with pytest.raises(docker.errors.ImageNotFound) as ei:
        client.images.get("e2e-py-no-such-image:1")
    assert isinstance(ei.value, docker.errors.NotFound)
    assert ei.value.status_code == 404
    assert "No such image: e2e-py-no-such-image:1" in ei.value.explanation
    with pytest.raises(docker.errors.NotFound):
        client.images.remove("e2e-py-no-such-image:1")


def test_name_conflict_is_409(client, cleanup):
    name = named(cleanup, "dup")
    first = client.containers.create("busybox", ["true"], name=name)
    with pytest.raises(docker.errors.APIError) as ei:
        client.containers.create("busybox", ["true"], name=name)
    assert ei.value.status_code == 409
    assert (f'Conflict. The container name "/{name}" is already in use by container "{first.id}"'
            in ei.value.explanation)
    first.remove()


def test_run_missing_image_raises_docker_error(client, cleanup):
    name = named(cleanup, "noimg")
    with pytest.raises(docker.errors.DockerException):
        client.containers.run("e2e-py-no-such-image:1", ["true"], name=name, remove=True)
    assert client.containers.list(all=True, filters={"name": name}) == []
