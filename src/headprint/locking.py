"""One writer per output folder: an exclusive lock held while a run writes the folder.

Two runs into the same ``--out`` would otherwise mix their shards and replace each other's
artifact. :func:`output_lock` takes an operating-system lock (``filelock``: ``flock`` on
POSIX, released by the kernel when the process dies, so a killed run never leaves a stale
lock) on ``<folder>/.headprint-write.lock``, and records who holds it in
``<folder>/.headprint-write.holder`` so that a second run can say which process it waits for.

The lock file itself stays after release: deleting it would let a process that opened the
old file before the deletion and one that creates a new file both believe they hold the lock.

Locks have names: ``name="write"`` (the default, every stage writing an ``--out``) uses the
files above; the experiment steps lock their folders with ``name="step"``
(``.headprint-step.lock``), since a pattern run inside a step folder takes both, and two
locks on one file would refuse each other even within one process.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import os
import socket
import sys
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from headprint.errors import HeadprintError
from headprint.io import atomic_write_text

__all__ = ["OutputBusyError", "output_lock", "check_output_folder", "lock_files",
           "LOCK_FILE", "HOLDER_FILE"]


def lock_files(name: str = "write") -> tuple[str, str]:
    """``(lock file, holder file)`` names of the lock called ``name``."""
    return f".headprint-{name}.lock", f".headprint-{name}.holder"


LOCK_FILE, HOLDER_FILE = lock_files("write")


class OutputBusyError(HeadprintError, RuntimeError):
    """Another live process holds the folder's lock.

    Attributes:
        folder: the locked folder. holder: who holds it (process, host, start, command).
    """

    def __init__(self, message: str, folder: Path | None = None, holder: str = "") -> None:
        super().__init__(message)
        self.folder, self.holder = folder, holder


def _holder_text() -> str:
    started = _dt.datetime.now().astimezone().isoformat(timespec="seconds")
    command = " ".join(["headprint", *sys.argv[1:]]) if sys.argv else "?"
    return f"process {os.getpid()} on {socket.gethostname()} since {started} ({command})"


def _read_holder(folder: Path, holder_file: str = HOLDER_FILE) -> str:
    try:
        return (folder / holder_file).read_text(encoding="utf-8").strip() or "unknown process"
    except OSError:  # the holder is between taking the lock and writing its name
        return "a process that has not named itself yet"


def check_output_folder(folder: str | Path) -> Path:
    """``folder`` as a Path, if it can be an output folder (absent, or a writable folder).

    Checked before anything slow (loading a model), so a wrong ``--out`` fails at once.

    Raises:
        NotADirectoryError: ``folder`` (or a parent of it) is a file.
        PermissionError: the nearest existing folder on the way is not writable.
    """
    folder = Path(folder)
    for path in (folder, *folder.parents):
        if path.exists():
            if not path.is_dir():
                raise NotADirectoryError(20, "exists and is not a folder; choose another "
                                         "output folder", str(path))
            if not os.access(path, os.W_OK | os.X_OK):
                raise PermissionError(13, "Permission denied (not writable)", str(path))
            break
    return folder


@contextlib.contextmanager
def output_lock(folder: str | Path, *, name: str = "write") -> Iterator[Path]:
    """Create ``folder`` if needed and hold its lock ``name`` for the ``with`` block.

    Never waits: a run that finds the folder taken stops at once, since waiting would only
    let it write after the other run finished (and then refuse or replace its result).

    Raises:
        OutputBusyError: another process holds the lock (the message names the holder).
        PermissionError, NotADirectoryError: the folder cannot be created or written.
    """
    folder = check_output_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock_file, holder_file = lock_files(name)
    lock = FileLock(str(folder / lock_file), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        holder = _read_holder(folder, holder_file)
        raise OutputBusyError(
            f"{folder} is being written by another headprint run ({holder}); "
            "wait for it to finish or choose another --out", folder, holder) from None
    try:
        atomic_write_text(folder / holder_file, _holder_text() + "\n")
        yield folder
    finally:
        with contextlib.suppress(OSError):
            (folder / holder_file).unlink()
        lock.release()
