"""Lexer for Go's text/template syntax: splits a template into the tokens
gotemplate_parse consumes, and unquotes Go string literals."""

from __future__ import annotations

from typing import NamedTuple

_SPACE = " \t\r\n"
_SPACE_CHARS = frozenset(_SPACE)
_PUNCT = {"=": "=", "|": "pipe", "(": "(", ")": ")", ",": ","}
_QUOTE_KINDS = {'"': ("str", "quoted string"), "`": ("raw", "raw quoted string"),
                "'": ("char", "character constant")}
_DEC_DIGITS = "0123456789_"
_RADIX_DIGITS = {"x": "0123456789abcdefABCDEF_", "o": "01234567_", "b": "01_"}
_TERMINATORS = ".,|:()"
_KEYWORDS = frozenset({"block", "break", "continue", "define", "else", "end", "if", "range",
                       "template", "with"})


class Tok(NamedTuple):
    kind: str
    val: str
    pos: int


class LexError(Exception):
    def __init__(self, msg: str, pos: int) -> None:
        super().__init__(msg)
        self.pos = pos


# ---- lexer ----------------------------------------------------------------

class Lexer:
    """Splits a template into tokens. A lexing error becomes an `error` token
    so the parser reports problems in source order, as Go's does."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[Tok] = []

    def run(self) -> list[Tok]:
        try:
            self._lex()
        except LexError as e:
            self.toks.append(Tok("error", str(e), e.pos))
        self.toks.append(Tok("eof", "", len(self.text)))
        return self.toks

    def _emit(self, kind: str, start: int, end: int) -> None:
        self.toks.append(Tok(kind, self.text[start:end], start))

    def _lex(self) -> None:
        text, pos = self.text, 0
        while True:
            start = text.find("{{", pos)
            if start < 0:
                if pos < len(text):
                    self._emit("text", pos, len(text))
                return
            trim = text.startswith("-", start + 2) and text[start + 3:start + 4] in _SPACE_CHARS
            chunk = text[pos:start].rstrip(_SPACE) if trim else text[pos:start]
            if chunk:
                self.toks.append(Tok("text", chunk, pos))
            pos, trim_after = self._action(start, start + (4 if trim else 2))
            if trim_after:
                while pos < len(text) and text[pos] in _SPACE:
                    pos += 1

    def _right_delim(self, pos: int) -> tuple[int, bool]:
        """End of the right delimiter at pos (or -1) and whether it trims."""
        text = self.text
        if text[pos:pos + 1] in _SPACE_CHARS and text.startswith("-}}", pos + 1):
            return pos + 4, True
        if text.startswith("}}", pos):
            return pos + 2, False
        return -1, False

    def _action(self, start: int, pos: int) -> tuple[int, bool]:
        text = self.text
        if text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            if end < 0:
                raise LexError("unclosed comment", start)
            after, trim = self._right_delim(end + 2)
            if after < 0:
                raise LexError("comment ends before closing delimiter", end)
            return after, trim
        self._emit("left", start, pos)
        depth = 0
        while True:
            after, trim = self._right_delim(pos)
            if after >= 0 and depth == 0:
                self._emit("right", pos, after)
                return after, trim
            if after >= 0 and depth:
                raise LexError("unclosed left paren", pos)
            if pos >= len(text):
                raise LexError("unclosed action", start)
            if text[pos] == "(":
                depth += 1
            elif text[pos] == ")":
                depth -= 1
                if depth < 0:
                    raise LexError("unexpected right paren", pos)
            pos = self._token(pos)

    def _token(self, pos: int) -> int:
        """Lexes one token inside an action; returns the position after it."""
        text, c = self.text, self.text[pos]
        nxt = text[pos + 1:pos + 2]
        if c in _SPACE:
            end = pos
            while end < len(text) and text[end] in _SPACE:
                end += 1
            if text.startswith("-}}", end):
                end -= 1  # that space belongs to the " -}}" delimiter
            self._emit("space", pos, end)
            return end
        if c == ":" and nxt == "=":
            self._emit(":=", pos, pos + 2)
            return pos + 2
        if c == ":":
            raise LexError("expected :=", pos)
        if c in _PUNCT:
            self._emit(_PUNCT[c], pos, pos + 1)
            return pos + 1
        if c in "\"'`":
            return self._quote(pos, c)
        if c == "$":
            return self._word(pos, pos + 1, "var")
        if c == "." and not nxt.isdigit():
            return self._word(pos, pos + 1, "field")
        if c in "+-." or c.isdigit():
            return self._number(pos)
        if c.isalpha() or c == "_":
            return self._word(pos, pos, "ident")
        if c.isascii() and c.isprintable():
            self._emit("other", pos, pos + 1)
            return pos + 1
        raise LexError(f"unrecognized character in action: U+{ord(c):04X} {c!r}", pos)

    def _at_terminator(self, pos: int) -> bool:
        c = self.text[pos:pos + 1]
        return c == "" or c in _SPACE_CHARS or c in _TERMINATORS or self.text.startswith("}}", pos)

    def _word(self, start: int, pos: int, kind: str) -> int:
        text = self.text
        while pos < len(text) and (text[pos].isalnum() or text[pos] == "_"):
            pos += 1
        if not self._at_terminator(pos):
            raise LexError(f"bad character U+{ord(text[pos]):04X} {text[pos]!r}", pos)
        word = text[start:pos]
        if kind == "field" and word == ".":
            kind = "dot"
        elif kind == "ident" and word in _KEYWORDS:
            kind = "kw"
        elif kind == "ident" and word in ("true", "false"):
            kind = "bool"
        elif kind == "ident" and word == "nil":
            kind = "nil"
        self._emit(kind, start, pos)
        return pos

    def _quote(self, start: int, q: str) -> int:
        text, pos = self.text, start + 1
        while True:
            c = text[pos:pos + 1]
            if c == q:
                self._emit(_QUOTE_KINDS[q][0], start, pos + 1)
                return pos + 1
            if c == "" or (c == "\n" and q != "`"):
                raise LexError(f"unterminated {_QUOTE_KINDS[q][1]}", start)
            pos += 2 if c == "\\" and q != "`" and text[pos + 1:pos + 2] not in ("", "\n") else 1

    def _number(self, start: int) -> int:
        """Go's scanNumber: accepts a superset; newNumber validates."""
        text, pos = self.text, start

        def run(chars: str, p: int) -> int:
            while p < len(text) and text[p] in chars:
                p += 1
            return p

        if text[pos] in "+-":
            pos += 1
        radix = text[pos + 1:pos + 2].lower() if text.startswith("0", pos) else ""
        if radix in _RADIX_DIGITS:
            pos += 2
        digits = _RADIX_DIGITS.get(radix, _DEC_DIGITS)
        pos = run(digits, pos)
        if text.startswith(".", pos):
            pos = run(digits, pos + 1)
        exp = "pP" if radix == "x" else "" if radix in ("o", "b") else "eE"
        if pos < len(text) and text[pos] in exp:
            pos += 1
            if text[pos:pos + 1] in ("+", "-"):
                pos += 1
            pos = run(_DEC_DIGITS, pos)
        if pos < len(text) and (text[pos].isalnum() or text[pos] == "_"):
            raise LexError(f'bad number syntax: "{text[start:pos + 1]}"', start)
        self._emit("num", start, pos)
        return pos


# ---- literals -------------------------------------------------------------

_HEX = "0123456789abcdefABCDEF"
_SIMPLE_ESC = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
               "\\": "\\"}


def unquote(tok: str) -> str:
    """Go's strconv.Unquote for "..." and `...` and '...' literals."""
    q, body = tok[0], tok[1:-1]
    if q == "`":
        return body.replace("\r", "")
    out: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1:i + 2]
        if e in _SIMPLE_ESC or e == q:
            out.append(_SIMPLE_ESC.get(e, e))
            i += 2
            continue
        if e and e in "xuU":
            size = {"x": 2, "u": 4, "U": 8}[e]
            digits, allowed, start = body[i + 2:i + 2 + size], _HEX, i + 2
        elif e and e in "01234567":
            size, digits, allowed, start = 3, body[i + 1:i + 4], "01234567", i + 1
        else:
            raise ValueError("invalid syntax")
        if len(digits) != size or any(d not in allowed for d in digits):
            raise ValueError("invalid syntax")
        code = int(digits, 16 if allowed is _HEX else 8)
        if code > 0x10FFFF:
            raise ValueError("invalid syntax")
        out.append(chr(code))
        i = start + size
    return "".join(out)
