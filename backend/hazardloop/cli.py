"""The `hazardloop` console script: db, seed-demo, create-user, run (web), worker."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, routes_command, shell_command, with_appcontext

from hazardloop.extensions import db
from hazardloop.taxonomy import Role


def cpu_cores() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count); at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _cli_app() -> Flask:
    from hazardloop import create_app
    from hazardloop.schedule import register_periodic_jobs

    register_periodic_jobs()  # so `hazardloop rq cron` alone runs the schedule too
    # Commands that serve or write data check the schema themselves; `db upgrade` must not.
    return create_app({"SCHEMA_CHECK": False})


def require_current_schema() -> None:
    from hazardloop.system.schema import SchemaOutOfDate, ensure_schema_current

    try:
        ensure_schema_current(current_app._get_current_object())  # type: ignore[attr-defined]
    except SchemaOutOfDate as exc:
        raise click.ClickException(str(exc)) from exc


def sync_all_or_nothing(sync: Callable[[], Any], refused: type[Exception]) -> None:
    """Run a data-folder sync (checklists, risk templates) in one transaction: its report, or every problem and a
    rolled-back database. ``refused`` is the format error carrying ``problems``."""
    require_current_schema()
    try:
        report = sync()
    except refused as exc:
        db.session.rollback()
        for problem in getattr(exc, "problems", []):
            click.echo(str(problem), err=True)
        raise click.ClickException("同步失败，数据库未作任何修改。") from exc
    db.session.commit()
    click.echo(report.describe())


def warn_node_local_settings() -> None:
    """Tell the operator of a serving node (run, worker) which settings it made up that other nodes cannot share."""
    from hazardloop.cluster import node_local_settings

    for warning in node_local_settings(current_app.config):
        click.echo(f"提示：{warning}", err=True)


@click.command("seed-demo")
@click.option("--password", default="Demo@2026", show_default=True, help="Password of every demo user.")
@with_appcontext
def seed_demo_command(password: str) -> None:
    """Build the demo district (idempotent) and print the demo logins."""
    require_current_schema()
    from hazardloop.demo.seed import seed_demo

    summary = seed_demo(password=password)
    db.session.commit()
    click.echo(summary.describe())


@click.command("create-user")
@click.option("--mobile", required=True)
@click.option("--name", "display_name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--region-id", type=int)
@click.option("--department-id", type=int)
@click.option("--site-id", type=int)
@click.password_option(prompt="密码", help="Read from the prompt, or HAZARDLOOP_PASSWORD.",
                       envvar="HAZARDLOOP_PASSWORD")
@with_appcontext
def create_user_command(mobile: str, display_name: str, role: str, region_id: int | None,
                        department_id: int | None, site_id: int | None, password: str) -> None:
    """Create a user with one role grant."""
    require_current_schema()
    from hazardloop.accounts.services import GrantSpec, create_user
    from hazardloop.errors import ApiError

    try:
        user = create_user(
            mobile=mobile, display_name=display_name, password=password,
            grants=[GrantSpec(Role(role), region_id, department_id, site_id)],
        )
    except ApiError as exc:
        db.session.rollback()
        details = "; ".join(f"{e.get('field')}: {e['message']}" for e in exc.errors or [])
        raise click.ClickException(f"{exc.detail} {details}".strip()) from exc
    db.session.commit()
    click.echo(f"已创建用户 {user.id}：{user.display_name} {user.mobile}（{role}）")


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=lambda: cpu_cores(), show_default="CPU 核数", type=int,
              help="gunicorn worker processes (README: Design choices, measured)")
@click.option("--threads", default=8, show_default=True, type=int,
              help="threads per worker (overlap the database waits; README: Design choices)")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="one line per request on stdout (off by default: the reverse proxy keeps the access log)")
@click.option("--keep-alive", default=75, show_default=True, type=int,
              help="seconds an idle client connection is kept (longer than nginx's upstream keepalive_timeout, 60 s)")
@with_appcontext
def run_command(host: str, port: int, workers: int, threads: int, access_log: bool, keep_alive: int) -> None:
    """Serve the web app and API with gunicorn."""
    require_current_schema()
    warn_node_local_settings()
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("threads", threads)
            self.cfg.set("worker_class", "gthread")
            # The server must not close an idle connection before its client does: a request sent on a
            # connection the server closes at that instant fails (nginx answers 502 and never repeats a POST;
            # clients read ECONNRESET). gunicorn's default is 2 s; the proxy keeps idle upstream ones 60 s.
            self.cfg.set("keepalive", keep_alive)
            if access_log:
                self.cfg.set("accesslog", "-")

        def load(self) -> Any:
            from hazardloop import create_app

            return create_app()

    click.echo(f"hazardloop 正在监听 http://{host}:{port}/")
    if current_app.config["SESSION_COOKIE_SECURE"] and not current_app.config["TRUSTED_PROXY_HOPS"]:
        # The Secure cookie needs https (a reverse proxy); on plain http the browser drops it and login fails.
        click.echo("提示：会话 Cookie 仅经 HTTPS 发送。若在本机直接以 http 访问，请设置 SESSION_COOKIE_SECURE=false；"
                   "若在反向代理之后，请设置 TRUSTED_PROXY_HOPS。")
    Server().run()


def worker_app() -> Flask:
    """The app the cron scheduler child (`flask rq cron`) builds; the worker checked the schema."""
    from hazardloop import create_app
    from hazardloop.schedule import register_periodic_jobs

    app = create_app({"SCHEMA_CHECK": False})
    register_periodic_jobs()
    return app


def _supervise_cron(stop: threading.Event) -> None:
    """Run RQ's cron scheduler (`flask rq cron`) as a child process; start it again if it exits.

    Its own process, because CronScheduler.start() installs signal handlers (main thread only)
    and exits when Redis goes away; the worker itself waits for Redis and carries on.
    """
    env = {**os.environ, "FLASK_APP": "hazardloop.cli:worker_app"}
    _supervise([sys.executable, "-m", "flask", "rq", "cron"], env, stop)


def _supervise(command: list[str], env: dict[str, str], stop: threading.Event) -> None:
    """Keep ``command`` running as a child process until ``stop``; restart it with backoff if it exits."""
    delay = 1.0
    while not stop.is_set():
        child = subprocess.Popen(command, env=env)
        while child.poll() is None and not stop.wait(0.5):
            pass
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
            return
        delay = 1.0 if child.returncode == 0 else min(delay * 2, 30.0)
        stop.wait(delay)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then exit.")
@click.option("--name", default=None, help="Worker name (unique per Redis; default: random).")
@click.option("--queue", "queues", multiple=True, help="Queues to watch (default: all configured).")
@click.option("--cron/--no-cron", default=True, show_default=True,
              help="Also run RQ's cron scheduler with the periodic jobs of hazardloop.schedule (not with --burst).")
@click.option("--fork/--no-fork", default=True, show_default=True,
              help="Run each job in a forked work-horse (default) or in the worker process itself.")
@click.option("--processes", default=lambda: cpu_cores(), show_default="CPU 核数", type=int,
              help="RQ worker processes to run side by side (jobs such as photo derivatives use a core each).")
@with_appcontext
def worker_command(burst: bool, name: str | None, queues: tuple[str, ...], cron: bool, fork: bool,
                   processes: int) -> None:
    """Run RQ workers (one per core by default) with RQ's own scheduler, and the cron scheduler beside them.

    Each worker imports the application once and forks a work-horse per job (milliseconds), which
    runs the job in its own app context with its own database connections. The extra workers are
    child processes of this one (`--processes 1`, no cron), started again if they exit.
    """
    require_current_schema()
    if not burst:
        warn_node_local_settings()
    from hazardloop.outbox.worker import make_worker
    from hazardloop.schedule import register_periodic_jobs

    register_periodic_jobs()
    worker = make_worker(current_app._get_current_object(), list(queues), fork=fork,  # type: ignore[attr-defined]
                         name=name)
    stop = threading.Event()
    supervisors = []
    if cron and not burst:
        supervisors.append(threading.Thread(target=_supervise_cron, args=(stop,), name="cron", daemon=True))
    if not burst:
        for i in range(1, processes):
            command = [sys.executable, "-c", "from hazardloop.cli import main; main()", "worker", "--processes", "1",
                       "--no-cron",
                       "--fork" if fork else "--no-fork", *(f"--queue={q}" for q in queues),
                       *([f"--name={name}-{i + 1}"] if name else [])]
            supervisors.append(threading.Thread(target=_supervise, args=(command, dict(os.environ), stop),
                                                name=f"worker-{i + 1}", daemon=True))
    for supervisor in supervisors:
        supervisor.start()
    try:
        worker.work(burst=burst, with_scheduler=True)
    finally:
        stop.set()
        for supervisor in supervisors:
            supervisor.join(15)


def register(app: Flask) -> None:
    from hazardloop.checklists.commands import checklists_cli
    from hazardloop.evidence.commands import photos_cli
    from hazardloop.hazards.commands import audit_cli
    from hazardloop.outbox.commands import jobs_cli
    from hazardloop.risk.commands import risks_cli
    from hazardloop.system.commands import backup_cli

    for command in (seed_demo_command, create_user_command, run_command, worker_command, checklists_cli,
                    photos_cli, audit_cli, jobs_cli, risks_cli, backup_cli):
        app.cli.add_command(command)


def main(argv: list[str] | None = None) -> Any:
    group = FlaskGroup(create_app=_cli_app, add_default_commands=False, set_debug_flag=False,
                       help="hazardloop：安全隐患排查治理闭环")
    group.add_command(shell_command)
    group.add_command(routes_command)
    return group.main(args=argv if argv is not None else sys.argv[1:], prog_name="hazardloop")
