"""Run a model-written Python program in a separate, resource-limited process.

Contract: :func:`run_program` never executes the program in the calling process. It writes
the program to a fresh temporary folder and starts ``python -I`` (isolated mode: no user
site-packages, no ``PYTHON*`` variables, no current-folder imports) on a small launcher that
first lowers its own limits with ``resource.setrlimit`` (soft *and* hard, so the program
cannot raise them again) and then runs the program as ``__main__``:

- ``RLIMIT_AS``: address space of ``memory_mb`` MB, so unbounded allocation ends in
  ``MemoryError`` instead of exhausting the machine;
- ``RLIMIT_CPU``: ``timeout`` seconds of CPU (rounded up), the kernel stops a busy loop;
- ``RLIMIT_FSIZE``: files (stdout and stderr included) of at most 16 MB;
- ``RLIMIT_CORE``: no core dumps.

A wall-clock ``timeout`` also applies (a program that sleeps uses no CPU); on expiry the
program's whole process group is killed. The program passes when it exits with status 0
within the limits. Standard output and error go to files, so a program that prints forever
cannot fill the caller's memory either. Linux and macOS only (``resource``).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ExecResult", "run_program", "DEFAULT_TIMEOUT", "DEFAULT_MEMORY_MB"]

DEFAULT_TIMEOUT = 10.0
DEFAULT_MEMORY_MB = 1024
_OUTPUT_LIMIT = 16 * 1024 * 1024

_LAUNCHER = """
import resource, runpy, sys
memory, cpu, fsize = (int(v) for v in sys.argv[1:4])
for name, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu),
                    (resource.RLIMIT_FSIZE, fsize), (resource.RLIMIT_CORE, 0)):
    resource.setrlimit(name, (value, value))
path = sys.argv[4]
sys.argv = [path]
runpy.run_path(path, run_name="__main__")
"""


@dataclass
class ExecResult:
    """Outcome of one program.

    Attributes:
        passed: exit status 0 within the limits.
        status: ``"passed"``, ``"failed"`` (non-zero exit, e.g. a failed assert),
            ``"timeout"`` (wall clock or CPU limit), ``"memory"`` (``MemoryError``).
        returncode: the process's exit status (negative: killed by that signal).
        seconds: wall-clock time.
        stdout: the last ``keep_chars`` (default 2,000) characters of standard output.
        stderr: the last 2,000 characters of standard error.
    """

    passed: bool
    status: str
    returncode: int | None
    seconds: float
    stdout: str = ""
    stderr: str = ""


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - limit))
            return handle.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def run_program(program: str, timeout: float = DEFAULT_TIMEOUT,
                memory_mb: int = DEFAULT_MEMORY_MB, *, keep_chars: int = 2000) -> ExecResult:
    """Run ``program`` (Python source) in a limited subprocess; see the module docstring.

    ``keep_chars``: how much of the end of standard output to return (a caller that reads
    a program's whole output, such as a batch of results as JSON, raises it; the file
    limit of 16 MB still applies).
    """
    if timeout <= 0 or memory_mb <= 0:
        raise ValueError("timeout and memory_mb must be positive")
    with tempfile.TemporaryDirectory(prefix="headprint-exec-") as folder:
        work = Path(folder)
        source = work / "program.py"
        source.write_text(program, encoding="utf-8")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": folder,
               "TMPDIR": folder, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
               "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        args = [sys.executable, "-I", "-c", _LAUNCHER, str(memory_mb * 1024 * 1024),
                str(int(timeout) + 1), str(_OUTPUT_LIMIT), str(source)]
        started = time.perf_counter()
        with open(work / "stdout", "wb") as out, open(work / "stderr", "wb") as err:
            process = subprocess.Popen(args, cwd=folder, env=env, stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=err, start_new_session=True)
            try:
                returncode = process.wait(timeout=timeout)
                timed_out = False
            except subprocess.TimeoutExpired:
                _kill_group(process)
                returncode, timed_out = process.returncode, True
            else:
                _kill_group(process)  # children the program left behind
        seconds = time.perf_counter() - started
        stdout, stderr = _tail(work / "stdout", keep_chars), _tail(work / "stderr")
    cpu_killed = returncode in (-signal.SIGXCPU, -signal.SIGKILL)
    if timed_out or cpu_killed:
        status = "timeout"
    elif returncode != 0 and "MemoryError" in stderr:
        status = "memory"
    elif returncode != 0:
        status = "failed"
    else:
        status = "passed"
    return ExecResult(status == "passed", status, returncode, round(seconds, 3), stdout, stderr)
