"""Rejected rows: the file beside the target (each source row as read, plus `row` and
`reason`), and the reasons as frames indexed by source row."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pandas as pd

from timeline.domain.errors import InputError
from timeline.domain.validation import Problem
from timeline.storage import store


class RejectsFile:
    """The rejected rows, streamed to a temp file beside the target while the source is read.

    `commit` puts the file in place (or removes a stale one when nothing was rejected) and is
    called before the dataset is written, so a dataset is never updated without its rejects;
    the file it replaced is kept aside until `finish`, so that `abandon` (the dataset write
    failed, or the import stopped) can put it back. Folders created for the file are removed
    again by `abandon` if they are still empty.
    """

    def __init__(self, target: Path | None):
        self.target = target
        self.tmp: Path | None = None
        self.previous: Path | None = None
        self.committed = False
        self.created: list[Path] = []
        self.count = 0

    def write(self, original: pd.DataFrame, reasons: pd.Series) -> None:
        self.count += len(original)
        if self.target is None or not len(original):
            return
        out = original.copy()
        row_col = "row" if "row" not in out.columns else "import_row"
        reason_col = "reason" if "reason" not in out.columns else "import_reason"
        out.insert(0, row_col, original.index)
        out[reason_col] = reasons.to_numpy()
        header = self.tmp is None
        if header:
            self._make_folder(self.target.parent)
            fd, self.tmp = store.temp_file_beside(self.target)
            os.close(fd)
        out.to_csv(self.tmp, mode="w" if header else "a", header=header, index=False)

    def _make_folder(self, folder: Path) -> None:
        missing = [f for f in (folder, *folder.parents) if not f.exists()]
        folder.mkdir(parents=True, exist_ok=True)
        self.created = missing  # deepest first, the order to remove them in

    def commit(self) -> Path | None:
        """Put the rejects in place, or remove a stale file when nothing was rejected; returns
        the path written, if any."""
        if self.target is None:
            return None
        if self.target.exists():
            self.previous = self.target.with_name(f".{self.target.name}.{os.getpid()}.previous")
            if self.tmp is None:
                os.replace(self.target, self.previous)  # stale: nothing rejected this time
            else:
                try:
                    os.link(self.target, self.previous)  # the new file replaces it atomically below
                except OSError:
                    shutil.copy2(self.target, self.previous)
        if self.tmp is not None:
            os.replace(self.tmp, self.target)
            self.tmp = None
            self.committed = True
            return self.target
        return None

    def finish(self) -> None:
        """The import succeeded: drop the replaced file."""
        if self.previous is not None:
            with contextlib.suppress(FileNotFoundError):
                self.previous.unlink()
            self.previous = None

    def abandon(self) -> None:
        """The import failed: remove what this run wrote and put back what it replaced."""
        if self.tmp is not None:
            with contextlib.suppress(FileNotFoundError):
                self.tmp.unlink()
            self.tmp = None
        if self.target is not None and self.previous is not None:
            os.replace(self.previous, self.target)  # over this run's file, if it was committed
            self.previous = None
        elif self.target is not None and self.committed:
            with contextlib.suppress(FileNotFoundError):
                self.target.unlink()
        self.committed = False
        for folder in self.created:
            with contextlib.suppress(OSError):
                folder.rmdir()  # only if still empty
        self.created = []


def _describe(problem: Problem) -> str:
    """'column = 'value': reason', dates shown as days (importers pass them parsed)."""
    if problem.value is None or problem.value in ("NaT", "nan", "<NA>", "None"):  # a missing value
        return f"{problem.column}: {problem.reason}"
    value = problem.value.removesuffix(" 00:00:00")
    return f"{problem.column} = {value!r}: {problem.reason}"


def problem_reasons(raw: pd.DataFrame, problems: list[Problem]) -> pd.DataFrame:
    """validation.check problems -> one (category, reason) per source row."""
    by_row: dict[int, list[Problem]] = {}
    for p in problems:
        if p.row is None:
            raise InputError(f"importer produced an invalid table: {p}")
        by_row.setdefault(p.row, []).append(p)
    index = raw.index[[r - 1 for r in by_row]]
    categories = [ps[0].reason for ps in by_row.values()]
    reasons = ["; ".join(_describe(p) for p in ps) for ps in by_row.values()]
    return pd.DataFrame({"category": categories, "reason": reasons}, index=index)


def reasons_frame(index: pd.Index, category: str, reason: pd.Series | str) -> pd.DataFrame:
    text = reason.to_numpy() if isinstance(reason, pd.Series) else reason
    return pd.DataFrame({"category": category, "reason": text}, index=index)
