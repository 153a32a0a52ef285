"""Where the dataset is by default. Kept apart from `store` (pandas, pyarrow, the rules) so that the
`timeline` command can declare its `--data` options without importing them (`timeline --help`
stays fast)."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_PATH = Path("data/events.parquet")
ENV_VAR = "TIMELINE_DATA"


def default_path() -> Path:
    """`$TIMELINE_DATA` if set, else `data/events.parquet`."""
    return Path(os.environ.get(ENV_VAR) or DEFAULT_PATH)


def incidents_path(path: Path) -> Path:
    """Where `timeline match` stores the incidents of the dataset at `path` (docs/matching.md):
    here, so that the dashboard can look for them without importing the matching."""
    return path / "_incidents.parquet" if path.is_dir() else path.with_name(path.name + ".incidents.parquet")
