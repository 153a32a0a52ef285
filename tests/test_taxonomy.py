import re

from timeline import taxonomy

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
