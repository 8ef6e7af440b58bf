"""Fixtures for the public channel: a site with a QR code, anonymous visitors, supervisors in and out of scope."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.evidence.imagefiles import exif_block, jpeg

GPS_PHOTO_AT = (30.35, 120.15)


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


def photo_bytes(color: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A phone photo with camera make, serial number and GPS in its EXIF."""
    lat, lng = GPS_PHOTO_AT
    return jpeg(80, 60, color=color, exif=exif_block(lat=lat, lng=lng))


class Visitor:
    """Sends what the public PWA sends: JSON, or multipart with photos; never a session or CSRF token."""

    def __init__(self, client: Any, *, device: str | None, ip: str) -> None:
        self.client, self.device, self.ip = client, device, ip

    def _env(self, device: str | None = None, ip: str | None = None) -> dict[str, Any]:
        headers = {"X-Device-Id": device or self.device} if (device or self.device) else {}
        return {"headers": headers, "environ_base": {"REMOTE_ADDR": ip or self.ip}}

    def get(self, path: str) -> Any:
        return self.client.get(path, **self._env())

    def report(self, *, photos: list[bytes] | None = None, device: str | None = None, ip: str | None = None,
               as_json: bool | None = None, **fields: Any) -> Any:
        body = {"description": "后厨液化气罐放在灶台旁边，没有固定", "category": "fire", **fields}
        if as_json or (as_json is None and not photos):
            return self.client.post("/api/v1/public/reports", json=body, **self._env(device, ip))
        data: dict[str, Any] = {k: str(v) for k, v in body.items() if v is not None}
        data["photos"] = [(io.BytesIO(p), f"p{i}.jpg", "image/jpeg") for i, p in enumerate(photos or [])]
        return self.client.post("/api/v1/public/reports", data=data, content_type="multipart/form-data",
                                **self._env(device, ip))
