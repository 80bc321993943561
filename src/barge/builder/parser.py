"""The Dockerfile parser: lines to instruction nodes, as Docker's classic
parser does it (the model is BuildKit's `frontend/dockerfile/parser`).

Handled here: parser directives at the top (`syntax`, `escape`, `check`),
comments (also inside continuations), line continuations with the escape
character, empty continuation lines (with Docker's warning), JSON (exec) vs
shell form, builder flags (`--from=x`), ONBUILD wrapping and heredocs.
Nothing is expanded; unknown instructions are kept (as Docker's parser
does) and reported by `instructions.parse_dockerfile`, in file order.

Errors are `DockerfileParseError` (an `InvalidParameter`) worded as Docker
20.10's classic builder prints them: "failed to parse Dockerfile: <why>".
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

from barge.errdefs import InvalidParameter

from .shell_lex import (Lexer, go_trim_left_space, go_trim_space, is_space,
                        parse_words, split_name_values)

MAX_LINE = 65535  # bufio.Scanner's limit, in bytes


@dataclass
class Heredoc:
    name: str       # the delimiter word, quotes removed
    content: str    # the body: newline-terminated lines; leading tabs stripped for <<-
    expand: bool    # False when (part of) the delimiter was quoted
    chomp: bool = False  # written as <<-


@dataclass
class Node:
    cmd: str                 # lower-case instruction name
    args: list[str]          # the instruction's arguments as Docker's parser splits them
    json_form: bool
    flags: list[str]         # leading --flags, e.g. ["--from=build"]
    original: str            # the instruction as written (continuations joined), trimmed
    line: int                # 1-based start line
    heredocs: list[Heredoc] = field(default_factory=list)
    next: "Node | None" = None   # ONBUILD's wrapped instruction
    end_line: int = 0
    source: str = ""         # the joined line untrimmed (Docker's Node.Original)


@dataclass
class Dockerfile:
    directives: dict[str, str]
    escape: str
    nodes: list[Node]
    warnings: list[str]


class DockerfileParseError(InvalidParameter):
    """A malformed Dockerfile. `line` is the 1-based line, when known;
    `reason` is the message without the "failed to parse ..." prefix."""

    def __init__(self, message: str, line: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.reason = reason or message


class _Fail(Exception):
    """A parser error before it gets Docker's prefix."""

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


# ------------------------------------------------------------------ directives

_DIRECTIVE = re.compile(r"#[\t\n\f\r ]*([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*")
_VALID_DIRECTIVES = ("syntax", "escape", "check")


class _Directives:
    def __init__(self) -> None:
        self.escape = "\\"
        self.done = False
        self.found: dict[str, str] = {}
        self.continuation = _continuation_regex("\\")

    def possible_directive(self, line: str) -> None:
        """Record `# key=value` while still at the top of the file."""
        if self.done:
            return
        match = _DIRECTIVE.fullmatch(line)
        if match is None or match.group(1).lower() not in _VALID_DIRECTIVES:
            self.done = True
            return
        key, value = match.group(1).lower(), match.group(2)
        if key in self.found:
            raise ValueError(f"only one {key} parser directive can be used")
        if key == "escape":
            if value not in ("`", "\\"):
                raise ValueError(f"invalid escape token '{value}' does not match ` or \\")
            self.escape = value
            self.continuation = _continuation_regex(value)
        self.found[key] = value


def _continuation_regex(escape: str) -> re.Pattern[str]:
    e = re.escape(escape)
    return re.compile(rf"([^{e}]){e}[ \t]*\Z|^{e}[ \t]*\Z")


# ----------------------------------------------------------------- line utils

def _trim_newline(line: str) -> str:
    return line.rstrip("\r\n")


def _is_comment(line: str) -> bool:
    return go_trim_left_space(_trim_newline(line)).startswith("#")


def _is_blank(line: str) -> bool:
    return go_trim_left_space(_trim_newline(line)) == ""


def _physical_lines(text: str) -> Iterator[str]:
    """Lines with their endings, stopping (as bufio.Scanner does) at a line
    over the size limit; `_LineTooLong` is then raised by the caller."""
    parts = text.split("\n")
    for i, part in enumerate(parts):
        if i == len(parts) - 1 and part == "":
            return
        if len(part.encode("utf-8", "surrogatepass")) > MAX_LINE:
            raise _LineTooLong()
        yield part + "\n" if i < len(parts) - 1 else part


class _LineTooLong(Exception):
    pass


# ---------------------------------------------------------- argument parsers

class _NotStringArray(Exception):
    pass


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError("number out of range")  # Go cannot hold it: not JSON
    return value


def _reject_constant(text: str) -> float:
    raise ValueError(f"invalid JSON constant {text}")


def _parse_json(rest: str) -> list[str] | None:
    """The array's strings, or None when `rest` is not a JSON array."""
    rest = go_trim_left_space(rest)
    if not rest.startswith("["):
        return None
    decoder = json.JSONDecoder(parse_constant=_reject_constant,
                               parse_float=_finite, parse_int=_finite)
    try:
        # Docker 20.10 decodes the first JSON value and ignores what follows.
        value, _ = decoder.raw_decode(rest)
    except (ValueError, RecursionError):
        return None
    if any(not isinstance(v, str) for v in value):
        raise _NotStringArray()
    return value


_TOKEN_WS = re.compile(r"[\t\v\f\r ]+")

# Each parser returns (args, json_form).
_ArgParser = Callable[[str, str], "tuple[list[str], bool]"]


def _maybe_json(rest: str, escape: str) -> tuple[list[str], bool]:
    if rest == "":
        return [], False
    parsed = _parse_json(rest)
    return (parsed, True) if parsed is not None else ([rest], False)


def _maybe_json_to_list(rest: str, escape: str) -> tuple[list[str], bool]:
    parsed = _parse_json(rest)
    return (parsed, True) if parsed is not None else _whitespace_delimited(rest, escape)


def _whitespace_delimited(rest: str, escape: str) -> tuple[list[str], bool]:
    return ([] if rest == "" else _TOKEN_WS.split(rest)), False


def _string(rest: str, escape: str) -> tuple[list[str], bool]:
    return ([] if rest == "" else [rest]), False


def _env(rest: str, escape: str) -> tuple[list[str], bool]:
    return [x for pair in split_name_values(rest, "ENV", escape) for x in pair], False


def _label(rest: str, escape: str) -> tuple[list[str], bool]:
    return [x for pair in split_name_values(rest, "LABEL", escape) for x in pair], False


def _name_or_name_val(rest: str, escape: str) -> tuple[list[str], bool]:
    return parse_words(rest, escape), False


def _health_config(rest: str, escape: str) -> tuple[list[str], bool]:
    sep = 0
    while sep < len(rest) and not is_space(rest[sep]):
        sep += 1
    if sep == 0:
        return [], False
    nxt = sep
    while nxt < len(rest) and is_space(rest[nxt]):
        nxt += 1
    args, json_form = _maybe_json(rest[nxt:], escape)
    return [rest[:sep]] + args, json_form


def _ignore(rest: str, escape: str) -> tuple[list[str], bool]:
    return [], False


_DISPATCH: dict[str, _ArgParser] = {
    "add": _maybe_json_to_list, "arg": _name_or_name_val, "cmd": _maybe_json,
    "copy": _maybe_json_to_list, "entrypoint": _maybe_json, "env": _env,
    "expose": _whitespace_delimited, "from": _whitespace_delimited,
    "healthcheck": _health_config, "label": _label, "maintainer": _string,
    "run": _maybe_json, "shell": _maybe_json, "stopsignal": _string,
    "user": _string, "volume": _maybe_json_to_list, "workdir": _string,
}
INSTRUCTIONS = frozenset(_DISPATCH) | {"onbuild"}
_HEREDOC_COMMANDS = ("add", "copy", "run")


# --------------------------------------------------------------- split/flags

def split_command(line: str) -> tuple[str, list[str], str]:
    """(lower-case instruction, builder flags, the rest of the line)."""
    parts = _TOKEN_WS.split(go_trim_space(line), maxsplit=1)
    cmd = parts[0].lower()
    rest, flags = ("", [])
    if len(parts) == 2:
        rest, flags = extract_builder_flags(parts[1])
    return cmd, flags, go_trim_space(rest)


def extract_builder_flags(line: str) -> tuple[str, list[str]]:
    """Leading `--name[=value]` words (quotes and backslashes processed) and
    the rest of the line; a bare `--` ends the flags."""
    flags: list[str] = []
    pos = 0
    while True:
        while pos < len(line) and is_space(line[pos]):
            pos += 1
        if pos == len(line):
            return "", flags
        if not line.startswith("--", pos):
            return line[pos:], flags
        word, blank_ok, pos = _flag_word(line, pos)
        if word == "--":
            return line[pos:], flags
        if word or blank_ok:
            flags.append(word)


def _flag_word(line: str, pos: int) -> tuple[str, bool, int]:
    out: list[str] = []
    quote = ""
    blank_ok = False
    while pos < len(line):
        ch = line[pos]
        if not quote and is_space(ch):
            break
        pos += 1
        if quote and ch == quote:
            quote = ""
            continue
        if not quote and ch in "'\"":
            quote, blank_ok = ch, True
            continue
        if ch == "\\":
            if pos == len(line):
                break
            ch = line[pos]
            pos += 1
        out.append(ch)
    return "".join(out), blank_ok, pos


# ------------------------------------------------------------------- heredocs

_HEREDOC = re.compile(r"([0-9]*)<<(-?)([^<]*)")


def parse_heredoc(word: str) -> Heredoc | None:
    """A heredoc marker word (`<<EOF`, `<<-"EOF"`, `3<<EOF`) → its name and
    flags (empty content); None when the word is not one."""
    match = _HEREDOC.fullmatch(word)
    if match is None or match.group(3) == "":
        return None
    rest = match.group(3)
    words = Lexer("\\", skip_unset_env=True).process_words(rest, {})
    if len(words) != 1:
        return None
    raw = Lexer("\\", skip_unset_env=True, raw_quotes=True).process_words(rest, {})
    if len(raw) != 1:
        raise InvalidParameter(
            f"internal lexing of heredoc produced inconsistent results: {rest}")
    quotes = words[0].count("'") + words[0].count('"')
    raw_quotes = raw[0].count("'") + raw[0].count('"')
    return Heredoc(name=words[0], content="", expand=quotes == raw_quotes,
                   chomp=match.group(2) == "-")


def heredocs_from_line(line: str) -> list[Heredoc]:
    """Every heredoc marker among the words of an instruction line."""
    lex = Lexer("\\", raw_quotes=True, raw_escapes=True, skip_unset_env=True)
    try:
        words = lex.process_words(line, {})
    except InvalidParameter:
        return []
    docs = []
    for word in words:
        doc = parse_heredoc(word)
        if doc is not None:
            docs.append(doc)
    return docs


def chomp_heredoc(content: str) -> str:
    """Strip leading tabs from every line (`<<-`)."""
    return re.sub(r"(?m)^\t+", "", content)


# --------------------------------------------------------------------- parser

def node_from_line(line: str, escape: str = "\\", lineno: int = 0) -> Node:
    """One instruction line (continuations already joined) → a Node."""
    cmd, flags, rest = split_command(line)
    child = None
    if cmd == "onbuild":
        child = node_from_line(rest, escape, lineno) if rest else None
        args = [child.cmd] + child.args if child else []
        json_form = child.json_form if child else False
    else:
        try:
            args, json_form = _DISPATCH.get(cmd, _ignore)(rest, escape)
        except _NotStringArray:
            raise ValueError("when using JSON array syntax, arrays must be "
                             "comprised of strings only") from None
        except InvalidParameter as err:
            raise ValueError(str(err)) from None
    return Node(cmd=cmd, args=args, json_form=json_form, flags=flags,
                original=go_trim_space(line), line=lineno, next=child,
                end_line=lineno, source=line)


def _can_contain_heredoc(node: Node) -> bool:
    if node.cmd == "onbuild" and node.next is not None:
        node = node.next
    return node.cmd in _HEREDOC_COMMANDS and not node.json_form


class _Parser:
    def __init__(self, text: str) -> None:
        self.lines = _physical_lines(text)
        self.d = _Directives()
        self.current = 0
        self.nodes: list[Node] = []
        self.warnings: list[str] = []
        self.too_long = False

    def scan(self) -> str | None:
        if self.too_long:
            return None
        try:
            line = next(self.lines)
        except StopIteration:
            return None
        except _LineTooLong:
            self.too_long = True
            return None
        if self.current == 0:
            line = line.removeprefix("\ufeff")
        return line

    def process_line(self, line: str, strip_left: bool) -> str:
        line = _trim_newline(line)
        if strip_left:
            line = go_trim_left_space(line)
        try:
            self.d.possible_directive(line)
        except ValueError as err:
            raise _Fail(str(err), self.current + 1) from None
        return "" if line.startswith("#") else line

    def trim_continuation(self, line: str) -> tuple[str, bool]:
        match = self.d.continuation.search(line)
        if match is None:
            return line, True
        return line[:match.start()] + (match.group(1) or ""), False

    def run(self) -> None:
        while (raw := self.scan()) is not None:
            line = self.process_line(raw, True)
            self.current += 1
            start = self.current
            line, end = self.trim_continuation(line)
            if end and line == "":
                continue
            if not end:
                line = self.continuation(line)
            self.add_node(line, start)

    def continuation(self, line: str) -> str:
        has_empty = False
        end = False
        while not end and (raw := self.scan()) is not None:
            processed = self.process_line(raw, False)
            self.current += 1
            if _is_comment(raw):
                continue
            if _is_blank(processed):
                has_empty = True
                continue
            more, end = self.trim_continuation(processed)
            line += more
        if has_empty:
            self.warnings.append("[WARNING]: Empty continuation line found in:\n    " + line)
        return line

    def add_node(self, line: str, start: int) -> None:
        try:
            node = node_from_line(line, self.d.escape, start)
        except ValueError as err:
            raise _Fail(str(err), start) from None
        if _can_contain_heredoc(node):
            try:
                docs = heredocs_from_line(line)
            except InvalidParameter as err:
                raise _Fail(str(err), start) from None
            node.heredocs = [self.read_heredoc(doc, start) for doc in docs]
        node.end_line = self.current
        self.nodes.append(node)

    def read_heredoc(self, doc: Heredoc, start: int) -> Heredoc:
        body: list[str] = []
        while (raw := self.scan()) is not None:
            self.current += 1
            candidate = _trim_newline(raw)
            if doc.chomp:
                candidate = candidate.lstrip("\t")
            if candidate == doc.name:
                content = "".join(body)
                doc.content = chomp_heredoc(content) if doc.chomp else content
                return doc
            body.append(raw)
        raise _Fail("unterminated heredoc", start)


def parse(text: str, name: str = "Dockerfile") -> Dockerfile:
    """Parse a Dockerfile's text. `name` only words the errors."""
    if text == "":
        raise DockerfileParseError(f"the Dockerfile ({name}) cannot be empty",
                                   reason="cannot be empty")
    parser = _Parser(text)
    try:
        parser.run()
        if not parser.nodes:
            raise _Fail("file with no instructions", parser.current)
        if parser.too_long:
            raise _Fail(f"dockerfile line greater than max allowed size of {MAX_LINE}",
                        parser.current + 1)
    except _Fail as err:
        raise DockerfileParseError(f"failed to parse {name}: {err.reason}",
                                   line=err.line or None, reason=err.reason) from None
    warnings = parser.warnings
    if warnings:
        warnings.append("[WARNING]: Empty continuation lines will become errors "
                        "in a future release.")
    return Dockerfile(directives=dict(parser.d.found), escape=parser.d.escape,
                      nodes=parser.nodes, warnings=warnings)
