"""The timeline's label placement: the grid index answers exactly as testing every box."""

from __future__ import annotations

import numpy as np

from timeline.figures.timeline_layout import POSITIONS, BoxIndex, label_box, place_labels


def overlaps_any(box, others) -> bool:
    return any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in others)


def placed_by_testing_every_box(texts, priority, x, y, diameter, fixed, width, height):
    """The placement rule read literally: each label against every label so far and every
    other mark."""
    marks = [(x[i] - d / 2, y[i] - d / 2, x[i] + d / 2, y[i] + d / 2) for i, d in enumerate(diameter)]
    placed, out = list(fixed), np.full(len(x), "", dtype=object)
    for i in np.argsort(priority, kind="stable"):
        if not texts[i]:
            continue
        for position in POSITIONS:
            box = label_box(position, x[i], y[i], diameter[i] / 2, texts[i], 11)
            inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
            if inside and not overlaps_any(box, placed) and not overlaps_any(box, marks[:i] + marks[i + 1 :]):
                placed.append(box)
                out[i] = position
                break
    return out


def test_the_index_finds_exactly_the_overlapping_boxes():
    rng = np.random.default_rng(7)
    boxes = []
    for _ in range(400):
        x0, y0 = rng.uniform(-100, 1500, 2)
        boxes.append((x0, y0, x0 + rng.uniform(0, 120), y0 + rng.uniform(0, 40)))
    boxes += [(float("nan"), 0, 10, 10), (-1e9, -1e9, 1e9, 1e9), (96.0, 0.0, 144.0, 48.0)]
    index = BoxIndex(boxes)
    probes = [*boxes[:50], (144.0, 10.0, 150.0, 20.0), (0.0, 48.0, 96.0, 60.0)]  # touching edges
    for _ in range(300):
        x0, y0 = rng.uniform(-100, 1500, 2)
        probes.append((x0, y0, x0 + rng.uniform(0, 200), y0 + rng.uniform(0, 30)))
    for probe in probes:
        for skip in (-1, 0, len(boxes) - 1):
            others = [b for n, b in enumerate(boxes) if n != skip]
            assert index.overlaps(probe, skip=skip) == overlaps_any(probe, others)


def test_crowded_labels_land_where_testing_every_box_puts_them():
    """2,000 marks in a small plot, most crowding one another: the same positions."""
    rng = np.random.default_rng(3)
    n = 2000
    x, y = rng.uniform(0, 1200, n), rng.uniform(0, 400, n)
    diameter = rng.uniform(4, 30, n)
    texts = np.array([str(int(v)) if v > 0.3 else "" for v in rng.uniform(0, 1, n)], dtype=object)
    texts[::7] = "12,345"
    priority = rng.permutation(n)
    fixed = [(0.0, 0.0, 300.0, 30.0)]
    got = place_labels(texts, priority, x, y, diameter, fixed, 1200, 400)
    want = placed_by_testing_every_box(texts, priority, x, y, diameter, fixed, 1200, 400)
    assert list(got) == list(want)
    assert 0 < sum(1 for p in got if p) < sum(1 for t in texts if t)  # some placed, some crowded out
