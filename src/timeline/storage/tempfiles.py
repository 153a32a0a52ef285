"""Temp files of the atomic writers: how they are named, and which ones are abandoned.

A write goes to `.<name>.<pid>.<hex>.tmp` beside the file and is renamed over it. A writer
killed before the rename leaves that temp file behind. Its name says which process made it,
so a later writer holding the dataset's lock can prove it abandoned (every writer of a
dataset holds the lock while its temp file exists, and that pid is gone) and remove it. (An
import into a new file, `spill`, fills its temp file before it takes the lock to rename it: a
live writer's file, which no one removes, and an abandoned one once that pid is gone.)
Names without a pid come from earlier versions and are only reported: nothing proves them
abandoned.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

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


def remove_abandoned(path: Path, keep: Path | None = None) -> list[str]:
    """Remove the provably abandoned temp files of `path` (the caller holds its lock) and say
    what was removed and what was left; `keep` is this process's own, still to be renamed."""
    notes = []
    for leftover in leftovers(path):
        if leftover.path == keep:
            continue
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


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable (best effort: some file systems refuse)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def temp_file_beside(path: Path) -> tuple[int, Path]:
    """A new, exclusively created temp file in `path`'s folder, to be renamed over `path`: an
    open descriptor and its path. It gets the mode `path` has, or, for a new file, the mode any
    ordinary file gets (0o666 less the umask, applied by the kernel), so a dataset written by
    one user stays readable by the app's user; `tempfile.mkstemp` would make it 0o600."""
    try:
        mode: int | None = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        mode = None
    for _ in range(100):
        tmp = temp_path(path)
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
        except FileExistsError:
            continue
        if mode is not None:
            os.fchmod(fd, mode)
        return fd, tmp
    raise FileExistsError(f"{path.parent}: no free temp file name for {path.name}")


BeforeReplace = Callable[[Path], None]
"""Called with the fsynced temp file of a new version, before it replaces the dataset: the
change log (`timeline.storage.history`) records the change there, so no version lacks its entry."""


def write_atomic(
    path: Path, write: Callable[[BinaryIO], object], *, before_replace: BeforeReplace | None = None
) -> None:
    """The one atomic write, behind every file this project writes whole (datasets, parts,
    manifests, the change log's rows, exports): `write` fills a temp file beside `path`
    (`temp_file_beside`), which is fsynced, handed to `before_replace`, renamed over `path`,
    and the folder fsynced. On any failure the temp file is removed and `path` is as it was."""
    fd, tmp = temp_file_beside(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    replace_atomic(tmp, path, before_replace=before_replace)


def replace_atomic(tmp: Path, path: Path, *, before_replace: BeforeReplace | None = None) -> None:
    """The second half of `write_atomic`, for a temp file filled piece by piece (an import
    written as it is read, `storage.spill`): `tmp` (from `temp_file_beside`, fsynced) is handed
    to `before_replace` and renamed over `path`, the folder fsynced; on any failure `tmp` is
    removed and `path` is as it was."""
    try:
        if before_replace is not None:
            before_replace(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)
