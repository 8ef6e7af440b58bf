"""Tie uploaded photos to what they are evidence of, and stamp them with the recorded capture facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from hazardloop.accounts.models import User
from hazardloop.database import held_or_loaded
from hazardloop.evidence.models import Photo
from hazardloop.evidence.services import CaptureRecord, apply_capture_record, has_capture_record, link_photo
from hazardloop.extensions import db
from hazardloop.sites.models import Site

# The transition payload fields that cite photos; each passes policy.authorize_photo_citation.
PHOTO_FIELDS = ("photo_ids", "before_photo_ids", "after_photo_ids")


def attach_photos(
    photo_ids: Iterable[str],
    *,
    subject_type: str,
    subject_id: int,
    role: str,
    actor: User,
    answers: str | None = None,
    site: Site | None = None,
    captured_at: dt.datetime | None = None,
    lat: float | None = None,
    lng: float | None = None,
    hazard_number: str | None = None,
) -> list[Photo]:
    """Link each photo to the subject; the first record of a photo burns its evidence watermark.

    ``answers`` pairs "after" photos with the finding photo they answer (for side-by-side views).
    The inspection record, not EXIF, supplies time and place; the evidence feature flags a
    large difference between the two.
    """
    ids = list(dict.fromkeys(photo_ids))
    if not ids:
        return []
    # The caller usually holds the photos already (an inspection loads those it cites once): no query for them.
    photos = held_or_loaded(Photo, ids)
    answered = db.session.get(Photo, answers) if answers else None
    linked = []
    for photo_id in ids:
        photo = photos.get(photo_id)
        if photo is None:
            continue  # validated by the caller; a vanished row is not ours to invent
        link_photo(photo, subject_type=subject_type, subject_id=subject_id, role=role,
                   answers=answered if answered is not None and answered.id != photo.id else None, actor=actor)
        # The first record wins: a later link (another hazard, a repeat observation) never re-stamps.
        if site is not None and not has_capture_record(photo):
            apply_capture_record(photo, CaptureRecord(captured_at=captured_at, lat=lat, lng=lng, site=site,
                                                      inspector=actor, hazard_number=hazard_number))
        linked.append(photo)
    return linked
