"""Docker's command-line grammar (cobra + pflag), declared as data.

A `Command` lists its `Flag`s; `parse(cmd, argv)` returns the option values
and positional arguments, or raises `FlagError` with pflag's wording.
`format_usage_error` and `help_text` print what the docker CLI prints.

Grammar, as pflag has it:
  -itd            combined short booleans
  -e A=1  -eA=1  -e=A=1
  --name web  --name=web  --rm  --rm=false
  -e A -e B       list flags collect every occurrence
  --              ends the flags
A non-interspersed command (run, create, exec) stops reading flags at the
first positional argument, so `run busybox ls -l` leaves `-l` to `ls`.

Stdlib only: the CLI imports this on every start.
"""
from __future__ import annotations

TYPE_CHECKING = False   # typing is slow to import; annotations only need it for checkers
if TYPE_CHECKING:
    from typing import Any, Callable

from barge.errdefs import BargeError

# kind -> the type word pflag shows in help ("" for booleans).
_TYPE_WORDS = {
    "bool": "", "string": "string", "int": "int", "int64": "int", "uint": "uint",
    "uint16": "uint16", "uint64": "uint", "float": "float", "list": "list",
    "map": "map", "duration": "duration", "bytes": "bytes",
}
_INT_BITS = {"int": 64, "int64": 64}
_UINT_BITS = {"uint": 64, "uint16": 16, "uint64": 64}

EXIT_FLAG_ERROR = 125   # docker: FlagErrorFunc's StatusError
EXIT_ARGS_ERROR = 1     # docker: positional-argument validators (cli/required.go)


class FlagError(Exception):
    """A command line pflag rejects; `str()` is pflag's message."""

    exit_code = EXIT_FLAG_ERROR

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ArgCountError(FlagError):
    """Wrong number of positional arguments (docker's cli/required.go)."""

    exit_code = EXIT_ARGS_ERROR

    def __init__(self, requirement: str, hint: str):
        super().__init__(requirement)
        self.requirement = requirement   # "requires at least 1 argument"
        self.hint = hint                 # "See" or "Run", as docker words it


class Flag:
    """One option. `default=None` means the kind's zero value.

    `parser` converts (and validates) each raw value, raising ValueError or a
    barge error whose text follows "invalid argument ... flag: "; for list
    and map flags it applies to each occurrence (a map's parser returns a
    (key, value) pair; without one, "k=v" splits at the first "=").

    A plain class, not a dataclass: `barge` must start fast and importing
    dataclasses costs more than the rest of the parser.
    """
    __slots__ = ("name", "short", "kind", "default", "help", "hidden", "deprecated",
                 "short_deprecated", "no_opt_value", "type_name", "default_text", "parser")

    def __init__(self, name: str, short: str | None = None, kind: str = "string", default: Any = None,
                 help: str = "", hidden: bool = False, *, deprecated: str = "",
                 short_deprecated: str = "", no_opt_value: str | None = None,
                 type_name: str | None = None, default_text: str | None = None,
                 parser: Callable[[str], Any] | None = None) -> None:
        if kind not in _TYPE_WORDS:
            raise ValueError(f"flag --{name}: unknown kind {kind!r}")
        if short is not None and len(short) != 1:
            raise ValueError(f"flag --{name}: shorthand must be one character")
        self.name, self.short, self.kind, self.default = name, short, kind, default
        self.help, self.hidden, self.deprecated = help, hidden, deprecated
        self.short_deprecated = short_deprecated      # "use --help"
        self.no_opt_value = no_opt_value              # value of a bare --flag
        self.type_name = type_name                    # help's type word
        self.default_text = default_text              # help's "(default ...)"
        self.parser = parser

    def __repr__(self) -> str:
        return f"Flag({self.name!r}, {self.short!r}, {self.kind!r})"


class Command:
    """A leaf command.

    `name` is the command path after the program ("run", "network create");
    `usage` the synopsis after it ("[OPTIONS] IMAGE [COMMAND] [ARG...]"). A
    whole line ("docker run [OPTIONS] ...") is accepted too. `aliases` are
    the paths the help's "Aliases:" line lists, in order, e.g.
    ("container run", "run"). `max_args=None` means no upper bound.
    """
    __slots__ = ("name", "usage", "short_help", "flags", "interspersed", "min_args", "max_args",
                 "exact_args", "aliases", "long_help", "examples")

    def __init__(self, name: str, usage: str = "", short_help: str = "",
                 flags: tuple[Flag, ...] | list[Flag] = (), interspersed: bool = True,
                 min_args: int = 0, max_args: int | None = None, exact_args: int | None = None,
                 aliases: tuple[str, ...] = (), long_help: str = "", examples: str = "") -> None:
        self.name, self.usage, self.short_help, self.flags = name, usage, short_help, flags
        self.interspersed, self.min_args, self.max_args = interspersed, min_args, max_args
        self.exact_args, self.aliases, self.long_help, self.examples = exact_args, aliases, long_help, examples
        if exact_args is not None:
            self.min_args = self.max_args = exact_args
        _check_unique(self)


class Parsed:
    """`opts` holds every flag (defaults filled in), keyed by long name;
    `set` names the flags given on the command line. `help` asks for help
    (no argument-count check was made); `warnings` are pflag's deprecation
    notices, which docker prints to stdout."""
    __slots__ = ("opts", "args", "set", "help", "warnings")

    def __init__(self, opts: dict[str, Any], args: list[str], set: frozenset[str] = frozenset(),
                 help: bool = False, warnings: list[str] | None = None) -> None:
        self.opts, self.args, self.set, self.help = opts, args, set, help
        self.warnings = warnings if warnings is not None else []


# docker's root command adds a hidden --help with a deprecated -h shorthand;
# a command that has its own -h (run's --hostname) keeps only --help (docker
# run declares a visible Flag("help", None, "bool", help="Print usage")).
_HELP = Flag("help", "h", "bool", help="Print usage", hidden=True, short_deprecated="use --help")


def _check_unique(cmd: Command) -> None:
    names: set[str] = set()
    shorts: set[str] = set()
    for flag in cmd.flags:
        if flag.name in names or (flag.short and flag.short in shorts):
            raise ValueError(f"{cmd.name}: flag --{flag.name} is defined twice")
        names.add(flag.name)
        if flag.short:
            shorts.add(flag.short)


class _Table:
    __slots__ = ("long", "short")

    def __init__(self, long: dict[str, Flag], short: dict[str, Flag]) -> None:
        self.long, self.short = long, short

    @classmethod
    def of(cls, cmd: Command) -> _Table:
        long = {f.name: f for f in cmd.flags}
        short = {f.short: f for f in cmd.flags if f.short}
        long.setdefault("help", _HELP)
        if long["help"] is _HELP and "h" not in short:
            short["h"] = _HELP
        return cls(long, short)


class _State:
    __slots__ = ("values", "given", "help", "warnings")

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.given: set[str] = set()
        self.help = False
        self.warnings: list[str] = []


# ---------------------------------------------------------------- parsing

def parse(cmd: Command, argv: list[str]) -> Parsed:
    """Parse `argv` (the words after the command path) against `cmd`."""
    table = _Table.of(cmd)
    state = _State({f.name: zero_or_default(f) for f in cmd.flags if f.name != "help"})
    args: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        i += 1
        if len(word) < 2 or word[0] != "-":
            args.append(word)
            if not cmd.interspersed:
                args.extend(argv[i:])
                break
        elif word == "--":
            args.extend(argv[i:])
            break
        elif word.startswith("--"):
            i += _parse_long(table, word, argv[i:], state)
        else:
            i += _parse_shorts(table, word, argv[i:], state)
    if not state.help:
        check_arg_count(cmd, args)
    return Parsed(state.values, args, frozenset(state.given), state.help, state.warnings)


def _parse_long(table: _Table, word: str, rest: list[str], state: _State) -> int:
    """Handle one `--name[=value]`; returns how many of `rest` it consumed."""
    body = word[2:]
    if body[0] in "-=":
        raise FlagError(f"bad flag syntax: {word}")
    name, eq, value = body.partition("=")
    flag = table.long.get(name)
    if flag is None:
        raise FlagError(f"unknown flag: --{name}")
    consumed = 0
    if not eq:
        if _no_opt_value(flag) is not None:
            value = _no_opt_value(flag)
        elif rest:
            value, consumed = rest[0], 1
        else:
            raise FlagError(f"flag needs an argument: {word}")
    _set(flag, value, state)
    return consumed


def _parse_shorts(table: _Table, word: str, rest: list[str], state: _State) -> int:
    """Handle `-abc`, `-evalue`, `-e=value` or `-e value`."""
    shorts = word[1:]
    consumed = 0
    while shorts:
        shorts, consumed = _parse_one_short(table, shorts, rest, state)
    return consumed


def _parse_one_short(table: _Table, shorts: str, rest: list[str], state: _State) -> tuple[str, int]:
    c = shorts[0]
    flag = table.short.get(c)
    if flag is None:
        raise FlagError(f"unknown shorthand flag: '{c}' in -{shorts}")
    remaining, consumed = shorts[1:], 0
    if len(shorts) > 2 and shorts[1] == "=":
        value, remaining = shorts[2:], ""
    elif _no_opt_value(flag) is not None:
        value = _no_opt_value(flag)
    elif len(shorts) > 1:
        value, remaining = shorts[1:], ""
    elif rest:
        value, consumed = rest[0], 1
    else:
        raise FlagError(f"flag needs an argument: '{c}' in -{shorts}")
    if flag.short_deprecated:
        state.warnings.append(f"Flag shorthand -{c} has been deprecated, {flag.short_deprecated}")
    _set(flag, value, state)
    return remaining, consumed


def _no_opt_value(flag: Flag) -> str | None:
    if flag.no_opt_value is not None:
        return flag.no_opt_value
    return "true" if flag.kind == "bool" else None


def _set(flag: Flag, raw: str, state: _State) -> None:
    try:
        value = _convert(flag, raw)
    except (ValueError, BargeError) as exc:
        raise FlagError(
            f"invalid argument {_quote(raw)} for {_quote(flag_label(flag))} flag: {exc}") from None
    if flag.name == "help":
        state.help = value
        return
    if flag.kind == "list":
        _current(flag, state, list).append(value)
    elif flag.kind == "map":
        _current(flag, state, dict).update([value])
    else:
        state.values[flag.name] = value
    state.given.add(flag.name)
    if flag.deprecated:
        state.warnings.append(f"Flag --{flag.name} has been deprecated, {flag.deprecated}")


def _current(flag: Flag, state: _State, empty: type) -> Any:
    """The collection a list/map occurrence adds to: the first replaces the default."""
    if flag.name not in state.given:
        state.values[flag.name] = empty()
    return state.values[flag.name]


def _convert(flag: Flag, raw: str) -> Any:
    if flag.kind == "map" and flag.parser is None:
        key, _, val = raw.partition("=")
        return key, val
    if flag.parser is not None:
        return flag.parser(raw)
    return _convert_builtin(flag.kind, raw)


def _convert_builtin(kind: str, raw: str) -> Any:
    if kind in ("string", "list"):
        return raw
    from barge.spec import gostrconv, units  # lazy: most commands never need them

    if kind == "bool":
        return gostrconv.parse_go_bool(raw)
    if kind in _INT_BITS:
        return gostrconv.parse_go_int(raw, 0, _INT_BITS[kind])
    if kind in _UINT_BITS:
        return gostrconv.parse_go_uint(raw, 0, _UINT_BITS[kind])
    if kind == "float":
        return gostrconv.parse_go_float(raw)
    if kind == "duration":
        return units.parse_duration(raw)
    return units.ram_in_bytes(raw)  # "bytes": docker's MemBytes


def zero_or_default(flag: Flag) -> Any:
    """The value a flag has when not given (a fresh copy for lists and maps)."""
    if flag.default is not None:
        copies = {"list": list, "map": dict}
        return copies[flag.kind](flag.default) if flag.kind in copies else flag.default
    return {"bool": False, "string": "", "list": [], "map": {}, "duration": 0.0,
            "float": 0.0}.get(flag.kind, 0)


def flag_label(flag: Flag) -> str:
    """How pflag names a flag in errors: "-t, --timeout" or "--time"."""
    if flag.short and not flag.short_deprecated:
        return f"-{flag.short}, --{flag.name}"
    return f"--{flag.name}"


def _quote(s: str) -> str:
    from barge.spec.gostrconv import go_quote  # lazy: only on the error path

    return go_quote(s)


def check_arg_count(cmd: Command, args: list[str]) -> None:
    """Raise ArgCountError worded as docker's cli/required.go validators."""
    n, lo, hi = len(args), cmd.min_args, cmd.max_args
    if lo <= n and (hi is None or n <= hi):
        return
    if hi == 0:
        raise ArgCountError("accepts no arguments", "Run")
    if lo == hi:
        raise ArgCountError(f"requires {lo} {_plural(lo)}", "Run")
    if hi is None:
        raise ArgCountError(f"requires at least {lo} {_plural(lo)}", "See")
    if lo == 0:
        # Docker 28 prints "SRun" here (a typo in RequiresMaxArgs); we print "Run".
        raise ArgCountError(f"requires at most {hi} {_plural(hi)}", "Run")
    raise ArgCountError(f"requires at least {lo} and at most {hi} {_plural(hi)}", "Run")


def _plural(n: int) -> str:
    return "argument" if n == 1 else "arguments"


# ---------------------------------------------------------------- output

def command_path(prog: str, cmd: Command) -> str:
    return f"{prog} {cmd.name}" if cmd.name else prog


def use_line(prog: str, cmd: Command) -> str:
    """cobra's UseLine: "docker run [OPTIONS] IMAGE [COMMAND] [ARG...]"."""
    synopsis = cmd.usage
    if synopsis.startswith("docker "):
        synopsis = synopsis[len("docker "):]
    if cmd.name and (synopsis == cmd.name or synopsis.startswith(cmd.name + " ")):
        synopsis = synopsis[len(cmd.name):].lstrip()
    path = command_path(prog, cmd)
    return f"{path} {synopsis}" if synopsis else path


def format_usage_error(prog: str, cmd: Command, err: FlagError | str) -> str:
    """The text docker writes to stderr for a usage error (print it with a
    newline; exit with `err.exit_code`)."""
    path = command_path(prog, cmd)
    usage = f"Usage:  {use_line(prog, cmd)}"
    if isinstance(err, ArgCountError):
        return (f"{prog}: '{path}' {err.requirement}\n\n{usage}\n\n"
                f"{err.hint} '{path} --help' for more information")
    return f"{err}\n\n{usage}\n\nRun '{path} --help' for more information"


def help_text(prog: str, cmd: Command, width: int = 80) -> str:
    """Docker's help for a command (print it with a newline). `width` is the
    terminal's; docker uses 80 when stdin is not a terminal."""
    parts = [f"Usage:  {use_line(prog, cmd)}", (cmd.long_help or cmd.short_help).strip()]
    if cmd.aliases:
        parts.append("Aliases:\n  " + ", ".join(f"{prog} {a}" for a in cmd.aliases))
    if cmd.examples:
        parts.append("Examples:\n" + cmd.examples)
    options = flag_usages(cmd.flags, width - 1).rstrip()
    if options:
        parts.append("Options:\n" + options)
    return "\n\n".join(parts)


def group_help_text(prog: str, name: str, short_help: str, commands: list[Command]) -> str:
    """Docker's help for a management command ("docker network")."""
    path = f"{prog} {name}"
    pad = max([11] + [len(_leaf(c)) for c in commands]) + 1
    lines = [f"  {_leaf(c).ljust(pad)}{c.short_help}" for c in commands]
    return (f"Usage:  {path} COMMAND\n\n{short_help.strip()}\n\nCommands:\n"
            + "\n".join(lines)
            + f"\n\nRun '{path} COMMAND --help' for more information on a command.")


def _leaf(cmd: Command) -> str:
    return cmd.name.rsplit(" ", 1)[-1]


def flag_usages(flags: tuple[Flag, ...] | list[Flag], cols: int = 79) -> str:
    """pflag's FlagUsagesWrapped: sorted, aligned, wrapped to `cols`."""
    rows = []
    for flag in sorted(flags, key=lambda f: f.name):
        if flag.hidden or flag.deprecated:
            continue
        rows.append(_usage_row(flag))
    if not rows:
        return ""
    width = max(len(left) for left, _ in rows)
    out = []
    for left, text in rows:
        out.append(f"{left}{' ' * (width - len(left) + 3)}{_wrap(width + 3, cols, text)}\n")
    return "".join(out)


def _usage_row(flag: Flag) -> tuple[str, str]:
    if flag.short and not flag.short_deprecated:
        left = f"  -{flag.short}, --{flag.name}"
    else:
        left = f"      --{flag.name}"
    varname, text = _unquote_usage(flag)
    if varname:
        left += " " + varname
    left += _no_opt_suffix(flag)
    return left, text + _default_suffix(flag)


def _unquote_usage(flag: Flag) -> tuple[str, str]:
    """A `backquoted` word in the help names the value; else the type word."""
    start = flag.help.find("`")
    end = flag.help.find("`", start + 1) if start >= 0 else -1
    if end > start:
        name = flag.help[start + 1:end]
        return name, flag.help[:start] + name + flag.help[end + 1:]
    word = flag.type_name if flag.type_name is not None else _TYPE_WORDS[flag.kind]
    return word, flag.help


def _no_opt_suffix(flag: Flag) -> str:
    if flag.no_opt_value is None:
        return ""
    if flag.kind == "string":
        return f'[="{flag.no_opt_value}"]'
    if flag.kind == "bool":
        return "" if flag.no_opt_value == "true" else f"[={flag.no_opt_value}]"
    return f"[={flag.no_opt_value}]"


def _default_suffix(flag: Flag) -> str:
    if flag.default_text is not None:
        return f" (default {flag.default_text})"
    value = flag.default
    if value is None or value in (False, "", 0, [], {}):
        return ""
    return f" (default {_go_value(flag, value)})"


def _go_value(flag: Flag, value: Any) -> str:
    """A default as Go's %v prints it (%q for strings)."""
    if flag.kind == "string":
        return _quote(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if flag.kind == "duration":
        from barge.spec.units import format_duration

        return format_duration(round(value * 1_000_000_000))
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    if isinstance(value, (list, tuple)):
        return "[" + " ".join(map(str, value)) + "]"
    if isinstance(value, dict):
        return "map[" + " ".join(f"{k}:{v}" for k, v in sorted(value.items())) + "]"
    return str(value)


# pflag's wrap: split on the last blank before the column, allowing a few
# characters of slop so a short last word does not sit alone on a line.

def _wrap(indent: int, cols: int, text: str) -> str:
    pad = "\n" + " " * indent
    if cols == 0:
        return text.replace("\n", pad)
    room, lead = cols - indent, ""
    if room < 24:
        indent, room = 16, cols - 16
        lead = pad = "\n" + " " * 16
        if room < 24:
            return text.replace("\n", lead)
    slop = 5
    room -= slop
    line, text = _wrap_n(room, slop, text)
    out = lead + line.replace("\n", pad)
    while text:
        line, text = _wrap_n(room, slop, text)
        out += pad + line.replace("\n", pad)
    return out


def _wrap_n(i: int, slop: int, s: str) -> tuple[str, str]:
    if i + slop > len(s):
        return s, ""
    head = s[:i]
    w = max(head.rfind(" "), head.rfind("\t"), head.rfind("\n"))
    if w <= 0:
        return s, ""
    nl = head.rfind("\n")
    if 0 < nl < w:
        return s[:nl], s[nl + 1:]
    return s[:w], s[w + 1:]
