"""Extension instances, unbound; create_app binds them with init_app."""

from __future__ import annotations

from flask_migrate import Migrate
from flask_rq import RQ
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy

from hazardloop.database import Base
from hazardloop.errors import ProblemSchema


class HazardApi(Api):
    """flask-smorest Api whose documented error shape is problem+json."""

    ERROR_SCHEMA = ProblemSchema


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
api = HazardApi()
rq = RQ()
