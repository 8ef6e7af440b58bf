"""系统管理 of the region tree: create, rename, move, and a grid boundary from a GeoJSON upload that must be a valid
polygon inside its parent (overlaps with siblings reported), each problem a Chinese sentence; audited."""

from __future__ import annotations

import io
import json

from sqlalchemy import select

from hazardloop.extensions import db as database
from hazardloop.hazards.models import AuditEvent
from tests.conftest import assert_problem

COMMUNITY = [[120.1, 30.3], [120.3, 30.3], [120.3, 30.5], [120.1, 30.5], [120.1, 30.3]]


def square(x: float, y: float, size: float = 0.05) -> dict:
    return {"type": "Polygon", "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]}


def upload(client, region_id: int, content: object, *, save: bool = True):
    raw = content if isinstance(content, bytes) else json.dumps(content).encode()
    return client.client.post(f"/api/v1/admin/regions/{region_id}/boundary",
                              data={"file": (io.BytesIO(raw), "grid.geojson"), "save": "true" if save else "false"},
                              headers={"X-CSRF-Token": client.csrf}, content_type="multipart/form-data")


def kinds(db) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))


def test_create_rename_and_move_a_grid(db, district, make_user, login):
    client = login(make_user("admin"))
    created = client.post("/api/v1/admin/regions", json={"parent_id": district.community_a.id, "level": "grid",
                                                         "name": "A3网格"})
    assert created.status_code == 201, created.get_json()
    grid = created.get_json()
    assert grid["path"] == f"{district.community_a.path}{grid['id']}/"
    renamed = client.patch(f"/api/v1/admin/regions/{grid['id']}", json={"name": "A3网格（新）"}).get_json()
    assert renamed["name"] == "A3网格（新）"
    moved = client.patch(f"/api/v1/admin/regions/{grid['id']}", json={"parent_id": district.community_b.id})
    assert moved.get_json()["path"] == f"{district.community_b.path}{grid['id']}/"
    assert kinds(db) == ["region_created", "region_renamed", "region_moved"]


def test_moving_a_community_moves_its_grids(db, district, make_user, login):
    client = login(make_user("admin"))
    response = client.patch(f"/api/v1/admin/regions/{district.community_a.id}",
                            json={"parent_id": district.street_b.id})
    assert response.status_code == 200, response.get_json()
    database.session.expire_all()
    assert district.grid_a1.path == f"{district.street_b.path}{district.community_a.id}/{district.grid_a1.id}/"


def test_the_tree_refuses_impossible_places(district, make_user, login):
    client = login(make_user("admin"))
    under_grid = client.post("/api/v1/admin/regions", json={"parent_id": district.grid_a1.id, "level": "grid",
                                                           "name": "X"})
    assert "之下不能直接设网格" in assert_problem(under_grid, 422)["errors"][0]["message"]
    twin = client.post("/api/v1/admin/regions", json={"parent_id": district.community_a.id, "level": "grid",
                                                     "name": "A1网格"})
    assert_problem(twin, 409, "region_name_taken")
    into_itself = client.patch(f"/api/v1/admin/regions/{district.street_a.id}",
                               json={"parent_id": district.street_a.id})
    assert_problem(into_itself, 422)
    unknown_level = client.post("/api/v1/admin/regions", json={"parent_id": district.community_a.id, "level": "x",
                                                              "name": "Y"})
    assert_problem(unknown_level, 422)


def test_a_boundary_outside_the_parent_is_refused_in_chinese_and_a_valid_one_saved(db, district, make_user, login):
    district.community_a.boundary = {"type": "Polygon", "coordinates": [COMMUNITY]}
    db.session.commit()
    client = login(make_user("admin"))
    outside = upload(client, district.grid_a2.id, square(120.25, 30.45, 0.1)).get_json()
    assert outside["ok"] is False and outside["saved"] is False
    assert outside["errors"][0].startswith("超出了上级「A社区」的边界（超出部分约")
    inside = upload(client, district.grid_a2.id, {"type": "Feature", "properties": {},
                                                  "geometry": square(120.2, 30.4, 0.05)}).get_json()
    assert inside["ok"] is True and inside["saved"] is True and inside["errors"] == []
    assert inside["region"]["boundary"]["type"] == "Polygon"
    assert kinds(db) == ["boundary_set"]


def test_overlaps_with_siblings_are_reported_but_saved(db, district, make_user, login):
    client = login(make_user("admin"))
    # A1网格 is the square 120.1–120.2 × 30.3–30.4.
    result = upload(client, district.grid_a2.id, square(120.15, 30.35, 0.1)).get_json()
    assert result["saved"] is True
    assert result["warnings"][0].startswith("与同级「A1网格」重叠约")
    assert "平方千米" in result["warnings"][0]


def test_broken_files_are_explained(district, make_user, login):
    client = login(make_user("admin"))
    bowtie = {"type": "Polygon", "coordinates": [[[120.1, 30.3], [120.2, 30.4], [120.2, 30.3], [120.1, 30.4],
                                                  [120.1, 30.3]]]}
    cases = {
        b"not json at all": "不是 GeoJSON",
        json.dumps({"type": "Point", "coordinates": [120.1, 30.3]}).encode(): "文件中是「Point」",
        json.dumps(bowtie).encode(): "自相交",
        json.dumps(square(30.3, 120.1)).encode(): "不在中国境内",
        json.dumps({"type": "FeatureCollection", "features": []}).encode(): "有 0 个要素",
        json.dumps({"type": "Polygon", "coordinates": [[[120.1, 30.3], [120.2, 30.3]]]}).encode(): "",
    }
    for content, words in cases.items():
        result = upload(client, district.grid_a2.id, content, save=False)
        assert result.status_code == 200, result.get_json()
        body = result.get_json()
        assert body["ok"] is False and body["errors"], content
        assert words in body["errors"][0], body["errors"]
        assert all("\u4e00" <= ch <= "\u9fff" for ch in body["errors"][0][:2])


def test_a_supervisor_maintains_only_grids_of_his_street(db, district, make_user, login):
    client = login(make_user("supervisor", region=district.street_a))
    assert client.post("/api/v1/admin/regions", json={"parent_id": district.community_a.id, "level": "grid",
                                                      "name": "A9网格"}).status_code == 201
    assert_problem(client.post("/api/v1/admin/regions", json={"parent_id": district.community_b.id, "level": "grid",
                                                              "name": "B9网格"}), 404)
    community = client.post("/api/v1/admin/regions", json={"parent_id": district.street_a.id, "level": "community",
                                                           "name": "C社区"})
    assert "只能维护网格" in assert_problem(community, 422)["errors"][0]["message"]
    assert upload(client, district.grid_b1.id, square(120.2, 30.4)).status_code == 404
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "region_created"))
    assert event.actor_role == "supervisor"
