"""Executes a parsed Go template against Python data, with Go's builtin
functions and Docker's CLI extras (json, join, split, ...).

Data model: a Mapping's `.Field` is a key lookup (a missing key is MISSING,
printed `<no value>`); on any other object it is an attribute, called with
the command's arguments when callable, like a Go method. None is Go's nil."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from barge.errdefs import InvalidParameter
from barge.util.gotemplate_fmt import (MISSING, format_value, sorted_items, sprint, sprintf,
                                       sprintln, to_json, type_name)
from barge.util.gotemplate_parse import (Action, Break, Chain, Command, Continue, Control, Dot,
                                         Field, Ident, Nil, Node, Number, Pipe, Text, Variable)

# Python types whose attributes are never template fields.
_PLAIN = (str, int, float, list, tuple, bytes, bytearray)
_KIND_NAMES = {"str": "string", "int": "int", "list": "[]string"}


class FuncError(Exception):
    """Raised by a template function; shown as `error calling NAME: MSG`."""


class Func(NamedTuple):
    """A template function: its parameter kinds ("any", "str", "int",
    "list") and, when it takes any number of trailing arguments, their kind."""
    fn: Callable[..., Any]
    params: tuple[str, ...]
    variadic: str | None = None


class _NoFinal:
    """Marks "no value piped in from the previous command"."""
    __slots__ = ()


_NOFINAL: Any = _NoFinal()


class _ExecError(Exception):
    def __init__(self, node: Any, msg: str) -> None:
        super().__init__(msg)
        self.node = node
        self.msg = msg


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


def truth(v: Any) -> bool:
    """Go's isTrue: zero values, nil and empty containers are false."""
    if v is None or v is MISSING:
        return False
    if isinstance(v, (bool, int, float)):
        return v != 0
    try:
        return len(v) > 0
    except TypeError:
        return True


def execute(text: str, tree: tuple[Node, ...], funcs: Mapping[str, Func], data: Any,
            missing_key_error: bool = False) -> str:
    """Runs a parsed template; `text` is its source, for error positions.
    `missing_key_error` is Go's Option("missingkey=error")."""
    root = MISSING if data is None else data
    state = _State(funcs, root)
    state.missing_key_error = missing_key_error
    try:
        state.walk(root, tree)
    except _ExecError as e:
        pos = e.node.pos
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1)
        raise InvalidParameter(
            f'template: :{line}:{col}: executing "" at <{e.node}>: {e.msg}') from None
    return "".join(state.out)


class _State:
    __slots__ = ("funcs", "out", "vars", "missing_key_error")

    def __init__(self, funcs: Mapping[str, Func], root: Any) -> None:
        self.funcs = funcs
        self.missing_key_error = False
        self.out: list[str] = []
        self.vars: list[tuple[str, Any]] = [("$", root)]

    # ---- variables --------------------------------------------------------

    def lookup(self, name: str) -> Any:
        for var, value in reversed(self.vars):
            if var == name:
                return value
        return MISSING  # the parser rejects undefined variables

    def set_var(self, name: str, value: Any) -> None:
        for i in range(len(self.vars) - 1, -1, -1):
            if self.vars[i][0] == name:
                self.vars[i] = (name, value)
                return

    # ---- statements -------------------------------------------------------

    def walk(self, dot: Any, nodes: tuple[Any, ...]) -> None:
        for node in nodes:
            match node:
                case Text():
                    self.out.append(node.text)
                case Control(kind="range"):
                    self.walk_range(dot, node)
                case Control():
                    self.walk_if_with(dot, node)
                case Break():
                    raise _Break
                case Continue():
                    raise _Continue
                case Action():
                    value = self.eval_pipe(dot, node.pipe)
                    if not node.pipe.decls:
                        self.out.append(format_value(value))

    def walk_if_with(self, dot: Any, node: Control) -> None:
        mark = len(self.vars)
        value = self.eval_pipe(dot, node.pipe)
        if truth(value):
            self.walk(value if node.kind == "with" else dot, node.body)
        elif node.orelse:
            self.walk(dot, node.orelse)
        del self.vars[mark:]

    def walk_range(self, dot: Any, node: Control) -> None:
        outer = len(self.vars)
        value = self.eval_pipe(dot, node.pipe)
        mark = len(self.vars)
        ran = False
        for key, elem in self.range_items(node, value):
            ran = True
            self.set_range_vars(node.pipe, key, elem)
            try:
                self.walk(elem, node.body)
            except _Break:
                break
            except _Continue:
                pass
            finally:
                del self.vars[mark:]
        if not ran and node.orelse:
            self.walk(dot, node.orelse)
        del self.vars[outer:]

    def range_items(self, node: Control, value: Any) -> Iterable[tuple[Any, Any]]:
        if value is None or value is MISSING:
            return ()
        if isinstance(value, Mapping):
            return sorted_items(value)
        if isinstance(value, int) and not isinstance(value, bool):
            if len(node.pipe.decls) > 1:
                raise _ExecError(node, f"can't use {value} to iterate over more than one variable")
            return ((i, i) for i in range(value))
        if isinstance(value, (str, bytes, bool, float)) or not isinstance(value, Iterable):
            raise _ExecError(node, f"range can't iterate over {format_value(value)}")
        return enumerate(value)

    def set_range_vars(self, pipe: Pipe, key: Any, elem: Any) -> None:
        names = pipe.decls
        if not names:
            return
        if pipe.assign:
            self.set_var(names[-1], elem)
            if len(names) > 1:
                self.set_var(names[0], key)
            return
        self.vars[-1] = (names[-1], elem)
        if len(names) > 1:
            self.vars[-2] = (names[0], key)

    # ---- pipelines and commands --------------------------------------------

    def eval_pipe(self, dot: Any, pipe: Pipe) -> Any:
        value = _NOFINAL
        for cmd in pipe.cmds:
            value = self.eval_cmd(dot, cmd, value)
        for name in pipe.decls:
            if pipe.assign:
                self.set_var(name, value)
            else:
                self.vars.append((name, value))
        return value

    def eval_cmd(self, dot: Any, cmd: Command, final: Any) -> Any:
        first = cmd.args[0]
        match first:
            case Field():
                return self.eval_fields(dot, dot, first, first.names, cmd.args, final)
            case Chain():
                return self.eval_chain(dot, first, cmd.args, final)
            case Ident():
                return self.eval_function(dot, first, cmd, cmd.args, final)
            case Variable():
                return self.eval_variable(dot, first, cmd.args, final)
        self.not_a_function(cmd, cmd.args, final)
        match first:
            case Pipe():
                return self.eval_pipe(dot, first)
            case Dot():
                return dot
            case Nil():
                raise _ExecError(first, "nil is not a command")
        return first.value

    def not_a_function(self, node: Any, args: tuple[Any, ...], final: Any) -> None:
        if len(args) > 1 or final is not _NOFINAL:
            raise _ExecError(node, f"can't give argument to non-function {args[0]}")

    def eval_arg(self, dot: Any, node: Any) -> Any:
        """An argument's value; MISSING stays MISSING."""
        match node:
            case Dot():
                return dot
            case Nil():
                return None
            case Field():
                return self.eval_fields(dot, dot, node, node.names, (node,), _NOFINAL)
            case Variable():
                return self.eval_variable(dot, node, (node,), _NOFINAL)
            case Pipe():
                return self.eval_pipe(dot, node)
            case Ident():
                return self.eval_function(dot, node, node, (node,), _NOFINAL)
            case Chain():
                return self.eval_chain(dot, node, (node,), _NOFINAL)
        return node.value

    def eval_chain(self, dot: Any, chain: Chain, args: tuple[Any, ...], final: Any) -> Any:
        if isinstance(chain.node, Nil):
            raise _ExecError(chain, f"indirection through explicit nil in {chain}")
        receiver = self.eval_arg(dot, chain.node)
        return self.eval_fields(dot, receiver, chain, chain.names, args, final)

    def eval_variable(self, dot: Any, var: Variable, args: tuple[Any, ...], final: Any) -> Any:
        value = self.lookup(var.name)
        if not var.names:
            self.not_a_function(var, args, final)
            return value
        return self.eval_fields(dot, value, var, var.names, args, final)

    def eval_fields(self, dot: Any, receiver: Any, node: Any, names: tuple[str, ...],
                    args: tuple[Any, ...], final: Any) -> Any:
        for name in names[:-1]:
            receiver = self.eval_field(dot, name, node, (), _NOFINAL, receiver)
        return self.eval_field(dot, names[-1], node, args, final, receiver)

    def eval_field(self, dot: Any, name: str, node: Any, args: tuple[Any, ...], final: Any,
                   receiver: Any) -> Any:
        if receiver is MISSING:
            return MISSING
        has_args = len(args) > 1 or final is not _NOFINAL
        if receiver is None:
            raise _ExecError(node, f"nil pointer evaluating interface {{}}.{name}")
        if isinstance(receiver, Mapping):
            if has_args:
                raise _ExecError(node, f"{name} is not a method but has arguments")
            value = receiver.get(name, MISSING)
            if value is MISSING and self.missing_key_error:
                raise _ExecError(node, f'map has no entry for key "{name}"')
            return value
        cant = f"can't evaluate field {name} in type {type_name(receiver)}"
        if isinstance(receiver, _PLAIN) or name.startswith("_"):
            raise _ExecError(node, cant)
        try:
            attr = getattr(receiver, name)
        except AttributeError:
            raise _ExecError(node, cant) from None
        if callable(attr):
            argv = [self.eval_arg(dot, a) for a in args[1:]]
            if final is not _NOFINAL:
                argv.append(final)
            return self.call(node, name, attr, [None if a is MISSING else a for a in argv])
        if has_args:
            raise _ExecError(node, f"{name} has arguments but cannot be invoked as function")
        return attr

    def call(self, node: Any, name: str, fn: Callable[..., Any], argv: list[Any]) -> Any:
        try:
            return fn(*argv)
        except (_ExecError, _Break, _Continue):
            raise
        except Exception as e:  # any failure of called code is a template error
            raise _ExecError(node, f"error calling {name}: {e}") from None

    # ---- functions ---------------------------------------------------------

    def eval_function(self, dot: Any, ident: Ident, node: Any, args: tuple[Any, ...],
                      final: Any) -> Any:
        name = ident.name
        func = self.funcs[name]
        if name in ("and", "or") and func.fn is _and_or:
            return self.eval_and_or(dot, name, node, args[1:], final)
        nodes = args[1:]
        count = len(nodes) + (final is not _NOFINAL)
        fixed = len(func.params)
        if func.variadic is None and count != fixed:
            raise _ExecError(node, f"wrong number of args for {name}: want {fixed} got {count}")
        if count < fixed:
            raise _ExecError(
                node, f"wrong number of args for {name}: want at least {fixed} got {count}")
        argv = []
        for i, arg in enumerate(nodes):
            kind = func.params[i] if i < fixed else func.variadic or "any"
            if kind == "int" and isinstance(arg, Number):
                if arg.as_int is None:
                    raise _ExecError(node, f"expected integer; found {arg}")
                argv.append(arg.as_int)
            else:
                argv.append(self.check_type(node, kind, self.eval_arg(dot, arg)))
        if final is not _NOFINAL:
            kind = func.params[count - 1] if count - 1 < fixed else func.variadic or "any"
            argv.append(self.check_type(node, kind, final))
        return self.call(node, name, func.fn, argv)

    def check_type(self, node: Any, kind: str, value: Any) -> Any:
        if kind == "any":
            return None if value is MISSING else value
        if kind == "list" and (value is None or value is MISSING):
            return ()
        if value is None or value is MISSING:
            raise _ExecError(node, f"invalid value; expected {_KIND_NAMES[kind]}")
        if kind == "str":
            ok = isinstance(value, str)
        elif kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        else:
            ok = isinstance(value, (list, tuple))
        if not ok:
            raise _ExecError(node, f"wrong type for value; expected {_KIND_NAMES[kind]}; "
                                   f"got {type_name(value)}")
        return value

    def eval_and_or(self, dot: Any, name: str, node: Any, nodes: tuple[Any, ...],
                    final: Any) -> Any:
        """and/or return their first deciding argument, evaluating no further."""
        if not nodes and final is _NOFINAL:
            raise _ExecError(node, f"wrong number of args for {name}: want at least 1 got 0")
        stop_on = name == "or"
        value = MISSING
        for arg in nodes:
            value = self.eval_arg(dot, arg)
            if truth(value) == stop_on:
                return value
        return value if final is _NOFINAL else final


# ---- builtin functions ------------------------------------------------------

def _and_or(*args: Any) -> Any:
    raise AssertionError("and/or are evaluated lazily by the executor")


def _kind(v: Any) -> str:
    if v is None or v is MISSING:
        return "nil"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    return "other"


def _eq(a: Any, *others: Any) -> bool:
    if not others:
        raise FuncError("missing argument for comparison")
    ka = _kind(a)
    for b in others:
        kb = _kind(b)
        if ka != kb:
            if "nil" in (ka, kb):
                continue
            raise FuncError("incompatible types for comparison")
        if ka == "nil" or a == b:
            return True
    return False


def _lt(a: Any, b: Any) -> bool:
    ka, kb = _kind(a), _kind(b)
    if ka not in ("number", "string") or kb not in ("number", "string"):
        raise FuncError("invalid type for comparison")
    if ka != kb:
        raise FuncError("incompatible types for comparison")
    return bool(a < b)


def _length(v: Any) -> int:
    if v is None:
        raise FuncError("len of nil pointer")
    if isinstance(v, (str, list, tuple, Mapping, bytes, bytearray)):
        return len(v)
    raise FuncError(f"len of type {type_name(v)}")


def _index_arg(k: Any, size: int, slicing: bool = False) -> int:
    if k is None:
        raise FuncError("cannot index slice/array with nil")
    if isinstance(k, bool) or not isinstance(k, int):
        raise FuncError(f"cannot index slice/array with type {type_name(k)}")
    if k < 0 or k > size or (k == size and not slicing):
        raise FuncError(f"index out of range: {k}")
    return k


def _index(item: Any, *keys: Any) -> Any:
    if item is None:
        raise FuncError("index of untyped nil")
    for key in keys:
        if item is None or item is MISSING:
            raise FuncError("index of nil pointer")
        if isinstance(item, Mapping):
            try:
                item = item.get(key, MISSING)
            except TypeError:
                raise FuncError(f"value has type {type_name(key)}; should be string") from None
        elif isinstance(item, (list, tuple, str, bytes)):
            elem = item[_index_arg(key, len(item))]
            item = ord(elem) if isinstance(item, str) else elem
        else:
            raise FuncError(f"can't index item of type {type_name(item)}")
    return item


def _slice(item: Any, *indexes: Any) -> Any:
    if item is None:
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    if isinstance(item, str) and len(indexes) == 3:
        raise FuncError("cannot 3-index slice a string")
    if not isinstance(item, (str, list, tuple)):
        raise FuncError(f"can't slice item of type {type_name(item)}")
    bounds = [0, len(item), len(item)]
    for i, k in enumerate(indexes):
        bounds[i] = _index_arg(k, len(item), slicing=True)
    for lo, hi in ((bounds[0], bounds[1]), (bounds[1], bounds[2])):
        if lo > hi:
            raise FuncError(f"invalid slice index: {lo} > {hi}")
    return item[bounds[0]:bounds[1]]


def _args_text(args: tuple[Any, ...]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(args)


_HTML_ESC = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", ord("'"): "&#39;",
             ord('"'): "&#34;", 0: "\ufffd"}
_JS_ESC = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E",
           "&": "\\u0026", "=": "\\u003D"}


def _html(*args: Any) -> str:
    return _args_text(args).translate(_HTML_ESC)


def _js(*args: Any) -> str:
    out = []
    for c in _args_text(args):
        if c in _JS_ESC:
            out.append(_JS_ESC[c])
        elif c < " " or (c >= "\x80" and not c.isprintable()):
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return "".join(out)


def _urlquery(*args: Any) -> str:
    from urllib.parse import quote_plus
    return quote_plus(_args_text(args), safe="")


def _call(fn: Any, *args: Any) -> Any:
    if fn is None:
        raise FuncError("call of nil")
    if not callable(fn):
        raise FuncError(f"non-function of type {type_name(fn)}")
    return fn(*args)


def _json(v: Any) -> str:
    # Docker's json ignores encoding errors (NaN, Inf) and prints nothing.
    try:
        return to_json(v)
    except ValueError:
        return ""


def _is_separator(c: str) -> bool:
    if c < "\x80":
        return not (c.isalnum() or c == "_")
    return not c.isalnum() and c.isspace()


def _title(s: str) -> str:
    """Go's strings.Title: upper-case each letter that follows a separator."""
    out, prev = [], " "
    for c in s:
        up = c.upper()
        out.append(up if _is_separator(prev) and len(up) == 1 else c)
        prev = c
    return "".join(out)


def _split(s: str, sep: str) -> list[str]:
    return list(s) if sep == "" else s.split(sep)


def _join(items: Any, sep: str) -> str:
    return sep.join(x if isinstance(x, str) else format_value(x) for x in items)


def _pad(s: str, prefix: int, suffix: int) -> str:
    return s and " " * prefix + s + " " * suffix


def _truncate(s: str, length: int) -> str:
    if length < 0:
        raise FuncError(f"slice bounds out of range [:{length}]")
    return s[:length]


BUILTINS: Mapping[str, Func] = MappingProxyType({
    "and": Func(_and_or, ("any",), "any"),
    "or": Func(_and_or, ("any",), "any"),
    "not": Func(lambda a: not truth(a), ("any",)),
    "eq": Func(_eq, ("any",), "any"),
    "ne": Func(lambda a, b: not _eq(a, b), ("any", "any")),
    "lt": Func(_lt, ("any", "any")),
    "le": Func(lambda a, b: _lt(a, b) or _eq(a, b), ("any", "any")),
    "gt": Func(lambda a, b: not (_lt(a, b) or _eq(a, b)), ("any", "any")),
    "ge": Func(lambda a, b: not _lt(a, b), ("any", "any")),
    "len": Func(_length, ("any",)),
    "index": Func(_index, ("any",), "any"),
    "slice": Func(_slice, ("any",), "any"),
    "print": Func(lambda *a: sprint(a), (), "any"),
    "printf": Func(lambda f, *a: sprintf(f, a), ("str",), "any"),
    "println": Func(lambda *a: sprintln(a), (), "any"),
    "html": Func(_html, (), "any"),
    "js": Func(_js, (), "any"),
    "urlquery": Func(_urlquery, (), "any"),
    "call": Func(_call, ("any",), "any"),
    # Docker CLI extras (docker/cli templates.basicFunctions).
    "json": Func(_json, ("any",)),
    "split": Func(_split, ("str", "str")),
    "join": Func(_join, ("list", "str")),
    "title": Func(_title, ("str",)),
    "lower": Func(str.lower, ("str",)),
    "upper": Func(str.upper, ("str",)),
    "pad": Func(_pad, ("str", "int", "int")),
    "truncate": Func(_truncate, ("str", "int")),
})
