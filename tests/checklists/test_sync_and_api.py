"""Syncing checklist files into versions, and serving them with ETags for the offline app."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hazardloop.checklists.format import ChecklistFormatError
from hazardloop.checklists.models import Checklist, ChecklistVersion
from hazardloop.checklists.services import PROJECT_CHECKLISTS, sync_checklists
from tests.conftest import assert_problem


@pytest.fixture
def checklist_dir(tmp_path: Path) -> Path:
    """A copy of the shipped checklists that a test may edit."""
    target = tmp_path / "checklists"
    shutil.copytree(PROJECT_CHECKLISTS, target)
    return target


@pytest.fixture
def synced(db, checklist_dir):
    report = sync_checklists(checklist_dir)
    db.session.commit()
    return report


# The version the shipped fire-small-shop, elevator-use … files carry, and the one a test bumps them to.
SHIPPED = "2026.3"
NEXT = "2026.4"


def version_count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(ChecklistVersion))


def bump(path: Path, old_text: str, new_text: str, version: str | None) -> None:
    text = path.read_text(encoding="utf-8").replace(old_text, new_text, 1)
    if version:
        text = text.replace(f'version: "{SHIPPED}"', f'version: "{version}"', 1)
    path.write_text(text, encoding="utf-8")


def test_first_sync_loads_every_checklist(db, synced):
    assert len(synced.added) >= 10
    assert version_count(db) == len(synced.added)
    items = db.session.scalar(select(func.sum(ChecklistVersion.item_count)))
    assert items >= 200


def test_sync_is_idempotent(db, synced, checklist_dir):
    report = sync_checklists(checklist_dir)
    db.session.commit()
    assert report.added == [] and report.new_versions == []
    assert len(report.unchanged) == len(synced.added)
    assert version_count(db) == len(synced.added)


def test_comment_only_edit_is_not_a_new_version(db, synced, checklist_dir):
    path = checklist_dir / "fire-small-shop.yaml"
    path.write_text("# 仅增加注释\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert sync_checklists(checklist_dir).new_versions == []


def test_changed_file_becomes_a_new_version_and_the_old_one_stays(db, synced, checklist_dir, api,
                                                                  make_user, login):
    bump(checklist_dir / "fire-small-shop.yaml", "title: ", "title: 修订版", NEXT)
    report = sync_checklists(checklist_dir)
    db.session.commit()
    assert report.new_versions == [f"fire-small-shop@{NEXT}"]
    checklist = db.session.get(Checklist, "fire-small-shop")
    assert checklist.current_version.version == NEXT
    client = login(make_user("admin"))
    old = client.get(f"/api/v1/checklists/fire-small-shop/versions/{SHIPPED}")
    new = client.get(f"/api/v1/checklists/fire-small-shop/versions/{NEXT}")
    assert old.status_code == new.status_code == 200
    assert old.get_json()["content_hash"] != new.get_json()["content_hash"]
    versions = client.get("/api/v1/checklists/fire-small-shop").get_json()["versions"]
    assert [v["version"] for v in versions] == [SHIPPED, NEXT]


def test_changed_content_under_a_used_version_is_refused_and_nothing_is_written(db, synced, checklist_dir):
    bump(checklist_dir / "fire-small-hotel.yaml", "title: ", "title: 新版", "2026.9")  # a good change
    bump(checklist_dir / "fire-small-shop.yaml", "title: ", "title: 改了", None)  # no version bump
    before = version_count(db)
    with pytest.raises(ChecklistFormatError) as excinfo:
        sync_checklists(checklist_dir)
    assert "fire-small-shop.yaml:1:" in str(excinfo.value) and "版本号" in str(excinfo.value)
    db.session.rollback()
    assert version_count(db) == before


def test_broken_file_fails_the_whole_sync(db, checklist_dir):
    (checklist_dir / "broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ChecklistFormatError):
        sync_checklists(checklist_dir)
    db.session.rollback()
    assert version_count(db) == 0


def test_removed_file_is_retired_but_its_versions_stay_readable(db, synced, checklist_dir, make_user, login):
    (checklist_dir / "elevator-use.yaml").unlink()
    report = sync_checklists(checklist_dir)
    db.session.commit()
    assert report.retired == ["elevator-use"]
    client = login(make_user("admin"))
    ids = {c["id"] for c in client.get("/api/v1/checklists").get_json()}
    assert "elevator-use" not in ids
    assert client.get(f"/api/v1/checklists/elevator-use/versions/{SHIPPED}").status_code == 200


def test_site_is_offered_the_checklists_that_apply_to_it(db, synced, district, make_site, make_user, login):
    site = make_site(district.grid_a1, category="small_restaurant", domains=["fire", "nine_small"])
    client = login(make_user("grid_worker", region=district.grid_a1))
    ids = {c["id"] for c in client.get(f"/api/v1/checklists?site={site.id}").get_json()}
    assert {"fire-small-restaurant", "restaurant-gas"} <= ids
    assert "construction-site" not in ids and "fire-small-hotel" not in ids


def test_a_local_law_checklist_is_offered_only_in_its_region(db, synced, district, make_site, make_user, login):
    # the test district is 330105 (杭州市拱墅区, 浙江省): 浙江 lists yes, 上海 lists no
    site = make_site(district.grid_a1, category="crowded_place", domains=["fire", "commerce_tourism"])
    client = login(make_user("grid_worker", region=district.grid_a1))
    ids = {c["id"] for c in client.get(f"/api/v1/checklists?site={site.id}").get_json()}
    assert {"ebike-zhejiang", "crowded-place-evacuation"} <= ids
    assert "fire-shanghai-crowded-place" not in ids and "fire-shanghai-units" not in ids
    assert "bottled-gas-yiwu" not in ids
    district.district.code = "310101"  # the same site, were the district in 上海市黄浦区
    db.session.commit()
    ids = {c["id"] for c in client.get(f"/api/v1/checklists?site={site.id}").get_json()}
    assert {"fire-shanghai-crowded-place", "fire-shanghai-units", "crowded-place-evacuation"} <= ids
    assert "ebike-zhejiang" not in ids


def test_cli_stats_counts_distinct_requirements_and_lists_the_major_items(tmp_path):
    hazardloop = str(Path(sys.executable).with_name("hazardloop"))
    reference = Path(__file__).parents[3] / "shared" / "reference"
    result = subprocess.run([hazardloop, "checklists", "stats", "--reference", str(reference)], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "DATABASE_URL": "sqlite:///:memory:"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "不同要求" in out and "已核实" in out and "按监管领域" in out and "按检查表" in out
    assert "道路交通（road_traffic）" in out and "城市运行（urban_operation）" in out
    assert "IT-A-001：工贸企业重大事故隐患判定标准2023 · 第三条（一）" in out


def test_site_outside_scope_is_404(db, synced, district, make_site, make_user, login):
    site = make_site(district.grid_b1)
    client = login(make_user("grid_worker", region=district.grid_a1))
    assert_problem(client.get(f"/api/v1/checklists?site={site.id}"), 404)


def test_version_has_strong_etag_and_304_on_match(db, synced, make_user, login):
    client = login(make_user("admin"))
    first = client.get(f"/api/v1/checklists/fire-small-shop/versions/{SHIPPED}")
    etag = first.headers["ETag"]
    assert etag == f'"{first.get_json()["content_hash"]}"'  # strong: no W/ prefix
    assert "immutable" in first.headers["Cache-Control"]
    again = client.get(f"/api/v1/checklists/fire-small-shop/versions/{SHIPPED}", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    other = client.get(f"/api/v1/checklists/fire-small-shop/versions/{SHIPPED}", headers={"If-None-Match": '"x"'})
    assert other.status_code == 200


def test_list_etag_changes_when_a_checklist_changes(db, synced, checklist_dir, make_user, login):
    client = login(make_user("admin"))
    first = client.get("/api/v1/checklists")
    assert first.headers["Cache-Control"] == "private, no-cache"
    etag = first.headers["ETag"]
    assert client.get("/api/v1/checklists", headers={"If-None-Match": etag}).status_code == 304
    bump(checklist_dir / "fire-small-shop.yaml", "title: ", "title: 修订版", NEXT)
    sync_checklists(checklist_dir)
    db.session.commit()
    assert client.get("/api/v1/checklists", headers={"If-None-Match": etag}).status_code == 200


def test_scoring_a_filled_checklist(db, synced, make_user, login):
    client = login(make_user("admin"))
    content = client.get(f"/api/v1/checklists/fire-small-shop/versions/{SHIPPED}").get_json()["content"]
    first_section = content["sections"][0]
    item = first_section["items"][0]
    code = item["code"]
    response = client.post(f"/api/v1/checklists/fire-small-shop/versions/{SHIPPED}/score",
                           json={"answers": {code: {"result": "不符合", "count": 100}}})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [f["code"] for f in body["findings"]] == [code]
    # a hundred places cannot deduct more than the item's cap, nor the section's
    expected = min(item["deduction"] * 100, item.get("deduction_cap", 1e9), first_section["cap"])
    assert expected < item["deduction"] * 100
    assert body["deduction"] == expected
    assert body["total"] == content["total_score"] - expected


def test_scoring_an_unknown_item_is_a_field_error(db, synced, make_user, login):
    client = login(make_user("admin"))
    body = assert_problem(client.post(f"/api/v1/checklists/fire-small-shop/versions/{SHIPPED}/score",
                                      json={"answers": {"NOPE-1": {"result": "符合"}}}), 422)
    assert body["errors"][0]["field"] == "answers.NOPE-1"


def test_unknown_version_is_404(db, synced, make_user, login):
    client = login(make_user("admin"))
    assert_problem(client.get("/api/v1/checklists/fire-small-shop/versions/1999.1"), 404)


def test_cli_validate_reports_file_and_line_and_fails(tmp_path):
    (tmp_path / "bad.yaml").write_text("id: x\ntitle: [\n", encoding="utf-8")
    hazardloop = str(Path(sys.executable).with_name("hazardloop"))
    result = subprocess.run([hazardloop, "checklists", "validate", str(tmp_path)], capture_output=True,
                            text=True, timeout=60, env={**os.environ, "DATABASE_URL": "sqlite:///:memory:"})
    assert result.returncode == 1
    assert f"{tmp_path / 'bad.yaml'}:" in result.stderr
    ok = subprocess.run([hazardloop, "checklists", "validate"], capture_output=True, text=True, timeout=60,
                        env={**os.environ, "DATABASE_URL": "sqlite:///:memory:"})
    assert ok.returncode == 0, ok.stderr
    assert "已对照" in ok.stdout  # the reference folder beside the repository is used by default
