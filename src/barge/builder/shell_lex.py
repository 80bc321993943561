"""Docker's word processing for Dockerfiles: quotes, escapes and `$VAR`
substitution (the model is BuildKit's `frontend/dockerfile/shell/lex.go`).

`Lexer.process_word` gives one word (ENV values, COPY paths, WORKDIR, ...);
`Lexer.process_words` splits the result into words the way EXPOSE does.
`parse_words` and `split_name_values` are the parser-level splitters of
ENV/LABEL/ARG lines: they keep quotes, which expansion removes later.

Pure: no I/O, no module-level mutable state.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from barge.errdefs import InvalidParameter
from barge.spec.gostrconv import go_quote

_EOF = ""
_SPECIAL_PARAMS = "@*#?-$!0"
_PATTERN_SPECIALS = "[]{}.+()|^$"


def is_space(ch: str) -> bool:
    """Go's unicode.IsSpace (Python's isspace also counts \\x1c-\\x1f)."""
    return ch.isspace() and ch not in "\x1c\x1d\x1e\x1f"


def go_trim_space(s: str) -> str:
    """Go's strings.TrimSpace."""
    start, end = 0, len(s)
    while start < end and is_space(s[start]):
        start += 1
    while end > start and is_space(s[end - 1]):
        end -= 1
    return s[start:end]


def go_trim_left_space(s: str) -> str:
    """Go's strings.TrimLeftFunc(s, unicode.IsSpace)."""
    start = 0
    while start < len(s) and is_space(s[start]):
        start += 1
    return s[start:]


def _is_digit(ch: str) -> bool:
    return unicodedata.category(ch) == "Nd"


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")


class _LexError(Exception):
    """A substitution error, before it is wrapped with the word."""


@dataclass
class Expansion:
    """The result of processing one word."""
    result: str
    words: list[str]
    matched: set[str] = field(default_factory=set)
    unmatched: set[str] = field(default_factory=set)


class Lexer:
    """Docker's shell-like word processor.

    escape: the Dockerfile's escape character (`\\` or a backtick).
    raw_quotes / raw_escapes: keep quote / escape characters in the result.
    skip_process_quotes: treat quotes as ordinary characters.
    skip_unset_env: leave references to unset variables as written.
    """

    def __init__(self, escape: str = "\\", *, raw_quotes: bool = False,
                 raw_escapes: bool = False, skip_process_quotes: bool = False,
                 skip_unset_env: bool = False) -> None:
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.skip_process_quotes = skip_process_quotes
        self.skip_unset_env = skip_unset_env

    def process_word(self, word: str, env: dict[str, str]) -> str:
        """Expand one word: quotes removed, escapes handled, `$VAR` replaced."""
        return self.process(word, env).result

    def process_words(self, word: str, env: dict[str, str]) -> list[str]:
        """Expand, then split into words (unquoted whitespace separates)."""
        return self.process(word, env).words

    def process(self, word: str, env: dict[str, str]) -> Expansion:
        """Expand `word`, returning the result, its words and the variables
        it referred to (set and unset)."""
        state = _Word(self, word, env)
        try:
            result, words = state.stop_on(_EOF, self.raw_escapes)
        except _LexError as err:
            raise InvalidParameter(f"failed to process {go_quote(word)}: {err}") from None
        return Expansion(result, words, state.matched, state.unmatched)


class _Words:
    """Splits processed text into words as it is produced."""

    def __init__(self) -> None:
        self.word = ""
        self.words: list[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if is_space(ch):
            if self.in_word and self.word:
                self.words.append(self.word)
                self.word, self.in_word = "", False
            return
        self.add_raw(ch)

    def add_raw(self, text: str) -> None:
        self.word += text
        self.in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def get(self) -> list[str]:
        if self.word:
            self.words.append(self.word)
            self.word, self.in_word = "", False
        return self.words


class _Word:
    """The scanning state of one `process` call."""

    def __init__(self, lex: Lexer, text: str, env: dict[str, str]) -> None:
        self.lex = lex
        self.text = text
        self.pos = 0
        self.env = env
        self.raw_escapes = lex.raw_escapes
        self.matched: set[str] = set()
        self.unmatched: set[str] = set()

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else _EOF

    def next(self) -> str:
        ch = self.peek()
        if ch:
            self.pos += 1
        return ch

    def get_env(self, name: str) -> tuple[str, bool]:
        if name in self.env:
            self.matched.add(name)
            return self.env[name], True
        self.unmatched.add(name)
        return "", False

    def stop_on(self, stop: str, raw_escapes: bool) -> tuple[str, list[str]]:
        """Process up to `stop` (consumed) or the end when stop is EOF."""
        saved, self.raw_escapes = self.raw_escapes, raw_escapes
        try:
            return self._stop_on(stop)
        finally:
            self.raw_escapes = saved

    def _stop_on(self, stop: str) -> tuple[str, list[str]]:
        out: list[str] = []
        words = _Words()
        quotes = "" if self.lex.skip_process_quotes else "'\""
        while (ch := self.peek()) != _EOF:
            if stop and ch == stop:
                self.next()
                return "".join(out), words.get()
            if ch == "$":
                value = self.dollar()
                out.append(value)
                words.add_string(value)
            elif ch in quotes:
                value = self.single_quote() if ch == "'" else self.double_quote()
                out.append(value)
                words.add_raw(value)
            elif not self._plain_char(out, words):
                break
        if stop:
            raise _LexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(out), words.get()

    def _plain_char(self, out: list[str], words: _Words) -> bool:
        """Consume one ordinary or escaped character; False at a trailing escape."""
        ch = self.next()
        if ch != self.lex.escape:
            words.add_char(ch)
            out.append(ch)
            return True
        if self.raw_escapes:
            words.add_raw(ch)
            out.append(ch)
        ch = self.next()
        if ch == _EOF:
            return False
        words.add_raw(ch)
        out.append(ch)
        return True

    def single_quote(self) -> str:
        # Everything up to the next ' is literal; ' cannot be escaped inside.
        out = []
        ch = self.next()
        if self.lex.raw_quotes:
            out.append(ch)
        while True:
            ch = self.next()
            if ch == _EOF:
                raise _LexError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.lex.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def double_quote(self) -> str:
        # Literal except $ and the escape, which only escapes " $ and itself.
        out = []
        ch = self.next()
        if self.lex.raw_quotes:
            out.append(ch)
        while True:
            peek = self.peek()
            if peek == _EOF:
                raise _LexError("unexpected end of statement while looking for matching double-quote")
            if peek == '"':
                ch = self.next()
                if self.lex.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if peek == "$":
                out.append(self.dollar())
                continue
            ch = self.next()
            if ch == self.lex.escape:
                if self.raw_escapes:
                    out.append(ch)
                if self.peek() == _EOF:
                    continue
                if self.peek() in ('"', "$", self.lex.escape):
                    ch = self.next()
            out.append(ch)

    def name(self) -> str:
        """A variable name: letters, digits and _, all digits, or one special."""
        out: list[str] = []
        while (ch := self.peek()) != _EOF:
            if not out and _is_digit(ch):
                while self.peek() != _EOF and _is_digit(self.peek()):
                    out.append(self.next())
                return "".join(out)
            if not out and ch in _SPECIAL_PARAMS:
                return self.next()
            if not (_is_letter(ch) or _is_digit(ch) or ch == "_"):
                break
            out.append(self.next())
        return "".join(out)

    def dollar(self) -> str:
        self.next()
        if self.peek() != "{":
            name = self.name()
            if not name:
                return "$"
            value, found = self.get_env(name)
            if not found and self.lex.skip_unset_env:
                return "$" + name
            return value
        self.next()
        peek = self.peek()
        if peek == _EOF:
            raise _LexError("syntax error: missing '}'")
        if peek in "{}:":
            raise _LexError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            value, found = self.get_env(name)
            if not found and self.lex.skip_unset_env:
                return "${" + name + "}"
            return value
        if ch == _EOF:
            raise _LexError("syntax error: missing '}'")
        if ch == "/":
            return self.replace(name)
        if ch == ":":
            ch2 = self.next()
            return self.modifier(name, ch2 or "\ufffd", ":" + (ch2 or "\ufffd"), True)
        if ch in "+-?#%":
            return self.modifier(name, ch, ch, False)
        raise _LexError(f"unsupported modifier ({ch}) in substitution")

    def _word_until_brace(self, raw_escapes: bool) -> str:
        try:
            word, _ = self.stop_on("}", raw_escapes)
        except _LexError:
            if self.peek() == _EOF:
                raise _LexError("syntax error: missing '}'") from None
            raise
        return word

    def modifier(self, name: str, op: str, text: str, null_is_unset: bool) -> str:
        """${name<op>word} and ${name:<op>word}."""
        word = self._word_until_brace(op in "#%")
        value, is_set = self.get_env(name)
        if self.lex.skip_unset_env and not is_set:
            return "${" + name + text + word + "}"
        unset = not is_set or (null_is_unset and value == "")
        if op == "-":
            return word if unset else value
        if op == "+":
            return "" if unset else word
        if op == "?":
            return _required(name, value, is_set, null_is_unset, word)
        if op in "#%":
            greedy = word[:1] == op
            if greedy:
                word = word[1:]
            if op == "%":
                return _trim_suffix(word, value, greedy)
            return _trim_prefix(word, value, greedy)
        raise _LexError(f"unsupported modifier ({text}) in substitution")

    def replace(self, name: str) -> str:
        """${name/pattern/replacement} and ${name//pattern/replacement}."""
        replace_all = self.peek() == "/"
        if replace_all:
            self.next()
        try:
            pattern, _ = self.stop_on("/", True)
        except _LexError:
            if self.peek() == _EOF:
                raise _LexError("syntax error: missing '/' in ${}") from None
            raise
        replacement = self._word_until_brace(True)
        value, is_set = self.get_env(name)
        if self.lex.skip_unset_env and not is_set:
            return "${%s/%s/%s}" % (name, pattern, replacement)
        regex = _pattern_regex(pattern, greedy=True, anchored=False)
        if replace_all:
            return regex.sub(lambda m: _go_expand(replacement, m.group(0)), value)
        match = regex.search(value)
        if match is None:
            return value
        return value[:match.start()] + replacement + value[match.end():]


def _required(name: str, value: str, is_set: bool, null_is_unset: bool, word: str) -> str:
    if not is_set:
        raise _LexError(f"{name}: {word or 'is not allowed to be unset'}")
    if null_is_unset and value == "":
        raise _LexError(f"{name}: {word or 'is not allowed to be empty'}")
    return value


def _pattern_regex(pattern: str, greedy: bool, anchored: bool) -> re.Pattern[str]:
    """A shell pattern (`*`, `?`, backslash escapes) as a regex."""
    out = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            nxt = pattern[i] if i < len(pattern) else "\ufffd"
            if nxt in "}/":
                continue
            if nxt not in "*?\\":
                raise _LexError(f"invalid pattern ({pattern}) in substitution: "
                                f"invalid escape '\\{nxt}'")
            out.append(re.escape(nxt))
            i += 1
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out))


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    match = _pattern_regex(pattern, greedy, anchored=True).search(value)
    return value[match.end():] if match else value


def _reverse_pattern(pattern: str) -> str:
    """Reverse a pattern, keeping each escape before the character it escapes."""
    tokens = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i != len(pattern) - 1:
            tokens.append(pattern[i:i + 2])
            i += 2
        else:
            tokens.append(pattern[i])
            i += 1
    return "".join(reversed(tokens))


def _trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    # The shortest rightmost match is the leftmost match of the reversals.
    return _trim_prefix(_reverse_pattern(pattern), value[::-1], greedy)[::-1]


def _go_expand(template: str, whole: str) -> str:
    """Go's Regexp.Expand for a pattern without groups: `$$` is `$`, `$0`
    is the match, any other `$name` or `${name}` is empty."""
    out = []
    i = 0
    while i < len(template):
        ch = template[i]
        if ch != "$":
            out.append(ch)
            i += 1
            continue
        if template[i + 1:i + 2] == "$":
            out.append("$")
            i += 2
            continue
        ref = re.match(r"\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+)", template[i + 1:])
        if ref is None:
            out.append("$")
            i += 1
            continue
        name = ref.group(1) or ref.group(2)
        out.append(whole if name == "0" else "")
        i += 1 + ref.end()
    return "".join(out)


# ------------------------------------------------ parser-level word splitting

def parse_words(rest: str, escape: str = "\\") -> list[str]:
    """Split an ENV/LABEL/ARG line into words, keeping quotes and escapes
    (Docker's `parseWords`): whitespace outside quotes separates words."""
    words: list[str] = []
    word: list[str] = []
    quote = ""
    in_word = False
    i = 0
    while i < len(rest):
        ch = rest[i]
        i += 1
        if not in_word:
            if is_space(ch):
                continue
            in_word = True
        if quote:
            if ch == quote:
                quote = ""
            elif ch == escape and quote != "'":
                if i == len(rest):
                    continue
                word.append(ch)
                ch = rest[i]
                i += 1
            word.append(ch)
            continue
        if is_space(ch):
            words.append("".join(word))
            word, in_word = [], False
            continue
        if ch in "'\"":
            quote = ch
        elif ch == escape:
            if i == len(rest):
                continue
            word.append(ch)
            ch = rest[i]
            i += 1
        word.append(ch)
    if in_word and word:
        words.append("".join(word))
    return [w for w in words if w]


_TOKEN_WS = re.compile(r"[\t\v\f\r ]+")


def split_name_values(rest: str, key: str, escape: str = "\\") -> list[tuple[str, str]]:
    """ENV/LABEL arguments as (name, value) pairs, unexpanded (Docker's
    `parseNameVal`): `name value...` (legacy, one pair) or `n=v n2=v2 ...`."""
    words = parse_words(rest, escape)
    if not words:
        return []
    if "=" not in words[0]:
        parts = _TOKEN_WS.split(rest, maxsplit=1)
        if len(parts) < 2:
            raise InvalidParameter(f"{key} must have two arguments")
        return [(parts[0], parts[1])]
    pairs = []
    for word in words:
        if "=" not in word:
            raise InvalidParameter(f"Syntax error - can't find = in {go_quote(word)}. "
                                   "Must be of the form: name=value")
        name, value = word.split("=", 1)
        pairs.append((name, value))
    return pairs
