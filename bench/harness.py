"""Run one measurement in a child process, under a memory limit, and read its result.

Each child (``bench/variants.py``) loads the model itself, so its peak RSS is its own. The
parent watches the child's resident memory (``/proc/<pid>/status``) every 50 ms and kills it
above ``limit_gb``: an out-of-memory variant is reported as ``oom`` instead of taking the
machine (and the benchmark) down. A child killed by anything else, or failing, is reported
with its signal or exit code and the tail of its stderr.

The CPU is shared with whatever else runs on the machine; :func:`wait_for_quiet` holds a
measurement until the 1-minute load average drops below a threshold, and every result
records the load average before and after it, so a contaminated number can be recognised.
Children run with ``OMP_WAIT_POLICY=PASSIVE`` (unless set otherwise in the environment), so
their CPU seconds stay a measure of work under contention.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["run_child", "run_once", "wait_for_quiet", "wait_for_memory", "load_average"]

VARIANTS_SCRIPT = Path(__file__).resolve().parent / "variants.py"


def load_average() -> float:
    return os.getloadavg()[0]


def wait_for_quiet(threshold: float | None, max_wait: float = 900.0) -> float:
    """Sleep until the 1-minute load average is below ``threshold`` (or ``max_wait`` s)."""
    if threshold is None:
        return 0.0
    started = time.monotonic()
    while load_average() > threshold and time.monotonic() - started < max_wait:
        time.sleep(10)
    return time.monotonic() - started


def _rss_gb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 2**20
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0.0


def _available_gb() -> float:
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    return float("inf")


def wait_for_memory(need_gb: float, max_wait: float = 300.0) -> float:
    """Sleep until the machine has ``need_gb`` available (or ``max_wait`` s); seconds waited."""
    started = time.monotonic()
    while _available_gb() < need_gb and time.monotonic() - started < max_wait:
        time.sleep(10)
    return time.monotonic() - started


def run_child(args: list[str], limit_gb: float = 16.0, timeout: float = 3600.0,
              quiet: float | None = None, reserve_gb: float = 1.5,
              command: list[str] | None = None, need_gb: float = 0.0,
              retries: int = 1) -> dict:
    """:func:`run_once`, first waiting for ``need_gb`` of free memory; a child stopped
    because the *machine* ran out of memory (not over ``limit_gb``) is retried ``retries``
    times after waiting again."""
    for attempt in range(retries + 1):
        waited = wait_for_memory(min(need_gb, limit_gb))
        result = run_once(args, limit_gb, timeout, quiet, reserve_gb, command)
        result["waited_for_memory_s"] = round(waited, 1)
        if result.get("reason") != "machine" or attempt == retries:
            return result
    return result


def run_once(args: list[str], limit_gb: float = 16.0, timeout: float = 3600.0,
             quiet: float | None = None, reserve_gb: float = 1.5,
             command: list[str] | None = None) -> dict:
    """Run ``variants.py *args`` (or ``command``) and return its ``RESULT`` dictionary.

    Returned ``status``: ``ok``; ``oom`` (over ``limit_gb`` by the watchdog, or the
    machine's available memory fell under ``reserve_gb`` while the child grew — the machine
    is shared, so the child is stopped before the kernel's OOM killer picks a victim — or
    the child's own allocation failure); ``killed`` (a signal); ``timeout``; ``error``
    (non-zero exit, ``stderr`` tail attached).
    """
    waited = wait_for_quiet(quiet)
    # Passive OpenMP waiting: a thread that waits for its sibling sleeps instead of spinning,
    # so CPU seconds measure work even when other processes share the cores.
    env = dict(os.environ, OMP_WAIT_POLICY=os.environ.get("OMP_WAIT_POLICY", "PASSIVE"),
               TOKENIZERS_PARALLELISM="false", HF_HUB_OFFLINE="1")
    command = command or [sys.executable, str(VARIANTS_SCRIPT), *args]
    load_before = load_average()
    started = time.monotonic()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env)
    peak_seen, verdict, reason = 0.0, None, ""
    # Drain pipes in threads so a chatty child never blocks on a full pipe.
    import threading

    chunks = {"out": [], "err": []}
    readers = [threading.Thread(target=lambda s=stream, k=key: chunks[k].append(s.read()),
                                daemon=True)
               for stream, key in ((child.stdout, "out"), (child.stderr, "err"))]
    for reader in readers:
        reader.start()
    while child.poll() is None:
        rss = _rss_gb(child.pid)
        peak_seen = max(peak_seen, rss)
        if rss > limit_gb:
            verdict, reason = "oom", "limit"
            child.kill()
            break
        if rss > 1.0 and _available_gb() < reserve_gb:
            verdict, reason = "oom", "machine"  # the shared machine ran out first
            child.kill()
            break
        if time.monotonic() - started > timeout:
            verdict = "timeout"
            child.kill()
            break
        time.sleep(0.05)
    child.wait()
    for reader in readers:
        reader.join(timeout=10)
    stdout, stderr = "".join(chunks["out"]), "".join(chunks["err"])
    info = {"command": " ".join(["python", "bench/variants.py", *args]),
            "wall_seconds": round(time.monotonic() - started, 2),
            "load_before": round(load_before, 2), "load_after": round(load_average(), 2),
            "waited_for_quiet_s": round(waited, 1), "watchdog_peak_gb": round(peak_seen, 2)}
    if verdict == "oom":
        return {"status": "oom", "limit_gb": limit_gb, "reason": reason,
                "available_gb_at_kill": round(_available_gb(), 1), **info}
    if verdict == "timeout":
        return {"status": "timeout", "timeout_s": timeout, **info}
    for line in stdout.splitlines():
        if line.startswith("RESULT "):
            return {**json.loads(line[len("RESULT "):]), **info}
    if child.returncode < 0:
        name = signal.Signals(-child.returncode).name
        return {"status": "killed", "signal": name, **info,
                "stderr": stderr[-1500:]}
    return {"status": "error", "returncode": child.returncode, **info, "stderr": stderr[-1500:]}
