"""The deployment files in deploy/ say what the code does: settings it reads, commands it has, nginx in front.

The nginx site is checked by Debian's nginx (installed by ./dev test): `nginx -t` accepts it, and run on
loopback ports in front of a real `hazardloop run` it serves the PWA's caching headers, refuses a body over
the app's limit and tells the app the request came over https.
"""

from __future__ import annotations

import http.client
import os
import re
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from hazardloop import config as config_module
from tests.conftest import free_port
from tests.support.cli import HAZARDLOOP
from tests.support.nginx import NGINX, LoopbackNginx

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ENV_EXAMPLE = DEPLOY / "hazardloop.env.example"
SITE = DEPLOY / "nginx" / "hazardloop.conf"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
# What a city's nodes cannot run without (README "Running a city").
CLUSTER_SETTINGS = {"SECRET_KEY", "VAPID_PRIVATE_KEY_FILE", "DATABASE_URL", "DATABASE_POOL_MODE",
                    "DATABASE_REPLICA_URL", "REDIS_URL", "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER",
                    "PHOTO_STORAGE", "S3_BUCKET", "S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID",
                    "S3_SECRET_ACCESS_KEY", "TRUSTED_PROXY_HOPS", "PUBLIC_BASE_URL"}


def example_settings(*, commented: bool) -> dict[str, str]:
    pattern = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")
    found = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if (m := pattern.match(line)) and (commented or not m.group(1)):
            found[m.group(2)] = m.group(3)
    return found


def test_every_setting_in_the_example_environment_is_read_by_config(tmp_path, monkeypatch):
    source = Path(config_module.__file__).read_text()
    read = set(re.findall(r'(?:environ\.get|_bool)\("([A-Z][A-Z0-9_]*)"', source))
    named = example_settings(commented=True)
    assert set(named) - read == set(), "named in deploy/hazardloop.env.example but not read by config.py"
    assert CLUSTER_SETTINGS - set(named) == set(), "missing from deploy/hazardloop.env.example"
    # The file as it stands builds a configuration (numbers parse, the sentinel pair is complete).
    for name in read:
        monkeypatch.delenv(name, raising=False)
    for name, value in example_settings(commented=False).items():
        monkeypatch.setenv(name, value)
    built = config_module.from_environment(tmp_path)
    assert built["REDIS_SENTINELS"] == [("10.0.3.10", 26379), ("10.0.3.11", 26379), ("10.0.3.12", 26379)]
    assert built["RATELIMIT_STORAGE_URI"].startswith("redis+sentinel://")
    assert built["PHOTO_STORAGE"] == "s3" and built["TRUSTED_PROXY_HOPS"] == 1


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_each_unit_runs_a_command_the_cli_has(unit, tmp_path, monkeypatch, capsys):
    from hazardloop.cli import main

    text = unit.read_text()
    assert "EnvironmentFile=/etc/hazardloop/hazardloop.env" in text
    assert "Environment=TZ=Asia/Shanghai" in text  # cron strings are local time on every node
    command = re.search(r"^ExecStart=(\S+) (.*)$", text, re.M)
    assert command and command.group(1).endswith("/hazardloop")
    words = command.group(2).split()
    subcommand = [w for w in words if not w.startswith("-")][:2 if words[0] == "rq" else 1]
    monkeypatch.setenv("HAZARDLOOP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(SystemExit) as done:  # the console script, in this process (the app's modules are loaded)
        main([*subcommand, "--help"])
    shown = capsys.readouterr()
    assert done.value.code == 0, shown.err
    for option in (w.split("=")[0] for w in words if w.startswith("--")):
        assert option in shown.out, f"{unit.name}: {option} is not an option of hazardloop {' '.join(subcommand)}"


def _size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmMgG]?)", value).groups()  # type: ignore[union-attr]
    return int(number) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit.lower()]


def test_nginx_takes_every_body_the_app_takes(tmp_path, monkeypatch):
    body = _size(re.search(r"client_max_body_size (\w+);", SITE.read_text()).group(1))  # type: ignore[union-attr]
    for name in ("MAX_CONTENT_LENGTH", "PHOTO_MAX_BYTES", "PUBLIC_REPORT_MAX_BYTES"):
        monkeypatch.delenv(name, raising=False)
    defaults = config_module.from_environment(tmp_path)
    example = int(example_settings(commented=False)["MAX_CONTENT_LENGTH"])
    assert body == defaults["MAX_CONTENT_LENGTH"] == example
    assert body >= max(defaults["PHOTO_MAX_BYTES"], defaults["PUBLIC_REPORT_MAX_BYTES"])


@pytest.fixture
def app_node(tmp_path: Path, redis_url: str) -> Iterator[str]:
    """`hazardloop run` on a migrated SQLite database, behind one trusted proxy (TRUSTED_PROXY_HOPS=1)."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'node.db'}", "REDIS_URL": redis_url,
           "HAZARDLOOP_INSTANCE_PATH": str(tmp_path / "instance"), "STORAGE_DIR": str(tmp_path / "storage"),
           "TRUSTED_PROXY_HOPS": "1"}
    subprocess.run([HAZARDLOOP, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    port = free_port()
    log = (tmp_path / "node.log").open("wb")
    node = subprocess.Popen([HAZARDLOOP, "run", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                             "--threads", "4"], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", timeout=2):
                break
        except OSError:
            assert node.poll() is None and time.monotonic() < deadline, (tmp_path / "node.log").read_text()[-3000:]
            time.sleep(0.2)
    yield f"127.0.0.1:{port}"
    node.terminate()
    node.wait(20)
    log.close()


@pytest.mark.skipif(NGINX is None, reason="nginx 未安装（./dev test 会安装 Debian 的 nginx）")
def test_nginx_accepts_the_site_and_serves_the_pwa_with_its_caching_headers(tmp_path, app_node):
    dist = ROOT / "pwa" / "dist"
    if not (dist / "index.html").is_file():
        pytest.skip("前端尚未构建（./dev test 会先构建）")
    # The shipped site as installed, in front of the node; tests/support/nginx.py changes only the addresses.
    server = LoopbackNginx(tmp_path / "nginx", [app_node], dist=dist)
    checked = server.check()
    assert checked.returncode == 0, checked.stderr
    server.start()
    https_port, http_port, crt = server.https_port, server.http_port, server.crt
    try:
        context = ssl.create_default_context(cafile=str(crt))
        context.check_hostname = False

        def fetch(path: str, **kw: object) -> tuple[int, dict[str, str], bytes]:
            request = urllib.request.Request(f"https://127.0.0.1:{https_port}{path}", **kw)  # type: ignore[arg-type]
            try:
                with urllib.request.urlopen(request, context=context, timeout=10) as response:
                    return response.status, dict(response.headers), response.read()
            except urllib.error.HTTPError as exc:
                return exc.code, dict(exc.headers), exc.read()

        deadline = time.monotonic() + 15
        while True:
            try:
                fetch("/api/v1/health")
                break
            except OSError:
                assert server.proc.poll() is None and time.monotonic() < deadline, server.error_log()
                time.sleep(0.1)

        asset = next(p.name for p in (dist / "assets").iterdir() if p.suffix == ".js")
        status, headers, body = fetch(f"/assets/{asset}")
        assert status == 200 and body == (dist / "assets" / asset).read_bytes()
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
        for shell in ("/", "/index.html", "/sw.js", "/sites/3"):
            status, headers, _ = fetch(shell)
            assert status == 200 and headers["Cache-Control"] == "no-cache", (shell, headers)
        # The app saw https through the proxy (X-Forwarded-Proto, TRUSTED_PROXY_HOPS=1): HSTS and its CSP.
        assert "max-age" in headers.get("Strict-Transport-Security", "") and "Content-Security-Policy" in headers
        # A body one byte over the app's limit is refused by nginx on its declared length, before a byte is sent.
        upload = http.client.HTTPSConnection("127.0.0.1", https_port, context=context, timeout=10)
        upload.putrequest("POST", "/api/v1/photos")
        upload.putheader("Content-Type", "multipart/form-data; boundary=x")
        upload.putheader("Content-Length", str(32 * 1024 * 1024 + 1))
        upload.endheaders()
        refused = upload.getresponse()
        assert refused.status == 413 and "nginx" in refused.read().decode()
        upload.close()
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/report?x=1", headers={"Host": "hazards.example.gov.cn"})
        moved = plain.getresponse()
        assert (moved.status, moved.getheader("Location")) == (301, "https://hazards.example.gov.cn/report?x=1")
        plain.close()
    finally:
        server.stop()
