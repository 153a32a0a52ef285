"""What the `timeline` command says when something goes wrong.

Two kinds of failure, told apart here so the command can treat them differently:

- expected ones (`UserError`, and the operating system's `OSError`s: a missing folder, a
  permission, a full disk) are the user's to fix, so they become one line that names the
  path or value and says what to do;
- anything else is a bug in this program: its traceback is saved to a file for a report
  (`save_crash_report`) rather than shown to someone who cannot act on it.
"""

from __future__ import annotations

import errno
import os
import platform
import re
import stat
import sys
import tempfile
import traceback
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path

DEBUG_ENV = "TIMELINE_DEBUG"
"""Set to 1 to see tracebacks (the same as `timeline --debug`)."""
STATE_ENV = "XDG_STATE_HOME"
INTERNAL_ERROR_EXIT = 70
"""Exit code of an internal error (EX_SOFTWARE); expected failures exit 1, bad flags 2."""


class UserError(Exception):
    """An expected failure the user can fix; the message names what and says what to do."""


class InputError(UserError):
    """A file given to a command cannot be read at all, as rows (`timeline append`) or as
    its format (`timeline import`), as opposed to rows with bad values: nothing is written."""


class Unreadable(Enum):
    """Why a path is not a file a command may read (`unreadable`)."""

    MISSING = "missing"
    UNDER_A_FILE = "a part of the path is a file"
    FOLDER = "a folder"
    SPECIAL = "a pipe or a device"
    DENIED = "permission denied"


def unreadable(path: Path) -> Unreadable | None:
    """Why `path` is not an existing regular file we may read, or None: the one check before
    a command reads a file, since a folder would misread, and a pipe or a device block or
    never end. Each caller words the answer for its file (a dataset, a file of rows); other
    OSErrors of `stat` (a link loop, an unreadable folder) are raised."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return Unreadable.MISSING
    except NotADirectoryError:
        return Unreadable.UNDER_A_FILE
    if stat.S_ISDIR(mode):
        return Unreadable.FOLDER
    if not stat.S_ISREG(mode):
        return Unreadable.SPECIAL
    if not os.access(path, os.R_OK):
        return Unreadable.DENIED
    return None


def debug_requested() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


# Temp files of the atomic writers: `.<name>.<pid>.<hex>.tmp`, `.<name>.<random>.tmp`.
_TEMP_NAME = re.compile(r"^\.(?P<name>.+?)\.(?:\d+\.)?[A-Za-z0-9_]+\.tmp$")

_HINTS = {
    errno.EACCES: "permission denied; check who may write there, or choose another path",
    errno.EPERM: "operation not permitted; check the file's permissions and attributes",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of this path is a file, not a folder",
    errno.EISDIR: "is a folder, not a file",
    errno.ENOSPC: "no space left on the device; free some space and run the command again",
    errno.EDQUOT: "disk quota exceeded; free some space and run the command again",
    errno.EROFS: "read-only file system; choose a path on a writable disk",
    errno.ELOOP: "too many levels of symbolic links (a link that points at itself?)",
    errno.ENAMETOOLONG: "file name too long",
    errno.EMFILE: "too many open files",
    errno.EIO: "input/output error from the disk; check the device",
}


def hint(err: OSError) -> str:
    """What went wrong and what to do, without the path."""
    return _HINTS.get(err.errno or -1) or (err.strerror or str(err) or type(err).__name__)


def describe_os_error(err: OSError) -> str:
    """One line for an OSError: the path it concerns (or the file being written, for a temp
    file beside it), what went wrong, and what to do."""
    what = hint(err)
    if err.filename is None:
        return what
    path = Path(os.fsdecode(err.filename))
    if err.errno == errno.EEXIST and path.is_file():
        return f"{path}: is a file, not a folder; choose another path"
    match = _TEMP_NAME.match(path.name)
    if match and err.errno in (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT):
        path = path.parent / match["name"]  # the file being written, not its temp file
        return f"cannot write {path}: {what}"
    return f"{path}: {what}"


def describe(err: BaseException) -> str | None:
    """The one line for an expected failure, or None when `err` is a bug."""
    if isinstance(err, UserError):
        return str(err)
    if isinstance(err, OSError):
        return describe_os_error(err)
    if isinstance(err, MemoryError):
        return "out of memory; try a smaller input, or a machine with more memory"
    return None


def crash_folder() -> Path:
    """Where internal-error reports go: $XDG_STATE_HOME/timeline, else the temp folder."""
    state = os.environ.get(STATE_ENV)
    return Path(state) / "timeline" if state else Path(tempfile.gettempdir()) / "timeline-errors"


def save_crash_report(err: BaseException, command: str = "") -> Path | None:
    """Write the traceback and what was run to a new file; None if it cannot be written."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = "".join(
        [
            f"timeline internal error at {stamp}\n",
            f"command: {command or ' '.join(sys.argv)}\n",
            f"python {platform.python_version()} on {platform.platform()}\n\n",
            *traceback.format_exception(err),
        ]
    )
    try:
        folder = crash_folder()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"crash-{stamp}-{os.getpid()}.txt"
        path.write_text(text, encoding="utf-8")
    except OSError:
        return None
    return path
