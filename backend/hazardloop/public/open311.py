"""Open311 GeoReport v2 (read-only): services are the 监管领域, requests the accepted 群众举报 and the
hazards on the 曝光台. Ids are public codes, never database ids; nothing unpublished or personal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from hazardloop.apitools import local_isoformat
from hazardloop.database import local_zone
from hazardloop.errors import NotFound
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import STATUS_LABELS, HazardStatus
from hazardloop.public.models import HazardExposure, PublicReport, ReportStatus
from hazardloop.public.services import (
    PUBLIC_STATUS_LABELS,
    domain_label,
    public_photo_url,
    public_status,
    published_ids,
    redact_phones,
)
from hazardloop.taxonomy import Domain

GROUP = "安全隐患"
MAX_REQUESTS = 1000  # GeoReport v2 lets servers cap the list; a date range narrows it


def services_list() -> list[dict[str, Any]]:
    return [{"service_code": d.value, "service_name": domain_label(d.value),
             "description": f"{domain_label(d.value)}领域的安全隐患", "metadata": False,
             "type": "realtime", "keywords": "", "group": GROUP} for d in Domain]


def _time(value: dt.datetime | None) -> str | None:
    return local_isoformat(value, local_zone())


def _request_from_report(report: PublicReport) -> dict[str, Any]:
    hazard: Hazard = report.hazard
    status = public_status(report)
    shown = [p for p in report.photo_ids if p in published_ids(report.photo_ids)]
    site = hazard.site
    lat, lng = (site.lat, site.lng) if site.lat is not None else (report.lat, report.lng)
    return _request(
        rid=report.public_id, status=hazard.status, notes=PUBLIC_STATUS_LABELS[status], domain=report.category,
        description=hazard.description, requested=report.received_at, updated=hazard.updated_at,
        expected=hazard.deadline_at, address=site.address, lat=lat, lng=lng, media=shown)


def _request_from_hazard(hazard: Hazard, exposure: HazardExposure) -> dict[str, Any]:
    site = hazard.site
    return _request(
        rid=exposure.public_id, status=hazard.status, notes=STATUS_LABELS[HazardStatus(hazard.status)],
        domain=hazard.domain, description=hazard.description, requested=hazard.found_at,
        updated=hazard.updated_at, expected=hazard.deadline_at, address=site.address, lat=site.lat, lng=site.lng,
        media=[p for p in hazard.photo_ids if p in published_ids(hazard.photo_ids)])


def _request(*, rid: str, status: str, notes: str, domain: str, description: str, requested: dt.datetime,
             updated: dt.datetime, expected: dt.datetime | None, address: str | None, lat: float | None,
             lng: float | None, media: list[str]) -> dict[str, Any]:
    return {
        "service_request_id": rid, "status": "closed" if status == HazardStatus.CLOSED else "open",
        "status_notes": notes, "service_name": domain_label(domain), "service_code": domain,
        "description": redact_phones(description), "agency_responsible": None, "service_notice": None,
        "requested_datetime": _time(requested), "updated_datetime": _time(updated),
        "expected_datetime": _time(expected), "address": address, "address_id": None, "zipcode": None,
        # Rounded to about 100 m: a public map needs no more, and a point picked by a citizen stays vague.
        "lat": round(lat, 3) if lat is not None else None, "long": round(lng, 3) if lng is not None else None,
        "media_url": public_photo_url(media[0], absolute=True) if media else None,
    }


def _accepted_reports() -> Any:
    return select(PublicReport).where(PublicReport.status == ReportStatus.ACCEPTED.value)


def _exposed_hazards() -> Any:
    from_reports = select(PublicReport.hazard_id).where(PublicReport.hazard_id.is_not(None))
    return (select(Hazard, HazardExposure).join(HazardExposure, HazardExposure.hazard_id == Hazard.id)
            .where(Hazard.exposed_publicly.is_(True), Hazard.id.not_in(from_reports)))


def requests_list(*, service_code: str | None = None, status: str | None = None,
                  start: dt.datetime | None = None, end: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Accepted reports and exposed hazards (a hazard from a report is listed once, as the report)."""
    reports = _accepted_reports()
    hazards = _exposed_hazards()
    if service_code:
        reports = reports.where(PublicReport.category == service_code)
        hazards = hazards.where(Hazard.domain == service_code)
    if start:
        reports, hazards = reports.where(PublicReport.received_at >= start), hazards.where(Hazard.found_at >= start)
    if end:
        reports, hazards = reports.where(PublicReport.received_at < end), hazards.where(Hazard.found_at < end)
    items = [_request_from_report(r) for r in db.session.scalars(
        reports.order_by(PublicReport.received_at.desc()).limit(MAX_REQUESTS))]
    items += [_request_from_hazard(h, e) for h, e in db.session.execute(
        hazards.order_by(Hazard.found_at.desc()).limit(MAX_REQUESTS))]
    if status:
        items = [i for i in items if i["status"] == status]
    items.sort(key=lambda i: i["requested_datetime"] or "", reverse=True)
    return items[:MAX_REQUESTS]


def request_by_id(rid: str) -> dict[str, Any]:
    """One request by its public id; raises NotFound for anything unknown or unpublished."""
    rid = rid[:64]
    report = db.session.scalar(_accepted_reports().where(PublicReport.public_id == rid))
    if report is not None:
        return _request_from_report(report)
    row = db.session.execute(_exposed_hazards().where(HazardExposure.public_id == rid)).first()
    if row is None:
        raise NotFound("未找到该请求。")
    return _request_from_hazard(*row)
