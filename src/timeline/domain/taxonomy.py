"""The controlled vocabularies: event types, groups, precisions, confidence, count units.

Every chart colour, filter option, importer mapping and validation rule reads from here,
so adding a type is a one-place change (and `docs/schema.md` lists the same table).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Group:
    key: str
    label: str


@dataclass(frozen=True)
class EventType:
    key: str
    label: str
    group: str
    colour: str
    description: str
    symbol: str = "circle"
    """Plotly marker symbol: within a group, shape tells types apart as well as colour."""
    acled: tuple[str, ...] = field(default_factory=tuple)
    """ACLED sub-event types that import as this type (see `acled_event_type`)."""
    cameo: tuple[str, ...] = field(default_factory=tuple)
    """CAMEO code prefixes that import as this type (longest prefix wins)."""


GROUPS: tuple[Group, ...] = (
    Group("diplomacy", "Diplomacy"),
    Group("statements", "Statements"),
    Group("policy", "Policy"),
    Group("military", "Military"),
    Group("intelligence", "Intelligence"),
    Group("civil", "Civil unrest"),
    Group("other", "Other"),
)

# Colours: told apart within a group under deuteranopia and protanopia too (tests/test_taxonomy.py
# simulates both), and by marker shape; the same shape never repeats within a group.
EVENT_TYPES: tuple[EventType, ...] = (
    EventType(
        "meeting",
        "Meeting",
        "diplomacy",
        "#1c46f4",
        "In-person talks, summits, summonses, council sessions.",
        symbol="circle",
        cameo=("036", "040", "044", "045", "046"),
    ),
    EventType(
        "call",
        "Phone call",
        "diplomacy",
        "#62cefb",
        "Phone or video calls between leaders or officials.",
        symbol="diamond",
        cameo=("041",),
    ),
    EventType(
        "visit",
        "Visit",
        "diplomacy",
        "#20b978",
        "An official arriving in another country (the talks themselves are meetings).",
        symbol="triangle-up",
        cameo=("042", "043"),
    ),
    EventType(
        "agreement",
        "Agreement",
        "diplomacy",
        "#2f2d6c",
        "Treaties signed, ratified or entering into force; formal deals.",
        symbol="square",
        acled=("Agreement",),
        cameo=("057",),
    ),
    EventType(
        "statement",
        "Statement",
        "statements",
        "#8e44ad",
        "Public statements, addresses, interviews, official briefings to the press.",
        symbol="circle",
        cameo=("01",),
    ),
    EventType(
        "press_conference",
        "Press conference",
        "statements",
        "#d7a6e8",
        "A press conference where the event is what was said there.",
        symbol="square",
    ),
    EventType(
        "policy_decision",
        "Policy decision",
        "policy",
        "#2e9e5b",
        "Decisions by a government: authorisations, doctrines, laws submitted.",
        symbol="pentagon",
        acled=("Change to group/activity",),
    ),
    EventType(
        "troop_deployment",
        "Troop deployment",
        "military",
        "#1f8a7f",
        "Troops sent, moved or reported present; count is the troops reported.",
        symbol="triangle-up",
        acled=("Headquarters or base established",),
        cameo=("15",),
    ),
    EventType(
        "missile_strike",
        "Missile strike",
        "military",
        "#d62728",
        "Missiles launched at a target; count is missiles launched.",
        symbol="diamond",
        acled=("Shelling/artillery/missile attack",),
        cameo=("1951",),
    ),
    EventType(
        "drone_attack",
        "Drone attack",
        "military",
        "#ff7f0e",
        "Attack drones launched; count is drones launched.",
        symbol="circle",
        acled=("Air/drone strike",),
        cameo=("1952",),
    ),
    EventType(
        "combined_strike",
        "Combined strike",
        "military",
        "#762886",
        "Missiles and drones in one attack; count is their total.",
        symbol="square",
    ),
    EventType(
        "air_strike",
        "Air strike",
        "military",
        "#4758e0",
        "Strikes by aircraft (imported ACLED air strikes with no drone named).",
        symbol="triangle-down",
        cameo=("195",),
    ),
    EventType(
        "shelling",
        "Shelling",
        "military",
        "#c5937b",
        "Artillery or rocket fire (imported; missiles named in notes become missile strikes).",
        symbol="hexagon",
        cameo=("194",),
    ),
    EventType(
        "armed_clash",
        "Armed clash",
        "military",
        "#8b4152",
        "Battles between armed groups, territory changing hands.",
        symbol="x",
        acled=(
            "Armed clash",
            "Government regains territory",
            "Non-state actor overtakes territory",
        ),
        cameo=("19",),
    ),
    EventType(
        "interception",
        "Interception",
        "military",
        "#f2e35c",
        "Weapons intercepted or disrupted without a recorded attack (ACLED).",
        symbol="star",
        acled=("Disrupted weapons use",),
    ),
    EventType(
        "violence_against_civilians",
        "Violence against civilians",
        "military",
        "#d56fc3",
        "Attacks, abductions or sexual violence against civilians.",
        symbol="cross",
        acled=("Attack", "Abduction/forced disappearance", "Sexual violence"),
        cameo=("18", "20"),
    ),
    EventType(
        "intelligence_report",
        "Intelligence report",
        "intelligence",
        "#b89b00",
        "Assessments released or briefed by an intelligence service.",
        symbol="hexagram",
    ),
    EventType(
        "protest",
        "Protest or riot",
        "civil",
        "#17a5b8",
        "Demonstrations, riots and mob violence.",
        symbol="triangle-left",
        acled=(
            "Peaceful protest",
            "Protest with intervention",
            "Excessive force against protesters",
            "Violent demonstration",
            "Mob violence",
        ),
        cameo=("14",),
    ),
    EventType(
        "other",
        "Other",
        "other",
        "#8a8f98",
        "Anything else; the summary says what.",
        symbol="circle",
        acled=(
            "Arrests",
            "Looting/property destruction",
            "Non-violent transfer of territory",
            "Other",
            "Remote explosive/landmine/IED",
            "Grenade",
            "Suicide bomb",
            "Chemical weapon",
        ),
    ),
)

TYPES_BY_KEY: dict[str, EventType] = {t.key: t for t in EVENT_TYPES}
EVENT_TYPE_KEYS: tuple[str, ...] = tuple(TYPES_BY_KEY)
GROUP_KEYS: tuple[str, ...] = tuple(g.key for g in GROUPS)
COLOURS: dict[str, str] = {t.key: t.colour for t in EVENT_TYPES}
LABELS: dict[str, str] = {t.key: t.label for t in EVENT_TYPES}

PRECISIONS: tuple[str, ...] = ("day", "week", "month", "year")
MAX_SPAN_DAYS: dict[str, int] = {"week": 7, "month": 31, "year": 366}
"""Longest inclusive interval a precision may cover; `day` events may span any number of
known days (an overnight attack, a week-long visit with known dates)."""

CONFIDENCES: tuple[str, ...] = ("confirmed", "reported", "claimed")
CONFIDENCE_HELP: dict[str, str] = {
    "confirmed": "official statement and/or two or more outlets agree",
    "reported": "a single outlet, unnamed officials, or figures found in one outlet only",
    "claimed": "rests on one belligerent's unverified claim",
}

COUNT_UNITS: dict[str, str] = {
    "drones": "drones launched",
    "missiles": "missiles launched",
    "drones+missiles": "drones and missiles launched (breakdown in the summary)",
    "projectiles": "projectiles of unspecified kind",
    "troops": "troops reported deployed or present",
    "casualties": "people killed or wounded",
    "fatalities": "people killed",
    "people": "people (summary says who)",
}
UNIT_NOUNS: dict[str, tuple[str, str]] = {
    "drones": ("drone", "drones"),
    "missiles": ("missile", "missiles"),
    "drones+missiles": ("drone or missile", "drones and missiles"),
    "projectiles": ("projectile", "projectiles"),
    "troops": ("soldier", "troops"),
    "casualties": ("casualty", "casualties"),
    "fatalities": ("killed", "killed"),
    "people": ("person", "people"),
}
"""How a count reads on a label: '1 drone', '188 drones', '11,000 troops'."""
STRIKE_UNITS: tuple[str, ...] = ("drones", "missiles", "drones+missiles", "projectiles")
STRIKE_TYPES: tuple[str, ...] = (
    "drone_attack",
    "missile_strike",
    "combined_strike",
    "air_strike",
    "shelling",
)
"""The 'launched and intercepted' chart counts these types in these units; a statement
that cites strike figures would count them twice."""

DATASETS_CURATED = "curated"
DATASET_SYNTHETIC = "synthetic"


def group_of(event_type: str) -> str:
    return TYPES_BY_KEY[event_type].group


def types_in_group(group: str) -> list[str]:
    return [t.key for t in EVENT_TYPES if t.group == group]


def acled_event_type(sub_event_type: str, notes: str = "") -> str | None:
    """Map an ACLED sub-event type to a taxonomy key, or None if unknown.

    ACLED lumps drones with aircraft and missiles with artillery, so the notes decide:
    an air strike whose notes name no drone is an `air_strike`; shelling whose notes
    name a missile is a `missile_strike`.
    """
    wanted = sub_event_type.strip().casefold()
    for t in EVENT_TYPES:
        if any(wanted == a.casefold() for a in t.acled):
            text = notes.casefold()
            if t.key == "drone_attack" and not any(w in text for w in DRONE_WORDS):
                return "air_strike"
            if t.key == "missile_strike" and not any(w in text for w in MISSILE_WORDS):
                return "shelling"
            return t.key
    return None


DRONE_WORDS = ("drone", "uav", "shahed", "geran", "lancet", "fpv", "loitering")
MISSILE_WORDS = ("missile", "iskander", "kalibr", "kh-", "atacms", "storm shadow", "s-300")


def cameo_event_type(code: str) -> str | None:
    """Map a CAMEO event code (a string: "041", "1952") to a taxonomy key, or None."""
    best: tuple[int, str] | None = None
    for t in EVENT_TYPES:
        for prefix in t.cameo:
            if code.startswith(prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), t.key)
    return best[1] if best else None


@dataclass(frozen=True)
class CountryStyle:
    """How a country (or the side it launched for) is drawn everywhere: colour and hatch."""

    colour: str
    pattern: str
    """Plotly bar pattern shape ('' solid): tells sides apart in print and under colour blindness."""


# Fixed, never by rank or by what a filter leaves in view: Russia is vermillion and solid in
# every chart, export and deck. Colours are the Okabe-Ito palette (distinct under the common
# colour-vision deficiencies); the hatch differs for every listed country as well.
COUNTRY_STYLES: dict[str, CountryStyle] = {
    "RUS": CountryStyle("#D55E00", ""),  # vermillion, solid
    "UKR": CountryStyle("#0072B2", "/"),  # blue
    "PRK": CountryStyle("#CC79A7", "x"),  # reddish purple
    "KOR": CountryStyle("#009E73", "."),  # bluish green
    "USA": CountryStyle("#56B4E9", "-"),  # sky blue
    "GBR": CountryStyle("#E69F00", "+"),  # orange
    "BLR": CountryStyle("#F0E442", "|"),  # yellow
}
OTHER_COUNTRY = CountryStyle("#000000", "\\")
"""Any country not listed above (black, back-hatched): never mistaken for a listed one."""
UNKNOWN_SIDE_STYLE = CountryStyle("#999999", "")
"""A strike whose launching side is not recorded: light grey."""


def country_style(code: str) -> CountryStyle:
    return COUNTRY_STYLES.get(code, OTHER_COUNTRY)


def side_style(side: str, unknown: str = "?") -> CountryStyle:
    """A launching side ('RUS', 'UKR+GBR', or `unknown`): its country's style; a joint side
    takes its first country's colour and its second country's hatch."""
    if side == unknown or not side:
        return UNKNOWN_SIDE_STYLE
    codes = side.split("+")
    first = country_style(codes[0])
    if len(codes) == 1:
        return first
    return CountryStyle(first.colour, country_style(codes[1]).pattern or OTHER_COUNTRY.pattern)
