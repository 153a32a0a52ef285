"""What a match reads and writes (docs/matching.md): the reports' columns, the taxonomies,
the settings, the columns the match adds, and the summary MELTT prints of a result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from functools import cached_property
from typing import Literal

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius (IUGG); MELTT's own code uses 111.111 km a degree (6366.2 km)."""


class R(StrEnum):
    """Columns of the reports table the algorithm reads (taxonomy levels come on top)."""

    SOURCE = "source"
    REPORT = "report"
    START = "start"
    END = "end"
    LAT = "lat"
    LON = "lon"
    EPISODE = "episode"


class Place(StrEnum):
    """Optional columns for reports placed only by an area (a region, a country, no point)."""

    AREA = "area"
    """True: the report has no usable point; it is compared by country and region instead."""
    COUNTRY = "country"
    REGION = "region"


class Kind(StrEnum):
    EVENT = "event"
    EPISODE = "episode"


class Role(StrEnum):
    REPRESENTATIVE = "representative"
    DUPLICATE = "duplicate"


@dataclass(frozen=True)
class Dimension:
    """One taxonomy: its level columns from most specific to broadest, and its weight."""

    name: str
    levels: tuple[str, ...]
    weight: float = 1.0
    required: bool = True
    """False: a disagreement costs the full weight but does not rule the pair out (counts)."""
    unknown_agrees: bool = False
    """True: a missing value agrees with anything, at half the weight (an unknown side)."""


@dataclass(frozen=True)
class MatchSettings:
    """How close two reports must be to be one incident, and how the best match is chosen."""

    km: float = 10.0
    """Spatial window: great-circle distance in km."""
    days: float = 1.0
    """Temporal window in days."""
    time_rule: Literal["overlap", "endpoints"] = "overlap"
    """`overlap`: the two day intervals, each widened by the window, overlap (a week-precision
    report can match a day inside it). `endpoints`: starts and ends each within the window
    (MELTT's rule for event-to-event and episode-to-episode)."""
    selection: Literal["best", "reference"] = "best"
    """`best`: one-to-one by best score (most specific agreement), then nearest in time, then
    in space. `reference`: MELTT 0.4.3's order (docs/matching.md): each report of the
    incidents so far, in time order, takes the first free candidate, earlier ones latest
    first, then later ones earliest first, whatever their scores."""
    partial: int = 0
    """Taxonomies that may disagree entirely (each then counts as the broadest agreement)."""
    review_margin: float = 0.0
    """A match is flagged ambiguous when a runner-up scores within this of it."""
    earth_radius_km: float = EARTH_RADIUS_KM
    precedence: tuple[str, ...] = ()
    """Sources in the order they are integrated; the first one's report represents an
    incident. Sources not named follow in order of first appearance."""

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["precedence"] = list(self.precedence)
        return data


class MatchError(ValueError):
    """Input the algorithm cannot use (a clear message naming the row and field)."""


@dataclass
class MatchResult:
    """What the match found: one row per report, plus the summary MELTT prints."""

    reports: pd.DataFrame
    """Every input report with `incident`, `role`, `kind`, `score`, `km`, `days_apart`,
    `matched_to` and `review` (why a person should look at it; empty if no reason)."""
    sources: tuple[str, ...]
    settings: MatchSettings
    taxonomy: tuple[Dimension, ...]

    @cached_property
    def summary(self) -> dict[str, object]:
        """MELTT's summary (`summarise`), counted when first asked: a match by time slices
        never asks a slice's, it counts the stored slices at the end (`slices.summarise_files`)."""
        return summarise(self.reports, self.sources)


class Out(StrEnum):
    """Columns the match adds to each report."""

    INCIDENT = "incident"
    ROLE = "role"
    KIND = "kind"
    MATCHED_TO = "matched_to"
    SCORE = "score"
    KM = "km"
    DAYS_APART = "days_apart"
    REVIEW = "review"


def level_columns(taxonomy: Sequence[Dimension]) -> list[str]:
    return [level for dim in taxonomy for level in dim.levels]


def summarise(out: pd.DataFrame, sources: Sequence[str]) -> dict[str, object]:
    """MELTT's summary: observations, unique after deduplication, matches (incidents with more
    than one report) by kind, duplicates removed, and which sources each incident draws on."""
    order = {s: i for i, s in enumerate(sources)}
    bits = pd.DataFrame(
        {
            "i": out[Out.INCIDENT].to_numpy(),
            "b": np.left_shift(1, out[R.SOURCE].astype(str).map(order).to_numpy()),
        }
    )
    members = bits.groupby("i", sort=False)["b"].agg(["size", "sum"])
    distinct = bits.drop_duplicates().groupby("i", sort=False)["b"].sum()
    kinds = out[out[Out.ROLE] == Role.REPRESENTATIVE].set_index(Out.INCIDENT)[Out.KIND]
    multi = members.index[members["size"].to_numpy() > 1]
    overlap = []
    for mask, count in sorted(
        distinct.value_counts().items(), key=lambda kv: (kv[0].bit_count(), ranks(kv[0]))
    ):
        overlap.append({"datasets": [sources[r] for r in ranks(int(mask))], "count": int(count)})
    flagged = int(out[Out.REVIEW].str.contains("episode ", regex=False).sum())
    ambiguous = int(out[Out.REVIEW].str.contains("ambiguous", regex=False).sum())
    return {
        "observations": len(out),
        "unique": len(members),
        "matches": len(multi),
        "event_matches": int((kinds.loc[multi] == Kind.EVENT).sum()),
        "episode_matches": int((kinds.loc[multi] == Kind.EPISODE).sum()),
        "duplicates": int(len(out) - len(members)),
        "overlap": overlap,
        "flagged_for_review": flagged,
        "ambiguous": ambiguous,
    }


def ranks(mask: int) -> list[int]:
    return [r for r in range(mask.bit_length()) if mask >> r & 1]
