"""Who may review field sites, merge, close, keep the 一企一档 and decide enterprise applications: a matrix."""

from __future__ import annotations

import pytest

from hazardloop import policy
from hazardloop.policy import Action

# role → (may do it on a site in scope, scope of the role)
MATRIX = {
    Action.SITE_REVIEW: {"grid_worker": False, "inspector": False, "supervisor": True, "enterprise_user": False,
                         "admin": True},
    Action.SITE_MERGE: {"grid_worker": False, "inspector": False, "supervisor": True, "enterprise_user": False,
                        "admin": True},
    Action.SITE_CLOSE: {"grid_worker": False, "inspector": False, "supervisor": True, "enterprise_user": False,
                        "admin": True},
    Action.SITE_DOSSIER: {"grid_worker": False, "inspector": False, "supervisor": True, "enterprise_user": False,
                          "admin": True},
}


def _users(district, make_user, site):
    return {
        "grid_worker": make_user("grid_worker", region=district.grid_a1),
        "inspector": make_user("inspector", region=district.street_a, department=district.fire_dept),
        "supervisor": make_user("supervisor", region=district.street_a),
        "enterprise_user": make_user("enterprise_user", site=site),
        "admin": make_user("admin"),
    }


@pytest.mark.parametrize("action", list(MATRIX))
def test_site_actions_follow_the_matrix_in_scope_and_none_out_of_scope(action, district, make_site, make_user):
    site = make_site(district.grid_a1)
    elsewhere = make_site(district.grid_b1)
    for role, user in _users(district, make_user, site).items():
        assert policy.can(user, action, site) is MATRIX[action][role], (action, role)
        if role != "admin":
            assert policy.can(user, action, elsewhere) is False, (action, role)


def test_enterprise_applications_are_decided_by_the_street_supervisor(district, make_site, make_user, db):
    from hazardloop.sites.models import EnterpriseApplication

    site = make_site(district.grid_a1)
    application = EnterpriseApplication(kind="claim", site=site, region_id=district.grid_a1.id, name="x",
                                        contact_name="y", mobile="13612345678", mobile_verified=True)
    db.session.add(application)
    db.session.commit()
    users = _users(district, make_user, site)
    allowed = {role for role, user in users.items()
               if policy.can(user, Action.ENTERPRISE_APPLICATION_REVIEW, application)}
    assert allowed == {"supervisor", "admin"}
    assert not policy.can(make_user("supervisor", region=district.street_b),
                          Action.ENTERPRISE_APPLICATION_REVIEW, application)
    for role, user in users.items():  # the SQL twin agrees
        listed = db.session.scalars(db.select(EnterpriseApplication.id).where(
            policy.visible(user, EnterpriseApplication))).all()
        assert (application.id in listed) is (role in allowed), role
