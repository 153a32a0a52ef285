from datetime import date

import pytest

from timeline.domain.dates import month_bounds, resolve_phrase, week_bounds

WED = date(2024, 11, 27)  # the seed article's publication date


@pytest.mark.parametrize(
    ("phrase", "start", "end", "precision"),
    [
        ("Wednesday", "2024-11-27", "2024-11-27", "day"),
        ("Monday", "2024-11-25", "2024-11-25", "day"),
        ("Tuesday", "2024-11-26", "2024-11-26", "day"),
        ("Monday night", "2024-11-25", "2024-11-26", "day"),
        ("on Monday night", "2024-11-25", "2024-11-26", "day"),
        ("last week", "2024-11-18", "2024-11-24", "week"),
        ("this week", "2024-11-25", "2024-12-01", "week"),
        ("last month", "2024-10-01", "2024-10-31", "month"),
        ("last year", "2023-01-01", "2023-12-31", "year"),
        ("Oct. 29", "2024-10-29", "2024-10-29", "day"),
        ("Nov. 7", "2024-11-07", "2024-11-07", "day"),
        ("21 November 2024", "2024-11-21", "2024-11-21", "day"),
        ("yesterday", "2024-11-26", "2024-11-26", "day"),
        ("last night", "2024-11-26", "2024-11-27", "day"),
        ("2024-11-21", "2024-11-21", "2024-11-21", "day"),
    ],
)
def test_seed_article_phrases_resolve_against_publication_date(phrase, start, end, precision):
    r = resolve_phrase(phrase, WED)
    assert (r.start.isoformat(), r.end.isoformat(), r.precision) == (start, end, precision)
    assert r.text == phrase


def test_calendar_day_in_the_future_means_last_year():
    assert resolve_phrase("Dec. 30", date(2025, 1, 3)).start == date(2024, 12, 30)


def test_last_month_in_january_is_previous_december():
    r = resolve_phrase("last month", date(2025, 1, 15))
    assert (r.start, r.end) == (date(2024, 12, 1), date(2024, 12, 31))


def test_unknown_phrase_names_itself():
    with pytest.raises(ValueError, match="'around then'"):
        resolve_phrase("around then", WED)


def test_week_bounds_are_monday_to_sunday():
    monday, sunday = week_bounds(date(2024, 11, 21))
    assert (monday.isoweekday(), sunday.isoweekday()) == (1, 7)
    assert month_bounds(date(2024, 2, 10)) == (date(2024, 2, 1), date(2024, 2, 29))
