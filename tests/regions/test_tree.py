"""The region tree: levels, materialized paths and cheap subtree queries."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hazardloop.errors import ValidationFailed
from hazardloop.regions.models import Region
from hazardloop.regions.services import create_region, subtree_query
from hazardloop.taxonomy import RegionLevel
from tests.conftest import assert_problem


def test_paths_encode_the_ancestry(district):
    assert district.district.path == f"/{district.district.id}/"
    assert district.grid_a1.path == (
        f"/{district.district.id}/{district.street_a.id}/{district.community_a.id}/{district.grid_a1.id}/"
    )
    assert district.grid_a1.ancestor_ids == [
        district.district.id, district.street_a.id, district.community_a.id, district.grid_a1.id]


def test_subtree_contains_exactly_the_descendants(db, district):
    names = [r.name for r in db.session.scalars(subtree_query(district.street_a))]
    assert names == ["A街道", "A社区", "A1网格", "A2网格"]
    grids = db.session.scalars(subtree_query(district.district, RegionLevel.GRID)).all()
    assert {g.name for g in grids} == {"A1网格", "A2网格", "B1网格", "园区1网格"}


def test_subtree_does_not_leak_into_siblings_sharing_an_id_prefix(db, district):
    # Make ids 1..N with a sibling whose id starts with another's digits (e.g. /1/ vs /12/).
    extra = [create_region(name=f"社区{i}", level="community", parent=district.street_b) for i in range(12)]
    db.session.commit()
    for node in [district.street_a, district.street_b, *extra]:
        got = {r.id for r in db.session.scalars(subtree_query(node))}
        expected = {r.id for r in db.session.scalars(select(Region)) if r.path.startswith(node.path)}
        assert got == expected


@pytest.mark.parametrize(
    ("parent", "level"),
    [("grid_a1", "community"), ("street_a", "grid"), ("community_a", "street"), (None, "street")],
)
def test_levels_must_nest_properly(db, district, parent, level):
    with pytest.raises(ValidationFailed):
        create_region(name="错层", level=level, parent=getattr(district, parent) if parent else None)


def test_a_park_may_hold_grids_directly(db, district):
    assert district.grid_p1.parent_id == district.park.id


def test_district_needs_a_gb2260_code(db):
    with pytest.raises(ValidationFailed):
        create_region(name="无代码区", level="district")
    with pytest.raises(ValidationFailed):
        create_region(name="坏代码区", level="district", code="33010")


@pytest.mark.parametrize(
    "boundary",
    [{"type": "Point", "coordinates": [120, 30]},
     {"type": "Polygon", "coordinates": [[[120, 30], [121, 30], [120, 31]]]},
     {"type": "Polygon", "coordinates": [[[200, 30], [121, 30], [120, 31], [200, 30]]]},
     {"type": "Polygon", "coordinates": "nonsense"}],
)
def test_grid_boundary_must_be_a_valid_polygon(db, district, boundary):
    with pytest.raises(ValidationFailed):
        create_region(name="坏边界网格", level="grid", parent=district.community_a, boundary=boundary)


def test_supervisor_lists_only_their_subtree(district, make_user, login):
    client = login(make_user("supervisor", region=district.street_a))
    names = [r["name"] for r in client.get("/api/v1/regions").get_json()]
    assert names == ["A街道", "A社区", "A1网格", "A2网格"]
    grids = client.get("/api/v1/regions?level=grid&with_boundary=true").get_json()
    assert grids[0]["boundary"]["type"] == "Polygon"


def test_asking_for_a_subtree_outside_scope_is_404(district, make_user, login):
    client = login(make_user("supervisor", region=district.street_a))
    assert_problem(client.get(f"/api/v1/regions?within={district.street_b.id}"), 404)


def test_only_admin_adds_regions(district, make_user, login):
    supervisor = login(make_user("supervisor", region=district.street_a))
    payload = {"parent_id": district.community_a.id, "level": "grid", "name": "A3网格"}
    assert_problem(supervisor.post("/api/v1/regions", json=payload), 403)
    admin = login(make_user("admin"))
    response = admin.post("/api/v1/regions", json=payload)
    assert response.status_code == 201
    assert response.get_json()["path"].startswith(district.community_a.path)


def test_taxonomy_lists_the_seven_key_domains_and_nine_small(api):
    body = api.get("/api/v1/taxonomy").get_json()
    labels = {d["label"] for d in body["domains"]}
    assert labels == {"建设施工", "危化", "消防安全", "道路交通", "特种设备", "城市运行", "商贸旅游",
                      "工贸", "九小场所"}
