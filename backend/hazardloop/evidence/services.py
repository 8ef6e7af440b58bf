"""Receiving photos, their derivatives and watermark, capture records, links and publication."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import re
from collections.abc import Collection, Iterable, Iterator

from flask import current_app
from PIL import Image
from sqlalchemy import Select, bindparam, exists, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload

from hazardloop.accounts.models import User
from hazardloop.database import local_zone, utcnow
from hazardloop.errors import ApiError, Conflict, NotFound, ValidationFailed
from hazardloop.evidence import images, watermark
from hazardloop.evidence.incoming import IncomingFile
from hazardloop.evidence.models import DerivativesStatus, LinkRole, Photo, PhotoLink, PhotoUpload, SubjectType
from hazardloop.evidence.storage import Storage, storage
from hazardloop.extensions import db
from hazardloop.geo import distance_m
from hazardloop.sites.models import Site

# Bump when the derivative pipeline changes: new keys, and `hazardloop photos rebuild` remakes them.
DERIVATIVE_VERSION = "2"  # 2: area-average (box) resize, colour transform after the resize
KINDS = ("evidence", "thumbnail", "public")
SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")


class PhotoRejected(ApiError):
    """The upload is not an acceptable still photo."""

    status = 422
    code = "photo_rejected"
    title = "照片不符合要求"


class PhotoTooLarge(ApiError):
    status = 413
    code = "photo_too_large"
    title = "照片过大"


class FontUnavailable(ApiError):
    status = 503
    code = "watermark_font_missing"
    title = "服务暂不可用"


def too_large(limit: int) -> PhotoTooLarge:
    return PhotoTooLarge(f"照片文件过大，单张上限为 {limit / (1024 * 1024):.0f} MB。"
                         "请在手机上选择较小尺寸后重试。")


# --- keys -------------------------------------------------------------------------------

def original_key(photo_id: str) -> str:
    return f"originals/{photo_id[:2]}/{photo_id}"


def _derived_key(photo_id: str, kind: str, variant: str) -> str:
    digest = hashlib.sha256(f"{DERIVATIVE_VERSION}\n{kind}\n{variant}".encode()).hexdigest()[:16]
    return f"derived/{photo_id[:2]}/{photo_id}/{kind}-{digest}.jpg"


def key_version(key: str) -> str:
    """The digest in a derivative key: it changes whenever the file's bytes may change."""
    return key.rsplit("-", 1)[1].removesuffix(".jpg")


# --- configuration helpers ------------------------------------------------------------



def _font_path() -> str:
    try:
        return watermark.find_font(current_app.config.get("PHOTO_FONT_PATH"))
    except watermark.FontMissing as exc:
        raise FontUnavailable("服务器缺少中文字体，暂时无法生成带水印的证据照片，请联系管理员。") from exc


# --- the watermark's words -------------------------------------------------------------

def watermark_lines(photo: Photo) -> tuple[str, ...]:
    """The strip's lines: the inspection's record first, EXIF only where nothing was recorded."""
    zone = local_zone()
    if photo.recorded_at is not None:
        when = f"拍摄时间：{photo.recorded_at.astimezone(zone):%Y-%m-%d %H:%M:%S}（检查记录）"
    elif photo.exif_taken_at is not None:
        when = f"拍摄时间：{photo.exif_taken_at.astimezone(zone):%Y-%m-%d %H:%M:%S}（照片EXIF，未核实）"
    else:
        when = f"拍摄时间：未记录（上传于 {(photo.created_at or utcnow()).astimezone(zone):%Y-%m-%d %H:%M}）"
    site_name = photo.site.name if photo.site is not None else ""
    if photo.recorded_lat is not None and photo.recorded_lng is not None:
        where = f"位置：{_coords(photo.recorded_lat, photo.recorded_lng)} {site_name}".rstrip()
    elif photo.exif_lat is not None and photo.exif_lng is not None:
        where = f"位置：{_coords(photo.exif_lat, photo.exif_lng)}（照片EXIF） {site_name}".rstrip()
    else:
        where = f"位置：未记录 {site_name}".rstrip()
    person = photo.inspector or photo.uploaded_by
    who = f"检查人：{person.display_name if person else '未记录'}　隐患编号：{photo.hazard_number or '—'}"
    if photo.exif_mismatch:
        who += "　【注意：照片EXIF与检查记录不符】"
    return when, where, who, f"照片编号：{photo.id[:16]}"


def _coords(lat: float, lng: float) -> str:
    return f"{abs(lat):.6f}°{'N' if lat >= 0 else 'S'} {abs(lng):.6f}°{'E' if lng >= 0 else 'W'}"


# --- receiving ---------------------------------------------------------------------------

def get_photo(photo_id: str) -> Photo:
    photo = db.session.get(Photo, photo_id) if SHA256_HEX.match(photo_id) else None
    if photo is None:
        raise NotFound("照片不存在。")
    return photo


def receive_photo(upload: bytes | IncomingFile, *, uploader: User | None,
                  declared_sha256: str | None = None) -> tuple[Photo, bool]:
    """Take an uploaded original; returns (photo, created). Uploading the same bytes again is a no-op.

    ``upload`` is the file the route streamed to disk while hashing (see incoming.py), or bytes.
    Only the checks run here and the original is kept; the derivatives are made after commit by
    the outbox job "photo.derivatives" (or by the first request that needs one, see read_file).
    Raises PhotoTooLarge (413), PhotoRejected (422: empty, not an image, truncated, corrupt,
    polyglot, animated, decompression bomb) and ValidationFailed when the client's hash does
    not match the bytes. Records the uploader (once per user); ``None`` is an anonymous public
    report (群众举报), whose photo nobody holds until it is linked.
    """
    if isinstance(upload, IncomingFile):
        incoming, data = upload, upload.read() if 0 < upload.size <= current_app.config["PHOTO_MAX_BYTES"] else b""
        size, photo_id = upload.size, upload.sha256
    else:
        incoming, data, size, photo_id = None, upload, len(upload), hashlib.sha256(upload).hexdigest()
    try:
        return _receive(data, size, photo_id, incoming, uploader, declared_sha256)
    finally:
        if incoming is not None:
            incoming.discard()  # a no-op once the storage took the file


def _receive(data: bytes, size: int, photo_id: str, incoming: IncomingFile | None, uploader: User | None,
             declared_sha256: str | None) -> tuple[Photo, bool]:
    limit = current_app.config["PHOTO_MAX_BYTES"]
    if size == 0:
        raise PhotoRejected("照片文件为空（0 字节），请重新选择照片。", code="photo_empty")
    if size > limit:
        raise too_large(limit)
    if declared_sha256 and declared_sha256.lower() != photo_id:
        raise ValidationFailed.field(
            "sha256", "照片内容与客户端提供的 SHA-256 不一致，可能传输中损坏，请重新上传。", "hash_mismatch")
    photo = db.session.get(Photo, photo_id)
    created = photo is None
    if photo is None:
        photo, created = _create(photo_id, data, incoming, uploader)
    elif not storage().exists(original_key(photo_id)):
        _store_original(photo_id, data, incoming, photo.media_type)  # the upload restores a lost original
    if photo.derivatives_status != DerivativesStatus.READY or photo.thumbnail_key is None:
        # Again after a failure (the original may be back). A photo without a capture record is about to
        # be cited by the inspection its phone sends next, which changes the watermark: wait for it.
        _schedule_derivatives(photo, delay_s=0 if has_capture_record(photo)
                              else current_app.config["PHOTO_DERIVATIVES_HOLD_S"])
    _record_upload(photo, uploader)
    db.session.flush()
    return photo, created


def _create(photo_id: str, data: bytes, incoming: IncomingFile | None,
            uploader: User | None) -> tuple[Photo, bool]:
    try:
        facts = images.check_upload(data, max_pixels=current_app.config["PHOTO_MAX_PIXELS"], zone=local_zone())
    except images.ImageRejected as exc:
        raise PhotoRejected(exc.message, code=exc.code) from exc
    # The empty collections and error are known: no statement loads them back (5 instead of 9 per upload).
    photo = Photo(id=photo_id, byte_size=len(data), uploaded_by_id=uploader.id if uploader else None,
                  created_at=utcnow(), orientation=1, derivatives_status=DerivativesStatus.PENDING,
                  derivatives_error=None, uploads=[], links=[])
    photo.uploaded_by = uploader
    _apply_facts(photo, facts)
    _apply_mismatch(photo)
    # The keys name the files before they exist: clients get their final URLs at once.
    photo.evidence_key, photo.thumbnail_key, photo.public_key = _current_keys(photo)
    # The original first: a row must never point at a file that is not there.
    _store_original(photo_id, data, incoming, photo.media_type)
    try:
        with db.session.begin_nested():
            db.session.add(photo)
    except IntegrityError:
        # The same bytes arrived twice at once: the other request's row wins, the files are identical,
        # and this request answers like a resend (200, not a second 201).
        existing = db.session.get(Photo, photo_id, populate_existing=True)
        if existing is None:
            raise
        return existing, False
    return photo, True


def _store_original(photo_id: str, data: bytes, incoming: IncomingFile | None, media_type: str) -> None:
    if incoming is not None:
        storage().put_file(original_key(photo_id), incoming.path, images.MIME[media_type])
    else:
        storage().put(original_key(photo_id), data, images.MIME[media_type])


def _apply_facts(photo: Photo, facts: images.ImageFacts) -> None:
    photo.media_type = facts.media_type
    photo.width, photo.height = facts.width, facts.height
    photo.orientation = facts.orientation
    photo.exif_taken_at = facts.exif_taken_at
    photo.exif_lat, photo.exif_lng = facts.exif_lat, facts.exif_lng


def _record_upload(photo: Photo, uploader: User | None) -> None:
    if uploader is not None and uploader.id not in photo.uploader_ids:
        photo.uploads.append(PhotoUpload(user_id=uploader.id, uploaded_at=utcnow()))


# --- derivatives: made in the background, or on demand -----------------------------------

class DerivativesFailed(RuntimeError):
    """The original is missing or cannot be decoded: no derivative can be made (message in Chinese)."""


def _current_keys(photo: Photo) -> tuple[str, str, str]:
    """(evidence, thumbnail, public) keys for the photo's present record and watermark words."""
    return (_derived_key(photo.id, "evidence", "\n".join(watermark_lines(photo))),
            _derived_key(photo.id, "thumbnail", ""), _derived_key(photo.id, "public", ""))


def _schedule_derivatives(photo: Photo, *, delay_s: float = 0) -> None:
    """Mark the derivatives pending and write the job into the outbox, in the caller's transaction.

    One derivative set per photo: the job reads the photo's record when it runs and makes the set for
    the watermark of that moment. An upload's job waits ``delay_s`` (PHOTO_DERIVATIVES_HOLD_S) because
    the PWA sends the inspection citing its photos right after them; the capture record then schedules
    its own job at once, which makes the set, and the upload's job later finds it made. A request
    needing a file sooner makes the set itself (``read_file``).
    """
    from hazardloop.outbox.services import enqueue_after_commit, retry_message

    photo.derivatives_status = DerivativesStatus.PENDING
    photo.derivatives_error = None
    message = enqueue_after_commit("photo.derivatives", {"photo_id": photo.id}, dedupe_key=_job_key(photo),
                                   delay_s=delay_s)
    if message.status != "pending":  # the same state was made (or failed) before: run that message again
        retry_message(message.id)


def _job_key(photo: Photo) -> str:
    """The derivative job's dedupe key: one job per photo and watermark."""
    version = key_version(photo.evidence_key) if photo.evidence_key else "none"
    return f"photo.derivatives:{photo.id}:{version}"


def make_photo_derivatives(photo_id: str) -> str:
    """The outbox job "photo.derivatives": make whatever derivative of the photo is missing.

    Idempotent: a second run, or a run after a request made the files on demand, changes
    nothing. Raises DerivativesFailed (the outbox retries, then lists it as failed).
    """
    photo = db.session.scalars(_photo_for_derivatives(), {"photo_id": photo_id}).one_or_none()
    if photo is None:
        return "photo deleted"
    return "made" if ensure_derivatives(photo) else "already made"


@functools.cache
def _photo_for_derivatives() -> Select[tuple[Photo]]:
    """The photo with what its watermark names — the recorded site's name, the inspector's or uploader's name —
    in one statement, and without its uploads and links, the site's registrant and domains or the users' grants,
    which the job never reads (they loaded in six statements, a fifth of the job's time beside the imaging).
    Built once: the loader options cost more to build than the statement to run."""
    site = joinedload(Photo.site).load_only(Site.id, Site.name)
    people = [joinedload(person).load_only(User.id, User.display_name).lazyload(User.grants)
              for person in (Photo.inspector, Photo.uploaded_by)]
    return (select(Photo).where(Photo.id == bindparam("photo_id"))
            .options(site.lazyload(Site.registered_by), site.lazyload(Site.domain_rows), *people,
                     lazyload(Photo.uploads), lazyload(Photo.links)))


def photo_derivatives_failed(photo_id: str, error: str | None = None) -> None:
    """The job failed its last attempt: show it on the photo (the outbox lists the message as failed)."""
    photo = db.session.get(Photo, photo_id)
    if photo is not None and photo.derivatives_status != DerivativesStatus.READY:
        photo.derivatives_status = DerivativesStatus.FAILED
        photo.derivatives_error = (error or "")[:2000]


def _all_present(photo: Photo, store: Storage) -> bool:
    keys = (photo.evidence_key, photo.thumbnail_key, photo.public_key)
    return all(keys) and all(store.exists(k) for k in keys if k)


def ensure_derivatives(photo: Photo) -> bool:
    """Make the photo's missing derivatives; returns whether anything was made.

    Guarded by the photo row's lock (PostgreSQL: FOR NO KEY UPDATE, which leaves uploads and
    links free): a request and the job, or two requests, that both find a file missing make it
    once; the later one waits and then finds the files. Each file is written atomically, so
    even unguarded (SQLite has no row locks) a reader never sees half a file.
    Raises DerivativesFailed.
    """
    store = storage()
    if not _all_present(photo, store):
        db.session.flush()  # the refresh below must not drop unflushed changes
        db.session.execute(select(Photo.id).where(Photo.id == photo.id).with_for_update(key_share=True))
        db.session.refresh(photo, ["evidence_key", "thumbnail_key", "public_key", "derivatives_status"])
        if not _all_present(photo, store):
            _make_derivatives(photo, store, structure_checked=True)
            return True
    if photo.derivatives_status != DerivativesStatus.READY:
        photo.derivatives_status, photo.derivatives_error = DerivativesStatus.READY, None
        photo.derivatives_made_at = photo.derivatives_made_at or utcnow()
        db.session.flush()
    return False


def _make_derivatives(photo: Photo, store: Storage, *, structure_checked: bool) -> None:
    try:
        data = store.get(original_key(photo.id))
    except FileNotFoundError as exc:
        raise DerivativesFailed(f"原图缺失（{original_key(photo.id)}），无法生成缩略图和副本。") from exc
    try:
        made, lines = _derive(photo, data, structure_checked=structure_checked)
    except PhotoRejected as exc:
        raise DerivativesFailed(f"原图无法解码，无法生成缩略图和副本：{exc.detail}") from exc
    _store_derivatives(photo, made, lines)
    photo.derivatives_status, photo.derivatives_error = DerivativesStatus.READY, None
    photo.derivatives_made_at = utcnow()
    db.session.flush()


def _derive(photo: Photo, data: bytes, *, structure_checked: bool) -> tuple[images.Derivatives, tuple[str, ...]]:
    """Decode the original and make its derivatives; the watermark's words need the EXIF facts."""
    font = _font_path()
    used: list[tuple[str, ...]] = []

    def burn(im: Image.Image, facts: images.ImageFacts) -> int:
        _apply_facts(photo, facts)
        _apply_mismatch(photo)
        used.append(watermark_lines(photo))
        return watermark.burn(im, watermark.WatermarkText(used[0]), font)

    try:
        made = images.make_derivatives(data, max_pixels=current_app.config["PHOTO_MAX_PIXELS"], zone=local_zone(),
                                       watermark=burn, structure_checked=structure_checked)
    except images.ImageRejected as exc:
        raise PhotoRejected(exc.message, code=exc.code) from exc
    return made, used[0]


def _store_derivatives(photo: Photo, made: images.Derivatives, lines: tuple[str, ...]) -> None:
    store = storage()
    keys = {
        "evidence": _derived_key(photo.id, "evidence", "\n".join(lines)),
        "thumbnail": _derived_key(photo.id, "thumbnail", ""),
        "public": _derived_key(photo.id, "public", ""),
    }
    for kind, content in zip(KINDS, (made.evidence, made.thumbnail, made.public), strict=True):
        store.put(keys[kind], content, "image/jpeg")
    photo.evidence_key, photo.thumbnail_key, photo.public_key = (
        keys["evidence"], keys["thumbnail"], keys["public"])


def rebuild_derivatives(photo: Photo) -> Photo:
    """Make every derivative again from the stored original (after a pipeline change or a loss).

    Raises DerivativesFailed.
    """
    _make_derivatives(photo, storage(), structure_checked=False)
    return photo


def derivatives_current(photo: Photo, store: Storage) -> bool:
    """Are all derivatives made by this pipeline version and present in storage?"""
    if photo.thumbnail_key != _derived_key(photo.id, "thumbnail", "") or photo.evidence_key is None:
        return False
    return photo.derivatives_status == DerivativesStatus.READY and _all_present(photo, store)


def read_file(photo: Photo, kind: str) -> tuple[bytes, str, str]:
    """(bytes, MIME type, ETag) of the original or a derivative.

    A derivative asked for before the background job made it is made now, in this request
    (the caller's transaction records it). NotFound when the original is missing or unreadable.
    """
    if kind == "original":
        try:
            return storage().get(original_key(photo.id)), images.MIME[photo.media_type], photo.id
        except FileNotFoundError as exc:
            raise NotFound("照片文件缺失，请联系管理员重建。", code="photo_file_missing") from exc
    key = getattr(photo, f"{kind}_key")
    try:
        data = storage().get(key) if key else None
    except FileNotFoundError:
        data = None
    if data is None:
        try:
            ensure_derivatives(photo)
            key = getattr(photo, f"{kind}_key")
            data = storage().get(key)
        except (DerivativesFailed, FileNotFoundError) as exc:
            raise NotFound(str(exc) if isinstance(exc, DerivativesFailed) else "照片文件缺失，请联系管理员重建。",
                           code="photo_file_missing") from exc
    return data, "image/jpeg", f"{photo.id[:16]}-{key_version(key)}"


def file_etag(photo: Photo, kind: str) -> str | None:
    """The ETag ``read_file`` would give, known without reading storage (None: the derivative is not named yet)."""
    if kind == "original":
        return photo.id
    key = getattr(photo, f"{kind}_key")
    return f"{photo.id[:16]}-{key_version(key)}" if key else None


def stored_file(photo: Photo, kind: str) -> tuple[str, str, str]:
    """(storage key, MIME type, ETag) of a file that is in storage: a derivative not made yet is made now.

    Trusts a READY photo's keys (its files were written before it was marked so); NotFound when the
    derivatives cannot be made.
    """
    if kind == "original":
        return original_key(photo.id), images.MIME[photo.media_type], photo.id
    if photo.derivatives_status != DerivativesStatus.READY or getattr(photo, f"{kind}_key") is None:
        try:
            ensure_derivatives(photo)
        except DerivativesFailed as exc:
            raise NotFound(str(exc), code="photo_file_missing") from exc
    key = getattr(photo, f"{kind}_key")
    return key, "image/jpeg", f"{photo.id[:16]}-{key_version(key)}"


def open_file(photo: Photo, kind: str) -> tuple[Iterator[bytes], int, str, str]:
    """(chunks, size, MIME type, ETag): ``read_file`` whose bytes are read from storage while they are sent.

    A derivative missing from storage is made first; NotFound when the original is missing.
    """
    key, mime, etag = stored_file(photo, kind)
    try:
        chunks, size = storage().open(key)
    except FileNotFoundError:
        if kind == "original":
            raise NotFound("照片文件缺失，请联系管理员重建。", code="photo_file_missing") from None
        try:
            ensure_derivatives(photo)  # the row said READY but a file is gone: make the set again
            key, mime, etag = stored_file(photo, kind)
            chunks, size = storage().open(key)
        except (DerivativesFailed, FileNotFoundError) as exc:
            raise NotFound(str(exc) if isinstance(exc, DerivativesFailed) else "照片文件缺失，请联系管理员重建。",
                           code="photo_file_missing") from exc
    return chunks, size, mime, etag


# --- the capture record and its check against EXIF --------------------------------------

@dataclasses.dataclass(frozen=True)
class CaptureRecord:
    """When, where, by whom and for which hazard a photo was taken, as the inspection recorded it."""

    captured_at: dt.datetime | None = None
    lat: float | None = None
    lng: float | None = None
    site: Site | None = None
    inspector: User | None = None
    hazard_number: str | None = None


def has_capture_record(photo: Photo) -> bool:
    """Has an inspection or hazard already recorded when, where, by whom and for what the photo was taken?"""
    return any(v is not None for v in (photo.recorded_at, photo.hazard_number, photo.inspector_id,
                                       photo.site_id))


def apply_capture_record(photo: Photo, record: CaptureRecord) -> Photo:
    """Set the photo's capture record, flag a large EXIF mismatch and schedule the new watermarked copy.

    Called by the inspection and hazard services (``hazards/evidence_links.py``). The first record is
    the evidence: a photo that already has one keeps it (Conflict ``capture_already_recorded``), so a
    later link can never re-stamp its watermark. Raises ValidationFailed for an impossible record; the EXIF values are
    kept as they were.
    """
    if has_capture_record(photo):
        raise Conflict("该照片的拍摄记录已登记，不能改写。", code="capture_already_recorded")
    if record.captured_at is not None and record.captured_at.tzinfo is None:
        raise ValidationFailed.field("captured_at", "拍摄时间须带时区。")
    if (record.lat is None) != (record.lng is None):
        raise ValidationFailed.field("lat", "经度和纬度需同时提供。")
    if record.lat is not None and not (-90 <= record.lat <= 90 and -180 <= record.lng <= 180):  # type: ignore[operator]
        raise ValidationFailed.field("lat", "经纬度超出范围。")
    if record.hazard_number is not None and len(record.hazard_number) > 40:
        raise ValidationFailed.field("hazard_number", "隐患编号不能超过 40 个字符。")
    photo.recorded_at = record.captured_at
    photo.recorded_lat, photo.recorded_lng = record.lat, record.lng
    site = record.site
    if site is not None and photo.recorded_lat is None and site.lat is not None:
        photo.recorded_lat, photo.recorded_lng = site.lat, site.lng  # the site's own position
    photo.site = site
    photo.site_id = site.id if site is not None else None
    photo.inspector = record.inspector
    photo.inspector_id = record.inspector.id if record.inspector is not None else None
    photo.hazard_number = record.hazard_number
    _apply_mismatch(photo)
    # The strip's words changed: a new evidence key, made by the background job (or on demand).
    evidence_key = _current_keys(photo)[0]
    if evidence_key != photo.evidence_key or photo.derivatives_status != DerivativesStatus.READY:
        photo.evidence_key = evidence_key
        _schedule_derivatives(photo)
    db.session.flush()
    return photo


def photos_stamped_with(stand_ins: Collection[str], hazard_ids: Collection[int]) -> list[Photo]:
    """The photos of these hazards whose capture record names one of the stand-in numbers the hazards carry
    until their transaction commits (``hazards.services.create_hazard(number_at_commit=True)``)."""
    if not stand_ins:
        return []
    photos = list(db.session.scalars(select(Photo).join(PhotoLink, PhotoLink.photo_id == Photo.id).where(
        PhotoLink.subject_type == SubjectType.HAZARD.value, PhotoLink.subject_id.in_(list(hazard_ids)),
        Photo.hazard_number.in_(list(stand_ins))).distinct()))
    for photo in photos:
        watermark_lines(photo)  # loads what the words name now, so set_hazard_numbers runs no query for them
    return photos


def set_hazard_numbers(photos: Iterable[Photo], numbers: dict[str, str]) -> None:
    """The hazards got their numbers at commit: write them into these photos' capture records for the stand-ins.

    The watermark's words change with the number, so the evidence key does; the derivative job scheduled in
    this transaction for the stand-in's watermark is renamed for the real one (still one job and one set).
    """
    from hazardloop.outbox.models import OutboxMessage

    renames = []
    for photo in photos:
        if photo.hazard_number not in numbers:
            continue
        before = _job_key(photo)
        photo.hazard_number = numbers[photo.hazard_number]
        photo.evidence_key = _current_keys(photo)[0]
        renames.append({"before": before, "after": _job_key(photo)})
    if not renames:
        return
    messages, taken = OutboxMessage.__table__, OutboxMessage.__table__.alias("taken")
    db.session.execute(
        update(messages).where(messages.c.dedupe_key == bindparam("before"), messages.c.status == "pending",
                               ~exists().where(taken.c.dedupe_key == bindparam("after")))
        .values(dedupe_key=bindparam("after")), renames)


def _apply_mismatch(photo: Photo) -> None:
    """EXIF can lie (a wrong phone clock, an old photo): flag large differences from the record."""
    config = current_app.config
    photo.exif_time_offset_s = None
    photo.exif_distance_m = None
    if photo.recorded_at is not None and photo.exif_taken_at is not None:
        photo.exif_time_offset_s = round((photo.exif_taken_at - photo.recorded_at).total_seconds())
    if None not in (photo.recorded_lat, photo.recorded_lng, photo.exif_lat, photo.exif_lng):
        photo.exif_distance_m = round(distance_m(photo.recorded_lat, photo.recorded_lng,  # type: ignore[arg-type]
                                                 photo.exif_lat, photo.exif_lng), 1)  # type: ignore[arg-type]
    photo.exif_mismatch = bool(
        (photo.exif_time_offset_s is not None
         and abs(photo.exif_time_offset_s) > config["PHOTO_EXIF_MAX_TIME_DIFF_S"])
        or (photo.exif_distance_m is not None and photo.exif_distance_m > config["PHOTO_EXIF_MAX_DISTANCE_M"])
    )


# --- links: what a photo is evidence of --------------------------------------------------

def link_photo(photo: Photo, *, subject_type: str, subject_id: int, role: str,
               answers: Photo | None = None, actor: User | None = None) -> PhotoLink:
    """Link ``photo`` to a subject in a role; an "after" photo may name the photo it answers.

    Idempotent for the same (photo, subject, role). Raises ValidationFailed for an unknown
    subject type or role, or an answer that is not an "after" photo of another picture.
    The link is written with the session's next flush: an inspection links a dozen photos and
    flushing each one cost it a round trip and a unit of work apiece.
    """
    if subject_type not in {s.value for s in SubjectType}:
        raise ValidationFailed.field("subject_type", f"未知的关联对象类型：{subject_type}")
    if role not in {r.value for r in LinkRole}:
        raise ValidationFailed.field("role", f"未知的照片用途：{role}")
    if answers is not None and (role != LinkRole.AFTER or answers.id == photo.id):
        raise ValidationFailed.field("answers_photo_id",
                                     "只有整改后照片可以对应一张整改前/发现时的其他照片。")
    if subject_type == SubjectType.SITE and db.session.get(Site, subject_id) is None:
        raise ValidationFailed.field("subject_id", "场所不存在。")
    for link in photo.links:
        if (link.subject_type, link.subject_id, link.role) == (subject_type, subject_id, role):
            if answers is not None:
                link.answers_photo_id = answers.id
            return link
    link = PhotoLink(subject_type=subject_type, subject_id=subject_id, role=role,
                     answers_photo_id=answers.id if answers else None,
                     created_by_id=actor.id if actor else None, created_at=utcnow())
    photo.links.append(link)
    return link


def before_after_pairs(subject_type: str, subject_id: int) -> list[tuple[Photo, Photo]]:
    """(answered photo, after photo) pairs of a subject, for a side-by-side view."""
    rows = db.session.scalars(select(PhotoLink).where(
        PhotoLink.subject_type == subject_type, PhotoLink.subject_id == subject_id,
        PhotoLink.role == LinkRole.AFTER, PhotoLink.answers_photo_id.is_not(None),
    ).order_by(PhotoLink.id))
    pairs = []
    for link in rows:
        before, after = db.session.get(Photo, link.answers_photo_id), db.session.get(Photo, link.photo_id)
        if before is not None and after is not None:
            pairs.append((before, after))
    return pairs


def set_published(photo: Photo, published: bool) -> Photo:
    """Show (or stop showing) the photo's public copy outside the authorities.

    Publishing a hazard (``public/services.py``) calls this for the hazard's photos.
    """
    photo.published_at = (photo.published_at or utcnow()) if published else None
    db.session.flush()
    return photo
