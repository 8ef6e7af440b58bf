"""群众举报 (public reports) and the public identity of hazards shown on the 曝光台."""

from __future__ import annotations

import datetime as dt
import enum
import secrets
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db
from hazardloop.regions.models import Region


def new_public_code() -> str:
    """An unguessable, URL-safe code: 144 random bits."""
    return secrets.token_urlsafe(18)


# A tracking code is read aloud over the phone and typed from a note: no 0/O, 1/I/L look-alikes.
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
TRACKING_LENGTH = 13  # 31 symbols ** 13 ≈ 2 ** 64.4: unguessable, and lookups are throttled too
_TRACKING_GROUPS = (4, 4, 5)


def new_tracking_code() -> str:
    """查询码: 13 symbols from an alphabet without look-alikes, stored without hyphens."""
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(TRACKING_LENGTH))


def is_readable_code(code: str) -> bool:
    return len(code) == TRACKING_LENGTH and all(ch in TRACKING_ALPHABET for ch in code)


def format_tracking_code(code: str) -> str:
    """ABCD-EFGH-JKMNP for a readable code; a code issued before them is shown as it was issued."""
    if not is_readable_code(code):
        return code
    parts, start = [], 0
    for size in _TRACKING_GROUPS:
        parts.append(code[start:start + size])
        start += size
    return "-".join(parts)


def normalise_tracking_code(text: str) -> str:
    """What a person typed, in any case, with or without hyphens or spaces, as stored."""
    return "".join(ch for ch in text.upper() if ch not in " -\t\u3000－—")


class ReportStatus(enum.StrEnum):
    """Where triage left a report; after acceptance the hazard's own status takes over."""

    RECEIVED = "received"  # 已受理: waiting for triage
    ACCEPTED = "accepted"  # became a hazard
    REJECTED = "rejected"  # 不予受理, with a reason
    MERGED = "merged"  # 并案: a duplicate of an earlier report or of a hazard, whose progress it follows


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
        CheckConstraint("status <> 'merged' OR duplicate_of_report_id IS NOT NULL "
                        "OR duplicate_of_hazard_id IS NOT NULL", name="merged_has_original"),
        CheckConstraint("reward_amount IS NULL OR reward_amount >= 0", name="reward_not_negative"),
        CheckConstraint("lat IS NULL OR (lat BETWEEN -90 AND 90)", name="lat_range"),
        CheckConstraint("lng IS NULL OR (lng BETWEEN -180 AND 180)", name="lng_range"),
        Index("ix_public_reports_status_due", "status", "triage_due_at"),
        Index("ix_public_reports_duplicate", "text_hash", "received_at"),
        Index("ix_public_reports_region_received", "region_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(32), unique=True, default=new_tracking_code)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_code)
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.RECEIVED.value)
    description: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64))  # of the normalised description, for duplicates
    category: Mapped[str] = mapped_column(String(32))  # a Domain code
    phone: Mapped[str | None] = mapped_column(String(11))
    # The reporter agreed to SMS updates (accepted / rejected / closed) at ``phone``.
    sms_consent: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # How often a reporter's 「没有解决」 sent it back to triage: makes each round's SMS its own.
    reopen_count: Mapped[int] = mapped_column(default=0, server_default="0")
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
    # 并案: the report or hazard this one duplicates; the reporter's page then follows that one.
    duplicate_of_report_id: Mapped[int | None] = mapped_column(
        ForeignKey("public_reports.id", ondelete="RESTRICT"), index=True)
    duplicate_of_hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id", ondelete="RESTRICT"))
    reward_amount: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    reward_status: Mapped[str | None] = mapped_column(String(16))
    reward_updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reward_updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    site = relationship("Site")
    region: Mapped[Region] = relationship()
    hazard = relationship("Hazard", foreign_keys=[hazard_id])
    duplicate_of_report = relationship("PublicReport", remote_side=[id], foreign_keys=[duplicate_of_report_id])
    duplicate_of_hazard = relationship("Hazard", foreign_keys=[duplicate_of_hazard_id])
    triaged_by = relationship("User", foreign_keys=[triaged_by_id])
    # The reporter's answers to 「问题解决了吗？」, shown with the report in triage (a 'no' reopened it).
    feedback = relationship("ReportFeedback", order_by="ReportFeedback.id", lazy="selectin", viewonly=True)

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



class ReportFeedback(db.Model):  # type: ignore[name-defined]
    """The reporter's answer to 「问题解决了吗？」 once the hazard closed; one per report and hazard."""

    __tablename__ = "report_feedback"
    __table_args__ = (UniqueConstraint("report_id", "hazard_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("public_reports.id", ondelete="CASCADE"))
    hazard_id: Mapped[int | None] = mapped_column(ForeignKey("hazards.id", ondelete="SET NULL"))
    solved: Mapped[bool] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
