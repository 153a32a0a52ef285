"""Which parts of a folder a date range can touch: a question on a view with dates (the date
presets, a table's newest rows) reads only those parts, not all of them. Likewise the parts
whose event ids can include some ids (a link's `event=`, a card's rows): `holding`.

Every part written by `parts.write_parts` records its first start and last end in its footer
(`parts.table_stats`). An event overlaps [start, end] only if its part's first start is at
most `end` and its part's last end at least `start`, so the other parts hold no match and are
left out of the query: exact, whatever the filters. At 10 M events (141 parts) a question
DuckDB answers from one month's part cost 0.05-0.07 CPU s of opening every part before
(docs/performance.md).
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from timeline.engine.backends import Backend, Source

Extent = tuple[Path, date | None, date | None]
"""A part, its first start and last end (None for a part of no rows)."""


def extents(runner: Backend, source: Source) -> tuple[Extent, ...]:
    """Each part's dates from its footer, read once per version; () when a part has none."""

    def read() -> tuple[Extent, ...]:
        from timeline.storage import parts

        found = []
        for path in source.files:
            stats = parts.read_stats(path)
            if stats is None:
                return ()
            first, last = stats.get("first"), stats.get("last")
            found.append(
                (
                    path,
                    date.fromisoformat(first) if first else None,
                    date.fromisoformat(last) if last else None,
                )
            )
        return tuple(found)

    if not source.partitioned or not source.files:
        return ()
    return runner.remember((source.key, "part extents"), read)


def within(runner: Backend, source: Source, start: date | None, end: date | None) -> Source | None:
    """The dataset read from only the parts whose dates can overlap [start, end] (either end
    open), as a source of its own; None when that is every part (or the parts' dates are
    not known)."""
    if start is None and end is None:
        return None
    found = extents(runner, source)
    if not found:
        return None
    kept = tuple(
        path
        for path, first, last in found
        if first is not None
        and (end is None or first <= end)
        and (start is None or last is None or last >= start)
    )
    return subset(source, kept, len(found))


def holding(runner: Backend, source: Source, ids: list[str]) -> Source | None:
    """The dataset read from only the parts whose least and greatest event id (their row
    groups' statistics, `parts.footer`) can enclose one of `ids`, as a source of its own; None
    when that is every part or a part's ids are not known. At 10 M synthetic events an id is
    in one of 141 parts; a link's `event=` was checked by a scan of all of them."""
    if not source.partitioned or not source.files or not ids:
        return None

    def ranges() -> tuple[tuple[Path, str, str], ...]:
        from timeline.storage import parts

        found = []
        for path in source.files:
            footer = parts.footer(path)
            if footer.rows and footer.ids is None:
                return ()
            if footer.ids is not None:
                found.append((path, *footer.ids))
        return tuple(found)

    found = runner.remember((source.key, "part ids"), ranges)
    if not found:
        return None
    kept = tuple(path for path, low, high in found if any(low <= i <= high for i in ids))
    return subset(source, kept, len(source.files))


def subset(source: Source, kept: tuple[Path, ...], of: int) -> Source | None:
    """`kept` of the source's parts as a source of its own; None when they are all `of` parts."""
    if len(kept) == of:
        return None
    files = kept or source.files[:1]  # no part can match: one is read (and filtered to nothing)
    digest = hashlib.sha256("\n".join(str(p) for p in files).encode()).hexdigest()[:12]
    return Source(source.path, files, f"{source.version}#parts-{digest}", source.partitioned, source.derived)
