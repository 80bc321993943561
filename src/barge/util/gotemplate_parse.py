"""Parser for Go's text/template syntax. `parse_tree` turns a template into
an immutable tree of the node tuples below; error messages follow Go's
wording (`template: :LINE: ...`)."""

from __future__ import annotations

from collections.abc import Container
from typing import Any, NamedTuple, Union

from barge.errdefs import InvalidParameter
from barge.util.gotemplate_fmt import go_quote
from barge.util.gotemplate_lex import Lexer, Tok, unquote

_OPERAND_START = frozenset({"bool", "char", "dot", "field", "ident", "num", "nil", "raw", "str",
                            "var", "("})


# ---- nodes ----------------------------------------------------------------

class Text(NamedTuple):
    text: str


class Field(NamedTuple):
    pos: int
    names: tuple[str, ...]

    def __str__(self) -> str:
        return "".join("." + n for n in self.names)


class Variable(NamedTuple):
    pos: int
    name: str
    names: tuple[str, ...]

    def __str__(self) -> str:
        return self.name + "".join("." + n for n in self.names)


class Chain(NamedTuple):
    pos: int
    node: Any
    names: tuple[str, ...]

    def __str__(self) -> str:
        inner = f"({self.node})" if isinstance(self.node, Pipe) else str(self.node)
        return inner + "".join("." + n for n in self.names)


class Dot(NamedTuple):
    pos: int

    def __str__(self) -> str:
        return "."


class Nil(NamedTuple):
    pos: int

    def __str__(self) -> str:
        return "nil"


class Bool(NamedTuple):
    pos: int
    value: bool

    def __str__(self) -> str:
        return "true" if self.value else "false"


class Number(NamedTuple):
    pos: int
    text: str
    value: int | float
    as_int: int | None

    def __str__(self) -> str:
        return self.text


class String(NamedTuple):
    pos: int
    text: str
    value: str

    def __str__(self) -> str:
        return self.text


class Ident(NamedTuple):
    pos: int
    name: str

    def __str__(self) -> str:
        return self.name


class Command(NamedTuple):
    pos: int
    args: tuple[Any, ...]

    def __str__(self) -> str:
        return " ".join(f"({a})" if isinstance(a, Pipe) else str(a) for a in self.args)


class Pipe(NamedTuple):
    pos: int
    decls: tuple[str, ...]
    assign: bool
    cmds: tuple[Command, ...]

    def __str__(self) -> str:
        decl = ", ".join(self.decls) + (" = " if self.assign else " := ") if self.decls else ""
        return decl + " | ".join(map(str, self.cmds))


class Action(NamedTuple):
    pos: int
    pipe: Pipe

    def __str__(self) -> str:
        return f"{{{{{self.pipe}}}}}"


class Control(NamedTuple):
    """{{if}}, {{with}} or {{range}} (kind), with its body and else branch."""
    kind: str
    pos: int
    pipe: Pipe
    body: tuple[Any, ...]
    orelse: tuple[Any, ...]

    def __str__(self) -> str:
        return f"{{{{{self.kind} {self.pipe}}}}}"


class Break(NamedTuple):
    pos: int


class Continue(NamedTuple):
    pos: int


class _End(NamedTuple):
    pos: int

    def __str__(self) -> str:
        return "{{end}}"


class _Else(NamedTuple):
    pos: int

    def __str__(self) -> str:
        return "{{else}}"


Node = Union[Text, Action, Control, Break, Continue]


def _syntax_error(text: str, pos: int, msg: str) -> InvalidParameter:
    return InvalidParameter(f"template: :{text.count(chr(10), 0, pos) + 1}: {msg}")


def _number_node(tok: Tok) -> Number:
    text = tok.val
    if tok.kind == "char":
        value = unquote(text)
        if len(value) != 1:
            raise ValueError(f"malformed character constant: {text}")
        return Number(tok.pos, text, ord(value), ord(value))
    clean = text.replace("_", "")
    body = clean.lstrip("+-")
    try:
        if len(body) > 1 and body[0] == "0" and body[1:].isdigit():
            as_int: int | None = int(clean[: len(clean) - len(body)] + "0o" + body[1:], 0)
        else:
            as_int = int(clean, 0)
        return Number(tok.pos, text, as_int, as_int)
    except ValueError:
        pass
    try:
        f = float.fromhex(clean) if body[:2] in ("0x", "0X") else float(clean)
    except ValueError:
        raise ValueError(f'bad number syntax: "{text}"') from None
    if f != f or f in (float("inf"), float("-inf")):
        raise ValueError(f'bad number syntax: "{text}"')
    return Number(tok.pos, text, f, int(f) if f.is_integer() else None)


# ---- parser ---------------------------------------------------------------

class _Parser:
    def __init__(self, text: str, funcs: Container[str]) -> None:
        self.text = text
        self.funcs = funcs
        self.toks = Lexer(text).run()
        self.i = 0
        self.vars = ["$"]
        self.range_depth = 0

    def error(self, msg: str, pos: int | None = None) -> InvalidParameter:
        if pos is None:
            pos = self.toks[max(self.i - 1, 0)].pos
        return _syntax_error(self.text, pos, msg)

    def peek(self) -> Tok:
        tok = self.toks[self.i]
        if tok.kind == "error":
            raise self.error(tok.val, tok.pos)
        return tok

    def next(self) -> Tok:
        tok = self.peek()
        if tok.kind != "eof":
            self.i += 1
        return tok

    def skip_space(self) -> None:
        while self.toks[self.i].kind == "space":
            self.i += 1

    def peek_ns(self) -> Tok:
        self.skip_space()
        return self.peek()

    def next_ns(self) -> Tok:
        self.skip_space()
        return self.next()

    def unexpected(self, tok: Tok, context: str) -> InvalidParameter:
        if tok.kind == "eof":
            desc = "EOF"
        elif tok.kind == "kw":
            desc = f"<{tok.val}>"
        elif len(tok.val) > 10:
            desc = go_quote(tok.val[:10]) + "..."
        else:
            desc = go_quote(tok.val)
        return self.error(f"unexpected {desc} in {context}", tok.pos)

    def expect(self, kind: str, context: str) -> Tok:
        tok = self.next_ns()
        if tok.kind != kind:
            raise self.unexpected(tok, context)
        return tok

    def parse(self) -> tuple[Node, ...]:
        nodes: list[Any] = []
        while self.peek().kind != "eof":
            node = self.text_or_action()
            if isinstance(node, (_End, _Else)):
                raise self.error(f"unexpected {node}")
            nodes.append(node)
        return tuple(nodes)

    def text_or_action(self) -> Any:
        tok = self.next_ns()
        if tok.kind == "text":
            return Text(tok.val)
        if tok.kind == "left":
            return self.action()
        raise self.unexpected(tok, "input")

    def item_list(self) -> tuple[tuple[Any, ...], Any]:
        nodes: list[Any] = []
        while self.peek_ns().kind != "eof":
            node = self.text_or_action()
            if isinstance(node, (_End, _Else)):
                return tuple(nodes), node
            nodes.append(node)
        raise self.error("unexpected EOF")

    def action(self) -> Any:
        tok = self.next_ns()
        if tok.kind == "kw":
            if tok.val in ("break", "continue"):
                end = self.next_ns()
                if end.kind != "right":
                    raise self.unexpected(end, f"{{{{{tok.val}}}}}")
                if not self.range_depth:
                    raise self.error(f"{{{{{tok.val}}}}} outside {{{{range}}}}")
                return Break(tok.pos) if tok.val == "break" else Continue(tok.pos)
            if tok.val == "else":
                nxt = self.peek_ns()
                if not (nxt.kind == "kw" and nxt.val in ("if", "with")):
                    self.expect("right", "else")
                return _Else(tok.pos)
            if tok.val == "end":
                self.expect("right", "end")
                return _End(tok.pos)
            if tok.val in ("if", "with", "range"):
                return self.control(tok.val, tok.pos)
            raise self.error(f"{{{{{tok.val}}}}} is not supported", tok.pos)
        self.i -= 1
        return Action(tok.pos, self.pipeline("command", "right"))

    def control(self, kind: str, pos: int) -> Control:
        mark = len(self.vars)
        pipe = self.pipeline(kind, "right")
        self.range_depth += kind == "range"
        body, nxt = self.item_list()
        self.range_depth -= kind == "range"
        orelse: tuple[Any, ...] = ()
        if isinstance(nxt, _Else):
            follow = self.peek_ns()
            if follow.kind == "kw" and follow.val in ("if", "with"):
                if follow.val != kind:
                    raise self.unexpected(follow, f"{{{{{kind}}}}} else")
                self.next_ns()
                orelse = (self.control(kind, follow.pos),)
            else:
                orelse, end = self.item_list()
                if not isinstance(end, _End):
                    raise self.error(f"expected end; found {end}")
        del self.vars[mark:]
        return Control(kind, pos, pipe, body, orelse)

    def pipeline(self, context: str, end: str) -> Pipe:
        pos = self.peek_ns().pos
        decls: list[str] = []
        assign = False
        while self.peek_ns().kind == "var":
            save = self.i
            var = self.next_ns()
            nxt = self.peek_ns()
            if nxt.kind in (":=", "="):
                self.next_ns()
                assign = nxt.kind == "="
                if assign and var.val not in self.vars:
                    raise self.error(f'undefined variable "{var.val}"', var.pos)
                decls.append(var.val)
                self.vars.append(var.val)
                break
            if nxt.kind == ",":
                self.next_ns()
                decls.append(var.val)
                self.vars.append(var.val)
                if context == "range" and len(decls) < 2:
                    if self.peek_ns().kind in ("var", "right", ")"):
                        continue
                    raise self.error("range can only initialize variables")
                raise self.error(f"too many declarations in {context}")
            self.i = save
            break
        cmds: list[Command] = []
        piped = False
        while True:
            tok = self.next_ns()
            if tok.kind == end:
                if not cmds:
                    raise self.error(f"missing value for {context}")
                if piped:
                    raise self.error("missing command after |")
                for n, cmd in enumerate(cmds[1:], start=2):
                    if isinstance(cmd.args[0], (Bool, Dot, Nil, Number, String)):
                        raise self.error(f"non executable command in pipeline stage {n}")
                return Pipe(pos, tuple(decls), assign, tuple(cmds))
            if tok.kind not in _OPERAND_START:
                raise self.unexpected(tok, context)
            self.i -= 1
            cmd, piped = self.command()
            cmds.append(cmd)

    def command(self) -> tuple[Command, bool]:
        pos = self.peek_ns().pos
        args: list[Any] = []
        while True:
            self.skip_space()
            operand = self.operand()
            if operand is not None:
                args.append(operand)
            tok = self.next()
            if tok.kind == "space":
                continue
            if tok.kind in ("right", ")"):
                self.i -= 1
            elif tok.kind != "pipe":
                raise self.unexpected(tok, "operand")
            if not args:
                raise self.error("empty command")
            return Command(pos, tuple(args)), tok.kind == "pipe"

    def operand(self) -> Any:
        node = self.term()
        if node is None or self.peek().kind != "field":
            return node
        pos = self.peek().pos
        names: list[str] = []
        while self.peek().kind == "field":
            names.append(self.next().val[1:])
        if isinstance(node, Field):       # Go places a chained field or variable at its chain
            return Field(pos, node.names + tuple(names))
        if isinstance(node, Variable):
            return Variable(pos, node.name, node.names + tuple(names))
        if isinstance(node, (Bool, String, Number, Nil, Dot)):
            raise self.error(f"unexpected . after term {go_quote(str(node))}")
        return Chain(pos, node, tuple(names))

    def term(self) -> Any:
        tok = self.next_ns()
        kind = tok.kind
        if kind == "ident":
            if tok.val not in self.funcs:
                raise self.error(f'function "{tok.val}" not defined')
            return Ident(tok.pos, tok.val)
        if kind == "var":
            if tok.val not in self.vars:
                raise self.error(f'undefined variable "{tok.val}"')
            return Variable(tok.pos, tok.val, ())
        if kind == "(":
            return self.pipeline("parenthesized pipeline", ")")
        if kind == "dot":
            return Dot(tok.pos)
        if kind == "nil":
            return Nil(tok.pos)
        if kind == "field":
            return Field(tok.pos, (tok.val[1:],))
        if kind == "bool":
            return Bool(tok.pos, tok.val == "true")
        try:
            if kind in ("num", "char"):
                return _number_node(tok)
            if kind in ("str", "raw"):
                return String(tok.pos, tok.val, unquote(tok.val))
        except ValueError as e:
            raise self.error(str(e)) from None
        self.i -= 1
        return None


def parse_tree(text: str, funcs: Container[str]) -> tuple[Node, ...]:
    """Parses `text`; `funcs` holds the function names the template may call."""
    return _Parser(text, funcs).parse()
