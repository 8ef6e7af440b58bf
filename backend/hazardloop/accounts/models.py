"""用户, 角色授权 and 登录会话."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hazardloop.database import UTCDateTime, utcnow
from hazardloop.extensions import db
from hazardloop.taxonomy import Role

_ROLES = ", ".join(f"'{r.value}'" for r in Role)


class User(db.Model):  # type: ignore[name-defined]
    """用户: a person who logs in with a mainland mobile number."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    mobile: Mapped[str] = mapped_column(String(11), unique=True)
    display_name: Mapped[str] = mapped_column(String(50))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    password_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when an administrator chose the password; cleared when the user picks their own.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin",
        order_by="RoleGrant.id",
    )

    def has_role(self, role: Role) -> bool:
        return any(g.role == role for g in self.grants)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.mobile}>"


class RoleGrant(db.Model):  # type: ignore[name-defined]
    """角色授权: one role held by a user, limited to its scope.

    The scope columns a role needs are enforced by CHECK constraints, so a grant
    can never silently widen to "everything".
    """

    __tablename__ = "role_grants"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLES})", name="role_known"),
        CheckConstraint(
            "(role = 'grid_worker' AND region_id IS NOT NULL AND department_id IS NULL"
            "   AND site_id IS NULL)"
            " OR (role = 'inspector' AND region_id IS NOT NULL AND department_id IS NOT NULL"
            "   AND site_id IS NULL)"
            " OR (role = 'supervisor' AND region_id IS NOT NULL AND department_id IS NULL"
            "   AND site_id IS NULL)"
            " OR (role = 'enterprise_user' AND site_id IS NOT NULL AND region_id IS NULL"
            "   AND department_id IS NULL)"
            " OR (role = 'admin' AND region_id IS NULL AND department_id IS NULL AND site_id IS NULL)",
            name="scope_matches_role",
        ),
        UniqueConstraint("user_id", "role", "region_id", "department_id", "site_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(24))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id", ondelete="RESTRICT"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT")
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="grants")
    region = relationship("Region", lazy="joined")
    department = relationship("Department", lazy="joined")
    site = relationship("Site", lazy="joined")


class UserSession(db.Model):  # type: ignore[name-defined]
    """登录会话: a server-side session a cookie points to; revoking the row ends it.

    Only the SHA-256 of the cookie token is stored, so a database leak yields no live session.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_active", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    ip_address: Mapped[str | None] = mapped_column(String(64))

    user: Mapped[User] = relationship(lazy="joined")
