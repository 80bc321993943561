"""Docker's classic builder: stages and steps, the cache, the output.

Each step derives the next image from the current one: metadata steps commit
a config change, RUN commits a container's changes, COPY/ADD a layer of
files. A step is reused when an image with the same parent and the same
container config (the cache key: Cmd carries the instruction, its build args
and, for COPY/ADD, the content checksum) exists; the first miss in a stage
ends reuse for the rest of it.
"""
from __future__ import annotations

import copy as copymod
from dataclasses import dataclass, field

from barge.builder import instructions as ins
from barge.builder import steps
from barge.builder.backend import BuildBackend, Output
from barge.builder.errors import StepFailed
from barge.builder.parser import parse as parse_text
from barge.builder.shell_lex import Lexer
from barge.errdefs import InvalidParameter, NotFound

PROXY_ARGS = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
              "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy")
DEFAULT_SHELL = ["/bin/sh", "-c"]
SCRATCH_CONFIG = {"architecture": "amd64", "os": "linux", "config": {"Env": [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}, "rootfs": {"type": "layers",
                                                                              "diff_ids": []}}


@dataclass
class BuildOptions:
    tags: list[str] = field(default_factory=list)
    build_args: dict[str, str | None] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    target: str = ""
    no_cache: bool = False
    rm: bool = True
    force_rm: bool = False
    pull: bool = False
    network: str = ""
    extra_hosts: list[str] = field(default_factory=list)
    cache_from: list[str] = field(default_factory=list)


@dataclass
class State:
    """A stage being built: its current image and config."""
    image: str                          # current image id ("" for scratch)
    config: dict                        # the image config's "config"
    full: dict                          # the full image config of `image`
    args: dict[str, str] = field(default_factory=dict)      # ARGs declared in this stage, with values
    cache: bool = True                  # still reusing the cache in this stage
    cmd_set: bool = False
    author: str = ""

    def env(self) -> dict[str, str]:
        out = dict(self.args)
        for e in self.config.get("Env") or []:
            k, _, v = e.partition("=")
            out[k] = v
        return out


def _dockerignore(context: str):
    """The context's .dockerignore, applied to COPY/ADD (Docker drops excluded
    files, the Dockerfile and .dockerignore themselves included)."""
    from barge.util import dockerignore
    from barge.util.fspath import read_text
    text = read_text(f"{context}/.dockerignore")
    return dockerignore.parse(text) if text.strip() else None


def short(image_id: str) -> str:
    return image_id.split(":", 1)[-1][:12]


class Builder:
    def __init__(self, backend: BuildBackend, context: str, opts: BuildOptions, out: Output) -> None:
        self.backend = backend
        self.context = context
        self.opts = opts
        self.out = out
        self.used_args: set[str] = set()
        self.ignore = _dockerignore(context)
        self.stage_images: dict[str, str] = {}     # stage name or index -> image id

    async def build(self, dockerfile: str) -> str:
        df = parse_text(dockerfile)
        for w in df.warnings:
            await self.out(w.rstrip("\n") + "\n")
        self.lex = Lexer(df.escape)
        meta, stages, _ = ins.parse_dockerfile(dockerfile)
        meta_env = self._meta_args(meta)
        if self.opts.labels:
            stages[-1].commands.append(ins.Label(pairs=sorted(self.opts.labels.items()),
                                                 original="LABEL " + " ".join(
                                                     f'"{k}"="{v}"' for k, v in sorted(self.opts.labels.items())),
                                                 line=0))
        target = self._target_index(stages)
        needed = steps.needed_stages(stages, target)
        total = len(meta) + sum(1 + len(s.commands) for s in stages[:target + 1])
        n = 0
        for a in meta:
            n += 1
            await self.out(f"Step {n}/{total} : {a.original}\n")
        image = ""
        for stage in stages[:target + 1]:
            if stage.index not in needed:
                n += 1 + len(stage.commands)
                continue
            image, n = await self._stage(stage, meta_env, n, total)
        for w in self._unused_warning():
            await self.out(w)
        await self.out(f"Successfully built {short(image)}\n")
        for t in self.opts.tags:
            await self.backend.tag(image, t)
            await self.out(f"Successfully tagged {t}\n")
        return image

    def _target_index(self, stages: list) -> int:
        if not self.opts.target:
            return len(stages) - 1
        for s in stages:
            if s.name == self.opts.target.lower():
                return s.index
        raise InvalidParameter(f"failed to reach build target {self.opts.target} in Dockerfile")

    def _meta_args(self, meta: list) -> dict[str, str]:
        env: dict[str, str] = {}
        for a in meta:
            for name, default in a.expand(self.lex, env).pairs:
                value = self.opts.build_args.get(name)
                if name in self.opts.build_args:
                    self.used_args.add(name)
                env[name] = value if value is not None else (default or "")
        return env

    def _unused_warning(self) -> list[str]:
        unused = sorted(k for k in self.opts.build_args if k not in self.used_args and k not in PROXY_ARGS)
        if not unused:
            return []
        return [f"[Warning] One or more build-args [{' '.join(unused)}] were not consumed\n"]

    async def _stage(self, stage, meta_env: dict, n: int, total: int) -> tuple[str, int]:
        n += 1
        await self.out(f"Step {n}/{total} : {stage.original}\n")
        st = await self._from(stage, meta_env)
        if st.image:
            await self.out(f" ---> {short(st.image)}\n")
        for onbuild in list(st.config.get("OnBuild") or []):
            await self._onbuild(st, onbuild)
        for cmd in stage.commands:
            n += 1
            await self.out(f"Step {n}/{total} : {cmd.original}\n")
            await steps.dispatch(self, st, cmd)
            await self.out(f" ---> {short(st.image)}\n")
        self.stage_images[str(stage.index)] = st.image
        if stage.name:
            self.stage_images[stage.name] = st.image
        return st.image, n

    async def _from(self, stage, meta_env: dict) -> State:
        base = self.lex.process_word(stage.base, meta_env)
        if base.lower() == "scratch":
            return State(image="", config=copymod.deepcopy(SCRATCH_CONFIG["config"]),
                         full=copymod.deepcopy(SCRATCH_CONFIG))
        ref = self.stage_images.get(base.lower())
        try:
            image_id, full = await self.backend.image(ref or base, pull=self.opts.pull and not ref)
        except NotFound:
            raise StepFailed(f"pull access denied for {base}, repository does not exist or may require "
                             "'docker login': denied: requested access to the resource is denied") from None
        cfg = copymod.deepcopy(full.get("config") or {})
        return State(image=image_id, config=cfg, full=full)

    async def _onbuild(self, st: State, expression: str) -> None:
        await self.out("# Executing 1 build trigger\n")
        await steps.dispatch(self, st, ins.parse_trigger(expression))
        st.config["OnBuild"] = None

    # --- committing ---------------------------------------------------------------

    def cache_key(self, st: State, cmd: list[str]) -> dict:
        cc = copymod.deepcopy(st.config)
        cc["Cmd"] = cmd
        cc["Image"] = st.image
        return cc

    async def cached(self, st: State, cc: dict) -> str | None:
        if not st.cache or self.opts.no_cache or not st.image:
            st.cache = False
            return None
        hit = await self.backend.find_cache(st.image, cc)
        if hit is None:
            st.cache = False
            return None
        await self.out(" ---> Using cache\n")
        return hit

    async def adopt(self, st: State, image_id: str) -> None:
        st.image, st.full = await self.backend.image(image_id)
        st.config = copymod.deepcopy(st.full.get("config") or {})

    async def commit_meta(self, st: State, text: str, one_word: bool = False) -> None:
        """A metadata-only step: `#(nop)` in the cache key and history (WORKDIR
        alone writes it as one word with the text, as Docker does)."""
        cc = self.cache_key(st, DEFAULT_SHELL + ([f"#(nop) {text}"] if one_word else ["#(nop) ", text]))
        hit = await self.cached(st, cc)
        if hit is None:
            hit = await self.backend.commit(st.image, st.config, cc, " ".join(cc["Cmd"]), None, st.author)
        await self.adopt(st, hit)
