"""The one place that decides "may this user do this to this object" and "which objects may they list".

Access is a table: for each action, which roles hold it and how far (everywhere, within
the grant's scope, or not at all). What "within scope" means per kind of object is one
function in Python and its twin in SQL, tested to agree. Objects outside a user's scope
are reported as not found, never as forbidden, so scope cannot be probed.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import ColumnElement, exists, false, or_, select, true

from hazardloop.accounts.models import RoleGrant, User
from hazardloop.blacklist.models import BlacklistEntry
from hazardloop.checklists.models import Checklist
from hazardloop.circulars.models import Circular
from hazardloop.errors import Forbidden, NotFound, ValidationFailed
from hazardloop.evidence.models import Photo, PhotoLink, PhotoUpload, SubjectType
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.states import HazardStatus, Transition
from hazardloop.imports.models import ImportJob
from hazardloop.inspections.models import Inspection, InspectionMode
from hazardloop.notifications.models import Delivery, Notification, WebhookSubscription
from hazardloop.public.models import PublicReport
from hazardloop.regions.models import Department, Region
from hazardloop.regions.services import grid_ids_under, in_subtree, is_within
from hazardloop.sites.models import EnterpriseApplication, Site, SiteDomain
from hazardloop.taxonomy import Role


class Action(enum.StrEnum):
    REGION_VIEW = "region.view"
    REGION_MANAGE = "region.manage"
    DEPARTMENT_VIEW = "department.view"
    DEPARTMENT_MANAGE = "department.manage"
    SITE_VIEW = "site.view"
    SITE_CREATE = "site.create"  # the object is the grid the site will be in
    SITE_UPDATE = "site.update"
    SITE_ROTATE_QR = "site.rotate_qr"
    SITE_INSPECT = "site.inspect"
    # The enterprise's contact person and mobile in full (the console masks them for other roles).
    SITE_CONTACT = "site.contact"
    USER_VIEW = "user.view"
    USER_MANAGE = "user.manage"
    PHOTO_VIEW = "photo.view"  # the record, thumbnail and watermarked evidence copy
    PHOTO_ORIGINAL = "photo.original"  # the untouched original, with the device's EXIF and GPS
    HAZARD_VIEW = "hazard.view"
    HAZARD_PUBLISH_CIRCULAR = "hazard.publish_circular"  # 通报: name hazards in a circular
    INSPECTION_VIEW = "inspection.view"
    HAZARD_PUBLISH = "hazard.publish"  # 曝光台: show a hazard and its photos to the public
    REPORT_VIEW = "report.view"  # 群众举报, with the reporter's phone
    REPORT_TRIAGE = "report.triage"  # accept / reject / 举报奖励
    CONSOLE_VIEW = "console.view"  # 监管驾驶舱 of a region: overview, overdue tracker, risk map
    HAZARD_REMIND = "hazard.remind"  # 催办: remind the enterprise and grid worker of a deadline
    HAZARD_ESCALATE = "hazard.escalate"  # fire the next rung of the escalation ladder by hand
    BLACKLIST_VIEW = "blacklist.view"
    BLACKLIST_REVIEW = "blacklist.review"  # 采集、会审、异议受理、不予列入
    BLACKLIST_APPROVE = "blacklist.approve"  # 报批、公布、异议决定、移出 (district level: see blacklist.states)
    # 巡查计划: when each site was last patrolled and is next due; not for enterprises, since it
    # would reveal the dates of 暗访.
    SITE_PATROL_PLAN = "site.patrol_plan"
    CIRCULAR_VIEW = "circular.view"  # 通报 of a street, department or district: read, download
    CIRCULAR_MANAGE = "circular.manage"  # draft, review, publish and archive 通报
    WEBHOOK_MANAGE = "webhook.manage"  # outside systems subscribed to signed hazard events
    # 批量导入 of sites: a person's own import jobs (each row is checked again with SITE_CREATE/SITE_UPDATE).
    IMPORT_SITES = "import.sites"
    # 投递记录: each notice's SMS/e-mail/robot delivery status and a provider's refusal; retry a refused one.
    DELIVERY_VIEW = "delivery.view"
    DELIVERY_RETRY = "delivery.retry"
    # 风险分级管控: assess a site's 风险点 or add one; review (accept / return) assessments;
    # override the computed level.
    SITE_RISK_ASSESS = "site.risk_assess"
    SITE_RISK_REVIEW = "site.risk_review"
    SITE_RISK_OVERRIDE = "site.risk_override"
    # 企业隐患自查自报 of a site: its monthly status and report (read), submitting the report (the enterprise),
    # and the console's figures and non-reporting list over the sites of one's scope.
    SITE_SELF_CHECK_STATUS = "site.self_check_status"
    SITE_SELF_CHECK_REPORT = "site.self_check_report"
    SITE_SELF_CHECK_STATS = "site.self_check_stats"
    # 新增场所审核: approve a 网格员's field-registered (provisional) site, or merge it into an existing one.
    SITE_REVIEW = "site.review"
    SITE_MERGE = "site.merge"  # merge a duplicate into another site (its inspections and hazards move)
    SITE_CLOSE = "site.close"  # 歇业/注销 and reopening
    SITE_DOSSIER = "site.dossier"  # 一企一档: licences, responsible persons, 重大危险源/危化品 flags
    # 企业注册申请: a claim or application of an enterprise, approved or refused by a street supervisor.
    ENTERPRISE_APPLICATION_REVIEW = "enterprise_application.review"
    # 管理网格员: create a grid worker, reset the password, disable, end sessions. A supervisor only for a user
    # whose every grant is a 网格员 grant on a grid of the supervisor's subtree (see _staff_in).
    USER_STAFF = "user.staff"
    # 维护网格: create, rename, move a grid and upload its boundary (a supervisor within the subtree).
    GRID_MANAGE = "region.grid_manage"
    # 检查表发布: upload a checklist file, publish it as a new version, download the current one (administrators).
    CHECKLIST_PUBLISH = "checklist.publish"


class Reach(enum.Enum):
    ANYWHERE = "anywhere"
    IN_SCOPE = "in_scope"


A, S = Reach.ANYWHERE, Reach.IN_SCOPE
G, IN, SV, E, AD = Role.GRID_WORKER, Role.INSPECTOR, Role.SUPERVISOR, Role.ENTERPRISE_USER, Role.ADMIN

# Who may do what. A role missing from an action's row may not do it at all.
RULES: dict[Action, dict[Role, Reach]] = {
    Action.REGION_VIEW:       {G: S, IN: S, SV: S, AD: A},
    Action.REGION_MANAGE:     {AD: A},
    Action.DEPARTMENT_VIEW:   {G: A, IN: A, SV: A, E: A, AD: A},
    Action.DEPARTMENT_MANAGE: {AD: A},
    Action.SITE_VIEW:         {G: S, IN: S, SV: S, E: S, AD: A},
    Action.SITE_CREATE:       {G: S, SV: S, AD: A},
    Action.SITE_UPDATE:       {G: S, SV: S, AD: A},
    Action.SITE_ROTATE_QR:    {G: S, SV: S, AD: A},
    Action.SITE_INSPECT:      {G: S, IN: S, SV: S, E: S, AD: A},
    Action.SITE_CONTACT:      {G: S, SV: S, E: S, AD: A},
    Action.USER_VIEW:         {SV: S, AD: A},
    Action.USER_MANAGE:       {AD: A},
    Action.PHOTO_VIEW:        {G: S, IN: S, SV: S, E: S, AD: A},
    Action.PHOTO_ORIGINAL:    {G: S, IN: S, SV: S, AD: A},
    Action.HAZARD_VIEW:       {G: S, IN: S, SV: S, E: S, AD: A},
    Action.HAZARD_PUBLISH_CIRCULAR: {SV: S, AD: A},
    Action.INSPECTION_VIEW:   {G: S, IN: S, SV: S, E: S, AD: A},
    Action.HAZARD_PUBLISH:    {SV: S, AD: A},
    Action.REPORT_VIEW:       {SV: S, AD: A},
    Action.REPORT_TRIAGE:     {SV: S, AD: A},
    Action.CONSOLE_VIEW:      {IN: S, SV: S, AD: A},
    Action.HAZARD_REMIND:     {IN: S, SV: S, AD: A},
    Action.HAZARD_ESCALATE:   {SV: S, AD: A},
    Action.BLACKLIST_VIEW:    {IN: S, SV: S, AD: A},
    Action.BLACKLIST_REVIEW:  {SV: S, AD: A},
    Action.BLACKLIST_APPROVE: {SV: S, AD: A},
    Action.SITE_PATROL_PLAN:  {G: S, IN: S, SV: S, AD: A},
    Action.CIRCULAR_VIEW:     {IN: S, SV: S, AD: A},
    Action.CIRCULAR_MANAGE:   {SV: S, AD: A},
    Action.WEBHOOK_MANAGE:    {AD: A},
    Action.IMPORT_SITES:      {SV: S, AD: A},
    Action.DELIVERY_VIEW:     {SV: S, AD: A},
    Action.DELIVERY_RETRY:    {SV: S, AD: A},
    Action.SITE_RISK_ASSESS:  {E: S, SV: S, AD: A},
    Action.SITE_RISK_REVIEW:  {SV: S, AD: A},
    Action.SITE_RISK_OVERRIDE: {SV: S, AD: A},
    Action.SITE_SELF_CHECK_STATUS: {G: S, IN: S, SV: S, E: S, AD: A},
    Action.SITE_SELF_CHECK_REPORT: {E: S, AD: A},
    Action.SITE_SELF_CHECK_STATS:  {IN: S, SV: S, AD: A},
    Action.SITE_REVIEW:       {SV: S, AD: A},
    Action.SITE_MERGE:        {SV: S, AD: A},
    Action.SITE_CLOSE:        {SV: S, AD: A},
    Action.SITE_DOSSIER:      {SV: S, AD: A},
    Action.ENTERPRISE_APPLICATION_REVIEW: {SV: S, AD: A},
    Action.USER_STAFF:        {SV: S, AD: A},
    Action.GRID_MANAGE:       {SV: S, AD: A},
    Action.CHECKLIST_PUBLISH: {AD: A},
}
# Who may fire each hazard transition is declared in hazards.states.TRANSITIONS (roles);
# can_fire() below applies the same scope rules as HAZARD_VIEW.

# The action that decides whether an object of a type is visible at all.
VIEW_ACTION: dict[type, Action] = {
    Region: Action.REGION_VIEW,
    Department: Action.DEPARTMENT_VIEW,
    Site: Action.SITE_VIEW,
    User: Action.USER_VIEW,
    Photo: Action.PHOTO_VIEW,
    Hazard: Action.HAZARD_VIEW,
    Inspection: Action.INSPECTION_VIEW,
    PublicReport: Action.REPORT_VIEW,
    BlacklistEntry: Action.BLACKLIST_VIEW,
    Circular: Action.CIRCULAR_VIEW,
    WebhookSubscription: Action.WEBHOOK_MANAGE,
    Checklist: Action.CHECKLIST_PUBLISH,
    ImportJob: Action.IMPORT_SITES,
    Delivery: Action.DELIVERY_VIEW,
    EnterpriseApplication: Action.ENTERPRISE_APPLICATION_REVIEW,
}


# --- scope in Python: is one object inside one grant's scope? -------------------------------

def _region_in(grant: RoleGrant, region: Region) -> bool:
    if grant.role == Role.GRID_WORKER:
        return region.id == grant.region_id
    if grant.role in (Role.SUPERVISOR, Role.INSPECTOR):
        return is_within(region.path, grant.region.path)
    return False


def _site_in(grant: RoleGrant, site: Site) -> bool:
    if grant.role == Role.GRID_WORKER:
        return site.grid_id == grant.region_id
    if grant.role == Role.SUPERVISOR:
        return is_within(site.grid.path, grant.region.path)
    if grant.role == Role.INSPECTOR:
        return is_within(site.grid.path, grant.region.path) and bool(
            set(site.domains) & set(grant.department.domains)
        )
    if grant.role == Role.ENTERPRISE_USER:
        return site.id == grant.site_id
    return False


def _user_in(grant: RoleGrant, other: User) -> bool:
    if grant.role != Role.SUPERVISOR:
        return False
    for g in other.grants:
        scope_path = g.site.grid.path if g.site is not None else g.region.path if g.region else None
        if scope_path is not None and is_within(scope_path, grant.region.path):
            return True
    return False


def _staff_in(grant: RoleGrant, other: User) -> bool:
    """A supervisor manages a user whose grants are all 网格员 grants on grids of the supervisor's subtree."""
    if grant.role != Role.SUPERVISOR or not other.grants:
        return False
    return all(g.role == Role.GRID_WORKER and g.region is not None and is_within(g.region.path, grant.region.path)
               for g in other.grants)


def _department_in(grant: RoleGrant, department: Department) -> bool:
    return False  # departments are only ever granted ANYWHERE


def _hazard_in(grant: RoleGrant, hazard: Hazard) -> bool:
    if grant.role == Role.ENTERPRISE_USER and hazard.covert and hazard.status == HazardStatus.FOUND:
        return False  # 暗访: hidden from the enterprise until exposed or assigned
    return _site_in(grant, hazard.site)


def _inspection_in(grant: RoleGrant, inspection: Inspection) -> bool:
    if grant.role == Role.ENTERPRISE_USER and inspection.mode == InspectionMode.COVERT:
        return False
    return _site_in(grant, inspection.site)


def _photo_in(grant: RoleGrant, photo: Photo) -> bool:
    """A photo I uploaded, or one linked to a site I may see.

    Linked to a hazard or inspection, it is visible wherever that is (暗访 hidden from the enterprise).
    """
    if grant.user_id in photo.uploader_ids:
        return True
    for link in photo.links:
        subject, in_scope = _PHOTO_SUBJECTS[SubjectType(link.subject_type)]
        found = _get(subject, link.subject_id)
        if found is not None and in_scope(grant, found):
            return True
    return False


def _report_in(grant: RoleGrant, report: PublicReport) -> bool:
    """A report is triaged where its grid (or, with no grid, its district) lies in a supervisor's subtree."""
    return grant.role == Role.SUPERVISOR and is_within(report.region.path, grant.region.path)


def _blacklist_in(grant: RoleGrant, entry: BlacklistEntry) -> bool:
    """A 黑名单 entry is within scope where its enterprise's site is."""
    return grant.role in (Role.SUPERVISOR, Role.INSPECTOR) and _site_in(grant, entry.site)


def _circular_in(grant: RoleGrant, circular: Circular) -> bool:
    """A 通报 is within scope where its region (a street, or the district of a department's) lies in the
    grant's subtree; for an inspector, only a region-wide one or their own department's."""
    if grant.role not in (Role.SUPERVISOR, Role.INSPECTOR) or circular.region is None:
        return False
    if not is_within(circular.region.path, grant.region.path):
        return False
    return grant.role == Role.SUPERVISOR or circular.department_id in (None, grant.department_id)


def _delivery_in(grant: RoleGrant, delivery: Delivery) -> bool:
    """A delivery is within a supervisor's scope where the hazard of its notice, or its 群众举报, is."""
    if grant.role != Role.SUPERVISOR:
        return False
    if delivery.report_id is not None:
        report = _get(PublicReport, delivery.report_id)
        return report is not None and _report_in(grant, report)
    notification = _get(Notification, delivery.notification_id) if delivery.notification_id else None
    hazard = _get(Hazard, notification.hazard_id) if notification and notification.hazard_id else None
    return hazard is not None and _hazard_in(grant, hazard)


def _get(model: type, key: Any) -> Any:
    from hazardloop.extensions import db

    return db.session.get(model, key)


IN_SCOPE: dict[type, Callable[[RoleGrant, Any], bool]] = {
    Region: _region_in,
    Site: _site_in,
    User: _user_in,
    Department: _department_in,
    Photo: _photo_in,
    Hazard: _hazard_in,
    Inspection: _inspection_in,
    PublicReport: _report_in,
    BlacklistEntry: _blacklist_in,
    Circular: _circular_in,
    WebhookSubscription: lambda grant, subscription: False,
    Checklist: lambda grant, checklist: False,
    ImportJob: lambda grant, job: job.created_by_id == grant.user_id,
    Delivery: _delivery_in,
    EnterpriseApplication: lambda grant, application: grant.role == Role.SUPERVISOR and is_within(
        application.region.path, grant.region.path),
}


# Actions whose scope is narrower than their object type's (used by can() and acting_role(), never by visible()).
ACTION_SCOPE: dict[Action, Callable[[RoleGrant, Any], bool]] = {
    Action.USER_STAFF: _staff_in,
}


# --- scope in SQL: the same rules as WHERE conditions ---------------------------------------

def _region_clause(grant: RoleGrant) -> ColumnElement[bool]:
    if grant.role == Role.GRID_WORKER:
        return Region.id == grant.region_id
    if grant.role in (Role.SUPERVISOR, Role.INSPECTOR):
        return in_subtree(Region.path, grant.region.path)
    return false()


def _site_clause(grant: RoleGrant) -> ColumnElement[bool]:
    if grant.role == Role.GRID_WORKER:
        return Site.grid_id == grant.region_id
    if grant.role == Role.SUPERVISOR:
        return Site.grid_id.in_(grid_ids_under(grant.region.path))
    if grant.role == Role.INSPECTOR:
        return Site.grid_id.in_(grid_ids_under(grant.region.path)) & exists(
            select(SiteDomain.site_id).where(
                SiteDomain.site_id == Site.id, SiteDomain.domain.in_(grant.department.domains)
            )
        )
    if grant.role == Role.ENTERPRISE_USER:
        return Site.id == grant.site_id
    return false()


def _user_clause(grant: RoleGrant) -> ColumnElement[bool]:
    if grant.role != Role.SUPERVISOR:
        return false()
    path = grant.region.path
    other = RoleGrant.__table__.alias("other_grant")
    region = Region.__table__.alias("grant_region")
    site_grid = select(Site.grid_id).where(Site.id == other.c.site_id).scalar_subquery()
    return exists(
        select(other.c.id).where(
            other.c.user_id == User.id,
            or_(
                exists(select(region.c.id).where(
                    region.c.id == other.c.region_id, in_subtree(region.c.path, path))),
                site_grid.in_(grid_ids_under(path)),
            ),
        )
    )


def _sites_of(grant: RoleGrant) -> Any:
    return select(Site.id).where(_site_clause(grant))


def _hazard_clause(grant: RoleGrant) -> ColumnElement[bool]:
    if grant.role == Role.ENTERPRISE_USER:
        return (Hazard.site_id == grant.site_id) & ~(
            Hazard.covert.is_(True) & (Hazard.status == HazardStatus.FOUND.value))
    if grant.role == Role.GRID_WORKER:
        return Hazard.site_id.in_(select(Site.id).where(Site.grid_id == grant.region_id))
    return Hazard.site_id.in_(_sites_of(grant))


def _inspection_clause(grant: RoleGrant) -> ColumnElement[bool]:
    if grant.role == Role.ENTERPRISE_USER:
        return (Inspection.site_id == grant.site_id) & (Inspection.mode != InspectionMode.COVERT.value)
    return Inspection.site_id.in_(_sites_of(grant))


def _photo_clause(grant: RoleGrant) -> ColumnElement[bool]:
    uploaded = exists(select(PhotoUpload.photo_id).where(
        PhotoUpload.photo_id == Photo.id, PhotoUpload.user_id == grant.user_id))
    on_site = exists(select(PhotoLink.id).join(Site, Site.id == PhotoLink.subject_id).where(
        PhotoLink.photo_id == Photo.id, PhotoLink.subject_type == SubjectType.SITE.value,
        _site_clause(grant)))
    on_hazard = exists(select(PhotoLink.id).join(Hazard, Hazard.id == PhotoLink.subject_id).where(
        PhotoLink.photo_id == Photo.id,
        PhotoLink.subject_type.in_([SubjectType.HAZARD.value, SubjectType.RECTIFICATION.value]),
        _hazard_clause(grant)))
    on_inspection = exists(select(PhotoLink.id).join(Inspection, Inspection.id == PhotoLink.subject_id).where(
        PhotoLink.photo_id == Photo.id, PhotoLink.subject_type == SubjectType.INSPECTION.value,
        _inspection_clause(grant)))
    return or_(uploaded, on_site, on_hazard, on_inspection)


def _report_clause(grant: RoleGrant) -> ColumnElement[bool]:
    if grant.role != Role.SUPERVISOR:
        return false()
    return PublicReport.region_id.in_(select(Region.id).where(in_subtree(Region.path, grant.region.path)))


def _blacklist_clause(grant: RoleGrant) -> ColumnElement[bool]:
    if grant.role not in (Role.SUPERVISOR, Role.INSPECTOR):
        return false()
    return BlacklistEntry.site_id.in_(_sites_of(grant))


def _circular_clause(grant: RoleGrant) -> ColumnElement[bool]:
    if grant.role not in (Role.SUPERVISOR, Role.INSPECTOR):
        return false()
    inside = Circular.region_id.in_(select(Region.id).where(in_subtree(Region.path, grant.region.path)))
    if grant.role == Role.INSPECTOR:
        return inside & (Circular.department_id.is_(None) | (Circular.department_id == grant.department_id))
    return inside


def _delivery_clause(grant: RoleGrant) -> ColumnElement[bool]:
    if grant.role != Role.SUPERVISOR:
        return false()
    notices = select(Notification.id).where(Notification.hazard_id.in_(select(Hazard.id).where(_hazard_clause(grant))))
    return or_(Delivery.notification_id.in_(notices),
               Delivery.report_id.in_(select(PublicReport.id).where(_report_clause(grant))))


_PHOTO_SUBJECTS: dict[SubjectType, tuple[type, Callable[[RoleGrant, Any], bool]]] = {
    SubjectType.SITE: (Site, _site_in),
    SubjectType.HAZARD: (Hazard, _hazard_in),
    SubjectType.RECTIFICATION: (Hazard, _hazard_in),
    SubjectType.INSPECTION: (Inspection, _inspection_in),
}


SCOPE_CLAUSE: dict[type, Callable[[RoleGrant], ColumnElement[bool]]] = {
    Region: _region_clause,
    Site: _site_clause,
    User: _user_clause,
    Department: lambda grant: false(),
    Photo: _photo_clause,
    Hazard: _hazard_clause,
    Inspection: _inspection_clause,
    PublicReport: _report_clause,
    BlacklistEntry: _blacklist_clause,
    Circular: _circular_clause,
    WebhookSubscription: lambda grant: false(),
    Checklist: lambda grant: false(),
    ImportJob: lambda grant: ImportJob.created_by_id == grant.user_id,
    Delivery: _delivery_clause,
    EnterpriseApplication: lambda grant: EnterpriseApplication.region_id.in_(
        select(Region.id).where(in_subtree(Region.path, grant.region.path))) if grant.role == Role.SUPERVISOR
    else false(),
}


# --- the questions -------------------------------------------------------------------------

def can(user: User, action: Action, obj: Any, *, kind: type | None = None) -> bool:
    """May ``user`` perform ``action`` on ``obj``?

    ``kind``: the model ``obj`` stands for when it is a plain record carrying the attributes that
    model's scope rule reads (a row read as columns, e.g. the console's overdue tracker).
    """
    if not user.active:
        return False
    if action == Action.USER_VIEW and obj is user:
        return True  # everyone may see themselves
    rule = RULES[action]
    in_scope = ACTION_SCOPE.get(action) or IN_SCOPE[kind or type(obj)]
    for grant in user.grants:
        reach = rule.get(Role(grant.role))
        if reach is Reach.ANYWHERE or (reach is Reach.IN_SCOPE and in_scope(grant, obj)):
            return True
    return False


def can_anywhere(user: User, action: Action) -> bool:
    """Does ``user`` hold ``action`` without a scope limit (e.g. creating users)?"""
    return user.active and any(
        RULES[action].get(Role(g.role)) is Reach.ANYWHERE for g in user.grants
    )


def holds(user: User, action: Action) -> bool:
    """Does any of ``user``'s roles carry ``action`` at all (anywhere or within its scope)?

    For screens whose content is filtered by scope afterwards, e.g. the console and the 黑名单 list.
    """
    return user.active and any(Role(g.role) in RULES[action] for g in user.grants)


def authorize(user: User, action: Action, obj: Any) -> None:
    """Raise NotFound when ``obj`` is outside the user's sight, Forbidden when seen but not allowed."""
    if can(user, action, obj):
        return
    view = VIEW_ACTION[type(obj)]
    if action != view and can(user, view, obj):
        raise Forbidden("您无权对该对象执行此操作。")
    raise NotFound("请求的资源不存在。")


def citable_photos(user: User, photo_ids: Iterable[str]) -> set[str]:
    """Which of these photo ids ``user`` may cite in a request body (link as evidence of something).

    A photo may be cited only by someone who may view it, and while it is linked to nothing yet
    only by someone who uploaded it: the link would put the photo in the citer's scope (record,
    evidence copy, for staff the original with its GPS), so citing must not widen anyone's sight.
    Unknown ids, and ids out of sight, are simply absent: the caller answers both alike.
    """
    from hazardloop.database import held_or_loaded

    ids = {p for p in photo_ids if isinstance(p, str)}
    if not ids or not user.active:
        return set()
    # The photos a request holds already (an inspection loads those it cites) are not read again.
    photos = held_or_loaded(Photo, sorted(ids)).values()
    return {photo.id for photo in photos
            if can(user, Action.PHOTO_VIEW, photo) and (photo.links or user.id in photo.uploader_ids)}


def can_see_photo_metadata(user: User, photo: Photo) -> bool:
    """May ``user`` see the device's EXIF time and GPS in a photo's record?

    Only those who may download the original (which carries them) and those who uploaded the
    bytes: an enterprise never sees where and when an inspector's phone took a picture.
    """
    return user.id in photo.uploader_ids or can(user, Action.PHOTO_ORIGINAL, photo)


def authorize_photo_citation(user: User, cited: dict[str, Iterable[str]]) -> None:
    """Raise ValidationFailed (422, each field's error coded ``photo_missing``) unless ``user`` may cite them all.

    ``cited`` maps each request field to the photo ids it names, e.g. ``{"photo_ids": [...]}``.
    A photo out of sight is answered exactly like one never uploaded, so scope cannot be probed.
    """
    fields = {field: [p for p in ids or [] if p] for field, ids in cited.items()}
    allowed = citable_photos(user, (p for ids in fields.values() for p in ids))
    errors = [{"field": field, "message": f"照片 {photo[:12]}… 不存在或尚未上传。", "code": "photo_missing"}
              for field, ids in fields.items() for photo in dict.fromkeys(ids) if photo not in allowed]
    if errors:
        raise ValidationFailed(errors, detail="所引用的照片不存在或尚未上传，请重新上传照片后再提交。")


def visible(user: User, model: type, action: Action | None = None) -> ColumnElement[bool]:
    """A WHERE condition selecting the objects of ``model`` on which ``user`` may do ``action``."""
    action = action or VIEW_ACTION[model]
    assert action not in ACTION_SCOPE, "no SQL twin for this action's narrower scope"
    if not user.active:
        return false()
    rule = RULES[action]
    clauses: list[ColumnElement[bool]] = []
    for grant in user.grants:
        reach = rule.get(Role(grant.role))
        if reach is Reach.ANYWHERE:
            return true()
        if reach is Reach.IN_SCOPE:
            clauses.append(SCOPE_CLAUSE[model](grant))
    if action == Action.USER_VIEW and model is User:
        clauses.append(User.id == user.id)
    return or_(*clauses) if clauses else false()


def allowed_actions(user: User, obj: Any) -> list[str]:
    """The actions the user may take on ``obj``, for the UI to show or hide buttons."""
    kind = type(obj)
    return [
        a.value for a in Action
        if a.value.split(".")[0] == VIEW_ACTION[kind].value.split(".")[0] and can(user, a, obj)
    ]


def can_fire(user: User, transition: Transition, hazard: Hazard) -> Role | None:
    """The role under which ``user`` may fire ``transition`` on ``hazard``, or None.

    The roles come from the transition table; the scope is the same as for viewing the
    hazard. When several grants qualify, the most senior role is used (it is recorded on
    the event and some guards depend on it, e.g. 重大 verification needs a supervisor).
    """
    if not user.active:
        return None
    return _most_senior(
        Role(g.role) for g in user.grants
        if Role(g.role) in transition.roles and (g.role == Role.ADMIN or _hazard_in(g, hazard)))


def acting_role(user: User, action: Action, obj: Any) -> Role | None:
    """The most senior role under which ``user`` may do ``action`` on ``obj`` (recorded on events)."""
    if not user.active:
        return None
    rule, in_scope = RULES[action], ACTION_SCOPE.get(action) or IN_SCOPE[type(obj)]
    return _most_senior(
        Role(g.role) for g in user.grants
        if (reach := rule.get(Role(g.role))) is Reach.ANYWHERE or (reach is Reach.IN_SCOPE and in_scope(g, obj)))


SENIORITY = [Role.ENTERPRISE_USER, Role.GRID_WORKER, Role.INSPECTOR, Role.SUPERVISOR, Role.ADMIN]


def _most_senior(roles: Iterable[Role]) -> Role | None:
    return max(roles, key=SENIORITY.index, default=None)
