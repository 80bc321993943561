"""e2e-only helpers: the stock docker CLI and docker-py against the session's barged.

Every object a test makes gets a unique name and is registered with `made`,
whose finaliser removes it (`rm -f`, `rmi -f`) however the test ends.
"""
from __future__ import annotations

import os
import subprocess
import uuid

import pytest

DOCKER = "/usr/local/bin/docker"


def unique(prefix: str) -> str:
    return f"e2e-{prefix}-{uuid.uuid4().hex[:8]}"


class DockerCLI:
    """Runs the stock docker CLI with DOCKER_HOST pointing at barged."""

    def __init__(self, env: dict) -> None:
        self.env = dict(env)
        # no config, contexts or plugins of the machine's user get in the way
        self.env.pop("DOCKER_CONTEXT", None)
        self.env["DOCKER_CLI_HINTS"] = "false"

    def run(self, *args: str, input: bytes | str | None = None, timeout: float = 30,
            text: bool = True, check: bool = False) -> subprocess.CompletedProcess:
        if text and isinstance(input, bytes):
            input = input.decode()
        r = subprocess.run([DOCKER, *args], input=input, capture_output=True, env=self.env,
                           timeout=timeout, text=text)
        if check and r.returncode != 0:
            raise AssertionError(f"docker {' '.join(args)} -> {r.returncode}\nstdout: {r.stdout!r}\n"
                                 f"stderr: {r.stderr!r}")
        return r

    __call__ = run

    def out(self, *args: str, **kw) -> str:
        """stdout of a command that must succeed."""
        return self.run(*args, check=True, **kw).stdout


class Made:
    """What a test created; removed at teardown, containers first."""

    def __init__(self, cli: DockerCLI) -> None:
        self.cli = cli
        self.containers: list[str] = []
        self.images: list[str] = []

    def container(self, name: str | None = None, prefix: str = "c") -> str:
        name = name or unique(prefix)
        self.containers.append(name)
        return name

    def image(self, ref: str | None = None, prefix: str = "img", tag: str = "1") -> str:
        ref = ref or f"{unique(prefix)}:{tag}"
        self.images.append(ref)
        return ref

    def cleanup(self) -> None:
        if self.containers:
            self.cli.run("rm", "-f", *self.containers, timeout=60)
        for ref in reversed(self.images):
            self.cli.run("rmi", "-f", ref, timeout=60)


@pytest.fixture(scope="session")
def docker_cli(daemon) -> DockerCLI:
    if not os.access(DOCKER, os.X_OK):
        pytest.skip(f"{DOCKER} is not installed")
    return DockerCLI(daemon.env())


@pytest.fixture
def made(docker_cli):
    m = Made(docker_cli)
    try:
        yield m
    finally:
        m.cleanup()
