"""The four-colour risk map: valid GeoJSON, the colouring rule, GCJ-02 conversion, tiles only when configured."""

from __future__ import annotations

import pytest

from hazardloop.geo import wgs84_to_gcj02
from tests.conftest import assert_problem


def square(lng: float, lat: float) -> dict:
    return {"type": "Polygon", "coordinates": [[[lng, lat], [lng + 0.01, lat], [lng + 0.01, lat + 0.01],
                                                [lng, lat + 0.01], [lng, lat]]]}


@pytest.fixture
def mapped(world, db):
    """Boundaries for every grid (A1 already has one)."""
    world.d.grid_a2.boundary = square(120.16, 30.36)
    world.d.grid_b1.boundary = {"type": "MultiPolygon", "coordinates": [square(120.17, 30.37)["coordinates"]]}
    world.d.grid_p1.boundary = square(120.18, 30.38)
    db.session.commit()
    return world


def riskmap(client, **params):
    response = client.get("/api/v1/console/riskmap", query_string=params)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/geo+json"
    return response.get_json()


def assert_valid_geojson(collection):
    assert collection["type"] == "FeatureCollection"
    for feature in collection["features"]:
        assert feature["type"] == "Feature" and set(feature) >= {"geometry", "properties"}
        geometry = feature["geometry"]
        polygons = {"Point": [], "Polygon": [geometry["coordinates"]],
                    "MultiPolygon": geometry["coordinates"]}[geometry["type"]]
        if geometry["type"] == "Point":
            lng, lat = geometry["coordinates"]
            assert -180 <= lng <= 180 and -90 <= lat <= 90
        for rings in polygons:
            for ring in rings:
                assert len(ring) >= 4 and ring[0] == ring[-1]
                assert all(len(p) >= 2 and all(isinstance(c, float | int) for c in p) for p in ring)


def test_grids_are_coloured_by_the_rule_and_sites_by_their_level(mapped, login):
    collection = riskmap(login(mapped.people.office))
    assert_valid_geojson(collection)
    assert collection["tiles"] is None
    grids = {f["properties"]["name"]: f["properties"] for f in collection["features"]
             if f["properties"]["kind"] == "grid"}
    # A grid's colour is its region level from its sites' computed levels (config/risk.yaml): the open 重大
    # hazard H2 raises 测试场所1 to orange (site_raise open_major_hazard), and the grid says so.
    assert grids["A1网格"]["risk_level"] == "orange"
    [reason] = grids["A1网格"]["risk_reasons"]
    assert reason.endswith("（橙：未闭环重大隐患 1 项）")
    assert grids["A1网格"] | {} == {**grids["A1网格"], "open_hazards": 4, "major_open": 1, "overdue_open": 2,
                                   "sites": 2, "density": 2.0}
    assert grids["A2网格"]["risk_level"] == "blue" and grids["A2网格"]["open_hazards"] == 0
    # An open 一般 hazard does not colour its grid: the density says how many there are.
    assert grids["B1网格"]["risk_level"] == "blue" and grids["B1网格"]["density"] == 1.0
    assert grids["园区1网格"]["risk_level"] == "orange"  # its site is assessed orange, no hazards
    assert grids["园区1网格"]["risk_reasons"] == [f"{mapped.park_site.name}（橙）"]
    sites = {f["properties"]["site_id"]: f for f in collection["features"] if f["properties"]["kind"] == "site"}
    assert len(sites) == 5
    assert sites[mapped.park_site.id]["properties"]["risk_level"] == "orange"
    assert sites[mapped.shop_a1.id]["geometry"] == {"type": "Point", "coordinates": [120.15, 30.35]}


def test_gcj02_converts_every_coordinate_on_the_server(mapped, login):
    office = login(mapped.people.office)
    plain = riskmap(office)
    mars = riskmap(office, crs="gcj02")
    assert_valid_geojson(mars)
    assert len(plain["features"]) == len(mars["features"])
    for a, b in zip(plain["features"], mars["features"], strict=True):
        if a["geometry"]["type"] == "Point":
            lng, lat = a["geometry"]["coordinates"]
            glat, glng = wgs84_to_gcj02(lat, lng)
            assert b["geometry"]["coordinates"] == pytest.approx([glng, glat], abs=1e-7)
        else:
            first = a["geometry"]["coordinates"]
            ring = first[0] if a["geometry"]["type"] == "Polygon" else first[0][0]
            converted = b["geometry"]["coordinates"][0] if a["geometry"]["type"] == "Polygon" else \
                b["geometry"]["coordinates"][0][0]
            for (lng, lat), (clng, clat) in zip(ring, converted, strict=True):
                glat, glng = wgs84_to_gcj02(lat, lng)
                assert (clng, clat) == pytest.approx((glng, glat), abs=1e-7)
                assert abs(clng - lng) > 1e-4  # near Hangzhou the shift is several hundred metres


def test_tiles_only_when_configured(mapped, login, app):
    app.config["TILE_URL_TEMPLATE"] = "https://tiles.example.invalid/{z}/{x}/{y}.png"
    try:
        tiles = riskmap(login(mapped.people.office))["tiles"]
    finally:
        app.config["TILE_URL_TEMPLATE"] = None
    assert tiles == {"url_template": "https://tiles.example.invalid/{z}/{x}/{y}.png", "attribution": "",
                     "crs": "gcj02"}


def test_scope_of_the_map(mapped, login):
    street_b = riskmap(login(mapped.people.street_b))
    assert {f["properties"]["name"] for f in street_b["features"] if f["properties"]["kind"] == "grid"} == {"B1网格"}
    fire = riskmap(login(mapped.people.fire))
    assert mapped.works_a1.id not in {f["properties"].get("site_id") for f in fire["features"]}
    client = login(mapped.people.street_a)
    assert_problem(client.get(f"/api/v1/console/riskmap?region_id={mapped.d.grid_b1.id}"), 404, "not_found")
    assert_problem(client.get("/api/v1/console/riskmap?crs=bd09"), 422, "validation_failed")
