"""Temp files of the atomic writers: how they are named, and which ones are abandoned.

A write goes to `.<name>.<pid>.<hex>.tmp` beside the file and is renamed over it. A writer
killed before the rename leaves that temp file behind. Its name says which process made it,
so a later writer holding the dataset's lock can prove it abandoned (every writer of a
dataset holds the lock while its temp file exists, and that pid is gone) and remove it.
Names without a pid come from earlier versions and are only reported: nothing proves them
abandoned.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from timeline.storage.locking import pid_running


def temp_path(path: Path) -> Path:
    """A fresh temp file name beside `path`, carrying this process's id."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


@dataclass(frozen=True)
class Leftover:
    """A temp file of a dataset (or of its `.bak`) found beside it."""

    path: Path
    pid: int | None
    """The process that made it; None for a name from an earlier version."""

    def abandoned(self) -> bool:
        """Provably abandoned, given that the caller holds the dataset's lock: its writer is
        gone (or is this process, which has no write in progress while it asks)."""
        return self.pid is not None and (self.pid == os.getpid() or not pid_running(self.pid))

    def describe(self) -> str:
        if self.pid is None:
            return f"{self.path} (an older temp file name: cannot tell whether a writer still uses it)"
        state = "no longer running" if not pid_running(self.pid) else "still running"
        return f"{self.path} (left by pid {self.pid}, {state})"


def leftovers(path: Path) -> list[Leftover]:
    """Temp files of `path` and of its backup `<name>.bak` in its folder, oldest name first."""
    name = re.escape(path.name)
    pattern = re.compile(
        rf"^\.{name}(?:\.bak)?\.(?:(?P<pid>\d+)\.(?P<hex>[0-9a-f]+)|[A-Za-z0-9_]{{8}})\.tmp$"
    )
    try:
        entries = sorted(os.listdir(path.parent))
    except OSError:
        return []
    found = []
    for entry in entries:
        match = pattern.match(entry)
        if match:
            pid = int(match["pid"]) if match["pid"] else None
            found.append(Leftover(path.parent / entry, pid))
    return found


def remove_abandoned(path: Path) -> list[str]:
    """Remove the provably abandoned temp files of `path` (the caller holds its lock) and say
    what was removed and what was left."""
    notes = []
    for leftover in leftovers(path):
        if leftover.abandoned():
            try:
                leftover.path.unlink()
            except FileNotFoundError:
                continue
            except OSError as err:
                notes.append(f"could not remove the abandoned temp file {leftover.path}: {err.strerror}")
                continue
            notes.append(
                f"removed the abandoned temp file {leftover.path} (left by pid {leftover.pid}, a killed writer)"
            )
        else:
            notes.append(
                f"left the temp file {leftover.describe()}; delete it if no timeline command is writing {path}"
            )
    return notes
