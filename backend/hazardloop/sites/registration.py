"""企业自主注册: an enterprise claims its site (credit code + phone on record, SMS code) or applies with its
licence photo; a street supervisor approves (the account is created) or refuses with a reason."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from typing import Any

from flask import current_app
from limits import parse
from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.models import RoleGrant, User
from hazardloop.accounts.ratelimit import login_throttle
from hazardloop.accounts.services import GrantSpec, create_user, find_user_by_mobile, normalize_mobile
from hazardloop.database import utcnow
from hazardloop.errors import ApiError, NotFound, RuleViolation, ValidationFailed
from hazardloop.evidence.services import receive_photo
from hazardloop.extensions import db
from hazardloop.hazards.events import append_event
from hazardloop.notifications.channels import CHANNELS, DeliveryFailed
from hazardloop.policy import Action
from hazardloop.regions.models import Region
from hazardloop.sites import services
from hazardloop.sites.audit import record_site_event
from hazardloop.sites.credit_code import validate_credit_code
from hazardloop.sites.models import EnterpriseApplication, Site, SiteResponsiblePerson
from hazardloop.taxonomy import RegionLevel, Role

log = logging.getLogger(__name__)

CODE_TTL_S = 10 * 60
MAX_CODE_TRIES = 5
# Code requests: a person asks once or twice; a script trying numbers is stopped.
LIMIT_PER_PHONE = ("1 per minute", "5 per hour")
LIMIT_PER_ADDRESS = ("20 per hour",)


def _key(kind: str, *parts: str) -> str:
    digest = hashlib.sha256("\0".join(parts).encode("utf-8", "replace")).hexdigest()[:32]
    return f"{current_app.config['RATELIMIT_KEY_PREFIX']}:enterprise_registration:{kind}:{digest}"


def _throttle(mobile: str, address: str) -> None:
    """Count one code request per phone and per address; ApiError 429 ``code_rate_limited`` when used up."""
    limiter = login_throttle().limiter
    checks = [(parse(limit), _key("phone", mobile)) for limit in LIMIT_PER_PHONE]
    checks += [(parse(limit), _key("address", address)) for limit in LIMIT_PER_ADDRESS]
    try:
        for item, key in checks:
            if not limiter.test(item, key):
                wait = max(1, int(limiter.get_window_stats(item, key).reset_time - time.time()))
                raise ApiError(f"获取验证码过于频繁，请 {_wait_words(wait)}后再试。", status=429,
                               code="code_rate_limited", retry_after=wait)
        for item, key in checks:
            limiter.hit(item, key)
    except ApiError:
        raise
    except Exception as exc:  # without the cache no code can be checked either: say so
        log.warning("registration code store unavailable", exc_info=True)
        raise ApiError("验证码服务暂时不可用，请稍后再试。", status=503, code="code_unavailable") from exc


def _wait_words(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 120 else f"{(seconds + 59) // 60} 分钟"


def _mobile(value: str) -> str:
    try:
        return normalize_mobile(value)
    except ValidationFailed as exc:
        raise ValidationFailed.field("mobile", "手机号应为 11 位中国大陆手机号码。") from exc


def _credit_code(value: str) -> str:
    check = validate_credit_code(value)
    if check.errors:
        raise ValidationFailed.field("credit_code", "统一社会信用代码有误：" + "".join(check.errors),
                                     "invalid_credit_code")
    return check.code


def site_on_record(credit_code: str, mobile: str) -> Site | None:
    """The active site with this credit code whose contact or a responsible person has this phone."""
    site = db.session.scalar(select(Site).where(Site.credit_code == credit_code, Site.active.is_(True)))
    if site is None:
        return None
    phones = {site.contact_mobile} | {p.mobile for p in site.responsible_persons}
    return site if mobile in phones else None


def _send_sms(mobile: str, *, kind: str, title: str, values: dict[str, str], key: str) -> None:
    try:
        CHANNELS["sms"].send(mobile, title=title, body=title, key=key, kind=kind, values=values)
    except DeliveryFailed as exc:
        log.warning("registration SMS not delivered: %s", exc)
        raise ApiError("短信发送失败，请稍后再试。", status=503, code="sms_failed") from exc


def request_code(*, purpose: str, mobile: str, credit_code: str | None, address: str) -> dict[str, Any]:
    """Send a 6-digit code to ``mobile``. For a claim the credit code and phone must match a site on record."""
    mobile = _mobile(mobile)
    code_value = _credit_code(credit_code) if credit_code else None
    if purpose == "claim" and not code_value:
        raise ValidationFailed.field("credit_code", "请填写统一社会信用代码。")
    _throttle(mobile, address)
    site = None
    if purpose == "claim":
        site = site_on_record(code_value or "", mobile)
        if site is None:
            raise NotFound("未找到统一社会信用代码与登记联系电话都相符的场所。您可以上传营业执照申请注册。",
                           code="no_matching_site")
    code = f"{secrets.randbelow(10**6):06d}"
    store = login_throttle().redis
    key = _key("code", purpose, mobile, code_value or "")
    store.hset(key, mapping={"hash": _hash(code), "tries": 0})
    store.expire(key, CODE_TTL_S)
    _send_sms(mobile, kind="site.claim_code", title=f"企业注册验证码 {code}，10 分钟内有效，请勿告诉他人。",
              values={"code": code}, key=f"registration-code:{key[-12:]}:{int(time.time())}")
    return {"sent": True, "site_name": site.name if site else None, "expires_in": CODE_TTL_S}


def _hash(code: str) -> str:
    return hashlib.sha256(f"{current_app.config['SECRET_KEY']}:{code}".encode()).hexdigest()


def _check_code(purpose: str, mobile: str, credit_code: str | None, code: str) -> None:
    store = login_throttle().redis
    key = _key("code", purpose, mobile, credit_code or "")
    saved = store.hgetall(key)
    if not saved:
        raise ValidationFailed.field("code", "验证码已过期或未获取，请重新获取。", "code_expired")
    tries = store.hincrby(key, "tries", 1)
    if tries > MAX_CODE_TRIES:
        store.delete(key)
        raise ValidationFailed.field("code", "验证码错误次数过多，请重新获取。", "code_expired")
    if not hmac.compare_digest(saved.get(b"hash", b"").decode(), _hash(code.strip())):
        raise ValidationFailed.field("code", "验证码不正确。", "code_wrong")
    store.delete(key)


def submit_claim(data: dict[str, Any]) -> EnterpriseApplication:
    """认领场所: the code proves the phone on record; a pending claim of the same site and phone is answered again."""
    mobile, credit_code = _mobile(data["mobile"]), _credit_code(data["credit_code"])
    _check_code("claim", mobile, credit_code, data["code"])
    site = site_on_record(credit_code, mobile)
    if site is None:
        raise NotFound("未找到统一社会信用代码与登记联系电话都相符的场所。", code="no_matching_site")
    pending = db.session.scalar(select(EnterpriseApplication).where(
        EnterpriseApplication.site_id == site.id, EnterpriseApplication.mobile == mobile,
        EnterpriseApplication.status == "pending"))
    if pending is not None:
        return pending
    application = EnterpriseApplication(
        kind="claim", site=site, region_id=site.grid_id, name=site.name, credit_code=credit_code,
        address=site.address, contact_name=data["contact_name"].strip(), mobile=mobile, mobile_verified=True,
        category=site.category)
    db.session.add(application)
    db.session.flush()
    return application


def submit_application(data: dict[str, Any], licence_photo: bytes | None) -> EnterpriseApplication:
    """注册申请 with the licence photo, when no site on record matches; reviewed by the chosen street."""
    mobile = _mobile(data["mobile"])
    credit_code = _credit_code(data["credit_code"]) if data.get("credit_code") else None
    _check_code("apply", mobile, credit_code, data["code"])
    street = db.session.get(Region, data["street_id"])
    if street is None or street.level != RegionLevel.STREET:
        raise ValidationFailed.field("street_id", "请选择所在街道（乡镇）。")
    if not licence_photo:
        raise ValidationFailed.field("licence_photo", "请上传营业执照照片。")
    photo, _ = receive_photo(licence_photo, uploader=None)
    application = EnterpriseApplication(
        kind="apply", region_id=street.id, name=data["name"].strip(), credit_code=credit_code,
        address=data["address"].strip(), contact_name=data["contact_name"].strip(), mobile=mobile,
        mobile_verified=True, licence_photo_id=photo.id, category=data.get("category"))
    db.session.add(application)
    db.session.flush()
    return application


def receipt_token(application: EnterpriseApplication) -> str:
    """The applicant's 回执: ``<id>-<token>``, the token an HMAC of the id under the app's secret (nothing stored).

    Only the browser that submitted the application receives it; with it the applicant reads the decision (the
    reason of a 不予通过) and applies again without another SMS code (the phone was verified for this application).
    """
    mac = hmac.new(current_app.config["SECRET_KEY"].encode(), f"enterprise-application:{application.id}".encode(),
                   hashlib.sha256).hexdigest()[:24]
    return f"{application.id}-{mac}"


def application_by_receipt(receipt: str) -> EnterpriseApplication:
    """The application a 回执 names; NotFound (the same for a wrong token as for no application) otherwise."""
    head, _, _ = receipt.partition("-")
    application = db.session.get(EnterpriseApplication, int(head)) if head.isdigit() and len(head) < 12 else None
    if application is None or not hmac.compare_digest(receipt_token(application), receipt):
        raise NotFound("未找到该注册申请，请核对链接。", code="application_not_found")
    return application


def reapply(previous: EnterpriseApplication, data: dict[str, Any],
            licence_photo: bytes | None) -> EnterpriseApplication:
    """重新申请 after 不予通过: a new application with the corrected details, by the phone verified for the refused one.

    Without a new photo the refused application's licence photo is kept. Raises RuleViolation when ``previous``
    was not refused; a second submission while the first re-application is pending answers that one.
    """
    if previous.status != "refused":
        raise RuleViolation("只有未通过的申请可以修改后重新申请。", code="not_refused")
    pending = db.session.scalar(select(EnterpriseApplication).where(
        EnterpriseApplication.mobile == previous.mobile, EnterpriseApplication.status == "pending",
        EnterpriseApplication.kind == "apply", EnterpriseApplication.created_at >= previous.decided_at))
    if pending is not None:
        return pending
    credit_code = _credit_code(data["credit_code"]) if data.get("credit_code") else None
    street = db.session.get(Region, data["street_id"])
    if street is None or street.level != RegionLevel.STREET:
        raise ValidationFailed.field("street_id", "请选择所在街道（乡镇）。")
    photo_id = receive_photo(licence_photo, uploader=None)[0].id if licence_photo else previous.licence_photo_id
    if not photo_id:
        raise ValidationFailed.field("licence_photo", "请上传营业执照照片。")
    application = EnterpriseApplication(
        kind="apply", region_id=street.id, name=data["name"].strip(), credit_code=credit_code,
        address=data["address"].strip(), contact_name=data["contact_name"].strip(), mobile=previous.mobile,
        mobile_verified=True, licence_photo_id=photo_id, category=data.get("category"))
    db.session.add(application)
    db.session.flush()
    return application


def streets() -> list[Region]:
    """The streets (乡镇/街道) an applicant can choose, by name."""
    return list(db.session.scalars(select(Region).where(Region.level == RegionLevel.STREET).order_by(Region.name)))


def queue_query(user: User, status: str = "pending") -> Any:
    return (select(EnterpriseApplication).where(policy.visible(user, EnterpriseApplication),
                                                EnterpriseApplication.status == status)
            .order_by(EnterpriseApplication.created_at, EnterpriseApplication.id))


def get_application(application_id: int) -> EnterpriseApplication:
    application = db.session.get(EnterpriseApplication, application_id)
    if application is None:
        raise NotFound("注册申请不存在。")
    return application


def _pending(application: EnterpriseApplication) -> None:
    if application.status != "pending":
        raise RuleViolation("该申请已处理。", code="already_decided")


def _site_for(application: EnterpriseApplication, data: dict[str, Any], actor: User) -> Site:
    if application.kind == "claim":
        if application.site is None or not application.site.active:
            raise RuleViolation("认领的场所已不在册，请拒绝该申请。", code="site_gone")
        return application.site
    if data.get("site_id"):
        site = services.get_site(data["site_id"])
        policy.authorize(actor, Action.SITE_UPDATE, site)
        return site
    grid_id = data.get("grid_id")
    if not grid_id:
        raise ValidationFailed.field("grid_id", "请选择该企业所在的网格（或已登记的场所）。")
    grid = db.session.get(Region, grid_id)
    if grid is None:
        raise ValidationFailed.field("grid_id", "所属网格不存在。")
    policy.authorize(actor, Action.SITE_CREATE, grid)
    site = services.create_site({
        "name": application.name, "address": application.address or application.name, "grid_id": grid_id,
        "category": data.get("category") or application.category or "small_shop",
        "credit_code": application.credit_code, "credit_code_confirmed": True,
        "contact_name": application.contact_name, "contact_mobile": application.mobile}, actor=actor)
    record_site_event("site_created", site, actor, Action.SITE_CREATE, grid,
                      note=f"企业注册申请通过，登记场所：{site.name}", payload={"application_id": application.id})
    return site


def approve(application: EnterpriseApplication, data: dict[str, Any], *, actor: User) -> EnterpriseApplication:
    """通过: the enterprise account (scoped to the site) is created with a one-time password sent by SMS,
    to be replaced at first login; a person who already has an account gets the site added."""
    _pending(application)
    site = _site_for(application, data, actor)
    user = find_user_by_mobile(application.mobile)
    password = None
    if user is None:
        password = "Qy" + secrets.token_urlsafe(6).replace("-", "x").replace("_", "y") + "8"
        user = create_user(mobile=application.mobile, display_name=application.contact_name, password=password,
                           grants=[GrantSpec(Role.ENTERPRISE_USER, site_id=site.id)], must_change_password=True)
    elif not any(g.role == Role.ENTERPRISE_USER and g.site_id == site.id for g in user.grants):
        user.grants.append(RoleGrant(role=Role.ENTERPRISE_USER.value, site_id=site.id))
    if not site.contact_mobile:
        site.contact_name, site.contact_mobile = application.contact_name, application.mobile
    elif application.mobile not in {site.contact_mobile} | {p.mobile for p in site.responsible_persons}:
        site.responsible_persons.append(SiteResponsiblePerson(duty="联系人", name=application.contact_name,
                                                              mobile=application.mobile))
    application.site, application.status, application.user_id = site, "approved", user.id
    application.decided_by_id, application.decided_at = actor.id, utcnow()
    db.session.flush()
    record_site_event("enterprise_account_approved", site, actor, Action.ENTERPRISE_APPLICATION_REVIEW,
                      application, note=f"企业注册申请通过：{application.name}（{application.contact_name}）",
                      payload={"application_id": application.id, "user_id": user.id, "kind": application.kind})
    text = (f"您的企业账号已开通：登录手机号 {application.mobile}，初始密码 {password}，首次登录请设置新密码。"
            if password else f"「{site.name}」已加入您的账号，请用原密码登录。")
    _send_sms(application.mobile, kind="site.account_ready" if password else "site.account_added", title=text,
              values={"password": password or "", "site": site.name}, key=f"registration-approved:{application.id}")
    return application


def refuse(application: EnterpriseApplication, reason: str, *, actor: User) -> EnterpriseApplication:
    """不予通过 with a reason, which the applicant receives by SMS."""
    _pending(application)
    if not reason.strip():
        raise ValidationFailed.field("reason", "请填写不予通过的理由。")
    application.status, application.refusal_reason = "refused", reason.strip()
    application.decided_by_id, application.decided_at = actor.id, utcnow()
    db.session.flush()
    role = policy.acting_role(actor, Action.ENTERPRISE_APPLICATION_REVIEW, application)
    append_event(kind="enterprise_application_refused", actor=actor, actor_role=role.value if role else None,
                 note=f"企业注册申请不予通过：{application.name}。理由：{reason.strip()}",
                 payload={"application_id": application.id, "site_id": application.site_id})
    _send_sms(application.mobile, kind="site.application_refused",
              title=f"您的企业注册申请（{application.name}）未通过：{reason.strip()}",
              values={"reason": reason.strip()}, key=f"registration-refused:{application.id}")
    return application
