"""Fixtures for the public channel: a site with a QR code, anonymous visitors, supervisors in and out of scope."""

from __future__ import annotations

import pytest

from tests.support.public_reports import Visitor


@pytest.fixture
def shop(district, make_site):
    return make_site(district.grid_a1, category="small_restaurant", domains=["fire", "nine_small"],
                     lat=30.35, lng=120.15, contact_name="王店主", contact_mobile="13911112222")


@pytest.fixture
def visitor(app):
    """An anonymous phone: no login, its own device id."""
    return Visitor(app.test_client(), device="device-a", ip="203.0.113.7")


@pytest.fixture
def staff(district, make_user, login):
    users = {
        "supervisor": make_user("supervisor", region=district.street_a),
        "outsider": make_user("supervisor", region=district.street_b),
        "district_supervisor": make_user("supervisor", region=district.district),
        "worker": make_user("grid_worker", region=district.grid_a1),
        "admin": make_user("admin"),
    }
    return {name: login(user) for name, user in users.items()} | {"users": users}


