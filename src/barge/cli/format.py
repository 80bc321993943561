"""Docker's list output: `--format` templates, `table` headers, `-q`, and the
column alignment of Go's text/tabwriter as the Docker CLI configures it
(minwidth 10, padding 3, padded with spaces)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from collections import namedtuple

TYPE_CHECKING = False   # typing is slow to import; annotations only need it for checkers
if TYPE_CHECKING:
    from typing import Any

__all__ = ["HeaderContext", "display_width", "ellipsis", "prepare_format", "render",
           "tabwrite", "tabwrite_text"]

MIN_WIDTH = 10
PADDING = 3

_TERMINATORS = re.compile(r"([\t\v\n\f])")
# Invisible formatting characters go-runewidth counts as zero wide.
_ZERO_WIDTH_CF = frozenset(
    [0x061C, 0x00AD, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0xFEFF]
    + list(range(0x2028, 0x202F)) + list(range(0x2060, 0x2070)))


# ---- character widths -------------------------------------------------------

def _rune_width(c: str) -> int:
    """go-runewidth's RuneWidth, outside an East Asian locale."""
    o = ord(c)
    if o < 0x20 or 0x7F <= o <= 0x9F or o in _ZERO_WIDTH_CF:
        return 0
    if o < 0x300:
        return 1
    if unicodedata.category(c) in ("Mn", "Me"):
        return 0
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


def display_width(s: str) -> int:
    """Terminal columns `s` takes, as the Docker CLI's tabwriter counts them."""
    if s.isascii():
        return sum(1 for c in s if " " <= c < "\x7f")
    return sum(map(_rune_width, s))


def _ellipsis_width(c: str) -> int:
    # golang.org/x/text/width: only East Asian wide and fullwidth count double.
    return 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1


def ellipsis(s: str, max_width: int) -> str:
    """Docker's formatter.Ellipsis: cut `s` to `max_width` display columns,
    the last one an ellipsis (…)."""
    if max_width <= 0:
        return ""
    if max_width == 1:
        return s[:1]
    if s.isascii():
        return s if len(s) <= max_width else s[:max_width - 1] + "…"
    cumulative: list[int] = []
    total = 0
    for c in s:
        total += _ellipsis_width(c)
        cumulative.append(total)
    if total <= max_width:
        return s
    for i in range(len(cumulative) - 1):
        if cumulative[i] <= max_width - 1 < cumulative[i + 1]:
            return s[:i + 1] + "…"
    # The first character alone is too wide: Docker leaves the text as it is.
    return s


# ---- tabwriter ----------------------------------------------------------------

_Cell = namedtuple("_Cell", "text width")


def tabwrite(rows: Sequence[Sequence[str]]) -> str:
    """Aligns rows of cells as Docker's tables are: every cell but the last
    of a line is padded to its column's width (at least 10, widest cell + 3)."""
    return tabwrite_text("".join("\t".join(row) + "\n" for row in rows))


def tabwrite_text(text: str) -> str:
    """Go's text/tabwriter over a stream of tab-terminated cells: writes
    `text` and flushes. A line holding a single cell (or a form feed) ends a
    block of columns, as in Go."""
    out: list[str] = []
    lines: list[list[_Cell]] = [[]]
    parts = _TERMINATORS.split(text)
    for k in range(0, len(parts) - 1, 2):
        cell, sep = parts[k], parts[k + 1]
        lines[-1].append(_Cell(cell, display_width(cell)))
        if sep in "\n\f":
            ncells = len(lines[-1])
            lines.append([])
            if sep == "\f" or ncells == 1:
                _format(lines, [], 0, len(lines), out)
                lines = [[]]
    if parts[-1]:
        lines[-1].append(_Cell(parts[-1], display_width(parts[-1])))
    _format(lines, [], 0, len(lines), out)
    return "".join(out)


def _format(lines: list[list[_Cell]], widths: list[int], line0: int, line1: int,
            out: list[str]) -> None:
    """Go's Writer.format: find each block of lines sharing column
    len(widths), size it, and recurse for the columns to its right."""
    column = len(widths)
    this = line0
    while this < line1:
        if column >= len(lines[this]) - 1:
            this += 1
            continue
        _write_lines(lines, widths, line0, this, out)
        line0 = this
        width = MIN_WIDTH
        while this < line1 and column < len(lines[this]) - 1:
            width = max(width, lines[this][column].width + PADDING)
            this += 1
        widths.append(width)
        _format(lines, widths, line0, this, out)
        widths.pop()
        line0 = this
        # Go's loop steps past the line that ended the block; it has no cell
        # in this column, so skipping it changes nothing.
        this += 1
    _write_lines(lines, widths, line0, line1, out)


def _write_lines(lines: list[list[_Cell]], widths: list[int], line0: int, line1: int,
                 out: list[str]) -> None:
    for i in range(line0, line1):
        for j, cell in enumerate(lines[i]):
            out.append(cell.text)
            if j < len(widths):
                out.append(" " * (widths[j] - cell.width))
        if i + 1 < len(lines):
            out.append("\n")


# ---- templates ----------------------------------------------------------------

class HeaderContext:
    """What Docker executes a `table` template on to make the header line:
    `.Field` is the column title ("<no value>" when it has none), and
    `.Label "com.example.name"` is "name"."""

    __slots__ = ("_headers",)

    def __init__(self, headers: Mapping[str, str]) -> None:
        self._headers = headers

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        from barge.util.gotemplate_fmt import MISSING
        return self._headers.get(name, MISSING)

    def Label(self, name: str) -> str:  # noqa: N802 - Go template method name
        last = name.split(".")[-1]
        return last.replace("-", " ").replace("_", " ")


def _header_passthrough(value: Any, *_ignored: Any) -> str:
    # Docker's header functions take a string and return it unchanged, so a
    # header keeps its title through `{{json .Names}}` or `{{upper .Status}}`.
    if not isinstance(value, str):
        raise ValueError(f"wrong type for value; expected string; got {type(value).__name__}")
    return value


_HEADER_FUNCS = {name: _header_passthrough
                 for name in ("json", "split", "join", "title", "lower", "upper", "truncate")}


def prepare_format(fmt: str) -> tuple[bool, str]:
    """Docker's Context.preFormat: (is_table, template). `table` is dropped,
    spaces (only) trimmed, then the two-character `\\t` and `\\n` expanded."""
    is_table = fmt.startswith("table")
    if is_table:
        fmt = fmt[len("table"):]
    elif fmt == "json":
        fmt = "{{json .}}"
    fmt = fmt.strip(" ").replace("\\t", "\t").replace("\\n", "\n")
    return is_table, fmt


def render(rows: Sequence[object], fmt: str | None, default_table: str,
           headers: Mapping[str, str], quiet_field: str | None = None,
           quiet: bool = False) -> str:
    """Renders `rows` as `docker ps`/`images`/`history` print them.

    An empty `fmt` (or plain "table") means `default_table`; "json" means
    `{{json .}}`. A `table` format prints a header line, then one line per
    row, all aligned; any other format prints each row's text on its own line.
    `quiet` prints only `{{.ID}}` (or `{{.<quiet_field>}}`) per row.
    Template errors raise InvalidParameter("template parsing error: ...")."""
    from barge.errdefs import InvalidParameter
    from barge.util import gotemplate

    if quiet:
        fmt = "{{." + (quiet_field or "ID") + "}}"
    elif not fmt or fmt == "table":
        fmt = default_table
    is_table, body = prepare_format(fmt)
    try:
        template = gotemplate.parse(body)
        lines = [template.execute(row) + "\n" for row in rows]
    except InvalidParameter as e:
        raise InvalidParameter(f"template parsing error: {e}") from None
    if not is_table:
        return "".join(lines)
    return tabwrite_text(_header(body, headers) + "\n" + "".join(lines))


def _header(body: str, headers: Mapping[str, str]) -> str:
    from barge.errdefs import InvalidParameter
    from barge.util import gotemplate

    try:
        return gotemplate.parse(body, _HEADER_FUNCS).execute(HeaderContext(headers))
    except InvalidParameter as e:
        # Docker ignores a failing header and prints what was written before
        # the failure; an engine that records it offers it as `partial`.
        return str(getattr(e, "partial", ""))
