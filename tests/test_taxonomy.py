import itertools
import re

import numpy as np

from timeline.domain import taxonomy

REQUIRED_TYPES = (
    "meeting call visit statement press_conference agreement policy_decision troop_deployment "
    "missile_strike drone_attack combined_strike intelligence_report other"
).split()


def test_required_types_have_label_colour_and_known_group():
    for key in REQUIRED_TYPES:
        t = taxonomy.TYPES_BY_KEY[key]
        assert t.label and t.description
        assert re.fullmatch(r"#[0-9a-f]{6}", t.colour)
        assert t.group in taxonomy.GROUP_KEYS


def test_every_type_has_its_own_colour():
    colours = [t.colour for t in taxonomy.EVENT_TYPES]
    assert len(set(colours)) == len(colours)


def test_issue_groups_exist():
    for group in ("diplomacy", "statements", "policy", "military", "intelligence"):
        assert taxonomy.types_in_group(group)


def test_acled_mapping_uses_notes_to_split_drones_and_missiles():
    assert taxonomy.acled_event_type("Air/drone strike", "Shahed drones hit Odesa") == "drone_attack"
    assert (
        taxonomy.acled_event_type("Air/drone strike", "Russian aircraft dropped glide bombs") == "air_strike"
    )
    assert (
        taxonomy.acled_event_type("Shelling/artillery/missile attack", "Iskander missile on Kharkiv")
        == "missile_strike"
    )
    assert (
        taxonomy.acled_event_type("Shelling/artillery/missile attack", "artillery fire on Nikopol")
        == "shelling"
    )
    assert taxonomy.acled_event_type("Agreement") == "agreement"
    assert taxonomy.acled_event_type("Armed clash") == "armed_clash"
    assert taxonomy.acled_event_type("Disrupted weapons use") == "interception"
    assert taxonomy.acled_event_type("Peaceful protest") == "protest"
    assert taxonomy.acled_event_type("Not an ACLED type") is None


def test_cameo_mapping_longest_prefix_wins():
    assert taxonomy.cameo_event_type("041") == "call"
    assert taxonomy.cameo_event_type("042") == "visit"
    assert taxonomy.cameo_event_type("043") == "visit"
    assert taxonomy.cameo_event_type("036") == "meeting"
    assert taxonomy.cameo_event_type("046") == "meeting"
    assert taxonomy.cameo_event_type("010") == "statement"
    assert taxonomy.cameo_event_type("1952") == "drone_attack"
    assert taxonomy.cameo_event_type("195") == "air_strike"
    assert taxonomy.cameo_event_type("190") == "armed_clash"
    assert taxonomy.cameo_event_type("202") == "violence_against_civilians"
    assert taxonomy.cameo_event_type("080") is None


# Machado, Oliveira & Fernandes (2009): full-severity dichromacy as a matrix on linear RGB.
SIMULATIONS = {
    "normal vision": np.eye(3),
    "protanopia": np.array(
        [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
    ),
    "deuteranopia": np.array(
        [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
    ),
}


def _linear(hex_colour: str) -> np.ndarray:
    c = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ np.clip(
        linear_rgb, 0, 1
    )
    f = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(f > 0.008856, np.cbrt(f), 7.787 * f + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def test_colours_within_a_group_differ_for_colour_blind_readers_too():
    """Every pair of types in a group stays at least 15 CIELAB units apart (clearly different
    at a glance) under normal vision, protanopia and deuteranopia."""
    for group in taxonomy.GROUPS:
        types = [t for t in taxonomy.EVENT_TYPES if t.group == group.key]
        for a, b in itertools.combinations(types, 2):
            for vision, matrix in SIMULATIONS.items():
                distance = np.linalg.norm(_lab(matrix @ _linear(a.colour)) - _lab(matrix @ _linear(b.colour)))
                assert distance >= 15, f"{a.key} and {b.key} look alike with {vision} ({distance:.1f})"


def test_shapes_tell_the_types_of_a_group_apart():
    for group in taxonomy.GROUPS:
        symbols = [t.symbol for t in taxonomy.EVENT_TYPES if t.group == group.key]
        assert len(set(symbols)) == len(symbols), group.key


def test_every_listed_country_has_its_own_colour_and_hatch():
    styles = [*taxonomy.COUNTRY_STYLES.values(), taxonomy.OTHER_COUNTRY]
    assert len({s.colour.lower() for s in styles}) == len(styles)
    assert len({s.pattern for s in styles}) == len(styles)
    assert taxonomy.side_style("RUS") == taxonomy.COUNTRY_STYLES["RUS"]
    assert taxonomy.side_style("ZZZ") == taxonomy.OTHER_COUNTRY
    assert taxonomy.side_style("?") == taxonomy.UNKNOWN_SIDE_STYLE
    joint = taxonomy.side_style("UKR+GBR")
    assert joint.colour == taxonomy.COUNTRY_STYLES["UKR"].colour and joint.pattern == "+"


def test_country_colours_differ_for_colour_blind_readers_too():
    """Russia and Ukraine (and every other listed pair) stay apart under protanopia and
    deuteranopia; the hatch tells them apart in greyscale print."""
    styles = {**taxonomy.COUNTRY_STYLES, "other": taxonomy.OTHER_COUNTRY}
    for (a, sa), (b, sb) in itertools.combinations(styles.items(), 2):
        for vision, matrix in SIMULATIONS.items():
            distance = np.linalg.norm(_lab(matrix @ _linear(sa.colour)) - _lab(matrix @ _linear(sb.colour)))
            assert distance >= 10, f"{a} and {b} look alike with {vision} ({distance:.1f})"
