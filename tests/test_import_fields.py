"""The shared parsers and country lookups the importers rely on."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from timeline.importers import countries, fields


def s(*values: str) -> pd.Series:
    return pd.Series(list(values), dtype=str)


def test_whole_numbers_keep_blank_missing_and_refuse_fractions():
    numbers, bad = fields.whole_numbers(s("188.0", "", "0", "1.5", "many", " 76 "))
    assert numbers.tolist()[:3] == [188, pd.NA, 0] and numbers.tolist()[5] == 76
    assert bad.tolist() == [False, False, False, True, True, False]


def test_whole_numbers_too_large_for_a_count_are_bad_not_a_crash():
    numbers, bad = fields.whole_numbers(s("99999999999999999999", "-1e300", "12"))
    assert bad.tolist() == [True, True, False]
    assert numbers.isna().tolist() == [True, True, False] and numbers[2] == 12


def test_event_dates_spellings_and_ambiguous_digits_without_a_file_order():
    parsed, bad = fields.event_dates(
        s(
            "2025-05-16",
            "16 May 2025",
            "16-May-2025",
            "16 May, 2025",
            "May 16, 2025",
            "05/06/2025",
            "31 Feb 2025",
            "",
        )
    )
    assert [str(d.date()) for d in parsed[:5]] == ["2025-05-16"] * 5
    assert bad.tolist() == [False] * 5 + [True, True, False]


def test_iso_and_compact_dates():
    parsed, bad = fields.iso_dates(s("2024-11-25 19:30", "2024-11-26", "2024-11-25 3:30", "25.11.2024"))
    assert bad.tolist() == [False, False, False, True]
    assert str(parsed[0].date()) == "2024-11-25"
    compact, bad = fields.compact_dates(s("20241125", "20241125154500", "2024112"))
    assert str(compact[1].date()) == "2024-11-25" and bad.tolist() == [False, False, True]


def test_slugs_are_schema_slugs_even_from_cyrillic():
    assert fields.slug(s("Shahed-136/131", "Молнія", "X-101/X-555 and Kalibr")).tolist() == [
        "shahed-136-131",
        "molniia",
        "x-101-x-555-and-kalibr",
    ]


@pytest.mark.parametrize(
    ("ids", "slugs"),
    [
        (["UKR1001", "ukr1002", "SYR77"], ["ukr1001", "ukr1002", "syr77"]),  # as ACLED writes them
        (["UKR1001", " UKR-1002 ", "Молнія1", ""], ["ukr1001", "ukr-1002", "molniia1", ""]),
    ],
)
def test_ids_slugged_alike_whichever_way_also_from_a_slice_of_the_readers_text(
    ids: list[str], slugs: list[str]
):
    """Plain ids take `slug`'s one-kernel way, others its regex passes: the same slugs, and
    valid text also when the first offset is not 0 (a slice of the reader's buffer, where
    pyarrow's ascii_lower writes invalid offsets)."""
    text = b"header," + "".join(ids).encode()
    ends = np.cumsum([0, *(len(i.encode()) for i in ids)]) + len(b"header,")
    values = pa.LargeStringArray.from_buffers(len(ids), pa.py_buffer(ends.astype(np.int64).tobytes()),
                                              pa.py_buffer(text))  # fmt: skip
    got = fields.slug(pd.Series(pd.arrays.ArrowStringArray(values), dtype=fields.STRING))
    pa.array(got.array).validate(full=True)
    assert got.tolist() == slugs
    assert fields.slug(s(*ids)).tolist() == slugs


def test_string_lists_split_trim_and_drop_repeats():
    lists = fields.string_lists(pd.RangeIndex(2), s("A", ""), s("B; A ;", "C"), split=";")
    assert [list(v) for v in lists] == [["A", "B"], ["C"]]


def test_country_lookups():
    assert countries.from_numeric("804") == "UKR" and countries.from_numeric("0") is None
    assert countries.from_name("Russia (Soviet Union)") == "RUS"
    assert countries.from_name("DR Congo (Zaire)") == "COD"
    assert countries.from_name("Kosovo") is None
    assert countries.from_fips("UP") == "UKR" and countries.from_fips("RS") == "RUS"
    assert countries.from_fips("KN") == "PRK" and countries.from_fips("KS") == "KOR"
    assert countries.from_cameo("RUS") == "RUS" and countries.from_cameo("EUR") is None


def test_countries_are_read_only_from_actor_names_that_state_them():
    stated = {
        "Military Forces of Russia (2000-)": "RUS",
        "Military Forces of Russia (2000-) Air Force": "RUS",
        "Police Forces of Ukraine (2019-)": "UKR",
        "Government of North Korea (2011-)": "PRK",
        "Military Forces of the Democratic Republic of Congo (2019-)": "COD",
        "Civilians (Ukraine)": "UKR",
        "Protesters (Russia)": "RUS",
        "Rioters (Ukraine)": "UKR",
        "Unidentified Armed Group (Ukraine)": "UKR",
        "Government of Russia (Soviet Union)": "RUS",  # UCDP
        "Government of Ukraine": "UKR",
    }
    for name, code in stated.items():
        assert countries.of_actor(name) == code, name
    for name in (
        "Vladimir Putin",
        "Civilians",
        "Wagner Group",
        "Military Forces of Russia",
        "Protesters (AU)",
        "Civilians (International)",
        "Unidentified Armed Group (Kosovo)",
        "Donetsk People's Republic",
    ):
        assert countries.of_actor(name) is None, name  # fmt: skip
    found = fields.actor_countries(
        s("Vladimir Putin; Government of Russia (2000-)", "", "Sergey Lavrov"), split=";"
    )
    assert found.tolist()[0] == "RUS" and found.isna().tolist()[1:] == [True, True]


def test_string_lists_from_columns_in_several_arrow_chunks():
    a = pd.concat([s("x; y", "b"), s("", "y; y")], ignore_index=True)  # a column of two chunks
    b = s("y", " b ", "z", "")
    lists = fields.string_lists(a.index, a, b, split=";")
    assert lists.tolist() == [["x", "y"], ["b"], ["z"], ["y"]]
