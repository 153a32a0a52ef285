"""The writers' lock on a dataset, and who holds it.

Every writer of a dataset file holds `<name>.lock` (filelock: `flock`, released by the
kernel when the process dies, so a killed writer never leaves the dataset locked). Right
after taking it, the holder writes `<name>.lock.holder`: pid, user, host, command and time.
A writer that gives up waiting can then say who it waited for and what to do, instead of
ending in filelock's `Timeout` traceback.
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import shlex
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from timeline.domain.errors import UserError

TIMEOUT_ENV = "TIMELINE_LOCK_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 120.0


class LockTimeout(UserError):
    """Another process held the dataset's lock for longer than this one would wait."""


def timeout_seconds() -> float:
    """$TIMELINE_LOCK_TIMEOUT (seconds; tests use 1), else 120."""
    raw = os.environ.get(TIMEOUT_ENV, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        value = float(raw)
    except ValueError:
        raise UserError(f"{TIMEOUT_ENV}={raw!r}: not a number of seconds") from None
    if not 0 <= value < 10**7:  # also refuses nan and inf
        raise UserError(f"{TIMEOUT_ENV}={raw!r}: give a number of seconds from 0 to 10000000")
    return value


def holder_path(lock: Path) -> Path:
    return lock.with_name(lock.name + ".holder")


@dataclass(frozen=True)
class Holder:
    """Who took the lock: recorded by the holder, read by a writer that waited in vain."""

    pid: int
    user: str
    host: str
    command: str
    since: str  # ISO 8601, UTC

    @classmethod
    def me(cls) -> Holder:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry, as in some containers
            user = f"uid {os.getuid()}"
        return cls(
            pid=os.getpid(),
            user=user,
            host=socket.gethostname(),
            command=shlex.join(["timeline", *sys.argv[1:]]) if sys.argv else "?",
            since=datetime.now(UTC).isoformat(timespec="seconds"),
        )

    def running(self) -> bool | None:
        """Whether the pid is alive (None when it ran on another host, where we cannot tell)."""
        if self.host != socket.gethostname():
            return None
        return pid_running(self.pid)


def pid_running(pid: int) -> bool:
    """Whether a process with this pid exists here and has not exited (a zombie has)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    except (OverflowError, ValueError):
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def read_holder(lock: Path) -> Holder | None:
    try:
        data = json.loads(holder_path(lock).read_text(encoding="utf-8"))
        return Holder(**{k: data[k] for k in Holder.__dataclass_fields__})
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_holder(lock: Path) -> None:
    with contextlib.suppress(OSError):  # only a courtesy to waiters; never a reason to fail
        holder_path(lock).write_text(json.dumps(Holder.me().__dict__), encoding="utf-8")


def _ago(since: str) -> str:
    try:
        seconds = (datetime.now(UTC) - datetime.fromisoformat(since)).total_seconds()
    except ValueError:
        return "?"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def timeout_message(what: Path, lock: Path, waited: float, holder: Holder | None) -> str:
    """Who holds the lock, how long we waited, and what to do."""
    head = f"{what}: gave up after waiting {waited:.0f} s for the writers' lock {lock}"
    longer = f"or set {TIMEOUT_ENV} to wait longer (seconds)"
    if holder is None:
        return (
            f"{head}, held by another process that did not say who it is. Wait for other timeline "
            f"commands to finish and run this again, {longer}. Nothing was written"
        )
    who = (
        f"pid {holder.pid} ({holder.user}@{holder.host}), running `{holder.command}` "
        f"since {holder.since} ({_ago(holder.since)} ago)"
    )
    if holder.running() is False:
        return (
            f"{head}. It was last taken by {who}, which is no longer running, yet another process "
            f"still holds it (see `fuser {lock}`). If no timeline command is running, delete {lock} "
            "and run this again. Nothing was written"
        )
    return f"{head}, held by {who}. Wait for it to finish and run this again, {longer}. Nothing was written"


@contextlib.contextmanager
def hold(lock: Path, what: Path, timeout: float | None = None) -> Iterator[None]:
    """Hold `lock` (for the file `what`), waiting up to `timeout` seconds (default
    `timeout_seconds()`); raises LockTimeout naming the holder when it does not come free."""
    import filelock  # a writer's library: the dashboard and the read-only commands never lock

    timeout = timeout_seconds() if timeout is None else timeout
    flock = filelock.FileLock(str(lock), timeout=timeout)
    started = time.monotonic()
    try:
        flock.acquire()
    except filelock.Timeout:
        raise LockTimeout(
            timeout_message(what, lock, time.monotonic() - started, read_holder(lock))
        ) from None
    try:
        _write_holder(lock)
        yield
    finally:
        with contextlib.suppress(OSError):
            holder_path(lock).unlink()
        flock.release()
