"""检查记录: one inspection as the phone sent it, plus what the server observed on receipt."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db


class InspectionMode(enum.StrEnum):
    ROUTINE = "routine"  # 日常巡查
    COVERT = "covert"  # 暗访
    SELF = "self"  # 企业自查
    ENFORCEMENT = "enforcement"  # 部门执法检查
    REINSPECTION = "reinspection"  # 复查
    JOINT = "joint"  # 联合执法


MODE_LABELS = {
    InspectionMode.ROUTINE: "日常巡查", InspectionMode.COVERT: "暗访", InspectionMode.SELF: "企业自查",
    InspectionMode.ENFORCEMENT: "部门执法检查", InspectionMode.REINSPECTION: "复查",
    InspectionMode.JOINT: "联合执法",
}
_MODES = ", ".join(f"'{m.value}'" for m in InspectionMode)


class Inspection(db.Model):  # type: ignore[name-defined]
    """检查记录: keyed by the phone's UUID so a resend never creates a second one."""

    __tablename__ = "inspections"
    __table_args__ = (CheckConstraint(f"mode IN ({_MODES})", name="mode_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_uuid: Mapped[str] = mapped_column(String(36), unique=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"), index=True)
    checklist_version_id: Mapped[int] = mapped_column(ForeignKey("checklist_versions.id"))
    mode: Mapped[str] = mapped_column(String(16))
    inspector_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    inspector_role: Mapped[str] = mapped_column(String(24))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    saved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lat: Mapped[float | None] = mapped_column(Float)
    lng: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    distance_m: Mapped[float | None] = mapped_column(Float)
    far_from_site: Mapped[bool] = mapped_column(default=False)
    qr_scanned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    qr_token_current: Mapped[bool | None] = mapped_column()
    answers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    notes: Mapped[str | None] = mapped_column(Text)
    signature_photo_id: Mapped[str | None] = mapped_column(String(64))
    score_total: Mapped[float] = mapped_column(Float)
    score_max: Mapped[float] = mapped_column(Float)
    finding_count: Mapped[int] = mapped_column(Integer)

    site = relationship("Site", lazy="joined")
    inspector = relationship("User")
    checklist_version = relationship("ChecklistVersion", lazy="joined")
