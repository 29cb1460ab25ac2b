"""Named kill points for the fault-injection tests (docs/fault_injection.md lists every point).

With `WAREHOUSE_KILL_AT=<name>` in the environment the process SIGKILLs itself the n-th time it reaches
that point (n = `WAREHOUSE_KILL_AFTER`, default 1), which is what a power cut or an OOM kill does. Without
the variable a kill point is one environment lookup. Tests only: nothing in production sets it.
"""
from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


def kill_point(name: str) -> None:
    """Die here, without cleanup, if the fault-injection tests asked for it."""
    target = os.environ.get("WAREHOUSE_KILL_AT")
    if not target or name not in target.split(","):
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(os.environ.get("WAREHOUSE_KILL_AFTER", "1")):
        os.kill(os.getpid(), signal.SIGKILL)
