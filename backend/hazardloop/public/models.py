"""群众举报 (public reports) and the public identity of hazards shown on the 曝光台."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db
from hazardloop.regions.models import Region


def new_public_code() -> str:
    """An unguessable, URL-safe code: 144 random bits."""
    return secrets.token_urlsafe(18)


class ReportStatus(enum.StrEnum):
    """Where triage left a report; after acceptance the hazard's own status takes over."""

    RECEIVED = "received"  # 已受理: waiting for triage
    ACCEPTED = "accepted"  # became a hazard
    REJECTED = "rejected"  # 不予受理, with a reason


class RewardStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    PAID = "paid"


_STATUSES = ", ".join(f"'{s.value}'" for s in ReportStatus)
_REWARDS = ", ".join(f"'{s.value}'" for s in RewardStatus)


class PublicReport(db.Model):  # type: ignore[name-defined]
    """群众举报: one anonymous report from the public, by site QR code or by place on the map.

    ``tracking_code`` is the reporter's only key to its status; ``public_id`` names it in open
    data. Neither is derived from the row id. The phone number is for follow-up and 举报奖励
    only and never leaves the authorities.
    """

    __tablename__ = "public_reports"
    __table_args__ = (
        CheckConstraint(f"status IN ({_STATUSES})", name="status_known"),
        CheckConstraint(f"reward_status IS NULL OR reward_status IN ({_REWARDS})", name="reward_status_known"),
        CheckConstraint("status <> 'rejected' OR rejection_reason IS NOT NULL", name="rejection_has_reason"),
        CheckConstraint("status <> 'accepted' OR hazard_id IS NOT NULL", name="accepted_has_hazard"),
        CheckConstraint("status = 'received' OR triaged_at IS NOT NULL", name="triaged_has_time"),
        CheckConstraint("reward_amount IS NULL OR reward_amount >= 0", name="reward_not_negative"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        CheckConstraint("lng IS NULL OR (lng BETWEEN -180 AND 180)", name="lng_range"),
        Index("ix_public_reports_status_due", "status", "triage_due_at"),
        Index("ix_public_reports_duplicate", "text_hash", "received_at"),
        Index("ix_public_reports_region_received", "region_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_code)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_code)
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.RECEIVED.value)
    description: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))  # of the normalised description, for duplicates
    category: Mapped[str] = mapped_column(String(32))  # a Domain code
    phone: Mapped[str | None] = mapped_column(String(11))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    # The grid whose boundary holds the place, else the district: decides who triages.
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    photo_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    triage_due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    triaged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id", ondelete="RESTRICT"), unique=True)
    reward_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    reward_status: Mapped[str | None] = mapped_column(String(16))
    reward_updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reward_updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    site = relationship("Site")
    region: Mapped[Region] = relationship()
    hazard = relationship("Hazard")
    triaged_by = relationship("User", foreign_keys=[triaged_by_id])

    def __repr__(self) -> str:
        return f"<PublicReport {self.id} {self.status}>"


class HazardExposure(db.Model):  # type: ignore[name-defined]
    """曝光台: the public name of a hazard a supervisor chose to publish, kept across withdrawals."""

    __tablename__ = "hazard_exposures"

    hazard_id: Mapped[int] = mapped_column(ForeignKey("hazards.id", ondelete="CASCADE"), primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_code)
    published_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    hazard = relationship("Hazard")

