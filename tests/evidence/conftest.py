"""The photo tests' people: an inspector in street A and their logged-in session."""

from __future__ import annotations

import pytest


@pytest.fixture
def inspector(district, make_user):
    return make_user("inspector", region=district.street_a, department=district.fire_dept)


@pytest.fixture
def inspector_client(inspector, login):
    return login(inspector)
