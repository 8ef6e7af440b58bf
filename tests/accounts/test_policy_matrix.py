"""The authorization matrix: every role × action × in-scope / out-of-scope object.

EXPECTED is the specification, written independently of policy.RULES. A new Action
fails ``test_every_action_has_a_row`` until its row is written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import redis
from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.blacklist.models import BlacklistEntry
from hazardloop.circulars.models import Circular
from hazardloop.evidence.models import Photo
from hazardloop.hazards.models import Hazard
from hazardloop.inspections.models import Inspection
from hazardloop.notifications.models import Delivery
from hazardloop.policy import Action
from hazardloop.public.models import PublicReport
from hazardloop.regions.models import Department, Region
from hazardloop.sites.models import Site
from tests.conftest import ApiClient, _empty_tables, build_district, new_site, new_user, reset_redis
from tests.support.imagefiles import jpeg

ROLES = ["grid_worker", "inspector", "supervisor", "enterprise_user", "admin"]
T, F = True, False

# action → role → (allowed on the in-scope object, allowed on the out-of-scope object)
EXPECTED: dict[str, dict[str, tuple[bool, bool]]] = {
    "region.view":       {"grid_worker": (T, F), "inspector": (T, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "region.manage":     {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (F, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "department.view":   {"grid_worker": (T, T), "inspector": (T, T), "supervisor": (T, T),
                          "enterprise_user": (T, T), "admin": (T, T)},
    "department.manage": {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (F, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "site.view":         {"grid_worker": (T, F), "inspector": (T, F), "supervisor": (T, F),
                          "enterprise_user": (T, F), "admin": (T, T)},
    "site.create":       {"grid_worker": (T, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "site.update":       {"grid_worker": (T, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "site.rotate_qr":    {"grid_worker": (T, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "site.inspect":      {"grid_worker": (T, F), "inspector": (T, F), "supervisor": (T, F),
                          "enterprise_user": (T, F), "admin": (T, T)},
    # The enterprise's contact in full: the console masks it for inspectors.
    "site.contact":      {"grid_worker": (T, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (T, F), "admin": (T, T)},
    "user.view":         {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "user.manage":       {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (F, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    # in = linked to the in-scope site, out = linked to the out-of-scope site (neither uploaded by the actor)
    "photo.view":        {"grid_worker": (T, F), "inspector": (T, F), "supervisor": (T, F),
                          "enterprise_user": (T, F), "admin": (T, T)},
    "photo.original":    {"grid_worker": (T, F), "inspector": (T, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "hazard.view":       {"grid_worker": (T, F), "inspector": (T, F), "supervisor": (T, F),
                          "enterprise_user": (T, F), "admin": (T, T)},
    "hazard.publish_circular": {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                                "enterprise_user": (F, F), "admin": (T, T)},
    "inspection.view":   {"grid_worker": (T, F), "inspector": (T, F), "supervisor": (T, F),
                          "enterprise_user": (T, F), "admin": (T, T)},
    "hazard.publish":    {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    # in = a 群众举报 placed in grid A1, out = one in grid B1
    "report.view":       {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "report.triage":     {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    # 巡查计划 of a site: never the enterprise's (it would date the 暗访)
    "site.patrol_plan":  {"grid_worker": (T, F), "inspector": (T, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    # in = grid A1 (inside every official's scope), out = grid B1
    "console.view":      {"grid_worker": (F, F), "inspector": (T, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "hazard.remind":     {"grid_worker": (F, F), "inspector": (T, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "hazard.escalate":   {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    # in = a 黑名单 entry for the site in A1, out = one for the site in B1
    "blacklist.view":    {"grid_worker": (F, F), "inspector": (T, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "blacklist.review":  {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "blacklist.approve": {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    # in = a 通报 of street A, out = one of street B
    "circular.view":     {"grid_worker": (F, F), "inspector": (T, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "circular.manage":   {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    # webhook subscribers are the administrator's alone (in/out: two subscribers)
    "webhook.manage":    {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (F, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    # 投递记录: in = the SMS of a notice about the in-scope hazard, out = about the out-of-scope one
    "delivery.view":     {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "delivery.retry":    {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    # 批量导入: in = a job the supervisor uploaded, out = one the administrator uploaded
    "import.sites":      {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    # 管理网格员: in = a grid worker of street A (the supervisor's), out = one of street B
    "user.staff":        {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    # 维护网格: in = a grid of street A, out = a grid of street B
    "region.grid_manage": {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                           "enterprise_user": (F, F), "admin": (T, T)},
    # 企业隐患自查自报: a site's monthly status (read), its report (the enterprise's own), the console figures
    "site.self_check_status": {"grid_worker": (T, F), "inspector": (T, F), "supervisor": (T, F),
                               "enterprise_user": (T, F), "admin": (T, T)},
    "site.self_check_report": {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (F, F),
                               "enterprise_user": (T, F), "admin": (T, T)},
    "site.self_check_stats":  {"grid_worker": (F, F), "inspector": (T, F), "supervisor": (T, F),
                               "enterprise_user": (F, F), "admin": (T, T)},
    # 风险分级管控: the enterprise assesses its own site's 风险点; supervisors review and override
    "site.risk_assess":   {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                           "enterprise_user": (T, F), "admin": (T, T)},
    "site.risk_review":   {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                           "enterprise_user": (F, F), "admin": (T, T)},
    "site.risk_override": {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                           "enterprise_user": (F, F), "admin": (T, T)},
    # 新增场所审核, 合并, 歇业/注销 and 一企一档: street supervisors (in the console)
    "site.review":       {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "site.merge":        {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "site.close":        {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "site.dossier":      {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    # 企业注册审核: in = a claim of the site in A1, out = one of the site in B1
    "enterprise_application.review": {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                                      "enterprise_user": (F, F), "admin": (T, T)},
    # 检查表发布 (upload, publish a version, download the YAML): administrators alone (in/out: two checklists)
    "checklist.publish": {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (F, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
}

# hazard.publish_circular is asked about a hazard.
CIRCULAR_ON_HAZARD = {"hazard.publish_circular"}

# What kind of object each action is asked about.
OBJECT_KIND = {
    "region": "region", "department": "department", "site": "site", "user": "user", "photo": "photo",
}
CREATE_ON_GRID = {"site.create"}


@dataclass
class Scenario:
    actors: dict[str, User]
    objects: dict[tuple[str, str], Any]  # (kind, "in"|"out") → object


def build_scenario() -> Scenario:
    """Every actor's scope contains grid A1 and the site in it; grid B1 is outside all of them."""
    d = build_district()
    make_site, make_user = new_site, new_user
    site_in = make_site(d.grid_a1, category="small_restaurant", domains=["fire", "nine_small"])
    site_out = make_site(d.grid_b1, category="small_restaurant", domains=["fire", "nine_small"])
    actors = {
        "grid_worker": make_user("grid_worker", region=d.grid_a1),
        "inspector": make_user("inspector", region=d.street_a, department=d.fire_dept),
        "supervisor": make_user("supervisor", region=d.street_a),
        "enterprise_user": make_user("enterprise_user", site=site_in),
        "admin": make_user("admin"),
    }
    objects = {
        ("region", "in"): d.grid_a1, ("region", "out"): d.grid_b1,
        ("site", "in"): site_in, ("site", "out"): site_out,
        ("department", "in"): d.fire_dept, ("department", "out"): d.construction_dept,
        ("user", "in"): make_user("grid_worker", region=d.grid_a2),
        ("user", "out"): make_user("grid_worker", region=d.grid_b1),
    }
    objects[("photo", "in")], objects[("photo", "out")] = _site_photos(site_in, site_out, make_user, d)
    objects.update(_hazards_and_inspections(site_in, site_out, actors["admin"]))
    objects[("report", "in")], objects[("report", "out")] = _public_reports(d.grid_a1, d.grid_b1)
    objects[("console", "in")], objects[("console", "out")] = d.grid_a1, d.grid_b1
    objects[("blacklist", "in")], objects[("blacklist", "out")] = _blacklist_entries(site_in, site_out)
    objects[("circular", "in")], objects[("circular", "out")] = _circulars(d.street_a, d.street_b)
    objects[("webhook", "in")], objects[("webhook", "out")] = _webhooks()
    objects[("checklist", "in")], objects[("checklist", "out")] = _checklists()
    objects[("import", "in")], objects[("import", "out")] = _import_jobs(actors["supervisor"], actors["admin"])
    objects[("enterprise_application", "in")], objects[("enterprise_application", "out")] = \
        _enterprise_applications(site_in, site_out)
    objects[("delivery", "in")], objects[("delivery", "out")] = _deliveries(
        objects[("hazard", "in")], objects[("hazard", "out")], actors["enterprise_user"])
    return Scenario(actors, objects)


def _enterprise_applications(site_in: Site, site_out: Site) -> tuple[Any, Any]:
    """A pending 认领 of each site."""
    from hazardloop.extensions import db
    from hazardloop.sites.models import EnterpriseApplication

    rows = tuple(EnterpriseApplication(kind="claim", site_id=site.id, region_id=site.grid_id, name=site.name,
                                       contact_name="联系人", mobile="13700000000", mobile_verified=True)
                 for site in (site_in, site_out))
    db.session.add_all(rows)
    db.session.commit()
    return rows[0], rows[1]


def _circulars(street_in: Region, street_out: Region) -> tuple[Any, Any]:
    """A weekly 通报 draft of each street."""
    from hazardloop.circulars.models import Circular
    from hazardloop.extensions import db

    circulars = tuple(Circular(title=f"{street.name}周通报", status="draft", scope_kind="street", region_id=street.id,
                               period_kind="week", hazard_ids=[], content={}) for street in (street_in, street_out))
    db.session.add_all(circulars)
    db.session.commit()
    return circulars[0], circulars[1]


def _import_jobs(owner_in: User, owner_out: User) -> tuple[Any, Any]:
    from hazardloop.extensions import db
    from hazardloop.imports.models import ImportJob

    jobs = tuple(ImportJob(kind="sites", status="checking", filename="场所.xlsx", stored_path=f"{u.id}.xlsx",
                           file_sha256="0" * 64, created_by_id=u.id, planned={}, applied={})
                 for u in (owner_in, owner_out))
    db.session.add_all(jobs)
    db.session.commit()
    return jobs[0], jobs[1]


def _deliveries(hazard_in: Hazard, hazard_out: Hazard, user: User) -> tuple[Any, Any]:
    from hazardloop.extensions import db
    from hazardloop.notifications.models import Delivery, Notification

    out = []
    for hazard in (hazard_in, hazard_out):
        notice = Notification(user_id=user.id, kind="hazard.assign", title="已交办", body="", hazard_id=hazard.id,
                              dedupe_key=f"matrix:{hazard.id}")
        db.session.add(notice)
        db.session.flush()
        out.append(Delivery(notification_id=notice.id, channel="sms", address="13900000001", kind="hazard.assign",
                            title="已交办", status="refused", reason_code="isv.BUSINESS_LIMIT_CONTROL"))
    db.session.add_all(out)
    db.session.commit()
    return out[0], out[1]


def _checklists() -> tuple[Any, Any]:
    """The checklist the hazards' inspections were filled with, and a second one."""
    from hazardloop.checklists.models import Checklist
    from hazardloop.extensions import db

    other = Checklist(id="matrix-other", title="矩阵测试二")
    db.session.add(other)
    db.session.commit()
    return db.session.get(Checklist, "matrix"), other


def _webhooks() -> tuple[Any, Any]:
    from hazardloop.extensions import db
    from hazardloop.notifications.models import WebhookSubscription

    hooks = tuple(WebhookSubscription(name=name, url="http://127.0.0.1:9/", secret="s" * 64, event_kinds=[])
                  for name in ("市平台", "住建局系统"))
    db.session.add_all(hooks)
    db.session.commit()
    return hooks[0], hooks[1]


def _blacklist_entries(site_in: Site, site_out: Site) -> tuple[Any, Any]:
    """A 黑名单 candidate for each site."""
    from hazardloop.blacklist.models import BlacklistEntry
    from hazardloop.extensions import db

    entries = tuple(BlacklistEntry(site_id=site.id, status="candidate", enterprise_name=site.name, reason="逾期未整改")
                    for site in (site_in, site_out))
    db.session.add_all(entries)
    db.session.commit()
    return entries[0], entries[1]


def _public_reports(grid_in: Region, grid_out: Region) -> tuple[PublicReport, PublicReport]:
    """A 群众举报 placed on the map in each grid (no site)."""
    from hazardloop.database import utcnow
    from hazardloop.extensions import db

    reports = tuple(PublicReport(description="楼道堆放杂物", text_hash=str(grid.id) * 4, category="fire",
                                 region=grid, received_at=utcnow(), triage_due_at=utcnow(), photo_ids=[])
                    for grid in (grid_in, grid_out))
    db.session.add_all(reports)
    db.session.commit()
    return reports[0], reports[1]


def _hazards_and_inspections(site_in: Site, site_out: Site, admin: User) -> dict[tuple[str, str], Any]:
    """A routine (not covert) hazard and inspection at each site."""
    from hazardloop.checklists.models import Checklist, ChecklistVersion
    from hazardloop.database import utcnow
    from hazardloop.extensions import db
    from hazardloop.hazards.services import create_hazard
    from hazardloop.hazards.states import HazardLevel, HazardSource
    from hazardloop.inspections.models import Inspection
    from hazardloop.taxonomy import Role

    db.session.add(Checklist(id="matrix", title="矩阵测试"))
    version = ChecklistVersion(checklist_id="matrix", version="1", content_hash="0" * 64, title="矩阵测试",
                               categories=[], domains=[], item_count=0, content={}, source_file="m.yaml")
    db.session.add(version)
    db.session.flush()
    out: dict[tuple[str, str], Any] = {}
    for where, site in (("in", site_in), ("out", site_out)):
        now = utcnow()
        inspection = Inspection(
            client_uuid=f"00000000-0000-4000-8000-00000000000{1 if where == 'in' else 2}", content_hash="x",
            site=site, checklist_version_id=version.id, mode="routine", inspector_id=admin.id,
            inspector_role="admin", started_at=now, finished_at=now, answers=[], score_total=100,
            score_max=100, finding_count=0)
        db.session.add(inspection)
        out[("inspection", where)] = inspection
        out[("hazard", where)] = create_hazard(
            site=site, source=HazardSource.GRID_PATROL, description="灭火器过期", level=HazardLevel.GENERAL,
            domain="fire", actor=admin, actor_role=Role.ADMIN, found_at=now)
    db.session.commit()
    return out


# The scenario is read-only for these tests, so it is built once per database and reloaded by id;
# if another test emptied the tables meanwhile, it is built again.
_BUILT: dict[int, tuple[dict[str, int], dict[tuple[str, str], tuple[type, Any]]]] = {}


@pytest.fixture
def scenario(_session_app) -> Any:
    from hazardloop.extensions import db

    with _session_app.app_context():
        ids = _BUILT.get(id(_session_app))
        if ids is None or db.session.get(User, ids[0]["admin"]) is None:
            _empty_tables(_session_app)
            reset_redis(redis.Redis.from_url(_session_app.config["REDIS_URL"]))
            built = build_scenario()
            ids = ({role: u.id for role, u in built.actors.items()},
                   {key: (type(obj), obj.id) for key, obj in built.objects.items()})
            _BUILT[id(_session_app)] = ids
            db.session.remove()
        actors = {role: db.session.get(User, uid) for role, uid in ids[0].items()}
        objects = {key: db.session.get(model, oid) for key, (model, oid) in ids[1].items()}
        yield Scenario(actors, objects)
        db.session.rollback()


@pytest.fixture
def login(_session_app) -> Any:
    """Log in through the session app without emptying the tables (the scenario is shared)."""
    def do(user: Any) -> ApiClient:
        client = ApiClient(_session_app.test_client())
        assert client.login(user.mobile).status_code == 200
        return client

    return do


def _site_photos(site_in: Site, site_out: Site, make_user: Any, d: Any) -> tuple[Photo, Photo]:
    from hazardloop.evidence.services import link_photo, receive_photo
    from hazardloop.extensions import db

    uploader = make_user("grid_worker", region=d.grid_p1)
    photos = []
    for site, color in ((site_in, (200, 40, 40)), (site_out, (40, 40, 200))):
        photo, _ = receive_photo(jpeg(16, 12, color=color), uploader=uploader)
        link_photo(photo, subject_type="site", subject_id=site.id, role="overview")
        photos.append(photo)
    db.session.commit()
    return photos[0], photos[1]


def _object_for(scenario: Scenario, action: str, where: str) -> Any:
    if action in CREATE_ON_GRID:
        return scenario.objects[("region", where)]
    if action in CIRCULAR_ON_HAZARD:
        return scenario.objects[("hazard", where)]
    return scenario.objects[(action.split(".")[0], where)]


def test_every_action_has_a_row():
    assert set(EXPECTED) == {a.value for a in Action}
    for action, row in EXPECTED.items():
        assert set(row) == set(ROLES), action


@pytest.mark.parametrize("action", list(EXPECTED))
def test_matrix(scenario, action):
    """One test per action, every role × in scope / out of scope checked (a test per cell cost 60 ms each in
    fixture set-up alone, 940 of them per database); a failure lists every cell that disagrees."""
    wrong = []
    for role in ROLES:
        for i, where in enumerate(("in", "out")):
            expected = EXPECTED[action][role][i]
            if policy.can(scenario.actors[role], Action(action), _object_for(scenario, action, where)) is not expected:
                wrong.append(f"{role} {where}: expected {'allowed' if expected else 'refused'}")
    assert not wrong, wrong


MODELS = {"region": Region, "site": Site, "user": User, "department": Department, "photo": Photo,
          "hazard": Hazard, "inspection": Inspection, "report": PublicReport,
          "console": Region, "blacklist": BlacklistEntry, "circular": Circular, "delivery": Delivery}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", [a for a in EXPECTED if a.endswith(".view")])
def test_list_queries_agree_with_the_matrix(scenario, action, role):
    from hazardloop.extensions import db

    """Which objects a user may list is answered by the same rules, in SQL."""
    user = scenario.actors[role]
    kind = action.split(".")[0]
    listed = set(db.session.scalars(select(MODELS[kind]).where(policy.visible(user, MODELS[kind], Action(action)))))
    for where, expected in zip(("in", "out"), EXPECTED[action][role], strict=True):
        obj = scenario.objects[(kind, where)]
        if kind == "user" and obj is user:
            continue
        assert (obj in listed) is expected, (where, obj)
    for obj in listed:  # nothing listed that `can` would refuse
        assert policy.can(user, Action(action), obj)


@pytest.mark.parametrize("role", ROLES)
def test_holding_an_action_means_allowed_somewhere_in_the_matrix(scenario, role):
    """``policy.holds`` (may this role use the screen at all) agrees with the matrix."""
    user = scenario.actors[role]
    for action, row in EXPECTED.items():
        if action == "user.view":
            continue  # everyone may see themselves, though only some roles hold user.view
        assert policy.holds(user, Action(action)) is any(row[role]), action


def test_everyone_may_view_themselves(scenario):
    for user in scenario.actors.values():
        assert policy.can(user, Action.USER_VIEW, user)


def test_inspector_sees_only_sites_in_their_departments_domains(db, district, make_site, make_user):
    inspector = make_user("inspector", region=district.street_a, department=district.fire_dept)
    building_site = make_site(district.grid_a1, category="construction_site", domains=["construction"])
    shop = make_site(district.grid_a1, category="small_shop", domains=["fire"])
    assert not policy.can(inspector, Action.SITE_VIEW, building_site)
    assert policy.can(inspector, Action.SITE_VIEW, shop)


def test_disabled_user_may_do_nothing(scenario):
    admin = scenario.actors["admin"]
    admin.active = False
    for action in Action:
        assert not policy.can(admin, action, _object_for(scenario, action.value, "in"))


# --- the same matrix over HTTP: allowed → 2xx, visible but not allowed → 403, unseen → 404 ---

HTTP_CASES = {
    "site.view": ("GET", "/api/v1/sites/{id}", None),
    "site.update": ("PATCH", "/api/v1/sites/{id}", {"notes": "门口消防通道畅通"}),
    "site.rotate_qr": ("POST", "/api/v1/sites/{id}/qr-token", None),
    "region.view": ("GET", "/api/v1/regions/{id}", None),
    "user.view": ("GET", "/api/v1/users/{id}", None),
    "user.manage": ("PATCH", "/api/v1/users/{id}", {"active": True}),
    "photo.view": ("GET", "/api/v1/photos/{id}/thumbnail", None),
    "photo.original": ("GET", "/api/v1/photos/{id}/original", None),
}
VIEW_OF = {"site": "site.view", "region": "region.view", "user": "user.view", "photo": "photo.view"}
HTTP_PARAMS = [(a, r, w) for a in HTTP_CASES for r in ROLES for w in ("in", "out")]


@pytest.mark.parametrize(("action", "role", "where"), HTTP_PARAMS,
                         ids=[f"{a}-{r}-{w}" for a, r, w in HTTP_PARAMS])
def test_http_answers_follow_the_matrix(scenario, login, action, role, where):
    method, template, body = HTTP_CASES[action]
    obj = _object_for(scenario, action, where)
    client = login(scenario.actors[role])
    response = client.client.open(
        template.format(id=obj.id), method=method, json=body,
        headers={"X-CSRF-Token": client.csrf} if method != "GET" else {},
    )
    i = 0 if where == "in" else 1
    allowed = EXPECTED[action][role][i]
    visible = EXPECTED[VIEW_OF[action.split(".")[0]]][role][i]
    expected_status = 200 if allowed else 403 if visible else 404
    assert response.status_code == expected_status, response.get_json()


# --- hazard workflow transitions: who may fire what, in scope and out of scope -------------------

TRANSITION_ROLES: dict[str, set[str]] = {
    "expose": {"inspector", "supervisor", "admin"},
    "assign": {"grid_worker", "inspector", "supervisor", "admin"},
    "acknowledge": {"enterprise_user", "grid_worker", "admin"},
    "submit_governance_plan": {"enterprise_user", "admin"},
    "approve_governance_plan": {"supervisor", "admin"},
    "return_governance_plan": {"supervisor", "admin"},
    "submit_rectification": {"enterprise_user", "grid_worker", "admin"},
    "verify_pass": {"grid_worker", "inspector", "supervisor", "admin"},
    "verify_fail": {"grid_worker", "inspector", "supervisor", "admin"},
    "request_extension": {"enterprise_user", "grid_worker", "admin"},
    "approve_extension": {"supervisor", "admin"},
    "refuse_extension": {"supervisor", "admin"},
    "list_supervision": {"supervisor", "admin"},
    "lift_supervision": {"supervisor", "admin"},
    "close_on_site": {"enterprise_user", "grid_worker", "inspector", "supervisor", "admin"},
    "self_rectify": {"enterprise_user", "admin"},
}


def test_every_transition_has_a_row():
    from hazardloop.hazards.states import TRANSITIONS

    assert set(TRANSITION_ROLES) == set(TRANSITIONS)


@pytest.mark.parametrize("action", list(TRANSITION_ROLES))
def test_transition_matrix(scenario, action):
    """One test per transition, every role × in scope / out of scope; a failure lists every cell that disagrees."""
    from hazardloop.hazards.states import TRANSITIONS

    wrong = []
    for role in ROLES:
        for where in ("in", "out"):
            hazard = scenario.objects[("hazard", where)]
            expected = role in TRANSITION_ROLES[action] and (where == "in" or role == "admin")
            if (policy.can_fire(scenario.actors[role], TRANSITIONS[action], hazard) is not None) is not expected:
                wrong.append(f"{role} {where}: expected {'allowed' if expected else 'refused'}")
    assert not wrong, wrong
