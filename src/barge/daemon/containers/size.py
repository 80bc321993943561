"""Container sizes for `ps -s` and `inspect -s`: the writable layer, and it plus the image."""
from __future__ import annotations

import os
import stat

from barge.daemon.container import Container


def tree_size(root: str) -> int:
    """Bytes of regular files under `root` (overlay whiteouts count nothing)."""
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except FileNotFoundError:
                continue
            if stat.S_ISREG(st.st_mode):
                total += st.st_size
    return total


def sizes(c: Container, image_size: int) -> dict:
    rw = tree_size(c.path("upper"))
    return {"SizeRw": rw, "SizeRootFs": rw + image_size}
