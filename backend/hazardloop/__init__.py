"""hazardloop: 安全隐患排查治理闭环 — the Flask application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, send_from_directory

from hazardloop import config as config_module
from hazardloop import json_provider
from hazardloop.extensions import api, db, migrate, rq

__all__ = ["create_app"]

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: configuration → extensions → blueprints → CLI."""
    # HAZARDLOOP_INSTANCE_PATH moves the folder holding the SQLite file and the generated secret key.
    app = Flask(__name__, instance_path=os.environ.get("HAZARDLOOP_INSTANCE_PATH") or None)
    app.config.update(config_module.from_environment(Path(app.instance_path)))
    app.config.update(config or {})
    json_provider.init_app(app)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = config_module.engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config.get("SQLALCHEMY_ENGINE_OPTIONS"),
        app.config.get("DATABASE_POOL_MODE", "session"))

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True)
    api.init_app(app)
    rq.init_app(app)

    from hazardloop import errors, inputs, replica, security
    from hazardloop.accounts import auth, ratelimit, session_cache

    security.init_app(app)
    errors.register_error_handlers(app)
    replica.init_app(app)  # before auth: the session lookup of a marked read may be served by the standby
    auth.init_app(app)
    session_cache.init_app(app)
    ratelimit.init_app(app)
    inputs.init_app(app)  # before the blueprints: it installs the bounded <int:…> converter
    _import_models()
    _register_blueprints(app)
    _register_request_hooks(app)

    from hazardloop import cli

    cli.register(app)

    if app.config["SCHEMA_CHECK"]:
        from hazardloop.system.schema import ensure_schema_current

        ensure_schema_current(app)
    return app


def _import_models() -> None:
    """Every feature's models, so the metadata (migrations, tests) knows all tables."""
    from hazardloop.accounts import models as _accounts  # noqa: F401
    from hazardloop.blacklist import models as _blacklist  # noqa: F401
    from hazardloop.checklists import models as _checklists  # noqa: F401
    from hazardloop.circulars import models as _circulars  # noqa: F401
    from hazardloop.console import models as _console  # noqa: F401
    from hazardloop.escalation import models as _escalation  # noqa: F401
    from hazardloop.evidence import models as _evidence  # noqa: F401
    from hazardloop.hazards import models as _hazards  # noqa: F401
    from hazardloop.imports import models as _imports  # noqa: F401
    from hazardloop.inspections import models as _inspections  # noqa: F401
    from hazardloop.inspections import patrols as _patrols  # noqa: F401  (its index on inspections)
    from hazardloop.notifications import models as _notifications  # noqa: F401
    from hazardloop.outbox import models as _outbox  # noqa: F401
    from hazardloop.public import models as _public  # noqa: F401
    from hazardloop.regions import models as _regions  # noqa: F401
    from hazardloop.risk import models as _risk  # noqa: F401
    from hazardloop.selfchecks import models as _selfchecks  # noqa: F401
    from hazardloop.sites import models as _sites  # noqa: F401


def _register_blueprints(app: Flask) -> None:
    from hazardloop.accounts.routes import auth_blp, users_blp
    from hazardloop.blacklist.routes import blp as blacklist_blp
    from hazardloop.blacklist.routes import export_blp as blacklist_export_blp
    from hazardloop.checklists.routes import blp as checklists_blp
    from hazardloop.circulars.routes import blp as circulars_blp
    from hazardloop.circulars.routes import drafts_blp as circular_drafts_blp
    from hazardloop.console.routes import blp as console_blp
    from hazardloop.evidence.routes import blp as photos_blp
    from hazardloop.hazards.document_routes import documents_blp, ledger_blp
    from hazardloop.hazards.routes import blp as hazards_blp
    from hazardloop.inspections.patrol_routes import blp as patrols_blp
    from hazardloop.inspections.routes import blp as inspections_blp
    from hazardloop.notifications.routes import blp as notifications_blp
    from hazardloop.notifications.routes import webhooks_blp
    from hazardloop.public.routes import open311_blp, public_blp, publication_blp, reports_blp
    from hazardloop.regions.routes import blp as regions_blp
    from hazardloop.regions.routes import departments_blp, taxonomy_blp
    from hazardloop.sites.posters import blp as posters_blp
    from hazardloop.sites.routes import blp as sites_blp
    from hazardloop.system.routes import blp as system_blp

    for blp in (system_blp, auth_blp, users_blp, regions_blp, departments_blp, taxonomy_blp, sites_blp,
                checklists_blp, photos_blp, inspections_blp, hazards_blp, circulars_blp, documents_blp, ledger_blp,
                posters_blp, notifications_blp, circular_drafts_blp, public_blp, open311_blp, reports_blp,
                publication_blp):
        api.register_blueprint(blp)
    api.register_blueprint(patrols_blp)
    from hazardloop.selfchecks.routes import blp as self_checks_blp

    api.register_blueprint(self_checks_blp)
    api.register_blueprint(webhooks_blp)
    for blp in (console_blp, blacklist_blp, blacklist_export_blp):
        api.register_blueprint(blp)
    from hazardloop.escalation.routes import blp as proposals_blp

    api.register_blueprint(proposals_blp)
    from hazardloop.imports.routes import blp as imports_blp

    api.register_blueprint(imports_blp)
    from hazardloop.risk.routes import blp as risk_blp

    api.register_blueprint(risk_blp)
    from hazardloop.sites.admin_routes import blp as site_admin_blp
    from hazardloop.sites.registration_routes import blp as applications_blp
    from hazardloop.sites.registration_routes import public_blp as registration_blp

    for blp in (site_admin_blp, registration_blp, applications_blp):
        api.register_blueprint(blp)
    from hazardloop.administration.routes import blp as administration_blp

    api.register_blueprint(administration_blp)
    from hazardloop.checklists.admin_routes import blp as checklist_publishing_blp

    api.register_blueprint(checklist_publishing_blp)

    import swagger_ui

    swagger_static = Path(swagger_ui.__file__).resolve().parent / "static"

    @app.get("/api/docs/assets/<path:filename>")
    def swagger_assets(filename: str) -> Response:
        return send_from_directory(swagger_static, filename)

    # Last: the field app's shell and assets at / (it never matches /api/...).
    from hazardloop.web.routes import blp as web_blp

    app.register_blueprint(web_blp)


def _register_request_hooks(app: Flask) -> None:
    """The request commits once, after the handler succeeded; errors roll back."""

    @app.after_request
    def commit(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response
