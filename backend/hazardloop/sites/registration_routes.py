"""/api/v1/enterprise-registration (public, no login) and /api/v1/enterprise-applications (企业注册审核)."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request
from flask.views import MethodView
from marshmallow import Schema
from werkzeug.exceptions import RequestEntityTooLarge

from hazardloop import policy
from hazardloop.accounts.auth import current_user, public
from hazardloop.apitools import blueprint
from hazardloop.errors import NotFound, ValidationFailed
from hazardloop.evidence.delivery import photo_response
from hazardloop.evidence.services import get_photo, too_large
from hazardloop.extensions import db
from hazardloop.policy import Action
from hazardloop.sites import registration
from hazardloop.sites.models import EnterpriseApplication
from hazardloop.sites.schemas import (
    EnterpriseApplicationQueryArgsSchema,
    EnterpriseApplicationReceiptSchema,
    EnterpriseApplicationSchema,
    EnterpriseApplicationStatusSchema,
    EnterpriseApplySchema,
    EnterpriseApproveSchema,
    EnterpriseClaimSchema,
    EnterpriseReapplySchema,
    EnterpriseRefuseSchema,
    RegistrationCodeRequestSchema,
    RegistrationCodeSentSchema,
    RegistrationStreetSchema,
)

public_blp = blueprint("enterprise_registration", __name__, "/enterprise-registration",
                       "企业自主注册：认领场所或上传营业执照申请（无需登录）")
blp = blueprint("enterprise_applications", __name__, "/enterprise-applications", "企业注册审核")


def _address() -> str:
    return request.remote_addr or "unknown"


@public_blp.route("/codes", methods=["POST"])
@public_blp.arguments(RegistrationCodeRequestSchema)
@public_blp.response(200, RegistrationCodeSentSchema)
@public_blp.alt_response(404, description="没有信用代码与登记电话都相符的场所（no_matching_site）")
@public_blp.alt_response(429, description="同一手机号或地址获取验证码过于频繁（code_rate_limited）")
@public
def request_code(args: dict[str, Any]) -> Any:
    """Send an SMS code: for a claim, to the phone on record of the site with this credit code."""
    return registration.request_code(purpose=args["purpose"], mobile=args["mobile"],
                                     credit_code=args.get("credit_code"), address=_address())


@public_blp.route("/claims", methods=["POST"])
@public_blp.arguments(EnterpriseClaimSchema)
@public_blp.response(201, EnterpriseApplicationReceiptSchema)
@public_blp.alt_response(422, description="验证码错误或已过期")
@public
def claim(args: dict[str, Any]) -> Any:
    """认领场所 with the SMS code; a street supervisor then approves it."""
    return registration.submit_claim(args), 201


@public_blp.route("/applications", methods=["POST"])
@public_blp.doc(requestBody={"content": {"multipart/form-data": {"schema": EnterpriseApplySchema}}})
@public_blp.response(201, EnterpriseApplicationReceiptSchema)
@public_blp.alt_response(413, description="照片过大")
@public_blp.alt_response(422, description="字段有误、验证码错误或缺少营业执照照片")
@public
def apply() -> Any:
    """注册申请 with the 营业执照 photo (multipart: fields and ``licence_photo``)."""
    fields, data = _multipart(EnterpriseApplySchema, required_photo=True)
    return registration.submit_application(fields, data), 201


def _multipart(schema: type[Schema], *, required_photo: bool) -> tuple[dict[str, Any], bytes | None]:
    """The form's fields (checked by ``schema``) and the ``licence_photo`` bytes, within the photo size limit."""
    limit = current_app.config["PHOTO_MAX_BYTES"]
    request.max_content_length = limit + 64 * 1024
    try:
        if request.mimetype != "multipart/form-data":
            if required_photo:
                raise ValidationFailed.field("licence_photo", "请上传营业执照照片。")
            raise ValidationFailed.field("name", "请用表单提交申请。")
        fields = schema().load(request.form)
        upload = request.files.get("licence_photo")
        data = upload.stream.read(limit + 1) if upload and upload.filename else None
    except RequestEntityTooLarge as exc:
        raise too_large(limit) from exc
    if data is not None and len(data) > limit:
        raise too_large(limit)
    return fields, data


@public_blp.route("/applications/<string:receipt>", methods=["GET"])
@public_blp.response(200, EnterpriseApplicationStatusSchema)
@public_blp.alt_response(404, description="回执不符（application_not_found）")
@public
def application_status(receipt: str) -> Any:
    """审核进度 by the 回执 the submission answered: pending, approved, or refused with the reason."""
    return registration.application_by_receipt(receipt)


@public_blp.route("/applications/<string:receipt>/reapply", methods=["POST"])
@public_blp.doc(requestBody={"content": {"multipart/form-data": {"schema": EnterpriseReapplySchema}}})
@public_blp.response(201, EnterpriseApplicationReceiptSchema)
@public_blp.alt_response(404, description="回执不符（application_not_found）")
@public_blp.alt_response(409, description="该申请不是未通过的申请（not_refused）")
@public_blp.alt_response(413, description="照片过大")
@public
def reapply(receipt: str) -> Any:
    """重新申请 after 不予通过, by the 回执 (no new SMS code); a new ``licence_photo`` is optional."""
    previous = registration.application_by_receipt(receipt)
    fields, data = _multipart(EnterpriseReapplySchema, required_photo=False)
    return registration.reapply(previous, fields, data), 201


@public_blp.route("/streets", methods=["GET"])
@public_blp.response(200, RegistrationStreetSchema(many=True))
@public
def streets() -> Any:
    """The streets an applicant chooses from (the one that reviews the application)."""
    return registration.streets()


def _annotated(application: EnterpriseApplication) -> EnterpriseApplication:
    application.allowed_actions = policy.allowed_actions(current_user(), application)  # type: ignore[attr-defined]
    return application


def _application(application_id: int) -> EnterpriseApplication:
    application = registration.get_application(application_id)
    policy.authorize(current_user(), Action.ENTERPRISE_APPLICATION_REVIEW, application)
    return application


@blp.route("")
class Applications(MethodView):
    @blp.arguments(EnterpriseApplicationQueryArgsSchema, location="query")
    @blp.response(200, EnterpriseApplicationSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """企业注册审核: the applications of my streets, oldest first."""
        rows = db.session.scalars(registration.queue_query(current_user(), args["status"]).limit(200)).all()
        return [_annotated(a) for a in rows]


@blp.route("/<int:application_id>/approve", methods=["POST"])
@blp.arguments(EnterpriseApproveSchema)
@blp.response(200, EnterpriseApplicationSchema)
@blp.alt_response(404, description="申请不存在或不在您的范围内")
@blp.alt_response(409, description="该申请已处理")
def approve(args: dict[str, Any], application_id: int) -> Any:
    """通过: the enterprise receives its account (scoped to the site) by SMS and sets its password at first login."""
    return _annotated(registration.approve(_application(application_id), args, actor=current_user()))


@blp.route("/<int:application_id>/refuse", methods=["POST"])
@blp.arguments(EnterpriseRefuseSchema)
@blp.response(200, EnterpriseApplicationSchema)
@blp.alt_response(404, description="申请不存在或不在您的范围内")
@blp.alt_response(409, description="该申请已处理")
def refuse(args: dict[str, Any], application_id: int) -> Any:
    """不予通过 with a reason (sent to the applicant by SMS)."""
    return _annotated(registration.refuse(_application(application_id), args["reason"], actor=current_user()))


@blp.route("/<int:application_id>/licence-photo", methods=["GET"])
@blp.alt_response(404, description="申请不存在、不在您的范围内或没有照片")
def licence_photo(application_id: int) -> Response:
    """The licence photo the applicant uploaded (a thumbnail-sized evidence copy)."""
    application = _application(application_id)
    if not application.licence_photo_id:
        raise NotFound("该申请没有营业执照照片。")
    return photo_response(get_photo(application.licence_photo_id), "evidence", "private, max-age=3600")
