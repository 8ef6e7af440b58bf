"""The report form's map: grid outlines for anyone, and nothing but shapes and names."""

from __future__ import annotations

import json


def test_the_map_lists_the_outlined_grids_without_login(visitor, district):
    response = visitor.get("/api/v1/public/map")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    # Only the grid with a boundary can be drawn; the district in the test tree has none.
    assert body["district"] is None
    assert body["grids"] == [{"name": "A1网格", "boundary": district.grid_a1.boundary}]
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_district_outline_comes_with_it_and_no_ids_or_people(visitor, district, shop, db):
    district.district.boundary = {"type": "Polygon", "coordinates": [[[120.0, 30.2], [120.3, 30.2], [120.3, 30.5],
                                                                     [120.0, 30.5], [120.0, 30.2]]]}
    district.grid_a2.boundary = {"type": "Point", "coordinates": [120.1, 30.3]}  # not an area: left out
    db.session.commit()
    body = visitor.get("/api/v1/public/map").get_json()
    assert body["district"]["name"] == "测试区" and body["district"]["boundary"]["type"] == "Polygon"
    assert [g["name"] for g in body["grids"]] == ["A1网格"]
    text = json.dumps(body, ensure_ascii=False)
    assert shop.name not in text and "王店主" not in text and "13911112222" not in text
    assert all(set(area) == {"name", "boundary"} for area in [body["district"], *body["grids"]])
