"""The event form: the fields of `timeline add`, turned into a row by the same step
(`entry.row`: a reported phrase becomes its interval, a place name its coordinates) and
checked by the same rules (`validation.check`, through `service`). The interval and the
place are shown as they are typed; every problem is shown beside its field.

Everything typed is shown back as text: messages go through `escape_markdown`, values stay
in widgets. Values are never cleaned, only refused (or, for text a spreadsheet would run as
a formula, flagged: it is stored as typed, shown as text, and neutralised in exports).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import streamlit as st

from timeline.domain import entry, taxonomy
from timeline.domain.schema import Col
from timeline.domain.validation import ISO3, Problem
from timeline.engine import EngineError, open_engine
from timeline.export.data import FORMULA_STARTS
from timeline.formatting import country_name, escape_markdown, format_dates
from timeline.storage import datasets, store
from timeline.storage.history import Values
from timeline.view import View

PHRASE, EXACT = "As reported", "Exact dates"

COLUMN_FIELD: dict[str, str] = {
    Col.EVENT_ID: "event_id",
    Col.DATE_START: "start",
    Col.DATE_END: "end",
    Col.DATE_PRECISION: "precision",
    Col.DATE_TEXT: "date_text",
    Col.EVENT_TYPE: "event_type",
    Col.TITLE: "title",
    Col.SUMMARY: "summary",
    Col.KEY_LABEL: "key_label",
    Col.ACTORS: "actors",
    Col.COUNTRIES: "countries",
    Col.INITIATOR_COUNTRIES: "initiators",
    Col.LOCATION: "location",
    Col.LATITUDE: "latitude",
    Col.LONGITUDE: "longitude",
    Col.GEO_PRECISION: "location",
    Col.AREA_CODE: "location",
    Col.COUNT: "count",
    Col.COUNT_UNIT: "unit",
    Col.INTERCEPTED: "intercepted",
    Col.WEAPON: "weapon",
    Col.CONFIDENCE: "confidence",
    Col.SOURCE_OUTLET: "outlet",
    Col.SOURCE_URL: "url",
    Col.SOURCE_PUBLISHED: "published",
    "as_of": "published",
    Col.OTHER_SOURCES: "other_sources",
    "reason": "reason",
}
"""Which field of the form shows a problem with a column (or with `entry.row`'s names)."""
PHRASE_FIELDS = {"start": "when", "end": "when", "precision": "when", "date_text": "when"}
"""With a reported phrase the dates are not typed: their problems go beside the phrase."""
FORMULA_FIELDS = ("title", "summary", "key_label", "location", "weapon", "outlet", "date_text", "when")


@dataclass(frozen=True)
class Options:
    """What the pickers offer: the taxonomy, and values already in the dataset."""

    actors: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()


@st.cache_data(show_spinner=False, max_entries=4)
def _options(path: str, version: str) -> Options:
    """Asked of the engine, as the dashboard asks it: the dataset's summary (from the parts'
    footers for a folder) and its outlets, whichever the layout."""
    del version  # the cache key: a new version of the dataset is asked again
    engine = open_engine(Path(path))
    summary = engine.summary

    def unique(values: Any) -> tuple[str, ...]:
        return tuple(sorted(str(v) for v in values if v))

    return Options(
        actors=unique(summary.actors),
        outlets=unique(engine.outlets(View()).index),
        countries=unique(summary.countries),
    )


def options(path: Path) -> Options:
    try:
        dataset = datasets.at(path)
        if not dataset.files():  # a new, empty folder: nothing to offer, nothing for the engine to read
            return Options()
        return _options(str(dataset.target), dataset.version())
    except (OSError, store.DatasetError, EngineError):
        return Options()


@dataclass
class Form:
    """One form's widgets in session state, under `prefix` (`add`, `fix`)."""

    prefix: str
    base: Values | None = None
    """The event as it was opened, for a correction."""

    def key(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    def get(self, name: str, default: Any = None) -> Any:
        value = st.session_state.get(self.key(name), default)
        return default if value is None else value

    def text(self, name: str) -> str | None:
        value = self.get(name, "")
        value = value.strip() if isinstance(value, str) else str(value)
        return value or None

    def set(self, name: str, value: Any) -> None:
        st.session_state[self.key(name)] = value

    def clear(self) -> None:
        for name in list(st.session_state):
            if isinstance(name, str) and name.startswith(f"{self.prefix}_"):
                del st.session_state[name]


def load(form: Form, values: Values) -> None:
    """Fill the form with an event's values (to correct it)."""
    form.clear()

    def text(name: str) -> str:
        value = values.get(name)
        return "" if value is None else str(value)

    form.set("title", text(Col.TITLE))
    form.set("event_type", values.get(Col.EVENT_TYPE))
    form.set("confidence", values.get(Col.CONFIDENCE))
    form.set("date_mode", EXACT)
    form.set("start", text(Col.DATE_START))
    form.set("end", text(Col.DATE_END))
    form.set("precision", values.get(Col.DATE_PRECISION) or "day")
    form.set("date_text", text(Col.DATE_TEXT))
    form.set("published", text(Col.SOURCE_PUBLISHED))
    form.set("event_id", text(Col.EVENT_ID))
    form.set("summary", text(Col.SUMMARY))
    form.set("key_label", text(Col.KEY_LABEL))
    form.set("actors", list(values.get(Col.ACTORS) or []))
    form.set("countries", list(values.get(Col.COUNTRIES) or []))
    form.set("initiators", list(values.get(Col.INITIATOR_COUNTRIES) or []))
    form.set("location", text(Col.LOCATION))
    form.set("latitude", text(Col.LATITUDE))
    form.set("longitude", text(Col.LONGITUDE))
    form.set("count", text(Col.COUNT))
    form.set("unit", values.get(Col.COUNT_UNIT))
    form.set("intercepted", text(Col.INTERCEPTED))
    form.set("weapon", text(Col.WEAPON))
    form.set("outlet", values.get(Col.SOURCE_OUTLET))
    form.set("url", text(Col.SOURCE_URL))
    form.set("other_sources", "\n".join(values.get(Col.OTHER_SOURCES) or []))


def _number(form: Form, name: str, problems: list[Problem]) -> float | None:
    text = form.text(name)
    if text is None:
        return None
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        problems.append(Problem("not a number (decimal degrees, e.g. 50.45)", column=name, value=text))
        return None
    if not math.isfinite(number):
        problems.append(Problem("not a finite number", column=name, value=text))
        return None
    return number


def to_entry(form: Form) -> tuple[entry.Entry, list[Problem]]:
    """The form's values as an `entry.Entry`, and problems found reading them (a latitude
    that is not a number). Counts go on as typed: the rules parse them."""
    problems: list[Problem] = []
    phrase = form.get("date_mode", PHRASE) == PHRASE
    latitude, longitude = _number(form, "latitude", problems), _number(form, "longitude", problems)
    precision, area = None, None
    base = form.base
    if base is not None and latitude is not None:
        same_place = form.text("location") == base.get(Col.LOCATION)
        same_point = (latitude, longitude) == (base.get(Col.LATITUDE), base.get(Col.LONGITUDE))
        if same_point and not same_place:  # a new place name: placed afresh by the gazetteer
            latitude = longitude = None
        elif same_point:  # unchanged: keep how exactly it was placed
            precision, area = base.get(Col.GEO_PRECISION), base.get(Col.AREA_CODE)
    lines = [line.strip() for line in (form.get("other_sources", "") or "").splitlines()]
    found = entry.Entry(
        title=form.text("title") or "",
        event_type=form.get("event_type") or "",
        outlet=form.text("outlet") or "",
        confidence=form.get("confidence") or "",
        start=None if phrase else form.text("start"),
        end=None if phrase else form.text("end"),
        precision=form.get("precision") or "day",
        when=form.text("when") if phrase else None,
        date_text=None if phrase else form.text("date_text"),
        published=form.text("published"),
        event_id=form.text("event_id"),
        summary=form.text("summary"),
        key_label=form.text("key_label"),
        actors=list(form.get("actors", [])),
        countries=list(form.get("countries", [])),
        initiators=list(form.get("initiators", [])),
        location=form.text("location"),
        latitude=latitude,
        longitude=longitude,
        geo_precision=precision,
        area_code=area,
        count=form.text("count"),  # type: ignore[arg-type]  # parsed by the rules, like a CSV cell
        unit=form.get("unit"),
        intercepted=form.text("intercepted"),  # type: ignore[arg-type]
        weapon=form.text("weapon"),
        url=form.text("url"),
        other_sources=[line for line in lines if line],
        dataset=str((base or {}).get(Col.DATASET) or taxonomy.DATASETS_CURATED),
    )
    return found, problems


@dataclass
class Reading:
    """The form as a row: what `entry.row` made of it and what it found."""

    raw: Values
    notes: list[str]
    problems: list[Problem]
    interval: str | None = None
    place: str | None = None
    formulas: dict[str, str] = field(default_factory=dict)
    countries: str | None = None
    """Where the stored countries come from when none are picked (the place, the side), or
    a warning that there are none."""


def read(form: Form) -> Reading:
    """The form's values through `entry.row`, the one step `timeline add` also takes."""
    found, problems = to_entry(form)
    raw, notes, more = entry.row(found)
    problems += more
    interval = None
    if raw.get(Col.DATE_START) and not any(
        p.column in (Col.DATE_START, Col.DATE_TEXT, "as_of") for p in problems
    ):
        try:
            start, end = (
                date.fromisoformat(raw[Col.DATE_START]),
                date.fromisoformat(raw[Col.DATE_END] or raw[Col.DATE_START]),
            )
            interval = f"{format_dates(start, end, 'day')}, dated to the {raw[Col.DATE_PRECISION]}"
        except (TypeError, ValueError):
            interval = None
    place = next((n for n in notes if n.startswith(("placed", f"{found.location!r} is not"))), None)
    if form.base is not None and place is None and found.location and found.latitude is not None:
        place = f"at {found.latitude:.4f}, {found.longitude:.4f} (as stored; change the place name to place it again)"
    countries = next((n for n in notes if n.startswith(entry.COUNTRY_NOTES)), None)
    return Reading(raw, notes, problems, interval, place, formulas(form), countries)


def formulas(form: Form) -> dict[str, str]:
    """Fields whose text a spreadsheet would run as a formula."""
    out = {}
    for name in FORMULA_FIELDS:
        value = form.text(name)
        if value and value.startswith(FORMULA_STARTS):
            out[name] = (
                f"Starts with {value[0]!r}, as a spreadsheet formula does. It is kept and shown as text, and "
                "exports put a ' before it so no spreadsheet runs it; tick 'Save anyway' below if it is meant."
            )
    return out


def by_field(problems: list[Problem], phrase: bool) -> dict[str, list[str]]:
    """Problems per form field ('' for those no field shows)."""
    out: dict[str, list[str]] = {}
    for p in problems:
        name = COLUMN_FIELD.get(p.column or "", "")
        if phrase:
            name = PHRASE_FIELDS.get(name, name)
        out.setdefault(name, []).append(p.reason)
    return out


def say_problems(reasons: list[str]) -> None:
    for reason in reasons:
        st.error(escape_markdown(reason), icon=":material/error:")


Beside = Callable[[str], None]
"""Shows a field's problems (and a formula warning) under it."""


def render(form: Form, opts: Options, reading: Reading, problems: Mapping[str, list[str]]) -> None:
    """Draw the fields, each problem beside its field, the interval and place as typed: what
    and when on the left; who, where, how many and the source on the right."""

    def beside(name: str) -> None:
        say_problems(problems.get(name, []))
        if name in reading.formulas:
            st.warning(escape_markdown(reading.formulas[name]), icon=":material/warning:")

    left, right = st.columns(2, gap="large")
    with left:
        _what_and_when(form, reading, beside)
    with right:
        _who(form, opts, reading, beside)
        _where_how_many_and_source(form, opts, reading, beside)
    say_problems(problems.get("", []))


def _what_and_when(form: Form, reading: Reading, beside: Beside) -> None:
    """Title, type, confidence, the dates (as reported or exact), the identifier, the summary."""
    correcting = form.base is not None
    st.text_input("Title (in our own words)", key=form.key("title"), placeholder="Drones over Kyiv")
    beside("title")
    st.selectbox(
        "Event type",
        taxonomy.EVENT_TYPE_KEYS,
        index=None,
        key=form.key("event_type"),
        format_func=lambda k: f"{taxonomy.LABELS[k]} ({taxonomy.group_of(k)})",
        placeholder="Choose a type",
    )
    beside("event_type")
    st.radio(
        "Confidence",
        taxonomy.CONFIDENCES,
        key=form.key("confidence"),
        index=None,
        horizontal=True,
        captions=[taxonomy.CONFIDENCE_HELP[c] for c in taxonomy.CONFIDENCES],
    )
    beside("confidence")
    st.radio("Dates", (PHRASE, EXACT), key=form.key("date_mode"), horizontal=True)
    if form.get("date_mode", PHRASE) == PHRASE:
        st.text_input(
            "Date as reported",
            key=form.key("when"),
            placeholder="Monday night, last week, Oct. 29",
            help="Turned into the interval it means, counted from the publication date.",
        )
        beside("when")
    else:
        a, b, c = st.columns(3)
        a.text_input("First day", key=form.key("start"), placeholder="YYYY-MM-DD")
        b.text_input("Last day", key=form.key("end"), placeholder="same day")
        c.selectbox("Dated to the", taxonomy.PRECISIONS, key=form.key("precision"))
        for name in ("start", "end", "precision"):
            beside(name)
        st.text_input("Date as reported (optional)", key=form.key("date_text"), placeholder="Monday night")
        beside("date_text")
    st.text_input("Source published", key=form.key("published"), placeholder="YYYY-MM-DD")
    beside("published")
    if reading.interval:
        st.info(f"Means **{escape_markdown(reading.interval)}**", icon=":material/date_range:")
    st.text_input(
        "Identifier",
        key=form.key("event_id"),
        disabled=correcting,
        placeholder=f"{reading.raw.get('event_id') or 'from the first day and the title'}",
        help="Never changes once saved. Leave empty to make it from the first day and the title.",
    )
    beside("event_id")
    st.text_area("Summary (one to three sentences, our own words)", key=form.key("summary"), height=110)
    beside("summary")
    st.text_input("Key event label (optional, at most 60 characters)", key=form.key("key_label"))
    beside("key_label")


def _who(form: Form, opts: Options, reading: Reading, beside: Beside) -> None:
    """Actors, countries (and what they will be stored as) and the side that acted."""
    _multiselect("Actors", form.key("actors"), opts.actors, form.get("actors", []), new=True)
    beside("actors")
    codes = sorted(set(opts.countries) | set(form.get("countries", [])) | ISO3)
    _multiselect(
        "Countries",
        form.key("countries"),
        codes,
        form.get("countries", []),
        fmt=country_name,
        first=opts.countries,
    )
    beside("countries")
    if reading.countries and reading.countries.startswith("warning"):
        st.warning(escape_markdown(reading.countries.removeprefix("warning: ").replace(" (--country)", "")))
    elif reading.countries:
        st.caption(escape_markdown("Stored as " + reading.countries.replace(" (--country)", "")))
    _multiselect(
        "Side that acted (required for strikes)",
        form.key("initiators"),
        codes,
        form.get("initiators", []),
        fmt=country_name,
        first=opts.countries,
    )
    beside("initiators")


def _where_how_many_and_source(form: Form, opts: Options, reading: Reading, beside: Beside) -> None:
    """The place (and where the gazetteer puts it), the counts, the weapon and the sources."""
    st.text_input("Place", key=form.key("location"), placeholder="Kyiv; near Lotarevka; Kursk region")
    beside("location")
    if reading.place:
        st.caption(escape_markdown(reading.place[:1].upper() + reading.place[1:]))
    a, b = st.columns(2)
    a.text_input("Latitude", key=form.key("latitude"), placeholder="from the place")
    b.text_input("Longitude", key=form.key("longitude"), placeholder="from the place")
    beside("latitude")
    beside("longitude")
    a, b, c = st.columns(3)
    a.text_input("Count", key=form.key("count"), placeholder="none given")
    b.selectbox("Unit", list(taxonomy.COUNT_UNITS), index=None, key=form.key("unit"), placeholder="-")
    c.text_input("Intercepted", key=form.key("intercepted"), placeholder="none given")
    for name in ("count", "unit", "intercepted"):
        beside(name)
    st.text_input("Weapon (';'-separated)", key=form.key("weapon"))
    beside("weapon")
    outlets = sorted(set(opts.outlets) | ({form.get("outlet")} - {None}))
    st.selectbox(
        "Source outlet",
        outlets,
        index=None,
        key=form.key("outlet"),
        accept_new_options=True,
        placeholder="Pick or type the outlet",
    )
    beside("outlet")
    st.text_input("Source address (http or https)", key=form.key("url"), placeholder="https://")
    beside("url")
    st.text_area("Other sources (one address a line)", key=form.key("other_sources"), height=80)
    beside("other_sources")


def _multiselect(
    label: str,
    key: str,
    options: Any,
    chosen: list[str],
    *,
    new: bool = False,
    fmt: Any = str,
    first: tuple[str, ...] = (),
) -> None:
    """Existing values first, then the rest; what is chosen is always among the options."""
    ordered = list(dict.fromkeys([*first, *chosen, *options]))
    st.multiselect(label, ordered, key=key, format_func=fmt, accept_new_options=new)
