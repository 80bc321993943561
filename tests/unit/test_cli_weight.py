"""`barge ps` starts fast: it never imports the daemon, asyncio or the HTTP server."""
from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from barge.cli.main import main
rc = main(["ps"])
heavy = [m for m in ("asyncio", "h11", "barge.daemon", "barge.api", "barge.store", "barge.oci",
                     "dataclasses", "typing", "rich") if m in sys.modules]
print(rc, ",".join(heavy))
"""


def test_ps_imports_nothing_heavy():
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                       env={"BARGE_HOST": "unix:///nonexistent/barge.sock", "PATH": "/usr/bin:/bin"})
    rc, heavy = r.stdout.strip().split(" ", 1) if " " in r.stdout.strip() else (r.stdout.strip(), "")
    assert rc == "1" and "Cannot connect" in r.stderr
    assert heavy == "", f"barge ps imported {heavy}"
