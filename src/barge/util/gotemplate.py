"""Go text/template for Docker's `--format` flag.

`render(fmt, data)` formats one value; for many rows, `parse(fmt)` once and
call `Template.execute(row)` per row. Errors are InvalidParameter with Go's
wording. `split_table` handles Docker's `table` prefix and `\\t`/`\\n`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from barge.util.gotemplate_exec import BUILTINS, Func, execute
from barge.util.gotemplate_parse import Node, parse_tree

__all__ = ["Template", "parse", "render", "split_table"]


class Template:
    """A parsed template; execute it once per row."""

    __slots__ = ("source", "_tree", "_funcs", "missing_key_error")

    def __init__(self, source: str, tree: tuple[Node, ...], funcs: Mapping[str, Func],
                 missing_key_error: bool = False) -> None:
        self.source = source
        self._tree = tree
        self._funcs = funcs
        self.missing_key_error = missing_key_error

    def execute(self, data: Any) -> str:
        return execute(self.source, self._tree, self._funcs, data, self.missing_key_error)

    def __repr__(self) -> str:
        return f"Template({self.source!r})"


def parse(template: str, funcs: Mapping[str, Callable[..., Any]] | None = None,
          missing_key_error: bool = False) -> Template:
    """Parses `template`. `funcs` adds or replaces functions (e.g. Docker's
    header functions for table headers); each receives the evaluated
    arguments positionally, None for nil or a missing key. With
    `missing_key_error` a missing map key fails, as `docker inspect` does."""
    table = dict(BUILTINS)
    for name, fn in (funcs or {}).items():
        table[name] = Func(fn, (), "any")
    return Template(template, parse_tree(template, table), table, missing_key_error)


def render(template: str, data: Any, funcs: Mapping[str, Callable[..., Any]] | None = None) -> str:
    """Parses and executes `template` against `data` in one go."""
    return parse(template, funcs).execute(data)


def split_table(fmt: str) -> tuple[bool, str]:
    """Docker's format preprocessing: `table ...` means "print a header row,
    then rows"; returns (is_table, template) with the literal two-character
    sequences \\t and \\n turned into a tab and a newline."""
    fmt = fmt.replace("\\t", "\t").replace("\\n", "\n")
    if fmt.startswith("table"):
        return True, fmt[len("table"):].lstrip()
    return False, fmt
