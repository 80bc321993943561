"""What the builder needs from the engine: the daemon implements it
(daemon/build/backend.py); the builder itself imports only spec and util."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import AsyncContextManager, Awaitable, Callable, Protocol


@dataclass
class CopyItem:
    """One file-system entry for a COPY/ADD layer."""
    src: str                   # host path (in the context or a stage's root); "" for a directory made here
    dest: str                  # absolute path in the image
    uid: int = 0
    gid: int = 0
    mode: int | None = None    # --chmod; None keeps the source's
    content: bytes | None = None   # heredoc body instead of a file
    extract: bool = False      # ADD of a local tar archive: unpack it at dest


@dataclass
class RunSpec:
    """The container a RUN step runs in."""
    cmd: list[str]
    env: list[str]
    working_dir: str = ""
    user: str = ""
    network: str = ""
    extra_hosts: list[str] = field(default_factory=list)
    shm_size: int = 0


Output = Callable[[str], Awaitable[None]]


class BuildBackend(Protocol):
    async def image(self, ref: str, pull: bool = False) -> tuple[str, dict]:
        """(image id, its full config JSON) for a reference or id."""

    async def find_cache(self, parent: str, container_config: dict) -> str | None:
        """A previous step's image: same parent, same container config."""

    async def commit(self, parent: str, config: dict, container_config: dict, created_by: str,
                     layer: object | None = None, author: str = "") -> str:
        """A new image on `parent` with `config` and, if given, one more layer."""

    async def run(self, parent: str, spec: RunSpec, out: Output) -> tuple[int, str]:
        """Run a step's command in a container of `parent`; (exit code, container id)."""

    async def layer_of_container(self, cid: str, parent: str) -> object | None:
        """The container's changes as a layer (None when it changed nothing)."""

    async def remove_container(self, cid: str) -> None: ...

    async def layer_of_files(self, parent: str, items: list[CopyItem]) -> object | None: ...

    def rootfs(self, image_id: str) -> AsyncContextManager[str]:
        """A read-only view of an image's file system (COPY --from, user lookups)."""

    async def tag(self, image_id: str, ref: str) -> None: ...
