"""Uploading real files through the API."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.system.test_cli_and_worker import cli_env  # noqa: F401


def upload(client: Any, data: bytes, filename: str = "IMG_0001.jpg", **fields: str) -> Any:
    """POST /api/v1/photos as multipart, the way the PWA sends a photo."""
    form = {"file": (io.BytesIO(data), filename), **fields}
    return client.post("/api/v1/photos", data=form, content_type="multipart/form-data")


@pytest.fixture
def inspector(district, make_user):
    return make_user("inspector", region=district.street_a, department=district.fire_dept)


@pytest.fixture
def inspector_client(inspector, login):
    return login(inspector)
