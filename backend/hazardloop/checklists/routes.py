"""/api/v1/checklists: summaries for a site, full immutable versions, and scoring."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, make_response, request
from flask import json as flask_json

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint
from hazardloop.checklists import services
from hazardloop.checklists.schemas import (
    ChecklistDetailSchema,
    ChecklistQueryArgsSchema,
    ChecklistSummarySchema,
    ChecklistVersionSchema,
    ScoreRequestSchema,
    ScoreResultSchema,
)
from hazardloop.checklists.scoring import ScoringError, score
from hazardloop.errors import ValidationFailed
from hazardloop.policy import Action
from hazardloop.sites.services import get_site

blp = blueprint("checklists", __name__, "/checklists", "三标融合检查表（版本化）")

# A version's content never changes, so it may be cached for good; lists must revalidate.
IMMUTABLE = "private, max-age=31536000, immutable"
REVALIDATE = "private, no-cache"


def _conditional(payload: Any, etag: str, cache_control: str) -> Response:
    """A JSON response with a strong ETag; 304 when the client already holds it."""
    response = make_response(flask_json.dumps(payload, ensure_ascii=False))
    response.mimetype = "application/json"
    response.set_etag(etag)
    response.headers["Cache-Control"] = cache_control
    return response.make_conditional(request)


@blp.route("")
@blp.arguments(ChecklistQueryArgsSchema, location="query")
@blp.response(200, ChecklistSummarySchema(many=True))
@blp.alt_response(304, description="未变化（If-None-Match 命中）")
@blp.alt_response(404, description="场所不存在或不在您的范围内")
def list_checklists(args: dict[str, Any]) -> Any:
    """Current checklists, or those that apply to one site (summaries, ETag-validated)."""
    if site_id := args.get("site"):
        site = get_site(site_id)
        policy.authorize(current_user(), Action.SITE_VIEW, site)
        versions = services.applicable_versions(site)
    else:
        versions = services.current_versions()
    payload = ChecklistSummarySchema(many=True).dump(versions)
    etag = hashlib.sha256("|".join(f"{v.checklist_id}@{v.content_hash}" for v in versions)
                          .encode()).hexdigest()
    return _conditional(payload, etag, REVALIDATE)


@blp.route("/<string:checklist_id>")
@blp.response(200, ChecklistDetailSchema)
@blp.alt_response(404, description="检查表不存在")
def get_checklist(checklist_id: str) -> Any:
    """A checklist with the list of its versions."""
    checklist = services.get_checklist(checklist_id)
    checklist.versions = services.versions_of(checklist)  # type: ignore[attr-defined]
    return checklist


@blp.route("/<string:checklist_id>/versions/<string:version>")
@blp.response(200, ChecklistVersionSchema)
@blp.alt_response(304, description="未变化（If-None-Match 命中）")
@blp.alt_response(404, description="检查表或其版本不存在")
def get_version(checklist_id: str, version: str) -> Any:
    """One version in full; its ETag is its content hash and it never changes."""
    found = services.get_version(checklist_id, version)
    return _conditional(ChecklistVersionSchema().dump(found), found.content_hash, IMMUTABLE)


@blp.route("/<string:checklist_id>/versions/<string:version>/score", methods=["POST"])
@blp.arguments(ScoreRequestSchema)
@blp.response(200, ScoreResultSchema)
@blp.alt_response(404, description="检查表或其版本不存在")
def score_answers(args: dict[str, Any], checklist_id: str, version: str) -> Any:
    """Score a set of answers with the version's deductions and caps (a preview; nothing is stored)."""
    document = services.document(services.get_version(checklist_id, version))
    try:
        return score(document, args["answers"])
    except ScoringError as exc:
        field = f"answers.{exc.code}" if hasattr(exc, "code") else "answers"
        raise ValidationFailed.field(field, str(exc), "invalid_answer") from exc
