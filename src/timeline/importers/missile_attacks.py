"""Ukrainian Air Force attack tallies -> events (`timeline import --format missile-attacks`).

The file (`missile_attacks_daily.csv`) has one row per weapon model per attack window.
Each row becomes a drone_attack, missile_strike or air_strike according to the model
table below (`MODELS`); a model not in the table is rejected as "unknown model" rather
than guessed. `launched` is the count, `destroyed` the intercepted figure, and every other
figure (not reaching the target, still in the air, flown into Belarus, ...) is written
into the summary. With `--combine`, all models of one window from one report become one
event (a combined_strike when drones and missiles flew together).

Ids are built from the row alone, never from its neighbours, so they survive re-imports of
newer copies of the file: the window start and the model, then a short digest of the window
end, the route (launch place, target) and the source post, which tells apart two regional
reports of the same model in the same window (`af-2024-11-25-1930-shahed-136-131-8d5c2e`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from timeline.domain.schema import Col
from timeline.domain.validation import MAX_TITLE_LENGTH
from timeline.importers.base import Format, Mapped, Options, Reasons, mapped, quoted
from timeline.importers.fields import (
    STRING,
    clause,
    join,
    short_digest,
    slug,
    string_lists,
    text,
    truncate,
    whole_numbers,
)

NAME = "missile-attacks"
COLUMNS = [
    *"time_start time_end model launch_place target target_main launched destroyed not_reach_goal".split(),
    *"still_attacking border_crossing is_shahed num_hit_location num_fall_fragment_location carrier".split(),
    *"turbojet turbojet_destroyed".split(),
    *["affected region", "destroyed_details", "launched_details", "launch_place_details", "source"],
]
REQUIRED = ("time_start", "time_end", "model", "launch_place", "target", "launched", "destroyed", "source")

CONFIDENCE = "claimed"
"""The figures are one belligerent's own (the defender's) and unverified: `claimed` by the
taxonomy's definition. Curation can raise a night to `confirmed` where outlets agree."""
ACTORS = ("Russian Armed Forces", "Ukrainian Air Force")
COUNTRIES = ("RUS", "UKR")
LAUNCHED_BY = ("RUS",)
"""The tallies count Russian launches at Ukraine."""


@dataclass(frozen=True)
class Model:
    name: str
    """The name as the table spells it ('Shahed-136/131'): stored, whatever the file's case."""
    kind: str
    """drone, missile or bomb: decides the event type and count unit."""
    role: str
    """What it is, for the summary."""


MODEL_TABLE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("drone", "attack drones", ("Shahed-136/131", "Shahed-136", "Shahed-131", "Shahed", "Geran-2", "Geran-3", "Gerbera")),
    ("drone", "drones of unidentified type", ("Unknown UAV",)),
    ("drone", "reconnaissance drones", ("Reconnaissance UAV", "Orlan-10", "Orlan-30", "Supercam", "ZALA", "Merlin-VR",
                                        "Eleron", "Granat-4", "Картограф", "Фенікс")),
    ("drone", "military drones", ("Orion", "Forpost", "Mohajer-6")),
    ("drone", "loitering munitions", ("Lancet", "Kub", "Молнія", "Привет-82")),
    ("missile", "ballistic missiles", ("Iskander-M", "KN-23", "Iskander-M/KN-23", "Ballistic Missile",
                                       "Intercontinental Ballistic Missile")),
    ("missile", "cruise missiles", ("Iskander-K", "Kalibr", "X-101/X-555", "X-101", "X-555", "X-22", "X-32", "X-69",
                                    "X-59", "X-59/X-69", "X-59MK2", "X-35", "3M22 Zircon", "P-800 Oniks", "Banderol")),
    ("missile", "aeroballistic missiles", ("X-47 Kinzhal",)),
    ("missile", "anti-radiation missiles", ("X-31", "X-31P", "X-31PD")),
    ("missile", "air-defence missiles fired at ground targets", ("C-300", "C-400", "C-300/C-400")),
    ("missile", "missiles of unidentified type", ("Unknown Missile",)),
    ("bomb", "guided aerial bombs", ("GBU", "Aerial Bomb")),
)  # fmt: skip
"""(kind, role, model names): every model name in the Air Force file, by kind (drone, missile
or bomb decide the event type and count unit; the role is said in the summary). A row naming
several models ('X-101/X-555 and Kalibr') is split on ' and '; each part must be here."""

MODELS: dict[str, Model] = {
    name.casefold(): Model(name, kind, role) for kind, role, names in MODEL_TABLE for name in names
}
"""Looked up by the case-folded name with spaces tidied: 'shahed-136/131' is Shahed-136/131."""

KINDS_TO_TYPE = {
    frozenset({"drone"}): ("drone_attack", "drones"),
    frozenset({"missile"}): ("missile_strike", "missiles"),
    frozenset({"bomb"}): ("air_strike", "projectiles"),
    frozenset({"drone", "missile"}): ("combined_strike", "drones+missiles"),
}
"""Kinds in a row (or a combined window) -> event type and count unit; any other mix is a
combined_strike counted in projectiles."""

SOURCES = {
    "kpszsu": "Ukrainian Air Force",
    "pvkpivden": "Ukrainian Air Force, Air Command South",
    "pvkshid": "Ukrainian Air Force, Air Command East",
    "pvkzahid": "Ukrainian Air Force, Air Command West",
    "pvkcenter": "Ukrainian Air Force, Air Command Centre",
    "generalstaff.ua": "General Staff of the Armed Forces of Ukraine",
    "cincafu": "Commander-in-Chief of the Armed Forces of Ukraine",
    "chiefukrdiu": "Defence Intelligence of Ukraine",
    "kharkivoda.gov.ua": "Kharkiv Regional Military Administration",
    "facebook video": "Ukrainian Air Force",
}
"""The `source` post's page -> who published it; the page itself follows in brackets."""

DIRECTIONS = {"north": "northern Ukraine", "south": "southern Ukraine", "east": "eastern Ukraine",
              "west": "western Ukraine", "center": "central Ukraine", "centre": "central Ukraine"}  # fmt: skip


def parse_models(value: str) -> tuple[list[str], list[Model]] | None:
    """'X-101/X-555 and kalibr' -> the table's names (['X-101/X-555', 'Kalibr']) and models;
    None if any part is unknown."""
    parts = [part.strip() for part in re.split(r"\s+and\s+", value.strip()) if part.strip()]
    models = [MODELS.get(" ".join(part.split()).casefold()) for part in parts]
    if not parts or any(m is None for m in models):
        return None
    known = [m for m in models if m is not None]
    return [m.name for m in known], known


def _type_and_unit(kinds: frozenset[str]) -> tuple[str, str]:
    return KINDS_TO_TYPE.get(kinds, ("combined_strike", "projectiles"))


def _times(s: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """'2024-11-25 19:30', '2023-05-16 3:30', '2024-05-16 ' -> (day, 'HHMM' or missing, text, bad)."""
    t = text(s).str.replace(r"\s+", " ", regex=True)
    parts = t.str.extract(r"^(\d{4})-(\d{2})-(\d{2})(?: (\d{1,2}):(\d{2}))?$")
    frame = pd.DataFrame({"year": parts[0], "month": parts[1], "day": parts[2]}).astype("float64")
    day = pd.to_datetime(frame, errors="coerce").astype("datetime64[ms]")
    hour, minute = pd.to_numeric(parts[3]), pd.to_numeric(parts[4])
    bad_time = parts[3].notna() & ~((hour <= 23) & (minute <= 59)).fillna(False)
    hhmm = (parts[3].str.zfill(2) + parts[4]).astype(STRING)
    return day, hhmm, t, (t.isna() | day.isna() | bad_time)


def _moment(day: pd.Series, hhmm: pd.Series) -> pd.Series:
    """'2024-11-25 1930' (or the day alone): a window bound however the file spaced or padded it."""
    return join(day.dt.strftime("%Y-%m-%d"), clause(hhmm.notna(), " ", hhmm))


def _folded(s: pd.Series) -> pd.Series:
    """Text with case and spacing folded, so a cosmetic edit does not change an id."""
    return s.astype(STRING).str.replace(r"\s+", " ", regex=True).str.strip().str.casefold()


def _sources(source: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Post id -> (outlet, URL): 'kpszsu/posts/pfbid..' is a Facebook post of the page kpszsu."""
    s = text(source).fillna("")
    is_url = s.str.match(r"https?://")
    is_site = ~is_url & s.str.split("/").str[0].str.contains(".", regex=False)
    url = s.where(is_url, ("https://" + s).where(is_site, "https://www.facebook.com/" + s))
    handle = s.str.split("/").str[0]
    handle = handle.where(~is_url, s.str.extract(r"^https?://(?:t\.me/)?([^/?#]+)")[0])
    handle = handle.mask(handle.eq("watch"), "facebook video")
    name = handle.str.casefold().map(SOURCES).fillna(handle)
    outlet = join(name, clause(name.ne(handle), " (", handle, ")"))
    outlet = outlet.mask(name.eq(handle) & s.str.startswith("https://t.me/"), handle + " on Telegram")
    return outlet.where(s.ne(""), "Ukrainian Air Force tallies (source not given)"), url.where(s.ne(""))


def _words(chunk: pd.DataFrame, column: str) -> pd.Series:
    return (
        text(chunk[column]) if column in chunk.columns else pd.Series(pd.NA, index=chunk.index, dtype=STRING)
    )


def _extra_figures(chunk: pd.DataFrame) -> pd.Series:
    """Figures that fit no column, as sentences with digits."""
    idx = chunk.index
    number = {c: whole_numbers(chunk[c])[0] if c in chunk.columns else pd.Series(pd.NA, index=idx, dtype="Int64")
              for c in ("not_reach_goal", "still_attacking", "num_hit_location", "num_fall_fragment_location",
                        "is_shahed", "turbojet", "turbojet_destroyed")}  # fmt: skip
    n = {c: v.astype(STRING) for c, v in number.items()}
    crossing = _words(chunk, "border_crossing").fillna("").map(
        lambda v: "; ".join(f"{int(float(k))} flew into {c.title()}" for c, k in re.findall(r"'([^']+)':\s*([\d.]+)", v))
    )  # fmt: skip
    regions = _words(chunk, "affected region").fillna("").str.replace(r"[\[\]']", "", regex=True)
    carrier = _words(chunk, "carrier")
    return join(
        clause(number["not_reach_goal"].notna(), " ", n["not_reach_goal"],
               " did not reach their targets (lost, mostly to electronic warfare)."),
        clause(number["still_attacking"].notna() & number["still_attacking"].gt(0), " ", n["still_attacking"],
               " were still in the air when the report was issued."),
        clause(crossing.ne(""), " ", crossing.str.replace("; ", ", "), "."),
        clause(number["is_shahed"].notna(), " ", n["is_shahed"], " of those launched were Shahed-type."),
        clause(number["turbojet"].notna(), " Jet-powered: ", n["turbojet"], " launched",
               clause(number["turbojet_destroyed"].notna(), ", ", n["turbojet_destroyed"], " destroyed"), "."),
        clause(number["num_hit_location"].notna(), " Hits were recorded at ", n["num_hit_location"], " locations."),
        clause(number["num_fall_fragment_location"].notna(), " Debris fell at ",
               n["num_fall_fragment_location"], " locations."),
        clause(carrier.notna(), " Launched from ", carrier, "."),
        clause(regions.ne(""), " Regions affected: ", regions, "."),
    )  # fmt: skip


@dataclass
class _Tally:
    """A chunk's rows as read and parsed, before they become events (one per row, or one per
    window with --combine)."""

    start: pd.Series
    end: pd.Series
    starts: pd.Series
    """'af-2024-11-25[-1930]': the start as written into ids."""
    ends: pd.Series
    post: pd.Series
    """The source post, as written."""
    event_id: pd.Series
    window: pd.Series
    model: pd.Series
    weapon: pd.Series
    role: pd.Series
    kinds: pd.Series
    launched: pd.Series
    destroyed: pd.Series
    launch_place: pd.Series
    area: pd.Series
    outlet: pd.Series
    url: pd.Series
    extra: pd.Series


def _tally(chunk: pd.DataFrame, r: Reasons) -> _Tally:
    """Parse a chunk's times, models and figures, rejecting what cannot be read."""
    start, start_hhmm, start_text, bad_start = _times(chunk["time_start"])
    end, end_hhmm, end_text, bad_end = _times(chunk["time_end"])
    r.add(bad_start, "bad date", "time_start " + quoted(chunk["time_start"]))
    r.add(bad_end, "bad date", "time_end " + quoted(chunk["time_end"]))

    written = text(chunk["model"])
    parsed = {value: parse_models(value) for value in written.dropna().unique()}
    known = written.map(lambda v: isinstance(v, str) and parsed.get(v) is not None).astype(bool)
    r.add(~known, "unknown model", quoted(chunk["model"]))
    info = written.map(lambda v: parsed.get(v) if isinstance(v, str) else None)
    model = info.map(lambda p: " and ".join(p[0]) if p else None).astype(STRING)  # the table's spelling
    kinds = info.map(lambda p: frozenset(m.kind for m in p[1]) if p else frozenset())
    weapon = info.map(lambda p: "; ".join(p[0]) if p else None).astype(STRING)
    role = info.map(lambda p: " and ".join(dict.fromkeys(m.role for m in p[1])) if p else None).astype(STRING)

    launched, bad_launched = whole_numbers(chunk["launched"])
    destroyed, bad_destroyed = whole_numbers(chunk["destroyed"])
    r.add(bad_launched, "launched is not a whole number", quoted(chunk["launched"]))
    r.add(bad_destroyed, "destroyed is not a whole number", quoted(chunk["destroyed"]))

    window = join(start_text, clause(end_text.ne(start_text), " to ", end_text))
    launch_place, target = _words(chunk, "launch_place"), _words(chunk, "target")
    target_main = _words(chunk, "target_main")
    area = target_main.fillna(target)
    area = area.str.casefold().map(DIRECTIONS).fillna(area).astype(STRING)
    outlet, url = _sources(chunk["source"])

    # Every id comes from its own row: the start, then a digest of the rest of what makes the
    # row one report (window end, route, source post), so a newer copy of the file that adds a
    # report of the same model and start cannot rename an existing row.
    starts = join("af-", start.dt.strftime("%Y-%m-%d"), clause(start_hhmm.notna(), "-", start_hhmm))
    ends = _moment(end, end_hhmm)
    post = text(chunk["source"])
    identity = short_digest(ends, _folded(launch_place), _folded(target), post)
    event_id = join(starts, "-", slug(model), "-", identity)
    return _Tally(start, end, starts, ends, post, event_id, window, model, weapon, role, kinds, launched,
                  destroyed, launch_place, area, outlet, url, _extra_figures(chunk))  # fmt: skip


def map_chunk(chunk: pd.DataFrame, options: Options) -> Mapped:
    idx = chunk.index
    r = Reasons(idx)
    t = _tally(chunk, r)
    if options.combine:
        return _combined(chunk, r, t)
    launched, destroyed, model, window = t.launched, t.destroyed, t.model, t.window
    types_units = t.kinds.map(_type_and_unit)
    said = join(
        "Ukraine's Air Force reported ",
        clause(launched.notna(), launched.astype(STRING), " "), model, " (", t.role, ")",
        clause(launched.isna(), ", number launched not given,"), " launched",
        clause(t.launch_place.notna(), " from ", t.launch_place), clause(t.area.notna(), " towards ", t.area),
        ", ", window, ".",
        clause(destroyed.notna(), " ", destroyed.astype(STRING), clause(destroyed.eq(1), " was"),
               clause(destroyed.ne(1), " were"), " destroyed."),
    )  # fmt: skip
    title = join(
        "Air Force tally: ", model, clause(launched.notna(), ", ", launched.astype(STRING), " launched"),
        clause(destroyed.notna(), ", ", destroyed.astype(STRING), " destroyed"),
    )  # fmt: skip
    rows = {
        Col.EVENT_ID: t.event_id,
        Col.DATE_START: t.start,
        Col.DATE_END: t.end,
        Col.DATE_PRECISION: "day",
        Col.DATE_TEXT: window,
        Col.EVENT_TYPE: types_units.map(lambda tu: tu[0]).astype(STRING),
        Col.TITLE: truncate(title, MAX_TITLE_LENGTH),
        Col.SUMMARY: join(said, t.extra),
        Col.ACTORS: _constant_list(idx, ACTORS),
        Col.COUNTRIES: _constant_list(idx, COUNTRIES),
        Col.INITIATOR_COUNTRIES: _constant_list(idx, LAUNCHED_BY),
        Col.LOCATION: t.area,
        Col.COUNT: launched,
        Col.COUNT_UNIT: types_units.map(lambda tu: tu[1])
        .astype(STRING)
        .where(launched.notna() | destroyed.notna()),
        Col.INTERCEPTED: destroyed.where(launched.notna()),  # of no known total: the title says it
        Col.WEAPON: t.weapon,
        Col.CONFIDENCE: CONFIDENCE,
        Col.SOURCE_OUTLET: t.outlet,
        Col.SOURCE_URL: t.url,
    }
    return mapped(rows, idx, r)


def _constant_list(idx: pd.Index, values: tuple[str, ...]) -> pd.Series:
    return string_lists(idx, *[pd.Series(v, index=idx, dtype=STRING) for v in values])


def _total(frame: pd.DataFrame, column: str, lead: pd.Index) -> tuple[pd.Series, pd.Series]:
    """Per window (`frame` rows grouped by `first`, the window's lead row): the sum of `column`
    when every model gives a figure, else missing; and, when some do and some do not, the
    models without one ('C-300'), else missing."""
    grouped = frame.groupby("first")[column]
    given, size = grouped.count().reindex(lead), grouped.size().reindex(lead)
    total = grouped.sum(min_count=1).astype("Int64").reindex(lead)
    blank = frame[frame[column].isna()]
    missing = blank.groupby("first")["model"].agg(", ".join).astype(STRING).reindex(lead)
    return total.where(given.eq(size)), missing.where(given.gt(0) & given.lt(size))


def _combined(chunk: pd.DataFrame, r: Reasons, t: _Tally) -> Mapped:
    """One event per (window, report): models merged, per-model figures in the summary. A row
    repeating another (the same per-model id) is rejected alone, so it is not counted twice."""
    idx = chunk.index
    first = _windows(idx, r, t)
    frame, lead, skipped = _merged(idx, r, t, first)
    start, end, starts, ends, post, window, area = t.start, t.end, t.starts, t.ends, t.post, t.window, t.area
    # A blank figure is unknown, not zero: a sum over a window with a blank is no total.
    total, total_gap = _total(frame, "launched", lead)
    down, down_gap = _total(frame, "destroyed", lead)
    grouped = frame.groupby("first", sort=True)
    models = (
        grouped["weapon"]
        .agg(lambda w: "; ".join(dict.fromkeys(n for v in w for n in v.split("; "))))
        .astype(STRING)
        .reindex(lead)
    )
    parts = grouped["part"].agg(lambda p: "; ".join(p)).astype(STRING).reindex(lead)
    merged_kinds = grouped["kinds"].agg(lambda k: frozenset().union(*k)).reindex(lead)
    types_units = merged_kinds.map(_type_and_unit)

    event_id = join(starts[lead], "-combined-", short_digest(ends[lead], post[lead]))
    said_launched = join(clause(total.notna(), total.astype(STRING), " launched"),
                         clause(total_gap.notna(), "total launched not given"))  # fmt: skip
    said_down = join(clause(down.notna(), down.astype(STRING), " destroyed"),
                     clause(down_gap.notna(), "total destroyed not given"))  # fmt: skip
    figures = join(said_launched, clause(said_launched.ne("") & said_down.ne(""), ", "), said_down)

    rows = {
        Col.EVENT_ID: event_id,
        Col.DATE_START: start[lead],
        Col.DATE_END: end[lead],
        Col.DATE_PRECISION: "day",
        Col.DATE_TEXT: window[lead],
        Col.EVENT_TYPE: types_units.map(lambda tu: tu[0]).astype(STRING),
        Col.TITLE: truncate(join("Air Force tally, ", window[lead], clause(figures.ne(""), ": ", figures)),
                            MAX_TITLE_LENGTH),
        Col.SUMMARY: join("Ukraine's Air Force reported for ", window[lead], clause(area[lead].notna(), " (", area[lead], ")"),
                          ": ", parts, ".",
                          clause(total_gap.notna(), " No total launched is stored: the report gives no number for ",
                                 total_gap, "."),
                          clause(down_gap.notna(), " No total destroyed is stored: the report gives no number for ",
                                 down_gap, ".")),
        Col.ACTORS: _constant_list(lead, ACTORS),
        Col.COUNTRIES: _constant_list(lead, COUNTRIES),
        Col.INITIATOR_COUNTRIES: _constant_list(lead, LAUNCHED_BY),
        Col.LOCATION: area[lead],
        Col.COUNT: total,
        Col.COUNT_UNIT: types_units.map(lambda tu: tu[1]).astype(STRING).where(total.notna() | down.notna()),
        Col.INTERCEPTED: down.where(total.notna()),  # of no known total: the summary says it
        Col.WEAPON: models,
        Col.CONFIDENCE: CONFIDENCE,
        Col.SOURCE_OUTLET: t.outlet[lead],
        Col.SOURCE_URL: t.url[lead],
    }  # fmt: skip
    result = mapped(rows, lead, Reasons(lead))
    return Mapped(result.rows, r.frame(), skipped, "merged into the same window's event")


def _windows(idx: pd.Index, r: Reasons, t: _Tally) -> pd.Series:
    """Each row's window (the lead row's number); a window with a rejected row is rejected
    whole, and a row repeating another of its window (same per-model id) alone."""
    group = join(t.starts, "|", t.ends, "|", t.post)
    group = group.where(r.category.ne("bad date").fillna(True), join("bad date|", t.window, "|", t.post))
    first = pd.Series(idx, index=idx).groupby(group.to_numpy()).transform("min")
    bad_rows = r.rejected
    bad_groups = set(group[bad_rows])
    r.add(group.isin(bad_groups) & ~bad_rows, "window has a rejected row",
          "another model of this window was rejected (row " + first.astype(str) + " onwards)")  # fmt: skip
    ids = t.event_id[~r.rejected]
    repeated = ids.duplicated(keep="first")
    original = pd.Series(ids.index, index=ids.index).groupby(ids.to_numpy()).transform("first")
    r.add(repeated.reindex(idx, fill_value=False), "duplicate row",
          "same model, window, route and post as row " + original.astype(str).reindex(idx))  # fmt: skip
    return first


def _merged(idx: pd.Index, r: Reasons, t: _Tally, first: pd.Series) -> tuple[pd.DataFrame, pd.Index, int]:
    """The kept rows with their window and per-model sentence; the windows' lead rows; how
    many rows were merged into another's event."""
    launched, destroyed, extra = t.launched, t.destroyed, t.extra
    part = join(
        clause(launched.notna(), launched.astype(STRING), " "), t.model,
        clause(launched.isna(), " (number launched not given)"),
        clause(destroyed.notna(), ", ", destroyed.astype(STRING), " destroyed"),
        clause(extra.ne(""), ",", extra.str.replace(".", ";", regex=False).str.rstrip(";")),
    )  # fmt: skip
    ok = ~r.rejected
    frame = pd.DataFrame(
        {"first": first, "launched": launched, "destroyed": destroyed, "model": t.model, "weapon": t.weapon,
         "part": part, "kinds": t.kinds}
    )[ok]  # fmt: skip
    grouped = frame.groupby("first", sort=True)
    lead = frame.index[frame.index.isin(grouped.groups.keys())]
    return frame, lead, int(ok.sum()) - len(lead)


FORMAT = Format(
    name=NAME,
    title="an Air Force tallies file (missile_attacks_daily.csv)",
    map=map_chunk,
    required=REQUIRED,
    whole_file=True,
)
