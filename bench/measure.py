"""Wall time and peak memory of one step, run as its own process so every figure is measured the same way."""
from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

PROJECT_ROOT = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.05


@dataclass
class Measurement:
    """One timed run of a command: seconds, peak resident memory of its whole process tree, exit code."""

    name: str
    seconds: float
    peak_rss_bytes: int
    exit_code: int
    stdout_tail: str = ""
    stderr_tail: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class StepFailed(RuntimeError):
    """A benchmarked command exited non-zero: the figure would be meaningless."""


def _tree_rss(process: psutil.Process) -> int:
    """Resident memory of a process and all its children (dbt runs in a subprocess of the refresh)."""
    total = 0
    try:
        procs = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def bench_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a benchmarked process: project on the path, pinned 'today', no telemetry."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("WAREHOUSE_AS_OF_DATE", "2026-11-26")
    env.setdefault("WAREHOUSE_INGEST_SETTLE_SECONDS", "0")  # the bench wrote the landing files itself: complete
    env.update({"GX_ANALYTICS_ENABLED": "false", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"})
    env.update(extra or {})
    return env


def run_measured(name: str, command: list[str], env: dict[str, str] | None = None,
                 cwd: Path | None = None, check: bool = True) -> Measurement:
    """Run a command, sampling the RSS of its process tree every 50 ms; raise StepFailed if it fails."""
    started = time.perf_counter()
    proc = subprocess.Popen(command, env=env or bench_env(), cwd=cwd or PROJECT_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    handle = psutil.Process(proc.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(handle))
            time.sleep(POLL_SECONDS)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    result = Measurement(name, round(seconds, 3), peak, proc.returncode, stdout, stderr[-4000:])
    if check and proc.returncode != 0:
        raise StepFailed(f"benchmark step {name!r} failed with exit code {proc.returncode}: "
                         f"{' '.join(command)}\n--- stderr (tail) ---\n{stderr[-3000:]}\n--- stdout (tail) ---\n"
                         f"{stdout[-1500:]}")
    return result


def python_command(module: str, *args: str) -> list[str]:
    """`python -m module args` with the interpreter running the benchmark (the project venv)."""
    return [sys.executable, "-m", module, *args]


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 20 runs is the 19th smallest)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-pct * len(ordered) // 100))))
    return float(ordered[rank - 1])


def machine_description() -> dict[str, object]:
    """What the figures were measured on: CPU, cores, memory, OS, library versions."""
    import duckdb
    import pandas
    import polars

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "logical_cores": psutil.cpu_count(logical=True),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": polars.__version__,
        "pandas": pandas.__version__,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }
