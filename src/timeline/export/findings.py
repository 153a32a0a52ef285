"""What a view shows, in one line: the subtitle of a slide states the finding, not "8 events".

"3 drone attacks: 406 drones launched; biggest night: 188 drones on 25–26 Nov 2024, 76 shot
down", "188 drones on 25–26 Nov 2024; 76 shot down", "4 meetings, 2 statements and 1 phone
call". Pure functions of the engine's answers for a view (its events, or for a view too large
to draw one by one its launched/intercepted series): every number is counted or added up from
those rows, never typed in or estimated. Strike totals add up only strikes dated to the day,
as the counts chart does (a monthly tally would count the same drones as the nightly reports).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from timeline.domain import taxonomy
from timeline.domain.schema import Col
from timeline.engine import Engine, Match, StrikeSeries, TimelineData
from timeline.engine.queries import UNKNOWN_SIDE
from timeline.figures.counts_chart import side_name
from timeline.formatting import count_label, format_dates
from timeline.view import View

MAX_TYPES = 3
"""Event types named in a finding without strikes; the rest are 'N other events'."""
PEOPLE_UNITS = ("troops", "casualties", "fatalities", "people")
READ = (
    Col.EVENT_ID, Col.EVENT_TYPE, Col.DATE_START, Col.DATE_END, Col.DATE_PRECISION, Col.COUNT,
    Col.COUNT_UNIT, Col.INTERCEPTED, Col.INITIATOR_COUNTRIES, Col.KEY_LABEL,
)  # fmt: skip
"""The columns a finding reads (see `plain`)."""


@dataclass(frozen=True)
class Strike:
    """One strike with a launch count: the largest of a view, for instance."""

    event_id: str
    start: date
    end: date
    count: int
    unit: str
    intercepted: int | None

    @property
    def overnight(self) -> bool:
        return (self.end - self.start).days == 1

    @property
    def when(self) -> str:
        return format_dates(self.start, self.end, "day")

    def words(self) -> str:
        """'188 drones on 25–26 Nov 2024, 76 shot down'."""
        text = f"{count_label(self.count, self.unit)} on {self.when}"
        if self.intercepted is not None:
            text += f", {self.intercepted:,} {shot_down(self.unit)}"
        return text


def shot_down(unit: str) -> str:
    return "shot down" if unit == "drones" else "intercepted"


@dataclass(frozen=True)
class Total:
    """Strikes of one unit in view, their launches and (where reported) intercepts."""

    unit: str
    strikes: int
    launched: int
    intercepted: int | None

    def words(self) -> str:
        if self.unit == "drones+missiles":
            return f"{self.launched:,} drones and missiles in combined strikes"
        return count_label(self.launched, self.unit)


def _day(value: object) -> date:
    return pd.Timestamp(value).date()


def strikes(events: pd.DataFrame) -> pd.DataFrame:
    """Strikes dated to the day with a launch count (drones, missiles, both, projectiles)."""
    if events.empty:
        return events
    keep = (
        events[Col.EVENT_TYPE].isin(taxonomy.STRIKE_TYPES)
        & events[Col.COUNT_UNIT].isin(taxonomy.STRIKE_UNITS)
        & events[Col.COUNT].notna()
        & (events[Col.DATE_PRECISION] == "day")
    )
    return events[keep].drop_duplicates(Col.EVENT_ID)


def _strike(row: pd.Series) -> Strike:
    intercepted = row[Col.INTERCEPTED]
    return Strike(
        event_id=str(row[Col.EVENT_ID]),
        start=_day(row[Col.DATE_START]),
        end=_day(row[Col.DATE_END]),
        count=int(row[Col.COUNT]),
        unit=str(row[Col.COUNT_UNIT]),
        intercepted=None if pd.isna(intercepted) else int(intercepted),
    )


def totals(events: pd.DataFrame) -> list[Total]:
    """Per unit, in the taxonomy's order: strikes, launched, intercepted (None when no strike
    of that unit reported any). Added up over plain lists: a view's few strikes, asked once per
    side on every filter change, where a pandas filter per unit cost more than the sums."""
    rows = strikes(events)
    units, counts = rows[Col.COUNT_UNIT].tolist(), rows[Col.COUNT].tolist()
    intercepted = rows[Col.INTERCEPTED].tolist()
    out = []
    for unit in taxonomy.STRIKE_UNITS:
        picked = [i for i, u in enumerate(units) if u == unit]
        if not picked:
            continue
        reported = [intercepted[i] for i in picked if not pd.isna(intercepted[i])]
        launched = int(sum(counts[i] for i in picked))
        out.append(Total(unit, len(picked), launched, int(sum(reported)) if reported else None))
    return out


def biggest(events: pd.DataFrame) -> Strike | None:
    """The largest strike of the unit that launched most in view (188 drones, not 9 missiles:
    counts are compared within their unit only); the earliest on a tie, then the first."""
    rows = strikes(events)
    if rows.empty:
        return None
    units, counts = rows[Col.COUNT_UNIT].tolist(), rows[Col.COUNT].tolist()
    starts = rows[Col.DATE_START].tolist()
    by_unit: dict[str, float] = {}
    for u, n in zip(units, counts, strict=True):
        by_unit[u] = by_unit.get(u, 0) + n
    unit = max(by_unit, key=lambda u: (by_unit[u], -taxonomy.STRIKE_UNITS.index(u)))
    top = min((i for i, u in enumerate(units) if u == unit), key=lambda i: (-counts[i], starts[i], i))
    return _strike(rows.iloc[top])


def type_counts(events: pd.DataFrame) -> list[tuple[str, int]]:
    """(event type, events) most first, then in the taxonomy's order."""
    if events.empty:
        return []
    counts = events.drop_duplicates(Col.EVENT_ID)[Col.EVENT_TYPE].value_counts()
    order = {k: i for i, k in enumerate(taxonomy.EVENT_TYPE_KEYS)}
    return sorted(
        ((str(k), int(n)) for k, n in counts.items()), key=lambda kn: (-kn[1], order.get(kn[0], 99))
    )


def plural(event_type: str, n: int) -> str:
    """'1 phone call', '3 drone attacks', '2 press conferences'."""
    label = taxonomy.LABELS.get(event_type, event_type).lower()
    if event_type == "other":
        label = "other event"
    if n != 1:
        label = label[:-1] + "ies" if label.endswith("y") and not label.endswith("ay") else label + "s"
    return f"{n:,} {label}"


def and_list(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _largest_figure(events: pd.DataFrame) -> str | None:
    """'largest figure: 11,000 troops on 4 Nov 2024' (troops, casualties, people)."""
    counted = events[events[Col.COUNT_UNIT].isin(PEOPLE_UNITS) & events[Col.COUNT].notna()]
    if counted.empty:
        return None
    row = counted.sort_values([Col.COUNT, Col.DATE_START], ascending=[False, True]).iloc[0]
    return f"largest figure: {count_label(row[Col.COUNT], row[Col.COUNT_UNIT])} on {_when(row)}"


def launched_words(counted: pd.DataFrame) -> str:
    """'406 drones and 28 missiles'; with combined strikes, whose totals cannot be split, one
    sum: '1,976 drones and missiles'."""
    units = totals(counted)
    if any(t.unit == "drones+missiles" for t in units):
        mixed = [t for t in units if t.unit in ("drones", "missiles", "drones+missiles")]
        rest = [t for t in units if t not in mixed]
        words = [f"{sum(t.launched for t in mixed):,} drones and missiles", *(t.words() for t in rest)]
        return and_list(words)
    return and_list([t.words() for t in units])


def sides(counted: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """Strikes by launching side ('RUS', 'UKR+GBR', '?' when none is recorded), the side that
    launched most first: sides are never added together."""
    side = counted[Col.INITIATOR_COUNTRIES].map(lambda codes: "+".join(codes) if len(codes) else UNKNOWN_SIDE)
    groups = [(str(k), counted[side == k]) for k in dict.fromkeys(side)]
    return sorted(groups, key=lambda g: (-int(g[1][Col.COUNT].sum()), g[0]))


def launched_by_side(counted: pd.DataFrame) -> str:
    """'Russia launched 406 drones and 9 missiles, Ukraine 19 missiles'; '406 drones launched'
    when no side is recorded."""
    groups = sides(counted)
    if len(groups) == 1 and groups[0][0] == UNKNOWN_SIDE:
        return f"{launched_words(counted)} launched"
    (first, rows), *rest = groups
    words = [f"{side_name(first)} launched {launched_words(rows)}"]
    words += [f"{side_name(side)} {launched_words(part)}" for side, part in rest]
    return ", ".join(words)


def plain(events: pd.DataFrame) -> pd.DataFrame:
    """The columns a finding reads (`READ`), text as Python strings: every filter below copies
    each column, and a column of pandas' Arrow-backed strings costs a pyarrow call per copy."""
    events = events[[str(c) for c in READ if c in events.columns]]
    text = [c for c, dtype in events.dtypes.items() if isinstance(dtype, pd.StringDtype)]
    return events.astype(dict.fromkeys(text, object)) if text else events


def _others(n: int) -> str:
    return f" · {n:,} other event{'s' if n != 1 else ''}" if n else ""


def headline(events: pd.DataFrame) -> str:
    """The finding of a view's events (each once, whatever its lanes)."""
    if events.empty:
        return "No events"
    events = plain(events).drop_duplicates(Col.EVENT_ID)
    attacks = events[events[Col.EVENT_TYPE].isin(taxonomy.STRIKE_TYPES)]
    counted = strikes(events)
    others = len(events) - len(attacks)
    if len(counted) == 1 and len(attacks) == 1:
        strike = _strike(counted.iloc[0])
        text = f"{count_label(strike.count, strike.unit)} on {strike.when}"
        if strike.intercepted is not None:
            text += f"; {strike.intercepted:,} {shot_down(strike.unit)}"
        return text + _others(others)
    if len(counted):
        kinds = and_list([plural(t, n) for t, n in type_counts(attacks)])
        note = f" ({len(counted):,} with counts)" if len(counted) < len(attacks) else ""
        text = f"{kinds}: {launched_by_side(counted)}{note}"
        if len(counted) > 1:
            top = biggest(counted)
            assert top is not None
            text += f"; biggest {'night' if top.overnight else 'strike'}: {top.words()}"
        return text + _others(others)
    if len(events) == 1:
        row = events.iloc[0]
        label = count_label(row[Col.COUNT], row[Col.COUNT_UNIT])
        return f"{taxonomy.LABELS.get(row[Col.EVENT_TYPE], row[Col.EVENT_TYPE])} on {_when(row)}" + (
            f": {label}" if label else ""
        )
    counts = type_counts(events)
    named = [plural(t, n) for t, n in counts[:MAX_TYPES]]
    rest = sum(n for _, n in counts[MAX_TYPES:])
    if rest:
        named.append(f"{rest:,} more")
    text = and_list(named)
    keys = _key_labels(events)
    if len(keys) == 1:
        text += f"; key event: {keys[0]}"
    figure = _largest_figure(events)
    return f"{text}; {figure}" if figure else text


def _when(row: pd.Series) -> str:
    return format_dates(_day(row[Col.DATE_START]), _day(row[Col.DATE_END]), str(row[Col.DATE_PRECISION]))


def _key_labels(events: pd.DataFrame) -> list[str]:
    if Col.KEY_LABEL not in events.columns:
        return []
    labels = events[Col.KEY_LABEL].dropna().astype(str).str.strip()
    return [x for x in labels if x]


def series_headline(count: int, series: StrikeSeries) -> str:
    """A view too large to draw event by event: its size, what each side launched and the
    busiest day (or week) of one side, from the launched/intercepted series."""
    text = f"{count:,} events"
    if series.empty:
        return text
    frame = series.frame
    what = {"drones": "drones", "missiles": "missiles"}.get(series.what, "drones and missiles")
    by_side = frame.groupby("side")["launched"].sum().sort_values(ascending=False, kind="stable")
    launched = [
        f"{side_name(str(side))}{' launched' if i == 0 else ''} {int(n):,}"
        for i, (side, n) in enumerate(by_side.items())
    ]
    per_bin = frame.groupby(["bin", "side"], as_index=False).agg(launched=("launched", "sum"))
    peak = per_bin.sort_values(["launched", "bin"], ascending=[False, True]).iloc[0]
    when = _day(peak["bin"])
    span = f"on {when.day} {when:%b %Y}" if series.per == "day" else f"in the week of {when.day} {when:%b %Y}"
    return (
        f"{text}; {', '.join(launched)} {what}; "
        f"busiest: {int(peak['launched']):,} by {side_name(str(peak['side']))} {span}"
    )


def for_view(engine: Engine, v: View, match: Match | None = None, data: TimelineData | None = None) -> str:
    """The finding of a view, from the same queries the page draws (its timeline, when the
    caller has it already)."""
    match = match or engine.match(v)
    if not match.count:
        return "No events"
    data = data or engine.timeline(v, match)
    if data.events is not None:
        return headline(data.events)
    return series_headline(match.count, engine.strikes(v))
