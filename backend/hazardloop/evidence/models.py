"""照片 (photos), who uploaded them, and what they are evidence of."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db


class SubjectType(enum.StrEnum):
    """What a photo can be linked to: a site, an inspection, a hazard or its rectification."""

    SITE = "site"
    INSPECTION = "inspection"
    HAZARD = "hazard"
    RECTIFICATION = "rectification"


class LinkRole(enum.StrEnum):
    OVERVIEW = "overview"  # the site's entrance, signboard …
    FINDING = "finding"  # the hazard as found
    BEFORE = "before"
    AFTER = "after"  # the rectified state; may answer a finding/before photo
    SIGNATURE = "signature"  # a signed notice


_SUBJECTS = ", ".join(f"'{s.value}'" for s in SubjectType)
_ROLES = ", ".join(f"'{r.value}'" for r in LinkRole)
_MEDIA = "'jpeg', 'png', 'webp', 'heif'"


class DerivativesStatus(enum.StrEnum):
    """Whether the derivative files of a photo's current keys have been made."""

    PENDING = "pending"  # the upload's background job has not run yet; a request needing one makes it
    READY = "ready"
    FAILED = "failed"  # the job failed its last attempt (original missing or unreadable): `hazardloop jobs failed`


_DERIVATIVES = ", ".join(f"'{s.value}'" for s in DerivativesStatus)


class Photo(db.Model):  # type: ignore[name-defined]
    """照片证据: one original, identified by the SHA-256 of its bytes, and its derivatives.

    The capture record (time, place, site, inspector, hazard number) comes from the
    inspection; the EXIF values are kept beside it and a large difference is flagged.
    """

    __tablename__ = "photos"
    __table_args__ = (
        CheckConstraint(f"media_type IN ({_MEDIA})", name="media_type_known"),
        CheckConstraint("orientation BETWEEN 1 AND 8", name="orientation_range"),
        CheckConstraint("recorded_lat IS NULL OR (recorded_lat BETWEEN -90 AND 90)", name="lat_range"),
        CheckConstraint("recorded_lng IS NULL OR (recorded_lng BETWEEN -180 AND 180)", name="lng_range"),
        CheckConstraint(f"derivatives_status IN ({_DERIVATIVES})", name="derivatives_status_known"),
    )

    # Hex SHA-256 of the original bytes: the same file uploaded twice is the same photo.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(8))
    byte_size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)  # as displayed, EXIF orientation applied
    height: Mapped[int] = mapped_column(Integer)
    orientation: Mapped[int] = mapped_column(Integer, default=1)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    exif_taken_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lng: Mapped[float | None] = mapped_column(Float)

    recorded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    recorded_lat: Mapped[float | None] = mapped_column(Float)
    recorded_lng: Mapped[float | None] = mapped_column(Float)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"), index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    hazard_number: Mapped[str | None] = mapped_column(String(40))
    exif_time_offset_s: Mapped[int | None] = mapped_column(Integer)  # EXIF minus recorded time
    exif_distance_m: Mapped[float | None] = mapped_column(Float)
    exif_mismatch: Mapped[bool] = mapped_column(default=False)

    # Storage keys of the derivatives; NULL until made. Each key names immutable bytes.
    evidence_key: Mapped[str | None] = mapped_column(String(200))
    thumbnail_key: Mapped[str | None] = mapped_column(String(200))
    public_key: Mapped[str | None] = mapped_column(String(200))
    # The keys are set at upload; the files are made by a background job (outbox "photo.derivatives").
    # Rows from before the job existed had their files made in the upload request: "ready".
    derivatives_status: Mapped[str] = mapped_column(String(12), default=DerivativesStatus.PENDING,
                                                    server_default=DerivativesStatus.READY.value)
    derivatives_made_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    derivatives_error: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    uploads: Mapped[list[PhotoUpload]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="PhotoUpload.uploaded_at"
    )
    links: Mapped[list[PhotoLink]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", foreign_keys="PhotoLink.photo_id",
        order_by="PhotoLink.id",
    )
    site = relationship("Site", foreign_keys=[site_id])
    inspector = relationship("User", foreign_keys=[inspector_id])
    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])

    @property
    def uploader_ids(self) -> set[int]:
        return {u.user_id for u in self.uploads}

    def __repr__(self) -> str:
        return f"<Photo {self.id[:12]}>"


class PhotoUpload(db.Model):  # type: ignore[name-defined]
    """One user's upload of a photo. Sending the bytes proves one holds them; repeats are one row."""

    __tablename__ = "photo_uploads"

    photo_id: Mapped[str] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True,
                                         index=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PhotoLink(db.Model):  # type: ignore[name-defined]
    """A photo as evidence of a subject in a role; an "after" photo may answer a finding photo."""

    __tablename__ = "photo_links"
    __table_args__ = (
        CheckConstraint(f"subject_type IN ({_SUBJECTS})", name="subject_type_known"),
        CheckConstraint(f"role IN ({_ROLES})", name="role_known"),
        CheckConstraint("answers_photo_id IS NULL OR role = 'after'", name="only_after_answers"),
        CheckConstraint("answers_photo_id IS NULL OR answers_photo_id <> photo_id", name="not_self_answer"),
        UniqueConstraint("photo_id", "subject_type", "subject_id", "role"),
        Index("ix_photo_links_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[str] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    subject_type: Mapped[str] = mapped_column(String(24))
    subject_id: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    answers_photo_id: Mapped[str | None] = mapped_column(
        ForeignKey("photos.id", ondelete="SET NULL"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
