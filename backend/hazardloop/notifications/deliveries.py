"""投递记录 (deliveries): status per notice and channel, SMS 静默时段 and 频次限制, release, receipts, list, retry."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import func, select, update

from hazardloop import policy
from hazardloop.accounts.models import User
from hazardloop.bulk import copy_rows, insert_ignoring_duplicates
from hazardloop.database import local_zone, utcnow
from hazardloop.errors import Conflict, NotFound
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard
from hazardloop.notifications.channels import CHANNELS, DeliveryRefused
from hazardloop.notifications.models import Delivery, Notification, SmsRateCounter
from hazardloop.notifications.push import SubscriptionGone
from hazardloop.notifications.push import transmit as transmit_push
from hazardloop.notifications.sms import config_section
from hazardloop.outbox.services import enqueue_after_commit, enqueue_many_after_commit
from hazardloop.policy import Action

STATUS_LABELS = {
    "sent": "已发送", "delivered": "已送达", "refused": "被拒绝", "pending": "待发送",
    "quiet_hold": "静默时段暂缓", "rate_hold": "超出频次", "folded": "已并入汇总短信", "gone": "订阅已失效，已移除",
}
CHANNEL_LABELS = {"sms": "短信", "email": "邮件", "wecom": "企业微信", "dingtalk": "钉钉", "push": "浏览器推送"}
HELD = ("quiet_hold", "rate_hold")
DONE = ("sent", "delivered", "folded")


# --- the rules (config/sms.yaml, section ``delivery``) ---------------------------------------------

@dataclass(frozen=True)
class Rules:
    zone: ZoneInfo
    quiet: tuple[dt.time, dt.time] | None = None
    urgent: tuple[tuple[str, str | None], ...] = ()
    per_hour: int = 0
    per_day: int = 0
    fold: bool = True


def _clock(text: Any) -> dt.time:
    hours, _, minutes = str(text).partition(":")
    return dt.time(int(hours), int(minutes or 0))


def rules() -> Rules:
    """The SMS delivery rules in force; none at all when SMS_DELIVERY_RULES is off (most tests)."""
    section = config_section("delivery") or {}
    zone = ZoneInfo(section.get("timezone") or current_app.config["TIMEZONE"])
    if not current_app.config.get("SMS_DELIVERY_RULES", True):
        return Rules(zone=zone)
    quiet = section.get("quiet_hours") or {}
    limit = section.get("rate_limit") or {}
    return Rules(
        zone=zone,
        quiet=(_clock(quiet["start"]), _clock(quiet["end"])) if quiet.get("start") and quiet.get("end") else None,
        urgent=tuple((str(u["kind"]), u.get("level")) for u in section.get("urgent") or []),
        per_hour=int(limit.get("per_hour") or 0), per_day=int(limit.get("per_day") or 0),
        fold=bool(section.get("fold", True)))


def is_urgent(r: Rules, kind: str, level: str | None) -> bool:
    from hazardloop.notifications.services import kind_matches

    return any(kind_matches(k, kind) and (want is None or want == level) for k, want in r.urgent)


def quiet_until(r: Rules, now: dt.datetime) -> dt.datetime | None:
    """When the quiet hours around ``now`` end (UTC), or None outside them."""
    if r.quiet is None or r.quiet[0] == r.quiet[1]:
        return None
    start, end = r.quiet
    local = now.astimezone(r.zone)
    t = local.time()
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    until = dt.datetime.combine(local.date(), end, tzinfo=r.zone)
    if until <= local:
        until = dt.datetime.combine(local.date() + dt.timedelta(days=1), end, tzinfo=r.zone)
    return until.astimezone(dt.UTC)


def rate_free_at(r: Rules, address: str, now: dt.datetime) -> dt.datetime | None:
    """When the next SMS to ``address`` fits the hourly and daily limits (UTC), or None if it fits now."""
    if not r.per_hour and not r.per_day:
        return None
    local = now.astimezone(r.zone)
    day_start = dt.datetime.combine(local.date(), dt.time(0), tzinfo=r.zone).astimezone(dt.UTC)
    hour_ago = now - dt.timedelta(hours=1)
    sent = sorted(db.session.scalars(select(Delivery.sent_at).where(
        Delivery.channel == "sms", Delivery.address == address, Delivery.status.in_(("sent", "delivered")),
        Delivery.sent_at >= min(day_start, hour_ago), Delivery.sent_at <= now)))
    free: list[dt.datetime] = []
    in_hour = [s for s in sent if s > hour_ago]
    if r.per_hour and len(in_hour) >= r.per_hour:
        free.append(in_hour[len(in_hour) - r.per_hour] + dt.timedelta(hours=1))
    if r.per_day and len([s for s in sent if s >= day_start]) >= r.per_day:
        free.append(day_start + dt.timedelta(days=1))
    return max(free) if free else None


def lock_number(address: str) -> None:
    """Take this number's 频次限制 lock until the transaction ends: its counter row is written (made if missing)
    and so row-locked on PostgreSQL, and the database write lock is taken on SQLite. A second sender to the same
    number waits here, then counts the first one's SMS: the count and the claim are one step."""
    r = rules()
    if not r.per_hour and not r.per_day:
        return
    now = utcnow()
    insert_ignoring_duplicates(SmsRateCounter, [{"address": address, "touched_at": now}], ["address"],
                               [SmsRateCounter.address])
    db.session.execute(update(SmsRateCounter).where(SmsRateCounter.address == address).values(touched_at=now)
                       .execution_options(synchronize_session=False))


def hold_for(address: str, kind: str, level: str | None, now: dt.datetime) -> tuple[str, dt.datetime] | None:
    """Whether an SMS of ``kind`` to ``address`` must wait, and until when: ("quiet_hold" | "rate_hold", until)."""
    r = rules()
    if is_urgent(r, kind, level):
        return None
    if (until := quiet_until(r, now)) is not None:
        return "quiet_hold", until
    if (free := rate_free_at(r, address, now)) is not None:
        return "rate_hold", quiet_until(r, free) or free
    return None


# --- refusals in words ------------------------------------------------------------------------------

# The providers' refusal codes (阿里云 Dysmsapi ``Code``; 腾讯云 ``Error.Code`` / ``SendStatusSet.Code``) in the
# words staff use, and whether sending again can succeed once the cause is dealt with.
REFUSALS: list[tuple[str, str, bool]] = [
    # Web Push: the push service's HTTP answer (RFC 8030 §5, RFC 8292 §4) as ``push:<status>``.
    (r"^push:(401|403)$",
     "推送服务不认可本站的 VAPID 身份（密钥已更换或配置有误，请该用户在设备上重新开启推送）", True),
    (r"^push:413$", "通知内容超过推送服务允许的长度", False),
    (r"^push:400$", "推送服务认为请求格式有误", True),
    (r"^push:(404|410|unsubscribed)$", "该设备的推送订阅已失效，已移除（用户重新开启推送即可恢复）", False),
    (r"^push:", "推送服务拒绝接收这条通知", True),
    (r"TEMPLATE|template_missing", "短信模板未审核通过或与内容不符（请管理员核对 config/sms.yaml 中的模板）", True),
    (r"SIGNATURE|SIGN_NAME|SignName", "短信签名未审核通过或不可用", True),
    (r"MOBILE_NUMBER_ILLEGAL|IncorrectPhoneNumber|PHONE_NUMBER|MOBILE_COUNT", "手机号码无效", False),
    (r"BLACK|Blacklist|UnsubscribedPhone", "该号码已退订或在黑名单中，服务商不再向其发送", False),
    (r"OUT_OF_SERVICE|AMOUNT_NOT_ENOUGH|Balance|Package|Insufficient",
     "短信余额不足或服务已停用（请充值后重试）", True),
    (r"LIMIT_CONTROL|LimitExceeded|Frequency|DAY_LIMIT", "触发服务商的发送频次限制（配额），稍后可重试", True),
    (r"SensitiveWord|KEY_CONTROL|ContentContain", "内容含服务商禁止的词语", False),
    (r"AccessKey|Signature|Auth|Unauthorized|SdkAppId", "短信服务账号或密钥配置有误", True),
    (r"address_refused", "接收地址不允许使用", False),
    (r"unreachable", "多次重试仍无法连接发送服务", True),
    (r"^receipt:", "运营商未能送达（停机、空号、关机过久或拒收）", True),
]


def refusal_words(code: str | None) -> tuple[str, bool]:
    """A refusal's reason in Chinese words, and whether a retry can succeed."""
    for pattern, words, retryable in REFUSALS:
        if code and re.search(pattern, code, re.IGNORECASE):
            return words, retryable
    return "服务商拒绝发送（原因未归类）", True


def mask(channel: str, address: str) -> str:
    """The recipient as staff may see it: 138****0001, z***@example.com, the push service's host, or the robot's
    kind."""
    if channel == "push":
        return f"浏览器推送（{urlsplit(address).hostname or '未知推送服务'}）"
    if channel == "sms":
        return address[:3] + "****" + address[-4:] if len(address) >= 8 else "****"
    if channel == "email":
        name, _, domain = address.partition("@")
        return f"{name[:1]}***@{domain}"
    return f"{CHANNEL_LABELS.get(channel, channel)}群机器人"


# --- recording and sending --------------------------------------------------------------------------

def record_pending(rows: list[dict[str, Any]], *, new_keys: bool = False) -> None:
    """Write a 待发送 row per (notification_id, channel, address, kind, title) queued; a row already there stays.

    ``new_keys``: the notifications are new (just inserted), so no row can be there yet: the rows go in the
    fast way (COPY on PostgreSQL).
    """
    now = utcnow()
    if not rows:
        return
    rows = [{**r, "status": "pending", "created_at": now, "attempts": 0, "holds": 0} for r in rows]
    if new_keys:
        copy_rows(Delivery, rows)
    else:
        insert_ignoring_duplicates(Delivery, rows, ["notification_id", "channel", "address"], [Delivery.id])


def for_notice(notification: Notification, channel: str, address: str) -> Delivery:
    """The delivery row of a notice on a channel and address (made if queued before rows were kept)."""
    delivery = db.session.scalar(select(Delivery).where(
        Delivery.notification_id == notification.id, Delivery.channel == channel, Delivery.address == address))
    if delivery is None:
        delivery = Delivery(notification_id=notification.id, channel=channel, address=address, kind=notification.kind,
                            title=notification.title[:200], status="pending", attempts=0, holds=0)
        db.session.add(delivery)
        db.session.flush()
    return delivery


def keyed(dedupe_key: str, **values: Any) -> Delivery:
    """The delivery row with this key (a reporter's SMS, a digest), made pending if new."""
    delivery = db.session.scalar(select(Delivery).where(Delivery.dedupe_key == dedupe_key))
    if delivery is None:
        delivery = Delivery(dedupe_key=dedupe_key, status="pending", attempts=0, holds=0, **values)
        db.session.add(delivery)
        db.session.flush()
    return delivery


def _level(delivery: Delivery) -> str | None:
    if delivery.notification_id is None:
        return None
    return db.session.scalar(select(Hazard.level).join(Notification, Notification.hazard_id == Hazard.id)
                             .where(Notification.id == delivery.notification_id))


def send(delivery: Delivery, now: dt.datetime | None = None) -> str:
    """Send a 待发送 delivery, or hold it (SMS quiet hours, rate limit); returns its status afterwards.

    A provider's refusal is recorded (被拒绝, with its code); an unreachable channel raises DeliveryFailed so the
    outbox retries (after the last attempt ``delivery_failed`` records it). Anything but 待发送 is left alone.
    """
    now = now or utcnow()
    if delivery.status != "pending":
        return delivery.status
    if delivery.channel == "sms":
        lock_number(delivery.address)
    if delivery.channel == "sms" and (hold := hold_for(delivery.address, delivery.kind, _level(delivery), now)):
        delivery.status, delivery.hold_until = hold
        delivery.holds += 1
        delivery.updated_at = now
        db.session.flush()
        return delivery.status
    delivery.attempts += 1
    try:
        reference = _transmit(delivery)
    except SubscriptionGone as exc:
        delivery.status, delivery.reason_code = "gone", (exc.code or "gone")[:64]
        delivery.reason = exc.message or str(exc)
    except DeliveryRefused as exc:
        delivery.status, delivery.reason_code = "refused", (exc.code or "refused")[:64]
        delivery.reason = exc.message or str(exc)
    else:
        delivery.status, delivery.sent_at, delivery.reason_code, delivery.reason = "sent", now, None, None
        delivery.provider_ref = (reference or None) and str(reference)[:100]
    delivery.hold_until, delivery.updated_at = None, now
    db.session.flush()
    return delivery.status


def _transmit(delivery: Delivery) -> Any:
    from hazardloop.notifications.reporters import reporter_message
    from hazardloop.notifications.services import template_values

    if delivery.channel == "push":
        notification = db.session.get(Notification, delivery.notification_id) if delivery.notification_id else None
        if notification is None:
            raise SubscriptionGone("通知已删除", code="push:unsubscribed")
        return transmit_push(notification, delivery.address)
    channel = CHANNELS[delivery.channel]
    if delivery.notification_id is not None:
        notification = db.session.get(Notification, delivery.notification_id)
        if notification is None:
            raise DeliveryRefused("通知已删除", code="gone")
        return channel.send(delivery.address, title=notification.title, body=notification.body,
                            key=f"hazardloop-n{notification.id}", kind=notification.kind,
                            values=template_values(notification))
    if delivery.report_id is not None:
        title, body, values = reporter_message(delivery.report_id, delivery.kind.removeprefix("reporter."))
        return channel.send(delivery.address, title=title, body=body, key=delivery.dedupe_key or f"d{delivery.id}",
                            kind=delivery.kind, values=values)
    return channel.send(delivery.address, title=delivery.title, body=delivery.title, key=f"hazardloop-d{delivery.id}",
                        kind="digest", values={"count": str(notices_in(delivery))})


def notices_in(digest: Delivery) -> int:
    """How many notices a digest SMS stands for (a digest folded into a later one counts its own)."""
    members = db.session.scalars(select(Delivery).where(Delivery.folded_into_id == digest.id)).all()
    return sum(notices_in(m) if m.kind == "digest" else 1 for m in members)


def send_by_id(delivery_id: int) -> None:
    """Outbox handler for ``delivery.send``: a released or retried delivery."""
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is not None:
        send(delivery)


def delivery_failed(error: str, **payload: Any) -> None:
    """Outbox ``ON_FAILED``: the channel stayed unreachable through every retry; the row reads 被拒绝 (retryable)."""
    delivery: Delivery | None = None
    if "delivery_id" in payload:
        delivery = db.session.get(Delivery, payload["delivery_id"])
    elif "notification_id" in payload and "address" in payload:
        delivery = db.session.scalar(select(Delivery).where(
            Delivery.notification_id == payload["notification_id"], Delivery.channel == payload["channel"],
            Delivery.address == payload["address"]))
    elif "report_id" in payload and payload.get("key"):
        delivery = db.session.scalar(select(Delivery).where(Delivery.dedupe_key == payload["key"]))
    if delivery is not None and delivery.status == "pending":
        delivery.status, delivery.reason_code, delivery.reason = "refused", "unreachable", error[:2000]
        delivery.updated_at = utcnow()


# --- delivery receipts (短信回执) --------------------------------------------------------------------

def record_receipts(provider: str, reports: list[Any]) -> int:
    """Apply the provider's status reports to the sent SMS they name (by BizId / SerialNo): 已送达, or 被拒绝 when
    the carrier could not deliver. Reports repeat (the providers push again on a timeout): applying one twice
    changes nothing. Returns how many rows changed.

    阿里云 SmsReport (HTTP 批量推送): ``[{"biz_id", "success", "err_code", "err_msg", ...}]``; 腾讯云 短信下发状态
    通知: ``[{"sid", "report_status": "SUCCESS"|"FAIL", "errmsg", "description", ...}]``.
    """
    changed = 0
    for report in reports:
        if not isinstance(report, dict):
            continue
        if provider == "aliyun":
            ref, ok, code = report.get("biz_id"), report.get("success") is True, report.get("err_code")
        else:
            ref, ok, code = report.get("sid"), report.get("report_status") == "SUCCESS", report.get("errmsg")
        if not isinstance(ref, str) or not ref:
            continue
        delivery = db.session.scalar(select(Delivery).where(
            Delivery.channel == "sms", Delivery.provider_ref == ref[:100], Delivery.status == "sent"))
        if delivery is None:
            continue
        if ok:
            delivery.status = "delivered"
        else:
            delivery.status, delivery.reason_code = "refused", f"receipt:{str(code or '')[:50]}"
            delivery.reason = str(report.get("err_msg") or report.get("description") or code or "")[:2000]
        delivery.updated_at = utcnow()
        changed += 1
    db.session.flush()
    return changed


# --- releasing what was held ------------------------------------------------------------------------

def release_held(now: dt.datetime | None = None) -> int:
    """Put every held SMS whose time has come back on its way (through the outbox); returns how many rows moved.

    Several due for one number are folded into one digest SMS (``fold``). Each row leaves its held status by a
    conditional UPDATE, so two schedulers releasing at once queue it once; the outbox key names the hold round.
    """
    now = now or utcnow()
    due = list(db.session.scalars(select(Delivery).where(Delivery.status.in_(HELD), Delivery.hold_until <= now)
                                  .order_by(Delivery.address, Delivery.id)))
    by_address: dict[str, list[Delivery]] = {}
    for d in due:
        by_address.setdefault(d.address, []).append(d)
    fold = rules().fold
    moved = 0
    for address, rows in by_address.items():
        claimed = [d for d in rows if _claim(d, "pending" if len(rows) == 1 or not fold else "folded", now)]
        if not claimed:
            continue
        moved += len(claimed)
        if len(claimed) == 1 or not fold:
            enqueue_many_after_commit([("delivery.send", {"delivery_id": d.id}, f"delivery:{d.id}:h{d.holds}")
                                       for d in claimed])
            continue
        count = sum(notices_in(d) if d.kind == "digest" else 1 for d in claimed)
        digest = keyed(f"digest:{claimed[0].id}:{claimed[-1].id}:{len(claimed)}", channel="sms", address=address,
                       kind="digest", title=f"您有{count}条隐患排查治理通知，请登录系统查看")
        for d in claimed:
            d.folded_into_id = digest.id
        db.session.flush()
        enqueue_after_commit("delivery.send", {"delivery_id": digest.id}, f"delivery:{digest.id}:h0")
    db.session.commit()
    return moved


def _claim(delivery: Delivery, to: str, now: dt.datetime) -> bool:
    result = db.session.execute(update(Delivery).where(Delivery.id == delivery.id, Delivery.status == delivery.status)
                                .values(status=to, updated_at=now).execution_options(synchronize_session=False))
    if result.rowcount:  # type: ignore[attr-defined]
        delivery.status = to
        return True
    return False


# --- the staff's list and retry ---------------------------------------------------------------------

def listing(user: User, *, status: str | None = None, channel: str | None = None) -> Any:
    """The deliveries ``user`` may see (policy: DELIVERY_VIEW), newest first, optionally of one status/channel."""
    query = select(Delivery).where(policy.visible(user, Delivery))
    if status:
        query = query.where(Delivery.status == status)
    if channel:
        query = query.where(Delivery.channel == channel)
    return query.order_by(Delivery.id.desc())


def counts(user: User, channel: str | None = None) -> dict[str, int]:
    """How many deliveries ``user`` may see per status (of one channel when given)."""
    query = select(Delivery.status, func.count()).where(policy.visible(user, Delivery))
    if channel:
        query = query.where(Delivery.channel == channel)
    rows = db.session.execute(query.group_by(Delivery.status)).all()
    return {status: int(n) for status, n in rows}


def describe(user: User, deliveries: list[Delivery]) -> list[dict[str, Any]]:
    """Rows for the list: masked recipient, status and reason in words, what it is about, whether 重试 is offered."""
    from hazardloop.public.models import PublicReport, format_tracking_code

    notes = {n.id: n for n in db.session.scalars(select(Notification).where(
        Notification.id.in_({d.notification_id for d in deliveries if d.notification_id})))}
    hazards = {h.id: h for h in db.session.scalars(select(Hazard).where(
        Hazard.id.in_({n.hazard_id for n in notes.values() if n.hazard_id})))}
    reports = {r.id: r for r in db.session.scalars(select(PublicReport).where(
        PublicReport.id.in_({d.report_id for d in deliveries if d.report_id})))}
    zone = local_zone()
    out = []
    for d in deliveries:
        note = notes.get(d.notification_id) if d.notification_id else None
        hazard = hazards.get(note.hazard_id) if note and note.hazard_id else None
        report = reports.get(d.report_id) if d.report_id else None
        words, retryable = refusal_words(d.reason_code) if d.status == "refused" else (None, False)
        if d.status in HELD and d.hold_until:
            local = d.hold_until.astimezone(zone)
            words = f"将于 {local.month}月{local.day}日 {local:%H:%M} 发送"
        out.append({
            "id": d.id, "channel": d.channel, "channel_label": CHANNEL_LABELS.get(d.channel, d.channel),
            "recipient": mask(d.channel, d.address), "status": d.status, "status_label": STATUS_LABELS[d.status],
            "reason": words, "title": (note.title if note else d.title) or d.title,
            "hazard_id": hazard.id if hazard else None, "hazard_number": hazard.number if hazard else None,
            "report_id": report.id if report else None,
            "report_code": format_tracking_code(report.tracking_code) if report else None,
            "created_at": d.created_at, "sent_at": d.sent_at, "hold_until": d.hold_until,
            "can_retry": d.status == "refused" and retryable and policy.can(user, Action.DELIVERY_RETRY, d),
        })
    return out


def get_visible(user: User, delivery_id: int) -> Delivery:
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None:
        raise NotFound("投递记录不存在。")
    policy.authorize(user, Action.DELIVERY_VIEW, delivery)
    return delivery


def retry(user: User, delivery_id: int) -> Delivery:
    """Send a refused delivery again (a person's decision, recorded in the audit chain); Conflict when a retry
    cannot succeed (an invalid or unsubscribed number) or it is not refused."""
    from hazardloop.hazards.events import append_event

    delivery = get_visible(user, delivery_id)
    policy.authorize(user, Action.DELIVERY_RETRY, delivery)
    if delivery.status != "refused":
        raise Conflict(f"这条投递{STATUS_LABELS[delivery.status]}，不需要重试。", code="delivery_not_refused")
    words, retryable = refusal_words(delivery.reason_code)
    if not retryable:
        raise Conflict(f"重试也不会成功：{words}。", code="delivery_not_retryable")
    round_ = delivery.attempts
    delivery.status, delivery.updated_at = "pending", utcnow()
    role = policy.acting_role(user, Action.DELIVERY_RETRY, delivery)
    append_event(kind="delivery_retried", actor=user, actor_role=role.value if role else None,
                 note=f"重新发送{CHANNEL_LABELS.get(delivery.channel, '')}（原因：{words}）",
                 payload={"delivery_id": delivery.id, "notification_id": delivery.notification_id,
                          "report_id": delivery.report_id, "reason_code": delivery.reason_code})
    enqueue_after_commit("delivery.send", {"delivery_id": delivery.id}, f"delivery:{delivery.id}:retry{round_}")
    db.session.flush()
    return delivery
