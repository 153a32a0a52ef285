"""The screen's width as the browser measured it: phones are told by width, not user agent."""

from timeline.ui import viewport
from timeline.ui.cards import shown_count


def test_the_measurement_cookie_is_read_strictly():
    assert viewport.parse_cookie("390:197") == (390, 197)
    for bad in (None, "", "390", "abc:12", "390:500", "50:20", "390:0", "1:2:3"):
        assert viewport.parse_cookie(bad) is None, bad


def test_a_phone_is_a_narrow_screen():
    assert 390 < viewport.PHONE_MAX_PX <= 768
    assert viewport.guess_phone("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148")
    assert not viewport.guess_phone("Mozilla/5.0 (X11; Linux x86_64) Chrome/120")


def test_the_phone_list_says_how_much_of_it_is_shown():
    assert shown_count(90, 50) == "50 of 90 shown"
    assert shown_count(90, 100) == "All 90 shown"
    assert shown_count(3, 50) == "All 3 shown"
