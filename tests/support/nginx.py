"""Debian's nginx with the shipped site (deploy/nginx/hazardloop.conf) on loopback ports, in front of given nodes.

The site file is used as an operator installs it; only what names this machine changes: the upstream
servers, the listen addresses, a self-signed certificate and the PWA's dist folder.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "nginx" / "hazardloop.conf"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for hazards.example.gov.cn and 127.0.0.1 (its own CA) and its key, written to ``directory``."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hazards.example.gov.cn")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("hazards.example.gov.cn"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    crt, pem = directory / "site.crt", directory / "site.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
    return crt, pem


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/nginx/hazardloop.conf no longer has {old!r}: update tests/support/nginx.py"
    return text.replace(old, new)


def loopback_site(nodes: list[str], *, http_port: int, https_port: int, crt: Path, key: Path, dist: Path) -> str:
    """The shipped site with ``nodes`` (host:port) as its upstream servers, on loopback ports."""
    site = SITE.read_text()
    servers = "".join(f"    server {node} max_fails=3 fail_timeout=10s;\n" for node in nodes)
    site = re.sub(r"    server 10\.0\.1\.\d+:8000 [^\n]*\n", "", site)
    site = _replace(site, "    keepalive 32;", f"{servers}    keepalive 32;")
    site = _replace(site, "    listen 80;\n    listen [::]:80;", f"    listen 127.0.0.1:{http_port};")
    site = _replace(site, "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;",
                    f"    listen 127.0.0.1:{https_port} ssl http2;")
    site = _replace(site, "/etc/nginx/tls/hazardloop.crt", str(crt))
    site = _replace(site, "/etc/nginx/tls/hazardloop.key", str(key))
    return _replace(site, "/srv/hazardloop/pwa/dist", str(dist))


class LoopbackNginx:
    """nginx (its own prefix folder, pid and logs) serving the shipped site over https on a free port."""

    def __init__(self, directory: Path, nodes: list[str], *, dist: Path | None = None,
                 worker_connections: int = 64) -> None:
        if NGINX is None:
            raise RuntimeError("缺少 nginx：请运行 ./dev test（它会安装 Debian 的 nginx）。")
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self.https_port, self.http_port = free_port(), free_port()
        self.crt, key = self_signed(self.dir)
        site = loopback_site(nodes, http_port=self.http_port, https_port=self.https_port, crt=self.crt, key=key,
                             dist=dist or ROOT / "pwa" / "dist")
        (self.dir / "site.conf").write_text(site)
        mime_types = "include /etc/nginx/mime.types;" if Path("/etc/nginx/mime.types").exists() else ""
        user = "user root;\n" if os.geteuid() == 0 else ""
        (self.dir / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {self.dir / 'nginx.pid'};\nerror_log {self.dir / 'error.log'};\n"
            f"events {{ worker_connections {worker_connections}; }}\n"
            f"http {{\n {mime_types}\n access_log off;\n client_body_temp_path {self.dir / 'body'};\n"
            f" proxy_temp_path {self.dir / 'proxy'};\n include {self.dir / 'site.conf'};\n}}\n")
        self.command = [NGINX, "-p", str(self.dir), "-e", str(self.dir / "error.log"), "-c",
                        str(self.dir / "nginx.conf")]
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def check(self) -> subprocess.CompletedProcess[str]:
        """``nginx -t`` on the configuration."""
        return subprocess.run([*self.command, "-t"], capture_output=True, text=True, timeout=30)

    def start(self) -> None:
        self.proc = subprocess.Popen([*self.command, "-g", "daemon off;"], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.https_port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: " + self.error_log()) from None
                time.sleep(0.1)

    def error_log(self) -> str:
        path = self.dir / "error.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

