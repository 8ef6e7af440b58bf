"""What the public channel sends and reads: a visitor's phone, its GPS photos, tracking codes, the triage queue."""

from __future__ import annotations

import io
from typing import Any

from tests.support.imagefiles import exif_block, jpeg

GPS_PHOTO_AT = (30.35, 120.15)


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


def submitted(visitor, **fields):
    response = visitor.report(**fields)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["tracking_code"]


def queue(client, **params):
    response = client.get("/api/v1/reports", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def progress(visitor, code):
    return visitor.get(f"/api/v1/public/reports/{code}").get_json()


def fire(client, hazard_id, action, **payload):
    response = client.post(f"/api/v1/hazards/{hazard_id}/transitions", json={"action": action, **payload})
    assert response.status_code == 200, response.get_json()
    return response.get_json()
