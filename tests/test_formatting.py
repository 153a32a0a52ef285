import re
from datetime import date

from timeline.formatting import WORD_JOINER, break_autolinks, escape_markdown, format_count, format_dates


def test_dates_say_how_precise_they_are():
    assert (
        format_dates(date(2024, 11, 25), date(2024, 11, 26), "day", "Monday night")
        == '25–26 Nov 2024 · reported as "Monday night"'
    )
    assert format_dates(date(2024, 10, 1), date(2024, 10, 31), "month") == "Oct 2024 (month)"
    assert format_dates(date(2024, 11, 18), date(2024, 11, 24), "week") == "sometime 18–24 Nov 2024 (week)"
    assert format_dates(date(2024, 11, 30), date(2024, 12, 1), "day") == "30 Nov – 1 Dec 2024"
    assert format_dates(date(2024, 1, 1), date(2024, 12, 31), "year") == "2024 (year)"


def test_counts_keep_missing_distinct_from_zero():
    assert format_count(188, "drones", 76) == "188 drones launched, 76 intercepted"
    assert format_count(0, "drones") == "0 drones launched"
    assert format_count(None, None, None) == ""


def test_markdown_escaping_leaves_text_literal():
    hostile = "**bold** [x](javascript:alert(1)) $x$ :red[alert] <b>html</b>"
    escaped = escape_markdown(hostile)
    for token in ("**", "](", "$x$", ":red[", "<b>"):
        assert token not in escaped
    assert escaped.replace("\\", "") == hostile


def test_escaped_text_holds_no_address_markdown_would_link():
    """remark-gfm links bare 'http(s)://', 'www.' and e-mail addresses even after escapes."""
    hostile = "see https://evil.example/a, HTTP://evil.example, Www.evil.example and x.y+z@evil.example"
    escaped = escape_markdown(hostile)
    shown = escaped.replace("\\", "")
    assert not re.search(r"(?i)https?://|www\.|[-.\w+]@", shown)
    assert shown.replace(WORD_JOINER, "") == hostile  # reads the same: the joiner is invisible
    assert break_autolinks("wwwx.org, https-ish: 3 @ noon") == "wwwx.org, https-ish: 3 \u2060@ noon"


def test_the_title_says_what_the_data_holds_not_what_matches():
    from datetime import date

    from timeline.formatting import coverage

    title = coverage(("RUS", "UKR"), date(2024, 10, 1), date(2024, 12, 27), 90)
    assert title.endswith("90 events in the data")
