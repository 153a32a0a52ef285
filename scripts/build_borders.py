"""Build src/timeline/assets/borders_<scale>.json.gz: country borders and coastlines as polylines.

    npm pack world-atlas@2 && tar xzf world-atlas-2.0.2.tgz
    python scripts/build_borders.py package/countries-50m.json package/countries-110m.json

The map draws these lines itself, so it needs no tile server or CDN (plotly's geo maps fetch
their outlines from cdn.plot.ly, which an offline machine cannot reach). Natural Earth data
is public domain; world-atlas is ISC-licensed (see src/timeline/assets/README.md).
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

ASSETS = Path(__file__).resolve().parent.parent / "src" / "timeline" / "assets"


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs are quantised and delta-encoded; return them in degrees."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    lines = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((round(x * sx + tx, 2), round(y * sy + ty, 2)))
        lines.append(points)
    return lines


def main() -> None:
    for source in map(Path, sys.argv[1:]):
        arcs = decode_arcs(json.loads(source.read_text()))
        scale = source.stem.split("-")[-1]  # countries-50m -> 50m
        out = ASSETS / f"borders_{scale}.json.gz"
        out.write_bytes(gzip.compress(json.dumps(arcs, separators=(",", ":")).encode(), mtime=0))
        print(f"{len(arcs)} arcs, {sum(map(len, arcs))} points -> {out} ({out.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
