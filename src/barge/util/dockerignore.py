"""`.dockerignore` rules as Docker applies them (moby/patternmatcher and its
`ignorefile` reader), and the walk of a build context that skips what they
exclude.

Reading (`parse`): a line starting with `#` is a comment; lines are trimmed,
blank ones dropped; `!` makes an exception; each pattern is cleaned as a path
and loses one leading `/` (so `/a`, `./a` and `a/` are all `a`).

Matching (`Patterns.excluded`): a path is excluded when the last pattern that
matches it, or one of its parent directories, is not an exception. `*` and
`?` stay within one path component, `**` spans any number of them, `[a-z]`
and `[^a]` are classes, `\\` escapes. A bad pattern is "syntax error in
pattern" (some only when first used, as in Docker).

Walking (`walk_context`): what `docker build` puts in the context tar, in its
order (names sorted per directory, a directory before its contents). An
excluded directory is not entered unless an exception's text starts with its
path, which is how Docker decides ("!docs/README.md" re-enters "docs").
"""
from __future__ import annotations

import os
import posixpath
import re
import stat
TYPE_CHECKING = False   # typing is slow to import; annotations only need it for checkers
if TYPE_CHECKING:
    from typing import Callable, Iterator

from barge.errdefs import InvalidParameter

BAD_PATTERN = "syntax error in pattern"         # Go's filepath.ErrBadPattern
_GO_SPACE = " \t\n\v\f\r\x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
            "\u2028\u2029\u202f\u205f\u3000"     # Go's unicode.IsSpace, for strings.TrimSpace
_REGEX_ESCAPED = frozenset(".+()|{}$")          # regexp specials that mean nothing in a glob
# Escapes Go's regexp and Python's re read alike; any other `\letter` is a bad pattern.
_SAME_ESCAPES = frozenset("afnrtvdDsSwWbB")


def clean(path: str) -> str:
    """Go's path.Clean: "" and "a/.." are ".", no trailing or doubled "/"."""
    out = posixpath.normpath(path) if path else "."
    return "/" + out.lstrip("/") if out.startswith("//") else out


def _dir(path: str) -> str:
    """Go's filepath.Dir."""
    return clean(path[:path.rfind("/") + 1]) if "/" in path else "."


def read_lines(text: str) -> list[str]:
    """The patterns of a .dockerignore file, as moby's ignorefile.ReadAll reads them."""
    out = []
    for n, line in enumerate(text.split("\n")):
        if n == 0:
            line = line.removeprefix("\ufeff")
        line = line.removesuffix("\r")
        if line.startswith("#"):
            continue
        line = line.strip(_GO_SPACE)
        if not line:
            continue
        invert = line.startswith("!")
        if invert:
            line = line[1:].strip(_GO_SPACE)
        if line:
            line = clean(line)
            if len(line) > 1 and line.startswith("/"):
                line = line[1:]
        out.append("!" + line if invert else line)
    return out


def parse(text: str) -> Patterns:
    """A .dockerignore file's text as Patterns (InvalidParameter for a bad pattern)."""
    return Patterns(read_lines(text))


class _Pattern:
    """One cleaned pattern; compiled to a matcher on first use, as Docker does."""
    __slots__ = ("text", "exclusion", "ndirs", "_kind", "_regex")

    def __init__(self, text: str, exclusion: bool) -> None:
        self.text, self.exclusion = text, exclusion
        self.ndirs = len(text.split("/"))
        self._kind = ""
        self._regex: re.Pattern | None = None

    def match(self, path: str) -> bool:
        if not self._kind:
            self._kind, self._regex = _compile(self.text)
        if self._kind == "exact":
            return path == self.text
        if self._kind == "prefix":
            return path.startswith(self.text[:-2])
        if self._kind == "suffix":
            suffix = self.text[2:]
            return path.endswith(suffix) or (suffix.startswith("/") and path == suffix[1:])
        return self._regex.fullmatch(path) is not None


class Patterns:
    """Ordered exclude patterns ("!" marks an exception), as moby's PatternMatcher."""

    def __init__(self, lines: list[str]) -> None:
        self.patterns: list[_Pattern] = []
        for line in lines:
            line = line.strip(_GO_SPACE)
            if not line:
                continue
            line = clean(line)
            exclusion = line.startswith("!")
            if exclusion:
                if line == "!":
                    raise InvalidParameter('illegal exclusion pattern: "!"')
                line = line[1:]
            go_match(line, ".")              # syntax check, as patternmatcher.New does
            self.patterns.append(_Pattern(line, exclusion))
        self.exclusions = any(p.exclusion for p in self.patterns)

    @property
    def lines(self) -> list[str]:
        return [("!" if p.exclusion else "") + p.text for p in self.patterns]

    def excluded(self, relpath: str, is_dir: bool = False) -> bool:
        """Whether `relpath` (relative to the context root, cleaned here) is
        left out. Directories and files match alike (`is_dir` changes nothing
        in Docker's rules); the root never is."""
        path = clean(relpath).lstrip("/") or "."
        return path != "." and self.matches_or_parent_matches(path)

    def matches_or_parent_matches(self, path: str) -> bool:
        """moby's MatchesOrParentMatches on a path as given (not cleaned)."""
        return self._matches(path, _parent_prefixes(path), legacy=False)

    def legacy_matches(self, relpath: str) -> bool:
        """moby's deprecated Matches, which only tries the parent directory
        as deep as the pattern (docker's CLI still uses it to decide whether
        the Dockerfile and .dockerignore need "!" exceptions); a bad pattern is False."""
        path = clean(relpath)
        if path == ".":
            return False
        try:
            return self._matches(path, _parent_prefixes(path), legacy=True)
        except InvalidParameter:
            return False

    def _matches(self, path: str, parents: list[str], legacy: bool) -> bool:
        matched = False
        for p in self.patterns:
            if p.exclusion != matched:
                continue
            hit = p.match(path)
            if not hit and parents:
                hit = _parent_hit(p, parents, legacy)
            if hit:
                matched = not p.exclusion
        return matched

    def match_with_parents(self, path: str, parent: list[bool] | None) -> tuple[bool, list[bool]]:
        """moby's MatchesUsingParentResults: whether `path` is excluded, and
        which patterns matched it or a parent (for its children). `parent` is
        its directory's answer, None at the top (or when unknown)."""
        matched = False
        info = [False] * len(self.patterns)
        parents: list[str] | None = None
        for i, p in enumerate(self.patterns):
            hit = bool(parent and parent[i])
            if not hit:
                if p.exclusion != matched:
                    continue
                hit = p.match(path)
                if not hit and not parent:
                    if parents is None:
                        parents = _parent_prefixes(path)
                    hit = bool(parents) and _parent_hit(p, parents, legacy=False)
            info[i] = hit
            if hit:
                matched = not p.exclusion
        return matched, info

    def may_reenter(self, dirpath: str) -> bool:
        """Whether an excluded directory must still be walked: some exception's
        text starts with its path (Docker's own test, a plain prefix check)."""
        prefix = dirpath + "/"
        return self.exclusions and any(p.exclusion and (p.text + "/").startswith(prefix) for p in self.patterns)


def _parent_prefixes(path: str) -> list[str]:
    """ "a/b/c" -> ["a", "a/b"]: the directories above a path, outermost first."""
    parent = _dir(path)
    if parent == ".":
        return []
    dirs = parent.split("/")
    return ["/".join(dirs[:i + 1]) for i in range(len(dirs))]


def _parent_hit(p: _Pattern, parents: list[str], legacy: bool) -> bool:
    if legacy:
        return p.ndirs <= len(parents) and _quiet_match(p, parents[p.ndirs - 1])
    return any(_quiet_match(p, d) for d in parents)


def _quiet_match(p: _Pattern, path: str) -> bool:
    """A parent directory's match; Docker drops its errors."""
    try:
        return p.match(path)
    except InvalidParameter:
        return False


def _compile(pattern: str) -> tuple[str, re.Pattern | None]:
    """patternmatcher's compile: ("exact" | "prefix" | "suffix" | "regexp", regex)."""
    out: list[str] = []
    kind = "exact"
    i, n = 0, len(pattern)
    first = True
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*" and i < n and pattern[i] == "*":
            i += 1
            if i < n and pattern[i] == "/":
                i += 1
            if i >= n:
                if kind == "exact":
                    kind = "prefix"
                else:
                    out.append(".*")
                    kind = "regexp"
            else:
                out.append("(.*/)?")
                kind = "regexp"
            if first:
                kind = "suffix"
        elif ch == "*":
            out.append("[^/]*")
            kind = "regexp"
        elif ch == "?":
            out.append("[^/]")
            kind = "regexp"
        elif ch in _REGEX_ESCAPED:
            out.append("\\" + ch)
        elif ch == "\\":
            if i < n:
                nxt = pattern[i]
                i += 1
                if nxt.isalnum() and nxt not in _SAME_ESCAPES:
                    raise InvalidParameter(BAD_PATTERN)
                out.append("\\" + nxt)
                kind = "regexp"
            else:
                out.append("\\\\")
        elif ch in "[]":
            out.append(ch)
            kind = "regexp"
        else:
            out.append(ch)
        first = False
    if kind != "regexp":
        return kind, None
    import warnings
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")      # "possible nested set" for Go's literal "[" in a class
            return kind, re.compile("".join(out), re.ASCII)
    except re.error:
        raise InvalidParameter(BAD_PATTERN) from None


# ---- Go's filepath.Match (Docker checks each pattern with it) --------------

def go_match(pattern: str, name: str) -> bool:
    """Go's path.Match: `*`, `?`, `[...]`, `\\`; InvalidParameter for a bad pattern."""
    while pattern:
        star, chunk, pattern = _scan_chunk(pattern)
        if star and not chunk:
            return "/" not in name
        rest, ok = _match_chunk(chunk, name)
        if ok and (not rest or pattern):
            name = rest
            continue
        if star:
            found = False
            for i in range(len(name)):
                if name[i] == "/":
                    break
                rest, ok = _match_chunk(chunk, name[i + 1:])
                if ok:
                    if not pattern and rest:
                        continue
                    name, found = rest, True
                    break
            if found:
                continue
        while pattern:                       # a failed match still checks the rest's syntax
            _, chunk, pattern = _scan_chunk(pattern)
            _match_chunk(chunk, "")
        return False
    return not name


def _scan_chunk(pattern: str) -> tuple[bool, str, str]:
    star = False
    while pattern.startswith("*"):
        pattern, star = pattern[1:], True
    in_range = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 < len(pattern):
                i += 1
        elif c == "[":
            in_range = True
        elif c == "]":
            in_range = False
        elif c == "*" and not in_range:
            break
        i += 1
    return star, pattern[:i], pattern[i:]


def _match_chunk(chunk: str, s: str) -> tuple[str, bool]:
    failed = False
    while chunk:
        if not failed and not s:
            failed = True
        c = chunk[0]
        if c == "[":
            r = ""
            if not failed:
                r, s = s[0], s[1:]
            chunk = chunk[1:]
            negated = chunk.startswith("^")
            if negated:
                chunk = chunk[1:]
            match, nrange = False, 0
            while True:
                if chunk.startswith("]") and nrange > 0:
                    chunk = chunk[1:]
                    break
                lo, chunk = _get_esc(chunk)
                hi = lo
                if chunk[0] == "-":
                    hi, chunk = _get_esc(chunk[1:])
                if not failed and lo <= r <= hi:
                    match = True
                nrange += 1
            if match == negated:
                failed = True
        elif c == "?":
            if not failed:
                if s[0] == "/":
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
        else:
            if c == "\\":
                chunk = chunk[1:]
                if not chunk:
                    raise InvalidParameter(BAD_PATTERN)
            if not failed:
                if chunk[0] != s[0]:
                    failed = True
                s = s[1:]
            chunk = chunk[1:]
    return ("", False) if failed else (s, True)


def _get_esc(chunk: str) -> tuple[str, str]:
    if not chunk or chunk[0] in "-]":
        raise InvalidParameter(BAD_PATTERN)
    if chunk[0] == "\\":
        chunk = chunk[1:]
        if not chunk:
            raise InvalidParameter(BAD_PATTERN)
    r, chunk = chunk[0], chunk[1:]
    if not chunk:
        raise InvalidParameter(BAD_PATTERN)
    return r, chunk


# ---- the walk --------------------------------------------------------------

def walk_context(root: str, patterns: Patterns,
                 onerror: Callable[[str, str, OSError], None] | None = None,
                 ) -> Iterator[tuple[str, str, os.stat_result]]:
    """(relpath, abs path, lstat) of every entry of the context at `root`
    that is sent, as moby's TarWithOptions walks it: names sorted bytewise
    per directory, a directory before its contents, symlinks not followed.
    An entry that can't be read is passed to `onerror(relpath, path, error)`
    (which may raise) and otherwise skipped, as Docker skips it."""
    stack = [("", None, iter(_listing(root, ".", onerror)))]
    while stack:
        dir_rel, dir_info, names = stack[-1]
        name = next(names, None)
        if name is None:
            stack.pop()
            continue
        rel = f"{dir_rel}/{name}" if dir_rel else name
        path = os.path.join(root, rel)
        try:
            st = os.lstat(path)
        except OSError as e:
            if onerror is not None:
                onerror(rel, path, e)
            continue
        is_dir = stat.S_ISDIR(st.st_mode)
        skip, info = patterns.match_with_parents(rel, dir_info)
        if skip and not (is_dir and patterns.may_reenter(rel)):
            continue
        if not skip:
            yield rel, path, st
        if is_dir:
            stack.append((rel, info, iter(_listing(path, rel, onerror))))


def _listing(path: str, rel: str, onerror) -> list[str]:
    try:
        return sorted(os.listdir(path), key=os.fsencode)
    except OSError as e:
        if onerror is not None:
            onerror(rel, path, e)
        return []
