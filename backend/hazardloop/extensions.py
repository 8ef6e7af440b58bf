"""Extension instances, unbound; create_app binds them with init_app."""

from __future__ import annotations

import http
from typing import Any

import marshmallow as ma
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from hazardloop.cluster import ClusterRQ
from hazardloop.database import Base
from hazardloop.errors import PROBLEM_CONTENT_TYPE, ProblemResponsesPlugin, ProblemSchema
from hazardloop.replica import RoutingSession


class HazardApi(Api):
    """flask-smorest Api whose documented error shape is problem+json, on every operation."""

    ERROR_SCHEMA = ProblemSchema

    def __init__(self) -> None:
        super().__init__(spec_kwargs={"extra_plugins": [ProblemResponsesPlugin()]})

    def _init_spec(self, **kwargs: Any) -> None:
        super()._init_spec(**kwargs)
        self.ma_plugin.converter.add_attribute_function(_decimal_as_string)

    def _register_responses(self) -> None:
        """flask-smorest's shared error responses (``default`` of every operation) as problem+json."""
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": self.ERROR_SCHEMA}}
            self.spec.components.response(status.name, response, lazy=True)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, {
            "description": "错误（RFC 9457 problem+json，code 为稳定的错误代码，detail 为中文说明）",
            "content": {PROBLEM_CONTENT_TYPE: {"schema": self.ERROR_SCHEMA}},
        }, lazy=True)


def _decimal_as_string(converter: Any, field: ma.fields.Field, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """A Decimal dumped ``as_string`` (money: 奖励金额) is documented as the string it is, not a number."""
    if not (isinstance(field, ma.fields.Decimal) and field.as_string):
        return {}
    kind = ret.get("type")
    if isinstance(kind, list):
        return {"type": ["string" if t == "number" else t for t in kind], "format": "decimal"}
    return {"type": "string", "format": "decimal"}


# Reads of views marked @reads_replica may go to the hot standby (replica.py); all else to DATABASE_URL.
db = SQLAlchemy(model_class=Base, session_options={"class_": RoutingSession})
migrate = Migrate()
api = HazardApi()
rq = ClusterRQ()  # its cron scheduler claims each tick once across the nodes (cluster.py)
