"""The authorization matrix: every role × action × in-scope / out-of-scope object.

EXPECTED is the specification, written independently of policy.RULES. A new Action
fails ``test_every_action_has_a_row`` until its row is written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.policy import Action
from hazardloop.regions.models import Department, Region
from hazardloop.sites.models import Site

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
    "user.view":         {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (T, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
    "user.manage":       {"grid_worker": (F, F), "inspector": (F, F), "supervisor": (F, F),
                          "enterprise_user": (F, F), "admin": (T, T)},
}

# What kind of object each action is asked about.
OBJECT_KIND = {
    "region": "region", "department": "department", "site": "site", "user": "user",
}
CREATE_ON_GRID = {"site.create"}


@dataclass
class Scenario:
    actors: dict[str, User]
    objects: dict[tuple[str, str], Any]  # (kind, "in"|"out") → object


@pytest.fixture
def scenario(district, make_site, make_user) -> Scenario:
    """Every actor's scope contains grid A1 and the site in it; grid B1 is outside all of them."""
    d = district
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
    return Scenario(actors, objects)


def _object_for(scenario: Scenario, action: str, where: str) -> Any:
    if action in CREATE_ON_GRID:
        return scenario.objects[("region", where)]
    return scenario.objects[(action.split(".")[0], where)]


def test_every_action_has_a_row():
    assert set(EXPECTED) == {a.value for a in Action}
    for action, row in EXPECTED.items():
        assert set(row) == set(ROLES), action


CASES = [(a, r, w) for a in EXPECTED for r in ROLES for w in ("in", "out")]


@pytest.mark.parametrize(("action", "role", "where"), CASES,
                         ids=[f"{a}-{r}-{w}" for a, r, w in CASES])
def test_matrix(scenario, action, role, where):
    user = scenario.actors[role]
    obj = _object_for(scenario, action, where)
    expected = EXPECTED[action][role][0 if where == "in" else 1]
    assert policy.can(user, Action(action), obj) is expected


MODELS = {"region": Region, "site": Site, "user": User, "department": Department}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", [a for a in EXPECTED if a.endswith(".view")])
def test_list_queries_agree_with_the_matrix(scenario, db, action, role):
    """Which objects a user may list is answered by the same rules, in SQL."""
    user = scenario.actors[role]
    kind = action.split(".")[0]
    listed = set(db.session.scalars(select(MODELS[kind]).where(policy.visible(user, MODELS[kind]))))
    for where, expected in zip(("in", "out"), EXPECTED[action][role], strict=True):
        obj = scenario.objects[(kind, where)]
        if kind == "user" and obj is user:
            continue
        assert (obj in listed) is expected, (where, obj)
    for obj in listed:  # nothing listed that `can` would refuse
        assert policy.can(user, Action(action), obj)


def test_everyone_may_view_themselves(scenario):
    for user in scenario.actors.values():
        assert policy.can(user, Action.USER_VIEW, user)


def test_inspector_sees_only_sites_in_their_departments_domains(district, make_site, make_user):
    inspector = make_user("inspector", region=district.street_a, department=district.fire_dept)
    building_site = make_site(district.grid_a1, category="construction_site", domains=["construction"])
    shop = make_site(district.grid_a1, category="small_shop", domains=["fire"])
    assert not policy.can(inspector, Action.SITE_VIEW, building_site)
    assert policy.can(inspector, Action.SITE_VIEW, shop)


def test_disabled_user_may_do_nothing(scenario, db):
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
}
VIEW_OF = {"site": "site.view", "region": "region.view", "user": "user.view"}
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
