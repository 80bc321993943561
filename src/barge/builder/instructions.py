"""Typed Dockerfile instructions and build stages, from parser Nodes.

Nothing is expanded here: `expand(lex, env)` returns the expanded copy of
an instruction at build time, with the environment of that moment, for the
instructions Docker expands (ADD, ARG, COPY, ENV, EXPOSE, FROM, LABEL,
STOPSIGNAL, USER, VOLUME, WORKDIR); the others return themselves (RUN, CMD
and ENTRYPOINT are expanded by the shell, ONBUILD by the child build).

Errors are worded as Docker 20.10's classic builder words them; inside a
Dockerfile they read "dockerfile parse error line N: <why>".
The model is BuildKit's `frontend/dockerfile/instructions/parse.go`.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Callable, ClassVar

from barge.errdefs import InvalidParameter
from barge.spec.gostrconv import go_quote, parse_go_int
from barge.spec.units import parse_duration_ns

from .parser import (DockerfileParseError, Heredoc, Node, parse,
                     parse_heredoc)
from .shell_lex import Lexer, go_trim_space

_BOOL, _STRING, _STRINGS = "bool", "string", "strings"
MIN_HEALTH_INTERVAL_NS = 1_000_000  # 1ms, Docker's container.MinimumDuration


def _fail(message: str) -> InvalidParameter:
    return InvalidParameter(message)


def parse_flags(flags: list[str], spec: dict[str, str]) -> dict[str, object]:
    """Builder flags (`--name=value`) checked against `spec` (name → kind).
    Returns the values of the flags used: bool, str or list[str]."""
    values: dict[str, object] = {}
    for arg in flags:
        if not arg.startswith("--"):
            raise _fail(f"Arg should start with -- : {arg}")
        if arg == "--":
            break
        name, eq, value = arg[2:].partition("=")
        kind = spec.get(name)
        if kind is None:
            raise _fail(f"Unknown flag: {name}")
        if name in values and kind != _STRINGS:
            raise _fail(f"Duplicate flag specified: {name}")
        if kind == _BOOL:
            values[name] = _bool_flag(name, value, bool(eq))
        elif not eq:
            raise _fail(f"Missing a value on flag: {name}")
        elif kind == _STRING:
            values[name] = value
        else:
            values.setdefault(name, []).append(value)  # type: ignore[union-attr]
    return values


def _bool_flag(name: str, value: str, has_value: bool) -> bool:
    if has_value and value == "":
        raise _fail(f"Missing a value on flag: {name}")
    lower = value.lower()
    if lower in ("", "true", "false"):
        return lower != "false"
    raise _fail(f"Expecting boolean value for flag {name}, not: {value}")


# ------------------------------------------------------------------ commands

@dataclass(kw_only=True)
class Instruction:
    original: str = ""    # as Docker prints it after "Step N/M : "
    line: int = 0
    KEYWORD: ClassVar[str] = ""

    def expand(self, lex: Lexer, env: dict[str, str]) -> "Instruction":
        return self


@dataclass(kw_only=True)
class From(Instruction):
    image: str
    name: str = ""
    platform: str = ""
    KEYWORD: ClassVar[str] = "from"

    def expand(self, lex: Lexer, env: dict[str, str]) -> "From":
        """Expand with the ARGs declared before the first FROM."""
        image = lex.process_word(self.image, env)
        if image == "":
            raise _fail(f"base name ({self.image}) should not be blank")
        platform = lex.process_word(self.platform, env) if self.platform else ""
        return dataclasses.replace(self, image=image, platform=platform)


@dataclass(kw_only=True)
class Run(Instruction):
    cmd: list[str]
    json_form: bool = False
    heredocs: list[Heredoc] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)   # --mount values, unparsed
    network: str = ""                                 # --network value
    KEYWORD: ClassVar[str] = "run"

    def heredoc_script(self) -> Heredoc | None:
        """The heredoc when the command is nothing but one (`RUN <<EOF`): its
        content is the script (run with the shell, or executed directly when
        it starts with `#!`). Its `expand` is ignored, as Docker does."""
        if not self.heredocs or self.json_form or len(self.cmd) != 1:
            return None
        return self.heredocs[0] if _heredoc_word(self.cmd[0]) else None

    def shell_text(self) -> str:
        """The text a shell-form RUN hands to the shell (`SHELL + [text]`):
        the line, or a heredoc-only command's script, or the line followed
        by each heredoc's body and delimiter for the shell to read."""
        script = self.heredoc_script()
        if script is not None:
            return script.content
        text = " ".join(self.cmd)
        for doc in self.heredocs:
            text += "\n" + doc.content + doc.name
        return text


@dataclass(kw_only=True)
class Cmd(Instruction):
    cmd: list[str]
    json_form: bool = False
    KEYWORD: ClassVar[str] = "cmd"


@dataclass(kw_only=True)
class Entrypoint(Instruction):
    cmd: list[str]
    json_form: bool = False
    KEYWORD: ClassVar[str] = "entrypoint"


def _expand_pairs(pairs, lex: Lexer, env: dict[str, str]):
    return [(lex.process_word(k, env), v if v is None else lex.process_word(v, env))
            for k, v in pairs]


@dataclass(kw_only=True)
class Env(Instruction):
    pairs: list[tuple[str, str]]
    KEYWORD: ClassVar[str] = "env"

    def expand(self, lex: Lexer, env: dict[str, str]) -> "Env":
        return dataclasses.replace(self, pairs=_expand_pairs(self.pairs, lex, env))


@dataclass(kw_only=True)
class Arg(Instruction):
    pairs: list[tuple[str, str | None]]   # value None: declared without a default
    KEYWORD: ClassVar[str] = "arg"

    def expand(self, lex: Lexer, env: dict[str, str]) -> "Arg":
        return dataclasses.replace(self, pairs=_expand_pairs(self.pairs, lex, env))


@dataclass(kw_only=True)
class Label(Instruction):
    pairs: list[tuple[str, str]]
    KEYWORD: ClassVar[str] = "label"

    def expand(self, lex: Lexer, env: dict[str, str]) -> "Label":
        return dataclasses.replace(self, pairs=_expand_pairs(self.pairs, lex, env))


@dataclass(kw_only=True)
class Expose(Instruction):
    ports: list[str]
    KEYWORD: ClassVar[str] = "expose"

    def expand(self, lex: Lexer, env: dict[str, str]) -> "Expose":
        # EXPOSE is the one instruction where a variable may become several words.
        ports = [p for word in self.ports for p in lex.process_words(word, env)]
        return dataclasses.replace(self, ports=ports)


def _expand_heredocs(docs: list[Heredoc], env: dict[str, str]) -> list[Heredoc]:
    # Docker expands heredoc bodies without quote processing, `\` escaping.
    lex = Lexer("\\", skip_process_quotes=True)
    return [dataclasses.replace(d, content=lex.process_word(d.content, env))
            if d.expand else d for d in docs]


@dataclass(kw_only=True)
class _SourcesAndDest(Instruction):
    sources: list[str]
    dest: str
    chown: str = ""
    chmod: str = ""
    link: bool = False
    heredocs: list[Heredoc] = field(default_factory=list)  # inline files: name → content

    def expand(self, lex: Lexer, env: dict[str, str]):
        word = lambda s: lex.process_word(s, env)  # noqa: E731
        return dataclasses.replace(
            self, sources=[word(s) for s in self.sources], dest=word(self.dest),
            chown=word(self.chown), chmod=word(self.chmod),
            heredocs=_expand_heredocs(self.heredocs, env))


@dataclass(kw_only=True)
class Copy(_SourcesAndDest):
    from_: str = ""       # --from: a stage name or index, or an image (not expanded)
    parents: bool = False
    KEYWORD: ClassVar[str] = "copy"


@dataclass(kw_only=True)
class Add(_SourcesAndDest):
    checksum: str = ""
    keep_git_dir: bool = False
    KEYWORD: ClassVar[str] = "add"


@dataclass(kw_only=True)
class Workdir(Instruction):
    path: str
    KEYWORD: ClassVar[str] = "workdir"

    def expand(self, lex: Lexer, env: dict[str, str]) -> "Workdir":
        return dataclasses.replace(self, path=lex.process_word(self.path, env))


@dataclass(kw_only=True)
class User(Instruction):
    user: str
    KEYWORD: ClassVar[str] = "user"

    def expand(self, lex: Lexer, env: dict[str, str]) -> "User":
        return dataclasses.replace(self, user=lex.process_word(self.user, env))


@dataclass(kw_only=True)
class Volume(Instruction):
    paths: list[str]
    KEYWORD: ClassVar[str] = "volume"

    def expand(self, lex: Lexer, env: dict[str, str]) -> "Volume":
        return dataclasses.replace(self, paths=[lex.process_word(p, env) for p in self.paths])


@dataclass(kw_only=True)
class Stopsignal(Instruction):
    signal: str
    KEYWORD: ClassVar[str] = "stopsignal"

    def expand(self, lex: Lexer, env: dict[str, str]) -> "Stopsignal":
        return dataclasses.replace(self, signal=lex.process_word(self.signal, env))


@dataclass(kw_only=True)
class Healthcheck(Instruction):
    test: list[str] | None       # ["NONE"], ["CMD", ...] or ["CMD-SHELL", line]
    interval: int = 0            # nanoseconds; 0: not set
    timeout: int = 0
    start_period: int = 0
    start_interval: int = 0
    retries: int = 0
    KEYWORD: ClassVar[str] = "healthcheck"


@dataclass(kw_only=True)
class Onbuild(Instruction):
    expression: str              # the trigger as stored in the image's OnBuild
    KEYWORD: ClassVar[str] = "onbuild"


@dataclass(kw_only=True)
class Shell(Instruction):
    shell: list[str]
    KEYWORD: ClassVar[str] = "shell"


@dataclass(kw_only=True)
class Maintainer(Instruction):
    name: str
    KEYWORD: ClassVar[str] = "maintainer"


# ------------------------------------------------------------ node → command

def _heredoc_word(word: str) -> Heredoc | None:
    try:
        return parse_heredoc(word)
    except InvalidParameter:
        return None


def _base(node: Node) -> dict[str, object]:
    return {"original": node.original, "line": node.line}


def _exactly_one(node: Node, name: str) -> str:
    if len(node.args) != 1:
        raise _fail(f"{name} requires exactly one argument")
    return node.args[0]


def _at_least_one(node: Node, name: str) -> None:
    if not node.args:
        raise _fail(f"{name} requires at least one argument")


def _key_values(node: Node, name: str) -> list[tuple[str, str]]:
    parse_flags(node.flags, {})
    _at_least_one(node, name)
    if len(node.args) % 2:
        raise _fail(f"Bad input to {name}, too many arguments")
    pairs = list(zip(node.args[::2], node.args[1::2]))
    if any(k == "" for k, _ in pairs):
        raise _fail(f"{name} names can not be blank")
    return pairs


def _parse_from(node: Node) -> From:
    args = node.args
    name = ""
    if len(args) == 3 and args[1].lower() == "as":
        name = args[2].lower()
        if not re.fullmatch(r"[a-z][a-z0-9\-_.]*", name):
            raise _fail(f"invalid name for build stage: {go_quote(args[2])}, "
                        "name can't start with a number or contain symbols")
    elif len(args) != 1:
        raise _fail("FROM requires either one or three arguments")
    flags = parse_flags(node.flags, {"platform": _STRING})
    return From(image=args[0], name=name, platform=str(flags.get("platform", "")), **_base(node))


def _parse_run(node: Node) -> Run:
    flags = parse_flags(node.flags, {"mount": _STRINGS, "network": _STRING})
    return Run(cmd=list(node.args), json_form=node.json_form, heredocs=list(node.heredocs),
               mounts=list(flags.get("mount", [])), network=str(flags.get("network", "")),
               **_base(node))


def _parse_cmd(node: Node) -> Cmd:
    parse_flags(node.flags, {})
    return Cmd(cmd=list(node.args), json_form=node.json_form, **_base(node))


def _parse_entrypoint(node: Node) -> Entrypoint:
    parse_flags(node.flags, {})
    return Entrypoint(cmd=list(node.args), json_form=node.json_form, **_base(node))


def _parse_arg(node: Node) -> Arg:
    _at_least_one(node, "ARG")
    pairs: list[tuple[str, str | None]] = []
    for word in node.args:
        if "=" in word:
            key, value = word.split("=", 1)
            if key == "":
                raise _fail("ARG names can not be blank")
            pairs.append((key, value))
        else:
            pairs.append((word, None))
    return Arg(pairs=pairs, **_base(node))


def _sources_and_dest(node: Node, name: str) -> tuple[list[str], str, list[Heredoc]]:
    *srcs, dest = node.args
    if _heredoc_word(dest):
        raise _fail(f"{name} cannot accept a heredoc as a destination")
    bodies = {doc.name: doc for doc in node.heredocs}
    sources, docs = [], []
    for src in srcs:
        marker = _heredoc_word(src)
        if marker is None:
            sources.append(src)
            continue
        body = bodies.get(marker.name)
        docs.append(dataclasses.replace(marker, content=body.content if body else ""))
    return sources, dest, docs


def _need_destination(node: Node, name: str) -> None:
    if len(node.args) < 2:
        raise _fail(f"{name} requires at least two arguments, but only one was "
                    "provided. Destination could not be determined")


def _parse_copy(node: Node) -> Copy:
    _need_destination(node, "COPY")
    flags = parse_flags(node.flags, {"chown": _STRING, "from": _STRING, "chmod": _STRING,
                                     "link": _BOOL, "parents": _BOOL})
    sources, dest, docs = _sources_and_dest(node, "COPY")
    return Copy(sources=sources, dest=dest, heredocs=docs, from_=str(flags.get("from", "")),
                chown=str(flags.get("chown", "")), chmod=str(flags.get("chmod", "")),
                link=bool(flags.get("link", False)), parents=bool(flags.get("parents", False)),
                **_base(node))


def _parse_add(node: Node) -> Add:
    _need_destination(node, "ADD")
    flags = parse_flags(node.flags, {"chown": _STRING, "chmod": _STRING, "checksum": _STRING,
                                     "link": _BOOL, "keep-git-dir": _BOOL})
    sources, dest, docs = _sources_and_dest(node, "ADD")
    return Add(sources=sources, dest=dest, heredocs=docs, chown=str(flags.get("chown", "")),
               chmod=str(flags.get("chmod", "")), checksum=str(flags.get("checksum", "")),
               link=bool(flags.get("link", False)),
               keep_git_dir=bool(flags.get("keep-git-dir", False)), **_base(node))


def _parse_onbuild(node: Node) -> Onbuild:
    _at_least_one(node, "ONBUILD")
    parse_flags(node.flags, {})
    trigger = go_trim_space(node.args[0]).upper()
    if trigger == "ONBUILD":
        raise _fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")
    if trigger in ("MAINTAINER", "FROM"):
        raise _fail(f"{trigger} isn't allowed as an ONBUILD trigger")
    expression = re.sub(r"(?i)^[\t\n\f\r ]*ONBUILD[\t\n\f\r ]*", "", node.source or node.original)
    for doc in node.heredocs:
        expression += "\n" + doc.content + doc.name
    return Onbuild(expression=expression, **_base(node))


def _interval(flags: dict[str, object], name: str) -> int:
    value = str(flags.get(name, ""))
    if value == "":
        return 0
    ns = parse_duration_ns(value)
    if ns < MIN_HEALTH_INTERVAL_NS:
        raise _fail(f"Interval {go_quote(name)} cannot be less than 1ms")
    return ns


def _parse_healthcheck(node: Node) -> Healthcheck:
    _at_least_one(node, "HEALTHCHECK")
    kind, args = node.args[0].upper(), node.args[1:]
    if kind == "NONE":
        if args:
            raise _fail("HEALTHCHECK NONE takes no arguments")
        return Healthcheck(test=["NONE"], **_base(node))
    names = ("interval", "timeout", "start-period", "start-interval", "retries")
    flags = parse_flags(node.flags, {n: _STRING for n in names})
    if kind != "CMD":
        raise _fail(f"Unknown type {go_quote(kind)} in HEALTHCHECK (try CMD)")
    if not args:
        raise _fail("Missing command after HEALTHCHECK CMD")
    test = ["CMD", *args] if node.json_form else ["CMD-SHELL", " ".join(args)]
    durations = [_interval(flags, n) for n in names[:4]]
    retries = 0
    if flags.get("retries", ""):
        retries = parse_go_int(str(flags["retries"]), 10, 32)
        if retries < 1:
            raise _fail(f"--retries must be at least 1 (not {retries})")
    return Healthcheck(test=test, interval=durations[0], timeout=durations[1],
                       start_period=durations[2], start_interval=durations[3],
                       retries=retries, **_base(node))


def _parse_expose(node: Node) -> Expose:
    _at_least_one(node, "EXPOSE")
    parse_flags(node.flags, {})
    return Expose(ports=sorted(node.args), **_base(node))


def _parse_volume(node: Node) -> Volume:
    _at_least_one(node, "VOLUME")
    parse_flags(node.flags, {})
    paths = [go_trim_space(v) for v in node.args]
    if any(p == "" for p in paths):
        raise _fail("VOLUME specified can not be an empty string")
    return Volume(paths=paths, **_base(node))


def _parse_shell(node: Node) -> Shell:
    parse_flags(node.flags, {})
    if not node.args:
        raise _fail("SHELL requires at least one argument")
    if not node.json_form:
        raise _fail("SHELL requires the arguments to be in JSON form")
    return Shell(shell=list(node.args), **_base(node))


def _one_arg(cls: type, name: str, attr: str, check_flags: bool = True) -> Callable[[Node], Instruction]:
    def build(node: Node) -> Instruction:
        value = _exactly_one(node, name)
        if check_flags:
            parse_flags(node.flags, {})
        return cls(**{attr: value}, **_base(node))
    return build


_PARSERS: dict[str, Callable[[Node], Instruction]] = {
    "env": lambda n: Env(pairs=_key_values(n, "ENV"), **_base(n)),
    "label": lambda n: Label(pairs=_key_values(n, "LABEL"), **_base(n)),
    "maintainer": _one_arg(Maintainer, "MAINTAINER", "name"),
    "workdir": _one_arg(Workdir, "WORKDIR", "path"),
    "user": _one_arg(User, "USER", "user"),
    "stopsignal": _one_arg(Stopsignal, "STOPSIGNAL", "signal", check_flags=False),
    "add": _parse_add, "copy": _parse_copy, "from": _parse_from,
    "onbuild": _parse_onbuild, "run": _parse_run, "cmd": _parse_cmd,
    "healthcheck": _parse_healthcheck, "entrypoint": _parse_entrypoint,
    "expose": _parse_expose, "volume": _parse_volume, "arg": _parse_arg,
    "shell": _parse_shell,
}


def parse_instruction(node: Node) -> Instruction:
    """A parser Node → its typed instruction (a `From` for FROM). Errors are
    InvalidParameter with Docker's reason, without the line prefix."""
    build = _PARSERS.get(node.cmd)
    if build is None:
        raise _fail(f"unknown instruction: {node.cmd.upper()}")
    return build(node)


# --------------------------------------------------------------------- stages

@dataclass
class Stage:
    name: str            # "" or the AS name, lower-cased
    index: int
    base: str            # FROM's image, unexpanded
    platform: str
    commands: list[Instruction]
    original: str
    line: int = 0


def parse_dockerfile(text: str, name: str = "Dockerfile") -> tuple[list[Arg], list[Stage], list[str]]:
    """Parse a Dockerfile into (ARGs before the first FROM, stages, warnings)."""
    dockerfile = parse(text, name)
    meta: list[Arg] = []
    stages: list[Stage] = []
    duplicate = ""
    for node in dockerfile.nodes:
        try:
            cmd = parse_instruction(node)
        except InvalidParameter as err:
            raise DockerfileParseError(f"dockerfile parse error line {node.line}: {err}",
                                       line=node.line, reason=str(err)) from None
        if not stages and isinstance(cmd, Arg):
            meta.append(cmd)
        elif isinstance(cmd, From):
            if cmd.name and any(s.name == cmd.name for s in stages) and not duplicate:
                duplicate = cmd.name
            stages.append(Stage(name=cmd.name, index=len(stages), base=cmd.image,
                                platform=cmd.platform, commands=[],
                                original=cmd.original, line=cmd.line))
        elif not stages:
            raise InvalidParameter("no build stage in current context")
        else:
            stages[-1].commands.append(cmd)
    if not stages:
        raise InvalidParameter("no build stage in current context")
    if duplicate:
        raise InvalidParameter(f"{duplicate} stage name already used")
    return meta, stages, dockerfile.warnings


def parse_trigger(expression: str) -> Instruction:
    """An ONBUILD trigger (as stored in an image) → its instruction, for the
    child build. Errors carry Docker's reason without a line prefix."""
    try:
        nodes = parse(expression, "onbuild trigger").nodes
    except DockerfileParseError as err:
        raise InvalidParameter(err.reason) from None
    if len(nodes) != 1:
        raise InvalidParameter("onbuild trigger should be a single expression")
    cmd = parse_instruction(nodes[0])
    if isinstance(cmd, From):
        raise InvalidParameter("FROM isn't allowed as an ONBUILD trigger")
    return cmd
