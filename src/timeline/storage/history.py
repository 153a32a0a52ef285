"""The change log: every write to a dataset, who made it, when, what changed and why.

The log is `<dataset>.changes.jsonl` beside the dataset's real file (a symlink's target), or
beside the folder of a partitioned dataset (`events/` -> `events.changes.jsonl`), one
JSON object per line, only ever appended to, under the dataset's writer lock. A change of one
event holds the values of the fields it changed, before and after (the whole row when the
event was added, retracted or restored). A change of many rows at once (an import, an append
of a file of rows) lists the ids it added and the fields it changed, and keeps the rows
themselves in `<dataset>.changes.d/<change_id>.parquet` (the rows written) and
`<change_id>.before.parquet` (the rows they replaced), which are written, fsynced and never
changed again before the line naming them is appended.

Crash safety: a writer, holding the lock, (1) writes the new version of the dataset to a temp
file and fsyncs it, (2) appends the log line, which records the SHA-256 of the dataset before
and of that temp file (`Dataset.digest`: a file's bytes; a folder's manifest, written after its
new parts, and whose rename is the folder's change), and fsyncs the log, (3) renames the temp file over the dataset. A
crash before (2) changes nothing; a crash between (2) and (3) leaves a line whose change the
dataset never got. The next writer finds that out before it writes (`prepare`): the dataset's
hash is the line's `dataset_before`, not its `dataset_after`, so it appends a `void` line
naming the change, and every reader leaves voided changes out. A dataset changed without the
log (copied over, `git checkout`, an older version of this program) matches neither hash and
gets an `external` line: the chain of versions is broken there, and the log says so. A line
torn by a crash while it was written is never a change (the dataset was not replaced yet):
readers skip it and the next writer starts a new line after it. docs/editing.md describes
the format for people.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import re
import shutil
import socket
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from timeline.domain.schema import ARROW_SCHEMA, COLUMNS
from timeline.domain.validation import CONTROL_MULTILINE, Problem
from timeline.storage import datasets, tempfiles
from timeline.storage.rules import Spilled
from timeline.storage.store import (
    file_digest as file_digest,  # the version the log names
    fsync_dir,
    write_atomic,
)

LOG_SUFFIX = ".changes.jsonl"
ROWS_SUFFIX = ".changes.d"
FORMAT_VERSION = 1
MAX_REASON = 1_000
"""The longest reason a change may give."""

ADD, CORRECT, RETRACT, RESTORE, REVERT = "add", "correct", "retract", "restore", "revert"
APPEND, IMPORT = "append", "import"
VOID, EXTERNAL = "void", "external"
INCIDENT_CONFIRM, INCIDENT_SPLIT, INCIDENT_MERGE = "incident-confirm", "incident-split", "incident-merge"
INCIDENT_ACTIONS = frozenset({INCIDENT_CONFIRM, INCIDENT_SPLIT, INCIDENT_MERGE})
"""Decisions on matched incidents (`matching/decisions.py`): logged, but change no event."""
MARKERS = frozenset({VOID, EXTERNAL})
"""Lines that record the state of the chain, not a change of any event."""

Values = dict[str, Any]
"""A row, or some of its fields, as JSON values: dates `YYYY-MM-DD`, `added_at` ISO 8601 UTC,
lists as lists, missing values as null."""


# --- who ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Who:
    """Who made a change: an editor signed in through the identity provider (`id` is the
    e-mail it vouched for), or a person at the command line (`id` the OS user)."""

    kind: str
    """`editor`, `cli` or `import`."""
    id: str
    name: str | None = None
    detail: str | None = None
    """The host of a CLI user; the format and file of an import."""

    def as_json(self) -> dict[str, str]:
        out = {"kind": self.kind, "id": self.id}
        if self.name:
            out["name"] = self.name
        if self.detail:
            out["detail"] = self.detail
        return out

    def describe(self) -> str:
        name = f" ({self.name})" if self.name else ""
        detail = f" [{self.detail}]" if self.detail else ""
        return f"{self.kind} {self.id}{name}{detail}"


def os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid {os.getuid()}"


def cli_user() -> Who:
    """The person running a `timeline` command: the OS user, on this host."""
    return Who("cli", os_user(), detail=socket.gethostname())


def import_user(source: str) -> Who:
    return Who("import", os_user(), detail=source)


# --- values ---------------------------------------------------------------------------------


def json_value(value: object) -> Any:
    """A value from Arrow's `to_pylist` as JSON: dates and times as ISO text, NaN as null."""
    if value is None:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.astimezone(UTC).isoformat(timespec="milliseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return value


def rows_of(table: pa.Table) -> list[Values]:
    """Every row of a table in the schema as JSON values, in schema column order."""
    return [{k: json_value(row[k]) for k in COLUMNS} for row in table.select(list(COLUMNS)).to_pylist()]


def version(values: Values) -> str:
    """A fingerprint of one event's values: what an editor saw when they opened it. A
    correction is saved only if the event still has this fingerprint."""
    text = json.dumps({k: values.get(k) for k in COLUMNS}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def display(value: Any) -> str:
    """A JSON value as one line of text for people (lists joined with '; ')."""
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return str(value)


# --- files ----------------------------------------------------------------------------------


def log_path(dataset: Path) -> Path:
    """The change log of a dataset (beside its real file: a symlink's target)."""
    real = Path(os.path.realpath(dataset))
    return real.with_name(real.name + LOG_SUFFIX)


def rows_folder(dataset: Path) -> Path:
    real = Path(os.path.realpath(dataset))
    return real.with_name(real.name + ROWS_SUFFIX)


def _mode_of(dataset: Path) -> int:
    """The log's mode: the dataset's, without execute bits (a folder of parts has them)."""
    try:
        return stat.S_IMODE(dataset.stat().st_mode) & 0o666
    except OSError:
        return 0o666


def append_line(log: Path, record: dict[str, Any], *, mode: int = 0o666) -> None:
    """Append one JSON line and fsync it. A torn last line (a writer killed while writing
    it) is closed first, so it stays one damaged line that readers skip."""
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
    created = not log.exists()
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        if created:
            os.fchmod(fd, mode & ~_umask())
        size = os.fstat(fd).st_size
        data = line.encode()
        if size:
            with log.open("rb") as fh:
                fh.seek(size - 1)
                if fh.read(1) != b"\n":
                    data = b"\n" + data
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_dir(log.parent)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One line of the log."""

    change_id: str
    at: str
    who: dict[str, str]
    action: str
    reason: str | None = None
    event_id: str | None = None
    before: Values | None = None
    after: Values | None = None
    batch: dict[str, Any] | None = None
    reverts: str | None = None
    voids: str | None = None
    dataset_before: str | None = None
    dataset_after: str | None = None
    line: int = 0

    @classmethod
    def from_json(cls, data: dict[str, Any], line: int) -> Change:
        known = {k: data.get(k) for k in cls.__dataclass_fields__ if k != "line"}
        if not isinstance(known["change_id"], str) or not isinstance(known["action"], str):
            raise ValueError("not a change")
        return cls(**known, line=line)

    def as_json(self) -> dict[str, Any]:
        out = {"v": FORMAT_VERSION}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name != "line" and (value is not None or name in ("before", "after", "event_id")):
                out[name] = value
        return out

    @property
    def marker(self) -> bool:
        return self.action in MARKERS

    @property
    def who_text(self) -> str:
        who = self.who or {}
        name = f" ({who['name']})" if who.get("name") else ""
        return f"{who.get('kind', '?')} {who.get('id', '?')}{name}"

    def event_ids(self) -> list[str]:
        """The events this change touched."""
        if self.event_id is not None:
            return [self.event_id]
        if not self.batch:
            return []
        return [
            *self.batch.get("added", []),
            *self.batch.get("changed", {}),
            *self.batch.get("removed", []),
            *self.batch.get("decided", []),
        ]

    def fields_for(self, event_id: str) -> dict[str, tuple[Any, Any]]:
        """Per changed field of one event: (before, after). An added event lists every field
        as (None, value), a removed one (value, None)."""
        if self.event_id == event_id:
            before, after = self.before or {}, self.after or {}
            names = [c for c in COLUMNS if c in before or c in after]
            return {
                n: (before.get(n), after.get(n))
                for n in names
                if before.get(n) != after.get(n) or self.before is None or self.after is None
            }
        if self.batch and event_id in self.batch.get("changed", {}):
            return {k: (v[0], v[1]) for k, v in self.batch["changed"][event_id].items()}
        return {}

    def kind_for(self, event_id: str) -> str:
        """added, changed or removed: what this change did to one event."""
        if self.event_id == event_id:
            if self.before is None:
                return "added"
            return "removed" if self.after is None else "changed"
        if self.batch:
            for kind in ("added", "changed", "removed", "decided"):
                if event_id in self.batch.get(kind, ()):
                    return kind
        return "untouched"


@dataclass
class Log:
    """A change log as read: its changes in order, and the numbers of lines that could not be
    read (a line torn by a crash while it was written)."""

    changes: list[Change] = field(default_factory=list)
    damaged: list[int] = field(default_factory=list)

    def voided(self) -> set[str]:
        return {c.voids for c in self.changes if c.action == VOID and c.voids}

    def effective(self) -> list[Change]:
        """The changes the dataset got, in order: no markers, nothing voided."""
        gone = self.voided()
        return [c for c in self.changes if not c.marker and c.change_id not in gone]

    def find(self, change_id: str) -> Change:
        """A change by its id or an unambiguous start of it; KeyError saying why not."""
        exact = [c for c in self.changes if c.change_id == change_id]
        found = exact or [c for c in self.changes if c.change_id.startswith(change_id)]
        if not found:
            raise KeyError(f"no change {change_id!r} in the log")
        if len(found) > 1:
            raise KeyError(f"{change_id!r} matches {len(found)} changes; give more of the id")
        return found[0]


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return
    with fh:
        yield from enumerate(fh, start=1)


def read(dataset: Path, event_id: str | None = None) -> Log:
    """The dataset's change log (empty when there is none); with `event_id`, only the changes
    that touched that event (and no markers)."""
    log = Log()
    for number, raw in _lines(log_path(dataset)):
        if not raw.strip():
            continue
        try:
            log.changes.append(Change.from_json(json.loads(raw), number))
        except (ValueError, TypeError, UnicodeDecodeError):
            log.damaged.append(number)
    if event_id is not None:
        gone = log.voided()
        log.changes = [
            c for c in log.changes if not c.marker and c.change_id not in gone and event_id in c.event_ids()
        ]
    return log


def last_line(path: Path, chunk: int = 1 << 16) -> bytes | None:
    """The last non-empty line of a file, from its end, each piece searched once (1 M rows: 18 MB a line)."""
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return None
    with fh:
        pos = fh.seek(0, os.SEEK_END)
        pieces: list[bytes] = []  # from the end backwards; the breaks ending the file end no line
        while pos > 0:
            step = min(chunk, pos)
            fh.seek(pos := pos - step)
            piece = fh.read(step) if pieces else fh.read(step).rstrip(b"\n")
            cut = piece.rfind(b"\n")
            if cut >= 0:
                return piece[cut + 1 :] + b"".join(reversed(pieces))
            if piece:
                pieces.append(piece)
        return b"".join(reversed(pieces)) or None


def last_change(dataset: Path) -> Change | None:
    """The log's last readable line. A last line torn by a crash while it was written is
    never a change the dataset got (the dataset is replaced only after the line is whole):
    the line before it is the last."""
    raw = last_line(log_path(dataset))
    if raw is None:
        return None
    try:
        return Change.from_json(json.loads(raw), 0)
    except (ValueError, TypeError, UnicodeDecodeError):
        changes = read(dataset).changes
        return changes[-1] if changes else None


@dataclass(frozen=True)
class EventHistory:
    changes: int
    last_at: str


def summary(dataset: Path) -> dict[str, EventHistory]:
    """Per event id: how many changes touched it and when the last was (for the cards).
    Read once per version of the log file."""
    log = log_path(dataset)
    try:
        st = log.stat()
    except OSError:
        return {}
    return _summary(str(log), st.st_size, st.st_mtime_ns, st.st_ino)


@lru_cache(maxsize=8)
def _summary(log: str, size: int, mtime: int, inode: int) -> dict[str, EventHistory]:
    del size, mtime, inode  # the cache key: a new version of the file is read again
    found: dict[str, EventHistory] = {}
    dataset = Path(log[: -len(LOG_SUFFIX)])
    for change in read(dataset).effective():
        for event_id in change.event_ids():
            had = found.get(event_id)
            found[event_id] = EventHistory((had.changes if had else 0) + 1, change.at)
    return found


# --- writing --------------------------------------------------------------------------------


def new_change_id(dataset: Path, now: datetime | None = None) -> str:
    """`YYYYMMDDTHHMMSS.ffffffZ` (UTC), later than the log's last id even if the clock went
    back: ids sort in the order the changes were made."""
    now = now or datetime.now(UTC)
    candidate = now.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    last = last_change(dataset)
    if last is not None and candidate <= last.change_id:
        stamp = datetime.strptime(last.change_id[:22], "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
        candidate = datetime.fromtimestamp(stamp.timestamp() + 1e-6, UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        if candidate <= last.change_id:  # ids of another shape: sort after them anyway
            candidate = last.change_id + "-1"
    return candidate


def now_text(now: datetime | None = None) -> str:
    return (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")


def prepare(dataset: Path) -> str | None:
    """Check the log against the dataset before a write (hold the dataset's lock): a change
    logged but never applied (a writer killed between the log and the rename) is voided, a
    dataset changed outside the log gets an `external` line. Returns the dataset's SHA-256."""
    real = Path(os.path.realpath(dataset))
    remove_abandoned_rows(real)
    current = datasets.at(real).digest()
    last = last_change(real)
    log = log_path(real)
    if last is None:
        if log.exists() and log.stat().st_size and current is not None:
            _marker(real, EXTERNAL, current, note="no line of the log can be read")
        return current
    if last.dataset_after == current:
        return current
    if not last.marker and last.dataset_before == current:
        _marker(
            real,
            VOID,
            current,
            voids=last.change_id,
            note="the writer stopped after logging this change and before replacing the dataset, "
            "which never held it",
        )
        return current
    _marker(real, EXTERNAL, current, previous=last.dataset_after,
            note="the dataset was replaced without this log (copied, checked out, or written by "
                 "another program); its changes since the last line are not recorded")  # fmt: skip
    return current


def _marker(dataset: Path, action: str, current: str | None, **extra: Any) -> None:
    record = {
        "v": FORMAT_VERSION,
        "change_id": new_change_id(dataset),
        "at": now_text(),
        "who": Who("cli", os_user(), detail=socket.gethostname()).as_json(),
        "action": action,
        "event_id": None,
        "before": None,
        "after": None,
        "dataset_before": extra.pop("previous", None),
        "dataset_after": current,
        "reason": extra.pop("note", None),
        **extra,
    }
    append_line(log_path(dataset), record, mode=_mode_of(dataset))


def write_rows(dataset: Path, name: str, table: pa.Table | Spilled) -> str:
    """Keep a batch's rows beside the log: a temp file, fsynced, renamed, never changed
    again. Rows an import wrote as it read them (`Spilled`) are that file, linked (its inode
    is never changed: a dataset is replaced by renaming) or copied. Returns the file name the
    log line gives."""
    folder = rows_folder(dataset)
    created = not folder.exists()
    folder.mkdir(exist_ok=True)
    if isinstance(table, Spilled):
        try:
            os.link(table.tmp, folder / name)
        except OSError:
            with table.tmp.open("rb") as source:
                write_atomic(folder / name, lambda fh: shutil.copyfileobj(source, fh))
    else:
        write_atomic(folder / name, lambda fh: pq.write_table(table, fh, compression="zstd"))
    if created:
        fsync_dir(folder.parent)
    return name


def remove_abandoned_rows(dataset: Path) -> None:
    """Temp files of rows files that killed writers left (hold the dataset's lock)."""
    folder = rows_folder(dataset)
    if not folder.is_dir():
        return
    for entry in folder.iterdir():
        match = re.fullmatch(r"\..+\.(\d+)\.[0-9a-f]+\.tmp", entry.name)
        if match and tempfiles.Leftover(entry, int(match.group(1))).abandoned():
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()


def read_rows(dataset: Path, name: str) -> pa.Table:
    path = rows_folder(dataset) / name
    if "/" in name or name.startswith("."):
        raise ValueError(f"{name!r}: not a rows file of the log")
    return pq.read_table(path).cast(ARROW_SCHEMA)


def record(dataset: Path, change: Change) -> None:
    """Append a change (hold the dataset's lock; call `prepare` first in the same hold)."""
    append_line(log_path(dataset), change.as_json(), mode=_mode_of(Path(os.path.realpath(dataset))))


def describe_change(change: Change, event_id: str | None = None) -> list[str]:
    """A change as lines of text for people: what, who, when, why, and each field."""
    what = change.action
    if change.reverts:
        what += f" of {change.reverts}"
    if change.voids:
        what += f" of {change.voids}"
    target = change.event_id or (
        f"{len(change.batch.get('added', []))} added, {len(change.batch.get('changed', {}))} changed"
        if change.batch and "decided" not in change.batch
        else ", ".join(change.batch.get("decided", []))
        if change.batch
        else ""
    )
    lines = [f"{change.change_id}  {change.at}  {change.who_text}  {what}  {target}".rstrip()]
    if change.reason:
        lines.append(f"    why: {change.reason}")
    ids = [event_id] if event_id else ([change.event_id] if change.event_id else [])
    for one in ids:
        kind = change.kind_for(one)
        if change.event_id is None:
            lines.append(f"    {one}: {kind}")
        fields = change.fields_for(one)
        if kind in ("added", "removed") and change.event_id is not None:
            lines.append(f"    {kind}: {(change.after or change.before or {}).get('title', '')!r}")
            continue
        lines += [f"    {name}: {display(old)!r} -> {display(new)!r}" for name, (old, new) in fields.items()]
    return lines


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Text safe for a terminal: control characters (an escape sequence in a name from the
    identity provider) shown as \\uXXXX instead of acted on."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def reason_problems(reason: str | None) -> list[Problem]:
    """Why is required for every change made by hand: not blank, at most 1,000 characters,
    no control characters (line breaks and tabs allowed)."""
    text = (reason or "").strip()
    if not text:
        return [Problem("say why: a reason is required", column="reason")]
    problems = []
    if len(text) > MAX_REASON:
        problems.append(
            Problem(f"too long: {len(text):,} characters, at most {MAX_REASON:,}", column="reason")
        )
    found = re.search(CONTROL_MULTILINE, text)
    if found:
        problems.append(
            Problem(
                f"control character U+{ord(found.group()):04X} at character {found.start() + 1:,}",
                column="reason",
            )
        )
    return problems
