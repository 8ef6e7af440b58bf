"""/api/v1/circular-drafts: a 通报 draft for review (publishing stays POST /api/v1/circulars)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.apitools import blueprint
from hazardloop.errors import Forbidden
from hazardloop.policy import Action
from hazardloop.reports.schemas import CircularDraftArgsSchema, CircularDraftSchema
from hazardloop.reports.services import draft_circular, render_html
from hazardloop.taxonomy import Role

blp = blueprint("circular_drafts", __name__, "/circular-drafts", "通报草稿")
blp.template_folder = "templates"  # circulars/circular.html (reports.circular_files)


@blp.route("")
class CircularDrafts(MethodView):
    @blp.arguments(CircularDraftArgsSchema, location="query")
    @blp.response(200, CircularDraftSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Weekly or monthly 通报 draft for my scope, narrowed to a street/region or a department."""
        user = current_user()
        if not (user.has_role(Role.SUPERVISOR) or policy.can_anywhere(user, Action.HAZARD_PUBLISH_CIRCULAR)):
            raise Forbidden("只有监管人员可以生成通报。")
        draft = draft_circular(user, period=args["period"], day=args["date"], region_id=args.get("region"),
                               department_id=args.get("department"))
        return {**draft, "html": render_html(draft)}
