"""检查表发布 in the console: problems by line, preview and difference, immutable versions, audit, policy."""

from __future__ import annotations

import io

import pytest
import yaml
from sqlalchemy import select

from hazardloop.checklists.models import Checklist, ChecklistVersion
from hazardloop.checklists.services import PROJECT_CHECKLISTS
from hazardloop.hazards.models import AuditEvent
from tests.conftest import assert_problem

BASE = "/api/v1/checklist-publishing"
SHOP = (PROJECT_CHECKLISTS / "fire-small-shop.yaml").read_text(encoding="utf-8")
SHIPPED = '"2026.3"'


def shop(version: str = "2026.4", *, deduction: str | None = "3", drop_last_d: bool = True) -> str:
    """The shipped 小商店 list with a new version, one overridden deduction and (by default) one item removed."""
    text = SHOP.replace(f"version: {SHIPPED}", f'version: "{version}"', 1)
    if deduction is not None:
        text = text.replace("{code: SHOP-A-001, ref: FIRE-COM-001}",
                            f"{{code: SHOP-A-001, ref: FIRE-COM-001, deduction: {deduction}}}", 1)
    if drop_last_d:
        text = text.replace("      - {code: SHOP-D-004, ref: FIRE-COM-033}\n", "", 1)
    return text


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def upload(client, path: str, content: bytes | str, name: str = "fire-small-shop.yaml"):
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(f"{BASE}{path}", data={"file": (io.BytesIO(raw), name)}, content_type="multipart/form-data")


@pytest.fixture
def admin(db, checklists, make_user, login):
    return login(make_user("admin"))


def test_a_mistake_is_reported_with_its_line_in_chinese(admin):
    text = shop(deduction="很多")
    body = upload(admin, "/check", text).get_json()
    assert body["ok"] is False
    problem = body["problems"][0]
    assert problem["file"] == "fire-small-shop.yaml"
    assert problem["line"] == line_of(text, "SHOP-A-001")
    assert "数字" in problem["reason"] and problem["text"].startswith(f"fire-small-shop.yaml:{problem['line']}: ")
    assert body["content"] is None


def test_a_valid_upload_previews_and_shows_the_difference(db, admin):
    body = upload(admin, "/check", shop()).get_json()
    assert body["ok"] is True and body["problems"] == []
    assert (body["checklist_id"], body["version"], body["previous_version"]) == ("fire-small-shop", "2026.4", "2026.3")
    assert [r["code"] for r in body["diff"]["removed"]] == ["SHOP-D-004"]
    assert body["diff"]["added"] == []
    assert body["diff"]["changed"] == [{"code": "SHOP-A-001", "text": body["diff"]["changed"][0]["text"],
                                        "fields": ["每处扣分"]}]
    assert body["content"]["sections"][0]["items"][0]["deduction"] == 3  # the resolved form the app renders
    assert db.session.get(Checklist, "fire-small-shop").current_version.version == "2026.3"  # nothing changed


def test_publishing_makes_the_new_version_current_and_records_who(db, admin):
    response = upload(admin, "/publish", shop())
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["published"]["version"] == "2026.4"
    db.session.expire_all()
    checklist = db.session.get(Checklist, "fire-small-shop")
    assert checklist.current_version.version == "2026.4"
    old = db.session.scalar(select(ChecklistVersion).where(ChecklistVersion.checklist_id == "fire-small-shop",
                                                           ChecklistVersion.version == "2026.3"))
    assert old is not None  # inspections keep pointing at the exact version they were filled with
    assert checklist.current_version.item_count == old.item_count - 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "checklist_published"))
    assert event.actor_role == "admin" and event.actor_id is not None and event.occurred_at is not None
    assert event.payload["version"] == "2026.4" and event.payload["previous_version"] == "2026.3"
    assert event.payload["removed"] == ["SHOP-D-004"] and event.payload["changed"] == ["SHOP-A-001"]
    listed = {row["id"]: row for row in admin.get(BASE).get_json()}
    assert listed["fire-small-shop"]["version"] == "2026.4"
    assert "+08:00" in listed["fire-small-shop"]["published_at"]


def test_a_later_sync_of_the_unchanged_folder_keeps_the_console_publication(db, admin):
    from hazardloop.checklists.services import sync_checklists

    assert upload(admin, "/publish", shop()).status_code == 201
    report = sync_checklists()  # the folder still holds 2026.3
    db.session.commit()
    assert report.kept_published == ["fire-small-shop@2026.4"]
    assert "控制台发布的较新版本保持现行" in report.describe()
    db.session.expire_all()
    assert db.session.get(Checklist, "fire-small-shop").current_version.version == "2026.4"


def test_a_published_version_is_immutable(db, admin):
    assert upload(admin, "/publish", shop()).status_code == 201
    changed_again = shop(deduction="4")
    body = upload(admin, "/check", changed_again).get_json()
    assert body["ok"] is False
    assert body["problems"][0]["line"] == line_of(changed_again, "version:")
    assert "版本号 2026.4 已被使用" in body["problems"][0]["reason"]
    problem = assert_problem(upload(admin, "/publish", changed_again), 422, "validation_failed")
    assert "未发布" in problem["detail"]
    same_again = assert_problem(upload(admin, "/publish", shop()), 422, "validation_failed")
    assert "完全相同" in same_again["errors"][0]["message"]
    assert db.session.get(Checklist, "fire-small-shop").current_version.content["sections"][0]["items"][0][
        "deduction"] == 3


def test_a_code_used_by_another_checklist_is_refused_with_its_line(admin):
    text = shop().replace("{code: SHOP-A-002, ref: FIRE-COM-002}", "{code: ELEV-A-001, ref: FIRE-COM-002}", 1)
    body = upload(admin, "/check", text).get_json()
    assert body["problems"][0]["line"] == line_of(text, "ELEV-A-001")
    assert "elevator-use" in body["problems"][0]["reason"]


def test_the_download_round_trips(admin):
    response = admin.get(f"{BASE}/fire-small-shop/source.yaml")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert yaml.safe_load(text)["sections"][0]["items"][0] == {"code": "SHOP-A-001", "ref": "FIRE-COM-001",
                                                               "deduction": 2, "photo_required_on_fail": True} \
        or yaml.safe_load(text)["sections"][0]["items"][0]["ref"] == "FIRE-COM-001"
    body = upload(admin, "/check", text).get_json()
    assert body["problems"] == [] and body["unchanged"] is True and body["ok"] is False


@pytest.mark.parametrize(("content", "name", "words"), [
    (b"PK\x03\x04" + b"\x00" * 200, "sites.xlsx", "不是 YAML 文本文件"),
    ("id: x\ntitle: 小商店\n".encode("gbk"), "gbk.yaml", "不是 UTF-8 编码"),
    (b"a: " + b"x" * (300 * 1024), "huge.yaml", "文件过大"),
    (b"", "empty.yaml", "空"),
    (b"a: &a [1, 2, 3]\nb: &b [*a, *a, *a]\nc: &c [*b, *b, *b]\nd: [*c, *c, *c]\n", "bomb.yaml", "锚点和别名"),
    (b"id: [unclosed\n  title: x\n", "syntax.yaml", "YAML 语法错误"),
    (b"- just\n- a list\n", "list.yaml", "顶层应为键值对"),
    ((PROJECT_CHECKLISTS / "library-fire-common.yaml").read_bytes(), "library-fire-common.yaml", "公共条目库"),
])
def test_bad_files_get_a_chinese_problem_never_a_500(admin, content, name, words):
    response = upload(admin, "/check", content, name)
    assert response.status_code == 200
    problems = response.get_json()["problems"]
    assert problems and words in problems[0]["reason"], problems
    assert_problem(upload(admin, "/publish", content, name), 422, "validation_failed")


def test_a_missing_file_is_a_field_error(admin):
    assert_problem(admin.post(f"{BASE}/check", data={}, content_type="multipart/form-data"), 422)


@pytest.mark.parametrize("role", ["grid_worker", "supervisor", "enterprise_user"])
def test_only_an_administrator_may_publish(db, checklists, district, make_site, make_user, login, role):
    where = {"grid_worker": {"region": district.grid_a1}, "supervisor": {"region": district.street_a},
             "enterprise_user": {"site": make_site(district.grid_a1)}}[role]
    client = login(make_user(role, **where))
    assert_problem(client.get(BASE), 404)
    assert_problem(upload(client, "/publish", shop()), 404)
    assert_problem(client.get(f"{BASE}/fire-small-shop/source.yaml"), 404)
    assert db.session.get(Checklist, "fire-small-shop").current_version.version == "2026.3"
