"""Honest dates: turn a reported phrase into the interval it really means.

A source that says "last week" tells us the ISO week, not a day; this module returns that
week's Monday-Sunday bounds with precision `week` rather than inventing a day. Relative
phrases resolve against the source's publication date (`reference`).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
DAY_MS = 86_400_000
"""Milliseconds in a day: the stored dates are milliseconds since 1970 at midnight."""


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date
    precision: str
    text: str | None = None


def week_bounds(d: date) -> tuple[date, date]:
    """Monday and Sunday of the ISO week containing `d`."""
    monday = d - timedelta(days=d.weekday())
    return monday, monday + timedelta(days=6)


def month_bounds(d: date) -> tuple[date, date]:
    last = calendar.monthrange(d.year, d.month)[1]
    return d.replace(day=1), d.replace(day=last)


def year_bounds(d: date) -> tuple[date, date]:
    return date(d.year, 1, 1), date(d.year, 12, 31)


def _previous_month(d: date) -> date:
    return (d.replace(day=1) - timedelta(days=1)).replace(day=1)


def _last_weekday(reference: date, weekday: int) -> date:
    """The most recent `weekday` on or before `reference` (news usage: 'on Monday')."""
    return reference - timedelta(days=(reference.weekday() - weekday) % 7)


_MONTH_DAY = re.compile(r"^(?P<month>[a-z]+)\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<year>\d{4}))?$")
_DAY_MONTH = re.compile(r"^(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month>[a-z]+)\.?(?:,?\s+(?P<year>\d{4}))?$")


def _calendar_day(month: int, day: int, year: str | None, reference: date) -> date:
    if year:
        return date(int(year), month, day)
    candidate = date(reference.year, month, day)
    # "Dec. 30" written on 3 Jan means last year's 30 December.
    return candidate if candidate <= reference else date(reference.year - 1, month, day)


def resolve_phrase(text: str, reference: date) -> DateRange:
    """Resolve a reported date phrase against the date it was published.

    Supported: ISO dates, "today", "yesterday", "last night", weekday names ("Monday"),
    "<weekday> night" (spans into the next day), "this/last week", "this/last month",
    "this/last year", and calendar days like "Oct. 29" or "29 October 2024".
    Raises ValueError naming the phrase when it is not understood.
    """
    phrase = " ".join(text.strip().lower().replace(",", ", ").split()).replace(" ,", ",")
    phrase = re.sub(r"^(on|in|during|over)\s+", "", phrase)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", phrase):
        d = date.fromisoformat(phrase)
        return DateRange(d, d, "day", text)
    if phrase == "today":
        return DateRange(reference, reference, "day", text)
    if phrase == "yesterday":
        d = reference - timedelta(days=1)
        return DateRange(d, d, "day", text)
    if phrase in ("last night", "overnight"):
        return DateRange(reference - timedelta(days=1), reference, "day", text)
    if phrase in WEEKDAYS:
        d = _last_weekday(reference, WEEKDAYS[phrase])
        return DateRange(d, d, "day", text)
    night = re.fullmatch(r"(\w+) (night|evening|morning)", phrase)
    if night and night.group(1) in WEEKDAYS:
        d = _last_weekday(reference, WEEKDAYS[night.group(1)])
        end = d + timedelta(days=1) if night.group(2) == "night" else d
        return DateRange(d, end, "day", text)
    relative = {
        "this week": lambda: week_bounds(reference),
        "last week": lambda: week_bounds(reference - timedelta(days=7)),
        "this month": lambda: month_bounds(reference),
        "last month": lambda: month_bounds(_previous_month(reference)),
        "this year": lambda: year_bounds(reference),
        "last year": lambda: year_bounds(reference.replace(year=reference.year - 1, day=1)),
    }
    if phrase in relative:
        start, end = relative[phrase]()
        return DateRange(start, end, phrase.split()[1], text)
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        m = pattern.fullmatch(phrase.replace(",", ""))
        if m and m.group("month") in MONTHS:
            try:
                d = _calendar_day(MONTHS[m.group("month")], int(m.group("day")), m.group("year"), reference)
            except ValueError:
                break
            return DateRange(d, d, "day", text)
    raise ValueError(f"date phrase {text!r} is not understood (try 'Monday night', 'last week', 'Oct. 29')")
